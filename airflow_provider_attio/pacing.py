"""Adaptive pacing of writes: reach Attio's write budget whatever its limiter looks like, and share it.

Attio allows 25 writes/s per workspace but doesn't document how it counts them (a token bucket, a budget
per clock second, a strict sliding window) and says a 429's ``Retry-After`` date is "usually the following
second". A :class:`Pacer` hands out evenly spaced send slots to any number of threads and adapts its pace
to the answers, so a bulk run gets close to the budget under any of those limiters, and several runs
against one workspace (a mapped task, parallel DAGs) share it without a coordinator:

- it starts at the configured ``writes_per_second`` (the cap: it never goes faster);
- on a 429 it lowers the pace multiplicatively, once per congestion event (429s of calls sent before that
  decrease are the same event), and remembers the pace that overran as the *ceiling*;
- it recovers quickly, with an exponential approach, to a little under that ceiling (pacing exactly at a
  strict sliding window's limit overruns it through thread and network jitter), stays there a randomised
  moment, then probes upwards additively, faster the longer no 429 comes (convex), up to the cap;
- a 429 below the last ceiling means the budget shrank (another writer came): the ceiling drops well
  under the pace that overran, so the run doesn't return to its old share, and the probe, the same for
  every run, evens the shares out;
- the rate-limited call itself waits exactly until ``Retry-After`` (sub-second when the date allows;
  a short, growing floor when the date is missing or already past, never a busy retry); when 429s come
  back to back (the budget is spent for the moment, e.g. a per-second window exhausted), every slot is
  held until then, except up to ``MAX_PROBES`` calls that go early to see whether the budget is back;
  held callers look again every interval instead of sleeping until the date, so a probe that finds the
  budget back (a sliding window frees it as calls age) ends the hold for all of them;
- a run that has heard no 429 for longer than its typical time between congestion events also grows
  fast, by a share of the cap per second: the budget most likely grew (another run finished), and the
  probe alone would take seconds to take the freed share. The growth is the same for every run, so it
  keeps shares even.

Multiplicative decrease with additive increase is what makes independent runs converge to equal shares
(AIMD); the randomised plateau keeps them from probing in lockstep. Everything reads an injected clock
and waits on an injected ``Event``-like object, so the behaviour is tested deterministically.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from airflow_provider_attio.exceptions import AttioRateLimitError

__all__ = [
    "Pacer",
    "PacerStats",
    "Pacing",
    "RateLimitGate",
    "ResendGate",
    "Slot",
    "SteadyPacer",
    "paced_call",
]

T = TypeVar("T")

#: What a rate-limited call calls instead of the hook's own sleep: given the seconds until ``Retry-After``
#: (``None`` when Attio didn't say), it waits as long as its caller's pacing needs, then returns ``True``
#: to retry now or ``False`` to give up (the call then raises :class:`AttioRateLimitError`). The retry
#: count and budget still apply, and so does everything else about the call.
RateLimitGate = Callable[[float | None], bool]

#: What a call retried after anything but a 429 (a 5xx, a timeout, a dropped connection) calls after the
#: backoff and before sending again: it waits for its caller's pace, then returns ``True`` to send or
#: ``False`` to give up (the call then raises the last error).
ResendGate = Callable[[], bool]


@dataclass(frozen=True)
class Pacing:
    """A caller's own pacing of a call's retries (the bulk engine's writes), which the hook applies to
    the call's writes: see the two gates."""

    rate_limit_gate: RateLimitGate | None = None
    resend_gate: ResendGate | None = None


#: The pace after a 429: this share of the pace that overran.
DECREASE = 0.8
#: When 429s come back to back (the budget is spent), decrease harder: the pace is far too high.
HARD_DECREASE = 0.7
#: How late in its interval, at most, a slot is (a share of the interval, at random).
SLOT_JITTER = 0.3
#: A 429 below the last ceiling lowers the ceiling this much under the pace that overran.
CONVERGE = 0.2
#: After a 429, settle this share under the pace that overran (the ceiling), before probing above it.
MARGIN = 0.03
#: Time constant of the recovery towards the ceiling, in seconds.
RECOVERY_SECONDS = 0.4
#: How long the pace stays under the ceiling before probing, in seconds (randomised by +/- 50 %).
PLATEAU_SECONDS = 1.0
#: The additive probe's first speed: this share of the cap per second...
PROBE = 0.05
#: ...which doubles every this many seconds without a 429.
PROBE_DOUBLING_SECONDS = 3.0
#: The slowest pace, as a share of the cap (and never under ``MIN_PACE`` calls per second).
MIN_SHARE = 0.02
MIN_PACE = 0.1
#: A 429 without a usable ``Retry-After`` (missing, or a date already past: the clocks differ) waits this
#: long, doubling for each 429 in a row, up to ``MAX_FALLBACK_WAIT``.
FALLBACK_WAIT = 0.1
MAX_FALLBACK_WAIT = 2.0
#: How many calls, at most, go early during one hold to see whether the budget is back.
MAX_PROBES = 2
#: Quiet means no congestion event for longer than the run's typical gap between them...
QUIET_FACTOR = 1.0
#: ...but at least and at most this many seconds.
QUIET_MIN_SECONDS = 0.6
QUIET_MAX_SECONDS = 6.0
#: Once quiet, the pace also grows by this share of the cap per second: additively, the same for every
#: run (growing in proportion to the pace would widen unequal shares, and the slowest run ends alone).
QUIET_GROWTH = 0.4
#: The weight of the newest gap in the typical gap (an exponential average).
GAP_WEIGHT = 0.3
#: Time constant of the reported ``settled`` pace (an average over the recent past), in seconds.
SETTLED_SECONDS = 3.0


class SteadyPacer:
    """Spaces one caller's sequential calls ``1 / rate`` seconds apart with a blocking sleep; an idle
    pacer lets the next call go at once. For reads with no adaptive pacing (a sync's queries, a poke's
    list entry reads): not thread-safe. ``clock`` and ``sleep`` are injectable (tests).
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval, self._clock, self._sleep = 1.0 / rate, clock, sleep
        self._next = 0.0

    def wait(self) -> None:
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._interval


class Waiter(Protocol):
    """What :meth:`Pacer.acquire` waits on: a :class:`threading.Event` (set means stop)."""

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds; return ``True`` if told to stop."""
        ...

    def is_set(self) -> bool:
        """Whether told to stop."""
        ...


@dataclass(frozen=True)
class Slot:
    """A send slot handed out by :meth:`Pacer.acquire`; give it back with the call's answer.

    :param at: when the call may be sent (on the pacer's clock).
    :param pace: the pace, in calls per second, when the slot was handed out.
    :param epoch: how many decreases the pacer had made then (older slots' 429s are the same event).
    :param plan: how many times the plan changed then (a decrease, a hold): a slot handed out under an
        older plan and not yet used is taken again, at the new pace.
    :param probe: the one slot let through during a hold, to see whether the budget is back already.
    :param recheck: not a send slot but when to look again: during a hold, or while other callers' slots
        come first (the plan may change meanwhile).
    """

    at: float
    pace: float
    epoch: int
    plan: int
    probe: bool = False
    recheck: bool = False


@dataclass(frozen=True)
class PacerStats:
    """What a pacer did: for the progress log and the summary."""

    #: The pace now, in calls per second (``None`` when unpaced).
    pace: float | None
    #: The pace it settled on: the recent average of the pace.
    settled: float | None
    #: 429 answers it was told of.
    rate_limited: int
    #: How many times it lowered the pace.
    decreases: int


class Pacer:
    """Evenly spaced send slots shared by threads, at a pace that adapts to Attio's 429s.

    ::

        pacer = Pacer(25.0)
        slot = pacer.acquire(stop)          # blocks until this caller may send; None if stopped
        try:
            send()
        except RateLimited as err:
            wait = pacer.rate_limited(slot, err.retry_after)   # lowers the pace
            stop.wait(wait)                 # then acquire a slot again and resend
        else:
            pacer.succeeded(slot)

    :param writes_per_second: the starting pace and the cap, or ``None`` for no pacing (429s still make
        the rate-limited call wait, and back-to-back 429s hold everyone).
    :param clock: a monotonic clock, in seconds.
    :param rng: the randomness of the slots and the plateau (seed it in tests).
    """

    def __init__(
        self,
        writes_per_second: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if writes_per_second is not None and not writes_per_second > 0:
            raise ValueError("writes_per_second must be positive, or None for no pacing")
        self._cap = writes_per_second
        self._clock = clock
        self._rng = rng or random.Random()  # not cryptographic: desynchronises runs
        self._lock = threading.Lock()
        now = clock()
        self._pace = writes_per_second or 0.0
        self._floor = max(MIN_PACE, (writes_per_second or 0.0) * MIN_SHARE)
        self._ceiling: float | None = None
        self._updated = now
        self._next = now
        self._hold_until = now
        self._probe_at: float | None = None
        self._probes = 0
        self._plan = 0
        self._last_sent = now
        self._epoch = 0
        self._plateau_until: float | None = None
        self._probing_since: float | None = None
        self._streak = 0
        self._last_429 = -math.inf
        self._last_event: float | None = None
        self._gap: float | None = None  # the typical time between this run's congestion events
        self._held: deque[tuple[float, float]] = deque()  # the last holds: (start, end)
        self._passed: deque[float] = deque()  # when the calls of the last second were let through
        self._rate_limited = 0
        self._decreases = 0
        # The settled pace: an average of the pace over the recent past, weighted towards now (an
        # exponential average, corrected for its start so that a short run reports its own average).
        self._settled_sum = 0.0
        self._settled_weight = 0.0
        self._settled_at = now

    # -- slots -------------------------------------------------------------------------------------------

    def reserve(self) -> tuple[Slot, float]:
        """Take the next slot without waiting; return it and how long from now until it comes."""
        with self._lock:
            now = self._clock()
            self._advance(now)
            if self._probe_at is not None and self._hold_until > now:
                # During a hold, one call goes early: if it passes, the budget is back (a limiter that
                # frees budget continuously, not at the date's whole second), and the hold ends.
                probe_at, self._probe_at = max(self._probe_at, now), None
                return Slot(probe_at, self._pace, self._epoch, self._plan, probe=True), probe_at - now
            grid = max(self._next, now, self._hold_until)
            look = now + (1.0 / self._pace if self._cap is not None else FALLBACK_WAIT)
            if look < grid:
                # Held, or other callers' slots come first: look again in an interval rather than
                # sleep until then, since the plan may change meanwhile (a probe that ends the hold
                # early, a pace that grew: slots handed out far ahead would keep the old spacing).
                return Slot(look, self._pace, self._epoch, self._plan, recheck=True), look - now
            slot_at = grid
            if self._cap is not None:
                interval = 1.0 / self._pace
                self._next = grid + interval
                # Each slot a little late on its grid point, at random: runs pacing at the same pace
                # don't lock phase (one of them always finding the budget spent), and no span of N
                # slots is shorter than N - 1 intervals minus the jitter.
                slot_at += self._rng.uniform(0.0, SLOT_JITTER) * interval
            slot = Slot(slot_at, self._pace, self._epoch, self._plan)
        return slot, slot_at - now

    def still_valid(self, slot: Slot) -> bool:
        """Whether a reserved slot may be used now (else the caller takes a new one): the pace didn't
        drop, no hold started since it was handed out, and it isn't a recheck. Call it when the slot
        comes, before sending."""
        with self._lock:
            if slot.plan != self._plan or slot.recheck:
                return False
            self._last_sent = max(self._last_sent, slot.at)
            return True

    def acquire(self, stop: Waiter) -> Slot | None:
        """Wait for this caller's slot; ``None`` if ``stop`` was set meanwhile."""
        while True:
            slot, delay = self.reserve()
            if delay > 0:
                if stop.wait(delay):
                    return None
            elif stop.is_set():
                return None
            if self.still_valid(slot):
                return slot

    # -- answers -----------------------------------------------------------------------------------------

    def succeeded(self, slot: Slot) -> None:
        """The call sent in ``slot`` was not rate limited (whatever else its answer was)."""
        with self._lock:
            self._streak = 0
            now = self._clock()
            self._passed.append(now)
            if slot.probe and self._hold_until > now:
                # The budget is back before the date said: end the hold, and plan from now.
                start, _ = self._held[-1]
                self._held[-1] = (start, now)
                self._hold_until = now
                self._plan += 1
                # One interval on: the budget frees as the calls of a second ago age, not all at once.
                self._next = now + (1.0 / self._pace if self._cap is not None else 0.0)
            self._forget_passed(now)

    def rate_limited(self, slot: Slot, retry_after: float | None) -> float:
        """The call sent in ``slot`` got a 429: adapt, and return how long that call should wait.

        :param retry_after: the seconds until ``Retry-After`` (``None`` when missing or unreadable; ``0``
            for a date already past).
        :return: seconds to wait before taking a new slot for the retry.
        """
        with self._lock:
            now = self._clock()
            self._advance(now)
            self._rate_limited += 1
            self._streak += 1  # 429s in a row: no call let through in between
            close = now - self._last_429 <= 1.0
            self._last_429 = now
            wait = self._fallback_or(retry_after)
            if slot.probe:
                # The budget is still spent: the hold goes on, as the date said, with one more probe
                # when the budget may be back for a limiter that frees it as calls age (see _next_probe).
                self._probe_at = self._next_probe(now)
                return wait
            if slot.epoch != self._epoch:
                return wait  # sent before the last decrease: the same congestion event
            # A new congestion event: this call was sent at the current pace. Lower it, once.
            # And the answer before, within a second, was a 429 too: the budget is spent for now.
            spent = self._streak > 1 and close
            self._forget_passed(now)
            self._decrease(spent, now)
            # Slots handed out at the old pace are taken again: the new pace applies from now.
            self._plan += 1
            self._next = now if self._cap is None else max(now, self._last_sent + 1.0 / self._pace)
            if spent:
                # Hold every caller until then.
                self._held.append((max(now, self._hold_until), now + wait))
                self._hold_until = max(self._hold_until, now + wait)
                self._next = max(self._next, self._hold_until)
                self._probes = 0
                self._probe_at = self._next_probe(now)
                while len(self._held) > 4:
                    self._held.popleft()
            return wait

    def _next_probe(self, now: float) -> float | None:
        """When to let one call through during the hold, or ``None``: the first probe after one slot; the
        next when this run's oldest call of the last second leaves a one-second window (a sliding window
        frees budget then, before the date's whole second); at most ``MAX_PROBES`` per hold."""
        if self._probes >= MAX_PROBES:
            return None
        self._probes += 1
        probe_at = now + (1.0 / self._pace if self._cap is not None else FALLBACK_WAIT)
        self._forget_passed(now)
        if self._probes > 1 and self._passed:
            probe_at = max(probe_at, self._passed[0] + 1.0)
        return probe_at if probe_at < self._hold_until else None

    def _fallback_or(self, retry_after: float | None) -> float:
        if retry_after is not None and retry_after > 0:
            return float(retry_after)
        return float(min(MAX_FALLBACK_WAIT, FALLBACK_WAIT * 2 ** max(0, self._streak - 1)))

    def stats(self) -> PacerStats:
        """The pace now, the pace settled on, the 429s heard and the decreases made."""
        with self._lock:
            self._advance(self._clock())
            paced = self._cap is not None
            return PacerStats(
                pace=round(self._pace, 2) if paced else None,
                settled=round(self._settled(), 2) if paced else None,
                rate_limited=self._rate_limited,
                decreases=self._decreases,
            )

    @property
    def pace(self) -> float | None:
        """The current pace in calls per second (``None`` when unpaced)."""
        with self._lock:
            self._advance(self._clock())
            return self._pace if self._cap is not None else None

    @property
    def ceiling(self) -> float | None:
        """The pace that last overran (``None`` before any 429, or once probing passed the cap)."""
        with self._lock:
            return self._ceiling

    # -- the control law (call with the lock held) -------------------------------------------------------

    def _decrease(self, spent: bool, now: float) -> None:
        self._epoch += 1
        if self._cap is None:
            return
        if spent:
            # Far too fast. What Attio let through in the last second is this run's share of the budget
            # (whatever the limiter): go down to that, and don't go back up to where it ran out.
            # Per second of the last one that this run could send in (not held).
            held = sum(max(0.0, min(end, now) - max(start, now - 1.0)) for start, end in self._held)
            share, before = len(self._passed) / max(0.25, 1.0 - held), self._pace
            self._pace = max(self._floor, before * HARD_DECREASE, min(before * DECREASE, share))
            self._ceiling = self._pace / (1 - MARGIN)
        else:
            if self._ceiling is not None and self._pace < self._ceiling:
                # Overran below the last ceiling: the budget shrank, most likely another writer came.
                # Give back more than the margin, so concurrent runs converge to equal shares quickly.
                self._ceiling = self._pace * (1 - CONVERGE)
            else:
                self._ceiling = self._pace
            self._pace = max(self._floor, self._pace * DECREASE)
        self._decreases += 1
        if self._last_event is not None:
            gap = now - self._last_event
            self._gap = gap if self._gap is None else self._gap + GAP_WEIGHT * (gap - self._gap)
        self._last_event = now
        self._plateau_until = None
        self._probing_since = None

    def _advance(self, now: float) -> None:
        """Move the pace forward to ``now``: recover towards the ceiling, rest, then probe upwards."""
        if self._cap is None:
            return
        start = max(self._updated, min(now, self._hold_until))  # the pace doesn't grow while held
        self._updated = max(self._updated, now)
        self._track_settled(now)
        if self._ceiling is None or now <= start:
            return
        cap, ceiling = self._cap, self._ceiling
        target = min(cap, ceiling * (1 - MARGIN))
        t = start
        if self._pace < target:
            gap = ceiling - self._pace
            self._pace = min(target, ceiling - gap * math.exp(-(now - t) / RECOVERY_SECONDS))
            if self._pace < target:
                return
            # Reached the target at the moment the gap shrank to ceiling - target.
            t = min(now, t + RECOVERY_SECONDS * math.log(gap / max(ceiling - target, 1e-12)))
        if self._plateau_until is None:
            self._plateau_until = t + PLATEAU_SECONDS * self._rng.uniform(0.5, 1.5)
        if now <= self._plateau_until:
            return
        if self._probing_since is None:
            self._probing_since = self._plateau_until
        t = max(t, self._plateau_until)
        # Additive increase whose speed doubles every PROBE_DOUBLING_SECONDS: integrate it over [t, now].
        k = math.log(2) / PROBE_DOUBLING_SECONDS
        t0, t1 = t - self._probing_since, now - self._probing_since
        self._pace += PROBE * cap / k * (math.exp(k * t1) - math.exp(k * t0))
        self._pace += QUIET_GROWTH * cap * self._quiet_seconds(t, now)
        if self._pace >= cap:
            # Reached the cap without a 429: the old ceiling no longer holds.
            self._pace, self._ceiling = cap, None
            self._plateau_until = self._probing_since = None

    def _quiet_seconds(self, since: float, now: float) -> float:
        """How much of ``[since, now]`` this run has been quiet: no congestion event for longer than its
        typical gap between them (only once it has had two: a lone run's one 429 tells nothing)."""
        if self._gap is None or self._last_event is None:
            return 0.0
        patience = min(QUIET_MAX_SECONDS, max(QUIET_MIN_SECONDS, QUIET_FACTOR * self._gap))
        return max(0.0, now - max(since, self._last_event + patience))

    def _forget_passed(self, now: float) -> None:
        while self._passed and self._passed[0] <= now - 1.0:
            self._passed.popleft()

    def _track_settled(self, now: float) -> None:
        elapsed = now - self._settled_at
        if elapsed > 0:
            decay = math.exp(-elapsed / SETTLED_SECONDS)
            self._settled_sum = self._settled_sum * decay + self._pace * (1 - decay)
            self._settled_weight = self._settled_weight * decay + (1 - decay)
            self._settled_at = now

    def _settled(self) -> float:
        return self._settled_sum / self._settled_weight if self._settled_weight > 0 else self._pace


def paced_call(pacer: Pacer, stop: Waiter, max_wait: float, call: Callable[[Pacing], T]) -> T | None:
    """Run one call in a slot of ``pacer``, its retries paced too; ``None`` when stopped before it was sent.

    ``call`` sends with the :class:`Pacing` it is given: after a 429, the call waits as the pacer says (at
    most ``max_wait``) and takes a new slot; after any other retryable failure, the hook's backoff and then
    a new slot (the hook's retry count and budget apply). The last slot is reported once the call ends.

    :param pacer: the run's pacer.
    :param stop: set when the run stops (no slot is taken, no wait goes on, after that).
    :param max_wait: the longest a 429 waits, in seconds.
    :param call: the call, e.g. ``lambda pacing: hook.run(procedure, pacing)``.
    """
    slot = pacer.acquire(stop)
    if slot is None:
        return None
    current = [slot]

    def take_slot() -> bool:
        again = pacer.acquire(stop)
        if again is not None:
            current[0] = again
        return again is not None

    def gate(retry_after: float | None) -> bool:
        wait = min(pacer.rate_limited(current[0], retry_after), max_wait)
        return not stop.wait(wait) and take_slot()

    def resend() -> bool:
        # A 5xx or a lost answer, after the hook's backoff: not a 429, and the resend is paced too.
        # Its slot is reported once: here, or below when no new slot comes (stopped).
        answered = current[0]
        if not take_slot():
            return False
        pacer.succeeded(answered)
        return True

    try:
        result = call(Pacing(gate, resend))
    except AttioRateLimitError:
        if stop.is_set():
            return None  # stopped while waiting: that call was not applied (a 429 is never applied)
        raise
    except BaseException:
        pacer.succeeded(current[0])  # whatever went wrong, the last answer was not a 429
        raise
    pacer.succeeded(current[0])
    return result

"""Read and write budgets, as Attio has (100 reads/s and 25 writes/s there), under one of four models.

Attio doesn't document its limiter's algorithm, so the emulator offers four, one per plausible reading:

- ``token_bucket`` (the default): a bucket of W tokens that refills at W per second. A burst of W
  passes at once; after that, one request per 1/W seconds.
- ``fixed_window``: W requests per wall-clock second (from ``x.000`` to ``x.999``). W requests at
  ``x.99`` and W more at ``x+1.01`` all pass. A 429's ``Retry-After`` is the start of the next second.
- ``sliding_window``: strictly at most W requests in any one-second span. A 429's ``Retry-After`` is
  when the oldest counted request leaves the span, rounded up to a whole second.
- ``sliding_log``: the sliding window kept as a log of every attempt, as a limiter that records a
  request before checking it does: refused requests count too, so a client that keeps sending while
  refused stays refused until it pauses. A 429's ``Retry-After`` is when enough attempts have left.

Except in ``sliding_log``, a refused request is not counted. ``acquire`` answers with the second a
client may retry at: an HTTP date names whole seconds, so it is rounded up, and it is never earlier
than the next second."""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Protocol

from airflow_provider_attio.testing.clock import SYSTEM_CLOCK, Clock

#: The rate-limit models, the default first.
RATE_LIMIT_MODELS: tuple[str, ...] = ("token_bucket", "fixed_window", "sliding_window", "sliding_log")


class _Budget(Protocol):
    def take(self) -> int | None:
        """Spend one request and return None, or return the epoch second to retry at."""
        ...


def _retry_second(wall: float, wait: float) -> int:
    """Return the epoch second to retry at: ``wait`` after ``wall``, rounded up, at least the next second."""
    return max(math.floor(wall) + 1, math.ceil(wall + wait))


class _TokenBucket:
    """A token bucket holding up to one second's worth of requests."""

    def __init__(self, rate: float, clock: Clock) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self.tokens = self.capacity
        self.clock = clock
        self.monotonic = clock.monotonic  # bound once: this runs on every limited request
        self.updated = clock.monotonic()

    def take(self) -> int | None:
        now = self.monotonic()
        elapsed = now - self.updated
        self.updated = now
        if elapsed > 0:  # a fake clock set back refills nothing
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return _retry_second(self.clock.time(), (1 - self.tokens) / self.rate)


class _FixedWindow:
    """``budget`` requests per wall-clock second."""

    def __init__(self, budget: int, clock: Clock) -> None:
        self.budget = budget
        self.time = clock.time
        self.window = math.floor(clock.time())
        self.used = 0

    def take(self) -> int | None:
        window = math.floor(self.time())
        if window != self.window:
            self.window, self.used = window, 0
        if self.used < self.budget:
            self.used += 1
            return None
        return window + 1


class _SlidingWindow:
    """At most ``budget`` requests in any one-second span: the times of the last ones are kept."""

    def __init__(self, budget: int, clock: Clock) -> None:
        self.budget = budget
        self.clock = clock
        self.monotonic = clock.monotonic
        self.times: deque[float] = deque()

    def take(self) -> int | None:
        now = self.monotonic()
        times = self.times
        # A request at t counts during [t, t + 1): at t + 1 it has left.
        while times and times[0] + 1.0 <= now:
            times.popleft()
        if len(times) < self.budget:
            times.append(now)
            return None
        wall = self.clock.time()
        # When the oldest leaves, on the wall clock: wall + (times[0] + 1 - now), summed so that a
        # fake clock (wall == now) gives times[0] + 1 exactly.
        return max(math.floor(wall) + 1, math.ceil(times[0] + 1.0 + (wall - now)))


class _SlidingLog(_SlidingWindow):
    """A sliding window that logs every attempt, refused ones too."""

    def take(self) -> int | None:
        refused = super().take()
        if refused is None:
            return None
        now = self.monotonic()
        self.times.append(now)  # counted although refused
        # Free again once all but budget - 1 of the logged attempts have left the span.
        leaves = self.times[len(self.times) - self.budget] + 1.0
        wall = self.clock.time()
        return max(math.floor(wall) + 1, math.ceil(leaves + (wall - now)))


def _budget(rate: float | None, model: str, clock: Clock) -> _Budget | None:
    if rate is None:
        return None
    if model == "token_bucket":
        return _TokenBucket(rate, clock)
    if model == "fixed_window":
        return _FixedWindow(int(rate), clock)
    if model == "sliding_log":
        return _SlidingLog(int(rate), clock)
    return _SlidingWindow(int(rate), clock)


def check_rate_limits(reads_per_second: float | None, writes_per_second: float | None, model: str) -> None:
    """Raise ValueError unless the budgets and the model make sense together.

    :param reads_per_second: the read budget, or None for no limit.
    :param writes_per_second: the write budget, or None for no limit.
    :param model: one of :data:`RATE_LIMIT_MODELS`.
    """
    if model not in RATE_LIMIT_MODELS:
        raise ValueError(f"unknown rate limit model {model!r}; use one of {', '.join(RATE_LIMIT_MODELS)}")
    for rate in (reads_per_second, writes_per_second):
        if rate is None:
            continue
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise ValueError("a rate limit must be positive, or None for no limit")
        if model != "token_bucket" and rate != int(rate):
            raise ValueError(f"the {model} model counts whole requests per second: got {rate!r}")


class RateLimiter:
    """Separate read and write budgets under one model, read from one clock.

    :param reads_per_second: the read budget, or None for no limit.
    :param writes_per_second: the write budget, or None for no limit.
    :param model: one of :data:`RATE_LIMIT_MODELS`.
    :param clock: where the time comes from; the real clocks by default.
    """

    def __init__(
        self,
        reads_per_second: float | None,
        writes_per_second: float | None,
        model: str = "token_bucket",
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.clock = clock
        self.model = model
        self._lock = threading.Lock()
        self._budgets: dict[str, _Budget | None] = {}
        self.set(reads_per_second, writes_per_second, model)

    def set(
        self, reads_per_second: float | None, writes_per_second: float | None, model: str | None = None
    ) -> None:
        """Replace both budgets, full (None: no limit), and the model (None: keep the current one)."""
        model = self.model if model is None else model
        check_rate_limits(reads_per_second, writes_per_second, model)
        with self._lock:
            self.model = model
            self._budgets = {
                "read": _budget(reads_per_second, model, self.clock),
                "write": _budget(writes_per_second, model, self.clock),
            }

    def acquire(self, kind: str) -> int | None:
        """Spend one request of the ``"read"`` or ``"write"`` budget.

        :return: None when allowed, else the epoch second the request would be allowed at (a whole
            second, for a ``Retry-After`` HTTP date).
        """
        budget = self._budgets[kind]
        if budget is None:
            return None
        with self._lock:
            return budget.take()

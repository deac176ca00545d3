"""A deterministic simulation of bulk runs pacing against the emulator's rate limiters, on a fake clock.

Each run is a :class:`~airflow_provider_attio.pacing.Pacer` and a few workers (as the bulk engine has);
every request is spent against the emulator's own limiter model (``testing/ratelimits.py``) when it
arrives, after a seeded random delay standing for thread wake-up and network jitter. No thread, no
socket, no sleep: a run of minutes of simulated time takes a fraction of a second, the same on any
machine. The engine's real behaviour over HTTP is covered by the integration tests and ``make bench``.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from airflow_provider_attio.pacing import Pacer, Slot
from airflow_provider_attio.testing import FakeClock
from airflow_provider_attio.testing.ratelimits import RateLimiter

#: Where the simulated time starts: a whole second (plus each scenario's phase).
START = 1_700_000_000.0


@dataclass
class RunResult:
    """What one simulated bulk run did."""

    records: int
    requests: int = 0
    rate_limited: int = 0
    started: float = 0.0
    finished: float = 0.0
    pacer: Pacer | None = None

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def rate(self) -> float:
        return self.records / self.seconds


@dataclass
class Scenario:
    """One simulated workspace: a write budget under a model, and runs started together."""

    model: str
    budget: int
    records: list[int]
    workers: int = 8
    writes_per_second: float | None = None  # the runs' setting; the budget by default
    latency: float = 0.0  # one way, seconds
    jitter: float = 0.002  # mean of the exponential send delay, seconds
    spike_share: float = 0.02  # share of requests delayed by a spike...
    spike: float = 0.02  # ...of up to this many seconds
    seed: int = 1
    phase: float = 0.37  # where in a wall-clock second the runs start
    results: list[RunResult] = field(default_factory=list)

    def run(self) -> list[RunResult]:
        """Simulate until every record is deleted; return each run's result."""
        rng = random.Random(self.seed)
        now = START + self.phase
        clock = FakeClock(now)
        limiter = RateLimiter(None, self.budget, model=self.model, clock=clock)
        events: list[tuple[float, int, Callable[[], None]]] = []
        order = itertools.count()
        sim_time = [now]

        def at(when: float, action: Callable[[], None]) -> None:
            heapq.heappush(events, (when, next(order), action))

        def delay() -> float:
            extra = rng.uniform(0, self.spike) if rng.random() < self.spike_share else 0.0
            return self.latency + rng.expovariate(1 / self.jitter) + extra

        pace = self.writes_per_second or float(self.budget)
        for index, count in enumerate(self.records):
            result = RunResult(count, started=now)
            pacer = Pacer(pace, clock=lambda: sim_time[0], rng=random.Random(self.seed * 100 + index))
            result.pacer = pacer
            self.results.append(result)
            queue = iter(range(count))
            left = [count]
            for _ in range(min(self.workers, count)):
                self._worker(pacer, result, queue, left, at, delay, limiter, clock, sim_time)
        while events:
            when, _, action = heapq.heappop(events)
            sim_time[0] = when
            action()
        return self.results

    def _worker(
        self,
        pacer: Pacer,
        result: RunResult,
        queue: itertools.count | object,
        left: list[int],
        at: Callable[[float, Callable[[], None]], None],
        delay: Callable[[], float],
        limiter: RateLimiter,
        clock: FakeClock,
        sim_time: list[float],
    ) -> None:
        def take_record() -> None:
            if next(queue, None) is not None:  # type: ignore[call-overload]
                acquire()

        def acquire() -> None:
            slot, wait = pacer.reserve()
            at(sim_time[0] + max(0.0, wait), lambda: send(slot))

        def send(slot: Slot) -> None:
            if not pacer.still_valid(slot):
                acquire()
                return
            result.requests += 1
            at(sim_time[0] + delay(), lambda: arrive(slot))

        def arrive(slot: Slot) -> None:
            clock.set(sim_time[0])
            retry_at = limiter.acquire("write")
            at(sim_time[0] + delay(), lambda: answer(slot, retry_at))

        def answer(slot: Slot, retry_at: int | None) -> None:
            if retry_at is None:
                pacer.succeeded(slot)
                left[0] -= 1
                if left[0] == 0:
                    result.finished = sim_time[0]
                take_record()
                return
            result.rate_limited += 1
            wait = pacer.rate_limited(slot, max(0.0, retry_at - sim_time[0]))
            at(sim_time[0] + wait, acquire)

        take_record()

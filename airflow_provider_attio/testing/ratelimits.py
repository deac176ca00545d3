"""Read and write budgets, as Attio has (100 reads/s and 25 writes/s there): token buckets on a clock.

A bucket holds W tokens and refills at W per second: a burst of W passes at once, then one request per
1/W seconds. A refused request is not counted. ``acquire`` answers with the second a client may retry
at: an HTTP date names whole seconds, so it is rounded up, and it is never earlier than the next second.
"""

from __future__ import annotations

import math
import threading

from airflow_provider_attio.testing.clock import SYSTEM_CLOCK, Clock


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
        self.updated = clock.monotonic()

    def take(self) -> int | None:
        now = self.clock.monotonic()
        # max(): a fake clock may be set back; that refills nothing.
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return _retry_second(self.clock.time(), (1 - self.tokens) / self.rate)


def check_rate_limits(reads_per_second: float | None, writes_per_second: float | None) -> None:
    """Raise ValueError unless both budgets are positive or None.

    :param reads_per_second: the read budget, or None for no limit.
    :param writes_per_second: the write budget, or None for no limit.
    """
    for rate in (reads_per_second, writes_per_second):
        if rate is not None and (
            isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0
        ):
            raise ValueError("a rate limit must be positive, or None for no limit")


class RateLimiter:
    """Separate read and write budgets, read from one clock.

    :param reads_per_second: the read budget, or None for no limit.
    :param writes_per_second: the write budget, or None for no limit.
    :param clock: where the time comes from; the real clocks by default.
    """

    def __init__(
        self,
        reads_per_second: float | None,
        writes_per_second: float | None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._budgets: dict[str, _TokenBucket | None] = {}
        self.set(reads_per_second, writes_per_second)

    def set(self, reads_per_second: float | None, writes_per_second: float | None) -> None:
        """Replace both budgets, full (None: no limit)."""
        check_rate_limits(reads_per_second, writes_per_second)
        with self._lock:
            self._budgets = {
                "read": _TokenBucket(reads_per_second, self.clock) if reads_per_second else None,
                "write": _TokenBucket(writes_per_second, self.clock) if writes_per_second else None,
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

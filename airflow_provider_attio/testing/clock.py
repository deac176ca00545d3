"""The emulator's sense of time: the real clocks by default, or a :class:`FakeClock` a test moves by hand.

The rate limiters need two readings: a monotonic one, to measure how long ago a request came, and the
wall clock, to name the second in a ``Retry-After`` HTTP date (and, for the fixed-window model, to cut
time into wall-clock seconds). A fake clock makes rate-limit tests independent of the machine's speed.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """What the emulator reads the time from."""

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes back (only differences matter)."""
        ...

    def time(self) -> float:
        """Return the wall-clock time, in seconds since the epoch."""
        ...


class SystemClock:
    """The real clocks: :func:`time.monotonic` and :func:`time.time`."""

    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)


#: The clock an emulator uses unless given another.
SYSTEM_CLOCK = SystemClock()


class FakeClock:
    """A clock that stands still until told to move; both readings are the same, in epoch seconds.

    ::

        clock = FakeClock()
        with AttioEmulator(writes_per_second=25, clock=clock) as emu:
            ...  # 25 writes pass, the 26th is 429 however slow the machine
            clock.advance(1)  # a second later, the budget is back

    :param start: the epoch seconds it shows at first (a whole second by default: 2023-11-14 22:13:20 UTC).
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._lock = threading.Lock()
        self._now = float(start)

    def monotonic(self) -> float:
        """Return the current fake time."""
        return self._now

    def time(self) -> float:
        """Return the current fake time, as epoch seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward.

        :param seconds: how far; must not be negative.
        :raises ValueError: for a negative step.
        """
        if seconds < 0:
            raise ValueError("a clock only moves forward: seconds must not be negative")
        with self._lock:
            self._now += seconds

    def set(self, epoch: float) -> None:
        """Show ``epoch`` from now on, even an earlier time (to start a new test from a known moment).

        :param epoch: seconds since the epoch.
        """
        with self._lock:
            self._now = float(epoch)

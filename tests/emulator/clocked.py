"""An emulator on a fake clock, for rate-limit tests that mustn't depend on how fast the machine is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate, parsedate_to_datetime

import requests

from airflow_provider_attio.testing import AttioEmulator, FakeClock
from tests.emulator.conftest import TOKEN

#: Where each test's fake clock starts: a whole second (2023-11-14 22:13:20 UTC).
START = 1_700_000_000.0


@contextmanager
def clocked_emulator() -> Iterator[tuple[AttioEmulator, FakeClock]]:
    """Serve an emulator whose rate limits read a fake clock, which stands still until a test moves it."""
    clock = FakeClock(START)
    with AttioEmulator(token=TOKEN, clock=clock) as emulator:
        yield emulator, clock


def restart(emulator: AttioEmulator, clock: FakeClock, at: float = START) -> None:
    """Set the clock to ``at``, then reset the emulator (its budgets start full at that moment)."""
    clock.set(at)
    emulator.reset()


def http_date(epoch_second: float) -> str:
    """Format an epoch second as the ``Retry-After`` HTTP date Attio sends."""
    return formatdate(epoch_second, usegmt=True)


def retry_at(response: requests.Response) -> float:
    """Return a 429's ``Retry-After`` as epoch seconds, checking it is an HTTP date."""
    header = response.headers["Retry-After"]
    assert header.endswith(" GMT"), header  # an HTTP date, as Attio sends, not delta-seconds
    return parsedate_to_datetime(header).timestamp()

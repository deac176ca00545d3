"""Read and write budgets: 429, Attio's body, an HTTP-date Retry-After; a limited call changes nothing.

The emulator here reads a fake clock that stands still until a test moves it, so no budget refills
behind a test's back, however slow the machine (see ``clocked.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from airflow_provider_attio.testing import AttioEmulator, FakeClock
from tests.emulator.clocked import START, clocked_emulator, http_date, restart, retry_at
from tests.emulator.conftest import TOKEN, Api, person

RATE_LIMITED = {
    "status_code": 429,
    "type": "rate_limit_error",
    "code": "rate_limit_exceeded",
    "message": "Rate limit exceeded, please try again later",
}


@pytest.fixture(scope="module")
def _clocked() -> Iterator[tuple[AttioEmulator, FakeClock]]:
    with clocked_emulator() as pair:
        yield pair


@pytest.fixture
def clock(_clocked: tuple[AttioEmulator, FakeClock]) -> FakeClock:
    """The emulator's fake clock, at ``START``, with the emulator reset."""
    restart(*_clocked)
    return _clocked[1]


@pytest.fixture
def emu(_clocked: tuple[AttioEmulator, FakeClock], clock: FakeClock) -> AttioEmulator:
    """This module's emulator, on the fake clock (it replaces conftest's, so ``api`` uses it too)."""
    return _clocked[0]


@pytest.fixture
def limited(emu: AttioEmulator) -> AttioEmulator:
    # One request per second each way: a second call before the clock moves is over the limit.
    emu.set_rate_limits(reads_per_second=1, writes_per_second=1)
    return emu


def test_write_over_the_limit_is_429_and_changes_nothing(limited: AttioEmulator) -> None:
    api = Api(limited.base_url)
    first, second = person(limited), person(limited, "Grace Hopper")
    assert api.delete(f"/v2/objects/people/records/{first}").status_code == 200
    response = api.delete(f"/v2/objects/people/records/{second}")
    assert response.status_code == 429
    assert response.json() == RATE_LIMITED
    # The bucket refills a token per second: the next second, as an HTTP date.
    assert response.headers["Retry-After"] == http_date(START + 1)
    assert limited.get_record("people", second) is not None  # not processed
    assert limited.count("DELETE", status=429) == 1


def test_waiting_until_retry_after_is_enough(emu: AttioEmulator, api: Api, clock: FakeClock) -> None:
    emu.set_rate_limits(reads_per_second=5, writes_per_second=None)
    clock.advance(0.5)
    assert [api.get("/v2/objects/people").status_code for _ in range(5)] == [200] * 5
    limited_response = api.get("/v2/objects/people")
    assert limited_response.status_code == 429
    # A token is back 0.2 s later, at START + 0.7: the date names the whole second after that.
    assert retry_at(limited_response) == START + 1
    assert api.get("/v2/objects/people").status_code == 429  # no time passed, nothing refilled
    clock.set(START + 0.5 + 0.19)
    assert api.get("/v2/objects/people").status_code == 429  # 0.95 of a token
    clock.set(retry_at(limited_response))
    assert api.get("/v2/objects/people").status_code == 200


def test_retry_after_is_rounded_up_to_a_whole_second(emu: AttioEmulator, api: Api, clock: FakeClock) -> None:
    emu.set_rate_limits(reads_per_second=5, writes_per_second=None)
    clock.advance(0.9)
    for _ in range(5):
        api.get("/v2/self")
    # The next token comes at START + 1.1: START + 1 would be too early.
    assert retry_at(api.get("/v2/self")) == START + 2


def test_reads_and_writes_have_separate_budgets(limited: AttioEmulator) -> None:
    api = Api(limited.base_url)
    create = {"data": {"values": {"name": "Ada"}}}
    assert api.post("/v2/objects/people/records", json=create).status_code == 200
    assert api.post("/v2/objects/people/records", json=create).status_code == 429  # writes spent
    assert api.get("/v2/self").status_code == 200  # /v2/self is a read
    assert api.post("/v2/objects/people/records/query", json={}).status_code == 429  # a query is a read too
    assert len(limited.record_ids("people")) == 1


def test_each_read_endpoint_draws_on_the_read_budget(limited: AttioEmulator) -> None:
    api = Api(limited.base_url)
    rid = person(limited)
    calls = [
        ("GET", "/v2/self", None),
        ("GET", "/v2/objects/people", None),
        ("GET", f"/v2/objects/people/records/{rid}", None),
        ("POST", "/v2/objects/people/records/query", {}),
    ]
    for method, path, body in calls:
        limited.set_rate_limits(reads_per_second=1, writes_per_second=None)  # a full budget of one
        assert api.call(method, path, json=body).status_code == 200
        assert api.call(method, path, json=body).status_code == 429, path


def test_unauthorized_calls_use_no_budget(limited: AttioEmulator) -> None:
    api = Api(limited.base_url)
    for _ in range(3):
        assert api.get("/v2/objects/people", token="wrong").status_code == 401
    assert api.get("/v2/objects/people").status_code == 200


def test_a_burst_within_the_budget_passes(api: Api, emu: AttioEmulator, clock: FakeClock) -> None:
    emu.set_rate_limits(reads_per_second=20, writes_per_second=None)
    statuses = [api.get("/v2/objects/people").status_code for _ in range(50)]
    # A budget of 20 per second: the first 20 pass at once, and with no time passing nothing more.
    assert statuses == [200] * 20 + [429] * 30
    clock.advance(0.5)  # half a second refills half the budget
    assert [api.get("/v2/self").status_code for _ in range(12)] == [200] * 10 + [429] * 2
    clock.advance(60)  # idle time is not banked beyond one second's budget
    assert [api.get("/v2/self").status_code for _ in range(22)] == [200] * 20 + [429] * 2


def test_injected_429_dates_retry_after_by_the_emulators_clock(
    emu: AttioEmulator, api: Api, clock: FakeClock
) -> None:
    clock.advance(0.25)
    emu.fail_next(1, 429)
    response = api.get("/v2/objects/people")
    assert response.json() == RATE_LIMITED
    assert response.headers["Retry-After"] == http_date(START + 1)


def test_set_rate_limits_none_removes_them(limited: AttioEmulator) -> None:
    limited.set_rate_limits(None, None)
    api = Api(limited.base_url)
    assert all(api.get("/v2/self").status_code == 200 for _ in range(10))


def test_set_rate_limits_starts_full(limited: AttioEmulator) -> None:
    api = Api(limited.base_url)
    assert [api.get("/v2/self").status_code for _ in range(2)] == [200, 429]
    limited.set_rate_limits(reads_per_second=1, writes_per_second=1)
    assert [api.get("/v2/self").status_code for _ in range(2)] == [200, 429]


def test_rate_limits_must_be_positive(emu: AttioEmulator) -> None:
    with pytest.raises(ValueError, match="positive"):
        emu.set_rate_limits(0, None)
    with pytest.raises(ValueError, match="positive"):
        AttioEmulator(writes_per_second=-1)


def test_the_real_clock_by_default() -> None:
    # One read per 1000 s: the second read is refused on any machine, and the date is about
    # 1000 s after the first read, however long the two reads took.
    with AttioEmulator(token=TOKEN, reads_per_second=0.001) as emulator:
        api = Api(emulator.base_url)
        before = time.time()
        assert api.get("/v2/self").status_code == 200
        refused = api.get("/v2/self")
        after = time.time()
    assert refused.status_code == 429
    assert before + 999 <= retry_at(refused) <= after + 1001

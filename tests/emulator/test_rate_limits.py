"""Read and write budgets: 429, Attio's body, an HTTP-date Retry-After; a limited call changes nothing."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest
import requests

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import Api, person

RATE_LIMITED = {
    "status_code": 429,
    "type": "rate_limit_error",
    "code": "rate_limit_exceeded",
    "message": "Rate limit exceeded, please try again later",
}


@pytest.fixture
def limited(emu: AttioEmulator) -> AttioEmulator:
    # One request per second each way: a second call made at once is over the limit.
    emu.set_rate_limits(reads_per_second=1, writes_per_second=1)
    return emu


def assert_retry_after_is_the_next_seconds(response: requests.Response) -> None:
    header = response.headers["Retry-After"]
    assert header.endswith(" GMT")  # an HTTP date, as Attio sends, not delta-seconds
    when = parsedate_to_datetime(header).timestamp()
    now = time.time()
    assert now < when <= now + 2  # a whole second in the future, at most the one after next


def test_write_over_the_limit_is_429_and_changes_nothing(limited: AttioEmulator) -> None:
    api = Api(limited.base_url)
    first, second = person(limited), person(limited, "Grace Hopper")
    assert api.delete(f"/v2/objects/people/records/{first}").status_code == 200
    response = api.delete(f"/v2/objects/people/records/{second}")
    assert response.status_code == 429
    assert response.json() == RATE_LIMITED
    assert_retry_after_is_the_next_seconds(response)
    assert limited.get_record("people", second) is not None  # not processed
    assert limited.count("DELETE", status=429) == 1


def test_waiting_until_retry_after_is_enough(emu: AttioEmulator, api: Api) -> None:
    emu.set_rate_limits(reads_per_second=5, writes_per_second=None)
    assert [api.get("/v2/objects/people").status_code for _ in range(5)] == [200] * 5
    limited_response = api.get("/v2/objects/people")
    assert limited_response.status_code == 429
    retry_at = parsedate_to_datetime(limited_response.headers["Retry-After"]).timestamp()
    time.sleep(max(0.0, retry_at - time.time()))
    assert api.get("/v2/objects/people").status_code == 200


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


def test_a_burst_within_the_budget_passes(api: Api, emu: AttioEmulator) -> None:
    emu.set_rate_limits(reads_per_second=20, writes_per_second=None)
    started = time.monotonic()
    statuses = [api.get("/v2/objects/people").status_code for _ in range(50)]
    elapsed = time.monotonic() - started
    # A budget of 20 per second: the first 20 pass at once; after that only what refilled meanwhile
    # (a token every 50 ms) passes, however slow a loaded machine makes the calls.
    assert statuses[:20] == [200] * 20
    assert statuses.count(200) <= 20 + int(elapsed * 20) + 1
    if elapsed < 1.0:
        assert 429 in statuses[20:]


def test_set_rate_limits_none_removes_them(limited: AttioEmulator) -> None:
    limited.set_rate_limits(None, None)
    api = Api(limited.base_url)
    assert all(api.get("/v2/self").status_code == 200 for _ in range(10))


def test_rate_limits_must_be_positive(emu: AttioEmulator) -> None:
    with pytest.raises(ValueError, match="positive"):
        emu.set_rate_limits(0, None)

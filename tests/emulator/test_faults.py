"""Injected faults: failures for the next N calls or a share of them, latency, and dropped connections."""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime

import pytest
import requests

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import Api, person
from tests.helpers import MISSING_ID

RECORDS = "/v2/objects/*/records/*"


@pytest.mark.parametrize(
    ("status", "type_", "code"),
    [
        (400, "invalid_request_error", "validation_type"),
        (401, "auth_error", "unauthorized"),
        (403, "auth_error", "unauthorized"),
        (404, "invalid_request_error", "not_found"),
        (409, "invalid_request_error", "conflict"),
        (429, "rate_limit_error", "rate_limit_exceeded"),
        (500, "api_error", "internal_server_error"),
        (502, "api_error", "bad_gateway"),
        (503, "api_error", "service_unavailable"),
        (504, "api_error", "gateway_timeout"),
        (418, "invalid_request_error", "i'm_a_teapot"),
    ],
)
def test_fail_next_answers_attio_error_bodies(
    emu: AttioEmulator, api: Api, status: int, type_: str, code: str
) -> None:
    rid = person(emu)
    emu.fail_next(1, status)
    response = api.delete(f"/v2/objects/people/records/{rid}")
    assert response.status_code == status
    body = response.json()
    assert (body["status_code"], body["type"], body["code"]) == (status, type_, code)
    assert body["message"]
    assert emu.get_record("people", rid) is not None  # a faulted call changes nothing
    assert api.delete(f"/v2/objects/people/records/{rid}").status_code == 200  # only the next one failed


def test_fail_next_counts_only_matching_calls(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    emu.fail_next(2, 503, method="DELETE", path=RECORDS)
    assert api.get(f"/v2/objects/people/records/{rid}").status_code == 200  # another method
    assert api.call("DELETE", "/v2/lists/sales/entries/x").status_code == 404  # another path
    assert [api.delete(f"/v2/objects/people/records/{rid}").status_code for _ in range(3)] == [503, 503, 200]
    assert emu.count("DELETE", RECORDS, 503) == 2


def test_fault_method_is_case_insensitive(emu: AttioEmulator, api: Api) -> None:
    emu.fail_next(1, 500, method="get")
    assert api.get("/v2/self").status_code == 500


def test_fail_next_comes_before_auth(emu: AttioEmulator, api: Api) -> None:
    emu.fail_next(1, 502)
    assert api.get("/v2/self", token="unknown").status_code == 502


def test_code_override(emu: AttioEmulator, api: Api) -> None:
    emu.fail_next(1, 403, code="billing_error")
    assert api.get("/v2/objects/people").json()["code"] == "billing_error"
    emu.fail_next(1, 404, code="merge_in_progress", path=RECORDS)
    assert api.get(f"/v2/objects/people/records/{person(emu)}").json()["code"] == "merge_in_progress"


def test_injected_429_has_an_http_date_retry_after(emu: AttioEmulator, api: Api) -> None:
    emu.fail_next(1, 429)
    response = api.get("/v2/objects/people")
    assert response.json()["message"] == "Rate limit exceeded, please try again later"
    when = parsedate_to_datetime(response.headers["Retry-After"]).timestamp()
    assert time.time() < when <= time.time() + 2


@pytest.mark.parametrize("status", [429, 503])
def test_exact_retry_after(emu: AttioEmulator, api: Api, status: int) -> None:
    emu.fail_next(1, status, retry_after="1")
    assert api.get("/v2/objects/people").headers["Retry-After"] == "1"


def test_other_failures_have_no_retry_after_unless_asked(emu: AttioEmulator, api: Api) -> None:
    emu.fail_next(1, 503)
    assert "Retry-After" not in api.get("/v2/self").headers


def test_fail_share_all_and_removal(emu: AttioEmulator, api: Api) -> None:
    emu.fail_share(1.0, 500, path="/v2/objects/*")
    assert api.get("/v2/objects/people").status_code == 500
    assert api.get("/v2/self").status_code == 200
    emu.fail_share(0, 500, path="/v2/objects/*")
    assert api.get("/v2/objects/people").status_code == 200


def test_fail_share_is_random_and_seedable(emu: AttioEmulator, api: Api) -> None:
    def run() -> list[int]:
        emu.fail_share(0.3, 503, seed=42)
        statuses = [api.get("/v2/self").status_code for _ in range(200)]
        emu.fail_share(0, 503)
        return statuses

    first, second = run(), run()
    assert first == second  # same seed, same sequence
    assert set(first) == {200, 503}
    assert 30 <= first.count(503) <= 90  # about 30% of 200


def test_fail_share_validates_share(emu: AttioEmulator) -> None:
    with pytest.raises(ValueError):
        emu.fail_share(1.5, 500)
    with pytest.raises(ValueError):
        emu.fail_next(0, 500)


def test_latency_delays_without_blocking_other_requests(emu: AttioEmulator) -> None:
    emu.set_latency(0.5, path="/v2/objects/companies")
    slow_api, fast_api = Api(emu.base_url), Api(emu.base_url)
    slow = threading.Thread(target=slow_api.get, args=("/v2/objects/companies",))
    started = time.monotonic()
    slow.start()
    while emu.in_flight == 0:  # until the slow call is at the server, waiting out its latency
        assert slow.is_alive()
        time.sleep(0.005)
    assert fast_api.get("/v2/objects/people").status_code == 200
    slow.join()
    assert time.monotonic() - started >= 0.5
    # The fast call was answered while the slow one was still waiting: the event loop never blocked.
    assert [r.path for r in emu.requests] == ["/v2/objects/people", "/v2/objects/companies"]


def test_latency_for_the_next_calls_only(emu: AttioEmulator, api: Api) -> None:
    emu.set_latency(1.0, method="GET", count=1)
    started = time.monotonic()
    api.get("/v2/self")
    assert time.monotonic() - started >= 1.0
    started = time.monotonic()
    api.get("/v2/self")
    assert time.monotonic() - started < 1.0  # a loopback call, however loaded the machine


def test_latency_zero_clears(emu: AttioEmulator, api: Api) -> None:
    emu.set_latency(5.0)
    emu.set_latency(0)
    started = time.monotonic()
    api.get("/v2/self")
    assert time.monotonic() - started < 5.0


def test_drop_after_apply_deletes_then_drops_the_connection(emu: AttioEmulator, api: Api) -> None:
    rid, other = person(emu), person(emu, "Grace Hopper")
    emu.drop_after_apply(1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.delete(f"/v2/objects/people/records/{rid}")
    assert emu.get_record("people", rid) is None  # applied
    assert emu.requests[-1].status is None  # and logged as unanswered
    # The retry sees 404: the ambiguous outcome a client must read as "deleted".
    assert api.delete(f"/v2/objects/people/records/{rid}").status_code == 404
    assert api.delete(f"/v2/objects/people/records/{other}").status_code == 200  # only one dropped


def test_drop_after_apply_waits_for_a_successful_matching_call(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    emu.drop_after_apply(1, method="DELETE", path=RECORDS)
    assert api.get(f"/v2/objects/people/records/{rid}").status_code == 200  # not a DELETE
    missing = MISSING_ID
    assert api.delete(f"/v2/objects/people/records/{missing}").status_code == 404  # not applied
    with pytest.raises(requests.exceptions.ConnectionError):
        api.delete(f"/v2/objects/people/records/{rid}")
    assert emu.get_record("people", rid) is None


def test_drop_after_apply_for_creates(emu: AttioEmulator, api: Api) -> None:
    emu.drop_after_apply(1, method="POST", path="/v2/objects/people/records")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/v2/objects/people/records", json={"data": {"values": {"name": "Ada"}}})
    assert len(emu.record_ids("people")) == 1  # created all the same


def test_server_keeps_serving_after_drops(emu: AttioEmulator, api: Api) -> None:
    ids = [person(emu) for _ in range(5)]
    emu.drop_after_apply(5)
    for rid in ids:
        with pytest.raises(requests.exceptions.ConnectionError):
            api.delete(f"/v2/objects/people/records/{rid}")
    assert emu.record_ids("people") == []
    assert api.get("/v2/self").status_code == 200


def test_clear_faults(emu: AttioEmulator, api: Api) -> None:
    emu.fail_next(5, 500)
    emu.fail_share(1, 503)
    emu.set_latency(5)
    emu.drop_after_apply(3)
    emu.clear_faults()
    rid = person(emu)
    assert api.get("/v2/self").status_code == 200
    assert api.delete(f"/v2/objects/people/records/{rid}").status_code == 200

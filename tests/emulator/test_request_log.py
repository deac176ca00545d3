"""The request log: every call, including refused and faulted ones, with its answer."""

from __future__ import annotations

import time

import pytest

from airflow_provider_attio.testing import AttioEmulator, RequestLogEntry
from tests.emulator.conftest import Api, person


def test_every_request_is_logged_with_its_status_and_body(emu: AttioEmulator, api: Api) -> None:
    before = time.time()
    rid = person(emu)  # helpers are not HTTP calls: not logged
    api.get("/v2/self")
    api.get("/v2/self", token="wrong")
    emu.fail_next(1, 503)
    api.post("/v2/objects/people/records/query", json={"limit": 1})
    api.post("/v2/objects/people/records/query", json={"limit": 1})
    api.delete(f"/v2/objects/people/records/{rid}")
    log = emu.requests
    assert [(e.method, e.path, e.status) for e in log] == [
        ("GET", "/v2/self", 200),
        ("GET", "/v2/self", 401),
        ("POST", "/v2/objects/people/records/query", 503),
        ("POST", "/v2/objects/people/records/query", 200),
        ("DELETE", f"/v2/objects/people/records/{rid}", 200),
    ]
    assert log[3].body == {"limit": 1}
    assert log[0].body is None
    assert all(before <= e.time <= time.time() for e in log)
    assert [e.time for e in log] == sorted(e.time for e in log)


def test_entries_are_frozen(emu: AttioEmulator, api: Api) -> None:
    api.get("/v2/self")
    entry = emu.requests[0]
    assert isinstance(entry, RequestLogEntry)
    with pytest.raises(AttributeError):
        entry.status = 500  # type: ignore[misc]


def test_count_with_globs(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    api.get(f"/v2/objects/people/records/{rid}")
    api.delete(f"/v2/objects/people/records/{rid}")
    api.delete(f"/v2/objects/people/records/{rid}")
    api.get("/v2/objects/people")
    assert emu.count() == 4
    assert emu.count("DELETE") == 2
    assert emu.count("delete", status=404) == 1
    assert emu.count(path="/v2/objects/*/records/*") == 3
    assert emu.count("GET", "/v2/objects/people") == 1
    assert emu.count(status=200) == 3


def test_invalid_json_is_logged_without_a_body(emu: AttioEmulator, api: Api) -> None:
    api.post("/v2/objects/people/records/query", data=b"{", headers={"Content-Type": "application/json"})
    assert (emu.requests[0].status, emu.requests[0].body) == (400, None)


def test_clear_log_and_snapshot(emu: AttioEmulator, api: Api) -> None:
    api.get("/v2/self")
    snapshot = emu.requests
    emu.clear_log()
    assert emu.requests == [] and emu.count() == 0
    assert len(snapshot) == 1  # a snapshot, not a view


def test_max_log_entries_keeps_the_latest_but_counts_all() -> None:
    with AttioEmulator(token="t", max_log_entries=2) as emu:
        api = Api(emu.base_url, "t")
        for path in ("/v2/self", "/v2/objects/people", "/v2/objects/deals"):
            api.get(path)
        api.get("/v2/self", token="x")
        assert [e.path for e in emu.requests] == ["/v2/objects/deals", "/v2/self"]
        assert emu.status_counts() == {200: 3, 401: 1}

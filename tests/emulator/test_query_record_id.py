"""Query filters on the record's own id, as Attio's guide documents them: shorthand, ``$eq`` and ``$in``."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import Api, record_id

MISSING = "891dcbfc-9141-415d-9b2a-2238a6cc012d"


def _ids(records: list[dict[str, Any]]) -> list[str]:
    return [record_id(r) for r in records]


def test_in_returns_the_listed_records_that_exist_in_creation_order(emu: AttioEmulator, api: Api) -> None:
    emu.seed("people", 6)
    ids = emu.record_ids("people")
    wanted = [ids[4], MISSING, ids[1], ids[4]]
    assert _ids(api.query(filter={"record_id": {"$in": wanted}})) == [ids[1], ids[4]]
    assert api.query(filter={"record_id": {"$in": []}}) == []


def test_eq_and_shorthand_match_one_record_whatever_the_case(emu: AttioEmulator, api: Api) -> None:
    emu.seed("people", 3)
    ids = emu.record_ids("people")
    assert _ids(api.query(filter={"record_id": ids[2]})) == [ids[2]]
    assert _ids(api.query(filter={"record_id": {"$eq": ids[0].upper()}})) == [ids[0]]
    assert api.query(filter={"record_id": MISSING}) == []


def test_record_id_combines_with_attributes_and_paging(emu: AttioEmulator, api: Api) -> None:
    ada = record_id(emu.create_record("people", {"name": "Ada Lovelace", "job_title": "Engineer"}))
    grace = record_id(emu.create_record("people", {"name": "Grace Hopper", "job_title": "Admiral"}))
    both = {"$in": [ada, grace]}
    assert _ids(api.query(filter={"record_id": both, "job_title": "Admiral"})) == [grace]
    assert _ids(api.query(filter={"$not": {"record_id": ada}})) == [grace]
    assert _ids(api.query(filter={"record_id": both}, limit=1, offset=1)) == [grace]


def test_a_deleted_record_is_no_longer_listed(emu: AttioEmulator, api: Api) -> None:
    emu.seed("companies", 2)
    ids = emu.record_ids("companies")
    assert api.delete(f"/v2/objects/companies/records/{ids[0]}").status_code == 200
    assert _ids(api.query("companies", filter={"record_id": {"$in": ids}})) == [ids[1]]


@pytest.mark.parametrize(
    ("filter", "message"),
    [
        ({"record_id": {"$in": "x"}}, '"$in" on "record_id" expects a list'),
        ({"record_id": {"$in": ["not-a-uuid"]}}, "expects record UUIDs, got 'not-a-uuid'"),
        ({"record_id": 5}, "expects record UUIDs, got 5"),
        ({"record_id": {"$contains": "891d"}}, '"record_id" supports "$eq" and "$in"'),
        ({"record_id": {}}, '"record_id" supports "$eq" and "$in"'),
    ],
)
def test_record_id_filter_errors(api: Api, filter: Any, message: str) -> None:
    response = api.post("/v2/objects/people/records/query", json={"filter": filter})
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["type"], body["code"]) == ("invalid_request_error", "filter_error")
    assert message in body["message"]

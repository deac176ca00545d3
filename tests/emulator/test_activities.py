"""The list reads (the list, an entry, the entries query), notes and tasks, checked against the contract."""

from __future__ import annotations

import pytest

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import MISSING_ID, Api, person


def test_list_entry_reads(emu: AttioEmulator, api: Api) -> None:
    emu.add_list("sales")
    ada, grace = person(emu), person(emu, "Grace Hopper")
    entries = [emu.add_list_entry("sales", r)["id"]["entry_id"] for r in (ada, grace)]
    assert api.get("/v2/lists/sales").json()["data"]["api_slug"] == "sales"
    assert api.get("/v2/lists/nope").status_code == 404
    assert api.get(f"/v2/lists/sales/entries/{entries[0]}").json()["data"]["parent_record_id"] == ada
    assert api.get(f"/v2/lists/sales/entries/{MISSING_ID}").status_code == 404
    everything = api.post("/v2/lists/sales/entries/query", json={}).json()["data"]
    assert [e["id"]["entry_id"] for e in everything] == entries
    by_parent = {
        "path": [["sales", "parent_record"], ["people", "record_id"]],
        "constraints": {"$in": [grace]},
    }
    found = api.post("/v2/lists/sales/entries/query", json={"filter": by_parent}).json()["data"]
    assert [e["id"]["entry_id"] for e in found] == entries[1:]
    assert api.post("/v2/lists/sales/entries/query", json={"filter": {"x": 1}}).status_code == 400
    assert api.post("/v2/lists/nope/entries/query", json={}).status_code == 404


def test_a_records_entries_across_lists(emu: AttioEmulator, api: Api) -> None:
    sales = emu.add_list("sales")
    emu.add_list("hiring")
    emu.add_list("accounts", parent_object="companies")
    ada, grace = person(emu), person(emu, "Grace Hopper")
    mine = [emu.add_list_entry(lst, ada)["id"]["entry_id"] for lst in ("sales", "hiring", "sales")]
    emu.add_list_entry("sales", grace)
    listed = api.get(f"/v2/objects/people/records/{ada}/entries").json()["data"]
    assert [e["entry_id"] for e in listed] == [mine[0], mine[2], mine[1]]  # list by list
    assert {(e["list_id"], e["list_api_slug"]) for e in listed[:2]} == {(sales["id"]["list_id"], "sales")}
    paged = api.get(f"/v2/objects/people/records/{ada}/entries?limit=1&offset=1").json()["data"]
    assert [e["entry_id"] for e in paged] == [mine[2]]
    assert api.get(f"/v2/objects/people/records/{ada}/entries?limit=1001").status_code == 400
    missing = api.get(f"/v2/objects/people/records/{MISSING_ID}/entries")
    assert (missing.status_code, missing.json()["message"]) == (
        404,
        f'Record with ID "{MISSING_ID}" not found.',
    )
    no_object = api.get(f"/v2/objects/invoices/records/{ada}/entries")
    assert no_object.json()["message"] == 'Object with slug/ID "invoices" not found.'
    emu.add_token("no-entries", scopes=["record_permission:read", "object_configuration:read"])
    denied = api.get(f"/v2/objects/people/records/{ada}/entries", token="no-entries")
    assert denied.status_code == 403 and "list_entry:read" in denied.json()["message"]


def test_the_entries_query_can_refuse_or_ignore_a_filter_by_parent(emu: AttioEmulator, api: Api) -> None:
    emu.add_list("sales")
    ada, grace = person(emu), person(emu, "Grace Hopper")
    entries = [emu.add_list_entry("sales", r)["id"]["entry_id"] for r in (ada, grace)]
    by_parent = {"filter": {"path": [["sales", "parent_record"], ["people", "record_id"]],
                            "constraints": {"$in": [grace]}}}  # fmt: skip
    emu.set_entry_parent_filter("refused")
    refused = api.post("/v2/lists/sales/entries/query", json=by_parent)
    assert (refused.status_code, refused.json()["code"]) == (400, "filter_error")
    assert len(api.post("/v2/lists/sales/entries/query", json={}).json()["data"]) == 2  # no filter: served
    emu.set_entry_parent_filter("ignored")
    ignored = api.post("/v2/lists/sales/entries/query", json=by_parent).json()["data"]
    assert [e["id"]["entry_id"] for e in ignored] == entries
    emu.clear_faults()
    applied = api.post("/v2/lists/sales/entries/query", json=by_parent).json()["data"]
    assert [e["id"]["entry_id"] for e in applied] == entries[1:]
    with pytest.raises(ValueError, match="applied, refused, ignored"):
        emu.set_entry_parent_filter("sometimes")


def test_notes(emu: AttioEmulator, api: Api) -> None:
    ada, grace = person(emu), person(emu, "Grace Hopper")
    notes = [emu.add_note("people", ada, f"Call {i}")["id"]["note_id"] for i in range(3)]
    emu.add_note("people", grace)
    listed = api.get(f"/v2/notes?parent_object=people&parent_record_id={ada}&limit=2&offset=1").json()["data"]
    assert [n["id"]["note_id"] for n in listed] == notes[1:]
    assert api.get(f"/v2/notes?parent_object=people&parent_record_id={ada}&limit=51").status_code == 400
    assert api.get(f"/v2/notes/{notes[0]}").json()["data"]["title"] == "Call 0"
    assert api.delete(f"/v2/notes/{notes[0]}").json() == {}
    assert api.delete(f"/v2/notes/{notes[0]}").status_code == 404
    assert api.get(f"/v2/notes/{notes[0]}").status_code == 404
    assert len(emu.note_ids()) == 3


def test_tasks_and_their_scopes(emu: AttioEmulator, api: Api) -> None:
    ada, grace = person(emu), person(emu, "Grace Hopper")
    own = emu.add_task([("people", ada)])["id"]["task_id"]
    shared = emu.add_task([("people", ada), ("people", grace)])["id"]["task_id"]
    listed = api.get(f"/v2/tasks?linked_object=people&linked_record_id={grace}").json()["data"]
    assert [t["id"]["task_id"] for t in listed] == [shared]
    assert api.get(f"/v2/tasks/{own}").json()["data"]["linked_records"][0]["target_record_id"] == ada
    emu.add_token("records-only", scopes=["record_permission:read-write", "object_configuration:read"])
    refused = api.delete(f"/v2/tasks/{own}", token="records-only")
    assert refused.status_code == 403 and "task:read-write" in refused.json()["message"]
    assert api.delete(f"/v2/tasks/{own}").json() == {}
    assert emu.task_ids() == [shared]

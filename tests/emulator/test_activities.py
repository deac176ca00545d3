"""The list reads (the list, an entry, the entries query), notes and tasks, checked against the contract."""

from __future__ import annotations

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

"""The core's procedures for list entries, notes and tasks, and the scopes it names, without HTTP."""

from __future__ import annotations

import json

import pytest

from airflow_provider_attio.exceptions import AttioAuthError, AttioListNotFoundError, AttioResponseError
from airflow_provider_attio.protocol import (
    check_entry,
    delete_entry,
    delete_note,
    error_from_answer,
    judge_self,
    list_tasks_page,
    scopes_for,
)
from tests.unit.test_core import _drive, _html, _json

ENTRY = "/v2/lists/sales/entries/891dcbfc-9141-415d-9b2a-2238a6cc012d"
LIST = ("GET", "/v2/lists/sales")


def test_a_404_on_an_entry_asks_for_the_list() -> None:
    gone = {("DELETE", ENTRY): [_json(404)], LIST: [_json(200, '{"data": {}}')]}
    assert _drive(delete_entry("sales", ENTRY.rsplit("/", 1)[1]), gone)[0] == "not_found"
    with pytest.raises(AttioListNotFoundError, match="list 'sales' does not exist"):
        _drive(
            delete_entry("sales", ENTRY.rsplit("/", 1)[1]),
            {("DELETE", ENTRY): [_json(404)], LIST: [_json(404)]},
        )
    # After an attempt that may have been applied, a 404 is that attempt's work.
    lost = {("DELETE", ENTRY): [_json(404)], LIST: [_json(200, '{"data": {}}')]}
    assert _drive(delete_entry("sales", ENTRY.rsplit("/", 1)[1]), lost, ambiguous=True)[0] == "deleted"


def test_a_page_that_is_not_attio_is_verified_and_listings_need_ids() -> None:
    note = "/v2/notes/891dcbfc-9141-415d-9b2a-2238a6cc012d"
    page = {("DELETE", note): [_html()], ("GET", note): [_json(404)]}
    assert _drive(delete_note(note.rsplit("/", 1)[1]), page)[0] == "deleted"
    path = "/v2/tasks?linked_object=people&linked_record_id=x&limit=500&offset=0"
    with pytest.raises(AttioResponseError, match="has no task_id"):
        _drive(list_tasks_page("people", "x"), {("GET", path): [_json(200, '{"data": [{"id": {}}]}')]})


def test_a_403_names_the_scopes_of_its_call() -> None:
    assert scopes_for(ENTRY) == ("list_entry:read-write", "list_configuration:read")
    assert scopes_for("/v2/notes/x") == ("note:read-write",)
    assert "user_management:read" in scopes_for("/v2/tasks?linked_object=people")
    assert scopes_for("/v2/objects/people/records/x")[0] == "record_permission:read-write"
    error = error_from_answer(403, {}, None, "DELETE", "/v2/tasks/x")
    assert isinstance(error, AttioAuthError) and "needs the scopes task:read-write (" in str(error)


def test_the_connection_test_says_what_the_token_can_delete() -> None:
    records = "record_permission:read-write object_configuration:read"
    everything = f"{records} list_entry:read-write list_configuration:read note:read-write task:read-write"
    assert judge_self({"active": True, "scope": everything})[1].endswith("the provider needs.")
    ok, message = judge_self({"active": True, "scope": f"{records} note:read-write"})
    assert ok and message.endswith(
        "It can delete records, notes; not list entries (needs list_entry:read-write, "
        "list_configuration:read); not tasks (needs task:read-write)."
    )
    ok, message = judge_self({"active": True, "scope": "task:read-write"})
    assert not ok and "It can delete tasks; not records" in message


def test_check_entry_reads_one_entry_and_asks_for_the_list_on_a_404() -> None:
    entry_id = ENTRY.rsplit("/", 1)[1]
    body = json.dumps({"data": {"id": {"entry_id": entry_id}, "parent_record_id": "x"}})
    fact, asked = _drive(check_entry("sales", entry_id), {("GET", ENTRY): [_json(200, body)]})
    assert (fact.state, fact.confirmed, fact.record["parent_record_id"]) == ("present", True, "x")
    assert asked == [f"GET {ENTRY}"]
    gone = {("GET", ENTRY): [_json(404)], LIST: [_json(200, '{"data": {}}')]}
    fact, asked = _drive(check_entry("sales", entry_id), gone)
    assert (fact.state, fact.confirmed, asked) == ("absent", True, [f"GET {ENTRY}", "GET /v2/lists/sales"])
    # The caller that asks for the list itself, once for many entries, says so.
    fact, asked = _drive(check_entry("sales", entry_id, list_known=True), {("GET", ENTRY): [_json(404)]})
    assert fact.state == "absent" and asked == [f"GET {ENTRY}"]
    with pytest.raises(AttioListNotFoundError):
        _drive(check_entry("sales", entry_id), {("GET", ENTRY): [_json(404)], LIST: [_json(404)]})
    with pytest.raises(AttioResponseError):  # a 200 that isn't Attio's JSON is no entry
        _drive(check_entry("sales", entry_id), {("GET", ENTRY): [_html()]})

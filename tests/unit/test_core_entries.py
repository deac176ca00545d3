"""The core's procedures for list entries, notes and tasks, and the scopes it names, without HTTP."""

from __future__ import annotations

import json

import pytest

from airflow_provider_attio.core import (
    ListIdentity,
    check_entry,
    delete_entry,
    delete_note,
    entries_on_list,
    error_from_answer,
    judge_self,
    list_record_entries_page,
    list_tasks_page,
    query_entries_of_parents,
    read_list_identity,
    scopes_for,
)
from airflow_provider_attio.exceptions import (
    AttioAuthError,
    AttioListNotFoundError,
    AttioObjectNotFoundError,
    AttioResponseError,
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
    deletes = f"{records} list_entry:read-write list_configuration:read note:read-write task:read-write"
    everything = f"{deletes} user_management:read"
    assert judge_self({"active": True, "scope": everything})[1].endswith("the provider needs.")
    # Finding tasks by linked record also reads workspace members: said, without doubting deletes by id.
    ok, message = judge_self({"active": True, "scope": deletes})
    assert ok and message.endswith(
        "the provider needs. Finding tasks by linked record also needs user_management:read (deleting "
        "them by id doesn't)."
    )
    ok, message = judge_self({"active": True, "scope": f"{records} note:read-write"})
    assert ok and message.endswith(
        "It can delete records, notes; not list entries (needs list_entry:read-write, "
        "list_configuration:read); not tasks (needs task:read-write)."
    )
    ok, message = judge_self({"active": True, "scope": "task:read-write"})
    assert not ok and "It can delete tasks; not records" in message


def test_the_connection_test_says_finding_entries_by_parent_record_may_need_record_scopes() -> None:
    # Attio ignoring the entries query's parent filter sends the engine to each record's entries.
    entries = "list_entry:read-write list_configuration:read"
    ok, message = judge_self({"active": True, "scope": entries})
    assert not ok and "It can delete list entries; not records" in message
    assert (
        "Finding list entries by parent record may also need record_permission:read, "
        "object_configuration:read (deleting them by id doesn't)." in message
    )
    # The records' scopes grant them (read-write grants read): nothing more is said of entries.
    records = "record_permission:read-write object_configuration:read"
    assert "Finding list entries" not in judge_self({"active": True, "scope": f"{records} {entries}"})[1]


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


# -- finding a list's entries by parent record: the batched query judged, and the per-record read -----

ADA, GRACE, ALAN = (f"891dcbfc-9141-415d-9b2a-2238a6cc01{n}" for n in ("a1", "a2", "a3"))
QUERY = ("POST", "/v2/lists/sales/entries/query")
SALES_ID = "33ebdbe9-e529-47c9-b894-0ba25e9c15c0"


def _entries(*parents: str, object: str = "people") -> str:
    items = [
        {"id": {"entry_id": f"e{n}"}, "parent_record_id": parent.upper(), "parent_object": object}
        for n, parent in enumerate(parents)
    ]
    return json.dumps({"data": items})


def test_the_batched_query_by_parent_is_trusted_only_when_every_entry_is_an_asked_records() -> None:
    understood, asked = _drive(
        query_entries_of_parents("sales", "people", [ADA, GRACE]), {QUERY: [_json(200, _entries(ADA, GRACE))]}
    )
    assert (len(understood.entries), understood.listed, understood.not_understood) == (2, 2, "")
    assert asked == ["POST /v2/lists/sales/entries/query"]
    # Attio answered every entry of the list (the filter ignored): nothing of that page is used.
    ignored, _ = _drive(
        query_entries_of_parents("sales", "people", [ADA]), {QUERY: [_json(200, _entries(ADA, GRACE, ALAN))]}
    )
    assert (ignored.entries, ignored.listed) == ([], 3)
    assert "held 2 entr(ies) of other records: it ignored the filter" in ignored.not_understood
    # An entry of another object (named by slug, as the parent object is) isn't one of the asked records.
    other_object, _ = _drive(
        query_entries_of_parents("sales", "people", [ADA]),
        {QUERY: [_json(200, _entries(ADA, object="companies"))]},
    )
    assert other_object.not_understood
    # Named by UUID on one side and slug on the other, the objects can't be compared: the record decides.
    by_uuid, _ = _drive(
        query_entries_of_parents("sales", SALES_ID, [ADA]), {QUERY: [_json(200, _entries(ADA))]}
    )
    assert by_uuid.not_understood == "" and len(by_uuid.entries) == 1


def test_a_refused_batched_query_is_not_understood_and_a_missing_list_still_raises() -> None:
    refusal = '{"status_code": 400, "type": "invalid_request_error", "code": "filter_error", "message": "no"}'
    refused, asked = _drive(
        query_entries_of_parents("sales", "people", [ADA]), {QUERY: [_json(400, refusal)]}
    )
    assert (refused.entries, refused.listed) == ([], 0)
    assert refused.not_understood == "Attio refused it (400 filter_error: no)"
    assert asked == ["POST /v2/lists/sales/entries/query"]  # a 400 is never retried
    with pytest.raises(AttioListNotFoundError):
        _drive(query_entries_of_parents("sales", "people", [ADA]), {QUERY: [_json(404)]})
    with pytest.raises(AttioAuthError):  # other errors are errors, not a reason to fall back
        _drive(query_entries_of_parents("sales", "people", [ADA]), {QUERY: [_json(403)]})


RECORD_ENTRIES = f"/v2/objects/people/records/{ADA}/entries?limit=1000&offset=0"
PEOPLE = ("GET", "/v2/objects/people")


def test_a_records_entries_and_what_its_404_means() -> None:
    listed = {"list_id": SALES_ID, "list_api_slug": "sales", "entry_id": "E1", "created_at": "x"}
    body = json.dumps({"data": [listed]})
    page, asked = _drive(
        list_record_entries_page("people", ADA), {("GET", RECORD_ENTRIES): [_json(200, body)]}
    )
    assert page == [listed] and asked == [f"GET {RECORD_ENTRIES}"]
    # A 404 asks for the object: the record is gone (no entries), or the object is missing (raises).
    gone = {("GET", RECORD_ENTRIES): [_json(404)], PEOPLE: [_json(200, '{"data": {}}')]}
    assert _drive(list_record_entries_page("people", ADA), gone) == (
        [],
        [f"GET {RECORD_ENTRIES}", "GET /v2/objects/people"],
    )
    with pytest.raises(AttioObjectNotFoundError):
        _drive(
            list_record_entries_page("people", ADA),
            {("GET", RECORD_ENTRIES): [_json(404)], PEOPLE: [_json(404)]},
        )
    with pytest.raises(AttioResponseError, match="has no entry_id"):
        _drive(
            list_record_entries_page("people", ADA), {("GET", RECORD_ENTRIES): [_json(200, '{"data": [{}]}')]}
        )
    assert scopes_for(RECORD_ENTRIES) == (
        "record_permission:read",
        "object_configuration:read",
        "list_entry:read",
    )


def test_only_entries_on_the_target_list_are_kept() -> None:
    lst = json.dumps({"data": {"id": {"list_id": SALES_ID.upper()}, "api_slug": "sales"}})
    target, _ = _drive(read_list_identity("sales"), {LIST: [_json(200, lst)]})
    assert target == ListIdentity(SALES_ID, "sales")
    with pytest.raises(AttioListNotFoundError):
        _drive(read_list_identity("sales"), {LIST: [_json(404)]})
    listed = [
        {"list_id": SALES_ID, "list_api_slug": "sales-renamed", "entry_id": "E1"},  # by id
        {"list_id": "other", "list_api_slug": "sales", "entry_id": "e2"},  # by slug
        {"list_id": "other", "list_api_slug": "hiring", "entry_id": "e3"},  # another list's
    ]
    assert entries_on_list(listed, target) == ["e1", "e2"]


@pytest.mark.parametrize(
    "body", ['{"data": {}}', '{"data": {"id": {}, "api_slug": ""}}', '{"data": {"id": 5}}']
)
def test_a_list_with_neither_id_nor_slug_is_not_attios_answer(body: str) -> None:
    # It would match no entry: finding entries by parent would resolve none and the teardown "succeed".
    with pytest.raises(AttioResponseError, match="has neither an id nor an api_slug: that is not Attio's"):
        _drive(read_list_identity("sales"), {LIST: [_json(200, body)]})
    only_slug = '{"data": {"api_slug": "Sales"}}'
    assert _drive(read_list_identity("sales"), {LIST: [_json(200, only_slug)]})[0] == ListIdentity(
        "", "sales"
    )

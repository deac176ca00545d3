"""Deleting list entries over real HTTP: the single operator, and the bulk engine's guarantees for entries."""

from __future__ import annotations

import json
import logging
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

from airflow_provider_attio import bulk, core
from airflow_provider_attio.entries import check_entries_job
from airflow_provider_attio.exceptions import AttioListNotFoundError, AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.lists import (
    AttioDeleteListEntriesOperator,
    AttioDeleteListEntryOperator,
)
from airflow_provider_attio.options import BulkDeleteOptions
from airflow_provider_attio.testing import AttioEmulator
from tests.helpers import EMPTY_CONTEXT, MISSING_ID, task_context

LOG = logging.getLogger(__name__)


def _sales(emu: AttioEmulator, count: int) -> tuple[list[str], list[str]]:
    """A list "sales" with one entry for each of ``count`` new people: (record ids, entry ids)."""
    emu.add_list("sales")
    people = [emu.create_record("people", {"name": f"P {i}"})["id"]["record_id"] for i in range(count)]
    return people, [emu.add_list_entry("sales", p)["id"]["entry_id"] for p in people]


def _deletes(emu: AttioEmulator) -> int:
    return emu.count(method="DELETE")


def test_one_entry_and_if_not_found(attio: AttioEmulator) -> None:
    people, entries = _sales(attio, 1)
    op = AttioDeleteListEntryOperator(task_id="t", list="sales", entry_id=entries[0])
    assert op.execute(EMPTY_CONTEXT) == {"list": "sales", "entry_id": entries[0], "outcome": "deleted"}
    assert attio.list_entry_ids("sales") == [] and attio.record_ids("people")[-1] == people[0]
    assert op.execute(EMPTY_CONTEXT)["outcome"] == "not_found"
    for policy, error in (("fail", AirflowFailException), ("skip", AirflowSkipException)):
        strict = AttioDeleteListEntryOperator(
            task_id="t", list="sales", entry_id=MISSING_ID, if_not_found=policy
        )
        with pytest.raises(error, match="was not found"):
            strict.execute(EMPTY_CONTEXT)


def test_a_missing_list_always_fails(attio: AttioEmulator) -> None:
    op = AttioDeleteListEntryOperator(task_id="t", list="pipeline", entry_id=MISSING_ID)
    with pytest.raises(AirflowFailException, match="list 'pipeline' does not exist"):
        op.execute(EMPTY_CONTEXT)
    with pytest.raises(AttioListNotFoundError):
        AttioHook().delete_list_entry("pipeline", MISSING_ID)
    bulk = AttioDeleteListEntriesOperator(task_id="b", list="pipeline", entry_ids=[MISSING_ID])
    with pytest.raises(AirflowFailException, match="does not exist"):
        bulk.execute(EMPTY_CONTEXT)
    assert _deletes(attio) == 2  # the two single DELETEs, their 404s told apart; the bulk sent none


def test_bad_input_is_refused_before_any_request(attio: AttioEmulator) -> None:
    with pytest.raises(AttioValidationError, match="exactly one of entry_ids"):
        AttioDeleteListEntriesOperator(task_id="b", list="sales")
    for kwargs in (
        {"list": "Sales Pipeline", "entry_ids": [MISSING_ID]},
        {"list": "sales", "entry_ids": ["not-a-uuid"]},
        {
            "list": "sales",
            "entry_ids": [MISSING_ID, "891dcbfc-9141-415d-9b2a-2238a6cc012e"],
            "max_records": 1,
        },
        {"list": "sales", "parent_object": "people", "parent_record_ids": ["nope"]},
        {"list": "sales", "filter": {}},
    ):
        with pytest.raises(AirflowFailException):
            AttioDeleteListEntriesOperator(task_id="b", **kwargs).execute(EMPTY_CONTEXT)  # type: ignore[arg-type]
    assert attio.count() == 0


def test_by_parent_records_with_archive_and_resume(attio: AttioEmulator, tmp_path: Path) -> None:
    people, entries = _sales(attio, 5)
    archive = tmp_path / "teardown.jsonl"
    # An earlier try deleted entries[0] (archived, outcome noted) and entries[1] (archived, outcome lost).
    earlier = [("entry", entries[0], None), ("outcome", entries[0], "deleted"), ("entry", entries[1], None)]
    lines = [
        {
            "type": t,
            "kind": "entry",
            "list": "sales",
            "entry_id": e,
            **({"outcome": o} if o else {"entry": {}}),
        }
        for t, e, o in earlier
    ]
    archive.write_text("".join(json.dumps(line) + "\n" for line in lines))
    for entry in entries[:2]:
        AttioHook().delete_list_entry("sales", entry)
    op = AttioDeleteListEntriesOperator(
        task_id="b",
        list="sales",
        parent_object="people",
        parent_record_ids=people[1:4],
        archive_to=str(archive),
    )
    summary = op.execute(EMPTY_CONTEXT)
    assert summary["kind"] == "entry" and summary["list"] == "sales" and "object" not in summary
    # entries[1] was found gone while checking the archive: its earlier DELETE was applied.
    assert (summary["requested"], summary["deleted"], summary["skipped_already_deleted"]) == (3, 3, 0)
    assert attio.list_entry_ids("sales") == [entries[4]]
    assert sorted(attio.record_ids("people")[-5:]) == sorted(people)  # the records stay
    written = [json.loads(line) for line in archive.read_text().splitlines()][len(lines) :]
    archived = {w["entry_id"] for w in written if w["type"] == "entry"}
    assert archived == set(entries[2:4]) and all("record_id" not in w for w in written)
    assert all(w["entry"]["id"]["entry_id"] == w["entry_id"] for w in written if w["type"] == "entry")
    # Each entry was read (and archived) before its DELETE was sent.
    sent = [(r.method, r.path.rsplit("/", 1)[1]) for r in attio.requests]
    for entry in entries[2:4]:
        assert sent.index(("GET", entry)) < sent.index(("DELETE", entry))
    # One query found the entries of the three parents; nothing was sent for the skipped ones.
    assert attio.count(method="POST", path="/v2/lists/sales/entries/query") == 1
    assert attio.count(method="GET", path="/v2/objects/*/records/*/entries") == 0  # understood: no fallback
    again = op.execute(EMPTY_CONTEXT)
    assert (again["requested"], again["skipped_already_deleted"]) == (0, 0)


def test_dry_run_cap_and_scopes(attio: AttioEmulator, use_connection: object) -> None:
    _, entries = _sales(attio, 3)
    summary = AttioDeleteListEntriesOperator(
        task_id="b", list="sales", filter={}, allow_delete_all=True, dry_run=True
    ).execute(EMPTY_CONTEXT)
    assert (summary["requested"], summary["deleted"], summary["dry_run"]) == (3, 0, True)
    with pytest.raises(AirflowFailException, match="more than max_records=2"):
        AttioDeleteListEntriesOperator(
            task_id="b", list="sales", filter={}, allow_delete_all=True, max_records=2
        ).execute(EMPTY_CONTEXT)
    assert _deletes(attio) == 0 and attio.list_entry_ids("sales") == entries
    attio.add_token("records-only", scopes=["record_permission:read-write", "object_configuration:read"])
    use_connection(attio.base_url, token="records-only")  # type: ignore[operator]
    with pytest.raises(AirflowFailException, match="list_entry:read-write and list_configuration:read"):
        AttioDeleteListEntriesOperator(task_id="b", list="sales", entry_ids=entries).execute(EMPTY_CONTEXT)


def test_the_connection_test_names_the_scopes_finding_entries_by_parent_needs(
    attio: AttioEmulator, use_connection: Any
) -> None:
    people, entries = _sales(attio, 3)
    people, kept = people[:2], entries[2:]  # the third person's entry shows the filter is ignored
    attio.set_entry_parent_filter("ignored")  # the engine then reads each record's entries
    attio.add_token("entries-only", scopes=["list_entry:read-write", "list_configuration:read"])
    use_connection(attio.base_url, token="entries-only")
    _, message = AttioHook().test_connection()
    needs = "record_permission:read, object_configuration:read"
    assert "It can delete list entries; not records" in message
    assert f"Finding list entries by parent record may also need {needs} (deleting them by id" in message
    # What it says is what Attio asks: a 403 while finding them, before any delete.
    with pytest.raises(AirflowFailException, match="record_permission:read"):
        AttioDeleteListEntriesOperator(
            task_id="b", list="sales", parent_object="people", parent_record_ids=people
        ).execute(EMPTY_CONTEXT)
    assert _deletes(attio) == 0 and attio.list_entry_ids("sales") == entries
    AttioDeleteListEntryOperator(task_id="one", list="sales", entry_id=entries[0]).execute(EMPTY_CONTEXT)
    attio.add_token(
        "entries-and-records", scopes=["list_entry:read-write", "list_configuration:read", *needs.split(", ")]
    )
    use_connection(attio.base_url, token="entries-and-records")
    assert "Finding list entries" not in AttioHook().test_connection()[1]
    summary = AttioDeleteListEntriesOperator(
        task_id="b", list="sales", parent_object="people", parent_record_ids=people
    ).execute(EMPTY_CONTEXT)
    assert (summary["deleted"], attio.list_entry_ids("sales")) == (1, kept)


def test_a_retry_after_a_partial_first_try(attio: AttioEmulator) -> None:
    _, entries = _sales(attio, 3)
    AttioHook().delete_list_entry("sales", entries[0])  # the first try's, its answer lost
    op = AttioDeleteListEntriesOperator(task_id="b", list="sales", entry_ids=entries, if_not_found="fail")
    summary = op.execute(task_context(try_number=2))
    # Not found on a retry without an archive: maybe the first try's work, so if_not_found is not applied.
    assert (summary["deleted"], summary["not_found"], summary["not_found_on_retry"]) == (2, 0, 1)
    assert attio.list_entry_ids("sales") == []


def _teardown_fixture(attio: AttioEmulator) -> tuple[list[str], list[str], list[str]]:
    """Five people on "sales" (the second twice), the first four on "hiring" too.

    Returns the target parents (the first four, and a person deleted since: a 404), their "sales"
    entries, and every other entry (the fifth person's, and "hiring"'s): those must stay.
    """
    people, entries = _sales(attio, 5)
    entries.append(attio.add_list_entry("sales", people[1])["id"]["entry_id"])
    attio.add_list("hiring")
    others = [attio.add_list_entry("hiring", p)["id"]["entry_id"] for p in people[:4]]
    gone = attio.create_record("people", {"name": "Gone"})["id"]["record_id"]
    attio.add_list_entry("sales", gone)
    AttioHook().delete_record("people", gone)  # its entries go with it
    attio.clear_log()
    return [*people[:4], gone], [*entries[:4], entries[5]], [entries[4], *others]


def _remaining(attio: AttioEmulator) -> set[str]:
    return set(attio.list_entry_ids("sales")) | set(attio.list_entry_ids("hiring"))


PER_RECORD = "/v2/objects/people/records/*/entries"


@pytest.mark.parametrize("behaviour", ["refused", "ignored"])
def test_by_parent_records_when_attio_refuses_or_ignores_the_filter(
    attio: AttioEmulator, behaviour: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "IDS_PER_QUERY", 2)  # three queries' worth of parents
    parents, targets, others = _teardown_fixture(attio)
    attio.set_entry_parent_filter(behaviour)
    op = AttioDeleteListEntriesOperator(
        task_id="b", list="sales", parent_object="people", parent_record_ids=parents
    )
    # The dry run through the engine the operator is a shell over, with a logger caplog sees.
    dry = check_entries_job(
        "sales", parent_object="people", parent_record_ids=parents, options=BulkDeleteOptions(dry_run=True)
    )
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        preview = bulk.delete_records(AttioHook(), dry, LOG)
    assert (preview["requested"], preview["deleted"], preview["dry_run"]) == (5, 0, True)
    assert _deletes(attio) == 0 and _remaining(attio) == set(targets) | set(others)
    (warning,) = [r.getMessage() for r in caplog.records if "was not understood" in r.getMessage()]
    reason = "Attio refused it (400 filter_error" if behaviour == "refused" else "it ignored the filter"
    assert reason in warning and "the 5 remaining record(s) with one read each" in warning
    # One query, refused or not understood; then one read per parent (the deleted one's a 404), none else.
    assert attio.count(method="POST", path="/v2/lists/sales/entries/query") == 1
    assert attio.count(method="GET", path=PER_RECORD) == 5
    assert attio.count(method="GET", path=PER_RECORD, status=404) == 1
    attio.clear_log()
    summary = op.execute(EMPTY_CONTEXT)
    assert (summary["requested"], summary["deleted"], summary["failed"]) == (5, 5, 0)
    assert _remaining(attio) == set(others)  # the fifth person's entry and every "hiring" entry kept
    assert attio.count(method="POST", path="/v2/lists/sales/entries/query") == 1
    assert attio.count(method="GET", path=PER_RECORD) == 5
    assert {r.path.rsplit("/", 1)[1] for r in attio.requests if r.method == "DELETE"} == set(targets)


def test_a_refusal_after_understood_queries_reads_only_the_remaining_records(
    attio: AttioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "IDS_PER_QUERY", 2)
    parents, _, others = _teardown_fixture(attio)
    real, sent = core.query_entries_of_parents, []

    def refused_from_the_second(*args: Any, **kwargs: Any) -> Any:
        sent.append(args)
        if len(sent) == 2:
            attio.set_entry_parent_filter("refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(core, "query_entries_of_parents", refused_from_the_second)
    summary = AttioDeleteListEntriesOperator(
        task_id="b", list="sales", parent_object="people", parent_record_ids=parents
    ).execute(EMPTY_CONTEXT)
    assert (summary["requested"], summary["deleted"]) == (5, 5) and _remaining(attio) == set(others)
    # The first query's entries are kept; the refused query's records and the rest are read one by one.
    assert attio.count(method="POST", path="/v2/lists/sales/entries/query") == 2
    asked = [r.path.split("/")[5] for r in attio.requests if fnmatchcase(r.path, PER_RECORD)]
    assert asked == parents[2:]


def test_a_missing_parent_object_still_fails_after_a_refusal(attio: AttioEmulator) -> None:
    people, entries = _sales(attio, 1)
    attio.set_entry_parent_filter("refused")
    op = AttioDeleteListEntriesOperator(
        task_id="b", list="sales", parent_object="invoices", parent_record_ids=people
    )
    with pytest.raises(AirflowFailException, match="object 'invoices' does not exist"):
        op.execute(EMPTY_CONTEXT)
    assert _deletes(attio) == 0 and attio.list_entry_ids("sales") == entries

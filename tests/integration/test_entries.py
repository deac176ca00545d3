"""Deleting list entries over real HTTP: the single operator, and the bulk engine's guarantees for entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

from airflow_provider_attio.exceptions import AttioListNotFoundError, AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.lists import (
    AttioDeleteListEntriesOperator,
    AttioDeleteListEntryOperator,
)
from airflow_provider_attio.testing import AttioEmulator
from tests.helpers import EMPTY_CONTEXT, MISSING_ID, task_context


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


def test_a_retry_after_a_partial_first_try(attio: AttioEmulator) -> None:
    _, entries = _sales(attio, 3)
    AttioHook().delete_list_entry("sales", entries[0])  # the first try's, its answer lost
    op = AttioDeleteListEntriesOperator(task_id="b", list="sales", entry_ids=entries, if_not_found="fail")
    summary = op.execute(task_context(try_number=2))
    # Not found on a retry without an archive: maybe the first try's work, so if_not_found is not applied.
    assert (summary["deleted"], summary["not_found"], summary["not_found_on_retry"]) == (2, 0, 1)
    assert attio.list_entry_ids("sales") == []

"""Deleting notes and tasks over real HTTP through the bulk engine: by record, paced reads, shared tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_attio import activities
from airflow_provider_attio.exceptions import AttioAuthError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.activities import AttioDeleteNotesOperator, AttioDeleteTasksOperator
from airflow_provider_attio.testing import AttioEmulator
from tests.helpers import EMPTY_CONTEXT, MISSING_ID, task_context


def _people(emu: AttioEmulator, count: int) -> list[str]:
    return [emu.create_record("people", {"name": f"P {i}"})["id"]["record_id"] for i in range(count)]


class _CountingPacer:
    """Stands in for the read pacer: counts the waits (one before every read), never sleeps."""

    waits = 0

    def wait(self) -> None:
        type(self).waits += 1


def test_notes_of_records_paced_archived_and_resumed(
    attio: AttioEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, grace, other = _people(attio, 3)
    many = [attio.add_note("people", ada, f"Call {i}")["id"]["note_id"] for i in range(51)]
    one = attio.add_note("people", grace)["id"]["note_id"]
    kept = attio.add_note("people", other)["id"]["note_id"]
    monkeypatch.setattr(activities, "QueryPacer", _CountingPacer)
    archive = tmp_path / "notes.jsonl"
    op = AttioDeleteNotesOperator(
        task_id="n",
        parent_object="people",
        parent_record_ids=[ada, grace],
        archive_to=str(archive),
        writes_per_second=None,  # unpaced writes: this test is about the reads
    )
    summary = op.execute(EMPTY_CONTEXT)
    assert {k: summary[k] for k in ("kind", "requested", "deleted", "not_found")} == {  # type: ignore[literal-required]
        "kind": "note",
        "requested": 52,
        "deleted": 52,
        "not_found": 0,
    }
    assert attio.note_ids() == [kept]
    # 50 notes a page: two reads for Ada, one for Grace, each after the pacer's wait.
    assert attio.count(method="GET", path="/v2/notes") == 3 == _CountingPacer.waits
    lines = [json.loads(line) for line in archive.read_text().splitlines()]
    notes = {line["note_id"] for line in lines if line["type"] == "note"}
    assert notes == {*many, one} and all("record_id" not in line for line in lines)
    assert all(line["kind"] == "note" for line in lines)
    # Run again: nothing left to find, nothing sent.
    assert op.execute(EMPTY_CONTEXT)["requested"] == 0
    assert attio.count(method="DELETE") == 52


def test_a_task_shared_with_another_record_is_kept(attio: AttioEmulator) -> None:
    ada, grace, other = _people(attio, 3)
    own = attio.add_task([("people", ada)])["id"]["task_id"]
    ours = attio.add_task([("people", ada), ("people", grace)])["id"]["task_id"]
    shared = attio.add_task([("people", grace), ("people", other)])["id"]["task_id"]
    targets: dict[str, Any] = {"linked_object": "people", "linked_record_ids": [ada, grace]}
    dry = AttioDeleteTasksOperator(task_id="t", dry_run=True, **targets).execute(EMPTY_CONTEXT)
    assert (dry["requested"], dry["deleted"], dry["kept_shared"]) == (2, 0, 1)  # type: ignore[typeddict-item]
    summary = AttioDeleteTasksOperator(task_id="t", **targets).execute(EMPTY_CONTEXT)
    assert (summary["requested"], summary["deleted"], summary["kept_shared"]) == (2, 2, 1)  # type: ignore[typeddict-item]
    assert attio.task_ids() == [shared] and own not in attio.task_ids() and ours not in attio.task_ids()
    everything = AttioDeleteTasksOperator(task_id="t", delete_shared=True, **targets).execute(EMPTY_CONTEXT)
    assert (everything["deleted"], everything["kept_shared"]) == (1, 0)  # type: ignore[typeddict-item]
    assert attio.task_ids() == []


def test_tasks_by_id_resume_not_found_and_scopes(
    attio: AttioEmulator, tmp_path: Path, use_connection: Any
) -> None:
    (ada,) = _people(attio, 1)
    gone, live = (attio.add_task([("people", ada)])["id"]["task_id"] for _ in range(2))
    archive = tmp_path / "tasks.jsonl"
    # An earlier try archived `gone` and deleted it, but its outcome line was lost.
    archive.write_text(json.dumps({"type": "task", "kind": "task", "task_id": gone, "task": {}}) + "\n")
    AttioHook().delete_task(gone)
    summary = AttioDeleteTasksOperator(task_id="t", task_ids=[gone, live], archive_to=str(archive)).execute(
        EMPTY_CONTEXT
    )
    assert (summary["requested"], summary["deleted"], summary["not_found"]) == (2, 2, 0)
    assert attio.count(method="DELETE") == 2  # the earlier try's, and `live`'s: none resent for `gone`
    with pytest.raises(AirflowFailException, match=r"1 task .* not found"):
        AttioDeleteTasksOperator(task_id="t", task_ids=[MISSING_ID], if_not_found="fail").execute(
            EMPTY_CONTEXT
        )
    with pytest.raises(AirflowFailException, match="must be a list of Attio task ids"):
        AttioDeleteTasksOperator(task_id="t", task_ids="nope").execute(EMPTY_CONTEXT)
    attio.add_token("records-only", scopes=["record_permission:read-write", "object_configuration:read"])
    use_connection(attio.base_url, token="records-only")
    with pytest.raises(AttioAuthError, match="needs the scopes note:read-write"):
        AttioHook().delete_note(MISSING_ID)
    ok, message = AttioHook().test_connection()
    assert (
        ok
        and "It can delete records; not list entries" in message
        and "not tasks (needs task:read-write)" in message
    )


@pytest.mark.parametrize("kind", ["note", "task"])
def test_a_retry_after_a_partial_first_try(attio: AttioEmulator, kind: str) -> None:
    (ada,) = _people(attio, 1)
    if kind == "note":
        ids = [attio.add_note("people", ada, f"Call {i}")["id"]["note_id"] for i in range(3)]
        AttioHook().delete_note(ids[0])  # the first try's, its answer lost
        op: Any = AttioDeleteNotesOperator(task_id="n", note_ids=ids, if_not_found="fail")
    else:
        ids = [attio.add_task([("people", ada)])["id"]["task_id"] for _ in range(3)]
        AttioHook().delete_task(ids[0])
        op = AttioDeleteTasksOperator(task_id="t", task_ids=ids, if_not_found="fail")
    summary = op.execute(task_context(try_number=2))
    # Not found on a retry without an archive: maybe the first try's work, so if_not_found is not applied.
    assert (summary["deleted"], summary["not_found"], summary["not_found_on_retry"]) == (2, 0, 1)
    assert (attio.note_ids() if kind == "note" else attio.task_ids()) == []
    assert attio.count(method="DELETE") == 4  # the first try's, then one each (404 for the first)

"""List entries, notes and tasks: a bulk delete SIGKILLed halfway, then retried, resumes from its archive.

The same scenario as the records' (``test_bulk.py``, ``test_sync.py``), for each kind and each way of
naming its targets (by id, or by the records they belong to): a child process runs the operator with an
archive, paced under the emulator's budget, and is killed once the emulator has applied 50 DELETEs (read
from its request log, no timer). The retry, a second try of the same task, must finish the job from the
archive: every target gone, nothing deleted that wasn't archived first, no DELETE sent twice for one id.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_attio.operators.activities import AttioDeleteNotesOperator, AttioDeleteTasksOperator
from airflow_provider_attio.operators.lists import AttioDeleteListEntriesOperator
from airflow_provider_attio.testing import AttioEmulator
from tests.helpers import kill_child_after, read_archive_tolerant, task_context

TARGETS = 240
KILL_AFTER = 50
#: Parents of the notes and tasks found by record: 8 on each (one paced read per record, 10 a second).
PER_PARENT = 8

OPERATORS: dict[str, type[Any]] = {
    "entry": AttioDeleteListEntriesOperator,
    "note": AttioDeleteNotesOperator,
    "task": AttioDeleteTasksOperator,
}

_CHILD = """
import json, logging, sys
from types import SimpleNamespace
logging.basicConfig(level=logging.INFO)
from airflow_provider_attio.operators.activities import AttioDeleteNotesOperator, AttioDeleteTasksOperator
from airflow_provider_attio.operators.lists import AttioDeleteListEntriesOperator
operators = {"entry": AttioDeleteListEntriesOperator, "note": AttioDeleteNotesOperator,
             "task": AttioDeleteTasksOperator}
kind, kwargs = json.loads(sys.argv[1])
operator = operators[kind](task_id="teardown", **kwargs)
print(operator.execute({"ti": SimpleNamespace(try_number=1)}), flush=True)
"""


def _kill_after(emu: AttioEmulator, deletes: int, kind: str, kwargs: dict[str, Any]) -> None:
    """Run the kind's operator (a first try) in a child process; SIGKILL it once the emulator has applied
    ``deletes`` DELETEs (polling the emulator's log, not waiting on a timer)."""
    kill_child_after(emu, deletes, _CHILD, json.dumps([kind, kwargs]))
    while emu.in_flight:  # a DELETE the child sent as it died is applied (or not) before anyone looks
        time.sleep(0.01)


def _seed(emu: AttioEmulator, kind: str) -> tuple[list[str], list[str], str]:
    """``TARGETS`` items of the kind, plus one of someone else's that no run may touch.

    Returns the target ids, their parent records, and the id of the item to keep."""
    if kind == "entry":
        emu.add_list("sales")
        people = [emu.create_record("people", {"name": f"P {i}"})["id"]["record_id"] for i in range(TARGETS)]
        targets = [emu.add_list_entry("sales", p)["id"]["entry_id"] for p in people]
        other = emu.create_record("people", {"name": "Other"})["id"]["record_id"]
        return targets, people, emu.add_list_entry("sales", other)["id"]["entry_id"]
    count = TARGETS // PER_PARENT
    people = [emu.create_record("people", {"name": f"P {i}"})["id"]["record_id"] for i in range(count + 1)]
    parents, other = people[:count], people[count]
    if kind == "note":
        targets = [
            emu.add_note("people", parent, f"Note {n}")["id"]["note_id"]
            for parent in parents
            for n in range(PER_PARENT)
        ]
        return targets, parents, emu.add_note("people", other)["id"]["note_id"]
    targets = [
        emu.add_task([("people", parent)], f"Task {n}")["id"]["task_id"]
        for parent in parents
        for n in range(PER_PARENT)
    ]
    return targets, parents, emu.add_task([("people", other)])["id"]["task_id"]


def _left(emu: AttioEmulator, kind: str) -> list[str]:
    if kind == "entry":
        return emu.list_entry_ids("sales")
    return emu.note_ids() if kind == "note" else emu.task_ids()


def _targets(kind: str, mode: str, ids: list[str], parents: list[str]) -> dict[str, Any]:
    if mode == "ids":
        return {f"{kind}_ids": ids}
    prefix = "linked" if kind == "task" else "parent"
    return {f"{prefix}_object": "people", f"{prefix}_record_ids": parents}


@pytest.mark.parametrize("mode", ["ids", "records"])
@pytest.mark.parametrize("kind", ["entry", "note", "task"])
def test_killed_halfway_then_the_retry_resumes_from_the_archive(
    attio: AttioEmulator, tmp_path: Path, kind: str, mode: str
) -> None:
    targets, parents, kept = _seed(attio, kind)
    id_field, container = f"{kind}_id", ({"list": "sales"} if kind == "entry" else {})
    archive = tmp_path / f"{kind}s.jsonl"
    # Paced as at Attio's 25/s, but faster: the kill comes with most of the 240 left (~2 s of deletes at
    # 100/s) and the retry takes ~2 s. The emulator has no write limit, so no DELETE is ever refused (429)
    # and each one the log shows was applied or reached Attio once.
    kwargs: dict[str, Any] = {
        **container,
        **_targets(kind, mode, targets, parents),
        "archive_to": str(archive),
        "max_concurrency": 4,
        "writes_per_second": 100,
    }

    _kill_after(attio, KILL_AFTER, kind, kwargs)

    def deleted_ids() -> list[str]:
        return [r.path.rsplit("/", 1)[1] for r in attio.requests if r.method == "DELETE"]

    first_try = set(deleted_ids())
    assert KILL_AFTER <= len(first_try) < TARGETS
    lines = read_archive_tolerant(archive)
    assert all(line.get("kind") == kind for line in lines)
    archived = {line[id_field]: line[kind] for line in lines if line["type"] == kind}
    marked = {line[id_field] for line in lines if line["type"] == "outcome" and line["outcome"] == "deleted"}
    # 0 deleted unarchived: every DELETE the killed try sent had its item's line written first, and each
    # line holds the item as its GET (sent before the DELETE) returned it.
    assert first_try <= set(archived)
    assert all(archived[item]["id"][id_field] == item for item in first_try)
    sent = [(r.method, r.path.rsplit("/", 1)[1]) for r in attio.requests]
    for item in first_try:
        assert sent.index(("GET", item)) < sent.index(("DELETE", item))
    assert marked and marked <= first_try
    left_before_retry = set(_left(attio, kind)) - {kept}
    assert left_before_retry == set(targets) - first_try

    summary = OPERATORS[kind](task_id="teardown", **kwargs).execute(task_context(try_number=2))

    assert _left(attio, kind) == [kept], "every target is gone, someone else's item stays"
    per_id = Counter(deleted_ids())
    assert set(per_id) == set(targets) and max(per_id.values()) == 1, "a DELETE was sent twice for an id"
    assert attio.count(method="DELETE", status=404) == 0 and attio.count(status=429) == 0
    assert summary["kind"] == kind and summary["failed"] == 0
    assert summary["not_found"] == 0 and summary["not_found_on_retry"] == 0
    if mode == "ids":
        # The archive marks `marked` done: skipped unsent. The others it holds without an outcome (their
        # DELETE was applied as the child died) are found gone and counted deleted; the rest are deleted.
        assert summary["requested"] == TARGETS
        assert summary["skipped_already_deleted"] == len(marked)
        assert summary["deleted"] == TARGETS - len(marked)
    else:
        # Found by record: what is left is a target, and so is each item the archive holds without an
        # outcome (its DELETE was applied as the child died): found gone, counted deleted, not resent.
        unfinished = (set(archived) - marked) & first_try
        assert summary["requested"] == summary["deleted"] == len(left_before_retry) + len(unfinished)
        assert summary["skipped_already_deleted"] == 0
    lines = read_archive_tolerant(archive)
    assert {line[id_field] for line in lines if line["type"] == kind} == set(targets)
    done = {line[id_field] for line in lines if line["type"] == "outcome" and line["outcome"] == "deleted"}
    assert done == set(targets)

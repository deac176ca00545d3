"""Several runs appended to one archive, over real HTTP against the emulator: every archive line names the
run that wrote it, and a restore brings back one run's records (or fails, listing the runs, before any
write when it isn't told which).

No mocks: the deletes run through the operators' ``execute`` with a task instance's identity, the restores
through the hook, the operator and the command line; every claim is checked in the emulator's state, its
request log and the archive's lines.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_attio.core.restore import update_record
from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.activities import AttioDeleteNotesOperator
from airflow_provider_attio.operators.lists import AttioDeleteListEntriesOperator
from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator, AttioRestoreRecordsOperator
from airflow_provider_attio.testing import AttioEmulator
from tests.helpers import EMPTY_CONTEXT, record_ids, run_cli

DAG = "nightly_teardown"
RUN_1 = "scheduled__2026-01-01T00:00:00+00:00"
RUN_2 = "scheduled__2026-01-02T00:00:00+00:00"
#: The teardown task of run 1: mapped, its map indexes are the runs ``TASK_1/0``, ``TASK_1/1``...
TASK_1 = f"{DAG}/{RUN_1}/teardown"
CREATE = "/v2/objects/people/records"

log = logging.getLogger(__name__)


def _context(run_id: str, try_number: int = 1, task_id: str = "teardown", map_index: int = -1) -> Any:
    """A task context with the task instance's identity, as Airflow passes it to ``execute``."""
    ti = SimpleNamespace(
        dag_id=DAG, run_id=run_id, task_id=task_id, map_index=map_index, try_number=try_number
    )
    return cast(Any, {"ti": ti})


def _teardown(archive: Path, ids: list[str], run_id: str, try_number: int = 1) -> dict[str, Any]:
    op = AttioDeleteRecordsOperator(
        task_id="teardown", object="people", record_ids=ids, archive_to=str(archive), writes_per_second=None
    )
    return dict(op.execute(_context(run_id, try_number)))


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _two_runs(attio: AttioEmulator, archive: Path) -> tuple[list[str], list[str]]:
    """Two nightly runs of one teardown task appended to one archive: (run 1's ids, run 2's ids)."""
    first, second = record_ids(attio.seed("people", 3)), record_ids(attio.seed("people", 2))
    _teardown(archive, first, RUN_1)
    _teardown(archive, second, RUN_2)
    return first, second


def _map_index(archive: Path, index: int, ids: list[str], run_id: str = RUN_1) -> None:
    """One map index of a teardown task mapped over cohorts: a run of its own, ``.../teardown/<index>``."""
    op = AttioDeleteRecordsOperator(
        task_id="teardown", object="people", record_ids=ids, archive_to=str(archive), writes_per_second=None
    )
    op.execute(_context(run_id, map_index=index))


def _mapped_teardown(archive: Path, ids_by_index: list[list[str]], run_id: str = RUN_1) -> None:
    """Every map index of the teardown task, in order."""
    for index, ids in enumerate(ids_by_index):
        _map_index(archive, index, ids, run_id)


def _writes(attio: AttioEmulator) -> list[Any]:
    """The requests that change Attio: creates, updates, deletes."""
    return [r for r in attio.requests if r.method in ("PUT", "PATCH", "DELETE") or r.path == CREATE]


def _posts(attio: AttioEmulator) -> int:
    return attio.count(method="POST")


def _restored_ids(mapping: Path) -> list[str]:
    return sorted(line["record_id"] for line in _lines(mapping) if line["type"] == "restored")


# -- what the archive says -----------------------------------------------------------------------------


def test_every_line_names_its_run_and_the_runs_are_told_apart(attio: AttioEmulator, tmp_path: Path) -> None:
    archive = tmp_path / "nightly.jsonl"
    first, second = _two_runs(attio, archive)
    runs = {(line["type"], line["record_id"]): line["run"] for line in _lines(archive)}
    assert len(runs) == 10  # a record line and an outcome line per record, each with its run
    for rid in first:
        assert runs["record", rid] == runs["outcome", rid] == f"{DAG}/{RUN_1}/teardown"
    for rid in second:
        assert runs["record", rid] == runs["outcome", rid] == f"{DAG}/{RUN_2}/teardown"


def test_a_retry_of_the_task_writes_the_same_run(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 4))
    archive = tmp_path / "nightly.jsonl"
    _teardown(archive, ids[:2], RUN_1, try_number=1)  # the first try stopped after two records
    summary = _teardown(archive, ids, RUN_1, try_number=2)  # the retry resumes it
    assert (summary["deleted"], summary["skipped_already_deleted"]) == (2, 2)
    assert {line["run"] for line in _lines(archive)} == {f"{DAG}/{RUN_1}/teardown"}
    attio.clear_log()
    restored = AttioHook().restore_records(archive, writes_per_second=None)  # one run: no choice needed
    assert (restored["run"], restored["restored"]) == (f"{DAG}/{RUN_1}/teardown", 4)


def test_mapped_tasks_are_runs_of_their_own(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 2))
    archive = tmp_path / "mapped.jsonl"
    for index, rid in enumerate(ids):
        op = AttioDeleteRecordsOperator(
            task_id="teardown", object="people", record_ids=[rid], archive_to=str(archive)
        )
        op.execute(_context(RUN_1, map_index=index))
    assert [line["run"] for line in _lines(archive) if line["type"] == "record"] == [
        f"{DAG}/{RUN_1}/teardown/0",
        f"{DAG}/{RUN_1}/teardown/1",
    ]


def test_entries_and_notes_lines_name_their_run(attio: AttioEmulator, tmp_path: Path) -> None:
    attio.add_list("sales")
    person = attio.create_record("people", {"name": "Ada"})["id"]["record_id"]
    attio.add_list_entry("sales", person)
    attio.add_note("people", person, "Call")
    archive = tmp_path / "activities.jsonl"
    AttioDeleteListEntriesOperator(
        task_id="entries", list="sales", filter={}, allow_delete_all=True, archive_to=str(archive)
    ).execute(_context(RUN_1, task_id="entries"))
    AttioDeleteNotesOperator(
        task_id="notes", parent_object="people", parent_record_ids=[person], archive_to=str(archive)
    ).execute(_context(RUN_1, task_id="notes"))
    runs = {(line["kind"], line["type"]): line["run"] for line in _lines(archive)}
    assert runs == {
        ("entry", "entry"): f"{DAG}/{RUN_1}/entries",
        ("entry", "outcome"): f"{DAG}/{RUN_1}/entries",
        ("note", "note"): f"{DAG}/{RUN_1}/notes",
        ("note", "outcome"): f"{DAG}/{RUN_1}/notes",
    }


def test_the_hook_outside_airflow_names_a_run_or_takes_the_callers(
    attio: AttioEmulator, tmp_path: Path
) -> None:
    ids = record_ids(attio.seed("people", 2))
    archive = tmp_path / "script.jsonl"
    AttioHook().delete_records("people", record_ids=ids[:1], archive_to=archive, run="purge-2026-01-05")
    AttioHook().delete_records("people", record_ids=ids[1:], archive_to=archive)
    runs = [line["run"] for line in _lines(archive) if line["type"] == "record"]
    assert runs[0] == "purge-2026-01-05" and runs[1].startswith("local/")
    attio.clear_log()
    with pytest.raises(AttioValidationError, match="run='all' is reserved"):
        AttioHook().delete_records("people", record_ids=ids, archive_to=archive, run="all")
    with pytest.raises(AttioValidationError, match="run must not hold line breaks"):
        AttioHook().delete_records("people", record_ids=ids, archive_to=archive, run="a\nb")
    assert attio.requests == []


# -- choosing a run --------------------------------------------------------------------------------------


def test_run_restores_only_that_runs_records(attio: AttioEmulator, tmp_path: Path) -> None:
    archive = tmp_path / "nightly.jsonl"
    first, second = _two_runs(attio, archive)
    summary = AttioHook().restore_records(archive, run=f"{DAG}/{RUN_1}/teardown", writes_per_second=None)
    assert (summary["run"], summary["requested"], summary["restored"]) == (f"{DAG}/{RUN_1}/teardown", 3, 3)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted(first)
    assert len(attio.record_ids("people")) == 3  # run 2's records stay deleted
    again = AttioHook().restore_records(archive, run=f"{DAG}/{RUN_2}/teardown", writes_per_second=None)
    assert (again["requested"], again["restored"]) == (2, 2)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted(first + second)


def test_several_runs_and_no_run_fail_before_any_write_listing_them(
    attio: AttioEmulator, tmp_path: Path
) -> None:
    archive = tmp_path / "nightly.jsonl"
    _two_runs(attio, archive)
    attio.clear_log()
    with pytest.raises(AttioValidationError) as info:
        AttioHook().restore_records(archive)
    message = str(info.value)
    assert "holds records of 'people' from 2 runs; nothing was restored" in message
    assert f"'{DAG}/{RUN_1}/teardown' (3 record(s), archived 20" in message
    assert f"'{DAG}/{RUN_2}/teardown' (2 record(s), archived 20" in message
    assert "run= (CLI: --run RUN)" in message and "run='all'" in message
    with pytest.raises(AttioValidationError, match="from 2 runs"):
        AttioHook().restore_records(archive, dry_run=True)  # a preview says what the restore would
    assert _posts(attio) == 0 and attio.requests == []
    everything = AttioHook().restore_records(archive, run="all", writes_per_second=None)
    assert (everything["run"], everything["restored"]) == ("all", 5)


def test_an_unknown_run_fails_naming_the_runs(attio: AttioEmulator, tmp_path: Path) -> None:
    archive = tmp_path / "nightly.jsonl"
    _two_runs(attio, archive)
    attio.clear_log()
    with pytest.raises(AttioValidationError) as info:
        AttioHook().restore_records(archive, run=f"{DAG}/{RUN_1}/wrong_task")
    assert f"run='{DAG}/{RUN_1}/wrong_task' archived no record" in str(info.value)
    assert f"'{DAG}/{RUN_2}/teardown' (2 record(s)" in str(info.value)
    with pytest.raises(AttioValidationError, match="run must be a run id"):
        AttioHook().restore_records(archive, run="")
    assert attio.requests == []


def test_record_ids_choose_across_runs_or_within_one(attio: AttioEmulator, tmp_path: Path) -> None:
    archive = tmp_path / "nightly.jsonl"
    first, second = _two_runs(attio, archive)
    with pytest.raises(
        AttioValidationError, match=re.escape(f"not archived records of 'people' by run '{DAG}/{RUN_2}/")
    ):
        AttioHook().restore_records(archive, run=f"{DAG}/{RUN_2}/teardown", record_ids=first[:1])
    summary = AttioHook().restore_records(archive, record_ids=[first[0], second[0]], writes_per_second=None)
    assert (summary["run"], summary["restored"]) == ("all", 2)


def test_an_archive_without_run_fields_restores_as_before(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 3))
    archive = tmp_path / "old.jsonl"
    AttioHook().delete_records("people", record_ids=ids, archive_to=archive, writes_per_second=None)
    # Written by an earlier release: no line names its run.
    archive.write_text(
        "".join(json.dumps({k: v for k, v in line.items() if k != "run"}) + "\n" for line in _lines(archive))
    )
    summary = AttioHook().restore_records(archive, dry_run=True)
    assert (summary["run"], summary["requested"]) == (None, 3)
    summary = AttioHook().restore_records(archive, writes_per_second=None)
    assert (summary["run"], summary["restored"]) == (None, 3)


def test_old_lines_beside_new_runs_are_chosen_with_none(attio: AttioEmulator, tmp_path: Path) -> None:
    old, new = record_ids(attio.seed("people", 2)), record_ids(attio.seed("people", 1))
    archive = tmp_path / "nightly.jsonl"
    AttioHook().delete_records("people", record_ids=old, archive_to=archive)
    archive.write_text(
        "".join(json.dumps({k: v for k, v in line.items() if k != "run"}) + "\n" for line in _lines(archive))
    )
    _teardown(archive, new, RUN_2)
    with pytest.raises(AttioValidationError, match=r"none \(lines without a run id\) \(2 record\(s\)"):
        AttioHook().restore_records(archive)
    summary = AttioHook().restore_records(archive, run="none", writes_per_second=None)
    assert (summary["run"], summary["restored"]) == (None, 2)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted(old)


def test_the_operator_takes_a_templated_run(attio: AttioEmulator, tmp_path: Path) -> None:
    archive = tmp_path / "nightly.jsonl"
    _two_runs(attio, archive)
    op = AttioRestoreRecordsOperator(task_id="restore", archive_from=str(archive), run="{{ params.run }}")
    assert "archive_run" in op.template_fields
    op.archive_run = f"{DAG}/{RUN_1}/teardown"  # as Airflow renders it
    summary = op.execute(EMPTY_CONTEXT)
    assert (summary["run"], summary["restored"]) == (f"{DAG}/{RUN_1}/teardown", 3)
    op.archive_run = ""  # a template rendered empty chooses no run: the archive's runs are listed
    with pytest.raises(AirflowFailException, match="from 2 runs"):
        op.execute(EMPTY_CONTEXT)


# -- the command line -------------------------------------------------------------------------------------


# -- a mapped task's map indexes, chosen together ---------------------------------------------------------


def test_a_mapped_tasks_id_chooses_every_map_index_of_it(
    attio: AttioEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cohort_0, cohort_1 = record_ids(attio.seed("people", 2)), record_ids(attio.seed("people", 1))
    other_task, next_day = record_ids(attio.seed("people", 2)), record_ids(attio.seed("people", 1))
    archive = tmp_path / "nightly.jsonl"
    _mapped_teardown(archive, [cohort_0, cohort_1])
    AttioDeleteRecordsOperator(
        task_id="cleanup", object="people", record_ids=other_task, archive_to=str(archive)
    ).execute(_context(RUN_1, task_id="cleanup"))
    _mapped_teardown(archive, [next_day], RUN_2)  # the next day's map index 0: another run
    caplog.set_level(logging.INFO, logger=__name__)
    summary = AttioHook().restore_records(archive, run=TASK_1, writes_per_second=None, log=log)
    assert (summary["run"], summary["requested"], summary["restored"]) == (TASK_1, 3, 3)
    assert summary["deleted_by_other_run"] == summary["failed"] == 0
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted(cohort_0 + cohort_1)
    assert len(attio.record_ids("people")) == 3  # the cleanup task's and the next day's stay deleted
    assert f"archived by 2 map index(es) of run '{TASK_1}' (chosen together: 0, 1)" in caplog.text


def test_an_exact_run_still_chooses_only_itself(attio: AttioEmulator, tmp_path: Path) -> None:
    cohort_0, cohort_1 = record_ids(attio.seed("people", 2)), record_ids(attio.seed("people", 1))
    unmapped = record_ids(attio.seed("people", 1))
    archive = tmp_path / "nightly.jsonl"
    _mapped_teardown(archive, [cohort_0, cohort_1])
    one = AttioHook().restore_records(archive, run=f"{TASK_1}/1", writes_per_second=None)
    assert (one["run"], one["requested"], one["restored"]) == (f"{TASK_1}/1", 1, 1)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == cohort_1
    # A run of exactly the task's id (the task was not mapped then) wins over its map indexes.
    _teardown(archive, unmapped, RUN_1)
    exact = AttioHook().restore_records(archive, run=TASK_1, writes_per_second=None)
    assert (exact["run"], exact["requested"], exact["restored"]) == (TASK_1, 1, 1)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted(cohort_1 + unmapped)


def test_a_task_id_matching_no_run_fails_before_any_request(attio: AttioEmulator, tmp_path: Path) -> None:
    archive = tmp_path / "nightly.jsonl"
    _mapped_teardown(archive, [record_ids(attio.seed("people", 1)), record_ids(attio.seed("people", 1))])
    attio.clear_log()
    # Only a whole task id chooses its map indexes: not a shorter string, nor the dag run's id.
    for run in (f"{TASK_1[:-1]}", f"{DAG}/{RUN_1}", f"{TASK_1}/2", f"{DAG}/{RUN_2}/teardown"):
        with pytest.raises(AttioValidationError) as info:
            AttioHook().restore_records(archive, run=run, dry_run=True)
        assert f"run={run!r} archived no record" in str(info.value)
        assert f"'{TASK_1}/0' (1 record(s)" in str(info.value)
        assert f"'{TASK_1}/1' (1 record(s)" in str(info.value)
    assert attio.requests == []


def test_a_record_another_run_deleted_stays_deleted_under_the_task_id(
    attio: AttioEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Map index 0 archives x and y and fails to delete x; index 1 deletes z; the next day's unmapped run
    # deletes x.
    x, y, z = record_ids(attio.seed("people", 3))
    archive = tmp_path / "nightly.jsonl"
    attio.fail_next(1, 400, method="DELETE", path=f"/v2/objects/people/records/{x}")
    with pytest.raises(AirflowFailException, match="could not be deleted"):
        _map_index(archive, 0, [x, y])
    _map_index(archive, 1, [z])
    _teardown(archive, [x], RUN_2)
    caplog.set_level(logging.INFO, logger=__name__)
    summary = AttioHook().restore_records(archive, run=TASK_1, writes_per_second=None, log=log)
    assert (summary["requested"], summary["restored"], summary["deleted_by_other_run"]) == (3, 2, 1)
    assert (summary["still_present"], summary["failed"]) == (0, 0)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted([y, z])
    assert f"of 'people' archived by 2 map index(es) of run '{TASK_1}'" in caplog.text
    assert f"were deleted by another run, '{DAG}/{RUN_2}/teardown', not by this one" in caplog.text


def test_a_record_two_map_indexes_archived_comes_back_from_the_latest_copy(
    attio: AttioEmulator, tmp_path: Path
) -> None:
    x = attio.create_record("people", {"name": "Ada", "nickname": "first"})["id"]["record_id"]
    archive = tmp_path / "nightly.jsonl"
    attio.fail_next(1, 400, method="DELETE", path=f"/v2/objects/people/records/{x}")
    with pytest.raises(AirflowFailException, match="could not be deleted"):
        _map_index(archive, 0, [x])  # index 0 archives x, fails to delete it
    AttioHook().run(update_record("people", x, {"nickname": "second"}))
    _map_index(archive, 1, [x])  # index 1 archives x again, and deletes it
    summary = AttioHook().restore_records(archive, run=TASK_1, writes_per_second=None)
    assert (summary["requested"], summary["restored"]) == (1, 1)
    (new,) = _mapping_new_ids(tmp_path)
    restored = attio.get_record("people", new)
    assert restored is not None and restored["values"]["nickname"][0]["value"] == "second"


def test_a_dry_run_of_a_task_id_sends_no_write(attio: AttioEmulator, tmp_path: Path) -> None:
    archive = tmp_path / "nightly.jsonl"
    _mapped_teardown(archive, [record_ids(attio.seed("people", 2)), record_ids(attio.seed("people", 1))])
    attio.clear_log()
    summary = AttioHook().restore_records(archive, run=TASK_1, dry_run=True)
    assert (summary["run"], summary["dry_run"], summary["requested"], summary["restored"]) == (
        TASK_1,
        True,
        3,
        0,
    )
    assert attio.requests and _writes(attio) == []  # it read Attio (attributes, checks), wrote nothing


def test_the_command_line_lists_runs_and_restores_one(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path
) -> None:
    use_connection(attio.base_url, conn_id="attio_incident")
    archive = tmp_path / "nightly.jsonl"
    first, _ = _two_runs(attio, archive)
    listed = run_cli("runs", str(archive))
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert [(r["object"], r["run"], r["records"]) for r in runs] == [
        ("people", f"{DAG}/{RUN_1}/teardown", 3),
        ("people", f"{DAG}/{RUN_2}/teardown", 2),
    ]
    assert all(r["first_archived_at"] <= r["last_archived_at"] for r in runs)
    attio.clear_log()
    refused = run_cli("restore", str(archive), "--conn-id", "attio_incident")
    assert refused.returncode == 1 and "from 2 runs" in refused.stderr and refused.stdout == ""
    assert attio.requests == []
    done = run_cli("restore", str(archive), "--conn-id", "attio_incident", "--run", f"{DAG}/{RUN_1}/teardown")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["run"], summary["restored"]) == (f"{DAG}/{RUN_1}/teardown", 3)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted(first)


def test_the_command_line_restores_a_mapped_task_by_its_id(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path
) -> None:
    use_connection(attio.base_url, conn_id="attio_incident")
    cohort_0, cohort_1 = record_ids(attio.seed("people", 1)), record_ids(attio.seed("people", 2))
    archive = tmp_path / "nightly.jsonl"
    _mapped_teardown(archive, [cohort_0, cohort_1])
    _teardown(archive, record_ids(attio.seed("people", 1)), RUN_2)
    done = run_cli("restore", str(archive), "--conn-id", "attio_incident", "--run", TASK_1)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["run"], summary["requested"], summary["restored"]) == (TASK_1, 3, 3)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted(cohort_0 + cohort_1)
    assert "2 map index(es) of run" in done.stderr


def test_a_run_does_not_bring_back_what_a_later_run_deleted(
    attio: AttioEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Run 1 archives x, y and z; the DELETEs of x and z fail. Run 2 archives x again and deletes it.
    x, y, z = record_ids(attio.seed("people", 3))
    archive = tmp_path / "nightly.jsonl"
    for rid in (x, z):
        attio.fail_next(1, 400, method="DELETE", path=f"/v2/objects/people/records/{rid}")
    failed = re.escape("2 of 3 record(s) of 'people' could not be deleted")
    with pytest.raises(AirflowFailException, match=failed):
        _teardown(archive, [x, y, z], RUN_1)
    _teardown(archive, [x], RUN_2)
    outcomes = [(line["run"], line["outcome"]) for line in _lines(archive) if line.get("outcome")]
    assert (f"{DAG}/{RUN_1}/teardown", "failed") in outcomes  # x's and z's
    assert outcomes[-1] == (f"{DAG}/{RUN_2}/teardown", "deleted")  # x's
    caplog.set_level(logging.INFO, logger=__name__)
    summary = AttioHook().restore_records(
        archive, run=f"{DAG}/{RUN_1}/teardown", writes_per_second=None, log=log
    )
    assert (summary["requested"], summary["restored"], summary["still_present"]) == (3, 1, 1)
    assert (summary["deleted_by_other_run"], summary["failed"]) == (1, 0)
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == [y]  # x stays deleted, as run 2 meant
    assert sorted(attio.record_ids("people")) == sorted([z, *_mapping_new_ids(tmp_path)])
    assert f"were deleted by another run, '{DAG}/{RUN_2}/teardown', not by this one" in caplog.text
    assert "restore that run to bring them back" in caplog.text and x in caplog.text
    again = AttioHook().restore_records(archive, run=f"{DAG}/{RUN_2}/teardown", writes_per_second=None)
    assert (again["restored"], again["deleted_by_other_run"]) == (1, 0)  # restoring run 2 brings x back
    assert _restored_ids(tmp_path / "nightly.mapping.jsonl") == sorted([x, y])


def _mapping_new_ids(folder: Path) -> list[str]:
    mapping = _lines(folder / "nightly.mapping.jsonl")
    return [line["new_record_id"] for line in mapping if line["type"] == "restored"]


def test_a_long_task_instance_id_is_a_run_for_every_kind(attio: AttioEmulator, tmp_path: Path) -> None:
    # Each part within Airflow's 250 characters, the whole 262: a long dag_id, a manual run id, a task
    # in a task group.
    dag_id, run_id = "customer_sync_" + "x" * 106, "manual__2026-01-05T10:00:00+00:00_" + "r" * 84
    ti = SimpleNamespace(dag_id=dag_id, run_id=run_id, task_id="teardown_group.records", map_index=-1)
    run = f"{dag_id}/{run_id}/teardown_group.records"
    assert len(run) == 262
    people = record_ids(attio.seed("people", 2))
    attio.add_note("people", people[0], "Call")
    archive = tmp_path / "long.jsonl"
    records = AttioDeleteRecordsOperator(
        task_id="records", object="people", record_ids=people[1:], archive_to=str(archive)
    ).execute(cast(Any, {"ti": ti}))
    assert records["deleted"] == 1
    ti.task_id = "teardown_group.notes"  # the notes task of the same group: its run is taken alike
    notes = AttioDeleteNotesOperator(
        task_id="notes", parent_object="people", parent_record_ids=people[:1], archive_to=str(archive)
    ).execute(cast(Any, {"ti": ti}))
    assert notes["deleted"] == 1
    assert [line["run"] for line in _lines(archive) if line["type"] == "record"] == [run]
    notes_run = f"{dag_id}/{run_id}/teardown_group.notes"
    assert [line["run"] for line in _lines(archive) if line["type"] == "note"] == [notes_run]
    summary = AttioHook().restore_records(archive, run=run, writes_per_second=None)
    assert (summary["run"], summary["restored"]) == (run, 1)

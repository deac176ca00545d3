"""example_attio_restore (AttioRestoreRecordsOperator) end to end with dag.test() against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.testing import AttioEmulator
from tests.dags.conftest import DagRunResult
from tests.helpers import record_ids

DAG_ID = "example_attio_restore"


def test_defaults_write_nothing_then_a_confirmed_run_restores(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    keep = record_ids(attio.seed("people", 2))
    doomed = record_ids(attio.seed("people", 4))
    archive = tmp_path / "teardown.jsonl"
    AttioHook().delete_records("people", record_ids=doomed, archive_to=archive, writes_per_second=None)
    attio.clear_log()

    nothing = run_dag(DAG_ID)  # no archive given: nothing read, nothing written
    assert nothing.states == {
        "check_archive": "success",
        "preview": "skipped",
        "check_confirmation": "skipped",
        "restore": "skipped",
    }
    assert attio.requests == []
    restored = run_dag(DAG_ID, archive_from=str(archive), confirm_restore=True)
    assert restored.state == "success"
    preview = restored.xcoms["preview"]  # the dry run, before the confirmation let the restore run
    assert (preview["requested"], preview["restored"], preview["dry_run"]) == (4, 0, True)
    summary = restored.xcoms["restore"]
    assert (summary["restored"], summary["failed"], summary["mapping"]) == (
        4,
        0,
        str(tmp_path / "teardown.mapping.jsonl"),
    )
    assert len(attio.record_ids("people")) == 6 and set(keep) <= set(attio.record_ids("people"))


def test_a_bad_archive_fails_without_retries(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    result = run_dag(DAG_ID, archive_from=str(tmp_path / "missing.jsonl"), confirm_restore=True)
    assert result.states["preview"] == "failed" and result.tries["preview"] == 1
    assert attio.requests == []


def test_an_archive_of_several_runs_restores_the_chosen_one(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    archive = tmp_path / "nightly.jsonl"
    first, second = record_ids(attio.seed("people", 3)), record_ids(attio.seed("people", 2))
    for ids, run in ((first, "nightly/day_1/teardown"), (second, "nightly/day_2/teardown")):
        AttioHook().delete_records(
            "people", record_ids=ids, archive_to=archive, run=run, writes_per_second=None
        )
    attio.clear_log()
    unchosen = run_dag(DAG_ID, archive_from=str(archive), confirm_restore=True)
    assert unchosen.states["preview"] == "failed" and unchosen.tries["preview"] == 1  # no retries
    assert attio.count(method="POST") == 0
    chosen = run_dag(DAG_ID, archive_from=str(archive), run="nightly/day_1/teardown", confirm_restore=True)
    assert chosen.state == "success"
    summary = chosen.xcoms["restore"]
    assert (summary["run"], summary["restored"]) == ("nightly/day_1/teardown", 3)
    assert len(attio.record_ids("people")) == 3

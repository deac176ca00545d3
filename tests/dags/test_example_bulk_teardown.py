"""example_attio_bulk_teardown end to end with dag.test() against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from airflow_provider_attio.testing import AttioEmulator
from tests.dags.conftest import DagRunResult

DAG_ID = "example_attio_bulk_teardown"


def _person(emu: AttioEmulator, name: str, email: str) -> str:
    record = emu.create_record("people", {"name": name, "email_addresses": [email]})
    return str(record["id"]["record_id"])


def test_preview_then_teardown_with_an_archive(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    doomed = [_person(attio, f"Tester {n}", f"tester{n}@loadtest.dev") for n in range(6)]
    kept = [_person(attio, f"Customer {n}", f"customer{n}@acme.com") for n in range(4)]
    before = {rid: attio.get_record("people", rid) for rid in doomed}

    result = run_dag(DAG_ID, archive_to=str(tmp_path))

    assert result.state == "success"
    assert result.states == {"preview": "success", "check_preview": "success", "teardown": "success"}
    assert result.xcoms["preview"]["dry_run"] is True and result.xcoms["preview"]["requested"] == 6
    assert result.xcoms["check_preview"] == 6
    summary = result.xcoms["teardown"]
    assert (summary["requested"], summary["deleted"], summary["failed"], summary["dry_run"]) == (
        6,
        6,
        0,
        False,
    )
    assert attio.record_ids("people") == kept
    assert attio.count(method="DELETE") == 6

    # One archive per run, under the folder given as param, holding every record as GET returned it.
    (archive,) = (tmp_path / DAG_ID).glob("*.jsonl")
    assert summary["archive"] == str(archive)
    lines = [json.loads(line) for line in archive.read_text().splitlines()]
    assert {line["record_id"]: line["record"] for line in lines if line["type"] == "record"} == before


def test_nothing_matching_skips_the_teardown(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    kept = [_person(attio, f"Customer {n}", f"customer{n}@acme.com") for n in range(3)]
    result = run_dag(DAG_ID, archive_to=str(tmp_path), filter={"name": "Nobody"})
    assert result.states == {"preview": "success", "check_preview": "skipped", "teardown": "skipped"}
    assert attio.record_ids("people") == kept
    assert attio.count(method="DELETE") == 0
    assert not (tmp_path / DAG_ID).exists()


def test_cap_stops_the_preview_before_anything_is_deleted(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    attio.seed("people", 5)
    result = run_dag(DAG_ID, archive_to=str(tmp_path), filter={}, object="people")
    # filter={} is everything: refused without allow_delete_all, before any request that deletes.
    assert result.states["preview"] == "failed"
    assert result.states["teardown"] in ("upstream_failed", None)
    assert attio.count(method="DELETE") == 0
    assert len(attio.record_ids("people")) == 5

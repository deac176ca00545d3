"""example_attio_bulk_teardown end to end with dag.test() against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.testing.seed import seed_examples
from tests.dags.conftest import DagRunResult

DAG_ID = "example_attio_bulk_teardown"


def _person(emu: AttioEmulator, name: str, email: str) -> str:
    record = emu.create_record("people", {"name": name, "email_addresses": [email]})
    return str(record["id"]["record_id"])


def _faster_teardown(dag: Any) -> None:
    """The example paces its teardown at Attio's 25 writes/s: 6 s for 150 records. The emulator has no
    limit here, and the pace is not what these tests check (test_bulk.py does)."""
    teardown = dag.get_task("teardown")
    teardown.options = replace(teardown.options, writes_per_second=250)


def test_default_params_delete_nothing(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    """One click on Trigger, defaults untouched: a preview at most, never a DELETE."""
    # People on .dev domains (what the old default matched) and on real-looking domains.
    people = [_person(attio, f"Dev {n}", f"dev{n}@startup.dev") for n in range(5)]
    people += [r["id"]["record_id"] for r in attio.seed("people", 20)]
    result = run_dag(DAG_ID, archive_to=str(tmp_path))
    assert result.state == "success"
    assert result.states == {"preview": "success", "check_preview": "success", "teardown": "skipped"}
    assert result.xcoms["preview"]["requested"] == 0  # the default filter matches no real person
    assert attio.count(method="DELETE") == 0
    assert attio.record_ids("people") == people
    assert not (tmp_path / DAG_ID).exists()


def test_without_confirmation_the_run_is_only_a_preview(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    doomed = [_person(attio, f"Tester {n}", f"tester{n}@loadtest.dev") for n in range(6)]
    loadtest_filter = {"email_addresses": {"email_domain": "loadtest.dev"}}
    for conf in ({}, {"confirm_delete": False}):
        result = run_dag(DAG_ID, archive_to=str(tmp_path), filter=loadtest_filter, **conf)
        assert result.states == {"preview": "success", "check_preview": "success", "teardown": "skipped"}
        assert result.xcoms["preview"]["requested"] == 6
    assert attio.count(method="DELETE") == 0
    assert attio.record_ids("people") == doomed


def test_default_filter_and_confirmation_delete_the_seeded_load_testers(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    """What ``serve --seed examples`` creates is what the default filter matches, and only that."""
    seeded = seed_examples(attio)
    everyone = attio.record_ids("people")
    result = run_dag(DAG_ID, adjust=_faster_teardown, archive_to=str(tmp_path), confirm_delete=True)
    assert result.states == {"preview": "success", "check_preview": "success", "teardown": "success"}
    assert result.xcoms["teardown"]["deleted"] == len(seeded.load_testers) == 150
    assert attio.record_ids("people") == [rid for rid in everyone if rid not in seeded.load_testers]
    assert attio.count(method="DELETE") == 150


def test_preview_then_teardown_with_an_archive(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    doomed = [_person(attio, f"Tester {n}", f"tester{n}@loadtest.dev") for n in range(6)]
    kept = [_person(attio, f"Customer {n}", f"customer{n}@acme.com") for n in range(4)]
    before = {rid: attio.get_record("people", rid) for rid in doomed}

    loadtest_filter = {"email_addresses": {"email_domain": "loadtest.dev"}}
    result = run_dag(DAG_ID, archive_to=str(tmp_path), filter=loadtest_filter, confirm_delete=True)

    assert result.state == "success"
    assert result.states == {"preview": "success", "check_preview": "success", "teardown": "success"}
    assert result.xcoms["preview"]["dry_run"] is True and result.xcoms["preview"]["requested"] == 6
    assert result.xcoms["check_preview"] is True
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
    result = run_dag(DAG_ID, archive_to=str(tmp_path), filter={"name": "Nobody"}, confirm_delete=True)
    assert result.states == {"preview": "success", "check_preview": "success", "teardown": "skipped"}
    assert attio.record_ids("people") == kept
    assert attio.count(method="DELETE") == 0
    assert not (tmp_path / DAG_ID).exists()


def test_cap_stops_the_preview_before_anything_is_deleted(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], tmp_path: Path
) -> None:
    attio.seed("people", 5)
    result = run_dag(DAG_ID, archive_to=str(tmp_path), filter={}, object="people", confirm_delete=True)
    # filter={} is everything: refused without allow_delete_all, before any request that deletes.
    assert result.states["preview"] == "failed"
    assert result.states["teardown"] in ("upstream_failed", None)
    assert attio.count(method="DELETE") == 0
    assert len(attio.record_ids("people")) == 5

"""example_attio_delete_record end to end with dag.test() against the emulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.testing.seed import seed_examples
from tests.dags.conftest import DagRunResult

DAG_ID = "example_attio_delete_record"


def test_default_params_delete_nothing(attio: AttioEmulator, run_dag: Callable[..., DagRunResult]) -> None:
    records = attio.seed("people", 5)
    result = run_dag(DAG_ID)
    assert result.state == "success"
    assert result.states == {"check_confirmation": "success", "delete_record": "skipped"}
    assert attio.count(method="DELETE") == 0  # not even a DELETE of a record that doesn't exist
    assert len(attio.record_ids("people")) == len(records)


def test_a_record_without_confirmation_is_kept(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    target = attio.seed("people", 3)[1]["id"]["record_id"]
    result = run_dag(DAG_ID, record_id=target)
    assert result.states == {"check_confirmation": "success", "delete_record": "skipped"}
    assert attio.count(method="DELETE") == 0
    assert target in attio.record_ids("people")


def test_confirmation_without_a_record_fails_clearly(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], capfd: pytest.CaptureFixture[str]
) -> None:
    result = run_dag(DAG_ID, confirm_delete=True)
    out, err = capfd.readouterr()
    assert 'No record to delete: trigger with {"record_id": "<uuid>", "confirm_delete": true}' in out + err
    assert result.state == "failed"
    assert result.states["check_confirmation"] == "failed"
    assert result.states["delete_record"] in ("upstream_failed", None)
    assert attio.count(method="DELETE") == 0


def test_deletes_the_record_given_as_param(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    records = attio.seed("people", 5)
    target = records[2]["id"]["record_id"]
    result = run_dag(DAG_ID, record_id=target, confirm_delete=True)
    assert result.state == "success"
    assert result.states == {"check_confirmation": "success", "delete_record": "success"}
    assert result.xcoms["delete_record"] == {"object": "people", "record_id": target, "outcome": "deleted"}
    assert attio.record_ids("people") == [
        r["id"]["record_id"] for r in records if r["id"]["record_id"] != target
    ]
    assert attio.count(method="DELETE") == 1


def test_the_seeded_example_command_deletes_delia(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    seeded = seed_examples(attio)
    result = run_dag(DAG_ID, record_id=seeded.delete_me, confirm_delete=True)
    assert result.xcoms["delete_record"]["outcome"] == "deleted"
    assert seeded.delete_me not in attio.record_ids("people")
    assert attio.count(method="DELETE") == 1

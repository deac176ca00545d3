"""AttioDeleteRecordOperator end to end with dag.test(): the if_not_found matrix, retries and mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_attio.testing import AttioEmulator
from tests.helpers import MISSING_ID, record_ids


def test_if_not_found_matrix(attio: AttioEmulator, run_dag: Callable[..., Any]) -> None:
    present = record_ids(attio.seed("people", 3))
    bystanders = record_ids(attio.seed("people", 2))
    result = run_dag("attio_test_if_not_found", present=present, missing=MISSING_ID)

    assert result.state == "failed"
    expected = {
        "present_succeed": "success",
        "present_fail": "success",
        "present_skip": "success",
        "missing_succeed": "success",
        "missing_fail": "failed",
        "missing_skip": "skipped",
        # A missing object always fails, whatever if_not_found says.
        "missing_object_succeed": "failed",
        "missing_object_fail": "failed",
        "missing_object_skip": "failed",
        "bad_record_id": "failed",
        "bad_object": "failed",
    }
    assert result.states == expected
    # Permanent failures don't use the DAG's retries.
    for task_id, state in expected.items():
        if state == "failed":
            assert result.tries[task_id] == 1, task_id
    for policy, record_id in zip(("succeed", "fail", "skip"), present, strict=True):
        assert result.xcoms[f"present_{policy}"] == {
            "object": "people",
            "record_id": record_id,
            "outcome": "deleted",
        }
    assert result.xcoms["missing_succeed"] == {
        "object": "people",
        "record_id": MISSING_ID,
        "outcome": "not_found",
    }
    assert "missing_fail" not in result.xcoms and "missing_skip" not in result.xcoms
    assert attio.record_ids("people") == bystanders
    # Bad input was refused before any request: only the 3 present + 3 missing + 3 missing-object DELETEs.
    assert attio.count(method="DELETE") == 9


def test_transient_errors_outlasting_the_hook_leave_airflow_retries_to_act(
    attio: AttioEmulator, use_connection: Callable[..., None], run_dag: Callable[..., Any]
) -> None:
    use_connection(attio.base_url, max_retries=1)
    record_id = record_ids(attio.seed("people", 1))[0]
    attio.fail_next(2, 503, method="DELETE")  # both attempts of the first try
    result = run_dag("attio_test_transient", record_id=record_id)
    assert result.states == {"delete": "success"}
    assert result.tries["delete"] == 2
    assert result.xcoms["delete"]["outcome"] == "deleted"
    assert attio.record_ids("people") == []


def test_mapped_delete_of_20_records(attio: AttioEmulator, run_dag: Callable[..., Any]) -> None:
    people = record_ids(attio.seed("people", 25))
    companies = record_ids(attio.seed("companies", 4))
    targets = people[:20]
    result = run_dag("attio_test_mapped", ids=targets, company_ids=companies[:3])
    assert result.state == "success"
    for index, record_id in enumerate(targets):
        assert result.states[f"delete_people[{index}]"] == "success"
        assert result.xcoms[f"delete_people[{index}]"] == {
            "object": "people",
            "record_id": record_id,
            "outcome": "deleted",
        }
    assert [result.xcoms[f"delete_companies[{i}]"]["record_id"] for i in range(3)] == companies[:3]
    assert attio.record_ids("people") == people[20:]
    assert attio.record_ids("companies") == companies[3:]
    assert attio.count(method="DELETE") == 23


def test_single_delete_retried_after_a_lost_answer_succeeds_with_a_distinct_outcome(
    attio: AttioEmulator, use_connection: Callable[..., None], run_dag: Callable[..., Any]
) -> None:
    use_connection(attio.base_url, max_retries=0)
    ids = [attio.create_record("people", {"name": f"P{i}"})["id"]["record_id"] for i in range(3)]
    attio.drop_after_apply(3)  # each task's first DELETE is applied but its answer lost
    result = run_dag("attio_test_retry_after_lost_answer", ids=ids)
    for policy in ("succeed", "fail", "skip"):
        assert result.states[f"delete_{policy}"] == "success", policy
        assert result.tries[f"delete_{policy}"] == 2
        assert result.xcoms[f"delete_{policy}"]["outcome"] == "not_found_on_retry"
    assert attio.record_ids("people") == []

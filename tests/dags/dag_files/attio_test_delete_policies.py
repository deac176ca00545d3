"""Test DAGs for AttioDeleteRecordOperator: the if_not_found matrix, retries, mapping."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_attio.operators.records import AttioDeleteRecordOperator

START = pendulum.datetime(2026, 1, 1, tz="UTC")
# Airflow retries are on, so a test can tell "failed without retries" from "failed after retrying".
RETRYING = {"retries": 2, "retry_delay": timedelta(seconds=0)}

with DAG(
    "attio_test_if_not_found",
    schedule=None,
    start_date=START,
    default_args=RETRYING,
    params={"present": ["", "", ""], "missing": ""},
) as if_not_found_dag:
    for index, policy in enumerate(("succeed", "fail", "skip")):
        AttioDeleteRecordOperator(
            task_id=f"present_{policy}",
            object="people",
            record_id=f"{{{{ params.present[{index}] }}}}",
            if_not_found=policy,
        )
        AttioDeleteRecordOperator(
            task_id=f"missing_{policy}",
            object="people",
            record_id="{{ params.missing }}",
            if_not_found=policy,
        )
        AttioDeleteRecordOperator(
            task_id=f"missing_object_{policy}",
            object="widgets",
            record_id="{{ params.missing }}",
            if_not_found=policy,
        )
    AttioDeleteRecordOperator(task_id="bad_record_id", object="people", record_id="{{ params.missing[:8] }}")
    AttioDeleteRecordOperator(task_id="bad_object", object="People!", record_id="{{ params.missing }}")


with DAG(
    "attio_test_transient",
    schedule=None,
    start_date=START,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
    params={"record_id": ""},
) as transient_dag:
    AttioDeleteRecordOperator(task_id="delete", object="people", record_id="{{ params.record_id }}")


with DAG(
    "attio_test_retry_after_lost_answer",
    schedule=None,
    start_date=START,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
    params={"ids": ["", "", ""]},
) as retry_after_lost_answer_dag:
    for index, policy in enumerate(("succeed", "fail", "skip")):
        AttioDeleteRecordOperator(
            task_id=f"delete_{policy}",
            object="people",
            record_id=f"{{{{ params.ids[{index}] }}}}",
            if_not_found=policy,
        )


@task
def ids_from_params(params: dict | None = None) -> list[str]:
    assert params is not None
    return list(params["ids"])


@task
def kwargs_from_params(params: dict | None = None) -> list[dict[str, str]]:
    assert params is not None
    return [{"object": "companies", "record_id": record_id} for record_id in params["company_ids"]]


with DAG(
    "attio_test_mapped",
    schedule=None,
    start_date=START,
    params={"ids": [], "company_ids": []},
) as mapped_dag:
    AttioDeleteRecordOperator.partial(task_id="delete_people", object="people").expand(
        record_id=ids_from_params()
    )
    AttioDeleteRecordOperator.partial(task_id="delete_companies").expand_kwargs(kwargs_from_params())

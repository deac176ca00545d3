"""The deployment test's shared write budget: three bulk deletes at once in the ``attio_writes`` pool.

The pool has 3 slots and each task paces itself at 23/3 writes/s, as docs/scale.md advises for a strict
sliding window: together they stay under Attio's 25 writes/s (scenario 4 counts the 429s).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator

POOL_SLOTS = 3

with DAG(
    dag_id="deploy_pool",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"cohorts": Param([], type="array", description="One list of record ids per bulk task")},
    tags=["deployment-test"],
) as dag:

    @task
    def cohorts(params: dict[str, Any] | None = None) -> list[list[str]]:
        assert params is not None
        return [list(ids) for ids in params["cohorts"]]

    AttioDeleteRecordsOperator.partial(
        task_id="teardown",
        object="people",
        pool="attio_writes",
        writes_per_second=23 / POOL_SLOTS,
    ).expand(record_ids=cohorts())

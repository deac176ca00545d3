"""The deployment test's bulk delete: the ids and the archive come with the run's conf.

Scenario 2 kills the worker running ``teardown`` and expects its retry, on the other worker, to resume from
the archive; scenario 5 rotates the token under it. Without ``archive_to`` in the conf the archive is a
folder of the worker's own temp dir, as in ``example_attio_bulk_teardown``: worker-local.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator

# Parsed on the worker that runs the task: its own temp dir, which the other worker can't see.
WORKER_LOCAL = str(Path(tempfile.gettempdir()) / "attio-archive")

with DAG(
    dag_id="deploy_bulk",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "record_ids": Param([], type="array"),
        "archive_to": Param("", type="string", description="A folder; empty: the worker's temp dir"),
    },
    tags=["deployment-test"],
) as dag:

    @task
    def targets(params: dict[str, Any] | None = None) -> list[str]:
        assert params is not None
        return list(params["record_ids"])

    AttioDeleteRecordsOperator(
        task_id="teardown",
        object="people",
        record_ids=targets(),
        archive_to="{{ params.archive_to or '" + WORKER_LOCAL + "' }}/{{ run_id }}.jsonl",
        writes_per_second=25,
        retries=1,
        retry_delay=timedelta(seconds=1),
    )

"""The deployment test's deferred sensors: one mapped ``AttioRecordSensor`` per record of the conf.

Each waits, deferred to the triggerer, until its record is gone. The triggerer checks every sensor of the
object with one query per tick (scenario 3 counts them); scenario 5 rotates the token while they wait.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_attio.sensors.records import AttioRecordSensor

with DAG(
    dag_id="deploy_sensors",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks=200,  # every sensor at once: deferred, they hold no worker slot
    params={"record_ids": Param([], type="array")},
    tags=["deployment-test"],
) as dag:

    @task
    def targets(params: dict[str, Any] | None = None) -> list[str]:
        assert params is not None
        return list(params["record_ids"])

    AttioRecordSensor.partial(
        task_id="wait_gone",
        object="people",
        wait_for="absent",
        deferrable=True,
        poke_interval=5,
        timeout=600,
    ).expand(record_id=targets())

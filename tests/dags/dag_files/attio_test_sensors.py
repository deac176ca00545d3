"""Test DAGs for AttioRecordSensor: timeouts and soft_fail, poke and deferred, a record that appears, and
many records watched at once in poke, reschedule and deferrable modes."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_attio.sensors.records import AttioRecordSensor

START = pendulum.datetime(2026, 1, 1, tz="UTC")

with DAG("attio_test_sensor_timeouts", schedule=None, start_date=START, params={"record_id": ""}) as timeouts:
    for deferrable in (False, True):
        for soft_fail in (False, True):
            AttioRecordSensor(
                task_id=f"{'deferred' if deferrable else 'poke'}{'_soft_fail' if soft_fail else ''}",
                object="people",
                record_id="{{ params.record_id }}",
                wait_for="present",
                deferrable=deferrable,
                soft_fail=soft_fail,
                poke_interval=0.5,
                timeout=2,
            )

with DAG("attio_test_sensor_appears", schedule=None, start_date=START, params={"record_id": ""}) as appears:
    for mode, deferrable in (("poke", False), ("reschedule", False), ("poke", True)):
        AttioRecordSensor(
            task_id="deferred" if deferrable else mode,
            object="people",
            record_id="{{ params.record_id }}",
            wait_for="present",
            deferrable=deferrable,
            mode=mode,
            poke_interval=0.3,
            timeout=60,
        )

with DAG("attio_test_sensor_many", schedule=None, start_date=START, params={"record_ids": []}) as many:

    @task
    def ids_to_watch(**context: object) -> list[str]:
        return list(context["params"]["record_ids"])  # type: ignore[index]

    ids = ids_to_watch()
    for mode, deferrable, record_ids in (
        ("poke", False, "{{ params.record_ids }}"),  # rendered to a string: parsed back
        ("reschedule", False, ids),  # an XComArg
        ("poke", True, ids),
    ):
        AttioRecordSensor(
            task_id="deferred" if deferrable else mode,
            object="people",
            record_ids=record_ids,
            wait_for="absent",
            deferrable=deferrable,
            mode=mode,
            poke_interval=0.3,
            timeout=60,
        )

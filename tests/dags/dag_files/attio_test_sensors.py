"""Test DAGs for AttioRecordSensor: timeouts and soft_fail, poke and deferred, and a record that appears."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

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

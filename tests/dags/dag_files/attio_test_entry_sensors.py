"""Test DAGs for AttioListEntrySensor: an entry taken off a list, waited for in poke and deferrable modes,
and a missing list."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_attio.sensors.entries import AttioListEntrySensor

START = pendulum.datetime(2026, 1, 1, tz="UTC")

with DAG(
    "attio_test_entry_sensor",
    schedule=None,
    start_date=START,
    params={"list": "sales", "entry_id": "", "entry_ids": []},
    render_template_as_native_obj=True,
) as entries:
    for deferrable in (False, True):
        AttioListEntrySensor(
            task_id=f"{'deferred' if deferrable else 'poke'}_absent",
            list="{{ params.list }}",
            entry_id="{{ params.entry_id }}",
            wait_for="absent",
            deferrable=deferrable,
            poke_interval=0.2,
            timeout=60,
        )
        AttioListEntrySensor(
            task_id=f"{'deferred' if deferrable else 'poke'}_present",
            list="{{ params.list }}",
            entry_ids="{{ params.entry_ids }}",
            wait_for="present",
            require="any",
            deferrable=deferrable,
            poke_interval=0.2,
            timeout=60,
        )

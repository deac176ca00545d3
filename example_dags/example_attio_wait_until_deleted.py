"""Wait, deferred, until an Attio record is gone; then continue.

Use it when another system (a user in Attio, a workflow, another DAG) deletes a record and your pipeline
must not go on before it has: rebuilding a report, re-importing a cleaned record, closing a ticket.

What it shows:

* ``AttioRecordSensor(wait_for="absent", deferrable=True)`` checks once, and if the record is still
  there hands the waiting to Airflow's triggerer: no worker slot is held while it waits.
* A record being merged in Attio (``merge_in_progress``), rate limits and Attio outages mean "keep
  waiting", logged; a missing object or a bad token fail at once.
* ``timeout`` bounds the wait (the sensor fails, or is skipped with ``soft_fail=True``), deferred or not.
* ``wait_for="present"`` waits for a record to exist instead, and returns its ids and ``web_url``.
* ``record_ids=[...]`` (a list, or an upstream task's output) waits for many records at once, all of them
  or, with ``require="any"``, the first; its XCom lists which. Deferred sensors of one triggerer that
  watch the same object share one Attio query per check.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_attio.sensors.records import AttioRecordSensor

with DAG(
    dag_id="example_attio_wait_until_deleted",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "object": Param("people", type="string"),
        "record_id": Param("00000000-0000-4000-8000-000000000000", type="string"),
    },
    tags=["attio", "example"],
    doc_md=__doc__,
) as dag:
    wait = AttioRecordSensor(
        task_id="wait_until_deleted",
        object="{{ params.object }}",
        record_id="{{ params.record_id }}",
        wait_for="absent",
        deferrable=True,
        poke_interval=10,
        timeout=3600,
    )

    @task
    def continue_pipeline(record_id: str) -> str:
        print(f"Record {record_id} is gone; carrying on.")
        return record_id

    wait >> continue_pipeline("{{ params.record_id }}")

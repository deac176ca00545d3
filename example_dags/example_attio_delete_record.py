"""Delete one Attio record, given as a DAG param.

The smallest useful Attio DAG. Trigger it with the record to delete::

    airflow dags trigger example_attio_delete_record \\
        --conf '{"record_id": "891dcbfc-9141-415d-9b2a-2238a6cc012d"}'

What it shows:

* ``object`` and ``record_id`` are templated, so they can come from params, XCom or macros. They are
  checked after templating and before any request: a typo fails the task with a message naming the field.
* ``if_not_found="succeed"`` (the default) makes reruns idempotent: a record that is already gone logs a
  warning and the task succeeds. Use ``"fail"`` when a missing record means your pipeline is wrong, or
  ``"skip"`` to mark the task skipped.
* The task returns ``{"object", "record_id", "outcome"}`` as XCom for downstream tasks.
* The connection is ``attio_default`` unless you pass ``attio_conn_id``. Retries of 429s, 5xx and
  timeouts happen inside the hook; permanent errors (bad token, missing scope, missing object) fail the
  task without Airflow retries.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_attio.operators.records import AttioDeleteRecordOperator

with DAG(
    dag_id="example_attio_delete_record",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "object": Param("people", type="string", description="Object api slug or UUID"),
        "record_id": Param(
            "00000000-0000-4000-8000-000000000000", type="string", description="UUID of the record to delete"
        ),
    },
    tags=["attio", "example"],
    doc_md=__doc__,
) as dag:
    AttioDeleteRecordOperator(
        task_id="delete_record",
        object="{{ params.object }}",
        record_id="{{ params.record_id }}",
        if_not_found="succeed",
    )

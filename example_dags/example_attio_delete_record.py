"""Delete one Attio record, given as a DAG param.

The smallest useful Attio DAG. Trigger it with the record to delete and an explicit confirmation::

    airflow dags trigger example_attio_delete_record \\
        --conf '{"record_id": "891dcbfc-9141-415d-9b2a-2238a6cc012d", "confirm_delete": true}'

Deletes in Attio are permanent, so by default this DAG deletes nothing: ``record_id`` is empty, and
``check_confirmation``, a short-circuit step, skips the delete unless ``confirm_delete`` is true. Against
the emulator (``python -m airflow_provider_attio.testing serve --seed examples``), the id of a record to
delete is printed when it starts.

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

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, AirflowFailException, Param, task

from airflow_provider_attio.operators.records import AttioDeleteRecordOperator

with DAG(
    dag_id="example_attio_delete_record",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "object": Param("people", type="string", description="Object api slug or UUID"),
        "record_id": Param("", type="string", description="UUID of the record to delete"),
        "confirm_delete": Param(
            False, type="boolean", description="Delete the record. False: check the params, delete nothing"
        ),
    },
    tags=["attio", "example"],
    doc_md=__doc__,
) as dag:

    @task.short_circuit
    def check_confirmation(params: dict[str, Any] | None = None) -> bool:
        """Let the delete run only when a record is given and ``confirm_delete`` is true."""
        assert params is not None  # Airflow passes the DAG run's params
        record_id = params["record_id"]
        if params["confirm_delete"] is not True:
            print(
                f"confirm_delete is not true: nothing will be deleted (record_id={record_id!r}). "
                'Trigger with {"record_id": "<uuid>", "confirm_delete": true}.'
            )
            return False  # False skips the delete
        if not record_id:
            raise AirflowFailException(
                'No record to delete: trigger with {"record_id": "<uuid>", "confirm_delete": true}.'
            )
        return True

    check_confirmation() >> AttioDeleteRecordOperator(
        task_id="delete_record",
        object="{{ params.object }}",
        record_id="{{ params.record_id }}",
        if_not_found="succeed",
    )

"""Teardown after a sync: a task finds the Attio records to remove, a mapped delete removes them.

A common shape for orchestrated syncs between a warehouse and Attio: a run creates or marks records (test
fixtures, a staging cohort, records that churned upstream), does its work, and the teardown removes them,
even when the work failed.

Deletes in Attio are permanent, so by default this DAG deletes nothing: its default ``filter`` matches
only people with an email on the reserved ``sync-fixtures.example.invalid`` domain (no real address uses
it; the emulator's ``serve --seed examples`` data does), and the delete only runs when the run is
triggered with ``confirm_delete`` set to true::

    airflow dags trigger example_attio_sync_teardown --conf '{"confirm_delete": true,
        "filter": {"job_title": "Sync fixture"}}'

In your own DAG, the filter names exactly what your sync created, and the confirmation can go.

What it shows:

* ``find_records_to_remove`` computes the ids with :class:`~airflow_provider_attio.hooks.attio.AttioHook`
  (``iter_records`` pages through Attio's query endpoint with a filter). It resolves the whole list before
  anything is deleted and refuses an implausibly long one.
* ``AttioDeleteRecordOperator.partial(...).expand(record_id=...)`` maps one delete per id. That suits tens
  of records; for hundreds or thousands use ``AttioDeleteRecordsOperator``, which paces itself at Attio's
  25 writes/s in a single task (see ``example_attio_bulk_teardown``).
* ``trigger_rule="all_done"`` on the delete makes it a teardown: it runs whether ``use_records``
  succeeded or failed, so a failed run doesn't leave its records behind.
* ``check_confirmation`` is a short-circuit step: unless ``confirm_delete`` is true it skips the delete,
  whatever the delete's trigger rule. It doesn't wait for the work, so a failed run still tears down.
* ``if_not_found="succeed"`` keeps a rerun idempotent: records already deleted by the first run are fine.

Params: ``object``, ``filter`` (an Attio query filter; the default matches only the emulator's example
sync fixtures) and ``confirm_delete`` (false by default: find and use the records, delete nothing).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.records import AttioDeleteRecordOperator

MAX_RECORDS = 200  # a mapped delete is one task per record: past this, use AttioDeleteRecordsOperator


@task
def find_records_to_remove(params: dict[str, Any] | None = None) -> list[str]:
    """Return the ids of the records matching the ``filter`` param, all before anything is deleted."""
    assert params is not None  # Airflow passes the DAG run's params
    records = AttioHook().iter_records(params["object"], filter=params["filter"])
    ids = [record["id"]["record_id"] for record in records]
    if len(ids) > MAX_RECORDS:
        raise ValueError(f"{len(ids)} records match {params['filter']}: more than {MAX_RECORDS}; refusing.")
    print(f"{len(ids)} {params['object']} records to remove.")
    return ids


@task
def use_records(ids: list[str]) -> int:
    """Stand-in for the pipeline's real work with those records (an export, a reconciliation...)."""
    print(f"Working with {len(ids)} records.")
    return len(ids)


@task.short_circuit
def check_confirmation(params: dict[str, Any] | None = None) -> bool:
    """Let the delete run only when the run was triggered with ``confirm_delete`` true."""
    assert params is not None
    if params["confirm_delete"] is not True:
        print('confirm_delete is not true: nothing will be deleted. Trigger with {"confirm_delete": true}.')
        return False  # False skips the delete
    return True


with DAG(
    dag_id="example_attio_sync_teardown",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "object": Param("people", type="string"),
        "filter": Param(
            # A reserved domain: it matches no real person, only the emulator's example data.
            {"email_addresses": {"email_domain": "sync-fixtures.example.invalid"}},
            type="object",
            description="Attio query filter: the records the sync created, to remove at the end",
        ),
        "confirm_delete": Param(
            False, type="boolean", description="Delete the records found. False: find them, delete nothing"
        ),
    },
    tags=["attio", "example"],
    doc_md=__doc__,
) as dag:
    ids = find_records_to_remove()
    work = use_records(ids)
    teardown = AttioDeleteRecordOperator.partial(
        task_id="delete_record",
        object="{{ params.object }}",
        if_not_found="succeed",
        trigger_rule="all_done",
    ).expand(record_id=ids)
    # The delete waits for the work (whatever its outcome) and for the confirmation.
    [work, check_confirmation()] >> teardown

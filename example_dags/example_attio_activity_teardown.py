"""Teardown after a sync that also put people on a list, logged notes and opened tasks.

A sync rarely leaves only records behind: this run's teardown takes its people off the list, deletes the
notes on them and the tasks linked to them, and only then the people themselves. Every step runs through
the provider's bulk engine (validation first, the whole target set found before anything is deleted,
``max_records``, pacing under Attio's budgets, a small summary as XCom).

Deletes in Attio are permanent, so by default this DAG deletes nothing: its default ``filter`` matches
only people with an email on the reserved ``sync-fixtures.example.invalid`` domain, and the deletes run
only when the run is triggered with ``confirm_delete`` set to true::

    airflow dags trigger example_attio_activity_teardown --conf '{"confirm_delete": true,
        "list": "sync_pipeline"}'

What it shows:

* ``find_sync_people`` resolves the people the sync created, all before anything is deleted.
* ``AttioDeleteListEntriesOperator(parent_object=, parent_record_ids=)`` takes them off the list (one
  entries query per 250 people); the people stay until the last step. A missing list fails the task.
* ``AttioDeleteNotesOperator`` and ``AttioDeleteTasksOperator`` find the notes and tasks of each person
  (one paced read per person). A task also linked to someone outside the sync is someone else's too: it is
  kept and counted as ``kept_shared`` (``delete_shared=True`` would delete it).
* ``AttioDeleteRecordsOperator(record_ids=...)`` deletes the people last, once nothing points at them.

Params: ``object``, ``filter`` (the sync's people), ``list`` (the list the sync filled) and
``confirm_delete``.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.activities import AttioDeleteNotesOperator, AttioDeleteTasksOperator
from airflow_provider_attio.operators.lists import AttioDeleteListEntriesOperator
from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator

MAX_RECORDS = 5_000


@task
def find_sync_people(params: dict[str, Any] | None = None) -> list[str]:
    """The ids of the records the ``filter`` param matches, all before anything is deleted."""
    assert params is not None
    ids = [r["id"]["record_id"] for r in AttioHook().iter_records(params["object"], filter=params["filter"])]
    if len(ids) > MAX_RECORDS:
        raise ValueError(f"{len(ids)} records match {params['filter']}: more than {MAX_RECORDS}; refusing.")
    return ids


@task.short_circuit
def check_confirmation(params: dict[str, Any] | None = None) -> bool:
    """Let the deletes run only when the run was triggered with ``confirm_delete`` true."""
    assert params is not None
    return params["confirm_delete"] is True


with DAG(
    dag_id="example_attio_activity_teardown",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "object": Param("people", type="string"),
        "filter": Param(
            {"email_addresses": {"email_domain": "sync-fixtures.example.invalid"}},
            type="object",
            description="Attio query filter: the records the sync created",
        ),
        "list": Param("sync_pipeline", type="string", description="The list the sync put them on"),
        "confirm_delete": Param(False, type="boolean", description="Delete. False: find, delete nothing"),
    },
    tags=["attio", "example"],
    doc_md=__doc__,
) as dag:
    people = find_sync_people()
    unlist = AttioDeleteListEntriesOperator(
        task_id="unlist",
        list="{{ params.list }}",
        parent_object="{{ params.object }}",
        parent_record_ids=people,
    )
    notes = AttioDeleteNotesOperator(
        task_id="delete_notes", parent_object="{{ params.object }}", parent_record_ids=people
    )
    tasks = AttioDeleteTasksOperator(
        task_id="delete_tasks", linked_object="{{ params.object }}", linked_record_ids=people
    )
    records = AttioDeleteRecordsOperator(
        task_id="delete_people", object="{{ params.object }}", record_ids=people
    )
    check_confirmation() >> [unlist, notes, tasks]
    [unlist, notes, tasks] >> records

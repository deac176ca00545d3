"""Bulk teardown: preview, then delete every Attio record matching a filter, archiving each one first.

Use this shape to remove hundreds or thousands of records: a test cohort after a load test, the
contacts of an offboarded customer, a staging import gone wrong. One task deletes them all at Attio's
pace (25 writes/s per workspace), instead of one mapped task per record.

What it shows:

* ``preview`` runs ``AttioDeleteRecordsOperator`` with ``dry_run=True``: it resolves the filter, logs how
  many records would go and the first ids, and deletes nothing. Its XCom is a small summary (counts,
  never ids), so ``check_preview`` can look at it: it skips the teardown when nothing matches.
* ``teardown`` deletes the matches. Before the first DELETE it collects *every* match (paging through
  Attio's query costs reads, not writes) and fails, deleting nothing, if there are more than
  ``max_records``. ``filter={}`` (everything) is refused unless you pass ``allow_delete_all=True``.
* ``archive_to`` saves each record's full JSON, exactly as Attio's GET returned it, durably *before* its
  DELETE. Nothing is lost to a mistaken filter, and when the task is retried (a crash, a worker killed
  halfway) it reads the archive and skips what it already deleted. The path is templated with the run
  id: one archive per run. With several Airflow workers, point it at shared storage
  (``s3://bucket/attio-archive``, via the matching provider) so a retry on another machine finds it.
* One record's failure doesn't stop the others; the task fails at the end naming the failed ids, and
  its Airflow retry finishes the job. A bad token, a missing scope or a missing object fail at once,
  without retries.
* The task log shows progress on long runs: done/total, rate and ETA.

Scale: Attio's 25 writes/s belong to the workspace. If several DAGs or mapped tasks delete at the same
time, put them in one Airflow pool (say ``attio_writes`` with 4 slots, created under Admin > Pools) and
give each ``writes_per_second = 25 / 4``; Attio's 429 answers remain the backstop.

To delete a list of ids from an upstream task instead of a filter::

    AttioDeleteRecordsOperator(task_id="delete", object="people", record_ids=find_ids())

Params: ``object``, ``filter`` (an Attio query filter; the default matches the people of the demo's
seeded data whose work email is on a ``.dev`` domain), and ``archive_to`` (a folder or URI).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, AirflowSkipException, Param, task

from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator

#: Refuse to delete more than this many records in one run (the task fails before deleting anything).
MAX_RECORDS = 2_000

with DAG(
    dag_id="example_attio_bulk_teardown",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "object": Param("people", type="string", description="Object api slug or UUID"),
        "filter": Param(
            {"email_addresses": {"email_domain": {"$ends_with": ".dev"}}},
            type="object",
            description="Attio query filter: the records to delete",
        ),
        "archive_to": Param(
            str(Path(tempfile.gettempdir()) / "attio-archive"),
            type="string",
            description="Folder (local path, file:// or s3:// URI) that receives one archive per run",
        ),
    },
    tags=["attio", "example"],
    doc_md=__doc__,
) as dag:
    preview = AttioDeleteRecordsOperator(
        task_id="preview",
        object="{{ params.object }}",
        filter="{{ params.filter }}",
        max_records=MAX_RECORDS,
        dry_run=True,
    )

    @task
    def check_preview(summary: dict[str, Any]) -> int:
        """Skip the teardown when the filter matches nothing (the summary holds counts, never ids)."""
        if summary["requested"] == 0:
            raise AirflowSkipException(
                f"No {summary['object']} record matches the filter: nothing to delete."
            )
        print(f"{summary['requested']} {summary['object']} record(s) will be archived, then deleted.")
        return int(summary["requested"])

    teardown = AttioDeleteRecordsOperator(
        task_id="teardown",
        object="{{ params.object }}",
        filter="{{ params.filter }}",
        max_records=MAX_RECORDS,
        archive_to="{{ params.archive_to }}/{{ dag.dag_id }}/{{ run_id }}.jsonl",
        writes_per_second=25,  # Attio's whole workspace budget; share it if other writers run too
        if_not_found="succeed",  # a record deleted by someone else meanwhile is fine
        retries=2,
        retry_delay=timedelta(seconds=30),
    )

    check_preview(preview.output) >> teardown

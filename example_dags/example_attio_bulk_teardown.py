"""Bulk teardown: preview, then delete every Attio record matching a filter, archiving each one first.

Use this shape to remove hundreds or thousands of records: a test cohort after a load test, the
contacts of an offboarded customer, a staging import gone wrong. One task deletes them all at Attio's
pace (25 writes/s per workspace), instead of one mapped task per record.

Deletes in Attio are permanent, so by default this DAG deletes nothing:

* its default ``filter`` matches nothing real: ``loadtest.example.invalid`` is a reserved domain that no
  real email address uses (the emulator's ``serve --seed examples`` data does, so you can try it offline);
* nothing is deleted unless the run is triggered with ``confirm_delete`` set to true. Without it, the run
  is a preview: ``check_preview`` logs what would go and skips the teardown.

Trigger it with your own filter once its preview looks right::

    airflow dags trigger example_attio_bulk_teardown --conf '{"confirm_delete": true,
        "filter": {"email_addresses": {"email_domain": "loadtest.yourcompany.com"}}}'

What it shows:

* ``preview`` runs ``AttioDeleteRecordsOperator`` with ``dry_run=True``: it resolves the filter, logs how
  many records would go and the first ids, and deletes nothing. Its XCom is a small summary (counts,
  never ids), so ``check_preview`` can look at it: a short-circuit step that skips the teardown when
  nothing matches or when ``confirm_delete`` isn't true.
* ``teardown`` deletes the matches. Before the first DELETE it collects *every* match (paging through
  Attio's query costs reads, not writes) and fails, deleting nothing, if there are more than
  ``max_records``. ``filter={}`` (everything) is refused unless you pass ``allow_delete_all=True``.
* ``archive_to`` saves each record's full JSON, exactly as Attio's GET returned it, durably *before* its
  DELETE. Nothing is lost to a mistaken filter, and when the task is retried (a crash, a worker killed
  halfway) it reads the archive and skips what it already deleted. The path is templated with the run
  id: one archive per run. Its default is a folder of the worker's temp dir: with several Airflow workers
  (Celery, Kubernetes) a retry on another machine can't see it, so pass shared storage instead
  (``s3://aws_default@bucket/attio-archive``: the storage connection before the ``@``, and the matching
  provider installed).
* One record's failure doesn't stop the others; the task fails at the end naming the failed ids, and
  its Airflow retry finishes the job. A bad token, a missing scope or a missing object fail at once,
  without retries.
* The task log shows progress on long runs: done/total, rate and ETA.

Scale: Attio's 25 writes/s belong to the workspace. If several DAGs or mapped tasks delete at the same
time, put them in one Airflow pool (say ``attio_writes`` with 4 slots, created under Admin > Pools) and
give each ``writes_per_second = 25 / 4``; Attio's 429 answers remain the backstop.

To delete a list of ids from an upstream task instead of a filter::

    AttioDeleteRecordsOperator(task_id="delete", object="people", record_ids=find_ids())

Params: ``object``, ``filter`` (an Attio query filter; the default matches only the emulator's example
load-test people), ``confirm_delete`` (false by default: preview only) and ``archive_to`` (a folder or URI).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

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
            # A reserved domain: it matches no real person, only the emulator's example data.
            {"email_addresses": {"email_domain": "loadtest.example.invalid"}},
            type="object",
            description="Attio query filter: the records to delete",
        ),
        "confirm_delete": Param(
            False,
            type="boolean",
            description="Delete what the preview found. Leave it false for a preview that deletes nothing",
        ),
        # Worker-local by default: the temp dir of the machine that runs the task. With several workers a
        # retry on another machine can't resume from it: pass shared storage, s3://aws_default@bucket/...
        "archive_to": Param(
            str(Path(tempfile.gettempdir()) / "attio-archive"),
            type="string",
            description="Folder (local path, file:// or s3://conn_id@bucket/... URI) that receives one "
            "archive per run. The default is on the worker's own disk: with several workers, use shared "
            "storage so a retry on another machine resumes",
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

    @task.short_circuit
    def check_preview(summary: dict[str, Any], params: dict[str, Any] | None = None) -> bool:
        """Go on to the teardown only if the preview found records and the run confirms the delete."""
        assert params is not None  # Airflow passes the DAG run's params
        count, object_ref = summary["requested"], summary["object"]
        if count == 0:
            print(f"No {object_ref} record matches the filter: nothing to delete.")
            return False  # False skips the teardown
        if params["confirm_delete"] is not True:
            print(
                f"Preview only: {count} {object_ref} record(s) match the filter and would be deleted. "
                'Nothing was deleted. To delete them, trigger again with {"confirm_delete": true}.'
            )
            return False
        print(f"{count} {object_ref} record(s) will be archived, then deleted.")
        return True

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

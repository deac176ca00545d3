"""Restore: bring back, as new records, what a bulk teardown archived.

Attio has no recycle bin, but a bulk delete with ``archive_to`` (as ``example_attio_bulk_teardown``) keeps
each record's full JSON. After a teardown with the wrong filter, point this DAG at that run's archive::

    airflow dags trigger example_attio_restore --conf '{"confirm_restore": true,
        "archive_from": "/tmp/attio-archive/example_attio_bulk_teardown/<run_id>.jsonl"}'

By default it restores nothing: without ``archive_from`` it stops at once, and without ``confirm_restore``
the run is a preview (``preview`` reads the archive and Attio and logs what would come back; nothing is
written).

What it shows:

* ``AttioRestoreRecordsOperator`` recreates the archived records with every writable attribute's current
  values (names, emails, domains, numbers, dates, selects, statuses, locations, phone numbers, references
  between the restored records...). What it can't write (``created_at``, who created the record, archived
  options) is counted per attribute in its summary's ``not_written``.
* Restored records get new ids: the ``old -> new`` mapping is written beside the archive as each record is
  created (``<archive>.mapping.jsonl``, or ``mapping-*`` segments in an object storage folder).
* It is safe to run again (a retry, a second trigger): records in the mapping are skipped, and a create
  whose answer was lost is looked up before anything is created again. A record someone re-created
  meanwhile (the same email) is a conflict: counted and logged with the existing record's id, never
  duplicated (``on_conflict="fail"`` fails the task instead).
* It writes at Attio's pace (25 writes/s per workspace), like the bulk delete.

* Several runs may append to one archive (a nightly teardown with one ``archive_to``): each archived line
  names its run (``dag_id/run_id/task_id``). Such an archive needs ``run``, one of them or ``"all"``;
  without it the preview fails, listing the runs found (``python -m airflow_provider_attio runs ARCHIVE``
  lists them too).

Params: ``archive_from`` (the teardown's archive: a file path or URI), ``object`` (empty: the archive's only
object), ``run`` (empty: the archive's only run) and ``confirm_restore`` (false by default: preview only).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_attio.operators.records import AttioRestoreRecordsOperator

with DAG(
    dag_id="example_attio_restore",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "archive_from": Param("", type="string", description="The bulk delete's archive (its archive_to)"),
        "object": Param("", type="string", description="Object api slug; empty: the archive's only object"),
        "run": Param(
            "", type="string", description="The run whose records to restore, or 'all'; empty: the only run"
        ),
        "confirm_restore": Param(
            False, type="boolean", description="Restore what the preview found. False: a preview only"
        ),
    },
    tags=["attio", "example"],
    doc_md=__doc__,
) as dag:

    @task.short_circuit
    def check_archive(params: dict[str, Any] | None = None) -> bool:
        """Go on only when an archive is given."""
        assert params is not None  # Airflow passes the DAG run's params
        if not params["archive_from"]:
            print('No archive given: trigger with {"archive_from": "<the teardown\'s archive>"}.')
        return bool(params["archive_from"])

    preview = AttioRestoreRecordsOperator(
        task_id="preview",
        archive_from="{{ params.archive_from }}",
        object="{{ params.object }}",
        run="{{ params.run }}",
        dry_run=True,
    )

    @task.short_circuit
    def check_confirmation(summary: dict[str, Any], params: dict[str, Any] | None = None) -> bool:
        """Restore only when the run confirms it."""
        assert params is not None
        if params["confirm_restore"] is not True:
            print(
                f"Preview only: {summary['requested']} archived record(s), "
                f"{summary['skipped_already_restored']} restored before; can't be written: "
                f"{summary['not_written']}. Trigger again with confirm_restore true to restore them."
            )
        return params["confirm_restore"] is True

    restore = AttioRestoreRecordsOperator(
        task_id="restore",
        archive_from="{{ params.archive_from }}",
        object="{{ params.object }}",
        run="{{ params.run }}",
    )

    check_archive() >> preview
    check_confirmation(preview.output) >> restore

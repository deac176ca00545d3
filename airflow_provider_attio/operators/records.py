"""Operators that delete Attio records, one (:class:`AttioDeleteRecordOperator`) or many, and restore what
a delete archived (:class:`AttioRestoreRecordsOperator`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from airflow_provider_attio.bulk import BulkDeleteSummary
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators._bulk import BulkDeleteOperator
from airflow_provider_attio.operators._common import AttioOperator, is_retry, single_delete_outcome
from airflow_provider_attio.options import (
    ATTIO_WRITES_PER_SECOND,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_DELETE_FRACTION,
    DEFAULT_MAX_RECORDS,
    check_one_target,
)
from airflow_provider_attio.policy import fail_fast_on_permanent_errors, validate_if_not_found
from airflow_provider_attio.restore import RestoreOptions, RestoreSummary
from airflow_provider_attio.runs import run_of
from airflow_provider_attio.validation import validate_object, validate_record_id

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class AttioDeleteRecordOperator(AttioOperator):
    """Delete one Attio record.

    Deleting is permanent in Attio. A record that is already gone is handled by ``if_not_found``, so
    reruns and teardown tasks stay idempotent; a missing *object* always fails the task.

    .. code-block:: python

        AttioDeleteRecordOperator(
            task_id="delete_person", object="people", record_id="{{ params.record_id }}"
        )

    :param object: the object's api slug (``people``, ``companies``, a custom slug) or UUID. Templated.
    :param record_id: the record's UUID. Templated.
    :param if_not_found: the record doesn't exist: ``"succeed"`` (default), ``"fail"`` or ``"skip"``.
    :param attio_conn_id: the Airflow connection to Attio. Templated.

    Returns (as XCom) ``{"object", "record_id", "outcome"}``, the outcome ``"deleted"``, ``"not_found"`` or
    ``"not_found_on_retry"``. docs/operators.md explains the outcomes and which errors use Airflow's retries.
    """

    template_fields: Sequence[str] = ("object", "record_id", "attio_conn_id")
    ui_color = "#d9f2e6"

    def __init__(
        self,
        *,
        object: str,
        record_id: str,
        if_not_found: str = "succeed",
        attio_conn_id: str = AttioHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.object = object
        self.record_id = record_id
        self.if_not_found = validate_if_not_found(if_not_found)
        self.attio_conn_id = attio_conn_id

    def execute(self, context: Context) -> dict[str, str]:
        with fail_fast_on_permanent_errors():
            object_ref = validate_object(self.object)
            record_id = validate_record_id(self.record_id)
            outcome: str = self.hook.delete_record(object_ref, record_id)
        what = f"record {record_id} of {object_ref!r}"
        outcome = single_delete_outcome(outcome, what, self.if_not_found, context, self.log)
        return {"object": object_ref, "record_id": record_id, "outcome": outcome}


class AttioDeleteRecordsOperator(BulkDeleteOperator):
    """Delete many Attio records in one task: by ids, filter, keys or mirror, paced under Attio's limit.

    docs/operators.md ("Delete many records") explains the safety rules (target set resolved first, the
    cap, dry run, archive, per-record outcomes), retries and how to share the workspace's budget.

    .. code-block:: python

        AttioDeleteRecordsOperator(
            task_id="teardown_test_people",
            object="people",
            filter={"email_addresses": {"email_domain": "example.com"}},
            archive_to="s3://my-bucket/attio-archive/{{ run_id }}",
            max_records=5_000,
        )

    :param object: the object's api slug (``people``, ``companies``, a custom slug) or UUID. Templated.
    :param record_ids: record UUIDs (or records as Attio returns them), e.g. a task's output. Templated.
    :param filter: delete every record matching this Attio query filter. Templated.
    :param allow_delete_all: allow ``filter={}``, every record of the object.
    :param max_records: safety cap (default 10,000): more targets fail the task before anything is deleted.
    :param dry_run: count and log what would be deleted, delete nothing.
    :param writes_per_second: this task's pace (default 25, Attio's whole workspace budget).
    :param max_concurrency: concurrent requests (default 8, at most 32).
    :param archive_to: archive every record here before deleting it (a path or object storage URI). Templated.
    :param if_not_found: records (or keys) that don't exist: ``"succeed"`` (default), ``"fail"``, ``"skip"``.
    :param match_attribute: delete by key: the attribute the keys are of (``email_addresses``, ``domains``,
        a text or number attribute, ``record_id``). Templated.
    :param match_values: delete by key: the keys, e.g. a task's output. Templated.
    :param delete_all_matches: a key matching several records deletes them all (default: fail first).
    :param keep_attribute: mirror: the attribute of the kept keys; give ``filter`` as the scope. Templated.
    :param keep_values: mirror: the keys to keep (the source of truth). Templated.
    :param allow_empty_source: mirror: run even when ``keep_values`` is empty.
    :param allow_no_overlap: mirror: run even when no kept key is held by a record in scope.
    :param max_delete_fraction: mirror: the largest share of the scope one run may delete (default 0.1).
    :param delete_keyless: mirror: also delete records in scope without a key value.
    :param attio_conn_id: the Airflow connection to Attio. Templated.

    Returns (as XCom) a small summary, never the ids: :class:`~airflow_provider_attio.bulk.BulkDeleteSummary`.
    """

    template_fields: Sequence[str] = (
        "object",
        "record_ids",
        "filter",
        "archive_to",
        "attio_conn_id",
        "match_attribute",
        "match_values",
        "keep_attribute",
        "keep_values",
    )
    template_fields_renderers = {
        "filter": "json",
        "record_ids": "json",
        "match_values": "json",
        "keep_values": "json",
    }

    def __init__(
        self,
        *,
        object: str,
        record_ids: list[str] | str | None = None,
        filter: dict[str, Any] | str | None = None,
        allow_delete_all: bool = False,
        max_records: int = DEFAULT_MAX_RECORDS,
        dry_run: bool = False,
        writes_per_second: float | None = ATTIO_WRITES_PER_SECOND,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        archive_to: str | None = None,
        if_not_found: str = "succeed",
        attio_conn_id: str = AttioHook.default_conn_name,
        match_attribute: str | None = None,
        match_values: list[Any] | str | None = None,
        delete_all_matches: bool = False,
        keep_attribute: str | None = None,
        keep_values: list[Any] | str | None = None,
        allow_empty_source: bool = False,
        allow_no_overlap: bool = False,
        max_delete_fraction: float = DEFAULT_MAX_DELETE_FRACTION,
        delete_keyless: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            allow_delete_all=allow_delete_all,
            max_records=max_records,
            dry_run=dry_run,
            writes_per_second=writes_per_second,
            max_concurrency=max_concurrency,
            archive_to=archive_to,
            if_not_found=if_not_found,
            attio_conn_id=attio_conn_id,
            **kwargs,
        )
        self.object = object
        self.record_ids = record_ids
        self.filter = filter
        self.match_attribute = match_attribute
        self.match_values = match_values
        self.keep_attribute = keep_attribute
        self.keep_values = keep_values
        # The delete by key's and the mirror's options, checked (after the common ones) with them all.
        self.options = replace(
            self.options,
            delete_all_matches=delete_all_matches,
            allow_empty_source=allow_empty_source,
            allow_no_overlap=allow_no_overlap,
            max_delete_fraction=max_delete_fraction,
            delete_keyless=delete_keyless,
        )
        check_one_target(record_ids, filter, match_values, keep_values)

    def execute(self, context: Context) -> BulkDeleteSummary:
        # Through the hook's public delete_records, which checks the run id too (see check_job).
        with fail_fast_on_permanent_errors():
            return self.hook.delete_records(
                self.object,
                record_ids=self.record_ids,
                filter=self.filter,
                archive_to=self.archive_to,
                options=self.options,
                is_retry=is_retry(context),
                log=self.log,
                match_attribute=self.match_attribute,
                match_values=self.match_values,
                keep_attribute=self.keep_attribute,
                keep_values=self.keep_values,
                run=run_of(context),
            )


class AttioRestoreRecordsOperator(AttioOperator):
    """Recreate the records a bulk delete archived (``archive_to``), paced under Attio's limit.

    ``docs/restore.md`` tells what comes back (every writable attribute's current values, references
    between restored records) and what can't (record ids, history, ``created_at``, notes...), the
    ``old -> new`` id mapping written beside the archive, reruns and conflicts.

    .. code-block:: python

        AttioRestoreRecordsOperator(
            task_id="restore_teardown",
            archive_from="s3://aws_default@my-bucket/attio-archive/{{ params.run_id }}",
        )

    :param archive_from: the archive, as the delete's ``archive_to`` took it (a path or URI). Templated.
    :param object: the object whose records to restore; the archive's only object by default. Templated.
    :param record_ids: restore only these archived records (their old ids). Templated.
    :param run: restore the records this run archived (``dag_id/run_id/task_id``; for a mapped task,
        all its map indexes' unless one is given), or ``"all"``; needed when several runs appended to
        the archive. Templated.
    :param dry_run: read and log what would be restored, write nothing.
    :param writes_per_second: this task's pace (default 25, Attio's whole workspace budget).
    :param max_records: safety cap (default 10,000): more chosen records fail the task before any write.
    :param on_conflict: a unique value another record holds now: ``"skip"`` (default) or ``"fail"``.
    :param attio_conn_id: the Airflow connection to Attio. Templated.

    Returns (as XCom) a small summary, never the ids: :class:`~airflow_provider_attio.restore.RestoreSummary`.
    """

    # ``run`` is kept as ``archive_run``: Airflow 2's BaseOperator has a ``run`` method.
    template_fields: Sequence[str] = ("archive_from", "object", "record_ids", "archive_run", "attio_conn_id")
    template_fields_renderers = {"record_ids": "json"}
    ui_color = "#d9e8f4"

    def __init__(
        self,
        *,
        archive_from: str,
        object: str | None = None,
        record_ids: list[str] | str | None = None,
        run: str | None = None,
        dry_run: bool = False,
        writes_per_second: float | None = ATTIO_WRITES_PER_SECOND,
        max_records: int = DEFAULT_MAX_RECORDS,
        on_conflict: str = "skip",
        attio_conn_id: str = AttioHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.archive_from = archive_from
        self.object = object
        self.record_ids = record_ids
        self.archive_run = run
        self.attio_conn_id = attio_conn_id
        # Built (so checked) at DAG parse time; the templated fields are checked when the task runs.
        self.options = RestoreOptions(
            dry_run=dry_run,
            writes_per_second=writes_per_second,
            max_records=max_records,
            on_conflict=on_conflict,  # type: ignore[arg-type]
        )

    def execute(self, context: Context) -> RestoreSummary:
        with fail_fast_on_permanent_errors():
            return self.hook.restore_records(
                self.archive_from,
                object=self.object or None,
                record_ids=self.record_ids,
                options=self.options,
                log=self.log,
                run=self.archive_run or None,  # a template rendered empty: no run chosen
            )

"""What the bulk delete operators share: the bulk options, the hook, running."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from airflow_provider_attio import bulk
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators._common import AttioOperator, is_retry
from airflow_provider_attio.options import (
    ATTIO_WRITES_PER_SECOND,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RECORDS,
    BulkDeleteJob,
    BulkDeleteOptions,
)
from airflow_provider_attio.policy import fail_fast_on_permanent_errors
from airflow_provider_attio.runs import check_run, run_of

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_attio.bulk import BulkDeleteSummary


class BulkDeleteOperator(AttioOperator):
    """A bulk delete through the one engine; subclasses say what to delete (:meth:`job`), or run it
    themselves (records: through the hook's ``delete_records``).

    :param allow_delete_all: allow a filter of ``{}``.
    :param max_records: safety cap (default 10,000): more targets fail the task before anything is deleted.
    :param dry_run: count and log what would be deleted, delete nothing.
    :param writes_per_second: this task's pace (default 25, Attio's whole workspace budget).
    :param max_concurrency: concurrent requests (default 8, at most 32).
    :param archive_to: archive each item here before deleting it (a path or object storage URI). Templated.
    :param if_not_found: items that don't exist: ``"succeed"`` (default), ``"fail"``, ``"skip"``.
    :param attio_conn_id: the Airflow connection to Attio. Templated.
    """

    ui_color = "#f4d9d9"

    def __init__(
        self,
        *,
        allow_delete_all: bool = False,
        max_records: int = DEFAULT_MAX_RECORDS,
        dry_run: bool = False,
        writes_per_second: float | None = ATTIO_WRITES_PER_SECOND,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        archive_to: str | None = None,
        if_not_found: str = "succeed",
        attio_conn_id: str = AttioHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.archive_to = archive_to
        self.attio_conn_id = attio_conn_id
        # Built (so checked) at DAG parse time; the targets may be templated and are checked at run time.
        self.options = BulkDeleteOptions(
            allow_delete_all=allow_delete_all,
            max_records=max_records,
            dry_run=dry_run,
            writes_per_second=writes_per_second,
            max_concurrency=max_concurrency,
            if_not_found=if_not_found,  # type: ignore[arg-type]
        )

    def job(self, is_retry: bool) -> BulkDeleteJob:
        """The checked job (the targets rendered by now)."""
        raise NotImplementedError

    def execute(self, context: Context) -> BulkDeleteSummary:
        with fail_fast_on_permanent_errors():
            # The archive's lines name this task instance (not its try: a retry resumes the same run).
            # Checked as the records operator's run is (in check_job), so every kind takes the same ids.
            job = replace(self.job(is_retry(context)), run=check_run(run_of(context)))
            return bulk.delete_records(self.hook, job, self.log)

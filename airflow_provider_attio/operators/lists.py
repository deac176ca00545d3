"""Operators that delete list entries: one (:class:`AttioDeleteListEntryOperator`) or many
(:class:`AttioDeleteListEntriesOperator`). ``docs/lists-notes-tasks.md`` tells the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_attio.entries import check_entries_job
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators._bulk import BulkDeleteOperator
from airflow_provider_attio.operators._common import AttioOperator, single_delete_outcome
from airflow_provider_attio.options import BulkDeleteJob, exactly_one
from airflow_provider_attio.policy import fail_fast_on_permanent_errors, validate_if_not_found
from airflow_provider_attio.validation import validate_object, validate_record_id

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class AttioDeleteListEntryOperator(AttioOperator):
    """Take one entry off an Attio list (the record stays). A missing list always fails the task.

    :param list: the list's api slug or UUID. Templated.
    :param entry_id: the entry's UUID. Templated.
    :param if_not_found: the entry doesn't exist: ``"succeed"`` (default), ``"fail"`` or ``"skip"``.
    :param attio_conn_id: the Airflow connection to Attio. Templated.

    Returns (as XCom) ``{"list", "entry_id", "outcome"}``, as ``AttioDeleteRecordOperator`` does.
    """

    template_fields: Sequence[str] = ("list", "entry_id", "attio_conn_id")
    ui_color = "#d9f2e6"

    def __init__(
        self,
        *,
        list: str,
        entry_id: str,
        if_not_found: str = "succeed",
        attio_conn_id: str = AttioHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.list = list
        self.entry_id = entry_id
        self.if_not_found = validate_if_not_found(if_not_found)
        self.attio_conn_id = attio_conn_id

    def execute(self, context: Context) -> dict[str, str]:
        with fail_fast_on_permanent_errors():
            list_ref = validate_object(self.list, "list")
            entry_id = validate_record_id(self.entry_id, "entry_id")
            outcome: str = self.hook.delete_list_entry(list_ref, entry_id)
        what = f"list entry {entry_id} of list {list_ref!r}"
        outcome = single_delete_outcome(outcome, what, self.if_not_found, context, self.log)
        return {"list": list_ref, "entry_id": entry_id, "outcome": outcome}


class AttioDeleteListEntriesOperator(BulkDeleteOperator):
    """Take many entries off an Attio list, by ids, filter, or parent records, through the bulk engine
    (its options, cap, dry run, archive and resume, pacing, as ``AttioDeleteRecordsOperator``'s).

    :param list: the list's api slug or UUID. Templated.
    :param entry_ids: entry UUIDs (or entries as Attio returns them). Templated.
    :param filter: delete every entry matching this entries query filter. Templated.
    :param parent_object: with ``parent_record_ids``: take these records off the list. Templated.
    :param parent_record_ids: the parent records' UUIDs. Templated.
    :param kwargs: the bulk options (``max_records``, ``dry_run``, ``archive_to``...) and BaseOperator's.

    Returns (as XCom) the small summary: ``{"kind": "entry", "list", "requested", "deleted", ...}``.
    """

    template_fields: Sequence[str] = (
        "list",
        "entry_ids",
        "filter",
        "parent_object",
        "parent_record_ids",
        "archive_to",
        "attio_conn_id",
    )
    template_fields_renderers = {"filter": "json", "entry_ids": "json", "parent_record_ids": "json"}

    def __init__(
        self,
        *,
        list: str,
        entry_ids: list[str] | str | None = None,
        filter: dict[str, Any] | str | None = None,
        parent_object: str | None = None,
        parent_record_ids: list[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.list = list
        self.entry_ids = entry_ids
        self.filter = filter
        self.parent_object = parent_object
        self.parent_record_ids = parent_record_ids
        exactly_one(
            {"entry_ids": entry_ids, "filter": filter, "parent_record_ids": parent_record_ids},
            "entry_ids, filter, or parent_object with parent_record_ids",
        )

    def job(self, is_retry: bool) -> BulkDeleteJob:
        return check_entries_job(
            self.list,
            entry_ids=self.entry_ids,
            filter=self.filter,
            parent_object=self.parent_object,
            parent_record_ids=self.parent_record_ids,
            archive_to=self.archive_to,
            options=self.options,
            is_retry=is_retry,
        )

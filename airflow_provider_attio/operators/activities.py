"""Operators that delete notes (:class:`AttioDeleteNotesOperator`) and tasks
(:class:`AttioDeleteTasksOperator`) through the bulk engine. ``docs/lists-notes-tasks.md`` tells the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_attio.activities import NOTES, TASKS, check_activities_job
from airflow_provider_attio.operators._bulk import BulkDeleteOperator
from airflow_provider_attio.options import BulkDeleteJob, exactly_one


class AttioDeleteNotesOperator(BulkDeleteOperator):
    """Delete notes by id, or every note on some records, with the bulk engine's guarantees.

    :param note_ids: note UUIDs (or notes as Attio returns them). Templated.
    :param parent_object: with ``parent_record_ids``: the records' object. Templated.
    :param parent_record_ids: delete every note on these records (one paced read each). Templated.
    :param kwargs: the bulk options (``max_records``, ``dry_run``, ``archive_to``...) and BaseOperator's.

    Returns (as XCom) the small summary: ``{"kind": "note", "requested", "deleted", ...}``.
    """

    template_fields: Sequence[str] = (
        "note_ids",
        "parent_object",
        "parent_record_ids",
        "archive_to",
        "attio_conn_id",
    )
    template_fields_renderers = {"note_ids": "json", "parent_record_ids": "json"}

    def __init__(
        self,
        *,
        note_ids: list[str] | str | None = None,
        parent_object: str | None = None,
        parent_record_ids: list[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.note_ids = note_ids
        self.parent_object = parent_object
        self.parent_record_ids = parent_record_ids
        exactly_one(
            {"note_ids": note_ids, "parent_record_ids": parent_record_ids},
            "note_ids or parent_object with parent_record_ids",
        )

    def job(self, is_retry: bool) -> BulkDeleteJob:
        return check_activities_job(
            NOTES,
            ids=self.note_ids,
            object=self.parent_object,
            record_ids=self.parent_record_ids,
            archive_to=self.archive_to,
            options=self.options,
            is_retry=is_retry,
        )


class AttioDeleteTasksOperator(BulkDeleteOperator):
    """Delete tasks by id, or the tasks linked to some records, with the bulk engine's guarantees. A task
    also linked to a record outside the given ones is kept and counted unless ``delete_shared=True``.

    :param task_ids: task UUIDs (or tasks as Attio returns them). Templated.
    :param linked_object: with ``linked_record_ids``: the records' object. Templated.
    :param linked_record_ids: delete the tasks linked to these records (one paced read each). Templated.
    :param delete_shared: also delete tasks linked to records outside ``linked_record_ids``.
    :param kwargs: the bulk options (``max_records``, ``dry_run``, ``archive_to``...) and BaseOperator's.

    Returns (as XCom) the small summary: ``{"kind": "task", "requested", "deleted", "kept_shared", ...}``.
    """

    template_fields: Sequence[str] = (
        "task_ids",
        "linked_object",
        "linked_record_ids",
        "archive_to",
        "attio_conn_id",
    )
    template_fields_renderers = {"task_ids": "json", "linked_record_ids": "json"}

    def __init__(
        self,
        *,
        task_ids: list[str] | str | None = None,
        linked_object: str | None = None,
        linked_record_ids: list[str] | str | None = None,
        delete_shared: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.task_ids = task_ids
        self.linked_object = linked_object
        self.linked_record_ids = linked_record_ids
        self.delete_shared = delete_shared
        exactly_one(
            {"task_ids": task_ids, "linked_record_ids": linked_record_ids},
            "task_ids or linked_object with linked_record_ids",
        )

    def job(self, is_retry: bool) -> BulkDeleteJob:
        return check_activities_job(
            TASKS,
            ids=self.task_ids,
            object=self.linked_object,
            record_ids=self.linked_record_ids,
            archive_to=self.archive_to,
            options=self.options,
            is_retry=is_retry,
            delete_shared=self.delete_shared,
        )

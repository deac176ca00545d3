"""The calls on notes and tasks: get, delete, and one record's notes or tasks, a page at a time.

A note or a task has no container: a 404 on it means it is missing; a 404 on a record's listing asks
for the object. Notes and tasks differ only in their path and their words, so each call is written
once for an :class:`Activity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from airflow_provider_attio.core.calls import ApiRequest, api_path
from airflow_provider_attio.core.items import delete_item, fetch_item, items_with_ids, read_item
from airflow_provider_attio.core.paging import NOTES_PER_PAGE, PAGE_LIMIT
from airflow_provider_attio.core.procedure import Procedure
from airflow_provider_attio.core.records import DeleteOutcome, require_object


@dataclass(frozen=True)
class Activity:
    """Notes or tasks: the path of their calls and the words of their messages.

    :param collection: the path segment, ``notes`` or ``tasks``.
    :param noun: how a message names one, ``Note`` or ``Task``.
    :param id_field: the member of its ``id`` that identifies it, ``note_id`` or ``task_id``.
    :param attached_by: how a listing names the record: ``parent`` (``parent_object``,
        ``parent_record_id``) for notes, ``linked`` for tasks.
    """

    collection: str
    noun: str
    id_field: str
    attached_by: str

    def request(self, method: str, item_id: str) -> ApiRequest:
        return ApiRequest(method, api_path(self.collection, item_id))


NOTES = Activity("notes", "Note", "note_id", "parent")
TASKS = Activity("tasks", "Task", "task_id", "linked")


def read_activity(kind: Activity, item_id: str) -> Procedure[dict[str, Any] | None]:
    """A note or a task, or ``None`` when it is missing."""
    item: dict[str, Any] | None = yield from read_item(kind.request("GET", item_id), None)
    return item


def fetch_activity(kind: Activity, item_id: str) -> Procedure[dict[str, Any]]:
    """A note or a task; :class:`AttioNotFoundError` when it is missing."""
    item = yield from fetch_item(kind.request("GET", item_id), None, f"{kind.noun} {item_id}")
    return item


def delete_activity(kind: Activity, item_id: str) -> Procedure[DeleteOutcome]:
    """Delete a note or a task: ``"deleted"``, or ``"not_found"`` (see :func:`delete_record`)."""
    request = kind.request("DELETE", item_id)
    outcome = yield from delete_item(request, None, kind.request("GET", item_id))
    return outcome


def list_activities_page(
    kind: Activity, object: str, record_id: str, *, limit: int, offset: int
) -> Procedure[list[dict[str, Any]]]:
    """One page of ``GET /v2/notes`` or ``/v2/tasks`` of one record; its missing object raises."""
    by = kind.attached_by
    query = f"?{by}_object={quote(object, safe='')}&{by}_record_id={quote(record_id, safe='')}"
    request = ApiRequest("GET", api_path(kind.collection) + f"{query}&limit={limit}&offset={offset}")
    answer = yield request
    if answer.not_found:
        yield from require_object(object, request)
        return []  # the object exists, the record doesn't: it has nothing
    page: list[dict[str, Any]] = answer.data(list, request)
    return items_with_ids(page, kind.id_field, request, answer)


def read_note(note_id: str) -> Procedure[dict[str, Any] | None]:
    """A note, or ``None`` when it is missing."""
    return read_activity(NOTES, note_id)


def fetch_note(note_id: str) -> Procedure[dict[str, Any]]:
    """A note; :class:`AttioNotFoundError` when it is missing."""
    return fetch_activity(NOTES, note_id)


def delete_note(note_id: str) -> Procedure[DeleteOutcome]:
    """Delete a note: ``"deleted"``, or ``"not_found"`` (see :func:`delete_record`)."""
    return delete_activity(NOTES, note_id)


def list_notes_page(
    parent_object: str, parent_record_id: str, *, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page (at most :data:`NOTES_PER_PAGE`) of the notes of one record."""
    return list_activities_page(NOTES, parent_object, parent_record_id, limit=NOTES_PER_PAGE, offset=offset)


def read_task(task_id: str) -> Procedure[dict[str, Any] | None]:
    """A task, or ``None`` when it is missing."""
    return read_activity(TASKS, task_id)


def fetch_task(task_id: str) -> Procedure[dict[str, Any]]:
    """A task; :class:`AttioNotFoundError` when it is missing."""
    return fetch_activity(TASKS, task_id)


def delete_task(task_id: str) -> Procedure[DeleteOutcome]:
    """Delete a task: ``"deleted"``, or ``"not_found"`` (see :func:`delete_record`)."""
    return delete_activity(TASKS, task_id)


def list_tasks_page(
    linked_object: str, linked_record_id: str, *, limit: int = PAGE_LIMIT, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page of the tasks linked to one record."""
    return list_activities_page(TASKS, linked_object, linked_record_id, limit=limit, offset=offset)

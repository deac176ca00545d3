"""The calls on notes and tasks: get, delete, and one record's notes or tasks, a page at a time.

A note or a task has no container: a 404 on it means it is missing; a 404 on a record's listing asks
for the object.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow_provider_attio.protocol.answers import item_not_found
from airflow_provider_attio.protocol.calls import ApiRequest, api_path
from airflow_provider_attio.protocol.items import delete_item, items_with_ids, read_item
from airflow_provider_attio.protocol.paging import NOTES_PER_PAGE, PAGE_LIMIT
from airflow_provider_attio.protocol.procedure import Procedure
from airflow_provider_attio.protocol.records import DeleteOutcome, require_object


def _note_path(note_id: str) -> str:
    return api_path("notes", note_id)


def read_note(note_id: str) -> Procedure[dict[str, Any] | None]:
    """A note, or ``None`` when it is missing."""
    note: dict[str, Any] | None = yield from read_item(ApiRequest("GET", _note_path(note_id)), None)
    return note


def fetch_note(note_id: str) -> Procedure[dict[str, Any]]:
    """A note; :class:`AttioNotFoundError` when it is missing."""
    note = yield from read_note(note_id)
    if note is None:
        raise item_not_found(f"Note {note_id}", ApiRequest("GET", _note_path(note_id)))
    return note


def delete_note(note_id: str) -> Procedure[DeleteOutcome]:
    """Delete a note: ``"deleted"``, or ``"not_found"`` (see :func:`delete_record`)."""
    request = ApiRequest("DELETE", _note_path(note_id))
    outcome = yield from delete_item(request, None, ApiRequest("GET", _note_path(note_id)))
    return outcome


def _listing(
    kind: str, object_field: str, object: str, record_id: str, limit: int, offset: int
) -> Procedure[list[dict[str, Any]]]:
    """One page of ``GET /v2/notes`` or ``/v2/tasks`` of one record; its missing object raises."""
    field = "parent" if object_field == "parent_object" else "linked"
    query = f"?{object_field}={quote(object, safe='')}&{field}_record_id={quote(record_id, safe='')}"
    request = ApiRequest("GET", api_path(kind) + f"{query}&limit={limit}&offset={offset}")
    answer = yield request
    if answer.not_found:
        yield from require_object(object, request)
        return []  # the object exists, the record doesn't: it has nothing
    page: list[dict[str, Any]] = answer.data(list, request)
    return items_with_ids(page, f"{kind[:-1]}_id", request, answer)


def list_notes_page(
    parent_object: str, parent_record_id: str, *, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page (at most :data:`NOTES_PER_PAGE`) of the notes of one record."""
    page = yield from _listing(
        "notes", "parent_object", parent_object, parent_record_id, NOTES_PER_PAGE, offset
    )
    return page


def _task_path(task_id: str) -> str:
    return api_path("tasks", task_id)


def read_task(task_id: str) -> Procedure[dict[str, Any] | None]:
    """A task, or ``None`` when it is missing."""
    task: dict[str, Any] | None = yield from read_item(ApiRequest("GET", _task_path(task_id)), None)
    return task


def fetch_task(task_id: str) -> Procedure[dict[str, Any]]:
    """A task; :class:`AttioNotFoundError` when it is missing."""
    task = yield from read_task(task_id)
    if task is None:
        raise item_not_found(f"Task {task_id}", ApiRequest("GET", _task_path(task_id)))
    return task


def delete_task(task_id: str) -> Procedure[DeleteOutcome]:
    """Delete a task: ``"deleted"``, or ``"not_found"`` (see :func:`delete_record`)."""
    request = ApiRequest("DELETE", _task_path(task_id))
    outcome = yield from delete_item(request, None, ApiRequest("GET", _task_path(task_id)))
    return outcome


def list_tasks_page(
    linked_object: str, linked_record_id: str, *, limit: int = PAGE_LIMIT, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page of the tasks linked to one record."""
    page = yield from _listing("tasks", "linked_object", linked_object, linked_record_id, limit, offset)
    return page

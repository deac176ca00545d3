"""Notes and tasks of the emulated workspace: each belongs to records (a note to one parent, a task linked
to several), served by ``/v2/notes`` and ``/v2/tasks`` with Attio's answers and errors."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_attio.testing.errors import not_found, validation_error

if TYPE_CHECKING:
    from airflow_provider_attio.testing.state import Workspace

#: The most notes one ``GET /v2/notes`` returns.
MAX_NOTES_PER_PAGE = 50
_ACTOR = {"type": "system", "id": None}


class Activities:
    """The notes and tasks of one workspace; thread-safe.

    :param workspace: the workspace their records live in.
    """

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._lock = threading.Lock()
        self._notes: dict[str, dict[str, Any]] = {}
        self._tasks: dict[str, dict[str, Any]] = {}

    def _parent(self, object_ref: str, record_id: str) -> tuple[str, str]:
        """The object's slug and the record's id; Attio's 404 for either missing."""
        from airflow_provider_attio.testing.state import normalize_uuid

        slug = str(self._workspace.get_object(object_ref)["api_slug"])
        self._workspace.get_record(slug, record_id)
        return slug, normalize_uuid(record_id) or record_id

    def add_note(
        self, parent_object: str, parent_record_id: str, title: str, content: str = ""
    ) -> dict[str, Any]:
        """Create a note on a record and return it."""
        from airflow_provider_attio.testing.state import WORKSPACE_ID, attio_timestamp

        slug, record_id = self._parent(parent_object, parent_record_id)
        note_id = str(uuid.uuid4())
        note: dict[str, Any] = {
            "id": {"workspace_id": WORKSPACE_ID, "note_id": note_id},
            "parent_object": slug,
            "parent_record_id": record_id,
            "title": title,
            "meeting_id": None,
            "content_plaintext": content,
            "content_markdown": content,
            "tags": [],
            "created_by_actor": _ACTOR,
            "created_at": attio_timestamp(),
        }
        with self._lock:
            self._notes[note_id] = note
        return note

    def add_task(self, content: str, linked: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """Create a task linked to ``(object, record_id)`` pairs and return it."""
        from airflow_provider_attio.testing.state import WORKSPACE_ID, attio_timestamp

        links = [self._parent(o, r) for o, r in linked]
        task_id = str(uuid.uuid4())
        task: dict[str, Any] = {
            "id": {"workspace_id": WORKSPACE_ID, "task_id": task_id},
            "content_plaintext": content,
            "deadline_at": None,
            "is_completed": False,
            "linked_records": [{"target_object_id": o, "target_record_id": r} for o, r in links],
            "assignees": [],
            "created_by_actor": _ACTOR,
            "created_at": attio_timestamp(),
        }
        with self._lock:
            self._tasks[task_id] = task
        return task

    def _store(self, kind: str) -> dict[str, dict[str, Any]]:
        return self._notes if kind == "note" else self._tasks

    def get(self, kind: str, item_id: str) -> dict[str, Any]:
        """A note or task, or Attio's 404."""
        with self._lock:
            item = self._store(kind).get(item_id.lower())
        if item is None:
            raise not_found(f'{kind.capitalize()} with ID "{item_id}" not found.')
        return item

    def delete(self, kind: str, item_id: str) -> dict[str, Any]:
        """Delete a note or task and return Attio's answer (``{}``), or raise Attio's 404."""
        with self._lock:
            if self._store(kind).pop(item_id.lower(), None) is None:
                raise not_found(f'{kind.capitalize()} with ID "{item_id}" not found.')
        return {}

    def ids(self, kind: str) -> list[str]:
        """The ids of every note or task, in creation order."""
        with self._lock:
            return list(self._store(kind))

    def list_notes(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /v2/notes``: of one record when ``parent_object`` and ``parent_record_id`` are given."""
        limit, offset = page_params(query, 10, MAX_NOTES_PER_PAGE)
        with self._lock:
            notes = list(self._notes.values())
        if "parent_object" in query or "parent_record_id" in query:
            slug = self._workspace.get_object(query.get("parent_object", ""))["api_slug"]
            wanted = query.get("parent_record_id", "").lower()
            notes = [n for n in notes if (n["parent_object"], n["parent_record_id"]) == (slug, wanted)]
        return notes[offset : offset + limit]

    def list_tasks(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /v2/tasks``: linked to one record when ``linked_object`` and ``linked_record_id`` are
        given."""
        limit, offset = page_params(query, 500, None)
        with self._lock:
            tasks = list(self._tasks.values())
        if "linked_object" in query or "linked_record_id" in query:
            slug = self._workspace.get_object(query.get("linked_object", ""))["api_slug"]
            link = {"target_object_id": slug, "target_record_id": query.get("linked_record_id", "").lower()}
            tasks = [t for t in tasks if link in t["linked_records"]]
        return tasks[offset : offset + limit]


def page_params(query: Mapping[str, str], default: int, most: int | None) -> tuple[int, int]:
    """The ``limit`` and ``offset`` query parameters, or Attio's 400."""
    try:
        limit, offset = int(query.get("limit", default)), int(query.get("offset", 0))
    except ValueError:
        raise validation_error("limit and offset must be integers.") from None
    if limit < 1 or offset < 0 or (most is not None and limit > most):
        raise validation_error(f"limit must be between 1 and {most or 'any'}; offset at least 0.")
    return limit, offset

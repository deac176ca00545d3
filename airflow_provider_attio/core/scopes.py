"""The token's scopes: which each call needs (named in its 403), and which kinds a token can delete."""

from __future__ import annotations

from typing import Any

from airflow_provider_attio.exceptions import REQUIRED_SCOPES

#: What listing notes and tasks by the records they belong to (``/v2/notes?parent_object=...``) needs.
NOTES_BY_RECORD_SCOPES = ("note:read-write", "object_configuration:read", "record_permission:read")
TASKS_BY_RECORD_SCOPES = (
    "task:read-write",
    "object_configuration:read",
    "record_permission:read",
    "user_management:read",
)
#: The scopes a call needs, by the start of its path (the first that matches; records' otherwise).
SCOPES_BY_PATH: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/v2/lists/", ("list_entry:read-write", "list_configuration:read")),
    ("/v2/notes?", NOTES_BY_RECORD_SCOPES),
    ("/v2/notes", ("note:read-write",)),
    ("/v2/tasks?", TASKS_BY_RECORD_SCOPES),
    ("/v2/tasks", ("task:read-write",)),
)
#: What ``GET /v2/objects/{object}/records/{record_id}/entries`` (a record's entries) needs.
RECORD_ENTRIES_SCOPES = ("record_permission:read", "object_configuration:read", "list_entry:read")
#: What each kind of thing the provider deletes needs, for the connection test.
DELETE_SCOPES: dict[str, tuple[str, ...]] = {
    "records": REQUIRED_SCOPES,
    "list entries": ("list_entry:read-write", "list_configuration:read"),
    "notes": ("note:read-write",),
    "tasks": ("task:read-write",),
}


#: What finding each kind by the records it belongs to (``parent_record_ids``, ``linked_record_ids``)
#: needs besides deleting it by id: the connection test names what a token lacks of it, so a 403 while
#: finding them is no surprise. List entries need it only when Attio ignores or refuses the entries
#: query's parent filter and each record's entries are read (hence "may").
FIND_BY_RECORD_SCOPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "list entries": ("list entries by parent record may also need", RECORD_ENTRIES_SCOPES),
    "notes": ("notes by parent record also needs", NOTES_BY_RECORD_SCOPES),
    "tasks": ("tasks by linked record also needs", TASKS_BY_RECORD_SCOPES),
}


def grants(have: set[str], scope: str) -> bool:
    """Whether granted scopes ``have`` include ``scope``; as on Attio, ``x:read-write`` grants ``x:read``."""
    return scope in have or (scope.endswith(":read") and f"{scope}-write" in have)


def scopes_for(path: str) -> tuple[str, ...]:
    """The scopes the call to ``path`` needs, named in its 403."""
    if path.startswith("/v2/objects/") and path.split("?", 1)[0].endswith("/entries"):
        return RECORD_ENTRIES_SCOPES
    return next((scopes for prefix, scopes in SCOPES_BY_PATH if path.startswith(prefix)), REQUIRED_SCOPES)


def deletable(granted: str) -> tuple[list[str], list[str]]:
    """Which kinds (records, list entries, notes, tasks) a ``scope`` string can delete, and which not."""
    have = set(granted.split())
    can = [kind for kind, scopes in DELETE_SCOPES.items() if set(scopes) <= have]
    return can, [kind for kind in DELETE_SCOPES if kind not in can]


def judge_deletes(body: dict[str, Any]) -> str:
    """Sentences for the connection test: which kinds the token can delete, and what finding those by
    record lacks (empty when it can delete and find them all)."""
    granted = str(body.get("scope") or "")
    can, cannot = deletable(granted)
    have = set(granted.split())
    lacking = "; ".join(
        f"not {kind} (needs {', '.join(s for s in DELETE_SCOPES[kind] if s not in have)})" for kind in cannot
    )
    deletes = f" It can delete {', '.join(can) or 'nothing'}; {lacking}." if cannot else ""
    return deletes + _finding_by_record(can, have)


def _finding_by_record(can: list[str], have: set[str]) -> str:
    """``Finding list entries by parent record may also need ...`` for the kinds the token can delete
    by id but not find by record (deleting them by id is unaffected, so the verdict doesn't change)."""
    notes = []
    for kind in can:
        if kind in FIND_BY_RECORD_SCOPES:
            phrase, scopes = FIND_BY_RECORD_SCOPES[kind]
            missing = [scope for scope in scopes if not grants(have, scope)]
            if missing:
                notes.append(f"finding {phrase} {', '.join(missing)}")
    if not notes:
        return ""
    joined = "; ".join(notes)
    return f" {joined[0].upper()}{joined[1:]} (deleting them by id doesn't)."


def missing_scopes(granted: str) -> list[str]:
    """The scopes of :data:`REQUIRED_SCOPES` that a space-separated ``scope`` string lacks."""
    have = set(granted.split())
    return [scope for scope in REQUIRED_SCOPES if scope not in have]

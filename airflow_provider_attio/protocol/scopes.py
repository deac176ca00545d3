"""The token's scopes: which each call needs (named in its 403), and which kinds a token can delete."""

from __future__ import annotations

from typing import Any

from airflow_provider_attio.exceptions import REQUIRED_SCOPES

#: The scopes a call needs, by the start of its path (the first that matches; records' otherwise).
SCOPES_BY_PATH: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/v2/lists/", ("list_entry:read-write", "list_configuration:read")),
    ("/v2/notes?", ("note:read-write", "object_configuration:read", "record_permission:read")),
    ("/v2/notes", ("note:read-write",)),
    (
        "/v2/tasks?",
        ("task:read-write", "object_configuration:read", "record_permission:read", "user_management:read"),
    ),
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
    """A sentence for the connection test: which kinds the token can delete (empty when all)."""
    granted = str(body.get("scope") or "")
    can, cannot = deletable(granted)
    if not cannot:
        return ""
    have = set(granted.split())
    lacking = "; ".join(
        f"not {kind} (needs {', '.join(s for s in DELETE_SCOPES[kind] if s not in have)})" for kind in cannot
    )
    return f" It can delete {', '.join(can) or 'nothing'}; {lacking}."


def missing_scopes(granted: str) -> list[str]:
    """The scopes of :data:`REQUIRED_SCOPES` that a space-separated ``scope`` string lacks."""
    have = set(granted.split())
    return [scope for scope in REQUIRED_SCOPES if scope not in have]

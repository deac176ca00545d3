"""How much one call asks for, and how pages follow one another (Attio's queries have no cursor)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_attio.core.procedure import T

#: How many record ids one ``record_id`` ``$in`` query asks about: a few hundred keeps the body small
#: (about 40 bytes an id) and one page (Attio's default ``limit`` is 500) holds every answer.
IDS_PER_QUERY = 250
#: Notes are listed 50 at most a page (Attio's limit); tasks and entries 500.
NOTES_PER_PAGE = 50
PAGE_LIMIT = 500
#: At most this many of a record's entries a page (Attio's limit for a record's entries).
RECORD_ENTRIES_PER_PAGE = 1000


def next_offset(page: Sequence[Any] | int, limit: int, offset: int) -> int | None:
    """The next page's offset, or ``None``: Attio's query has no cursor, and a short page is the last.

    :param page: the page, or how many items it held.
    """
    listed = page if isinstance(page, int) else len(page)
    return offset + limit if listed >= limit else None


def chunked(items: Sequence[T], size: int = IDS_PER_QUERY) -> list[Sequence[T]]:
    """``items`` in slices of at most ``size``: the one batching helper."""
    return [items[start : start + size] for start in range(0, len(items), size)]

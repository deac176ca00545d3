"""The calls on lists and their entries: get, delete, check, the entries query, a record's entries.

A 404 on an entry call asks for the list; a missing list is
:class:`~airflow_provider_attio.exceptions.AttioListNotFoundError`. The entries query by parent record is
trusted only when every entry it lists is of an asked record.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_attio.core.answers import list_not_found, listed_without_id, not_attio
from airflow_provider_attio.core.calls import ApiRequest, api_path, get_list
from airflow_provider_attio.core.facts import RecordFact, fact_of
from airflow_provider_attio.core.items import delete_item, fetch_item, items_with_ids, read_item
from airflow_provider_attio.core.paging import PAGE_LIMIT, RECORD_ENTRIES_PER_PAGE
from airflow_provider_attio.core.procedure import Procedure
from airflow_provider_attio.core.records import DeleteOutcome, require_object
from airflow_provider_attio.exceptions import AttioValidationError


def require_list(list_ref: str, failed: ApiRequest | None = None) -> Procedure[None]:
    """Raise :class:`AttioListNotFoundError` (naming ``failed``) if the list is missing."""
    request = get_list(list_ref)
    answer = yield request
    if answer.not_found:
        raise list_not_found(list_ref, failed or request)
    answer.data(dict, request)


def _entry_path(list_ref: str, entry_id: str) -> str:
    return api_path("lists", list_ref, "entries", entry_id)


def read_entry(list_ref: str, entry_id: str) -> Procedure[dict[str, Any] | None]:
    """A list entry, or ``None`` when the list exists and the entry does not."""
    request = ApiRequest("GET", _entry_path(list_ref, entry_id))
    entry: dict[str, Any] | None = yield from read_item(request, lambda: require_list(list_ref, request))
    return entry


def fetch_entry(list_ref: str, entry_id: str) -> Procedure[dict[str, Any]]:
    """A list entry; :class:`AttioNotFoundError` when it is missing (its list existing)."""
    request = ApiRequest("GET", _entry_path(list_ref, entry_id))
    what = f"List entry {entry_id} of {list_ref!r}"
    entry = yield from fetch_item(request, lambda: require_list(list_ref, request), what)
    return entry


def delete_entry(list_ref: str, entry_id: str) -> Procedure[DeleteOutcome]:
    """Delete a list entry: ``"deleted"``, or ``"not_found"`` when the list exists and the entry doesn't;
    a missing list raises :class:`AttioListNotFoundError`."""
    request = ApiRequest("DELETE", _entry_path(list_ref, entry_id))
    read = ApiRequest("GET", _entry_path(list_ref, entry_id))
    outcome = yield from delete_item(request, lambda: require_list(list_ref, request), read)
    return outcome


def check_entry(list_ref: str, entry_id: str, *, list_known: bool = False) -> Procedure[RecordFact]:
    """Read one list entry (``GET``): present, absent or unavailable, as :func:`check_record` reads a record.

    The fact's ``record_id`` is the entry's id and ``record`` the entry. A 404 asks for the list unless
    ``list_known`` (the caller asks once for many entries); a missing list raises
    :class:`AttioListNotFoundError`. A transient error outlasting the retries is ``unavailable`` ("not
    yet"; ``merging`` for a ``merge_in_progress``); other permanent errors raise. Attio documents no
    ``entry_id`` filter for the entries query, so entries are read one by one, never listed by id.
    """
    request = ApiRequest("GET", _entry_path(list_ref, entry_id))
    container = None if list_known else (lambda: require_list(list_ref, request))
    fact = yield from fact_of(entry_id, read_item(request, container))
    return fact


def query_entries_page(
    list_ref: str, filter: Any = None, *, limit: int = PAGE_LIMIT, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page of ``POST /v2/lists/{list}/entries/query``; a 404 means the list is missing."""
    body: dict[str, Any] = {"limit": limit, "offset": offset}
    if filter is not None:
        body["filter"] = filter
    request = ApiRequest("POST", api_path("lists", list_ref, "entries", "query"), body)
    answer = yield request
    if answer.not_found:
        raise list_not_found(list_ref, request)
    page: list[dict[str, Any]] = items_with_ids(answer.data(list, request), "entry_id", request, answer)
    return page


def entries_of_parents(list_ref: str, parent_object: str, record_ids: Sequence[str]) -> dict[str, Any]:
    """The entry filter for "whose parent record is one of these": a path through ``parent_record``."""
    return {
        "path": [[list_ref, "parent_record"], [parent_object, "record_id"]],
        "constraints": {"$in": list(record_ids)},
    }


@dataclass(frozen=True)
class ParentEntriesPage:
    """One page of the entries query by parent record (:func:`entries_of_parents`), judged.

    Attio documents path filters and ``record_id`` ``$in`` but not this combination, so the answer is
    trusted only when every entry in it is of an asked record: otherwise the filter was not understood.

    :param entries: the page's entries, every one of an asked record (none when not understood).
    :param listed: how many entries the page held (a full page means another follows).
    :param not_understood: why the batched form can't be used (Attio refused the filter, or answered
        entries of other records); ``""`` when it was understood.
    """

    entries: list[dict[str, Any]]
    listed: int
    not_understood: str = ""


def is_uuid(value: str) -> bool:
    """Whether ``value`` reads as a UUID (an object given by id, not by slug)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def is_entry_of(entry: dict[str, Any], parent_object: str, record_ids: Container[str]) -> bool:
    """Whether ``entry``'s parent record is one of ``record_ids`` (lower case) of ``parent_object``.

    An entry names its parent object by slug or UUID: the object is compared only when both are
    given the same way; the record id always.
    """
    record_id = str(entry.get("parent_record_id") or "").lower()
    named = entry.get("parent_object")
    same_form = isinstance(named, str) and is_uuid(named) == is_uuid(parent_object)
    if same_form and str(named).lower() != parent_object.lower():
        return False
    return record_id in record_ids


def query_entries_of_parents(
    list_ref: str, parent_object: str, record_ids: Sequence[str], *, offset: int = 0
) -> Procedure[ParentEntriesPage]:
    """One page of the entries of these records (at most :data:`IDS_PER_QUERY`), judged.

    A 400 (``filter_error`` or any validation error: nothing else in the body can be wrong) means Attio
    refused the filter; a 200 holding an entry of another record means it ignored the filter (or part
    of it). Either is ``not_understood``, and no entry of that page is used. A missing list raises.
    """
    query = entries_of_parents(list_ref, parent_object, record_ids)
    try:
        page = yield from query_entries_page(list_ref, query, offset=offset)
    except AttioValidationError as err:
        said = f"{err.code or 'validation error'}: {err.attio_message or err.message}"
        reason = f"Attio refused it ({err.status} {said})"
        return ParentEntriesPage([], 0, reason)
    asked = {record_id.lower() for record_id in record_ids}
    others = [entry for entry in page if not is_entry_of(entry, parent_object, asked)]
    if others:
        reason = f"Attio's answer held {len(others)} entr(ies) of other records: it ignored the filter"
        return ParentEntriesPage([], len(page), reason)
    return ParentEntriesPage(page, len(page))


def list_record_entries_page(
    object: str, record_id: str, *, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page of a record's entries on every list (``list_id``, ``list_api_slug``, ``entry_id``).

    A 404 asks for the object, as a record call's does: a missing object raises, a missing record has
    no entries (``[]``).
    """
    query = f"?limit={RECORD_ENTRIES_PER_PAGE}&offset={offset}"
    request = ApiRequest("GET", api_path("objects", object, "records", record_id, "entries") + query)
    answer = yield request
    if answer.not_found:
        yield from require_object(object, request)
        return []
    page: list[dict[str, Any]] = answer.data(list, request)
    if not all(isinstance(item, dict) and item.get("entry_id") for item in page):
        raise listed_without_id(answer, request, "An entry", "entry_id")
    return page


@dataclass(frozen=True)
class ListIdentity:
    """A list's UUID and api slug, as ``GET /v2/lists/{list}`` gives them (lower case)."""

    list_id: str
    api_slug: str


def read_list_identity(list_ref: str) -> Procedure[ListIdentity]:
    """The list's id and api slug; a missing list raises :class:`AttioListNotFoundError`, a list with
    neither :class:`AttioResponseError` (it would match no entry: a teardown would delete nothing and
    succeed)."""
    request = get_list(list_ref)
    answer = yield request
    if answer.not_found:
        raise list_not_found(list_ref, request)
    found: dict[str, Any] = answer.data(dict, request)
    ids = found.get("id")
    ids = ids if isinstance(ids, dict) else {}
    identity = ListIdentity(str(ids.get("list_id") or "").lower(), str(found.get("api_slug") or "").lower())
    if not identity.list_id and not identity.api_slug:
        raise not_attio(answer, request).with_message(
            f"The list returned by {request.method} {request.path} has neither an id nor an api_slug: "
            "that is not Attio's answer."
        )
    return identity


def entries_on_list(listed: Iterable[dict[str, Any]], target: ListIdentity) -> list[str]:
    """The ids (lower case) of a record's entries that are on the ``target`` list (by id, or by slug)."""

    def on_target(item: dict[str, Any]) -> bool:
        list_id = str(item.get("list_id") or "").lower()
        slug = str(item.get("list_api_slug") or "").lower()
        return bool(list_id and list_id == target.list_id) or bool(slug and slug == target.api_slug)

    return [str(item["entry_id"]).lower() for item in listed if on_target(item)]

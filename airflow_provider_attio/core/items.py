"""Reading and deleting one item by its own path (a list entry, a note, a task).

What a 404 means (the item is missing, once its container, if any, is known to exist), and that a 2xx
which is not Attio's JSON is verified by a read, as for a record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_attio.core.answers import Answer, item_not_found, listed_without_id, not_attio
from airflow_provider_attio.core.calls import ApiRequest
from airflow_provider_attio.core.procedure import Procedure
from airflow_provider_attio.core.records import DeleteOutcome


def read_item(request: ApiRequest, container: Callable[[], Procedure[None]] | None) -> Procedure[Any]:
    """The item a ``GET`` reads, or ``None`` when it is missing (its container, if any, existing)."""
    answer = yield request
    if not answer.not_found:
        return answer.data(dict, request)
    if container is not None:
        yield from container()
    return None


def fetch_item(
    request: ApiRequest, container: Callable[[], Procedure[None]] | None, what: str
) -> Procedure[dict[str, Any]]:
    """The item a ``GET`` reads; :class:`AttioNotFoundError` naming ``what`` when it is missing."""
    item: dict[str, Any] | None = yield from read_item(request, container)
    if item is None:
        raise item_not_found(what, request)
    return item


def delete_item(
    request: ApiRequest, container: Callable[[], Procedure[None]] | None, read: ApiRequest
) -> Procedure[DeleteOutcome]:
    """Delete as :func:`delete_record` does: a 404 asks for the container; a 2xx not Attio's is verified."""
    answer = yield request
    if answer.not_found:
        if container is not None:
            yield from container()
        return "deleted" if answer.ambiguous_earlier else "not_found"
    if answer.is_attio_json:
        return "deleted"
    if (yield from read_item(read, container)) is None:
        return "deleted"
    error = not_attio(answer, request)
    raise error.with_message(f"{error.message} It still exists: it was not deleted.")


def items_with_ids(page: list[Any], id_field: str, request: ApiRequest, answer: Answer) -> list[Any]:
    """``page`` if every item has ``id.<id_field>``, else :func:`not_attio`."""
    if all(isinstance(i, dict) and isinstance(i.get("id"), dict) and i["id"].get(id_field) for i in page):
        return page
    raise listed_without_id(answer, request, "An item", id_field)

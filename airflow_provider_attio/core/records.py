"""The calls on an object and its records: check, get, delete, query, create, its attributes.

A plain 404 on a record call doesn't say whether the record or the object is missing: the object is
asked for, and only then is the record missing.
"""

from __future__ import annotations

from typing import Any, Literal

from airflow_provider_attio.core.answers import (
    listed_without_id,
    not_attio,
    object_not_found,
    record_not_found,
)
from airflow_provider_attio.core.calls import (
    ApiRequest,
    api_path,
    create_request,
    get_object,
    get_record,
    query_records,
)
from airflow_provider_attio.core.procedure import Procedure
from airflow_provider_attio.exceptions import AttioValidationError


def record_id_of(record: Any) -> str:
    """A record's id (``record["id"]["record_id"]``), lower case; ``""`` when the record has none."""
    ids = record.get("id") if isinstance(record, dict) else None
    return str(ids.get("record_id", "")).lower() if isinstance(ids, dict) else ""


def object_exists(object: str) -> Procedure[bool]:
    """Whether the object exists: ``GET /v2/objects/{object}``; a 2xx must be Attio's object JSON."""
    request = get_object(object)
    answer = yield request
    if answer.not_found:
        return False
    answer.data(dict, request)
    return True


def require_object(object: str, failed: ApiRequest | None = None) -> Procedure[None]:
    """Raise :class:`AttioObjectNotFoundError` (naming ``failed``, the call that got a 404) if the object
    is missing."""
    if not (yield from object_exists(object)):
        raise object_not_found(object, failed or get_object(object))


def read_record(
    object: str, record_id: str, *, object_known: bool = False
) -> Procedure[dict[str, Any] | None]:
    """The record, or ``None`` when the object exists and the record does not.

    A plain 404 on a record call doesn't say whether the record or the object is missing, so the object
    is asked for unless ``object_known`` (a query of this object has just succeeded).
    """
    request = get_record(object, record_id)
    answer = yield request
    if not answer.not_found:
        record: dict[str, Any] = answer.data(dict, request)
        return record
    if not object_known:
        yield from require_object(object, request)
    return None


def fetch_record(object: str, record_id: str) -> Procedure[dict[str, Any]]:
    """The record; :class:`AttioNotFoundError` when it is missing (its object existing)."""
    record = yield from read_record(object, record_id)
    if record is None:
        raise record_not_found(object, record_id, get_record(object, record_id))
    return record


DeleteOutcome = Literal["deleted", "not_found"]


def delete_record(object: str, record_id: str) -> Procedure[DeleteOutcome]:
    """Delete a record: ``"deleted"``, or ``"not_found"`` when the object exists and the record does not.

    A 404 after an attempt that may have been applied (a lost answer, a 5xx) means that attempt deleted
    it. A 2xx that is not Attio's JSON (``{}``) is not believed: the record is read, and it is deleted
    only if it is gone; an answer to that read that isn't Attio's either raises :func:`not_attio`.
    """
    request = ApiRequest("DELETE", api_path("objects", object, "records", record_id))
    answer = yield request
    if answer.not_found:
        yield from require_object(object, request)
        return "deleted" if answer.ambiguous_earlier else "not_found"
    if answer.is_attio_json:
        return "deleted"
    if (yield from read_record(object, record_id)) is None:
        return "deleted"
    error = not_attio(answer, request)
    raise error.with_message(f"{error.message} The record still exists: it was not deleted.")


def query_page(
    object: str, filter: Any = None, sorts: Any = None, *, limit: int = 500, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page of a records query; every item must be a record with an id."""
    request = query_records(object, filter, sorts, limit=limit, offset=offset)
    answer = yield request
    if answer.not_found:
        raise object_not_found(object, request)
    page: list[dict[str, Any]] = answer.data(list, request)
    if not all(record_id_of(record) for record in page):
        raise listed_without_id(answer, request, "A record", "id")
    return page


def create_record(object: str, values: dict[str, Any]) -> Procedure[dict[str, Any]]:
    """Create a record with ``values`` (in Attio's write formats); return the created record.

    A lost answer (a 5xx, a timeout, a dropped connection) raises
    :class:`~airflow_provider_attio.exceptions.AttioOutcomeUnknownError`: the record may exist.
    """
    request = create_request(object, values)
    answer = yield request
    if answer.not_found:
        raise object_not_found(object, request)
    record: dict[str, Any] = answer.data(dict, request)
    return record


def list_attributes(object: str) -> Procedure[list[dict[str, Any]]]:
    """The object's attributes (``GET /v2/objects/{object}/attributes``)."""
    request = ApiRequest("GET", api_path("objects", object, "attributes"))
    answer = yield request
    if answer.not_found:
        raise object_not_found(object, request)
    attributes: list[dict[str, Any]] = answer.data(list, request)
    return attributes


def get_attribute(object: str, attribute: str) -> Procedure[dict[str, Any]]:
    """One attribute of the object (``type``, ``is_multiselect``...); a missing one is a bad input."""
    request = ApiRequest("GET", api_path("objects", object, "attributes", attribute))
    answer = yield request
    if answer.not_found:
        yield from require_object(object, request)
        raise AttioValidationError(
            f"The object {object!r} has no attribute {attribute!r} (check its api slug in Attio).",
            status=404,
            code="not_found",
            method=request.method,
            path=request.path,
        )
    found: dict[str, Any] = answer.data(dict, request)
    return found

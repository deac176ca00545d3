"""The calls a restore makes: creates that report a conflict or a lost answer, updates, a select's choices.

A create is never sent twice: a lost answer is an ``unknown`` outcome, for the restore to look up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_attio.core.answers import not_attio, object_not_found, record_not_found
from airflow_provider_attio.core.calls import ApiRequest, api_path, create_request
from airflow_provider_attio.core.procedure import Procedure
from airflow_provider_attio.core.records import get_attribute, record_id_of, require_object
from airflow_provider_attio.exceptions import AttioOutcomeUnknownError, AttioValidationError

CreateOutcome = Literal["created", "conflict", "unknown"]


@dataclass(frozen=True)
class Created:
    """What one create came to, as a restore acts on it.

    :param outcome: ``created``; ``conflict``, a unique attribute's value is held by another record (400
        ``uniqueness_conflict``); ``unknown``, the answer was lost after an attempt that may have been
        applied, or was not Attio's JSON: look the record up before creating it again.
    :param record: the created record.
    :param detail: Attio's message (a conflict), or what was lost.
    """

    outcome: CreateOutcome
    record: dict[str, Any] | None = None
    detail: str = ""


def create_once(object: str, values: dict[str, Any]) -> Procedure[Created]:
    """Create a record, never twice: a conflict and a lost answer are outcomes, other errors raise."""
    request = create_request(object, values)
    try:
        answer = yield request
    except AttioOutcomeUnknownError as err:
        return Created("unknown", detail=str(err))
    except AttioValidationError as err:
        if err.code != "uniqueness_conflict":
            raise
        return Created("conflict", detail=err.attio_message or err.message)
    if answer.not_found:
        raise object_not_found(object, request)
    data = answer.body.get("data") if answer.is_attio_json else None
    if not isinstance(data, dict) or not record_id_of(data):
        return Created("unknown", detail=not_attio(answer, request).message)
    return Created("created", data)


def update_record(object: str, record_id: str, values: dict[str, Any]) -> Procedure[dict[str, Any]]:
    """Replace the given attributes' values of a record (``PUT``: a multiselect's list is overwritten,
    so sending it again changes nothing); return the record. A missing record raises
    :class:`~airflow_provider_attio.exceptions.AttioNotFoundError`."""
    path = api_path("objects", object, "records", record_id)
    request = ApiRequest("PUT", path, {"data": {"values": values}})
    answer = yield request
    if answer.not_found:
        yield from require_object(object, request)
        raise record_not_found(object, record_id, request)
    record: dict[str, Any] = answer.data(dict, request)
    return record


def list_choices(object: str, attribute: str, kind: Literal["options", "statuses"]) -> Procedure[list[Any]]:
    """A select attribute's live options, or a status attribute's live statuses (archived ones left out)."""
    request = ApiRequest("GET", api_path("objects", object, "attributes", attribute, kind))
    answer = yield request
    if answer.not_found:
        found = yield from get_attribute(object, attribute)  # raises for a missing object or attribute
        raise AttioValidationError(
            f"The attribute {attribute!r} of {object!r} is of type {found.get('type')!r}: it has no {kind}.",
            status=404,
            method=request.method,
            path=request.path,
        )
    choices: list[Any] = answer.data(list, request)
    return choices

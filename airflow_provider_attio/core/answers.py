"""What Attio's answers mean: a reply's body, a 2xx that is not Attio's, the error each status is.

A plain 404 ``not_found`` is left to the procedure (only it knows whether the record or its object is
missing); the errors for each missing thing are built here, so every call that finds one says it alike.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar

from airflow_provider_attio.core.calls import DEFAULT_HOST, ApiRequest
from airflow_provider_attio.core.scopes import scopes_for
from airflow_provider_attio.exceptions import (
    AttioAuthError,
    AttioError,
    AttioListNotFoundError,
    AttioNotFoundError,
    AttioObjectNotFoundError,
    AttioPermanentError,
    AttioRateLimitError,
    AttioResponseError,
    AttioServerError,
    AttioTokenRejectedError,
    AttioTransientError,
    AttioValidationError,
)

#: The body of an answer that was not JSON (a proxy's HTML page, say).
UNREADABLE: Any = object()


def parse_body(content: bytes) -> Any:
    """An answer's JSON body; ``{}`` when empty, :data:`UNREADABLE` when not JSON."""
    if not content:
        return {}
    try:
        return json.loads(content)
    except ValueError:
        return UNREADABLE


@dataclass(frozen=True)
class Reply:
    """What one attempt got back, as a driver read it off the wire: no meaning yet.

    :param status: the HTTP status.
    :param content: the raw body.
    :param content_type: the ``Content-Type`` header.
    :param retry_after: the ``Retry-After`` header.
    """

    status: int
    content: bytes
    content_type: str = ""
    retry_after: str | None = None


@dataclass
class Answer:
    """What one logical call (all its attempts) came back with: a 2xx, or a plain 404 ``not_found``."""

    status: int
    body: Any
    #: An earlier attempt of this call ended without a clear answer (timeout, dropped connection, 5xx),
    #: so it may have been applied by Attio.
    ambiguous_earlier: bool = False
    content_type: str = ""
    #: The base URL that answered, named in errors (never the token).
    origin: str = ""

    @property
    def not_found(self) -> bool:
        """A plain 404 ``not_found``: the record, or the object, is missing (only a procedure can tell)."""
        return self.status == 404

    @property
    def is_attio_json(self) -> bool:
        """A JSON object, as every answer of Attio's is (a DELETE's success is ``{}``)."""
        return isinstance(self.body, dict)

    def json_object(self, request: ApiRequest) -> dict[str, Any]:
        """The body, which must be a JSON object, else :func:`not_attio`."""
        if not self.is_attio_json:
            raise not_attio(self, request)
        body: dict[str, Any] = self.body
        return body

    def data(self, kind: type, request: ApiRequest) -> Any:
        """The answer's ``data`` member, checked to be a ``kind`` (dict or list), else a clear error."""
        data = self.body.get("data") if isinstance(self.body, dict) else None
        if isinstance(data, kind):
            return data
        raise not_attio(self, request)

    def what(self) -> str:
        """What answered, in words: ``HTML (text/html) with status 200``, say."""
        if self.body is UNREADABLE:
            kind = f"a body that is not JSON ({self.content_type or 'no content type'})"
        elif isinstance(self.body, dict):
            kind = "JSON without the 'data' Attio sends"
        else:
            kind = f"JSON that is not an object ({type(self.body).__name__})"
        return f"{kind}, status {self.status}"


def not_attio(answer: Answer, request: ApiRequest) -> AttioResponseError:
    """The error for an answer that is not Attio's: a proxy's page, a wrong host, a truncated body."""
    where = answer.origin or "the connection's host"
    return AttioResponseError(
        f"{where} answered {request.method} {request.path} with {answer.what()}: that is not Attio's answer, "
        f"so it is not taken as success. Is the connection's host Attio's API ({DEFAULT_HOST}), with no "
        "proxy or sign-in page answering in its place?",
        status=answer.status,
        method=request.method,
        path=request.path,
    )


def retry_after_seconds(header: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds, or an HTTP date as Attio sends.

    :param header: the header's value, or ``None``.
    :param now: the current epoch time (for tests); defaults to ``time.time()``.
    :return: the wait (never negative), or ``None`` if the header is missing or unreadable.
    """
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _text(body: Any, key: str) -> str | None:
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def error_from_answer(status: int, body: Any, retry_after: str | None, method: str, path: str) -> AttioError:
    """Turn a non-2xx answer into the matching :class:`AttioError`, reading Attio's flat error body.

    Attio's error body is ``{status_code, type, code, message}``; a body of any other shape still gives
    an error carrying the raw status.

    :param status: the HTTP status.
    :param body: the parsed body (see :func:`parse_body`).
    :param retry_after: the ``Retry-After`` header, if any.
    """
    kwargs: dict[str, Any] = {
        "status": status,
        "error_type": _text(body, "type"),
        "code": _text(body, "code"),
        "attio_message": _text(body, "message"),
        "method": method,
        "path": path,
    }
    if status == 400:
        return AttioValidationError("Attio rejected the request as invalid.", **kwargs)
    if status == 401:
        return AttioTokenRejectedError(
            "Attio rejected the token: it is missing, invalid, expired or revoked. "
            "Check the password of the Attio connection.",
            **kwargs,
        )
    if status == 403:
        return AttioAuthError(
            "The token is not allowed to do this. The provider needs the scopes "
            f"{' and '.join(scopes_for(path))} (granted to the API key in Attio's workspace settings).",
            **kwargs,
        )
    if status == 404 and kwargs["code"] == "merge_in_progress":
        return AttioTransientError("The record is being merged and cannot be read or deleted yet.", **kwargs)
    if status == 404:
        return AttioNotFoundError("Attio answered 404 not found.", **kwargs)
    if status == 429:
        return AttioRateLimitError(
            "Attio's rate limit was exceeded.", retry_after=retry_after_seconds(retry_after), **kwargs
        )
    if status >= 500:
        return AttioServerError(f"Attio answered with a server error ({status}).", **kwargs)
    return AttioPermanentError(f"Attio answered with an unexpected status {status}.", **kwargs)


TransportFailure = Literal["connect_timeout", "connect", "read_timeout", "dropped", "other"]


def transport_error(failure: TransportFailure, exception_name: str, method: str, path: str) -> AttioError:
    """The error for a request that got no answer, whichever client sent it.

    Only the exception's class name is kept: client exception texts may hold the URL.

    :param failure: ``connect_timeout`` and ``connect`` never reached Attio; ``read_timeout`` and
        ``dropped`` may have been applied; ``other`` could not be sent at all.
    :param exception_name: the client's exception class name.
    """
    if failure == "other":
        return AttioPermanentError(
            f"The request could not be sent: {exception_name}.", method=method, path=path
        )
    what = {
        "connect_timeout": "did not connect in time",
        "connect": "could not connect",
        "read_timeout": "timed out waiting for Attio's answer",
        "dropped": "lost the connection before Attio answered",
    }[failure]
    return AttioServerError(f"The request {what} ({exception_name}).", method=method, path=path)


_MissingError = TypeVar("_MissingError", bound=AttioError)


def _missing(error: type[_MissingError], message: str, request: ApiRequest) -> _MissingError:
    """A plain 404 ``not_found`` of ``request``, as the error of the thing found missing."""
    return error(
        message,
        status=404,
        error_type="invalid_request_error",
        code="not_found",
        method=request.method,
        path=request.path,
    )


def object_not_found(object: str, request: ApiRequest) -> AttioObjectNotFoundError:
    """The error for a missing object, whichever call found it missing."""
    message = f"The Attio object {object!r} does not exist in this workspace (check the slug or UUID)."
    return _missing(AttioObjectNotFoundError, message, request)


def record_not_found(object: str, record_id: str, request: ApiRequest) -> AttioNotFoundError:
    """The error for a missing record of an existing object."""
    return _missing(AttioNotFoundError, f"Record {record_id} does not exist in object {object!r}.", request)


def list_not_found(list_ref: str, request: ApiRequest) -> AttioListNotFoundError:
    """The error for a missing list, whichever call found it missing."""
    message = f"The Attio list {list_ref!r} does not exist in this workspace (check the slug or UUID)."
    return _missing(AttioListNotFoundError, message, request)


def item_not_found(what: str, request: ApiRequest) -> AttioNotFoundError:
    """The error for a missing entry, note or task (``what`` names it: ``Note 1234...``)."""
    return _missing(AttioNotFoundError, f"{what} does not exist.", request)


def listed_without_id(answer: Answer, request: ApiRequest, item: str, id_name: str) -> AttioError:
    """The error for a listing that holds an item without its id (``item`` says which: ``A record``)."""
    return not_attio(Answer(answer.status, {}, origin=answer.origin), request).with_message(
        f"{item} listed by {request.method} {request.path} has no {id_name}: that is not Attio's answer."
    )

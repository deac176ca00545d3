"""Attio's API without I/O: the requests the provider sends and what Attio's answers mean.

Two clients send the requests: :class:`~airflow_provider_attio.hooks.attio.AttioHook` (``requests``,
for operators and poking sensors) and :class:`~airflow_provider_attio.aio.AsyncAttioClient` (``httpx``,
for the triggerer). Neither decides what a status means, which failures to retry or how long to wait:
this module does, so a poking sensor and a deferred one cannot disagree.

A *procedure* is a generator that yields :class:`ApiRequest` values and is sent each one's
:class:`Answer` (a 2xx, or a plain 404 ``not_found``, which only the procedure can interpret), or has the
call's :class:`~airflow_provider_attio.exceptions.AttioError` thrown in; it returns its result.
:func:`run` drives one with a blocking client, :func:`arun` with an async one.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

from airflow_provider_attio.exceptions import (
    REQUIRED_SCOPES,
    AttioAuthError,
    AttioError,
    AttioNotFoundError,
    AttioObjectNotFoundError,
    AttioPermanentError,
    AttioRateLimitError,
    AttioResponseError,
    AttioServerError,
    AttioTransientError,
    AttioValidationError,
)

DEFAULT_HOST = "https://api.attio.com"

#: How many record ids one ``record_id`` ``$in`` query asks about: a few hundred keeps the body small
#: (about 40 bytes an id) and one page (Attio's default ``limit`` is 500) holds every answer.
IDS_PER_QUERY = 250

T = TypeVar("T")


# -- requests ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRequest:
    """One call to Attio, as plain data.

    :param method: the HTTP method.
    :param path: the URL path under the base URL, e.g. ``/v2/objects/people``.
    :param json: the JSON body, if any.
    """

    method: str
    path: str
    json: Any = None


def api_path(*segments: str) -> str:
    """``/v2/`` and the URL-encoded segments: ``api_path("objects", "people")`` is ``/v2/objects/people``."""
    return "/v2/" + "/".join(quote(segment, safe="") for segment in segments)


def get_object(object: str) -> ApiRequest:
    return ApiRequest("GET", api_path("objects", object))


def get_record(object: str, record_id: str) -> ApiRequest:
    return ApiRequest("GET", api_path("objects", object, "records", record_id))


def query_records(
    object: str, filter: Any = None, sorts: Any = None, *, limit: int = 500, offset: int = 0
) -> ApiRequest:
    """``POST /v2/objects/{object}/records/query``; ``filter`` and ``sorts`` are left out when ``None``."""
    body: dict[str, Any] = {"limit": limit, "offset": offset}
    if filter is not None:
        body["filter"] = filter
    if sorts is not None:
        body["sorts"] = list(sorts)
    return ApiRequest("POST", api_path("objects", object, "records", "query"), body)


# -- answers -------------------------------------------------------------------------------------------

#: The body of a 2xx answer that was not JSON (a proxy's HTML page, say).
UNREADABLE: Any = object()


def parse_body(content: bytes) -> Any:
    """An answer's JSON body; ``{}`` when empty, :data:`UNREADABLE` when not JSON."""
    if not content:
        return {}
    try:
        return json.loads(content)
    except ValueError:
        return UNREADABLE


@dataclass
class Answer:
    """What one logical call (all its attempts) came back with: a 2xx, or a plain 404 ``not_found``."""

    status: int
    body: Any
    #: An earlier attempt of this call ended without a clear answer (timeout, dropped connection, 5xx),
    #: so it may have been applied by Attio.
    ambiguous_earlier: bool = False
    content_type: str = ""

    def data(self, kind: type, method: str, path: str) -> Any:
        """The answer's ``data`` member, checked to be a ``kind`` (dict or list), else a clear error."""
        data = self.body.get("data") if isinstance(self.body, dict) else None
        if isinstance(data, kind):
            return data
        what = (
            "JSON without a 'data' member of the expected shape"
            if self.body is not UNREADABLE
            else (f"not JSON ({self.content_type or 'no content type'})")
        )
        raise AttioResponseError(
            f"Attio's answer was {what}, not what Attio sends: is the connection's host Attio's API "
            f"({DEFAULT_HOST}), and no proxy in between answering instead?",
            status=self.status,
            method=method,
            path=path,
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
        return AttioAuthError(
            "Attio rejected the token: it is missing, invalid, expired or revoked. "
            "Check the password of the Attio connection.",
            **kwargs,
        )
    if status == 403:
        return AttioAuthError(
            "The token is not allowed to do this. The provider needs the scopes "
            f"{' and '.join(REQUIRED_SCOPES)} (granted to the API key in Attio's workspace settings).",
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


def object_not_found(object: str, method: str, path: str) -> AttioObjectNotFoundError:
    return AttioObjectNotFoundError(
        f"The Attio object {object!r} does not exist in this workspace (check the slug or UUID).",
        status=404,
        error_type="invalid_request_error",
        code="not_found",
        method=method,
        path=path,
    )


# -- the retry policy ----------------------------------------------------------------------------------


class RetrySettings(Protocol):
    """The connection's retry options (``ConnectionSettings`` in the hook module)."""

    @property
    def max_retries(self) -> int: ...
    @property
    def retry_budget(self) -> float: ...
    @property
    def max_retry_wait(self) -> float: ...
    @property
    def backoff(self) -> float: ...


def rate_limit_wait(settings: RetrySettings, retry_after: float | None, attempt: int) -> float:
    """How long to wait after the ``attempt``-th call got a 429: ``Retry-After``, at least the backoff.

    The date has one-second resolution and the clocks differ, so a date already past still means "wait
    a moment": the unjittered exponential backoff is the floor; ``max_retry_wait`` the ceiling.
    """
    floor = settings.backoff * 2 ** max(0, attempt - 1)
    return float(min(settings.max_retry_wait, max(retry_after or 0.0, floor)))


def retry_wait(
    settings: RetrySettings, error: BaseException | None, attempt: int, rng: random.Random | None = None
) -> float:
    """The sleep before retrying a call whose ``attempt``-th attempt failed with ``error``.

    After a 429: :func:`rate_limit_wait`, plus a little jitter so concurrent callers don't all return on
    the same millisecond. Otherwise full-jitter exponential backoff from ``backoff``. Both capped at
    ``max_retry_wait``.
    """
    draw = (rng or random).uniform
    if isinstance(error, AttioRateLimitError):
        wanted = rate_limit_wait(settings, error.retry_after, attempt)
        return float(min(settings.max_retry_wait, wanted + draw(0.0, 0.05)))
    high = min(settings.max_retry_wait, settings.backoff * 2 ** (attempt - 1))
    return float(max(0.01, draw(0.0, high)))


def retryable(error: BaseException) -> bool:
    """Whether a failed attempt may be retried: transient errors only (429, 5xx, timeouts, merges)."""
    return isinstance(error, AttioTransientError)


def gives_up(settings: RetrySettings, attempts: int, elapsed: float, upcoming_wait: float) -> bool:
    """Whether a retryable call stops: ``max_retries`` spent, or the wait would end past ``retry_budget``."""
    return attempts >= settings.max_retries + 1 or elapsed + upcoming_wait >= settings.retry_budget


def exhausted(error: AttioError, attempts: int, elapsed: float) -> AttioError:
    """``error`` again, its message saying how long the call kept trying."""
    return error.with_message(f"{error.message} Gave up after {attempts} attempts over {elapsed:.1f}s.")


# -- procedures ----------------------------------------------------------------------------------------

Procedure = Generator[ApiRequest, Answer, T]


@dataclass(frozen=True)
class _Finished:
    """A procedure's result, once it has returned."""

    value: Any


def _advance(procedure: Procedure[T], outcome: Answer | AttioError | None) -> ApiRequest | _Finished:
    """Hand ``procedure`` the outcome of its last request (``None`` to start it); return its next request,
    or its result once it returns. The one step that :func:`run` and :func:`arun` share."""
    try:
        if outcome is None:
            return next(procedure)
        if isinstance(outcome, AttioError):
            return procedure.throw(outcome)
        return procedure.send(outcome)
    except StopIteration as stop:
        return _Finished(stop.value)


def run(procedure: Procedure[T], send: Callable[[ApiRequest], Answer]) -> T:
    """Drive ``procedure`` with a blocking ``send`` (which retries, and raises :class:`AttioError`)."""
    step = _advance(procedure, None)
    while not isinstance(step, _Finished):
        try:
            outcome: Answer | AttioError = send(step)
        except AttioError as err:
            outcome = err
        step = _advance(procedure, outcome)
    result: T = step.value
    return result


async def arun(procedure: Procedure[T], send: Callable[[ApiRequest], Awaitable[Answer]]) -> T:
    """Drive ``procedure`` with an async ``send``: the same steps as :func:`run`, awaited."""
    step = _advance(procedure, None)
    while not isinstance(step, _Finished):
        try:
            outcome: Answer | AttioError = await send(step)
        except AttioError as err:
            outcome = err
        step = _advance(procedure, outcome)
    result: T = step.value
    return result


RecordState = Literal["present", "absent", "merging", "unavailable"]


@dataclass(frozen=True)
class RecordFact:
    """What Attio says about one record, as facts: no sensor policy.

    :param record_id: the record's UUID.
    :param state: ``present``, ``absent``, ``merging`` (Attio's ``merge_in_progress``: the record exists
        but can't be read yet) or ``unavailable`` (rate limits, 5xx or timeouts outlasted the retries).
    :param confirmed: read from the record itself (``GET``); ``False`` when only a query's listing said
        so. A query may list a record being merged, and a record it leaves out may be merging, so only
        a confirmed fact decides.
    :param record: the record, when present.
    :param detail: why it is ``merging`` or ``unavailable``.
    """

    record_id: str
    state: RecordState
    confirmed: bool = True
    record: dict[str, Any] | None = None
    detail: str = ""


def _pending(record_id: str, error: AttioTransientError) -> RecordFact:
    state: RecordState = "merging" if error.code == "merge_in_progress" else "unavailable"
    return RecordFact(record_id, state, detail=str(error))


def check_record(object: str, record_id: str, *, object_known: bool = False) -> Procedure[RecordFact]:
    """Read one record: present, absent, merging or unavailable.

    A plain 404 on a record call doesn't say whether the record or the object is missing, so the object
    is asked for (``GET /v2/objects/{object}``) unless ``object_known`` (a query of this object has just
    succeeded). A missing object raises :class:`AttioObjectNotFoundError`; other permanent errors raise.
    """
    request = get_record(object, record_id)
    try:
        answer = yield request
        if answer.status != 404:
            return RecordFact(record_id, "present", record=answer.data(dict, "GET", request.path))
        if not object_known and (yield get_object(object)).status == 404:
            raise object_not_found(object, "GET", request.path)
    except AttioTransientError as err:
        return _pending(record_id, err)
    return RecordFact(record_id, "absent")


def list_by_id(object: str, record_ids: Sequence[str]) -> Procedure[dict[str, RecordFact]]:
    """Which of ``record_ids`` (at most :data:`IDS_PER_QUERY`) exist: one ``record_id`` ``$in`` query.

    Returns an unconfirmed fact for each id: ``present`` with the record when listed, else ``absent``. A
    record matches at most once, so one page of ``limit=len(record_ids)`` holds every answer. A 404 on the
    query means the object is missing; a transient error is raised for the caller to apply to every id.
    """
    wanted = list(dict.fromkeys(record_ids))
    request = query_records(object, {"record_id": {"$in": wanted}}, limit=max(1, len(wanted)))
    answer = yield request
    if answer.status == 404:
        raise object_not_found(object, request.method, request.path)
    facts = {record_id: RecordFact(record_id, "absent", confirmed=False) for record_id in wanted}
    for record in answer.data(list, request.method, request.path):
        ids = record.get("id") if isinstance(record, dict) else None
        record_id = str(ids.get("record_id", "")).lower() if isinstance(ids, dict) else ""
        if record_id in facts:
            facts[record_id] = RecordFact(record_id, "present", confirmed=False, record=record)
    return facts


def chunked(items: Sequence[T], size: int = IDS_PER_QUERY) -> list[Sequence[T]]:
    """``items`` in slices of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]

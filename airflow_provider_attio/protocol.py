"""Attio's API without I/O: every call the provider makes, and what Attio's answers mean.

Two drivers send the requests and sleep: :class:`~airflow_provider_attio.hooks.attio.AttioHook`
(``requests``, for operators, the engines and poking sensors) and
:class:`~airflow_provider_attio.aio.AsyncAttioClient` (``httpx``, for the triggerer). Neither compares a
status or reads a body's meaning: they hand each attempt's :class:`Reply` to a :class:`Call`, which
says what it means and whether to try again. What each answer means, in one place:

* **a 2xx** is handed to the procedure, which trusts it only as Attio's JSON (an object, with ``data``
  where Attio sends it): anything else is :func:`not_attio`, a permanent error naming the host. A DELETE
  answered that way is ambiguous: the record is read, and only a record that is gone was deleted.
* **a 404** ``not_found`` doesn't say whether the record or the object is missing (an entry or its
  list): the procedure asks for the object (the list). A 404 after an attempt that may have been
  applied means that attempt did it. ``merge_in_progress`` is "not yet" (transient). A 404 whose body
  isn't JSON is not Attio's.
* **a 401** is :class:`~airflow_provider_attio.exceptions.AttioTokenRejectedError`: each driver reads
  the connection again once (a rotated token) and sends again; 403 and 400 are permanent.
* **a 429, a 5xx, a timeout, a dropped connection** are retried with the policy below (``Retry-After``
  as an HTTP date or seconds, jittered exponential backoff, a count and a time budget). A 5xx, a read
  timeout or a dropped answer may have been applied; a refused or timed-out connect was not. A create
  is sent :attr:`~ApiRequest.once`: after an attempt that may have been applied it is not sent again (a
  second record), and the call raises
  :class:`~airflow_provider_attio.exceptions.AttioOutcomeUnknownError` for its caller to look it up.

A *procedure* is a generator that yields :class:`ApiRequest` values and is sent each one's
:class:`Answer` (a 2xx, or a plain 404 ``not_found``, which only the procedure can interpret), or has the
call's :class:`~airflow_provider_attio.exceptions.AttioError` thrown in; it returns its result.
:func:`run` drives one with a blocking client, :func:`arun` with an async one.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Container, Generator, Iterable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

from airflow_provider_attio.exceptions import (
    REQUIRED_SCOPES,
    AttioAuthError,
    AttioError,
    AttioListNotFoundError,
    AttioNotFoundError,
    AttioObjectNotFoundError,
    AttioOutcomeUnknownError,
    AttioPermanentError,
    AttioRateLimitError,
    AttioResponseError,
    AttioServerError,
    AttioTokenRejectedError,
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
    :param once: never sent again after an attempt that may have been applied (a create: a second one
        would make a second record); the call raises
        :class:`~airflow_provider_attio.exceptions.AttioOutcomeUnknownError` instead.
    """

    method: str
    path: str
    json: Any = None
    once: bool = False

    @property
    def is_write(self) -> bool:
        """Whether the call spends Attio's write budget (a query is a ``POST`` that reads)."""
        return self.method != "GET" and not self.path.endswith("/query")


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


def object_not_found(object: str, request: ApiRequest) -> AttioObjectNotFoundError:
    """The error for a missing object, whichever call found it missing."""
    return AttioObjectNotFoundError(
        f"The Attio object {object!r} does not exist in this workspace (check the slug or UUID).",
        status=404,
        error_type="invalid_request_error",
        code="not_found",
        method=request.method,
        path=request.path,
    )


def record_not_found(object: str, record_id: str, request: ApiRequest) -> AttioNotFoundError:
    """The error for a missing record of an existing object."""
    return AttioNotFoundError(
        f"Record {record_id} does not exist in object {object!r}.",
        status=404,
        error_type="invalid_request_error",
        code="not_found",
        method=request.method,
        path=request.path,
    )


# -- the retry policy ----------------------------------------------------------------------------------


class RetrySettings(Protocol):
    """The connection's retry options (``ConnectionSettings`` in the connection module)."""

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


def outcome_unknown(error: AttioError, request: ApiRequest) -> AttioOutcomeUnknownError:
    """The error of a call sent :attr:`~ApiRequest.once` whose attempt may have been applied."""
    return AttioOutcomeUnknownError(
        f"{error.message} The {request.method} may have been applied, so it is not sent again: whether it "
        "was must be looked up.",
        status=error.status,
        error_type=error.error_type,
        code=error.code,
        attio_message=error.attio_message,
        method=request.method,
        path=request.path,
    )


def exhausted(error: AttioError, attempts: int, elapsed: float) -> AttioError:
    """``error`` again, its message saying how long the call kept trying."""
    return error.with_message(f"{error.message} Gave up after {attempts} attempts over {elapsed:.1f}s.")


class Call:
    """One logical call and its attempts: what each attempt's reply means, and whether to try again.

    A driver's whole loop (the sync hook's and the async client's are the same shape)::

        call = Call(request, settings, origin=base_url)
        while True:
            outcome = call.answered(reply) or call.unanswered(failure, name)  # one attempt
            if isinstance(outcome, Answer):
                return outcome
            sleep(call.retry_in(outcome))  # raises when the call stops

    :param request: the request every attempt sends.
    :param settings: the connection's retry options.
    :param origin: the base URL, named when an answer is not Attio's.
    :param clock: monotonic seconds (tests inject one).
    :param rng: the jitter's random source (tests seed one).
    """

    def __init__(
        self,
        request: ApiRequest,
        settings: RetrySettings,
        *,
        origin: str = "",
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.request, self.settings, self.origin = request, settings, origin
        self._clock, self._rng = clock, rng
        self.started = clock()
        self.attempts = 0
        #: An attempt ended in a way that may have been applied (a 5xx, a read timeout, a dropped answer).
        self.ambiguous = False

    def answered(self, reply: Reply) -> Answer | AttioError:
        """Judge one attempt's reply: a trusted :class:`Answer` (a 2xx, a plain 404) or the error.

        A 2xx comes back as an answer whatever its body: the procedure decides, since a DELETE's page
        that isn't Attio's JSON must be verified, not believed. A 404 must carry JSON (Attio's error
        body): a proxy's 404 page is not Attio saying a record is missing.
        """
        self.attempts += 1
        request = self.request
        body = parse_body(reply.content)
        answer = Answer(reply.status, body, self.ambiguous, reply.content_type, self.origin)
        if 200 <= reply.status < 300:
            return answer
        error = error_from_answer(reply.status, body, reply.retry_after, request.method, request.path)
        if type(error) is AttioNotFoundError:
            return answer if body is not UNREADABLE else not_attio(answer, request)
        self.ambiguous = self.ambiguous or reply.status >= 500
        return error

    def unanswered(self, failure: TransportFailure, exception_name: str) -> AttioError:
        """Judge one attempt that got no reply; a read timeout or a dropped answer may have been applied."""
        self.attempts += 1
        self.ambiguous = self.ambiguous or failure in ("read_timeout", "dropped")
        return transport_error(failure, exception_name, self.request.method, self.request.path)

    def retry_in(self, error: AttioError) -> float:
        """The seconds to wait before the next attempt; raises ``error`` when the call stops here."""
        if not retryable(error):
            raise error
        if self.ambiguous and self.request.once:
            raise outcome_unknown(error, self.request)
        wait = retry_wait(self.settings, error, self.attempts, self._rng)
        elapsed = self._clock() - self.started
        if gives_up(self.settings, self.attempts, elapsed, wait):
            raise exhausted(error, self.attempts, elapsed) from None
        return wait


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


def settle(outcome: Answer | AttioError) -> Answer:
    """An attempt's outcome as a ``send`` gives it: the answer, or the error raised (no retries)."""
    if isinstance(outcome, AttioError):
        raise outcome
    return outcome


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
        raise not_attio(Answer(answer.status, {}, origin=answer.origin), request).with_message(
            f"A record listed by {request.method} {request.path} has no id: that is not Attio's answer."
        )
    return page


def next_offset(page: Sequence[Any] | int, limit: int, offset: int) -> int | None:
    """The next page's offset, or ``None``: Attio's query has no cursor, and a short page is the last.

    :param page: the page, or how many items it held.
    """
    listed = page if isinstance(page, int) else len(page)
    return offset + limit if listed >= limit else None


def create_request(object: str, values: dict[str, Any]) -> ApiRequest:
    """``POST /v2/objects/{object}/records``, sent :attr:`~ApiRequest.once`: a lost answer isn't resent."""
    return ApiRequest("POST", api_path("objects", object, "records"), {"data": {"values": values}}, once=True)


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


def identify() -> Procedure[dict[str, Any]]:
    """What Attio says of the token: ``GET /v2/self``'s JSON (``active``, ``scope``, the workspace)."""
    request = ApiRequest("GET", api_path("self"))
    answer = yield request
    if answer.not_found:
        raise not_attio(answer, request)
    return answer.json_object(request)


def missing_scopes(granted: str) -> list[str]:
    """The scopes of :data:`REQUIRED_SCOPES` that a space-separated ``scope`` string lacks."""
    have = set(granted.split())
    return [scope for scope in REQUIRED_SCOPES if scope not in have]


def judge_self(body: dict[str, Any]) -> tuple[bool, str]:
    """A connection test's verdict from ``/v2/self``: active, and granted the scopes the provider needs."""
    if not body.get("active"):
        return (
            False,
            "The token is inactive (revoked, expired or invalid): Attio's /v2/self says active=false.",
        )
    workspace = body.get("workspace_name") or body.get("workspace_slug") or body.get("workspace_id")
    missing = missing_scopes(str(body.get("scope") or ""))
    deletes = judge_deletes(body)
    if missing:
        return False, (
            f"Connected to Attio workspace {workspace!r}.{deletes} The token lacks the scopes "
            f"{', '.join(missing)} that the provider needs."
        )
    return True, (
        f"Connected to Attio workspace {workspace!r}; the token has the scopes the provider needs.{deletes}"
    )


RecordState = Literal["present", "absent", "merging", "unavailable"]


@dataclass(frozen=True)
class RecordFact:
    """What Attio says about one record, as facts: no sensor policy.

    :param record_id: the record's UUID.
    :param state: ``present``, ``absent``, ``merging`` (Attio's ``merge_in_progress``: the record exists
        but can't be read yet) or ``unavailable`` (rate limits, 5xx or timeouts outlasted the retries).
    :param confirmed: settled: read from the record itself (``GET``, :func:`check_record`), or, for an
        absence, left out by a second listing sent at once (:func:`confirm_absent`); ``False`` when only
        one listing said so. A query may list a record being merged, and a record it leaves out may be
        merging, so only a confirmed fact decides.
    :param record: the record, when present.
    :param detail: why it is ``merging`` or ``unavailable``.
    """

    record_id: str
    state: RecordState
    confirmed: bool = True
    record: dict[str, Any] | None = None
    detail: str = ""


def unavailable(record_ids: Iterable[str], error: BaseException) -> dict[str, RecordFact]:
    """The facts of records a transient failure left undecided (a listing, or a tick that was cancelled)."""
    detail = str(error) or type(error).__name__
    return {r: RecordFact(r, "unavailable", confirmed=False, detail=detail) for r in record_ids}


def check_record(object: str, record_id: str, *, object_known: bool = False) -> Procedure[RecordFact]:
    """Read one record: present, absent, merging or unavailable (see :func:`read_record`).

    A missing object raises :class:`AttioObjectNotFoundError`; other permanent errors raise.
    """
    try:
        record = yield from read_record(object, record_id, object_known=object_known)
    except AttioTransientError as err:
        state: RecordState = "merging" if err.code == "merge_in_progress" else "unavailable"
        return RecordFact(record_id, state, detail=str(err))
    return RecordFact(record_id, "absent" if record is None else "present", record=record)


def list_by_id(object: str, record_ids: Sequence[str]) -> Procedure[dict[str, RecordFact]]:
    """Which of ``record_ids`` (at most :data:`IDS_PER_QUERY`) exist: one ``record_id`` ``$in`` query.

    Returns an unconfirmed fact for each id: ``present`` with the record when listed, else ``absent``. A
    record matches at most once, so one page of ``limit=len(record_ids)`` holds every answer. A 404 on the
    query means the object is missing; a transient error is raised for the caller to apply to every id.
    """
    wanted = list(dict.fromkeys(record_ids))
    listed = yield from query_page(object, {"record_id": {"$in": wanted}}, limit=max(1, len(wanted)))
    facts = {record_id: RecordFact(record_id, "absent", confirmed=False) for record_id in wanted}
    for record in listed:
        record_id = record_id_of(record)
        if record_id in facts:
            facts[record_id] = RecordFact(record_id, "present", confirmed=False, record=record)
    return facts


def confirm_absent(object: str, record_ids: Sequence[str]) -> Procedure[dict[str, RecordFact]]:
    """Confirm that records a listing left out are gone: a second ``record_id`` ``$in`` query, at once.

    Sent right after the :func:`list_by_id` that left ``record_ids`` (at most :data:`IDS_PER_QUERY`) out.
    An id this query leaves out too is a confirmed ``absent``; one it lists is ``present``, unconfirmed
    (not gone after all). Nothing is read record by record.

    What a confirmed absence must prove is what a single-record read proves: the object exists, the
    record doesn't, and it isn't merely unreadable for now (``merge_in_progress`` means "not yet"):

    * **The object exists**: the query was answered 200 (a missing object is a 404, raised as
      :class:`~airflow_provider_attio.exceptions.AttioObjectNotFoundError`), so it needs no object check.
    * **The record doesn't exist**: two answers leave it out, not one. A single answer is never the only
      evidence for a permanent conclusion (deletes are final: a sensor never asks again).
    * **A merge can't bring it back.** A query may leave out a record being merged, and only a read
      says ``merge_in_progress``; for an absence that difference doesn't outlast the merge. Attio's
      reference for merging records: a merge makes a *new* record and marks both originals as merged,
      never to be read or written again; ``merge_in_progress`` is what the new record answers until an
      asynchronous merge completes. So an original left out while it is merged away is gone for good
      under its id, as a deleted record is, and the only record that becomes readable afterwards is the
      new one, whose id nobody had before the merge answered (nobody waits for it to be gone). A record
      awaited *present* is different: a listing of the new record (or of an original being merged
      away) would say present too early, so a present record is still confirmed by
      :func:`check_record`, a read.

    A query answered ``merge_in_progress`` (or 429, 5xx, a timeout) outlasting the retries is raised
    as a transient error, for the caller to apply to every id: "not yet", never gone.
    """
    facts = yield from list_by_id(object, record_ids)
    return {r: RecordFact(r, "absent") if f.state == "absent" else f for r, f in facts.items()}


def chunked(items: Sequence[T], size: int = IDS_PER_QUERY) -> list[Sequence[T]]:
    """``items`` in slices of at most ``size``: the one batching helper."""
    return [items[start : start + size] for start in range(0, len(items), size)]


# -- restoring records: creates that report a conflict or a lost answer, updates, a select's options ---

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


# -- list entries, notes and tasks: their calls, what their 404s mean, the scopes each needs -----------

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
#: Notes are listed 50 at most a page (Attio's limit); tasks and entries 500.
NOTES_PER_PAGE = 50
PAGE_LIMIT = 500


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


def get_list(list_ref: str) -> ApiRequest:
    return ApiRequest("GET", api_path("lists", list_ref))


def list_not_found(list_ref: str, request: ApiRequest) -> AttioListNotFoundError:
    """The error for a missing list, whichever call found it missing."""
    return AttioListNotFoundError(
        f"The Attio list {list_ref!r} does not exist in this workspace (check the slug or UUID).",
        status=404,
        error_type="invalid_request_error",
        code="not_found",
        method=request.method,
        path=request.path,
    )


def item_not_found(what: str, request: ApiRequest) -> AttioNotFoundError:
    """The error for a missing entry, note or task (``what`` names it: ``Note 1234...``)."""
    return AttioNotFoundError(
        f"{what} does not exist.",
        status=404,
        error_type="invalid_request_error",
        code="not_found",
        method=request.method,
        path=request.path,
    )


def require_list(list_ref: str, failed: ApiRequest | None = None) -> Procedure[None]:
    """Raise :class:`AttioListNotFoundError` (naming ``failed``) if the list is missing."""
    request = get_list(list_ref)
    answer = yield request
    if answer.not_found:
        raise list_not_found(list_ref, failed or request)
    answer.data(dict, request)


def _read_item(request: ApiRequest, container: Callable[[], Procedure[None]] | None) -> Procedure[Any]:
    """The item a ``GET`` reads, or ``None`` when it is missing (its container, if any, existing)."""
    answer = yield request
    if not answer.not_found:
        return answer.data(dict, request)
    if container is not None:
        yield from container()
    return None


def _delete_item(
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
    if (yield from _read_item(read, container)) is None:
        return "deleted"
    error = not_attio(answer, request)
    raise error.with_message(f"{error.message} It still exists: it was not deleted.")


def _entry_path(list_ref: str, entry_id: str) -> str:
    return api_path("lists", list_ref, "entries", entry_id)


def read_entry(list_ref: str, entry_id: str) -> Procedure[dict[str, Any] | None]:
    """A list entry, or ``None`` when the list exists and the entry does not."""
    request = ApiRequest("GET", _entry_path(list_ref, entry_id))
    entry: dict[str, Any] | None = yield from _read_item(request, lambda: require_list(list_ref, request))
    return entry


def fetch_entry(list_ref: str, entry_id: str) -> Procedure[dict[str, Any]]:
    """A list entry; :class:`AttioNotFoundError` when it is missing (its list existing)."""
    entry = yield from read_entry(list_ref, entry_id)
    if entry is None:
        raise item_not_found(
            f"List entry {entry_id} of {list_ref!r}", ApiRequest("GET", _entry_path(list_ref, entry_id))
        )
    return entry


def delete_entry(list_ref: str, entry_id: str) -> Procedure[DeleteOutcome]:
    """Delete a list entry: ``"deleted"``, or ``"not_found"`` when the list exists and the entry doesn't;
    a missing list raises :class:`AttioListNotFoundError`."""
    request = ApiRequest("DELETE", _entry_path(list_ref, entry_id))
    read = ApiRequest("GET", _entry_path(list_ref, entry_id))
    outcome = yield from _delete_item(request, lambda: require_list(list_ref, request), read)
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
    try:
        entry = yield from _read_item(request, container)
    except AttioTransientError as err:
        state: RecordState = "merging" if err.code == "merge_in_progress" else "unavailable"
        return RecordFact(entry_id, state, detail=str(err))
    return RecordFact(entry_id, "absent" if entry is None else "present", record=entry)


def _ids_listed(page: list[Any], id_field: str, request: ApiRequest, answer: Answer) -> list[Any]:
    """``page`` if every item has ``id.<id_field>``, else :func:`not_attio`."""
    if all(isinstance(i, dict) and isinstance(i.get("id"), dict) and i["id"].get(id_field) for i in page):
        return page
    raise not_attio(Answer(answer.status, {}, origin=answer.origin), request).with_message(
        f"An item listed by {request.method} {request.path} has no {id_field}: that is not Attio's answer."
    )


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
    page: list[dict[str, Any]] = _ids_listed(answer.data(list, request), "entry_id", request, answer)
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


#: At most this many of a record's entries a page (Attio's limit for a record's entries).
RECORD_ENTRIES_PER_PAGE = 1000


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
        raise not_attio(Answer(answer.status, {}, origin=answer.origin), request).with_message(
            f"An entry listed by {request.method} {request.path} has no entry_id: that is not Attio's answer."
        )
    return page


@dataclass(frozen=True)
class ListIdentity:
    """A list's UUID and api slug, as ``GET /v2/lists/{list}`` gives them (lower case)."""

    list_id: str
    api_slug: str


def read_list_identity(list_ref: str) -> Procedure[ListIdentity]:
    """The list's id and api slug; a missing list raises :class:`AttioListNotFoundError`."""
    request = get_list(list_ref)
    answer = yield request
    if answer.not_found:
        raise list_not_found(list_ref, request)
    found: dict[str, Any] = answer.data(dict, request)
    ids = found.get("id")
    ids = ids if isinstance(ids, dict) else {}
    return ListIdentity(str(ids.get("list_id") or "").lower(), str(found.get("api_slug") or "").lower())


def entries_on_list(listed: Iterable[dict[str, Any]], target: ListIdentity) -> list[str]:
    """The ids (lower case) of a record's entries that are on the ``target`` list (by id, or by slug)."""

    def on_target(item: dict[str, Any]) -> bool:
        list_id = str(item.get("list_id") or "").lower()
        slug = str(item.get("list_api_slug") or "").lower()
        return bool(list_id and list_id == target.list_id) or bool(slug and slug == target.api_slug)

    return [str(item["entry_id"]).lower() for item in listed if on_target(item)]


def _note_path(note_id: str) -> str:
    return api_path("notes", note_id)


def read_note(note_id: str) -> Procedure[dict[str, Any] | None]:
    """A note, or ``None`` when it is missing."""
    note: dict[str, Any] | None = yield from _read_item(ApiRequest("GET", _note_path(note_id)), None)
    return note


def fetch_note(note_id: str) -> Procedure[dict[str, Any]]:
    """A note; :class:`AttioNotFoundError` when it is missing."""
    note = yield from read_note(note_id)
    if note is None:
        raise item_not_found(f"Note {note_id}", ApiRequest("GET", _note_path(note_id)))
    return note


def delete_note(note_id: str) -> Procedure[DeleteOutcome]:
    """Delete a note: ``"deleted"``, or ``"not_found"`` (see :func:`delete_record`)."""
    request = ApiRequest("DELETE", _note_path(note_id))
    outcome = yield from _delete_item(request, None, ApiRequest("GET", _note_path(note_id)))
    return outcome


def _listing(
    kind: str, object_field: str, object: str, record_id: str, limit: int, offset: int
) -> Procedure[list[dict[str, Any]]]:
    """One page of ``GET /v2/notes`` or ``/v2/tasks`` of one record; its missing object raises."""
    field = "parent" if object_field == "parent_object" else "linked"
    query = f"?{object_field}={quote(object, safe='')}&{field}_record_id={quote(record_id, safe='')}"
    request = ApiRequest("GET", api_path(kind) + f"{query}&limit={limit}&offset={offset}")
    answer = yield request
    if answer.not_found:
        yield from require_object(object, request)
        return []  # the object exists, the record doesn't: it has nothing
    page: list[dict[str, Any]] = answer.data(list, request)
    return _ids_listed(page, f"{kind[:-1]}_id", request, answer)


def list_notes_page(
    parent_object: str, parent_record_id: str, *, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page (at most :data:`NOTES_PER_PAGE`) of the notes of one record."""
    page = yield from _listing(
        "notes", "parent_object", parent_object, parent_record_id, NOTES_PER_PAGE, offset
    )
    return page


def _task_path(task_id: str) -> str:
    return api_path("tasks", task_id)


def read_task(task_id: str) -> Procedure[dict[str, Any] | None]:
    """A task, or ``None`` when it is missing."""
    task: dict[str, Any] | None = yield from _read_item(ApiRequest("GET", _task_path(task_id)), None)
    return task


def fetch_task(task_id: str) -> Procedure[dict[str, Any]]:
    """A task; :class:`AttioNotFoundError` when it is missing."""
    task = yield from read_task(task_id)
    if task is None:
        raise item_not_found(f"Task {task_id}", ApiRequest("GET", _task_path(task_id)))
    return task


def delete_task(task_id: str) -> Procedure[DeleteOutcome]:
    """Delete a task: ``"deleted"``, or ``"not_found"`` (see :func:`delete_record`)."""
    request = ApiRequest("DELETE", _task_path(task_id))
    outcome = yield from _delete_item(request, None, ApiRequest("GET", _task_path(task_id)))
    return outcome


def list_tasks_page(
    linked_object: str, linked_record_id: str, *, limit: int = PAGE_LIMIT, offset: int = 0
) -> Procedure[list[dict[str, Any]]]:
    """One page of the tasks linked to one record."""
    page = yield from _listing("tasks", "linked_object", linked_object, linked_record_id, limit, offset)
    return page

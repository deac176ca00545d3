"""AttioHook: the synchronous client every operator (and a poking sensor) calls Attio through.

The hook owns the connection, the token (in its session only) and the HTTP session. What Attio's answers
mean (what a 404 means, when to wait, what is permanent) and the retry policy live in ``protocol.py``,
shared with the deferred sensor's async client, so no two modes can disagree about Attio's semantics.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import requests
import tenacity
from airflow.providers.common.compat.sdk import BaseHook, mask_secret
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from airflow_provider_attio import __version__, bulk
from airflow_provider_attio.exceptions import (
    REQUIRED_SCOPES,
    AttioAuthError,
    AttioError,
    AttioNotFoundError,
    AttioObjectNotFoundError,
    AttioRateLimitError,
    AttioServerError,
    AttioTransientError,
    AttioValidationError,
)
from airflow_provider_attio.options import BulkDeleteOptions, check_job
from airflow_provider_attio.protocol import (
    DEFAULT_HOST,
    Answer,
    ApiRequest,
    TransportFailure,
    api_path,
    error_from_answer,
    parse_body,
    rate_limit_wait,
    retry_after_seconds,
    retry_wait,
    transport_error,
)
from airflow_provider_attio.validation import (
    WaitFor,
    check_finite_number,
    shorten,
    validate_filter,
    validate_object,
    validate_record_id,
    validate_token,
    validate_wait_for,
)

if TYPE_CHECKING:
    from airflow_provider_attio.bulk import BulkDeleteSummary

#: The connect and read timeout of a connection test, in seconds: someone is waiting for it.
TEST_TIMEOUT = 5.0
USER_AGENT = f"airflow-provider-attio/{__version__}"

DeleteOutcome = Literal["deleted", "not_found"]

__all__ = [
    "AttioHook",
    "ConnectionSettings",
    "DeleteOutcome",
    "RateLimitGate",
    "RateLimited",
    "ResendGate",
    "WaitFor",
    "error_from_response",
    "missing_scopes",
    "rate_limit_wait",
    "retry_after_seconds",
    "validate_filter",
    "validate_object",
    "validate_record_id",
    "validate_wait_for",
]


#: The largest value each connection extra accepts: larger ones are typos, and some overflow sockets.
SETTING_MAXIMUMS: dict[str, float] = {
    "timeout": 3600,
    "connect_timeout": 600,
    "max_retries": 100,
    "retry_budget": 86400,
    "max_retry_wait": 3600,
    "backoff": 600,
}


@dataclass(frozen=True)
class ConnectionSettings:
    """The tunable options of an ``attio`` connection (its extras), with their defaults.

    :param timeout: seconds to wait for Attio to answer one request (the read timeout).
    :param connect_timeout: seconds to wait for a TCP/TLS connection to Attio.
    :param max_retries: retries of one call after its first attempt, for transient failures.
    :param retry_budget: seconds one call may spend retrying, sleeps included.
    :param max_retry_wait: the longest single sleep between two attempts, in seconds.
    :param backoff: the first backoff sleep in seconds; it doubles per retry, with full jitter.
    """

    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_retries: int = 8
    retry_budget: float = 120.0
    max_retry_wait: float = 30.0
    backoff: float = 0.5

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> ConnectionSettings:
        """Read the settings from a connection's extras, refusing unknown or malformed ones.

        Forms of Airflow before 3.2 store fields as ``extra__attio__<name>``; both spellings are accepted.
        Empty values (an untouched form field) mean "use the default".
        """
        known = {f.name: f.type for f in cls.__dataclass_fields__.values()}
        values: dict[str, Any] = {}
        for raw_key, raw_value in extras.items():
            key = raw_key.removeprefix("extra__attio__")
            if raw_value is None or raw_value == "":
                continue
            if key not in known:
                hint = " (extras are options, never HTTP headers)" if key.lower() == "headers" else ""
                raise AttioValidationError(
                    f"The connection has an unknown extra {raw_key!r}{hint}; "
                    f"known extras: {', '.join(sorted(known))}."
                )
            want_int = known[key] in ("int", int)
            number = check_finite_number(raw_value, key, integer=want_int, maximum=SETTING_MAXIMUMS[key])
            values[key] = int(number) if want_int else number
        settings = cls(**values)
        if settings.timeout <= 0 or settings.connect_timeout <= 0:
            raise AttioValidationError("The connection's timeout and connect_timeout must be greater than 0.")
        return settings


def _json_body(response: requests.Response) -> Any:
    return parse_body(response.content)


@dataclass
class _CallState:
    ambiguous: bool = False
    attempts: int = 0
    gave_up: bool = False  # a rate-limit or resend gate said not to retry
    started: float = field(default_factory=time.monotonic)
    unpaced: AttioError | None = None  # the last failure, when no rate-limit gate paced its retry


#: What a rate-limited call calls instead of the hook's own sleep: given the seconds until ``Retry-After``
#: (``None`` when Attio didn't say), it waits as long as its caller's pacing needs, then returns ``True``
#: to retry now or ``False`` to give up (the call then raises :class:`AttioRateLimitError`). The hook's
#: retry count and budget still apply, and so does everything else about the call.
RateLimitGate = Callable[[float | None], bool]

#: What a call retried after anything but a 429 (a 5xx, a timeout, a dropped connection) calls after the
#: hook's backoff and before sending again: it waits for its caller's pace, then returns ``True`` to send
#: or ``False`` to give up (the call then raises the last error).
ResendGate = Callable[[], bool]


@dataclass(frozen=True)
class RateLimited:
    """Attio answered 429: what the hook tells its rate-limit listeners.

    :param method: the call's HTTP method.
    :param path: the call's URL path.
    :param wait: the seconds the hook waits before retrying (from ``Retry-After``, at least the backoff).
    """

    method: str
    path: str
    wait: float


def connection_parts(conn: Any, extras: Mapping[str, Any]) -> tuple[str, ConnectionSettings, str]:
    """Read an ``attio`` connection: its base URL, its settings and its token (masked in logs).

    :param conn: an Airflow connection.
    :param extras: its extras, already decoded (triggers decode them without blocking the event loop).
    :raises AttioAuthError: the connection has no usable token.
    """
    if conn.password:
        mask_secret(conn.password)
    try:
        token = validate_token(conn.password)
    except AttioValidationError as err:
        # Not the connection id: while Airflow tests a connection it swaps in a random one.
        raise AttioAuthError(err.message) from None
    if token != conn.password:  # surrounding whitespace stripped: mask what is sent too
        mask_secret(token)
    return base_url_of(conn), ConnectionSettings.from_extras(extras or {}), token


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def base_url_of(conn: Any) -> str:
    """The API's base URL from a connection's host (and schema, port): ``https://api.attio.com`` by default.

    A trailing ``/v2`` (a common paste of Attio's docs) is dropped: the hook adds it to every path. Plain
    ``http://`` is refused except on loopback, where a local emulator runs.

    :param conn: an Airflow connection.
    """
    host = (conn.host or "").strip()
    if not host:
        return DEFAULT_HOST
    if "://" not in host:
        host = f"{(conn.schema or 'https').strip().lower()}://{host}"
    parts = urlsplit(host)
    try:
        port = parts.port or conn.port
    except ValueError as err:
        raise AttioValidationError(f"The Attio connection's host is not a valid URL: {host!r}.") from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AttioValidationError(
            f"The Attio connection's host must be an https:// URL like {DEFAULT_HOST}; got {host!r}."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise AttioValidationError(
            f"The Attio connection's host {host!r} uses plain http:// on a non-loopback host, which "
            "would send the token in clear text. Use https:// (http:// is allowed only for "
            "127.0.0.1, ::1 or localhost, e.g. a local emulator)."
        )
    path = parts.path.rstrip("/")
    path = path[:-3] if path.lower().endswith("/v2") else path
    if "/v2/" in f"{path.lower()}/" or parts.query or parts.fragment:
        raise AttioValidationError(
            f"The Attio connection's host must be the server only, like {DEFAULT_HOST} (the provider adds "
            f"/v2/... itself); got {host!r}."
        )
    netloc = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}{path}"


def error_from_response(response: requests.Response, method: str, path: str) -> AttioError:
    """Turn a non-2xx answer into the matching :class:`AttioError`, reading Attio's flat error body.

    Attio's error body is ``{status_code, type, code, message}``; a body of any other shape still gives
    an error carrying the raw status (:func:`airflow_provider_attio.protocol.error_from_answer`).
    """
    body = parse_body(response.content)
    return error_from_answer(response.status_code, body, response.headers.get("Retry-After"), method, path)


class AttioHook(BaseHook):
    """Talk to the Attio REST API (v2) through an Airflow connection of type ``attio``.

    The connection's password is the token (an Attio API key or OAuth access token); its host is
    optional and defaults to ``https://api.attio.com``. Plain ``http://`` is allowed only for loopback
    hosts (a local emulator). Extras tune timeouts and retries, see :class:`ConnectionSettings`.

    Every call retries by itself on 429 (sleeping until ``Retry-After``), 5xx, timeouts, dropped
    connections and 404 ``merge_in_progress``, with jittered exponential backoff, a per-wait cap and a
    total budget. 400, 401, 403 and a plain 404 are never retried.

    :param attio_conn_id: the Airflow connection id, ``attio_default`` by default.
    :param connection: an already fetched connection (triggers fetch it asynchronously); skips the lookup.
    """

    conn_name_attr = "attio_conn_id"
    default_conn_name = "attio_default"
    conn_type = "attio"
    hook_name = "Attio"

    def __init__(self, attio_conn_id: str = default_conn_name, *, connection: Any = None) -> None:
        super().__init__()
        self.attio_conn_id = attio_conn_id
        self._connection = connection
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()
        self._base_url: str | None = None
        self._settings: ConnectionSettings | None = None
        self._rate_limit_listeners: list[Callable[[RateLimited], None]] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(attio_conn_id={self.attio_conn_id!r})"

    # -- the connection form (Airflow 2.11 to 3.1; 3.2+ reads get_provider_info()) --------------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields of the ``attio`` connection form on Airflow before 3.2."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import IntegerField, StringField

        from airflow_provider_attio.get_provider_info import CONN_FIELDS

        # Airflow accepts only Integer/String/Password/Boolean fields: seconds (floats) are strings,
        # which ConnectionSettings parses and checks.
        return {
            name: (IntegerField if "integer" in spec["schema"]["type"] else StringField)(
                lazy_gettext(spec["label"]),
                widget=BS3TextFieldWidget(),
                description=spec["description"],
                default=spec["schema"]["default"],
            )
            for name, spec in CONN_FIELDS.items()
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Hide the fields Attio does not use and label the token field, on Airflow before 3.2."""
        from airflow_provider_attio.get_provider_info import UI_FIELD_BEHAVIOUR

        return {key.replace("-", "_"): value for key, value in UI_FIELD_BEHAVIOUR.items()}

    # -- connection, settings, session ------------------------------------------------------------------

    def _load(self) -> None:
        if self._base_url is not None:
            return
        conn = self._connection or self.get_connection(self.attio_conn_id)
        self._base_url, self._settings, token = connection_parts(conn, conn.extra_dejson or {})
        # The token goes into the session's headers and nowhere else on the hook.
        self._session = _new_session(token)

    @property
    def settings(self) -> ConnectionSettings:
        """The connection's options (timeouts, retries), read on first use."""
        self._load()
        assert self._settings is not None
        return self._settings

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``https://api.attio.com``."""
        self._load()
        assert self._base_url is not None
        return self._base_url

    def get_conn(self) -> requests.Session:
        """The hook's HTTP session: built once, then reused (keep-alive), with the token and User-Agent."""
        with self._session_lock:
            if self._session is None:
                self._base_url = None  # closed: read the connection (and its token) again
                self._load()
            assert self._session is not None
            return self._session

    def close(self) -> None:
        """Close the HTTP session (its pooled connections)."""
        with self._session_lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    # -- the one place requests are sent ---------------------------------------------------------------

    def _path(self, *segments: str) -> str:
        return api_path(*segments)

    def send(self, request: ApiRequest) -> Answer:
        """Send one request of :mod:`airflow_provider_attio.protocol` with the retry policy.

        :return: a 2xx answer, or a plain 404 ``not_found`` (which the calling procedure interprets).
        :raises AttioError: any other answer, once the retries are spent.
        """
        return self._call(request.method, request.path, json_body=request.json, accept_not_found=True)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        accept_not_found: bool = False,
        rate_limit_gate: RateLimitGate | None = None,
        resend_gate: ResendGate | None = None,
    ) -> Answer:
        """Send one logical call with the retry policy and return its answer, or raise an AttioError.

        :param accept_not_found: return a plain 404 ``not_found`` instead of raising, so the caller can
            tell a missing record from a missing object.
        :param rate_limit_gate: after a 429, call this instead of sleeping (see :data:`RateLimitGate`).
        :param resend_gate: before resending after any other failure, call this (see :data:`ResendGate`).
        """
        session = self.get_conn()
        settings = self.settings
        url = self.base_url + path
        state = _CallState()

        def attempt() -> Answer:
            if state.unpaced is not None and resend_gate is not None:
                failure, state.unpaced = state.unpaced, None
                if not resend_gate():
                    state.gave_up = True
                    raise failure
            state.attempts += 1
            try:
                response = session.request(
                    method,
                    url,
                    json=json_body,
                    timeout=(settings.connect_timeout, settings.timeout),
                    allow_redirects=False,
                )
            except requests.RequestException as err:
                state.unpaced = self._transport_error(err, method, path, state)
                raise state.unpaced from None
            if response.status_code < 300:
                return Answer(
                    response.status_code,
                    _json_body(response),
                    state.ambiguous,
                    response.headers.get("Content-Type", ""),
                )
            error = error_from_response(response, method, path)
            if accept_not_found and type(error) is AttioNotFoundError:
                return Answer(response.status_code, {}, state.ambiguous)
            if isinstance(error, AttioServerError):
                state.ambiguous = True
            if isinstance(error, AttioRateLimitError):
                wait = rate_limit_wait(settings, error.retry_after, state.attempts)
                self._announce(RateLimited(method, path, wait))
                if rate_limit_gate is not None and not rate_limit_gate(error.retry_after):
                    state.gave_up = True
            else:
                state.unpaced = error
            raise error

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(
                lambda error: isinstance(error, AttioTransientError) and not state.gave_up
            ),
            # stop_before_delay: never start a sleep that would end past the budget.
            stop=tenacity.stop_after_attempt(settings.max_retries + 1)
            | tenacity.stop_before_delay(settings.retry_budget),
            wait=_wait_for(settings, gated=rate_limit_gate is not None),
            before_sleep=self._log_retry,
            retry_error_callback=lambda retry_state: self._exhausted(retry_state, state),
            reraise=True,
        )
        return retrying(attempt)

    def _transport_error(
        self, err: requests.RequestException, method: str, path: str, state: _CallState
    ) -> AttioError:
        # A request that never reached Attio (refused, DNS, connect timeout) cannot have been applied;
        # any other failure (read timeout, connection dropped mid-call) may have been.
        never_sent = isinstance(err, requests.ConnectTimeout) or isinstance(
            getattr(err.args[0] if err.args else None, "reason", None), NewConnectionError
        )
        if not never_sent:
            state.ambiguous = True
        failure: TransportFailure = "other"
        if isinstance(err, requests.Timeout):
            failure = "connect_timeout" if never_sent else "read_timeout"
        elif isinstance(err, requests.ConnectionError):
            failure = "connect" if never_sent else "dropped"
        return transport_error(failure, type(err).__name__, method, path)

    def add_rate_limit_listener(self, listener: Callable[[RateLimited], None]) -> Callable[[], None]:
        """Call ``listener`` with a :class:`RateLimited` for every 429 this hook receives, from any thread.

        :param listener: a quick, thread-safe callable (the bulk engine counts the 429s it absorbs).
        :return: a function that removes the listener.
        """
        with self._session_lock:
            self._rate_limit_listeners.append(listener)

        def remove() -> None:
            with self._session_lock:
                self._rate_limit_listeners.remove(listener)

        return remove

    def _announce(self, signal: RateLimited) -> None:
        with self._session_lock:
            listeners = list(self._rate_limit_listeners)
        for listener in listeners:
            listener(signal)

    def _log_retry(self, retry_state: tenacity.RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        sleep = retry_state.next_action.sleep if retry_state.next_action else 0.0
        if isinstance(error, AttioRateLimitError) and sleep == 0:
            # A rate-limit gate waited already: the caller paces (and reports) its own 429s.
            self.log.debug(
                "Attio answered 429 (attempt %d); retrying at the caller's pace.", retry_state.attempt_number
            )
            return
        self.log.warning(
            "Attio call failed (attempt %d), retrying in %.2fs: %s", retry_state.attempt_number, sleep, error
        )

    def _exhausted(self, retry_state: tenacity.RetryCallState, state: _CallState) -> Any:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        assert isinstance(error, AttioError)
        elapsed = time.monotonic() - state.started
        message = f"{error.message} Gave up after {state.attempts} attempts over {elapsed:.1f}s."
        raise error.with_message(message) from None

    # -- Attio semantics ---------------------------------------------------------------------------------

    def object_exists(self, object: str) -> bool:
        """Whether the object (slug or UUID) exists in the workspace: ``GET /v2/objects/{object}``.

        Always asked, never remembered: it is asked after a 404, exactly when an object may have gone.

        :param object: the object's api slug (``people``) or UUID.
        """
        path = self._path("objects", validate_object(object))
        return self._call("GET", path, accept_not_found=True).status != 404

    def _raise_if_object_missing(self, object: str, error_path: str, method: str) -> None:
        if not self.object_exists(object):
            raise AttioObjectNotFoundError(
                f"The Attio object {object!r} does not exist in this workspace (check the slug or UUID).",
                status=404,
                error_type="invalid_request_error",
                code="not_found",
                method=method,
                path=error_path,
            )

    def get_record(self, object: str, record_id: str) -> dict[str, Any]:
        """Return a record (``GET /v2/objects/{object}/records/{record_id}``'s ``data``).

        :param object: the object's api slug or UUID.
        :param record_id: the record's UUID.
        :raises AttioNotFoundError: the record does not exist.
        :raises AttioObjectNotFoundError: the object does not exist.
        """
        object_ref, record_id = validate_object(object), validate_record_id(record_id)
        path = self._path("objects", object_ref, "records", record_id)
        answer = self._call("GET", path, accept_not_found=True)
        if answer.status == 404:
            self._raise_if_object_missing(object_ref, path, "GET")
            raise AttioNotFoundError(
                f"Record {record_id} does not exist in object {object_ref!r}.",
                status=404,
                error_type="invalid_request_error",
                code="not_found",
                method="GET",
                path=path,
            )
        data: dict[str, Any] = answer.data(dict, "GET", path)
        return data

    def delete_record(
        self,
        object: str,
        record_id: str,
        *,
        rate_limit_gate: RateLimitGate | None = None,
        resend_gate: ResendGate | None = None,
    ) -> DeleteOutcome:
        """Delete a record (permanently): ``DELETE /v2/objects/{object}/records/{record_id}``.

        Returns facts and leaves policy to the caller: ``"deleted"``, or ``"not_found"`` when the object
        exists and the record does not. When an earlier attempt of this call ended ambiguously (timeout,
        dropped connection, 5xx) and the retry gets 404, that attempt deleted it: the result is
        ``"deleted"``.

        :param object: the object's api slug or UUID.
        :param record_id: the record's UUID.
        :param rate_limit_gate: for callers that pace their own writes (the bulk engine): after a 429,
            the hook calls it instead of sleeping, then retries (see :data:`RateLimitGate`). Without it
            the hook waits for ``Retry-After`` itself, with the backoff as the floor.
        :param resend_gate: for the same callers: after the backoff that follows any other failure (a
            5xx, a timeout), the hook calls it before sending again (see :data:`ResendGate`).
        :raises AttioObjectNotFoundError: the object does not exist.
        """
        object_ref, record_id = validate_object(object), validate_record_id(record_id)
        path = self._path("objects", object_ref, "records", record_id)
        answer = self._call(
            "DELETE", path, accept_not_found=True, rate_limit_gate=rate_limit_gate, resend_gate=resend_gate
        )
        if answer.status != 404:
            return "deleted"
        self._raise_if_object_missing(object_ref, path, "DELETE")
        if answer.ambiguous_earlier:
            self.log.info("Record %s was deleted by an earlier attempt whose answer was lost.", record_id)
            return "deleted"
        return "not_found"

    def iter_records(
        self,
        object: str,
        filter: Mapping[str, Any] | None = None,
        sorts: Sequence[Mapping[str, Any]] | None = None,
        page_size: int = 500,
    ) -> Iterator[dict[str, Any]]:
        """Yield the records of an object matching ``filter``, paging until a short page.

        Attio's query has no total and no cursor: a page shorter than ``page_size`` is the last. Pages are
        read by offset, so don't delete while iterating: collect the ids first.

        :param object: the object's api slug or UUID.
        :param filter: an Attio query filter, e.g. ``{"email_addresses": "ada@example.com"}``; ``None``
            matches every record.
        :param sorts: Attio sorts, e.g. ``[{"attribute": "name", "direction": "asc"}]``.
        :param page_size: records per request (Attio's ``limit``).
        """
        object_ref = validate_object(object)
        validate_filter(filter)
        if sorts is not None and not (
            isinstance(sorts, Sequence) and all(isinstance(s, Mapping) for s in sorts)
        ):
            raise AttioValidationError(f"sorts must be a list of Attio sort objects; got {shorten(sorts)}.")
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise AttioValidationError(f"page_size must be a positive integer; got {shorten(page_size)}.")
        path = self._path("objects", object_ref, "records", "query")
        offset = 0
        while True:
            body: dict[str, Any] = {"limit": page_size, "offset": offset}
            if filter is not None:
                body["filter"] = filter
            if sorts is not None:
                body["sorts"] = list(sorts)
            answer = self._call("POST", path, json_body=body, accept_not_found=True)
            if answer.status == 404:
                raise AttioObjectNotFoundError(
                    f"The Attio object {object_ref!r} does not exist in this workspace "
                    "(check the slug or UUID).",
                    status=404,
                    code="not_found",
                    method="POST",
                    path=path,
                )
            page = answer.data(list, "POST", path)
            yield from page
            if len(page) < page_size:
                return
            offset += page_size

    def delete_records(
        self,
        object: str,
        *,
        record_ids: Iterable[str] | str | None = None,
        filter: Mapping[str, Any] | str | None = None,
        archive_to: Any = None,
        options: BulkDeleteOptions | None = None,
        is_retry: bool = False,
        log: Any = None,
        match_attribute: str | None = None,
        match_values: Iterable[Any] | str | None = None,
        keep_attribute: str | None = None,
        keep_values: Iterable[Any] | str | None = None,
        **option_values: Any,
    ) -> BulkDeleteSummary:
        """Delete many records at Attio's pace: the bulk engine behind ``AttioDeleteRecordsOperator``.

        Give exactly one kind of target: ``record_ids``; a ``filter``; ``match_attribute`` with
        ``match_values`` (delete by key); or ``keep_attribute`` with ``keep_values`` and a ``filter`` (a
        mirror: delete every record in scope whose key is not kept). The whole target set is resolved
        before the first DELETE. Returns the operator's small summary (counts, never ids), so a
        ``@task`` can use the engine directly.

        :param object: the object's api slug or UUID.
        :param record_ids: record UUIDs (or records as Attio returns them).
        :param filter: delete every record matching this Attio query filter.
        :param archive_to: archive each record here before its DELETE (a path or object storage URI).
        :param options: a :class:`~airflow_provider_attio.options.BulkDeleteOptions`, or instead:
        :param option_values: its options by name (``max_records=5_000, dry_run=True``...).
        :param is_retry: this run retries an earlier try of the same task.
        :param log: the logger for progress; the hook's by default.
        :param match_attribute: delete by key: the attribute (``email_addresses``, ``record_id``...).
        :param match_values: delete by key: the keys.
        :param keep_attribute: mirror: the attribute of the kept keys.
        :param keep_values: mirror: the keys to keep, the source of truth.
        """
        job = check_job(
            object,
            record_ids=record_ids,
            filter=filter,
            archive_to=archive_to,
            options=BulkDeleteOptions.of(options, **option_values),
            is_retry=is_retry,
            match_attribute=match_attribute,
            match_values=match_values,
            keep_attribute=keep_attribute,
            keep_values=keep_values,
        )
        return bulk.delete_records(self, job, log)

    def test_connection(self) -> tuple[bool, str]:
        """Check the token with one ``GET /v2/self`` and short timeouts, answering within about 10 s.

        Says what failed: the host's name, a refused connection, TLS, a timeout, a rejected or inactive
        token, or missing scopes. No retries: a person (or the UI) is waiting for the answer.
        """
        try:
            session, settings = self.get_conn(), self.settings
            response = session.get(
                self.base_url + "/v2/self",
                timeout=(min(settings.connect_timeout, TEST_TIMEOUT), min(settings.timeout, TEST_TIMEOUT)),
                allow_redirects=False,
            )
        except AttioError as err:
            return False, str(err)
        except requests.RequestException as err:
            return False, describe_transport_failure(err, self.base_url)
        if response.status_code >= 300:
            return False, str(error_from_response(response, "GET", "/v2/self"))
        body = _json_body(response)
        if not isinstance(body, dict):
            return False, (
                f"{self.base_url} answered, but not as Attio does (not JSON): is the host Attio's API "
                f"({DEFAULT_HOST})?"
            )
        return self._judge_self(body)

    @staticmethod
    def _judge_self(body: Mapping[str, Any]) -> tuple[bool, str]:
        if not body.get("active"):
            return (
                False,
                "The token is inactive (revoked, expired or invalid): Attio's /v2/self says active=false.",
            )
        workspace = body.get("workspace_name") or body.get("workspace_slug") or body.get("workspace_id")
        missing = missing_scopes(str(body.get("scope") or ""))
        if missing:
            return False, (
                f"Connected to Attio workspace {workspace!r}, but the token lacks the scopes "
                f"{', '.join(missing)} that the provider needs."
            )
        return (
            True,
            f"Connected to Attio workspace {workspace!r}; the token has the scopes the provider needs.",
        )


def _causes(err: BaseException) -> Iterator[BaseException]:
    """``err`` and what lies under it: ``__cause__``/``__context__`` and urllib3's ``reason``."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        todo += [current.__cause__, current.__context__]
        todo += [reason] if isinstance(reason, BaseException) else []
        todo += [arg for arg in current.args if isinstance(arg, BaseException)]


def describe_transport_failure(err: requests.RequestException, base_url: str) -> str:
    """One sentence on why a request to ``base_url`` got no answer: DNS, refused, TLS or a timeout.

    :param err: what ``requests`` raised.
    :param base_url: the API's base URL, named in the sentence (it never holds the token).
    """
    host = urlsplit(base_url).netloc
    causes = list(_causes(err))
    if any(isinstance(c, socket.gaierror) or type(c).__name__ == "NameResolutionError" for c in causes):
        return f"Could not resolve the host name {host!r}: check the connection's host (DNS)."
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"{host} refused the connection: nothing listens there (check the host and port)."
    if isinstance(err, requests.exceptions.SSLError):
        return f"The TLS handshake with {host} failed: does it serve https:// with a valid certificate?"
    if isinstance(err, requests.ConnectTimeout):
        return f"Could not connect to {host} in time (unreachable host, firewall or proxy?)."
    if isinstance(err, requests.Timeout):
        return f"{host} accepted the connection but did not answer in time."
    return f"Could not reach {host}: {type(err).__name__}."


def _new_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT, "Accept": "application/json"}
    )
    # Retries are the hook's (they read Attio's answers); urllib3 must not retry underneath.
    # The pool is sized for the bulk engine's concurrent writers.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def missing_scopes(granted: str) -> list[str]:
    """The scopes of :data:`REQUIRED_SCOPES` that a space-separated ``scope`` string lacks."""
    have = set(granted.split())
    return [scope for scope in REQUIRED_SCOPES if scope not in have]


def _wait_for(settings: ConnectionSettings, gated: bool = False) -> Any:
    """Sleep as :func:`airflow_provider_attio.protocol.retry_wait` says (the async client's policy too);
    not at all after a 429 when a rate-limit gate already waited."""

    def wait(retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if gated and isinstance(error, AttioRateLimitError):
            return 0.0
        return retry_wait(settings, error, retry_state.attempt_number)

    return wait

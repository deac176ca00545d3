"""``AttioEmulator``: a local Attio API on loopback, for tests, demos and benchmarks."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import uvicorn

from airflow_provider_attio.testing.app import EmulatorApp
from airflow_provider_attio.testing.clock import SYSTEM_CLOCK, Clock
from airflow_provider_attio.testing.faults import SIGN_IN_PAGE, FaultPlan, Page
from airflow_provider_attio.testing.ratelimits import RateLimiter, check_rate_limits
from airflow_provider_attio.testing.requestlog import RequestLog, RequestLogEntry
from airflow_provider_attio.testing.seed import FakeData
from airflow_provider_attio.testing.state import Workspace

# What records created by the Python helpers (not through the API) say created them.
_SYSTEM_ACTOR: dict[str, Any] = {"type": "system", "id": None}


def _decoded(encoded: bytes) -> dict[str, Any]:
    """Return a fresh copy of a stored record's JSON, which the caller may change at will."""
    data: dict[str, Any] = json.loads(encoded)
    return data


def _http_protocol_class() -> type[asyncio.Protocol]:
    """Return uvicorn's fastest available HTTP/1.1 protocol class (httptools, else h11)."""
    try:
        # Importing it fails when httptools isn't installed.
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol


def _tracking_protocol(base: type[Any], transports: dict[tuple[str, int], asyncio.Transport]) -> type[Any]:
    """Subclass uvicorn's protocol to record each connection's transport by peer address, and to send
    each write at once.

    ASGI gives an app no handle on its connection; this lets the app abort one (``drop_after_apply``).
    """

    class TrackingProtocol(base):
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # h11 writes a response's head and body separately: without TCP_NODELAY (plain asyncio
                # doesn't always set it) Nagle holds the body for the client's delayed ACK, 40 ms a call.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.client:
                transports[(self.client[0], self.client[1])] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client and transports.get((self.client[0], self.client[1])) is self.transport:
                del transports[(self.client[0], self.client[1])]
            super().connection_lost(exc)

    return TrackingProtocol


class AttioEmulator:
    """A faithful local Attio API: real HTTP on loopback, in a background thread.

    It serves ``GET /v2/self``, ``GET /v2/objects/{object}``, its attributes (and a select's options or a
    status attribute's statuses), ``POST /v2/objects/{object}/records``,
    ``POST /v2/objects/{object}/records/query``, ``GET``, ``PUT`` and ``DELETE
    /v2/objects/{object}/records/{record_id}``, a record's list entries (``GET
    /v2/objects/{object}/records/{record_id}/entries``) and ``DELETE /v2/lists/{list}/entries/{entry_id}``
    with Attio's status codes and bodies; checks bearer tokens and scopes; enforces read and write
    rate limits with 429 and an HTTP-date ``Retry-After``; injects faults on demand; and logs every
    request. The objects ``people``, ``companies`` and ``deals`` exist from the start.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with AttioEmulator(seed={"people": 10}) as emu:
            os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = emu.connection_uri()
            ...

    State (records, tokens, faults, the log) lives in the object, not the server: the helpers work
    before :meth:`start` and after :meth:`stop`. Every method is thread-safe.

    :param token: the default bearer token.
    :param scopes: the default token's scopes; None grants every scope.
    :param reads_per_second: the read budget (GET, and record queries); None for no limit. Attio's is 100.
    :param writes_per_second: the write budget (create, delete); None for no limit. Attio's is 25.
    :param seed: how many realistic records to create per object, e.g. ``{"people": 100, "companies": 20}``.
    :param host: the address to listen on; keep it on loopback.
    :param port: the port to listen on; 0 picks a free one.
    :param workspace_name: the workspace name that ``GET /v2/self`` reports.
    :param max_log_entries: how many requests the log keeps (the latest); None keeps all.
    :param request_log_file: also write every request to this file, one JSON line each (``method``,
        ``path``, ``status``, ``time``, ``body``), for another process to read: emptied here, then appended
        to for as long as the emulator lives (:meth:`reset` doesn't empty it).
    :param rate_limit_model: how the budgets count: ``"token_bucket"`` (a burst of a second's budget, then
        a steady pace), ``"fixed_window"`` (per wall-clock second), ``"sliding_window"`` (per any
        one-second span) or ``"sliding_log"`` (the same, counting refused requests too); the window
        models take whole numbers of requests per second.
    :param clock: where the rate limits and ``Retry-After`` dates read the time, e.g. a
        :class:`~airflow_provider_attio.testing.FakeClock`; the real clocks by default.
    """

    def __init__(
        self,
        token: str = "test-token",  # noqa: S107 - a test token, not a secret
        scopes: Iterable[str] | None = None,
        reads_per_second: float | None = None,
        writes_per_second: float | None = None,
        seed: Mapping[str, int] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        workspace_name: str = "Emulated Workspace",
        max_log_entries: int | None = None,
        rate_limit_model: str = "token_bucket",
        clock: Clock | None = None,
        request_log_file: str | os.PathLike[str] | None = None,
    ) -> None:
        check_rate_limits(reads_per_second, writes_per_second, rate_limit_model)
        self.token = token
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._scopes = None if scopes is None else list(scopes)
        self._rates = (reads_per_second, writes_per_second)
        self._rate_limit_model = rate_limit_model
        self._clock = clock or SYSTEM_CLOCK
        self._seed_counts = dict(seed or {})
        self._workspace_name = workspace_name
        self._max_log_entries = max_log_entries
        self._request_log_file = request_log_file
        if request_log_file is not None:
            open(request_log_file, "w").close()  # a fresh log for a fresh emulator
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._app = EmulatorApp(*self._fresh_state(), clock=self._clock)
        self._seed_defaults()

    def _fresh_state(self) -> tuple[Workspace, FaultPlan, RateLimiter, RequestLog]:
        workspace = Workspace(self._workspace_name)
        workspace.add_token(self.token, self._scopes, active=True)
        self._fake = FakeData(random_seed=0)
        limits = RateLimiter(*self._rates, model=self._rate_limit_model, clock=self._clock)
        return workspace, FaultPlan(), limits, RequestLog(self._max_log_entries, self._request_log_file)

    def _seed_defaults(self) -> None:
        for object_slug, count in self._seed_counts.items():
            self.seed(object_slug, count)

    @property
    def in_flight(self) -> int:
        """How many requests the emulator is serving now (arrived, not yet answered): e.g. one held by
        :meth:`set_latency`, so a test can wait until a slow call has reached the server."""
        return self._app.in_flight

    def reset(self) -> None:
        """Return to the state right after construction, keeping the server running.

        Records, custom objects, lists, added tokens, faults, rate-limit changes and the log are
        forgotten; the constructor's token, limits, rate-limit model and seed apply again (the same
        seeded records). The clock stays: a fake one is not set back.
        Meant for between tests, when one emulator serves a whole session: requests still being served
        (held by a latency fault, say) are finished first, so none lands in the fresh state.

        :raises RuntimeError: requests were still being served 30 seconds later.
        """
        # The running server keeps its app; only the state the app serves is replaced.
        app = self._app
        if not app.wait_idle(timeout=30):
            raise RuntimeError("the emulator was still serving requests 30 s later: cannot reset it")
        app.workspace, app.faults, app.limits, app.requests = self._fresh_state()
        self._seed_defaults()

    # -- server ---------------------------------------------------------------------------------------

    def start(self) -> AttioEmulator:
        """Start serving in a background thread and return once the server accepts connections.

        :return: the emulator itself.
        :raises RuntimeError: when already running, or the server fails to start.
        """
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            # Bind here rather than in uvicorn, so the port (even a picked one) is known at once.
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            raise
        config = uvicorn.Config(
            self._app,
            http=_tracking_protocol(_http_protocol_class(), self._app.transports),
            lifespan="off",
            log_config=None,  # leave the host process's logging alone; uvicorn's errors go to the root logger
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="attio-emulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError("the Attio emulator's server failed to start")
            time.sleep(0.005)
        self._port = sock.getsockname()[1]
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread. Does nothing when not running."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._server = self._thread = None

    def __enter__(self) -> AttioEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on.

        :raises RuntimeError: before the first :meth:`start`.
        """
        if self._port is None:
            raise RuntimeError("the emulator has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        """The server's URL, e.g. ``http://127.0.0.1:54321``, to use as the connection's host."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def connection_uri(self) -> str:
        """Return the value for ``AIRFLOW_CONN_ATTIO_DEFAULT`` (Airflow's JSON connection format)."""
        return json.dumps({"conn_type": "attio", "host": self.base_url, "password": self.token})

    # -- tokens -----------------------------------------------------------------------------------------

    def add_token(self, token: str, scopes: Iterable[str] | None = None, active: bool = True) -> None:
        """Add (or replace) a bearer token.

        :param token: the token string.
        :param scopes: its scopes, e.g. ``["record_permission:read"]``; None grants every scope.
            As on Attio, ``x:read-write`` also grants ``x:read``.
        :param active: False makes an inactive token (like :meth:`revoke_token`).
        """
        self._app.workspace.add_token(token, scopes, active)

    def revoke_token(self, token: str) -> None:
        """Revoke a token: ``GET /v2/self`` then answers ``{"active": false}``, any other call 401.

        :param token: a token the emulator knows.
        :raises ValueError: for an unknown token.
        """
        self._app.workspace.revoke_token(token)

    # -- objects, records and lists -------------------------------------------------------------------

    def delete_object(self, object: str) -> None:
        """Remove an object and its records, as an admin deleting it in Attio: later calls answer 404.

        :param object: the object's api slug or UUID.
        """
        self._app.workspace.delete_object(object)

    def add_object(
        self, api_slug: str, singular_noun: str | None = None, plural_noun: str | None = None
    ) -> dict[str, Any]:
        """Create a custom object, with a text attribute ``name``.

        :param api_slug: its snake_case api slug.
        :param singular_noun: e.g. "Invoice"; derived from the slug when omitted.
        :param plural_noun: e.g. "Invoices"; the singular plus "s" (unless it ends in "s") when omitted.
        :return: the object as ``GET /v2/objects/{object}`` returns it under ``data``.
        """
        return self._app.workspace.add_object(api_slug, singular_noun, plural_noun)

    def add_attribute(
        self,
        object: str,
        api_slug: str,
        type: str = "text",
        multiselect: bool = False,
        *,
        unique: bool | None = None,
        writable: bool | None = None,
        system: bool = False,
        options: Iterable[str] = (),
        target_object: str | Iterable[str] | None = None,
    ) -> None:
        """Add an attribute to an object.

        :param object: the object's api slug or UUID.
        :param api_slug: the attribute's snake_case slug.
        :param type: one of ``text``, ``number``, ``checkbox``, ``currency``, ``date``, ``timestamp``,
            ``rating``, ``select``, ``status``, ``record-reference``, ``location``, ``phone-number``,
            ``personal-name``, ``email-address``, ``domain``, ``actor-reference``, ``interaction``.
        :param multiselect: whether it holds several values.
        :param unique: refuse a second record with one of its values (400 ``uniqueness_conflict``);
            ``None``: Attio's default (email addresses and domains are unique).
        :param writable: whether the API may write it; ``None``: all but actor references and interactions.
        :param system: reported as one of Attio's own attributes (``is_system_attribute``).
        :param options: a select's option titles, or a status attribute's status titles.
        :param target_object: a record reference's allowed object (or objects); any when omitted.
        """
        targets = [target_object] if isinstance(target_object, str) else list(target_object or ())
        self._app.workspace.add_attribute(
            object,
            api_slug,
            type,
            multiselect,
            unique=unique,
            writable=writable,
            system=system,
            options=options,
            target_objects=targets,
        )

    def archive_attribute(self, object: str, api_slug: str) -> None:
        """Archive an attribute, as in Attio's settings: it leaves the attribute list, writes are refused.

        :param object: the object's api slug or UUID.
        :param api_slug: the attribute's slug.
        """
        self._app.workspace.archive_attribute(object, api_slug)

    def archive_option(self, object: str, api_slug: str, title: str) -> None:
        """Archive a select option or a status: records keep it, but new writes can't choose it.

        :param object: the object's api slug or UUID.
        :param api_slug: the select or status attribute's slug.
        :param title: the option's title.
        """
        self._app.workspace.archive_option(object, api_slug, title)

    def create_record(self, object: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record directly (no HTTP, no rate limit, not logged).

        Values take Attio's write forms (``{"email_addresses": [{"email_address": "a@b.co"}]}``) or
        simple ones (``{"name": "Ada Lovelace", "employee_count": 5}``). Unlike the API, an attribute
        the object lacks is added, typed from the value, so tests can shape records freely.

        :param object: the object's api slug or UUID.
        :param values: the record's values, by attribute slug.
        :return: the record's JSON, as ``GET`` returns it under ``data``.
        :raises ValueError: for a missing object or a value Attio would refuse.
        """
        record = self._app.workspace.create_record(object, values, _SYSTEM_ACTOR, add_missing_attributes=True)
        return _decoded(record.encoded)

    def seed(self, object: str, count: int) -> list[dict[str, Any]]:
        """Create ``count`` realistic records (names, emails, domains...), the same ones on every run.

        :param object: the object's api slug or UUID.
        :param count: how many records to create.
        :return: the records' JSON.
        """
        body = self._app.workspace.get_object(object)
        attributes = self._app.workspace.attributes(object)
        return [
            self.create_record(object, self._fake.values_for(body["api_slug"], attributes))
            for _ in range(count)
        ]

    def record_ids(self, object: str) -> list[str]:
        """Return the ids of the object's records that exist now, in creation order.

        :param object: the object's api slug or UUID.
        """
        return self._app.workspace.record_ids(object)

    def get_record(self, object: str, record_id: str) -> dict[str, Any] | None:
        """Return a record's JSON, or None when it doesn't exist (merging records are returned).

        :param object: the object's api slug or UUID.
        :param record_id: the record's UUID.
        :raises ValueError: for a missing object.
        """
        record = self._app.workspace.peek_record(object, record_id)
        return _decoded(record.encoded) if record is not None else None

    def set_merging(self, object: str, record_id: str, merging: bool = True) -> None:
        """Mark a record as being merged: ``GET`` and ``DELETE`` on it answer 404 ``merge_in_progress``.

        :param object: the object's api slug or UUID.
        :param record_id: an existing record's UUID.
        :param merging: False clears the mark.
        """
        self._app.workspace.set_merging(object, record_id, merging)

    def add_list(
        self, api_slug: str, parent_object: str = "people", name: str | None = None
    ) -> dict[str, Any]:
        """Create a list whose entries are records of ``parent_object``.

        :param api_slug: the list's snake_case api slug.
        :param parent_object: the api slug or UUID of the object its entries point at.
        :param name: its display name; derived from the slug when omitted.
        :return: the list's JSON (``id.list_id``, ``api_slug``, ``name``, ``parent_object``...).
        """
        return self._app.workspace.add_list(api_slug, name, parent_object)

    def add_list_entry(self, list: str, record_id: str) -> dict[str, Any]:
        """Put a record on a list.

        :param list: the list's api slug or UUID.
        :param record_id: a record of the list's parent object.
        :return: the entry's JSON (``id.entry_id``, ``parent_record_id``...).
        """
        return copy.deepcopy(self._app.workspace.add_list_entry(list, record_id))

    def list_entry_ids(self, list: str) -> list[str]:
        """Return the ids of a list's entries, in creation order.

        :param list: the list's api slug or UUID.
        """
        return self._app.workspace.list_entry_ids(list)

    def add_note(self, parent_object: str, parent_record_id: str, title: str = "A note") -> dict[str, Any]:
        """Create a note on a record (no HTTP, not logged) and return it (``id.note_id``...).

        :param parent_object: the record's object (api slug or UUID).
        :param parent_record_id: the record the note is on.
        :param title: the note's title.
        """
        return self._app.workspace.activities.add_note(parent_object, parent_record_id, title)

    def add_task(self, linked: list[tuple[str, str]], content: str = "A task") -> dict[str, Any]:
        """Create a task linked to records (no HTTP, not logged) and return it (``id.task_id``...).

        :param linked: ``(object, record_id)`` pairs, the records it is linked to.
        :param content: the task's text.
        """
        return self._app.workspace.activities.add_task(content, linked)

    def note_ids(self) -> list[str]:
        """The ids of every note, in creation order."""
        return self._app.workspace.activities.ids("note")

    def task_ids(self) -> list[str]:
        """The ids of every task, in creation order."""
        return self._app.workspace.activities.ids("task")

    # -- limits and faults ------------------------------------------------------------------------------

    def set_rate_limits(
        self, reads_per_second: float | None, writes_per_second: float | None, model: str | None = None
    ) -> None:
        """Replace the read and write budgets (None: no limit); both start full.

        :param reads_per_second: requests per second for reads (GET, record queries).
        :param writes_per_second: requests per second for writes (create, delete).
        :param model: the rate-limit model, as in the constructor; None keeps the current one.
        :raises ValueError: for a rate that isn't positive, an unknown model, or a window model with
            a fractional rate.
        """
        self._app.limits.set(reads_per_second, writes_per_second, model)

    @property
    def rate_limit_model(self) -> str:
        """The rate-limit model in force: one of :data:`~airflow_provider_attio.testing.RATE_LIMIT_MODELS`."""
        return self._app.limits.model

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        method: str | None = None,
        path: str | None = None,
        code: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Make the next ``count`` matching calls answer ``status`` with Attio's error body.

        Faulted calls change no state and use no rate-limit budget.

        :param count: how many calls fail.
        :param status: e.g. 500, 503, 429; the body's ``type``/``code`` follow Attio (429:
            ``rate_limit_error``/``rate_limit_exceeded``; 5xx: ``api_error``/``internal_server_error``...).
        :param method: "GET", "POST", "DELETE"; None matches any.
        :param path: a glob on the URL path (``fnmatch``; ``*`` also matches ``/``), e.g.
            ``"/v2/objects/*/records/*"``; None matches any.
        :param code: the body's ``code`` instead of the status's default.
        :param retry_after: the exact ``Retry-After`` header (e.g. ``"1"``); a 429 otherwise gets the
            HTTP date of the next second, like Attio's.
        """
        self._app.faults.fail_next(count, status, method, path, code, retry_after)

    def fail_share(
        self,
        share: float,
        status: int,
        *,
        method: str | None = None,
        path: str | None = None,
        code: str | None = None,
        seed: int | None = None,
    ) -> None:
        """Make a random share of matching calls answer ``status`` until cleared.

        :param share: from 0 to 1; 0 removes the share rule with this method and path.
        :param status: the status of the failed calls.
        :param method: as in :meth:`fail_next`.
        :param path: as in :meth:`fail_next`.
        :param code: as in :meth:`fail_next`.
        :param seed: seed of the random draws, for a repeatable sequence.
        """
        self._app.faults.fail_share(share, status, method, path, code, seed)

    def set_latency(
        self, seconds: float, *, method: str | None = None, path: str | None = None, count: int | None = None
    ) -> None:
        """Delay answers to matching calls; other calls are still served meanwhile.

        :param seconds: the added delay; 0 (with no ``count``) removes the latency for this method and path.
        :param method: as in :meth:`fail_next`.
        :param path: as in :meth:`fail_next`.
        :param count: delay only the next ``count`` matching calls; None delays all until cleared.
        """
        self._app.faults.set_latency(seconds, method, path, count)

    def drop_after_apply(self, count: int = 1, *, method: str = "DELETE", path: str | None = None) -> None:
        """Apply the next ``count`` matching successful calls, then close the connection unanswered.

        The record is really deleted (or created), but the client sees a connection error: the
        ambiguous outcome a retrying client must handle. The log shows these calls with status None.

        :param count: how many calls to drop.
        :param method: the method to match; "DELETE" by default.
        :param path: as in :meth:`fail_next`.
        """
        self._app.faults.drop_after_apply(count, method, path)

    def answer_html(
        self,
        count: int | None = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        applied: bool = False,
        status: int = 200,
        body: str | None = None,
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        """Answer the next ``count`` matching calls with a page that is not Attio's (an HTML sign-in page
        by default) instead of Attio's answer.

        This plays a host that isn't Attio: a proxy's or captive portal's sign-in page, a base URL that
        points elsewhere; ``emu.answer_html(None)`` plays one for every call. With ``applied=False`` the
        call changes nothing (a proxy answered in Attio's place): the page comes before every other
        fault, the token check and the rate limits, and uses no budget. With ``applied=True`` the call
        is applied first and its real answer replaced (a proxy that forwarded it and rewrote the answer):
        it is served as Attio would serve it, then whatever Attio answered is replaced, an error too (the
        call then unapplied); a connection that :meth:`drop_after_apply` cuts has no answer to replace.
        The log shows these calls with the status sent.

        :param count: how many calls; None answers every matching call until :meth:`clear_faults`.
        :param method: as in :meth:`fail_next`.
        :param path: as in :meth:`fail_next`.
        :param applied: whether the call reaches the emulated Attio first.
        :param status: the status sent, from 200 to 599 (not 204 or 304: the page is a body).
        :param body: the page, sent as UTF-8; a small HTML sign-in page (with a form) by default.
        :param content_type: the ``Content-Type`` header, sent as given.
        :raises ValueError: for a count below 1, or a status that can't carry the page.
        """
        page = Page(status, (SIGN_IN_PAGE if body is None else body).encode(), content_type)
        self._app.faults.answer_page(count, method, path, applied, page)

    def set_entry_parent_filter(self, behaviour: str) -> None:
        """Play how a real Attio might meet the entries query's filter by parent record (``{"path":
        [[list, "parent_record"], [object, "record_id"]], "constraints": {"$in": [...]}}``), which Attio's
        documents don't show: ``"applied"`` (the default), ``"refused"`` (a 400 ``filter_error``, as a
        filter Attio can't evaluate gets) or ``"ignored"`` (a 200 with every entry of the list). Other
        filters and no filter are served as before. :meth:`clear_faults` goes back to ``"applied"``.

        :param behaviour: ``"applied"``, ``"refused"`` or ``"ignored"``.
        :raises ValueError: for another behaviour.
        """
        self._app.faults.set_entry_parent_filter(behaviour)

    def clear_faults(self) -> None:
        """Remove every injected failure, latency, drop and page, and apply the entries query's filter by
        parent record again (rate limits stay)."""
        self._app.faults.clear()

    # -- the request log ------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestLogEntry]:
        """A snapshot of the request log, oldest first (including 401s, 429s, faults and drops)."""
        return self._app.requests.entries()

    def clear_log(self) -> None:
        """Empty the request log."""
        self._app.requests.clear()

    def count(self, method: str | None = None, path: str | None = None, status: int | None = None) -> int:
        """Count the logged requests that match.

        :param method: e.g. "DELETE"; None matches any.
        :param path: a glob on the URL path, as in :meth:`fail_next`; None matches any.
        :param status: e.g. 429; None matches any.
        """
        return sum(1 for entry in self._app.requests.entries() if entry.matches(method, path, status))

    def status_counts(self) -> Counter[int | None]:
        """Return how many requests got each status (None: dropped), even beyond ``max_log_entries``."""
        return self._app.requests.statuses()

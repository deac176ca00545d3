"""The HTTP face of the emulator: a Starlette app with Attio's routes, auth, rate limits and faults.

Starlette matches Attio's path templates, reads requests and renders answers. One pipeline serves every
request, routed or not (Starlette's 404 and 405 come back through it, in Attio's format), in this order:

latency → page? → injected failure → route → token (401) → scopes (403) → rate limit (429) → handler
→ drop? → page?

so that a faulted, unauthorized or rate-limited call changes no state, as on Attio. Starlette matches
the route before the pipeline starts, but matching has no effect: only its outcome is used in turn, so a
faulted call to an unknown path still gets its fault. A page (``answer_html``) is an answer that isn't
Attio's, from a host in front of it: one that answers in Attio's place (the first ``page?``: nothing is
served, not even a faulted answer), or one that forwards the call and replaces whatever Attio answered
(the last; a dropped connection leaves no answer to replace). Dropping a connection after applying a
call needs the transport underneath, which ASGI doesn't give: the server's protocol class records it
(emulator.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from airflow_provider_attio.testing.clock import SYSTEM_CLOCK, Clock
from airflow_provider_attio.testing.errors import ApiError, fault_error, rate_limited, validation_error
from airflow_provider_attio.testing.faults import FaultPlan, Page, http_date, retry_after_date
from airflow_provider_attio.testing.ratelimits import RateLimiter
from airflow_provider_attio.testing.requestlog import RequestLog
from airflow_provider_attio.testing.state import Token, Workspace

Handler = Callable[[dict[str, str], Any, Token], Any]

_INVALID_JSON = object()  # a body was sent but it isn't JSON


@dataclass(frozen=True)
class _Endpoint:
    method: str
    path: str  # Attio's path template, e.g. "/v2/objects/{object}"
    scopes: tuple[str, ...]
    kind: str  # which rate limit applies: "read" or "write"
    action: str  # for the 403 message: "You do not have the necessary permissions to <action>."
    handler: Handler


class _JSON(JSONResponse):
    media_type = "application/json; charset=utf-8"  # Starlette names the charset of text/* types only

    def render(self, content: Any) -> bytes:
        # Records come encoded already (see StoredRecord): bytes are sent as they are.
        return content if isinstance(content, bytes) else super().render(content)


class _Drop(Response):
    """Not an answer: the connection is cut without a byte, though the call was applied."""

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self.transport = transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.transport.abort()
        # Wait until the server has seen the connection go, or it would answer 500 on our behalf.
        await asyncio.wait_for(receive(), timeout=5)


def _page(page: Page) -> Response:
    return Response(page.body, page.status, {"content-type": page.content_type})


def _error(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    return _JSON(error.body(), error.status, headers)


def _unauthorized(message: str) -> ApiError:
    # Attio doesn't document its 401 body; this is its 403's flat shape with status 401.
    return ApiError(401, "auth_error", "unauthorized", message)


def _routing_error(request: Request, status: int) -> ApiError:
    """Build Attio's answer to an unknown path (404) or a known path with the wrong method (405)."""
    method, path = request.method, request.scope["path"]
    if status == 405:
        return ApiError(
            405, "invalid_request_error", "method_not_allowed", f"{method} is not allowed on {path}."
        )
    return ApiError(404, "invalid_request_error", "not_found", f"No route for {method} {path}.")


class EmulatorApp(Starlette):
    """The Starlette app serving one :class:`~airflow_provider_attio.testing.state.Workspace`.

    :param workspace: the state to serve.
    :param faults: the fault rules to apply.
    :param limits: the read and write budgets.
    :param requests: where each request is logged.
    :param clock: the clock of an injected 429's ``Retry-After`` (the limits have their own).
    """

    def __init__(
        self,
        workspace: Workspace,
        faults: FaultPlan,
        limits: RateLimiter,
        requests: RequestLog,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.clock = clock
        self.workspace = workspace
        self.faults = faults
        self.limits = limits
        self.requests = requests
        # Filled by the server's protocol class (see emulator.py): peer address -> open transport,
        # so a call can be applied and its connection then cut without a byte of answer.
        self.transports: dict[tuple[str, int], asyncio.Transport] = {}
        # How many requests are being served (a latency fault can hold one for seconds), so that a reset
        # can wait for them rather than let one land in the fresh state.
        self._busy = threading.Condition()
        self._in_flight = 0
        read_records = ("record_permission:read", "object_configuration:read")
        write_records = ("record_permission:read-write", "object_configuration:read")
        read_entries = ("list_entry:read", "list_configuration:read")
        endpoints = (
            _Endpoint("GET", "/v2/self", (), "read", "identify this token", self._identify),
            _Endpoint(
                "GET", "/v2/objects/{object}", ("object_configuration:read",), "read", "view this object",
                self._get_object,
            ),
            _Endpoint(
                "GET", "/v2/objects/{object}/attributes", ("object_configuration:read",), "read",
                "list this object's attributes", self._list_attributes,
            ),
            _Endpoint(
                "GET", "/v2/objects/{object}/attributes/{attribute}", ("object_configuration:read",), "read",
                "view this attribute", self._get_attribute,
            ),
            _Endpoint(
                "GET", "/v2/objects/{object}/attributes/{attribute}/options", ("object_configuration:read",),
                "read", "list this attribute's options", self._list_options,
            ),
            _Endpoint(
                "GET", "/v2/objects/{object}/attributes/{attribute}/statuses", ("object_configuration:read",),
                "read", "list this attribute's statuses", self._list_statuses,
            ),
            _Endpoint(
                "POST", "/v2/objects/{object}/records/query", read_records, "read", "list these records",
                self._query,
            ),
            _Endpoint(
                "POST", "/v2/objects/{object}/records", write_records, "write", "create records",
                self._create,
            ),
            _Endpoint(
                "GET", "/v2/objects/{object}/records/{record_id}", read_records, "read", "view this record",
                self._get_record,
            ),
            _Endpoint(
                "PUT", "/v2/objects/{object}/records/{record_id}", write_records, "write",
                "update this record", self._update_record,
            ),
            _Endpoint(
                "DELETE", "/v2/objects/{object}/records/{record_id}", write_records, "write",
                "delete this record", self._delete_record,
            ),
            _Endpoint(
                "DELETE", "/v2/lists/{list}/entries/{entry_id}",
                ("list_entry:read-write", "list_configuration:read"), "write", "delete this list entry",
                self._delete_entry,
            ),
            _Endpoint(
                "GET", "/v2/lists/{list}", ("list_configuration:read",), "read", "view this list",
                lambda p, b, t: {"data": self.workspace.list_body(p["list"])},
            ),
            _Endpoint(
                "GET", "/v2/lists/{list}/entries/{entry_id}", read_entries, "read", "view this list entry",
                lambda p, b, t: {"data": self.workspace.get_list_entry(p["list"], p["entry_id"])},
            ),
            _Endpoint(
                "POST", "/v2/lists/{list}/entries/query", read_entries, "read", "list these entries",
                lambda p, b, t: {
                    "data": self.workspace.query_list_entries(p["list"], b, self.faults.entry_parent_filter)
                },
            ),
            _Endpoint(
                "GET", "/v2/objects/{object}/records/{record_id}/entries", (*read_records, "list_entry:read"),
                "read", "list this record's entries",
                lambda p, b, t: {"data": self.workspace.record_entries(p["object"], p["record_id"], p)},
            ),
            *self._activity_endpoints(),
        )  # fmt: skip
        super().__init__(
            routes=[Route(e.path, self._endpoint(e), methods=[e.method]) for e in endpoints],
            # Starlette's own 404 and 405 are plain text: answer them in Attio's format instead.
            exception_handlers={404: self._serve_unrouted, 405: self._serve_unrouted},
        )
        # "/v2/self/" is an unknown path on Attio too, not a redirect to "/v2/self".
        self.router.redirect_slashes = False

    # -- the pipeline -------------------------------------------------------------------------------

    def _endpoint(self, endpoint: _Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            # Starlette also routes HEAD to a GET route; Attio's API has no HEAD.
            if request.method != endpoint.method:
                return await self._serve(request, _routing_error(request, 405))
            return await self._serve(request, endpoint)

        return serve

    async def _serve_unrouted(self, request: Request, exc: Exception) -> Response:
        """Serve what Starlette's router refused (HTTPException 404 or 405) through the pipeline."""
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return await self._serve(request, _routing_error(request, status))

    @property
    def in_flight(self) -> int:
        """How many requests are being served now (arrived, not yet answered)."""
        with self._busy:
            return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being served; return False if some still are after ``timeout`` s."""
        with self._busy:
            return self._busy.wait_for(lambda: self._in_flight == 0, timeout)

    async def _serve(self, request: Request, endpoint: _Endpoint | ApiError) -> Response:
        """Answer one request routed to ``endpoint``, or to a routing error (404, 405)."""
        with self._busy:
            self._in_flight += 1
        try:
            return await self._serve_counted(request, endpoint)
        finally:
            with self._busy:
                self._in_flight -= 1
                self._busy.notify_all()

    async def _serve_counted(self, request: Request, endpoint: _Endpoint | ApiError) -> Response:
        method: str = request.method
        path: str = request.scope["path"]
        body = await _json_body(request)
        delay = self.faults.take_latency(method, path)
        if delay:
            await asyncio.sleep(delay)  # never time.sleep: other requests keep being served
        logged_body = None if body is _INVALID_JSON else body
        page = self.faults.take_page(method, path, applied=False)  # a host answering in Attio's place
        if page is not None:
            response = _page(page)
        else:
            response, applied = self._answer(request, endpoint, body)
            if applied and 200 <= response.status_code < 300 and self.faults.take_drop(method, path):
                self.requests.record(method, path, None, logged_body)
                return _Drop(self._transport(request))
            page = self.faults.take_page(method, path, applied=True)  # a host replacing Attio's answer
            if page is not None:
                response = _page(page)
        # Logged before the answer is sent, so a client that has its answer finds the call in the log.
        self.requests.record(method, path, response.status_code, logged_body)
        return response

    def _transport(self, request: Request) -> asyncio.Transport:
        client = request.client
        transport = self.transports.get((client.host, client.port)) if client else None
        if transport is None:
            raise RuntimeError("cannot drop the connection: its transport is unknown")
        return transport

    def _answer(self, request: Request, endpoint: _Endpoint | ApiError, body: Any) -> tuple[Response, bool]:
        """Return the answer, and whether the handler ran (the call's effect, if any, happened)."""
        failure = self.faults.take_failure(request.method, request.scope["path"])
        if failure is not None:
            extra: dict[str, str] = {}
            if failure.status == 429 or failure.retry_after:
                extra["retry-after"] = failure.retry_after or retry_after_date(self.clock)
            return _error(fault_error(failure.status, failure.code), extra), False
        if isinstance(endpoint, ApiError):
            return _error(endpoint), False
        try:
            token = self._token(request.headers)
        except ApiError as error:
            return _error(error), False
        if not token.active and endpoint.handler != self._identify:
            # Only /v2/self serves an inactive token: it answers 200 {"active": false}.
            return _error(_unauthorized("The access token is invalid, expired or revoked.")), False
        if not all(token.has_scope(s) for s in endpoint.scopes):
            message = (
                f"You do not have the necessary permissions to {endpoint.action}. "
                f"Required scopes: {', '.join(endpoint.scopes)}."
            )
            return _error(ApiError(403, "auth_error", "unauthorized", message)), False
        retry_at = self.limits.acquire(endpoint.kind)
        if retry_at is not None:
            return _error(rate_limited(), {"retry-after": http_date(retry_at)}), False
        if body is _INVALID_JSON:
            return _error(validation_error("The request body is not valid JSON.")), False
        try:
            params = {**request.query_params, **request.path_params}
            return _JSON(endpoint.handler(params, body, token)), True
        except ApiError as error:
            return _error(error), True

    def _token(self, headers: Headers) -> Token:
        """Return the request's known token (active or not), or raise 401."""
        authorization = headers.get("authorization")
        if authorization is None:
            raise _unauthorized('No access token: send the header "Authorization: Bearer <token>".')
        scheme, _, credentials = authorization.partition(" ")
        token = self.workspace.token(credentials.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            # Never echo the credentials back: they are a secret.
            raise _unauthorized("The access token is invalid, expired or revoked.")
        return token

    # -- handlers (params, body, token) -> payload ------------------------------------------------------

    def _identify(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return self.workspace.self_body(token) if token.active else {"active": False}

    def _get_object(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return {"data": self.workspace.get_object(params["object"])}

    def _list_attributes(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return {"data": self.workspace.attribute_bodies(params["object"])}

    def _get_attribute(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return {"data": self.workspace.attribute_body(params["object"], params["attribute"])}

    def _list_options(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return {"data": self.workspace.option_bodies(params["object"], params["attribute"], "option")}

    def _list_statuses(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return {"data": self.workspace.option_bodies(params["object"], params["attribute"], "status")}

    def _query(self, params: dict[str, str], body: Any, token: Token) -> Any:
        records = self.workspace.query_records(params["object"], body)
        return b'{"data":[' + b",".join(r.encoded for r in records) + b"]}"

    def _create(self, params: dict[str, str], body: Any, token: Token) -> Any:
        actor = {"type": "api-token", "id": token.actor_id}
        record = self.workspace.create_record(params["object"], _values(body), actor, from_api=True)
        return b'{"data":' + record.encoded + b"}"

    def _update_record(self, params: dict[str, str], body: Any, token: Token) -> Any:
        actor = {"type": "api-token", "id": token.actor_id}
        record = self.workspace.update_record(params["object"], params["record_id"], _values(body), actor)
        return b'{"data":' + record.encoded + b"}"

    def _get_record(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return b'{"data":' + self.workspace.get_record(params["object"], params["record_id"]).encoded + b"}"

    def _delete_record(self, params: dict[str, str], body: Any, token: Token) -> Any:
        self.workspace.delete_record(params["object"], params["record_id"])
        return {}

    def _activity_endpoints(self) -> list[_Endpoint]:
        """``/v2/notes`` and ``/v2/tasks``: list (by record), view and delete."""
        read_notes = ("note:read", "object_configuration:read", "record_permission:read")
        read_tasks = (
            "task:read",
            "object_configuration:read",
            "record_permission:read",
            "user_management:read",
        )
        return [
            _Endpoint("GET", "/v2/notes", read_notes, "read", "list notes",
                      lambda p, b, t: {"data": self.workspace.activities.list_notes(p)}),
            _Endpoint("GET", "/v2/notes/{note_id}", ("note:read",), "read", "view this note",
                      lambda p, b, t: {"data": self.workspace.activities.get("note", p["note_id"])}),
            _Endpoint("DELETE", "/v2/notes/{note_id}", ("note:read-write",), "write", "delete this note",
                      lambda p, b, t: self.workspace.activities.delete("note", p["note_id"])),
            _Endpoint("GET", "/v2/tasks", read_tasks, "read", "list tasks",
                      lambda p, b, t: {"data": self.workspace.activities.list_tasks(p)}),
            _Endpoint("GET", "/v2/tasks/{task_id}", ("task:read",), "read", "view this task",
                      lambda p, b, t: {"data": self.workspace.activities.get("task", p["task_id"])}),
            _Endpoint("DELETE", "/v2/tasks/{task_id}", ("task:read-write",), "write", "delete this task",
                      lambda p, b, t: self.workspace.activities.delete("task", p["task_id"])),
        ]  # fmt: skip

    def _delete_entry(self, params: dict[str, str], body: Any, token: Token) -> Any:
        self.workspace.delete_list_entry(params["list"], params["entry_id"])
        return {}


def _values(body: Any) -> dict[str, Any]:
    """The ``values`` of a create or update body, or Attio's 400."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
        raise validation_error('Body payload validation error: expected {"data": {"values": {...}}}.')
    values: dict[str, Any] = data["values"]
    return values


async def _json_body(request: Request) -> Any:
    """Return the parsed JSON body, None when there is none, or ``_INVALID_JSON``."""
    if not (await request.body()).strip():
        return None
    try:
        return await request.json()
    except ValueError:
        return _INVALID_JSON

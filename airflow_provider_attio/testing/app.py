"""The HTTP face of the emulator: a small ASGI app with Attio's routes, auth, rate limits and faults.

It is a bare ASGI callable rather than a framework app: seven routes don't need a router library, the
emulator must never be a benchmark's bottleneck, and dropping a connection after applying a call needs
the transport underneath anyway. Each request goes through, in order:

latency → injected failure → route → token (401) → scopes (403) → rate limit (429) → handler → drop?

so that a faulted, unauthorized or rate-limited call changes no state, as on Attio.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_attio.testing.errors import ApiError, fault_error, rate_limited, validation_error
from airflow_provider_attio.testing.faults import FaultPlan, RateLimiter, retry_after_date
from airflow_provider_attio.testing.requestlog import RequestLog
from airflow_provider_attio.testing.state import Token, Workspace

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
Handler = Callable[[dict[str, str], Any, Token], Any]

_INVALID_JSON = object()  # a body was sent but it isn't JSON


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: str  # Attio's path template, e.g. "/v2/objects/{object}"
    scopes: tuple[str, ...]
    kind: str  # which rate limit applies: "read" or "write"
    action: str  # for the 403 message: "You do not have the necessary permissions to <action>."
    handler: Handler
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.pattern.split("/")))

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for expected, actual in zip(self.segments, segments, strict=True):
            if expected.startswith("{"):
                if not actual:
                    return None
                params[expected[1:-1]] = actual
            elif expected != actual:
                return None
        return params


@dataclass
class _Answer:
    status: int
    body: Any  # JSON-able, or bytes already encoded
    headers: Headers = field(default_factory=list)
    applied: bool = False  # the handler ran: the call's effect, if any, happened


def _error(error: ApiError, headers: Headers | None = None) -> _Answer:
    return _Answer(error.status, error.body(), headers or [])


def _unauthorized(message: str) -> ApiError:
    # Attio doesn't document its 401 body; this is its 403's flat shape with status 401.
    return ApiError(401, "auth_error", "unauthorized", message)


class EmulatorApp:
    """The ASGI app serving one :class:`~airflow_provider_attio.testing.state.Workspace`.

    :param workspace: the state to serve.
    :param faults: the fault rules to apply.
    :param limits: the read and write budgets.
    :param requests: where each request is logged.
    """

    def __init__(
        self, workspace: Workspace, faults: FaultPlan, limits: RateLimiter, requests: RequestLog
    ) -> None:
        self.workspace = workspace
        self.faults = faults
        self.limits = limits
        self.requests = requests
        # Filled by the server's protocol class (see emulator.py): peer address -> open transport,
        # so a call can be applied and its connection then cut without a byte of answer.
        self.transports: dict[tuple[str, int], asyncio.Transport] = {}
        read_records = ("record_permission:read", "object_configuration:read")
        write_records = ("record_permission:read-write", "object_configuration:read")
        self._routes = (
            _Route("GET", "/v2/self", (), "read", "identify this token", self._identify),
            _Route(
                "GET", "/v2/objects/{object}", ("object_configuration:read",), "read", "view this object",
                self._get_object,
            ),
            _Route(
                "POST", "/v2/objects/{object}/records/query", read_records, "read", "list these records",
                self._query,
            ),
            _Route(
                "POST", "/v2/objects/{object}/records", write_records, "write", "create records",
                self._create,
            ),
            _Route(
                "GET", "/v2/objects/{object}/records/{record_id}", read_records, "read", "view this record",
                self._get_record,
            ),
            _Route(
                "DELETE", "/v2/objects/{object}/records/{record_id}", write_records, "write",
                "delete this record", self._delete_record,
            ),
            _Route(
                "DELETE", "/v2/lists/{list}/entries/{entry_id}",
                ("list_entry:read-write", "list_configuration:read"), "write", "delete this list entry",
                self._delete_entry,
            ),
        )  # fmt: skip

    # -- ASGI --------------------------------------------------------------------------------------

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (HTTP only; the server runs without lifespan)."""
        if scope["type"] != "http":
            return
        method: str = scope["method"]
        path: str = scope["path"]
        raw = await _read_body(receive)
        body = _parse_json(raw)
        delay = self.faults.take_latency(method, path)
        if delay:
            await asyncio.sleep(delay)  # never time.sleep: other requests keep being served
        answer = self._answer(method, path, scope["headers"], body)
        logged_body = None if body is _INVALID_JSON else body
        if answer.applied and 200 <= answer.status < 300 and self.faults.take_drop(method, path):
            self.requests.record(method, path, None, logged_body)
            await self._drop(scope, receive)
            return
        # Log before answering, so a client that has its answer finds the call in the log.
        self.requests.record(method, path, answer.status, logged_body)
        await _send_json(send, answer)

    async def _drop(self, scope: Message, receive: Receive) -> None:
        client = scope.get("client")
        transport = self.transports.get((client[0], client[1])) if client else None
        if transport is None:
            raise RuntimeError("cannot drop the connection: its transport is unknown")
        transport.abort()
        # Wait until the server has seen the connection go, or it would answer 500 on our behalf.
        await asyncio.wait_for(receive(), timeout=5)

    # -- the answer ----------------------------------------------------------------------------------

    def _answer(self, method: str, path: str, headers: Headers, body: Any) -> _Answer:
        failure = self.faults.take_failure(method, path)
        if failure is not None:
            extra: Headers = []
            if failure.status == 429 or failure.retry_after:
                extra.append((b"retry-after", (failure.retry_after or retry_after_date()).encode("latin-1")))
            return _error(fault_error(failure.status, failure.code), extra)

        try:
            route, params = self._route(method, path)
            token = self._token(headers)
        except ApiError as error:
            return _error(error)
        if not token.active and route.handler != self._identify:
            # Only /v2/self serves an inactive token: it answers 200 {"active": false}.
            return _error(_unauthorized("The access token is invalid, expired or revoked."))
        missing = [s for s in route.scopes if not token.has_scope(s)]
        if missing:
            return _error(
                ApiError(
                    403,
                    "auth_error",
                    "unauthorized",
                    f"You do not have the necessary permissions to {route.action}. "
                    f"Required scopes: {', '.join(route.scopes)}.",
                )
            )
        limited = self._limited(route)
        if limited:
            return limited
        if body is _INVALID_JSON:
            return _error(validation_error("The request body is not valid JSON."))
        try:
            return _Answer(200, route.handler(params, body, token), applied=True)
        except ApiError as error:
            return _Answer(error.status, error.body(), applied=True)

    def _route(self, method: str, path: str) -> tuple[_Route, dict[str, str]]:
        """Find the route and its path parameters, or raise 404 (unknown path) or 405 (wrong method)."""
        segments = path.split("/")
        path_known = False
        for route in self._routes:
            params = route.match(segments)
            if params is not None:
                if route.method == method:
                    return route, params
                path_known = True
        if path_known:
            raise ApiError(
                405, "invalid_request_error", "method_not_allowed", f"{method} is not allowed on {path}."
            )
        raise ApiError(404, "invalid_request_error", "not_found", f"No route for {method} {path}.")

    def _token(self, headers: Headers) -> Token:
        """Return the request's known token (active or not), or raise 401."""
        for name, value in headers:
            if name == b"authorization":
                scheme, _, credentials = value.decode("latin-1").partition(" ")
                token = self.workspace.token(credentials.strip()) if scheme.lower() == "bearer" else None
                if token is None:
                    # Never echo the credentials back: they are a secret.
                    raise _unauthorized("The access token is invalid, expired or revoked.")
                return token
        raise _unauthorized('No access token: send the header "Authorization: Bearer <token>".')

    def _limited(self, route: _Route) -> _Answer | None:
        wait = self.limits.acquire(route.kind)
        if wait is None:
            return None
        return _error(rate_limited(), [(b"retry-after", retry_after_date(wait).encode("latin-1"))])

    # -- handlers (params, body, token) -> payload ------------------------------------------------------

    def _identify(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return self.workspace.self_body(token) if token.active else {"active": False}

    def _get_object(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return {"data": self.workspace.get_object(params["object"])}

    def _query(self, params: dict[str, str], body: Any, token: Token) -> Any:
        records = self.workspace.query_records(params["object"], body)
        return b'{"data":[' + b",".join(r.encoded for r in records) + b"]}"

    def _create(self, params: dict[str, str], body: Any, token: Token) -> Any:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
            raise validation_error('Body payload validation error: expected {"data": {"values": {...}}}.')
        actor = {"type": "api-token", "id": token.actor_id}
        return (
            b'{"data":' + self.workspace.create_record(params["object"], data["values"], actor).encoded + b"}"
        )

    def _get_record(self, params: dict[str, str], body: Any, token: Token) -> Any:
        return b'{"data":' + self.workspace.get_record(params["object"], params["record_id"]).encoded + b"}"

    def _delete_record(self, params: dict[str, str], body: Any, token: Token) -> Any:
        self.workspace.delete_record(params["object"], params["record_id"])
        return {}

    def _delete_entry(self, params: dict[str, str], body: Any, token: Token) -> Any:
        self.workspace.delete_list_entry(params["list"], params["entry_id"])
        return {}


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _INVALID_JSON


async def _send_json(send: Send, answer: _Answer) -> None:
    # Records come encoded already (see StoredRecord): bytes are sent as they are.
    body = answer.body
    data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode("utf-8")
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode("latin-1")),
        *answer.headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": data})

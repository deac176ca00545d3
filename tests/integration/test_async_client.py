"""The two clients of the protocol, the hook (requests) and AsyncAttioClient (httpx), against the same faults.

Both must send the same attempts and end with the same answer or the same error: the deferred sensor
and the poking sensor then cannot disagree about Attio.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_attio.aio import AsyncAttioClient
from airflow_provider_attio.connection import ConnectionParts, ConnectionSettings
from airflow_provider_attio.core import Answer, ApiRequest, get_object, get_record
from airflow_provider_attio.exceptions import AttioError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.testing import AttioEmulator
from tests.conftest import TOKEN, assert_no_token

MISSING = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
EXTRAS: dict[str, Any] = {"max_retries": 2, "backoff": 0.01, "retry_budget": 15, "timeout": 0.5}


def _outcome(send: Callable[[], Answer]) -> tuple[str, Any]:
    try:
        answer = send()
    except AttioError as err:
        assert_no_token(err, err.to_dict())
        # The time spent retrying differs by milliseconds between runs; the attempts must not.
        return type(err).__name__, (err.status, err.code, re.sub(r"over [0-9.]+s", "over Ns", err.message))
    return "Answer", (
        answer.status,
        answer.body if answer.status == 404 else answer.body.get("data", {}).get("id"),
    )


def _both(
    emu: AttioEmulator,
    use_connection: Any,
    request: ApiRequest,
    arrange: Callable[[], None],
    extras: dict[str, Any] = EXTRAS,
) -> list[Any]:
    use_connection(emu.base_url, **extras)
    settings = ConnectionSettings.from_extras(extras)
    results = []
    for client in ("hook", "async"):
        emu.clear_faults()
        emu.clear_log()
        arrange()
        if client == "hook":
            outcome = _outcome(lambda: AttioHook().send(request))
        else:

            async def send() -> Answer:
                async_client = AsyncAttioClient(ConnectionParts(emu.base_url, settings, TOKEN))
                try:
                    return await async_client.send(request)
                finally:
                    await async_client.aclose()

            outcome = _outcome(lambda: asyncio.run(send()))
        results.append((outcome, [(r.method, r.path, r.status) for r in emu.requests]))
    return results


@pytest.mark.parametrize(
    "fault",
    ["none", "missing", "503 then ok", "503 always", "429 then ok", "merge", "400", "401", "403", "timeout"],
)
def test_the_hook_and_the_async_client_agree(attio: AttioEmulator, use_connection: Any, fault: str) -> None:
    record_id = str(attio.create_record("people", {"name": "Ada"})["id"]["record_id"])
    request = get_record("people", MISSING if fault == "missing" else record_id)

    def arrange() -> None:
        if fault == "503 then ok":
            attio.fail_next(2, 503)
        elif fault == "503 always":
            attio.fail_next(50, 503)
        elif fault == "429 then ok":
            attio.fail_next(1, 429)
        elif fault == "merge":
            attio.fail_next(50, 404, code="merge_in_progress")
        elif fault in ("400", "401", "403"):
            attio.fail_next(1, int(fault))
        elif fault == "timeout":
            attio.set_latency(0.4, count=3)  # later than the 0.2 s the clients wait: a timeout every time

    extras = {**EXTRAS, "timeout": 0.2} if fault == "timeout" else EXTRAS
    (hook, hook_log), (aio, aio_log) = _both(attio, use_connection, request, arrange, extras)
    if fault == "timeout":  # the answers came after the clients gave up: logged when sent
        assert hook[0] == aio[0] == "AttioServerError"
        return
    assert hook == aio
    assert hook_log == aio_log
    expected_attempts = {"503 then ok": 3, "503 always": 3, "429 then ok": 2, "merge": 3}.get(fault, 1)
    assert len(aio_log) == expected_attempts


def test_transport_failures_read_the_same(use_connection: Any) -> None:
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    use_connection(base_url, max_retries=0)
    request = get_object("people")
    hook = _outcome(lambda: AttioHook().send(request))

    async def send() -> Answer:
        client = AsyncAttioClient(ConnectionParts(base_url, ConnectionSettings(max_retries=0), TOKEN))
        try:
            return await client.send(request)
        finally:
            await client.aclose()

    aio = _outcome(lambda: asyncio.run(send()))
    assert hook[0] == aio[0] == "AttioServerError"
    assert "could not connect" in hook[1][2] and "could not connect" in aio[1][2]


def test_the_async_client_never_shows_its_token(attio: AttioEmulator) -> None:
    client = AsyncAttioClient(ConnectionParts(attio.base_url, ConnectionSettings(), TOKEN))
    assert_no_token(client, vars(client))
    asyncio.run(client.aclose())

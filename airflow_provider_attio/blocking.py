"""The blocking driver of the core: one call's attempts over a ``requests`` session, and its sleeps.

The same loop as the async client's (:mod:`airflow_provider_attio.aio`): send, hand the reply to the
core's :class:`~airflow_provider_attio.core.Call`, sleep as it says. Two things are the blocking
side's own: a caller's pacing gates (the bulk engine paces its writes' retries itself) and the 429s it
reports to listeners.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from airflow_provider_attio import core
from airflow_provider_attio.connection import ConnectionParts, failure_of
from airflow_provider_attio.core import Answer, ApiRequest, Call, Reply
from airflow_provider_attio.exceptions import AttioError, AttioRateLimitError
from airflow_provider_attio.pacing import Pacing

__all__ = ["RateLimited", "exchange", "send_call"]


@dataclass(frozen=True)
class RateLimited:
    """Attio answered 429: what a hook tells its rate-limit listeners.

    :param method: the call's HTTP method.
    :param path: the call's URL path.
    :param wait: the seconds Attio asked to wait (from ``Retry-After``, at least the backoff).
    """

    method: str
    path: str
    wait: float


def exchange(
    session: requests.Session, parts: ConnectionParts, request: ApiRequest, timeout: tuple[float, float]
) -> Reply:
    """Send one attempt and read its reply off the wire; ``requests`` raises when there is none."""
    response = session.request(
        request.method,
        parts.base_url + request.path,
        json=request.json,
        timeout=timeout,
        allow_redirects=False,
    )
    headers = response.headers
    return Reply(
        response.status_code, response.content, headers.get("Content-Type", ""), headers.get("Retry-After")
    )


def send_call(
    session: requests.Session,
    parts: ConnectionParts,
    request: ApiRequest,
    pacing: Pacing | None,
    announce: Callable[[RateLimited], None],
    log: Any,
) -> Answer:
    """Send one logical call with the core's retry policy: a 2xx or a plain 404, or raise its error."""
    call = Call(request, parts.settings, origin=parts.base_url)
    timeout = (parts.settings.connect_timeout, parts.settings.timeout)
    while True:
        try:
            outcome = call.answered(exchange(session, parts, request, timeout))
        except requests.RequestException as err:
            outcome = call.unanswered(failure_of(err), type(err).__name__)
        if isinstance(outcome, Answer):
            return outcome
        wait = call.retry_in(outcome)
        if isinstance(outcome, AttioRateLimitError):
            asked = core.rate_limit_wait(call.settings, outcome.retry_after, call.attempts)
            announce(RateLimited(request.method, request.path, asked))
        if not _pause(outcome, wait, pacing, log):
            raise outcome


def _pause(error: AttioError, wait: float, pacing: Pacing | None, log: Any) -> bool:
    """Wait before a retry, or let the caller's pacing wait; ``False`` when the caller gives up."""
    limited = isinstance(error, AttioRateLimitError)
    if isinstance(error, AttioRateLimitError) and pacing is not None and pacing.rate_limit_gate is not None:
        return pacing.rate_limit_gate(error.retry_after)
    log.warning("Attio call failed, retrying in %.2fs: %s", wait, error)
    time.sleep(wait)
    if not limited and pacing is not None and pacing.resend_gate is not None:
        return pacing.resend_gate()
    return True

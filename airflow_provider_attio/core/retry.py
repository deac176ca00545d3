"""The retry policy: what one attempt's reply means for its call, and whether and when to try again.

Transient errors (429, 5xx, timeouts, ``merge_in_progress``) are retried within a count and a time
budget; a call sent :attr:`~.calls.ApiRequest.once` is not sent again after an attempt that may have
been applied.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Protocol

from airflow_provider_attio.core.answers import (
    UNREADABLE,
    Answer,
    Reply,
    TransportFailure,
    error_from_answer,
    not_attio,
    parse_body,
    transport_error,
)
from airflow_provider_attio.core.calls import ApiRequest
from airflow_provider_attio.exceptions import (
    AttioError,
    AttioNotFoundError,
    AttioOutcomeUnknownError,
    AttioRateLimitError,
    AttioTransientError,
)


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

"""What a procedure is, and the one loop that drives it with a blocking or an async ``send``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from airflow_provider_attio.core.answers import Answer
from airflow_provider_attio.core.calls import ApiRequest
from airflow_provider_attio.exceptions import AttioError

T = TypeVar("T")


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

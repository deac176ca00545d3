"""What the record and list entry triggers share: the wait loop in the triggerer's batch, its deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import suppress
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_attio.aio import Member, watcher
from airflow_provider_attio.exceptions import AttioError
from airflow_provider_attio.validation import WaitFor
from airflow_provider_attio.watch import Verdict, Watching


async def within(check: Coroutine[Any, Any, Verdict], timeout: float | None) -> Verdict:
    """Await ``check``, raising :class:`asyncio.TimeoutError` after ``timeout`` seconds (None: no limit).

    Not ``asyncio.wait_for``: before Python 3.12 it returns the result of a check that ends in the loop
    iteration where the trigger is cancelled, swallowing the cancellation (the triggerer's cancel, when
    the task is cleared or times out), and the trigger then went on until its deadline.
    """
    task = asyncio.ensure_future(check)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    finally:
        if not task.done():  # cancelled, or out of time: stop the check too
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        elif not task.cancelled():
            task.exception()  # retrieved, so a failure isn't logged as never retrieved when cancelled
    if not done:
        raise asyncio.TimeoutError
    return task.result()


class WatchTrigger(BaseTrigger):
    """Wait in the triggerer's batch (:func:`airflow_provider_attio.aio.watcher`) until the watch is done,
    the deadline passes, or an error. Subclasses say what they watch (:meth:`watching`) and how to name
    it, and serialize themselves.

    :param wait_for: ``"present"`` or ``"absent"``.
    :param attio_conn_id: the Airflow connection to Attio.
    :param poke_interval: seconds between checks.
    :param deadline: epoch seconds after which the trigger reports a timeout; ``None`` for no deadline.
    """

    def __init__(
        self, *, wait_for: WaitFor, attio_conn_id: str, poke_interval: float, deadline: float | None
    ) -> None:
        super().__init__()
        self.wait_for = wait_for
        self.attio_conn_id = attio_conn_id
        self.poke_interval = poke_interval
        self.deadline = deadline

    def watching(self) -> Watching:
        """What this trigger waits for, validated again (a trigger's kwargs come from the database)."""
        raise NotImplementedError

    def what(self) -> str:
        """What the log says it waits for: ``the record``, ``all of the 3 entries``."""
        raise NotImplementedError

    def timeout_message(self) -> str:
        raise NotImplementedError

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # The event is decided inside the batch and yielded after leaving it, so a fired trigger never
        # stays in its group however long Airflow takes to close this generator.
        yield TriggerEvent(await self._wait())

    async def _wait(self) -> dict[str, Any]:
        try:
            watching = self.watching()
        except AttioError as err:
            return {"status": "error", "error": err.to_dict()}
        async with watcher().watch(self.attio_conn_id, watching, self.poke_interval) as me:
            while True:
                remaining = None if self.deadline is None else self.deadline - time.time()
                if remaining is not None and remaining <= 0:
                    return {"status": "timeout", "message": self.timeout_message()}
                try:
                    verdict = await within(self._check(me, watching), remaining)
                except asyncio.TimeoutError:
                    return {"status": "timeout", "message": self.timeout_message()}
                except AttioError as err:
                    return {"status": "error", "error": err.to_dict()}
                if verdict.done:
                    return {"status": "success", "xcom": verdict.xcom, "message": verdict.detail}
                self.log.info("%s Waiting for %s to be %s.", verdict.detail, self.what(), self.wait_for)

    @staticmethod
    async def _check(me: Member, watching: Watching) -> Verdict:
        facts = await me.next()  # listed (or read), absences that could finish it confirmed by the batch
        await me.read(facts)  # records awaited present: read, until the verdict is known
        return watching.conclude(facts)

"""AttioRecordTrigger: the deferred half of the AttioRecordSensor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.providers.common.compat.connection import get_async_connection
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_attio.exceptions import AttioAuthError, AttioError
from airflow_provider_attio.hooks.attio import AttioHook, RecordPoll, WaitFor


class AttioRecordTrigger(BaseTrigger):
    """Poll a record in the triggerer until it is present (or absent), the deadline passes, or an error.

    Each check is :meth:`AttioHook.poll_record`, the very function the sensor's ``poke`` uses, run in a
    worker thread so the triggerer's event loop never blocks on HTTP or on the hook's retry sleeps.

    The trigger keeps the sensor's deadline itself: ``dag.test()`` runs triggers without Airflow's
    deferral timeout, and a trigger that never fired would hang it.

    :param object: the object's api slug or UUID (already validated by the sensor).
    :param record_id: the record's UUID.
    :param wait_for: ``"present"`` or ``"absent"``.
    :param attio_conn_id: the Airflow connection to Attio.
    :param poke_interval: seconds between checks.
    :param deadline: epoch seconds after which the trigger reports a timeout; ``None`` for no deadline.

    Events: ``{"status": "success", "xcom": ...}``, ``{"status": "timeout", "message": ...}`` or
    ``{"status": "error", "error": AttioError.to_dict()}``.
    """

    def __init__(
        self,
        *,
        object: str,
        record_id: str,
        wait_for: WaitFor,
        attio_conn_id: str,
        poke_interval: float,
        deadline: float | None,
    ) -> None:
        super().__init__()
        self.object = object
        self.record_id = record_id
        self.wait_for = wait_for
        self.attio_conn_id = attio_conn_id
        self.poke_interval = poke_interval
        self.deadline = deadline

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "object": self.object,
                "record_id": self.record_id,
                "wait_for": self.wait_for,
                "attio_conn_id": self.attio_conn_id,
                "poke_interval": self.poke_interval,
                "deadline": self.deadline,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook: AttioHook | None = None
        try:
            while True:
                try:
                    hook = hook or await self._hook()
                    poll = await self._poll(hook)
                except AttioAuthError as err:
                    if err.status != 401 or hook is None:
                        yield TriggerEvent({"status": "error", "error": err.to_dict()})
                        return
                    # The token may have been rotated since the connection was read: read it again, once.
                    self.log.warning("Attio rejected the token (401); reading the connection again.")
                    hook.close()
                    hook = await self._hook()
                    try:
                        poll = await self._poll(hook)
                    except AttioError as retry_err:
                        yield TriggerEvent({"status": "error", "error": retry_err.to_dict()})
                        return
                except AttioError as err:
                    yield TriggerEvent({"status": "error", "error": err.to_dict()})
                    return
                if poll.done:
                    yield TriggerEvent({"status": "success", "xcom": poll.xcom, "message": poll.detail})
                    return
                self.log.info("%s Waiting for the record to be %s.", poll.detail, self.wait_for)
                remaining = None if self.deadline is None else self.deadline - time.time()
                if remaining is not None and remaining <= 0:
                    yield TriggerEvent({"status": "timeout", "message": self._timeout_message()})
                    return
                await asyncio.sleep(
                    self.poke_interval if remaining is None else min(self.poke_interval, remaining)
                )
        finally:
            if hook is not None:
                hook.close()

    async def _hook(self) -> AttioHook:
        connection = await get_async_connection(self.attio_conn_id, hook=AttioHook)
        return AttioHook(self.attio_conn_id, connection=connection)

    async def _poll(self, hook: AttioHook) -> RecordPoll:
        return await asyncio.to_thread(hook.poll_record, self.object, self.record_id, self.wait_for)

    def _timeout_message(self) -> str:
        return (
            f"Record {self.record_id} of {self.object!r} was not {self.wait_for} before the sensor's timeout."
        )

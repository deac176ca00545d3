"""AttioRecordTrigger: the deferred half of the AttioRecordSensor."""

from __future__ import annotations

from typing import Any

from airflow_provider_attio.triggers._watch import WatchTrigger
from airflow_provider_attio.validation import WaitFor
from airflow_provider_attio.watch import Require, Watching


class AttioRecordTrigger(WatchTrigger):
    """Wait in the triggerer until records are present (or absent), the deadline passes, or an error.

    Triggers of one triggerer that watch records of the same object through the same connection are
    checked together: one ``record_id`` ``$in`` query per tick for all of them, over one async HTTP
    client per connection (:mod:`airflow_provider_attio.aio`). No thread is used and none sleeps: retries
    and ``Retry-After`` waits are ``asyncio.sleep`` calls. The verdict comes from
    :mod:`airflow_provider_attio.watch`, as for the sensor's ``poke``: before firing, the records it waits
    on are confirmed as a poke confirms them (absences by a second query the whole batch shares, records
    awaited present by a read each).

    The trigger keeps the sensor's deadline itself: ``dag.test()`` runs triggers without Airflow's
    deferral timeout, and a trigger that never fired would hang it.

    :param object: the object's api slug or UUID (already validated by the sensor).
    :param record_id: the record's UUID, when the sensor watches one record.
    :param record_ids: the records' UUIDs, when it watches several (give one of the two).
    :param wait_for: ``"present"`` or ``"absent"``.
    :param require: ``"all"`` of the records or ``"any"`` of them (``record_ids`` only).
    :param attio_conn_id: the Airflow connection to Attio.
    :param poke_interval: seconds between checks.
    :param deadline: epoch seconds after which the trigger reports a timeout; ``None`` for no deadline.

    Events: ``{"status": "success", "xcom": ..., "message": ...}``, ``{"status": "timeout", "message": ...}``
    or ``{"status": "error", "error": AttioError.to_dict()}``.
    """

    def __init__(
        self,
        *,
        object: str,
        wait_for: WaitFor,
        attio_conn_id: str,
        poke_interval: float,
        deadline: float | None,
        record_id: str | None = None,
        record_ids: list[str] | None = None,
        require: Require = "all",
    ) -> None:
        super().__init__(
            wait_for=wait_for, attio_conn_id=attio_conn_id, poke_interval=poke_interval, deadline=deadline
        )
        self.object = object
        self.record_id = record_id
        self.record_ids = None if record_ids is None else list(record_ids)
        self.require = require

    def serialize(self) -> tuple[str, dict[str, Any]]:
        records: dict[str, Any] = (
            {"record_id": self.record_id}
            if self.record_ids is None
            else {"record_ids": self.record_ids, "require": self.require}
        )
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "object": self.object,
                **records,
                "wait_for": self.wait_for,
                "attio_conn_id": self.attio_conn_id,
                "poke_interval": self.poke_interval,
                "deadline": self.deadline,
            },
        )

    def watching(self) -> Watching:
        return Watching.of(self)

    def what(self) -> str:
        if self.record_ids is None:
            return "the record"
        return f"{'all' if self.require == 'all' else 'any'} of the {len(self.record_ids)} records"

    def timeout_message(self) -> str:
        if self.record_ids is None:
            what = f"Record {self.record_id} of {self.object!r} was not"
        else:
            some = "Not all" if self.require == "all" else "None"
            what = f"{some} of the {len(self.record_ids)} records of {self.object!r} were"
        return f"{what} {self.wait_for} before the sensor's timeout."

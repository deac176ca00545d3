"""AttioListEntryTrigger: the deferred half of the AttioListEntrySensor."""

from __future__ import annotations

from typing import Any

from airflow_provider_attio.triggers._watch import WatchTrigger
from airflow_provider_attio.validation import WaitFor
from airflow_provider_attio.watch import Require, Watching


class AttioListEntryTrigger(WatchTrigger):
    """Wait in the triggerer until list entries are present (or absent), the deadline passes, or an error.

    Attio documents no ``entry_id`` filter for its entries query, so there is no batched read: the
    triggers of one triggerer watching entries of the same list through the same connection form a group
    whose tick reads each watched entry once (``GET``), however many triggers watch it, stopping for each
    trigger once its verdict is known, and asks for the list once when an entry is missing. The reads of
    every list of a connection are paced together
    (:data:`~airflow_provider_attio.watch.ENTRY_READS_PER_SECOND`). Verdicts come from
    :mod:`airflow_provider_attio.watch`, as for the sensor's ``poke``, and the trigger keeps the sensor's
    deadline itself, as the record trigger does.

    :param list: the list's api slug or UUID (already validated by the sensor).
    :param entry_id: the entry's UUID, when the sensor watches one entry.
    :param entry_ids: the entries' UUIDs, when it watches several (give one of the two).
    :param wait_for: ``"present"`` or ``"absent"``.
    :param require: ``"all"`` of the entries or ``"any"`` of them (``entry_ids`` only).
    :param attio_conn_id: the Airflow connection to Attio.
    :param poke_interval: seconds between checks.
    :param deadline: epoch seconds after which the trigger reports a timeout; ``None`` for no deadline.

    Events: as :class:`~airflow_provider_attio.triggers.records.AttioRecordTrigger`'s.
    """

    def __init__(
        self,
        *,
        list: str,
        wait_for: WaitFor,
        attio_conn_id: str,
        poke_interval: float,
        deadline: float | None,
        entry_id: str | None = None,
        entry_ids: Any = None,
        require: Require = "all",
    ) -> None:
        super().__init__(
            wait_for=wait_for, attio_conn_id=attio_conn_id, poke_interval=poke_interval, deadline=deadline
        )
        self.list = list
        self.entry_id = entry_id
        self.entry_ids = None if entry_ids is None else [str(e) for e in entry_ids]
        self.require = require

    def serialize(self) -> tuple[str, dict[str, Any]]:
        entries: dict[str, Any] = (
            {"entry_id": self.entry_id}
            if self.entry_ids is None
            else {"entry_ids": self.entry_ids, "require": self.require}
        )
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "list": self.list,
                **entries,
                "wait_for": self.wait_for,
                "attio_conn_id": self.attio_conn_id,
                "poke_interval": self.poke_interval,
                "deadline": self.deadline,
            },
        )

    def watching(self) -> Watching:
        return Watching.of_entries(self)

    def what(self) -> str:
        if self.entry_ids is None:
            return "the entry"
        return f"{'all' if self.require == 'all' else 'any'} of the {len(self.entry_ids)} entries"

    def timeout_message(self) -> str:
        if self.entry_ids is None:
            what = f"Entry {self.entry_id} of list {self.list!r} was not"
        else:
            some = "Not all" if self.require == "all" else "None"
            what = f"{some} of the {len(self.entry_ids)} entries of list {self.list!r} were"
        return f"{what} {self.wait_for} before the sensor's timeout."

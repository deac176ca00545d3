"""AttioListEntrySensor: wait until entries of an Attio list exist, or until they are gone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import conf

from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.sensors._watch import WatchSensor
from airflow_provider_attio.triggers.entries import AttioListEntryTrigger
from airflow_provider_attio.validation import validate_wait_for
from airflow_provider_attio.watch import RecordWatch, Watching, validate_require


class AttioListEntrySensor(WatchSensor):
    """Wait until list entries exist (``wait_for="present"``) or are gone (``wait_for="absent"``).

    .. code-block:: python

        AttioListEntrySensor(
            task_id="wait_until_unlisted",
            list="sales",
            entry_id="{{ params.entry_id }}",
            wait_for="absent",
            deferrable=True,
            poke_interval=30,
            timeout=3600,
        )

    As :class:`~airflow_provider_attio.sensors.records.AttioRecordSensor`, with entries of a list instead of
    records of an object. Rate limits, 5xx and timeouts mean "not yet"; a missing list, an invalid token
    or a missing scope (``list_entry:read``, ``list_configuration:read``), and bad input fail at once,
    without retries. Each entry is read (``GET /v2/lists/{list}/entries/{entry_id}``): Attio documents no
    filter on entry ids, so nothing is batched by id; reads stop once a check's verdict is known and are
    paced at 10 a second. ``docs/lists-notes-tasks.md`` tells the rest.

    :param list: the list's api slug or UUID. Templated.
    :param entry_id: the entry's UUID. Templated. Give this or ``entry_ids``.
    :param entry_ids: several entries' UUIDs (or entries as Attio returns them), e.g. an XCom. Templated.
    :param wait_for: ``"present"`` (default) or ``"absent"``, for every entry watched.
    :param require: with ``entry_ids``: done when ``"all"`` (default) or ``"any"`` of them are as wanted.
    :param deferrable: check once, then wait in the triggerer. Defaults to ``[operators] default_deferrable``.
    :param attio_conn_id: the Airflow connection to Attio. Templated.

    XCom: with ``entry_id`` and ``"present"``, ``{"list", "entry_id", "id", "parent_object",
    "parent_record_id"}``; with ``"absent"``, nothing. With ``entry_ids``: ``{"list", "wait_for", "require",
    "matched", "unmatched"}`` and, for ``"present"``, ``"entries"``: each matched entry's summary.
    """

    template_fields: Sequence[str] = ("list", "entry_id", "entry_ids", "attio_conn_id")
    ui_color = "#e6f0fa"

    def __init__(
        self,
        *,
        list: str,
        entry_id: str | None = None,
        entry_ids: Any = None,
        wait_for: str = "present",
        require: str = "all",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        attio_conn_id: str = AttioHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (entry_id is None) == (entry_ids is None):
            raise AttioValidationError(
                "Give exactly one of entry_id (one entry UUID) or entry_ids (a list of them)."
            )
        self.list = list
        self.entry_id = entry_id
        self.entry_ids = entry_ids
        self.wait_for = validate_wait_for(wait_for)
        self.require = validate_require(require)
        self.deferrable = deferrable
        self.attio_conn_id = attio_conn_id

    def new_watching(self) -> Watching:
        return Watching.of_entries(self)

    def make_trigger(self, watch: RecordWatch, deadline: float) -> AttioListEntryTrigger:
        entries: dict[str, Any] = (
            {"entry_id": watch.record_ids[0]}
            if watch.single
            else {"entry_ids": list(watch.record_ids), "require": watch.require}
        )
        return AttioListEntryTrigger(
            list=watch.object,
            **entries,
            wait_for=watch.wait_for,
            attio_conn_id=self.attio_conn_id,
            poke_interval=float(self.poke_interval),
            deadline=deadline,
        )

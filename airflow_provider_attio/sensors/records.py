"""AttioRecordSensor: wait until Attio records exist, or until they are gone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import conf

from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.sensors._watch import WatchSensor
from airflow_provider_attio.triggers.records import AttioRecordTrigger
from airflow_provider_attio.validation import validate_wait_for
from airflow_provider_attio.watch import RecordWatch, Watching, validate_require


class AttioRecordSensor(WatchSensor):
    """Wait until Attio records exist (``wait_for="present"``) or are gone (``wait_for="absent"``).

    .. code-block:: python

        AttioRecordSensor(
            task_id="wait_until_deleted",
            object="people",
            record_id="{{ params.record_id }}",
            wait_for="absent",
            deferrable=True,
            poke_interval=30,
            timeout=3600,
        )

    A record being merged (Attio's ``merge_in_progress``), rate limits, 5xx and timeouts mean "not yet":
    they are logged and the sensor keeps waiting. A missing object, an invalid token or a missing scope,
    and bad input fail at once, without retries.

    :param object: the object's api slug (``people``, ``companies``...) or UUID. Templated.
    :param record_id: the record's UUID. Templated. Give this or ``record_ids``.
    :param record_ids: several records' UUIDs (or records as Attio returns them), e.g. an upstream task's
        XCom. Templated. They are checked with one query per 250 records; absences are confirmed by a
        second query, presences by a read of each record (see :mod:`airflow_provider_attio.watch`).
    :param wait_for: ``"present"`` (default) or ``"absent"``, for every record watched.
    :param require: with ``record_ids``: done when ``"all"`` (default) or ``"any"`` of them are as
        ``wait_for`` says.
    :param deferrable: check once, then wait in the triggerer instead of holding a worker slot. Defaults to
        ``[operators] default_deferrable``. ``timeout`` and ``soft_fail`` behave as in poke mode.
    :param attio_conn_id: the Airflow connection to Attio. Templated.

    XCom: with ``record_id`` and ``wait_for="present"``, ``{"object", "record_id", "id", "web_url"}`` of the
    record; with ``"absent"``, nothing. With ``record_ids``: ``{"object", "wait_for", "require",
    "matched", "unmatched"}`` (the ids that are, and are not yet, as wanted) and, for ``"present"``,
    ``"records"``: each matched record's ``{"object", "record_id", "id", "web_url"}``.
    """

    template_fields: Sequence[str] = ("object", "record_id", "record_ids", "attio_conn_id")
    ui_color = "#e6f0fa"

    def __init__(
        self,
        *,
        object: str,
        record_id: str | None = None,
        record_ids: Any = None,
        wait_for: str = "present",
        require: str = "all",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        attio_conn_id: str = AttioHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (record_id is None) == (record_ids is None):
            raise AttioValidationError(
                "Give exactly one of record_id (one record UUID) or record_ids (a list of them)."
            )
        self.object = object
        self.record_id = record_id
        self.record_ids = record_ids
        self.wait_for = validate_wait_for(wait_for)
        self.require = validate_require(require)
        self.deferrable = deferrable
        self.attio_conn_id = attio_conn_id

    def new_watching(self) -> Watching:
        return Watching.of(self)

    def make_trigger(self, watch: RecordWatch, deadline: float) -> AttioRecordTrigger:
        records: dict[str, Any] = (
            {"record_id": watch.record_ids[0]}
            if watch.single
            else {"record_ids": list(watch.record_ids), "require": watch.require}
        )
        return AttioRecordTrigger(
            object=watch.object,
            **records,
            wait_for=watch.wait_for,
            attio_conn_id=self.attio_conn_id,
            poke_interval=float(self.poke_interval),
            deadline=deadline,
        )

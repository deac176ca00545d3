"""AttioRecordSensor: wait until Attio records exist, or until they are gone."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_attio.exceptions import AttioError, AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.policy import fail_fast_on_permanent_errors
from airflow_provider_attio.triggers.records import AttioRecordTrigger
from airflow_provider_attio.validation import validate_wait_for
from airflow_provider_attio.watch import Verdict, Watching, check_now, validate_require

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class AttioRecordSensor(BaseSensorOperator):
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

    @cached_property
    def hook(self) -> AttioHook:
        """The hook, built on first use (never in ``__init__``: no network at DAG parse time)."""
        return AttioHook(attio_conn_id=self.attio_conn_id)

    @cached_property
    def _watching(self) -> Watching:
        """What this sensor waits for, checked after templating; it remembers records found gone."""
        return Watching.of(self)

    def _check(self) -> Verdict:
        with fail_fast_on_permanent_errors():
            watching = self._watching
            verdict = check_now(watching, self.hook.send)
        self.log.info("%s", verdict.detail)
        return verdict

    def poke(self, context: Context) -> bool | PokeReturnValue:
        verdict = self._check()
        return PokeReturnValue(is_done=True, xcom_value=verdict.xcom) if verdict.done else False

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        started = time.time()
        try:
            verdict = self._check()
        except AirflowFailException as err:
            if self.soft_fail:  # as BaseSensorOperator does for a failing poke
                raise AirflowSkipException(f"Skipping due to soft_fail: {err}") from err
            raise
        if verdict.done:
            return verdict.xcom
        watch = self._watching.watch
        records: dict[str, Any] = (
            {"record_id": watch.record_ids[0]}
            if watch.single
            else {"record_ids": list(watch.record_ids), "require": watch.require}
        )
        self.defer(
            trigger=AttioRecordTrigger(
                object=watch.object,
                **records,
                wait_for=watch.wait_for,
                attio_conn_id=self.attio_conn_id,
                poke_interval=float(self.poke_interval),
                deadline=started + float(self.timeout),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Finish after the trigger fired: return the XCom, or raise as poke mode would."""
        status = event.get("status")
        if status == "success":
            self.log.info("%s", event.get("message", "Success criteria met."))
            return event.get("xcom")
        if status == "timeout":
            # Airflow turns this into a skip when soft_fail=True, as in poke mode.
            raise AirflowSensorTimeout(event.get("message", "The sensor timed out."))
        error = AttioError.from_dict(
            event.get("error") or {"message": f"Unexpected trigger event {event!r}."}
        )
        raise AirflowFailException(str(error)) from error

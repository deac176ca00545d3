"""What the record and list entry sensors share: poke, the inline check before deferring, the event."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
)

from airflow_provider_attio.exceptions import AttioError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.policy import fail_fast_on_permanent_errors
from airflow_provider_attio.triggers._watch import WatchTrigger
from airflow_provider_attio.watch import RecordWatch, Verdict, Watching, check_now

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class WatchSensor(BaseSensorOperator):
    """A sensor that waits on a :class:`~airflow_provider_attio.watch.Watching`, poking or deferred.

    Subclasses set ``attio_conn_id`` and ``deferrable``, and say what they watch (:meth:`new_watching`)
    and which trigger waits for it (:meth:`make_trigger`).
    """

    attio_conn_id: str
    deferrable: bool

    @cached_property
    def hook(self) -> AttioHook:
        """The hook, built on first use (never in ``__init__``: no network at DAG parse time)."""
        return AttioHook(attio_conn_id=self.attio_conn_id)

    @cached_property
    def _watching(self) -> Watching:
        """What this sensor waits for, checked after templating; it remembers what it found gone."""
        return self.new_watching()

    def new_watching(self) -> Watching:
        """Validate the (templated) arguments and build the watch; raise :class:`AttioError` on bad input."""
        raise NotImplementedError

    def make_trigger(self, watch: RecordWatch, deadline: float) -> WatchTrigger:
        """The trigger that waits for ``watch`` in the triggerer, until ``deadline`` (epoch seconds)."""
        raise NotImplementedError

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
        self.defer(
            trigger=self.make_trigger(self._watching.watch, started + float(self.timeout)),
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

"""Operators that delete Attio records: one (:class:`AttioDeleteRecordOperator`) or many."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_attio.hooks.attio import AttioHook, validate_object, validate_record_id
from airflow_provider_attio.policy import (
    apply_if_not_found,
    fail_fast_on_permanent_errors,
    validate_if_not_found,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class AttioDeleteRecordOperator(BaseOperator):
    """Delete one Attio record.

    Deleting is permanent in Attio. A record that is already gone is handled by ``if_not_found``, so
    reruns and teardown tasks stay idempotent; a missing *object* always fails the task.

    .. code-block:: python

        AttioDeleteRecordOperator(
            task_id="delete_person", object="people", record_id="{{ params.record_id }}"
        )

    :param object: the object's api slug (``people``, ``companies``, ``deals``, a custom object's slug)
        or UUID. Templated.
    :param record_id: the record's UUID. Templated.
    :param if_not_found: what to do when the record does not exist: ``"succeed"`` (default: log a
        warning), ``"fail"`` (fail without retries) or ``"skip"`` (mark the task skipped).
    :param attio_conn_id: the Airflow connection to Attio. Templated.

    Returns (as XCom) ``{"object": ..., "record_id": ..., "outcome": "deleted" | "not_found"}``.
    Bad input, a missing object, 400, 401 and 403 fail the task without retries; rate limits, 5xx and
    timeouts that outlast the hook's retry budget leave Airflow's retries to act.
    """

    template_fields: Sequence[str] = ("object", "record_id", "attio_conn_id")
    ui_color = "#d9f2e6"

    def __init__(
        self,
        *,
        object: str,
        record_id: str,
        if_not_found: str = "succeed",
        attio_conn_id: str = AttioHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.object = object
        self.record_id = record_id
        self.if_not_found = validate_if_not_found(if_not_found)
        self.attio_conn_id = attio_conn_id

    @cached_property
    def hook(self) -> AttioHook:
        """The hook, built on first use (never in ``__init__``: no network at DAG parse time)."""
        return AttioHook(attio_conn_id=self.attio_conn_id)

    def execute(self, context: Context) -> dict[str, str]:
        with fail_fast_on_permanent_errors():
            object = validate_object(self.object)
            record_id = validate_record_id(self.record_id)
            outcome = self.hook.delete_record(object, record_id)
        if outcome == "not_found":
            apply_if_not_found(self.if_not_found, f"record {record_id} of {object!r}", self.log)
        else:
            self.log.info("Deleted Attio record %s of %r.", record_id, object)
        return {"object": object, "record_id": record_id, "outcome": outcome}

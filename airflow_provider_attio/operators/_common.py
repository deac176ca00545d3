"""What every Attio operator shares: the hook built on first use, whether a run is a retry, and how a
single delete's outcome becomes the task's."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.policy import IfNotFound, apply_if_not_found, note_not_found_on_retry

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class AttioOperator(BaseOperator):
    """An operator that talks to Attio through the hook of its ``attio_conn_id``."""

    attio_conn_id: str

    @cached_property
    def hook(self) -> AttioHook:
        """The hook, built on first use (never in ``__init__``: no network at DAG parse time)."""
        return AttioHook(attio_conn_id=self.attio_conn_id)


def is_retry(context: Context) -> bool:
    """Whether this run of the task follows an earlier try (an Airflow retry, or a cleared task)."""
    ti = context.get("ti") or context.get("task_instance")
    try_number = getattr(ti, "try_number", None)
    return isinstance(try_number, int) and try_number > 1


def single_delete_outcome(
    outcome: str, what: str, if_not_found: IfNotFound, context: Context, log: Any
) -> str:
    """The task's outcome of deleting one item: ``not_found`` on a retry is ``not_found_on_retry`` (this
    task's earlier try may have deleted it), else ``if_not_found`` applies; a deletion is logged.

    :param outcome: the hook's answer, ``"deleted"`` or ``"not_found"``.
    :param what: the item, e.g. ``record 891d... of 'people'``.
    :param if_not_found: the task's policy for an item that doesn't exist.
    :param context: the task's Airflow context.
    :param log: the task's logger.
    """
    if outcome == "not_found" and is_retry(context):
        note_not_found_on_retry(what, log)
        return "not_found_on_retry"
    if outcome == "not_found":
        apply_if_not_found(if_not_found, f"{what[:1].upper()}{what[1:]} was not found in Attio", log)
    else:
        log.info("Deleted Attio %s.", what)
    return outcome

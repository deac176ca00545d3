"""What the bulk engine deletes: records of an object, entries of a list, notes, tasks.

A :class:`Kind` is everything the engine needs to know about one of them: how to say it, how its archive
lines look, its container (an object, a list, or none) and how to confirm it exists, the ``GET`` that
archives or verifies one, the paced ``DELETE``, and (for all but records, whose targets the engine and
:mod:`~airflow_provider_attio.sync` resolve) how to find the targets. Each kind is defined beside its
procedures' hook methods: :data:`RECORDS` here, entries in :mod:`~airflow_provider_attio.entries`, notes
and tasks in :mod:`~airflow_provider_attio.activities`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_attio.archive import RECORD_LINES, ArchiveKey
from airflow_provider_attio.exceptions import AttioObjectNotFoundError

if TYPE_CHECKING:
    from airflow_provider_attio.core import DeleteOutcome
    from airflow_provider_attio.hooks.attio import AttioHook
    from airflow_provider_attio.options import BulkDeleteJob
    from airflow_provider_attio.pacing import RateLimitGate, ResendGate

#: ``(hook, container, id, rate_limit_gate, resend_gate)`` -> the DELETE's outcome.
Deleter = Callable[["AttioHook", str, str, "RateLimitGate | None", "ResendGate | None"], "DeleteOutcome"]
#: ``(hook, job, log)`` -> the target ids, and counts for the summary (``kept_shared``...).
Resolver = Callable[["AttioHook", "BulkDeleteJob", Any], "tuple[list[str], dict[str, int]]"]


@dataclass(frozen=True)
class Kind:
    """One kind of thing the bulk engine deletes.

    :param name: ``record``, ``entry``, ``note`` or ``task`` (the archive's ``kind``).
    :param noun: how messages name one (``record``, ``list entry``...).
    :param container: ``object``, ``list``, or ``None`` (notes and tasks belong to no container).
    :param lines: how its archive lines look.
    :param missing_container: the errors meaning the container is gone (they stop the run).
    :param confirm: raise if the container is missing (``hook, container``).
    :param get: the item as ``GET`` returns it, or :class:`AttioNotFoundError` (``hook, container, id``).
    :param delete: the paced ``DELETE``.
    :param resolve: find the targets when no ids are given (``None`` for records: the engine does).
    """

    name: str
    noun: str
    container: str | None
    lines: ArchiveKey
    missing_container: tuple[type[BaseException], ...]
    confirm: Callable[[AttioHook, str], None]
    get: Callable[[AttioHook, str, str], dict[str, Any]]
    delete: Deleter
    resolve: Resolver | None = None

    def of(self, container: str) -> str:
        """``of 'people'``, ``of list 'sales'``, or nothing (no container)."""
        if self.container is None:
            return ""
        return f"of {container!r}" if self.container == "object" else f"of {self.container} {container!r}"

    def many(self, count: int) -> str:
        """``1 record``, ``3 list entries``."""
        plural = self.noun[:-1] + "ies" if self.noun.endswith("y") else self.noun + "s"
        return f"{count:,} {self.noun if count == 1 else plural}"


def no_container(hook: AttioHook, container: str) -> None:
    """A kind without a container (notes, tasks): nothing to confirm."""


RECORDS = Kind(
    name="record",
    noun="record",
    container="object",
    lines=RECORD_LINES,
    missing_container=(AttioObjectNotFoundError,),
    confirm=lambda hook, object: hook.require_object(object),
    get=lambda hook, object, record_id: hook.get_record(object, record_id),
    delete=lambda hook, object, record_id, gate, resend: hook.delete_record(
        object, record_id, rate_limit_gate=gate, resend_gate=resend
    ),
)

"""What Attio says about records, as facts for the sensors: present, absent, merging, unavailable.

A fact is confirmed only when it is settled (a read of the record, or a second listing that leaves it
out): see :func:`confirm_absent`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_attio.core.procedure import Procedure
from airflow_provider_attio.core.records import query_page, read_record, record_id_of
from airflow_provider_attio.exceptions import AttioTransientError

RecordState = Literal["present", "absent", "merging", "unavailable"]


@dataclass(frozen=True)
class RecordFact:
    """What Attio says about one record, as facts: no sensor policy.

    :param record_id: the record's UUID.
    :param state: ``present``, ``absent``, ``merging`` (Attio's ``merge_in_progress``: the record exists
        but can't be read yet) or ``unavailable`` (rate limits, 5xx or timeouts outlasted the retries).
    :param confirmed: settled: read from the record itself (``GET``, :func:`check_record`), or, for an
        absence, left out by a second listing sent at once (:func:`confirm_absent`); ``False`` when only
        one listing said so. A query may list a record being merged, and a record it leaves out may be
        merging, so only a confirmed fact decides.
    :param record: the record, when present.
    :param detail: why it is ``merging`` or ``unavailable``.
    """

    record_id: str
    state: RecordState
    confirmed: bool = True
    record: dict[str, Any] | None = None
    detail: str = ""


def unavailable(record_ids: Iterable[str], error: BaseException) -> dict[str, RecordFact]:
    """The facts of records a transient failure left undecided (a listing, or a tick that was cancelled)."""
    detail = str(error) or type(error).__name__
    return {r: RecordFact(r, "unavailable", confirmed=False, detail=detail) for r in record_ids}


def fact_of(record_id: str, read: Procedure[dict[str, Any] | None]) -> Procedure[RecordFact]:
    """The fact a ``read`` (a record's, or an entry's: ``None`` when missing) comes to.

    A transient error outlasting the retries is ``unavailable`` ("not yet"; ``merging`` for a
    ``merge_in_progress``); other errors raise.
    """
    try:
        found = yield from read
    except AttioTransientError as err:
        state: RecordState = "merging" if err.code == "merge_in_progress" else "unavailable"
        return RecordFact(record_id, state, detail=str(err))
    return RecordFact(record_id, "absent" if found is None else "present", record=found)


def check_record(object: str, record_id: str, *, object_known: bool = False) -> Procedure[RecordFact]:
    """Read one record: present, absent, merging or unavailable (see :func:`read_record`).

    A missing object raises :class:`AttioObjectNotFoundError`; other permanent errors raise.
    """
    fact = yield from fact_of(record_id, read_record(object, record_id, object_known=object_known))
    return fact


def list_by_id(object: str, record_ids: Sequence[str]) -> Procedure[dict[str, RecordFact]]:
    """Which of ``record_ids`` (at most :data:`IDS_PER_QUERY`) exist: one ``record_id`` ``$in`` query.

    Returns an unconfirmed fact for each id: ``present`` with the record when listed, else ``absent``. A
    record matches at most once, so one page of ``limit=len(record_ids)`` holds every answer. A 404 on the
    query means the object is missing; a transient error is raised for the caller to apply to every id.
    """
    wanted = list(dict.fromkeys(record_ids))
    listed = yield from query_page(object, {"record_id": {"$in": wanted}}, limit=max(1, len(wanted)))
    facts = {record_id: RecordFact(record_id, "absent", confirmed=False) for record_id in wanted}
    for record in listed:
        record_id = record_id_of(record)
        if record_id in facts:
            facts[record_id] = RecordFact(record_id, "present", confirmed=False, record=record)
    return facts


def confirm_absent(object: str, record_ids: Sequence[str]) -> Procedure[dict[str, RecordFact]]:
    """Confirm that records a listing left out are gone: a second ``record_id`` ``$in`` query, at once.

    Sent right after the :func:`list_by_id` that left ``record_ids`` (at most :data:`IDS_PER_QUERY`) out.
    An id this query leaves out too is a confirmed ``absent``; one it lists is ``present``, unconfirmed
    (not gone after all). Nothing is read record by record.

    What a confirmed absence must prove is what a single-record read proves: the object exists, the
    record doesn't, and it isn't merely unreadable for now (``merge_in_progress`` means "not yet"):

    * **The object exists**: the query was answered 200 (a missing object is a 404, raised as
      :class:`~airflow_provider_attio.exceptions.AttioObjectNotFoundError`), so it needs no object check.
    * **The record doesn't exist**: two answers leave it out, not one. A single answer is never the only
      evidence for a permanent conclusion (deletes are final: a sensor never asks again).
    * **A merge can't bring it back.** A query may leave out a record being merged, and only a read
      says ``merge_in_progress``; for an absence that difference doesn't outlast the merge. Attio's
      reference for merging records: a merge makes a *new* record and marks both originals as merged,
      never to be read or written again; ``merge_in_progress`` is what the new record answers until an
      asynchronous merge completes. So an original left out while it is merged away is gone for good
      under its id, as a deleted record is, and the only record that becomes readable afterwards is the
      new one, whose id nobody had before the merge answered (nobody waits for it to be gone). A record
      awaited *present* is different: a listing of the new record (or of an original being merged
      away) would say present too early, so a present record is still confirmed by
      :func:`check_record`, a read.

    A query answered ``merge_in_progress`` (or 429, 5xx, a timeout) outlasting the retries is raised
    as a transient error, for the caller to apply to every id: "not yet", never gone.
    """
    facts = yield from list_by_id(object, record_ids)
    return {r: RecordFact(r, "absent") if f.state == "absent" else f for r, f in facts.items()}

"""What a record sensor's checks mean: Attio's facts in, a verdict out.

The sensor's ``poke`` and the deferred trigger both decide here, on the same
:class:`~airflow_provider_attio.core.RecordFact` values, so the two modes cannot disagree. Only the
way the facts are gathered differs: a poking sensor asks Attio itself, a trigger gets its records'
listings (and their confirmations) from the batch queries its triggerer runs for every sensor watching
the same object.

A listing (a ``record_id`` ``$in`` query) only says what *looks* settled. Before a sensor is done, each
record it is waiting on is confirmed, in batches where a batch can prove it:

* a record awaited **absent** that a listing left out is confirmed by a second ``$in`` query sent at once
  (:func:`~airflow_provider_attio.core.confirm_absent`, whose docstring argues why that proves what
  a read would: N records gone at once cost ceil(N / 250) more queries, never a read per record);
* a record awaited **present** that a listing showed is read (``GET``), as a single-record poke reads
  it: only a read tells a readable record from one being merged (``merge_in_progress``, "not yet").

Confirming stops once the verdict is known: with ``require="any"`` at the first record confirmed as
wanted (reads one by one; for absences one query's worth of ids), with ``"all"`` at the first that
isn't. A record that a ``wait_for="absent"`` sensor has confirmed gone stays gone (Attio's deletes are
permanent): it is not asked about again.

List entries (:data:`ENTRIES`, the ``AttioListEntrySensor``) are decided by the same code, but gathered
differently: Attio's OpenAPI documents no ``entry_id`` filter for ``POST /v2/lists/{list}/entries/query``
(its ``filter`` is free-form, and Attio's filtering guide shows ``record_id`` for records only), so there
is no batched listing to trust. Each entry is read (``GET``), every read is confirmed, and reads stop as
soon as the check's verdict is known (:meth:`RecordWatch.next_to_read`); they are paced at
:data:`ENTRY_READS_PER_SECOND`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from airflow_provider_attio import options
from airflow_provider_attio.core import (
    IDS_PER_QUERY,
    Answer,
    ApiRequest,
    RecordFact,
    check_entry,
    check_record,
    chunked,
    confirm_absent,
    list_by_id,
    require_list,
    run,
    unavailable,
)
from airflow_provider_attio.exceptions import AttioTransientError, AttioValidationError
from airflow_provider_attio.pacing import SteadyPacer
from airflow_provider_attio.validation import (
    WaitFor,
    shorten,
    validate_object,
    validate_record_id,
    validate_wait_for,
)

Require = Literal["all", "any"]
REQUIRE_CHOICES: tuple[str, ...] = ("all", "any")
#: Entries are read one by one (no batched form): a poke, and each connection of a triggerer, reads at
#: most this many a second, a tenth of Attio's 100 reads/s shared by every app of the workspace.
ENTRY_READS_PER_SECOND = 10.0


@dataclass(frozen=True)
class Kind:
    """What a watch waits on: records of an object, or entries of a list.

    :param container: ``"object"`` or ``"list"``: the XCom's key for it, and its word in messages.
    :param item: ``"record"`` or ``"entry"``: the XCom's ``<item>_id`` key, and its word in messages.
    :param items: the plural, the XCom key of a ``"present"`` watch's matched items.
    :param listed: a query can list them by id (records, ``record_id`` ``$in``); entries are read one by
        one (Attio documents no ``entry_id`` filter for the entries query).
    """

    container: str
    item: str
    items: str
    listed: bool

    def name(self, ref: str) -> str:
        """How messages name the container: ``'people'``, ``list 'sales'``."""
        return f"{ref!r}" if self.container == "object" else f"{self.container} {ref!r}"


RECORDS = Kind("object", "record", "records", listed=True)
ENTRIES = Kind("list", "entry", "entries", listed=False)


def validate_require(value: Any) -> Require:
    """Return ``value`` if it is ``"all"`` or ``"any"``, else raise :class:`AttioValidationError`."""
    if value in REQUIRE_CHOICES:
        return value
    raise AttioValidationError(f"require must be 'all' or 'any'; got {shorten(value)}.")


@dataclass(frozen=True)
class Verdict:
    """One check's conclusion: done or not, a line for the log, and the sensor's XCom when done."""

    done: bool
    detail: str
    xcom: Any = None


@dataclass(frozen=True)
class RecordWatch:
    """What a sensor waits for: records of one object to be ``present`` or ``absent``.

    :param object: the object's api slug or UUID (validated).
    :param record_ids: the records' UUIDs (validated, lower case, no duplicates).
    :param wait_for: ``"present"`` or ``"absent"``.
    :param require: ``"all"`` of the records, or ``"any"`` one of them.
    :param single: the sensor was given one ``record_id`` (not ``record_ids``): its XCom keeps the
        single-record shape.
    :param kind: :data:`RECORDS`, or :data:`ENTRIES` (then ``object`` is the list and ``record_ids`` the
        entries' ids: see :meth:`of_entries`).
    """

    object: str
    record_ids: tuple[str, ...]
    wait_for: WaitFor
    require: Require = "all"
    single: bool = False
    kind: Kind = RECORDS

    @classmethod
    def of(
        cls,
        object: Any,
        *,
        record_id: Any = None,
        record_ids: Any = None,
        wait_for: Any = "present",
        require: Any = "all",
    ) -> RecordWatch:
        """Check the sensor's arguments (after templating) and build the watch; raise on bad input."""
        if (record_id is None) == (record_ids is None):
            raise AttioValidationError(
                "Give exactly one of record_id (one record UUID) or record_ids (a list of them)."
            )
        ids = (validate_record_id(record_id),) if record_ids is None else normalize_record_ids(record_ids)
        watch = cls(
            validate_object(object),
            ids,
            validate_wait_for(wait_for),
            validate_require(require),
            record_ids is None,
        )
        if not ids and watch.require == "any":
            raise AttioValidationError(
                "record_ids is empty: with require='any' the sensor could never succeed."
            )
        return watch

    @classmethod
    def of_entries(
        cls,
        list_ref: Any,
        *,
        entry_id: Any = None,
        entry_ids: Any = None,
        wait_for: Any = "present",
        require: Any = "all",
    ) -> RecordWatch:
        """The watch of an entry sensor: the list checked like an object, the ids like record ids."""
        if (entry_id is None) == (entry_ids is None):
            raise AttioValidationError(
                "Give exactly one of entry_id (one entry UUID) or entry_ids (a list of them)."
            )
        ids = (
            (validate_record_id(entry_id, "entry_id"),)
            if entry_ids is None
            else tuple(options.normalize_record_ids(entry_ids, "entry_ids", id_field="entry_id"))
        )
        watch = cls(
            validate_object(list_ref, "list"),
            ids,
            validate_wait_for(wait_for),
            validate_require(require),
            entry_ids is None,
            ENTRIES,
        )
        if not ids and watch.require == "any":
            raise AttioValidationError(
                "entry_ids is empty: with require='any' the sensor could never succeed."
            )
        return watch

    def wanted(self, fact: RecordFact | None) -> bool:
        """Whether a record's fact is what the sensor waits for (listed or confirmed)."""
        return fact is not None and fact.state == self.wait_for

    def _confirmed_as_wanted(self, fact: RecordFact | None) -> bool:
        return fact is not None and fact.confirmed and self.wanted(fact)

    def to_confirm(self, facts: Mapping[str, RecordFact]) -> list[str]:
        """The records to confirm before deciding: those whose listing looks as wanted, when confirming
        them could finish the wait. Nothing while another record is not ready yet (``"all"``); with
        ``"any"``, absences one query's worth (a query asks about 1 id or 250 for one request), and
        presences all, to be read one by one until one is confirmed (see :meth:`settled`)."""
        if self.require == "any" and any(self._confirmed_as_wanted(f) for f in facts.values()):
            return []
        looks_wanted = [r for r in self.record_ids if self.wanted(facts.get(r))]
        if self.require == "all" and len(looks_wanted) < len(self.record_ids):
            return []
        candidates = [r for r in looks_wanted if not facts[r].confirmed]
        if self.require == "any" and self.wait_for == "absent":
            return candidates[:IDS_PER_QUERY]
        return candidates

    def settled(self, facts: Mapping[str, RecordFact]) -> bool:
        """Whether confirming more records can't change this check's verdict: with ``"any"``, one record
        is confirmed as wanted; with ``"all"``, one record isn't as wanted."""
        if self.require == "any":
            return any(self._confirmed_as_wanted(facts.get(r)) for r in self.record_ids)
        return any(not self.wanted(facts.get(r)) for r in self.record_ids)

    def judge(self, facts: Mapping[str, RecordFact]) -> Verdict:
        """The verdict on confirmed facts: done when all (or any) records are as wanted."""
        matched = [
            r for r in self.record_ids if facts.get(r) and facts[r].confirmed and self.wanted(facts[r])
        ]
        done = len(matched) == len(self.record_ids) if self.require == "all" else bool(matched)
        if self.single:
            return self._single_verdict(facts.get(self.record_ids[0]), done)
        pending = [r for r in self.record_ids if r not in matched]
        kind = self.kind
        detail = (
            f"{len(matched)} of {len(self.record_ids)} {kind.items} of {kind.name(self.object)} are "
            f"{self.wait_for} (require={self.require!r}){_why_waiting(pending, facts)}."
        )
        if not done:
            return Verdict(False, detail)
        xcom: dict[str, Any] = {
            kind.container: self.object,
            "wait_for": self.wait_for,
            "require": self.require,
            "matched": matched,
            "unmatched": pending,
        }
        if self.wait_for == "present":
            xcom[kind.items] = [self._summary(facts[r]) for r in matched]
        return Verdict(True, detail, xcom)

    def _single_verdict(self, fact: RecordFact | None, done: bool) -> Verdict:
        what = f"{self.kind.item.capitalize()} {self.record_ids[0]} of {self.kind.name(self.object)}"
        if fact is None or fact.state in ("merging", "unavailable"):
            return Verdict(False, f"Not decided yet: {fact.detail if fact else 'no answer'}")
        if fact.state == "absent":
            return Verdict(done, f"{what} does not exist.")
        if not done:
            return Verdict(False, f"{what} still exists.")
        return Verdict(True, f"{what} exists.", self._summary(fact))

    def _summary(self, fact: RecordFact) -> dict[str, Any]:
        """A present item's XCom: a record's ids and ``web_url``, an entry's ids and parent record."""
        item = fact.record or {}
        summary = {
            self.kind.container: self.object,
            f"{self.kind.item}_id": fact.record_id,
            "id": item.get("id"),
        }
        if self.kind is ENTRIES:
            return {
                **summary,
                "parent_object": item.get("parent_object"),
                "parent_record_id": item.get("parent_record_id"),
            }
        return {**summary, "web_url": item.get("web_url")}

    def next_to_read(self, facts: Mapping[str, RecordFact]) -> str | None:
        """For items read one by one (entries): the next unread, or ``None`` once this check's verdict is
        known (``"all"``: one read isn't as wanted; ``"any"``: one is). ``facts`` holds the reads so far
        (and the items confirmed gone)."""
        read = [facts[r] for r in self.record_ids if r in facts]
        wanted = [self.wanted(f) for f in read]
        if (self.require == "all" and not all(wanted)) or (self.require == "any" and any(wanted)):
            return None
        return next((r for r in self.record_ids if r not in facts), None)


def _why_waiting(pending: list[str], facts: Mapping[str, RecordFact]) -> str:
    states = [facts[r].state for r in pending if r in facts]
    notes = [f"{states.count(s)} {s}" for s in ("merging", "unavailable") if s in states]
    return f"; waiting on {', '.join(notes)}" if notes else ""


def normalize_record_ids(record_ids: Any, field_name: str = "record_ids") -> tuple[str, ...]:
    """Validate a list of record ids (or records as Attio returns them), lower-cased, first occurrence kept.

    A templated value rendered to a string holding a JSON or Python list is parsed back.
    """
    return tuple(options.normalize_record_ids(record_ids, field_name))


@dataclass
class Watching:
    """A watch being waited on, and the records a ``wait_for="absent"`` watch has read gone (deletes are
    permanent, so those are not asked about again)."""

    watch: RecordWatch
    gone: dict[str, RecordFact] = field(default_factory=dict)

    @classmethod
    def of(cls, task: Any) -> Watching:
        """The watch of a sensor or of its trigger (both carry object, record_id(s), wait_for, require)."""
        return cls(
            RecordWatch.of(
                task.object,
                record_id=task.record_id,
                record_ids=task.record_ids,
                wait_for=task.wait_for,
                require=task.require,
            )
        )

    @classmethod
    def of_entries(cls, task: Any) -> Watching:
        """The watch of an entry sensor or of its trigger (list, entry_id(s), wait_for, require)."""
        return cls(
            RecordWatch.of_entries(
                task.list,
                entry_id=task.entry_id,
                entry_ids=task.entry_ids,
                wait_for=task.wait_for,
                require=task.require,
            )
        )

    def merge(self, listing: Mapping[str, RecordFact]) -> dict[str, RecordFact]:
        """A listing's facts, with the records already confirmed gone."""
        return {**listing, **self.gone}

    @property
    def pending(self) -> tuple[str, ...]:
        """The records still to list: all of them but those confirmed gone."""
        return tuple(r for r in self.watch.record_ids if r not in self.gone)

    def conclude(self, facts: Mapping[str, RecordFact]) -> Verdict:
        """The verdict once the records of :meth:`RecordWatch.to_confirm` are confirmed (or some are
        and the rest can't change it)."""
        if self.watch.wait_for == "absent":  # a record waited for may not be readable yet: never cached
            self.gone.update({r: f for r, f in facts.items() if f.confirmed and f.state == "absent"})
        return self.watch.judge(facts)


def check_now(watching: Watching, send: Callable[[ApiRequest], Answer]) -> Verdict:
    """One poke: gather the facts with a blocking client (the hook's ``send``), then decide.

    One record is read directly; several are listed (a query per :data:`~core.IDS_PER_QUERY` ids)
    first, then confirmed (:func:`confirm_now`) only when that could finish the wait.
    """
    watch = watching.watch
    if not watch.kind.listed:
        return watching.conclude(read_now(watching, send))
    if len(watch.record_ids) == 1 and not watching.gone:
        record_id = watch.record_ids[0]
        return watching.conclude({record_id: run(check_record(watch.object, record_id), send)})
    listing: dict[str, RecordFact] = {}
    for chunk in chunked(watching.pending):
        listing.update(_or_unavailable(chunk, lambda ids: run(list_by_id(watch.object, ids), send)))
    facts = watching.merge(listing)
    facts.update(confirm_now(watch, facts, send))
    return watching.conclude(facts)


def read_now(
    watching: Watching, send: Callable[[ApiRequest], Answer], pace: Callable[[], None] | None = None
) -> dict[str, RecordFact]:
    """One poke of items read one by one (entries): a ``GET`` each, in order, until the verdict is known
    (:meth:`RecordWatch.next_to_read`), ``pace`` called before each read but the first. The first entry found
    missing asks for the list once (a missing list raises
    :class:`~airflow_provider_attio.exceptions.AttioListNotFoundError`; a transient failure makes that
    entry ``unavailable``); the facts, with those gone."""
    watch, pace = watching.watch, pace or SteadyPacer(ENTRY_READS_PER_SECOND).wait
    facts, list_known, reads = watching.merge({}), False, 0
    while (entry_id := watch.next_to_read(facts)) is not None:
        if reads:
            pace()
        reads += 1
        facts[entry_id] = fact = run(check_entry(watch.object, entry_id, list_known=True), send)
        if fact.state == "absent" and not list_known:
            list_known = _list_exists(watch.object, entry_id, facts, send)
    return facts


def _list_exists(
    list_ref: str, entry_id: str, facts: dict[str, RecordFact], send: Callable[[ApiRequest], Answer]
) -> bool:
    """Ask whether the list exists, ``entry_id`` having been read missing; a missing list raises. A
    transient error (429, 5xx, a timeout) proves nothing: the entry is ``unavailable`` ("not yet", as the
    trigger decides), and the next entry read missing asks again."""
    try:
        run(require_list(list_ref), send)
    except AttioTransientError as err:
        facts.update(unavailable([entry_id], err))
        return False
    return True


def confirm_now(
    watch: RecordWatch, facts: Mapping[str, RecordFact], send: Callable[[ApiRequest], Answer]
) -> dict[str, RecordFact]:
    """Confirm what a listing said (:meth:`RecordWatch.to_confirm`) with a blocking client, until settled.

    Absences: a :func:`~core.confirm_absent` query per :data:`~core.IDS_PER_QUERY` ids. Presences:
    a read per record. Stops as soon as :meth:`RecordWatch.settled`.
    """
    found = dict(facts)
    candidates = watch.to_confirm(found)
    if watch.wait_for == "absent":
        for chunk in chunked(candidates):
            found.update(_or_unavailable(chunk, lambda ids: run(confirm_absent(watch.object, ids), send)))
            if watch.settled(found):
                break
    else:
        for record_id in candidates:
            found[record_id] = run(check_record(watch.object, record_id, object_known=True), send)
            if watch.settled(found):
                break
    return {r: found[r] for r in candidates if r in found}


def _or_unavailable(
    ids: Sequence[str], ask: Callable[[Sequence[str]], dict[str, RecordFact]]
) -> dict[str, RecordFact]:
    """``ask(ids)``, or, when it failed for now (429, 5xx, a merge, a timeout), each id ``unavailable``."""
    try:
        return ask(ids)
    except AttioTransientError as err:
        return unavailable(ids, err)

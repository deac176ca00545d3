"""The restore engine: bring back, as new records, what a bulk delete archived.

Attio has no recycle bin; the bulk delete's archive (``archive_to``) holds each record's JSON as ``GET``
returned it before its DELETE. :func:`restore_records` (also ``AttioHook.restore_records``,
``AttioRestoreRecordsOperator`` and ``python -m airflow_provider_attio restore``) runs in stages, as the
bulk delete does: plan (read the archive and the id mapping beside it, choose the records, learn the
object's attributes, check the records the archive doesn't show deleted and where references point),
run (paced creates in waves, referenced records first; each create announced, then its ``old -> new``
id written durably), put back the references to records created after the record that holds them, and
report. ``docs/restore.md`` is the user's guide.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar

from airflow_provider_attio import core
from airflow_provider_attio.archive import (
    Archive,
    ArchiveWriteError,
    LocalArchive,
    ObjectStorageArchive,
    archive_error,
    open_archive,
)
from airflow_provider_attio.exceptions import (
    ArchiveLocationError,
    AttioAuthError,
    AttioError,
    AttioObjectNotFoundError,
    AttioOutcomeUnknownError,
    AttioResponseError,
    AttioRestorePermanentError,
    AttioRestoreRetryableError,
    AttioTransientError,
    AttioValidationError,
)
from airflow_provider_attio.options import ATTIO_WRITES_PER_SECOND, DEFAULT_MAX_RECORDS, normalize_record_ids
from airflow_provider_attio.pacing import MIN_PACE, Pacer, paced_call
from airflow_provider_attio.runs import ALL_RUNS, NO_RUN, check_run
from airflow_provider_attio.validation import shorten, validate_object, validate_positive_int
from airflow_provider_attio.values import (
    AttributeSpec,
    WriteValues,
    lookup_filter,
    references,
    same_values,
    writable_values,
)

if TYPE_CHECKING:
    from airflow_provider_attio.hooks.attio import AttioHook, RateLimited

__all__ = [
    "RestoreJob",
    "RestoreOptions",
    "RestoreSummary",
    "archive_runs",
    "check_restore_job",
    "restore_options",
    "restore_records",
]

T = TypeVar("T")
OnConflict = Literal["skip", "fail"]

DEFAULT_MAX_CONCURRENCY = 8
#: The mapping's segments on object storage begin with this (the archive's own segments with a time).
MAPPING_PREFIX = "mapping-"
#: A record found after a lost answer is taken for the one this restore created only if Attio created it
#: at most this long before the create was sent (clocks differ); an older one is someone else's.
CLOCK_SKEW_SECONDS = 300.0
#: How many creates of one record a run sends when their answers are lost and no record is found.
CREATE_ATTEMPTS = 2
#: How many records a lookup after a lost answer reads.
LOOKUP_LIMIT = 100
DRY_RUN_SAMPLE = 10
NAMED_IN_ERRORS = 5
#: How many runs an error or the log lists (the latest ones).
RUNS_LISTED = 20
TRANSIENT_FAILURES_TO_STOP = 20
PROGRESS_EVERY_SECONDS = 5.0

_module_log = logging.getLogger(__name__)


# -- what is asked -------------------------------------------------------------------------------------


def _check_rate(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not MIN_PACE <= value < math.inf:
        raise AttioValidationError(
            f"writes_per_second must be a number from {MIN_PACE:g} (Attio allows {ATTIO_WRITES_PER_SECOND:g} "
            f"writes/s per workspace), or None for no pacing; got {shorten(value)}."
        )
    return float(value)


@dataclass(frozen=True)
class RestoreOptions:
    """How a restore runs; checked when built (``docs/restore.md`` explains each option).

    :param dry_run: read and report what would be restored, write nothing.
    :param writes_per_second: the pace of creates (Attio allows 25 per workspace); ``None``: unpaced.
    :param max_records: safety cap: more chosen records fail the run before anything is written.
    :param on_conflict: a unique value held by another record: ``"skip"`` the record, or ``"fail"`` the
        run once the others are done.
    :param max_concurrency: concurrent requests, 1 to 32.
    """

    dry_run: bool = False
    writes_per_second: float | None = ATTIO_WRITES_PER_SECOND
    max_records: int = DEFAULT_MAX_RECORDS
    on_conflict: OnConflict = "skip"
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY

    def __post_init__(self) -> None:
        if not isinstance(self.dry_run, bool):
            raise AttioValidationError(f"dry_run must be True or False; got {shorten(self.dry_run)}.")
        if self.on_conflict not in ("skip", "fail"):
            raise AttioValidationError(
                f"on_conflict must be 'skip' or 'fail'; got {shorten(self.on_conflict)}."
            )
        validate_positive_int(self.max_records, "max_records")
        if validate_positive_int(self.max_concurrency, "max_concurrency") > 32:
            raise AttioValidationError(f"max_concurrency must be at most 32; got {self.max_concurrency}.")
        object.__setattr__(self, "writes_per_second", _check_rate(self.writes_per_second))


@dataclass(frozen=True)
class RestoreJob:
    """A checked restore: where the archive is, which records, how."""

    archive_from: Any
    object: str | None
    record_ids: list[str] | None
    options: RestoreOptions = field(default_factory=RestoreOptions)
    #: The run whose records to restore (a mapped task's id without a map index: every map index),
    #: ``"all"``, ``"none"`` (lines without a run), or ``None``.
    run: str | None = None


def restore_options(options: RestoreOptions | None = None, **values: Any) -> RestoreOptions:
    """``options``, or options built from keyword values (``dry_run=True``...); not both."""
    names = {f for f in RestoreOptions.__dataclass_fields__}
    unknown = sorted(set(values) - names)
    if unknown:
        raise AttioValidationError(
            f"Unknown restore option(s) {', '.join(unknown)}; the options are {', '.join(sorted(names))}."
        )
    if options is not None and values:
        raise AttioValidationError("Give options=RestoreOptions(...) or option keywords, not both.")
    return options if options is not None else RestoreOptions(**values)


def check_restore_job(
    archive_from: Any,
    *,
    object: Any = None,
    record_ids: Any = None,
    options: RestoreOptions | None = None,
    run: Any = None,
) -> RestoreJob:
    """Check a restore's inputs without reading or sending anything; raise on the first bad one.

    :param archive_from: the archive, as the bulk delete's ``archive_to`` took it.
    :param object: the object whose records to restore; ``None``: the archive's only object.
    :param record_ids: restore only these archived records (their old ids); ``None``: every one.
    :param options: the run's options (the defaults if ``None``).
    :param run: restore the records this run archived (a mapped task's ``dag_id/run_id/task_id``, when
        no run has exactly that id: every ``/<map index>`` of it); ``"all"``: every run's; ``None``: the
        archive's only run (an archive of several runs then fails, listing them).
    """
    if archive_from is None or (isinstance(archive_from, str) and not archive_from.strip()):
        raise AttioValidationError(
            "archive_from must be the archive's path or URI (the archive_to of the delete)."
        )
    ids = normalize_record_ids(record_ids) if record_ids is not None else None
    object_ref = validate_object(object) if object is not None else None
    return RestoreJob(
        archive_from, object_ref, ids, options or RestoreOptions(), check_run(run, choosing=True)
    )


class RestoreSummary(TypedDict):
    """What a restore did: small and JSON-safe, fit for XCom (never record ids).

    ``restored + skipped_already_restored + still_present + deleted_by_other_run + conflicts + failed ==
    requested`` once a run completes.
    """

    #: The object's api slug or UUID, as the archive (or ``object``) names it.
    object: str
    #: The run whose records were chosen (``"all"``: every run's; ``None``: lines without a run id).
    run: str | None
    #: Archived records chosen: the object's records in the archive, or the given ``record_ids``.
    requested: int
    #: Records this run created (or found created by an earlier attempt whose answer was lost).
    restored: int
    #: Records the mapping shows an earlier run restored: nothing was sent for them.
    skipped_already_restored: int
    #: Records the archive doesn't show deleted (a failed or unfinished delete) that are still in Attio.
    still_present: int
    #: Records the chosen run archived but didn't delete, which another run of the archive deleted since:
    #: not restored (restoring that run brings them back; the log names it).
    deleted_by_other_run: int
    #: Records a unique value of which another record holds now (someone re-created them meanwhile).
    conflicts: int
    #: Records that could not be restored (the run then raises, naming them).
    failed: int
    #: ``True`` when nothing was written on purpose.
    dry_run: bool
    #: Where the ``old -> new`` record id mapping is (``None`` in a dry run).
    mapping: str | None
    #: ``{attribute: records}``: attributes whose values (some or all) could not be written.
    not_written: dict[str, int]
    #: ``{attribute: records}``: references to records neither in Attio nor restored, left out.
    unresolved_references: dict[str, int]
    #: The pace the run settled on (writes/s); ``None`` when unpaced.
    final_writes_per_second: float | None
    #: Answers that were 429, each absorbed by waiting and sending again.
    rate_limited: int


# -- the archive and the mapping beside it -------------------------------------------------------------


def _parse(lines: Iterable[bytes], unreadable: list[int]) -> Iterator[dict[str, Any]]:
    for raw in lines:
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            unreadable[0] += 1  # a line a killed process was writing
            continue
        if isinstance(entry, dict) and isinstance(entry.get("record_id"), str):
            yield entry


@dataclass
class _RunLines:
    """One run's records of one object in the archive (the last copy of each), and when it archived
    them."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The archive line of each record's copy: several runs chosen together keep the latest copy.
    lines: dict[str, int] = field(default_factory=dict)
    first: str = ""
    last: str = ""

    def add(self, record_id: str, record: dict[str, Any], at: Any, line: int) -> None:
        self.records[record_id] = record
        self.lines[record_id] = line
        if isinstance(at, str) and at:
            self.first = min(self.first, at) if self.first else at
            self.last = max(self.last, at)

    def facts(self, object_ref: str, run: str) -> dict[str, Any]:
        """What ``archive_runs`` says of it (JSON-safe)."""
        return {
            "object": object_ref,
            "run": None if run == NO_RUN else run,
            "records": len(self.records),
            "first_archived_at": self.first or None,
            "last_archived_at": self.last or None,
        }


@dataclass
class _Archived:
    """What the archive holds: each object's records (the last copy of each, in archive order), and
    each object's records by the run that archived them (``"none"``: lines without a run id), and the
    runs whose outcome lines say they deleted each record."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    runs: dict[str, dict[str, _RunLines]] = field(default_factory=dict)
    deleted: dict[str, set[str]] = field(default_factory=dict)
    unreadable: int = 0


def _read_archive(archive: Archive) -> _Archived:
    found, unreadable = _Archived(), [0]
    for line, entry in enumerate(_parse(archive.lines(), unreadable)):
        record_id = entry["record_id"].lower()
        run = entry.get("run")
        run = run if isinstance(run, str) and run else NO_RUN
        if entry.get("type") == "record" and isinstance(entry.get("record"), dict):
            object_ref = str(entry.get("object"))
            found.records.setdefault(object_ref, {})[record_id] = entry["record"]
            lines = found.runs.setdefault(object_ref, {}).setdefault(run, _RunLines())
            lines.add(record_id, entry["record"], entry.get("archived_at"), line)
        elif entry.get("type") == "outcome" and entry.get("outcome") == "deleted":
            found.deleted.setdefault(record_id, set()).add(run)
    found.unreadable = unreadable[0]
    return found


class _MappingLog(Archive):
    """The restore's log beside the archive, durable as the archive is. Its lines, each with ``object``,
    ``record_id`` (the archived id) and ``at``: ``creating`` (before a create is sent), ``restored``
    (``new_record_id``; ``deferred``, references put back later) and ``references`` (put back)."""

    def append(self, entry: dict[str, Any], *, durable: bool) -> None:
        """Add a line; ``durable`` returns once it is on disk (or uploaded)."""
        line = json.dumps({**entry, "at": _iso(time.time())}, separators=(",", ":"), ensure_ascii=False)
        self._write((line + "\n").encode(), wait=durable)

    def entries(self) -> Iterator[dict[str, Any]]:
        """The lines written so far (a line cut short by a killed process is skipped)."""
        yield from _parse(self._read_lines(), [0])


class _LocalMapping(_MappingLog, LocalArchive):
    """The mapping of a local archive: a JSON Lines file next to it."""


class _SegmentMapping(_MappingLog, ObjectStorageArchive):
    """The mapping of an archive on object storage: segments in the archive's folder, named
    ``mapping-<time>-<run>-<n>.jsonl`` (which the archive's reader passes over: no line is a record)."""

    def __init__(self, folder: Any, location: str) -> None:
        super().__init__(folder, location)
        self._prefix = MAPPING_PREFIX + self._prefix

    def _read_lines(self) -> Iterator[bytes]:
        fs, root = self.folder.fs, str(self.folder.path).rstrip("/")
        try:
            segments = sorted(fs.glob(f"{root}/{MAPPING_PREFIX}*.jsonl"))
        except FileNotFoundError:
            return
        for segment in segments:
            yield from fs.cat_file(segment).splitlines()


def _open_mapping(archive: LocalArchive | ObjectStorageArchive) -> _LocalMapping | _SegmentMapping:
    if isinstance(archive, LocalArchive):
        name = archive.path.name.removesuffix(".jsonl")
        path = archive.path.with_name(f"{name}.mapping.jsonl")
        return _LocalMapping(path, str(path))
    return _SegmentMapping(archive.folder, f"{archive.location.rstrip('/')}/{MAPPING_PREFIX}*.jsonl")


@dataclass
class _Mapped:
    """What the mapping says of earlier runs (of any object restored from this archive)."""

    new_ids: dict[str, str] = field(default_factory=dict)
    #: Records a create was sent for, with when (epoch seconds): it may have been applied.
    creating: dict[str, float] = field(default_factory=dict)
    deferred: dict[str, tuple[str, ...]] = field(default_factory=dict)
    patched: set[str] = field(default_factory=set)


def _read_mapping(mapping: _MappingLog) -> _Mapped:
    found = _Mapped()
    for entry in mapping.entries():
        old, kind = entry["record_id"].lower(), entry.get("type")
        if kind == "creating":
            found.creating[old] = _epoch(entry.get("at")) or 0.0
        elif kind == "restored" and isinstance(entry.get("new_record_id"), str):
            found.new_ids[old] = entry["new_record_id"].lower()
            found.deferred[old] = tuple(entry.get("deferred") or ())
        elif kind == "references":
            found.patched.add(old)
    return found


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _epoch(text: Any) -> float | None:
    """Seconds since the epoch of an ISO time as Attio (nine fraction digits) or the mapping writes it."""
    if not isinstance(text, str) or len(text) < 19:
        return None
    head, _, rest = text.partition(".")
    fraction = "".join(c for c in rest if c.isdigit())[:6]
    try:
        moment = datetime.fromisoformat(head + (f".{fraction}" if fraction else ""))
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).timestamp()


# -- the plan --------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What a run will do, decided before any write."""

    object: str
    chosen: list[str]
    specs: dict[str, AttributeSpec]
    mapped: _Mapped
    #: The chosen run as given (a mapped task's id chooses its map indexes), ``"all"`` or ``"none"``.
    run: str = ALL_RUNS
    #: The runs whose records are chosen; ``None``: every run.
    runs: frozenset[str] | None = None
    todo: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    #: Records the chosen run didn't delete and other runs did: old id -> those runs.
    deleted_elsewhere: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unchecked: dict[str, AttioError] = field(default_factory=dict)
    values: dict[str, WriteValues] = field(default_factory=dict)
    not_written: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, str] = field(default_factory=dict)
    unresolved: Counter[str] = field(default_factory=Counter)


def _choose(
    archived: _Archived, job: RestoreJob, location: str
) -> tuple[str, str, frozenset[str] | None, dict[str, dict[str, Any]]]:
    """The object, the run (or ``"all"``), the runs it chooses (``None``: every one), and the chosen
    archived records (old id -> record)."""
    object_ref = _choose_object(archived, job, location)
    runs = archived.runs[object_ref]
    run, chosen = _choose_run(object_ref, runs, job, location)
    records = archived.records[object_ref] if chosen is None else _union(runs, chosen)
    if job.record_ids is None:
        return object_ref, run, chosen, records
    missing = [rid for rid in job.record_ids if rid not in records]
    if missing:
        where = "" if run == ALL_RUNS else f" by run {run!r}"
        raise AttioValidationError(
            f"{len(missing)} of record_ids are not archived records of {object_ref!r}{where} in {location}: "
            f"{', '.join(missing[:NAMED_IN_ERRORS])}{' ...' if len(missing) > NAMED_IN_ERRORS else ''}."
        )
    return object_ref, run, chosen, {rid: records[rid] for rid in job.record_ids}


def _union(runs: Mapping[str, _RunLines], chosen: frozenset[str]) -> dict[str, dict[str, Any]]:
    """The records of the chosen runs; a record two of them archived takes its latest line's copy, as
    the archive's reader does within one run."""
    if len(chosen) == 1:
        return runs[next(iter(chosen))].records
    records: dict[str, dict[str, Any]] = {}
    latest: dict[str, int] = {}
    for run in sorted(chosen, key=lambda name: (runs[name].first, name)):
        for rid, record in runs[run].records.items():
            if runs[run].lines[rid] > latest.get(rid, -1):
                records[rid], latest[rid] = record, runs[run].lines[rid]
    return records


def _matching_runs(run: str, runs: Iterable[str]) -> frozenset[str]:
    """The runs ``run`` names: itself when archived; else, a mapped task's id without its map index,
    every ``run/<map index>`` (a mapped delete writes one run per index)."""
    names = set(runs)
    if run in names:
        return frozenset({run})
    if run in (ALL_RUNS, NO_RUN):
        return frozenset()
    prefix = run + "/"
    return frozenset(
        name
        for name in names
        if name.startswith(prefix) and name[len(prefix) :].isascii() and name[len(prefix) :].isdigit()
    )


def _choose_object(archived: _Archived, job: RestoreJob, location: str) -> str:
    """The object whose records to restore: ``object``, or the only one (of the chosen run)."""
    one_run = job.run not in (None, ALL_RUNS)
    objects = sorted(
        o for o, runs in archived.runs.items() if not one_run or _matching_runs(str(job.run), runs)
    )
    if one_run and not objects:
        every = {run: lines for runs in archived.runs.values() for run, lines in runs.items()}
        raise AttioValidationError(
            f"run={job.run!r} archived no record in {location}; nothing was restored. {_listing(every)}"
        )
    if job.object is None and len(objects) != 1:
        raise AttioValidationError(
            f"The archive {location} holds records of {len(objects)} objects ({', '.join(objects)}): give "
            "object= to choose one."
            if objects
            else f"The archive {location} holds no record: nothing to restore."
        )
    object_ref = job.object or objects[0]
    if not archived.records.get(object_ref):
        raise AttioValidationError(f"The archive {location} holds no record of {object_ref!r}.")
    return object_ref


def _choose_run(
    object_ref: str, runs: Mapping[str, _RunLines], job: RestoreJob, location: str
) -> tuple[str, frozenset[str] | None]:
    """The run whose records to restore, and the runs it names (``None``: every one): ``run`` (or its
    map indexes); the only one; every one when ``record_ids`` choose. An archive of several runs and
    no choice fails, listing them: restoring them all may bring back records a later run deleted on
    purpose."""
    if job.run == ALL_RUNS or (job.run is None and job.record_ids is not None and len(runs) > 1):
        return ALL_RUNS, None
    if job.run is not None:
        chosen = _matching_runs(job.run, runs)
        if not chosen:
            raise AttioValidationError(
                f"run={job.run!r} archived no record of {object_ref!r} in {location}; nothing was "
                "restored. " + _listing(runs)
            )
        return job.run, chosen
    if len(runs) == 1:
        only = next(iter(runs))
        return only, frozenset({only})
    raise AttioValidationError(
        f"The archive {location} holds records of {object_ref!r} from {len(runs)} runs; nothing was "
        "restored. Choose one with run= (CLI: --run RUN), or give run='all' to restore every run's records "
        f"(or record_ids=). {_listing(runs)}"
    )


def _described(run: str, runs: frozenset[str] | None) -> str:
    """The chosen runs, for the log: ``run 'a'``, or a mapped task's ``N map indexes of run 'a' ...``."""
    if runs is None:
        return "every run"
    if run == NO_RUN:
        return "lines without a run id"
    if runs == {run}:
        return f"run {run!r}"
    indexes = sorted((name.rsplit("/", 1)[1] for name in runs), key=int)
    shown = ", ".join(indexes[:NAMED_IN_ERRORS]) + (" ..." if len(indexes) > NAMED_IN_ERRORS else "")
    return f"{len(indexes)} map index(es) of run {run!r} (chosen together: {shown})"


def _listing(runs: Mapping[str, _RunLines]) -> str:
    """``Runs in the archive (oldest first): 'a' (3 records, 2026-01-01T02:00:00.000Z to ...); ...``."""
    ordered = sorted(runs.items(), key=lambda item: (item[1].first, item[0]))
    shown = ordered[-RUNS_LISTED:]
    described = [
        f"{'none (lines without a run id)' if run == NO_RUN else repr(run)} ({len(lines.records):,} "
        f"record(s), archived {lines.first or '?'} to {lines.last or '?'})"
        for run, lines in shown
    ]
    older = f" ({len(ordered) - len(shown)} older not shown)" if len(ordered) > len(shown) else ""
    return f"Runs in the archive, oldest first{older}: {'; '.join(described)}."


def _learn_attributes(hook: AttioHook, object_ref: str) -> dict[str, AttributeSpec]:
    """The object's attributes now, with each select's and status's live options."""
    specs: dict[str, AttributeSpec] = {}
    for attribute in hook.run(core.list_attributes(object_ref)):
        kind, slug = attribute.get("type"), str(attribute.get("api_slug"))
        choices = None
        if kind in ("select", "status") and attribute.get("is_writable"):
            what: Literal["options", "statuses"] = "options" if kind == "select" else "statuses"
            choices = hook.run(core.list_choices(object_ref, slug, what))
        specs[slug] = AttributeSpec.of(attribute, choices)
    return specs


def _classify(hook: AttioHook, plan: _Plan, archived: _Archived, log: Any) -> None:
    """Restored before, to restore, deleted by another run, or read: a record the archive doesn't show
    deleted is read. Deleted by a chosen run counts, not by any run: a record this run failed to delete
    that a later run deleted on purpose must not come back from this run's older copy."""
    for old in plan.chosen:
        deleters = archived.deleted.get(old, set())
        if old in plan.mapped.new_ids:
            plan.already.append(old)
        elif deleters and (plan.runs is None or not deleters.isdisjoint(plan.runs)):
            plan.todo.append(old)
        elif deleters:
            plan.deleted_elsewhere[old] = tuple(sorted(deleters))
        else:
            _check_one(hook, plan, old, log)
    _log_deleted_elsewhere(plan, log)


def _log_deleted_elsewhere(plan: _Plan, log: Any) -> None:
    by_runs: dict[tuple[str, ...], list[str]] = {}
    for old, runs in plan.deleted_elsewhere.items():
        by_runs.setdefault(runs, []).append(old)
    for runs, olds in by_runs.items():
        named = ", ".join("none (lines without a run id)" if run == NO_RUN else repr(run) for run in runs)
        log.warning(
            "%d record(s) of %r archived by %s were deleted by another run, %s, not by this one: not "
            "restored; restore that run to bring them back. First %d: %s",
            len(olds),
            plan.object,
            _described(plan.run, plan.runs),
            named,
            min(NAMED_IN_ERRORS, len(olds)),
            ", ".join(olds[:NAMED_IN_ERRORS]),
        )


def _check_one(hook: AttioHook, plan: _Plan, old: str, log: Any) -> None:
    fact = hook.run(core.check_record(plan.object, old))
    if fact.state == "present":
        log.info(
            "Record %s is archived but still in Attio (its delete failed or never ran): left as is.", old
        )
        plan.present.append(old)
    elif fact.state == "absent":
        plan.todo.append(old)
    else:
        plan.unchecked[old] = AttioTransientError(
            f"Could not tell whether record {old} still exists: {fact.detail}"
        )


def _plan_values(plan: _Plan, records: Mapping[str, Mapping[str, Any]]) -> None:
    """Each record's write values, and what can't be written, attribute by attribute."""
    pending_patch = [r for r in plan.already if plan.mapped.deferred.get(r) and r not in plan.mapped.patched]
    for old in [*plan.todo, *pending_patch]:
        writable = writable_values(records[old], plan.specs)
        plan.values[old] = writable.values
        if old in plan.todo:
            plan.not_written.update(writable.not_written.keys())
            plan.reasons.update(writable.not_written)


def _check_references(hook: AttioHook, plan: _Plan, log: Any) -> None:
    """Keep references to records that exist or are being restored; leave out (and count) the others."""
    restoring = set(plan.todo) | set(plan.mapped.new_ids)
    outside: dict[str, set[str]] = {}
    for values in plan.values.values():
        for _, target_object, target in references(values, plan.specs):
            if target not in restoring:
                outside.setdefault(target_object, set()).add(target)
    absent = set()
    for target_object, ids in outside.items():
        for batch in core.chunked(sorted(ids)):
            facts = hook.run(core.list_by_id(target_object, batch))
            absent |= {rid for rid, fact in facts.items() if fact.state == "absent"}
    for old, values in plan.values.items():
        for slug in {slug for slug, _, target in references(values, plan.specs) if target in absent}:
            values[slug] = [v for v in values[slug] if str(v["target_record_id"]).lower() not in absent]
            plan.unresolved[slug] += 1
            log.warning(
                "Record %s refers (%s) to a record neither in Attio nor restored: left out.", old, slug
            )


def _waves(
    todo: list[str], values: Mapping[str, WriteValues], specs: Mapping[str, AttributeSpec]
) -> list[list[str]]:
    """The records in waves: each refers only to records of earlier waves, so references point at records
    created already. A cycle is broken at one record, alone in its wave: its references to the others are
    put back after they are created."""
    restoring = set(todo)
    waiting = {old: {t for _, _, t in references(values[old], specs)} & restoring - {old} for old in todo}
    waves: list[list[str]] = []
    done: set[str] = set()
    while waiting:
        ready = [old for old in todo if old in waiting and not waiting[old] - done]
        wave = ready or [next(old for old in todo if old in waiting)]
        waves.append(wave)
        done.update(wave)
        for old in wave:
            del waiting[old]
    return waves


# -- the run -----------------------------------------------------------------------------------------


class _Progress:
    """Counts outcomes and logs done/total, rate and ETA every few seconds or every 10 %."""

    def __init__(self, total: int, log: Any, object_ref: str, pacer: Pacer) -> None:
        self.total, self.log, self.object, self.pacer = max(1, total), log, object_ref, pacer
        self.counts: Counter[str] = Counter()
        self.started = self._last = time.monotonic()
        self._step = 0
        self._lock = threading.Lock()

    def count(self, outcome: str) -> None:
        with self._lock:
            self.counts[outcome] += 1
            done = sum(self.counts.values())
            now, step = time.monotonic(), done * 10 // self.total if self.total >= 50 else 0
            if done >= self.total or (now - self._last < PROGRESS_EVERY_SECONDS and step == self._step):
                return
            self._last, self._step = now, step
        rate = done / max(now - self.started, 1e-9)
        self.log.info(
            "Progress: %d/%d records of %r at %.1f records/s, ETA %.0fs (%d restored, %d conflicts, "
            "%d failed); %d rate-limited answer(s) (429).",
            done,
            self.total,
            self.object,
            rate,
            (self.total - done) / rate if rate else 0.0,
            self.counts["restored"],
            self.counts["conflict"],
            self.counts["failed"],
            self.pacer.stats().rate_limited,
        )


class _Run:
    """One restore in progress: the workers' shared state."""

    def __init__(self, hook: AttioHook, plan: _Plan, mapping: _MappingLog, job: RestoreJob, log: Any) -> None:
        self.hook, self.plan, self.mapping, self.job, self.log = hook, plan, mapping, job, log
        self.pacer = Pacer(job.options.writes_per_second)
        self.max_wait = hook.settings.max_retry_wait
        self.stop = threading.Event()
        self.stop_error: BaseException | None = None
        self.progress = _Progress(len(plan.todo), log, plan.object, self.pacer)
        self.new_ids = dict(plan.mapped.new_ids)
        mapped = plan.mapped
        self.deferred = {old: s for old, s in mapped.deferred.items() if s and old not in mapped.patched}
        self.restoring = set(plan.todo)
        self.failures: list[tuple[str, str]] = []
        self.conflicts: list[tuple[str, str]] = []
        self.any_transient = False
        self.streak = 0
        self.rate_limited = 0
        self._lock = threading.Lock()

    # -- bookkeeping

    def halt(self, error: BaseException) -> None:
        with self._lock:
            if self.stop_error is None:
                self.stop_error = error
                self.log.error("Stopping the restore: %s", error)
        self.stop.set()

    def on_rate_limited(self, signal: RateLimited) -> None:
        with self._lock:
            self.rate_limited += 1

    def guarded(self, work: Callable[[str], None]) -> Callable[[str], None]:
        """``work`` for one record, its errors counted: auth, a missing object, an answer that isn't
        Attio's or an archive that can't be written stop the run (every record would fail alike)."""

        def one(old: str) -> None:
            try:
                work(old)
            except (AttioAuthError, AttioObjectNotFoundError, AttioResponseError, ArchiveWriteError) as err:
                self.halt(err)
            except AttioError as err:
                self.failed(old, err)
            except Exception as err:  # a bug, or something unexpected: don't carry on blindly
                self.halt(err)

        return one

    def failed(self, old: str, error: AttioError) -> None:
        self.log.warning("Could not restore record %s: %s", old, error)
        with self._lock:
            self.failures.append((old, str(error)))
            transient = isinstance(error, AttioTransientError)
            self.any_transient = self.any_transient or transient
            self.streak = self.streak + 1 if transient else 0
            streak = self.streak
        self.progress.count("failed")
        if streak >= TRANSIENT_FAILURES_TO_STOP:
            self.halt(
                AttioTransientError(
                    f"{streak} records in a row failed with transient errors; Attio looks unavailable. "
                    f"Last: {error}"
                )
            )

    # -- one record

    def restore(self, old: str) -> None:
        values, deferred = self.resolve(old, final=False)
        since = self.plan.mapped.creating.get(old)
        if since is not None and self.adopt(old, values, since, deferred):
            return  # an earlier run's create was applied: its answer (or the mapping line) was lost
        for _ in range(CREATE_ATTEMPTS):
            sent = self.announce(old)
            created = self.paced(core.create_once(self.plan.object, values))
            if created is None:
                return  # stopped before sending
            if created.outcome == "created":
                assert created.record is not None
                self.restored(old, core.record_id_of(created.record), deferred)
                return
            if created.outcome == "conflict":
                self.conflict(old, values, created.detail)
                return
            self.log.warning("The create of record %s lost its answer; looking the record up.", old)
            if self.adopt(old, values, sent, deferred):
                return
        raise AttioOutcomeUnknownError(
            f"{CREATE_ATTEMPTS} creates of record {old} lost their answers and no record was found; a rerun "
            "looks it up again before creating it."
        )

    def resolve(
        self, old: str, *, final: bool, slugs: Iterable[str] | None = None
    ) -> tuple[WriteValues, list[str]]:
        """The record's values, references re-pointed at restored records' new ids. A reference to a
        record being restored and not created yet defers its attribute (``final``: leaves it out)."""
        values: WriteValues = {}
        deferred: list[str] = []
        for slug, items in self.plan.values[old].items():
            if slugs is not None and slug not in slugs:
                continue
            if self.plan.specs[slug].type != "record-reference":
                values[slug] = items
                continue
            pointed = [self.point(item) for item in items]
            if None in pointed and not final:
                deferred.append(slug)
                continue
            values[slug] = [item for item in pointed if item is not None]
            if None in pointed:
                with self._lock:
                    self.plan.unresolved[slug] += 1
        return values, deferred

    def point(self, item: dict[str, Any]) -> dict[str, Any] | None:
        target = str(item["target_record_id"]).lower()
        with self._lock:
            new = self.new_ids.get(target)
        if new is not None:
            return {"target_object": item["target_object"], "target_record_id": new}
        return None if target in self.restoring else item

    def announce(self, old: str) -> float:
        """Write (durably) that a create of ``old`` is about to be sent; return when."""
        sent = time.time()
        self.mapping.append({"type": "creating", "object": self.plan.object, "record_id": old}, durable=True)
        return sent

    def restored(self, old: str, new: str, deferred: list[str], found: bool = False) -> None:
        entry = {"type": "restored", "object": self.plan.object, "record_id": old, "new_record_id": new}
        self.mapping.append({**entry, "deferred": deferred, "found": found}, durable=True)
        with self._lock:
            self.new_ids[old] = new
            self.streak = 0
            if deferred:
                self.deferred[old] = tuple(deferred)
        self.progress.count("restored")

    def adopt(self, old: str, values: WriteValues, since: float, deferred: list[str]) -> bool:
        """Look for the record a create sent at ``since`` may have made; take it as restored if found.

        It is compared without its references (an earlier run may have sent them pointing elsewhere, or
        not yet), which are then put back with the deferred ones (``PUT``: harmless if already there).
        """
        specs = self.plan.specs
        refs = [slug for slug in values if specs[slug].type == "record-reference"]
        found = self.find_created(old, {s: v for s, v in values.items() if s not in refs}, since)
        if found is None:
            return False
        self.log.info("Record %s was created by an earlier attempt (its answer lost): it is %s.", old, found)
        self.restored(old, found, [*deferred, *refs], found=True)
        return True

    def find_created(self, old: str, values: WriteValues, since: float) -> str | None:
        spec = lookup_filter(values, self.plan.specs, unique_only=False)
        if spec is None:
            raise AttioOutcomeUnknownError(
                f"A create of record {old} may have been applied, but none of its values can be looked up: "
                "check by hand whether it exists, then remove its 'creating' lines from the mapping."
            )
        page = self.hook.run(core.query_page(self.plan.object, spec, limit=LOOKUP_LIMIT))
        with self._lock:
            taken = set(self.new_ids.values())
        for record in page:
            created = _epoch(record.get("created_at"))
            rid = core.record_id_of(record)
            recent = created is not None and created >= since - CLOCK_SKEW_SECONDS
            if rid not in taken and recent and same_values(record, values, self.plan.specs):
                return rid
        return None

    def conflict(self, old: str, values: WriteValues, detail: str) -> None:
        spec = lookup_filter(values, self.plan.specs, unique_only=True)
        holders = self.hook.run(core.query_page(self.plan.object, spec, limit=1)) if spec is not None else []
        holder = core.record_id_of(holders[0]) if holders else "(not found)"
        self.log.warning(
            "Record %s conflicts with the existing record %s, which holds one of its unique values (%s): "
            "not restored (on_conflict=%r).",
            old,
            holder,
            detail,
            self.job.options.on_conflict,
        )
        with self._lock:
            self.conflicts.append((old, holder))
            self.streak = 0
        self.progress.count("conflict")

    def patch(self, old: str) -> None:
        """Put back the references ``old`` held to records created after it (``PUT``: safe to repeat)."""
        values, _ = self.resolve(old, final=True, slugs=self.deferred[old])
        new = self.new_ids[old]
        if values and self.paced(core.update_record(self.plan.object, new, values)) is None:
            return  # stopped
        self.mapping.append(
            {"type": "references", "object": self.plan.object, "record_id": old, "new_record_id": new},
            durable=False,
        )

    def paced(self, procedure: core.Procedure[T]) -> T | None:
        """Run a write in a slot of the pacer (its retries too); ``None`` when stopped before sending."""
        return paced_call(
            self.pacer, self.stop, self.max_wait, lambda pacing: self.hook.run(procedure, pacing)
        )


def _fan_out(run: _Run, items: list[str], work: Callable[[str], None], pool: ThreadPoolExecutor) -> None:
    """Do ``work`` for every item with the pool's workers, until the run stops."""
    queue, lock = iter(items), threading.Lock()

    def worker() -> None:
        while not run.stop.is_set():
            with lock:
                item = next(queue, None)
            if item is None:
                return
            work(item)

    for future in [pool.submit(worker) for _ in range(min(run.job.options.max_concurrency, len(items)))]:
        future.result()


def _execute(run: _Run, waves: list[list[str]]) -> None:
    """Create the records wave by wave, then put back the references that waited for later records."""
    pool = ThreadPoolExecutor(max_workers=run.job.options.max_concurrency, thread_name_prefix="attio-restore")
    stop_listening = run.hook.add_rate_limit_listener(run.on_rate_limited)
    try:
        for wave in waves:
            _fan_out(run, wave, run.guarded(run.restore), pool)
        chosen = set(run.plan.chosen)
        _fan_out(run, [old for old in run.deferred if old in chosen], run.guarded(run.patch), pool)
    except BaseException:
        run.stop.set()  # the task is being stopped: workers finish the record in hand, take no other
        raise
    finally:
        pool.shutdown(wait=True)
        stop_listening()
        try:
            run.mapping.close()
        except ArchiveWriteError as err:
            run.log.warning("Could not write the mapping's last lines: %s", err)


# -- the engine ------------------------------------------------------------------------------------------


def restore_records(hook: AttioHook, job: RestoreJob, log: Any = None) -> RestoreSummary:
    """Run a checked restore (see ``AttioHook.restore_records``, its public face, which checks it).

    :param hook: the :class:`~airflow_provider_attio.hooks.attio.AttioHook` to send requests with.
    :param job: what to restore and how: :func:`check_restore_job` builds it.
    :param log: the logger for progress and outcomes; the hook's by default.
    :return: a :class:`RestoreSummary`.
    :raises AttioRestoreError: some records failed (the others were processed), or conflicted with
        ``on_conflict="fail"``; retryable when any failure was transient.
    :raises ArchiveWriteError: the archive could not be read, or the mapping written.
    """
    log = log or getattr(hook, "log", None) or _module_log
    archive = _open(job.archive_from)
    mapping = _open_mapping(archive)
    plan = _plan(hook, job, archive, mapping, log)
    if job.options.dry_run:
        log.info(
            "Dry run: would restore %d record(s) of %r. First %d: %s",
            len(plan.todo),
            plan.object,
            min(DRY_RUN_SAMPLE, len(plan.todo)),
            ", ".join(plan.todo[:DRY_RUN_SAMPLE]) or "(none)",
        )
        return _summary(plan, job, None, None)
    run = _Run(hook, plan, mapping, job, log)
    log.info(
        "Restoring %d record(s) of %r from %s at up to %s writes/s; the old -> new ids go to %s.",
        len(plan.todo),
        plan.object,
        archive.location,
        f"{job.options.writes_per_second:g}" if job.options.writes_per_second else "unlimited",
        mapping.location,
    )
    _execute(run, _waves(plan.todo, plan.values, plan.specs))
    summary = _summary(plan, job, run, mapping.location)
    _report(summary, run, log)
    return summary


def archive_runs(archive_from: Any, object: Any = None) -> list[dict[str, Any]]:
    """The runs whose records an archive holds, oldest first: what a restore's ``run`` chooses from.
    Reads the archive only (nothing is sent to Attio).

    :param archive_from: the archive, as the delete's ``archive_to`` took it (a path or URI).
    :param object: only this object's records; ``None``: every object's.
    :return: ``[{"object", "run", "records", "first_archived_at", "last_archived_at"}, ...]``; ``run`` is
        ``None`` for lines written before lines named their run (``run="none"`` chooses them).
    """
    object_ref = validate_object(object) if object is not None else None
    archive = _open(archive_from)
    try:
        archived = _read_archive(archive)
    except (OSError, ValueError) as err:
        raise archive_error(f"Could not read the archive {archive.location}", err) from err
    found = [
        lines.facts(name, run)
        for name, runs in sorted(archived.runs.items())
        if object_ref in (None, name)
        for run, lines in runs.items()
    ]
    return sorted(found, key=lambda facts: (facts["first_archived_at"] or "", facts["object"]))


def _open(location: Any) -> LocalArchive | ObjectStorageArchive:
    try:
        archive = open_archive(location)
    except AttioValidationError as err:
        raise err.with_message(err.message.replace("archive_to", "archive_from")) from None
    if isinstance(archive, LocalArchive) and not archive.path.is_file():
        raise ArchiveLocationError(
            f"There is no archive at {archive.location}: archive_from must name the file the delete's "
            "archive_to wrote."
        )
    return archive


def _plan(hook: AttioHook, job: RestoreJob, archive: Archive, mapping: _MappingLog, log: Any) -> _Plan:
    """Everything decided before the first write: the records, their values, their references."""
    try:
        archived = _read_archive(archive)
        mapped = _read_mapping(mapping)
    except (OSError, ValueError) as err:
        raise archive_error(
            f"Could not read the archive {archive.location} (nothing was restored)", err
        ) from err
    if archived.unreadable:
        log.warning(
            "The archive has %d unreadable line(s) (a write cut short); ignored.", archived.unreadable
        )
    object_ref, run, runs, records = _choose(archived, job, archive.location)
    log.info(
        "Restoring records of %r archived by %s. %s",
        object_ref,
        _described(run, runs),
        _listing(archived.runs[object_ref]),
    )
    if len(records) > job.options.max_records:
        raise AttioValidationError(
            f"The archive holds {len(records):,} chosen records of {object_ref!r}, more than "
            f"max_records={job.options.max_records:,}. Nothing was restored: raise max_records, or give "
            "run= or record_ids."
        )
    hook.require_object(object_ref)
    plan = _Plan(object_ref, list(records), _learn_attributes(hook, object_ref), mapped, run=run, runs=runs)
    _classify(hook, plan, archived, log)
    _plan_values(plan, records)
    _check_references(hook, plan, log)
    for slug, count in sorted(plan.not_written.items()):
        why = plan.reasons[slug]
        log.warning("%d record(s) hold values of %r that can't be written: %s.", count, slug, why)
    if plan.already:
        log.info("Skipping %d record(s) the mapping shows were restored before.", len(plan.already))
    return plan


def _summary(plan: _Plan, job: RestoreJob, run: _Run | None, mapping: str | None) -> RestoreSummary:
    counts: Counter[str] = run.progress.counts if run is not None else Counter()
    pace = run.pacer.stats().settled if run is not None else job.options.writes_per_second
    return RestoreSummary(
        object=plan.object,
        run=None if plan.run == NO_RUN else plan.run,
        requested=len(plan.chosen),
        restored=counts["restored"],
        skipped_already_restored=len(plan.already),
        still_present=len(plan.present),
        deleted_by_other_run=len(plan.deleted_elsewhere),
        conflicts=counts["conflict"],
        failed=counts["failed"] + len(plan.unchecked),
        dry_run=job.options.dry_run,
        mapping=mapping,
        not_written=dict(sorted(plan.not_written.items())),
        unresolved_references=dict(sorted(plan.unresolved.items())),
        final_writes_per_second=None if pace is None else round(pace, 1),
        rate_limited=run.rate_limited if run is not None else 0,
    )


def _report(summary: RestoreSummary, run: _Run, log: Any) -> None:
    """Log the outcome; raise for a stop, for failures, then for conflicts with ``on_conflict="fail"``."""
    log.info(
        "Restore of %r: %d requested, %d restored, %d skipped (restored before), %d still present, "
        "%d deleted by another run, %d conflicts, %d failed; the old -> new ids are in %s.",
        summary["object"],
        summary["requested"],
        summary["restored"],
        summary["skipped_already_restored"],
        summary["still_present"],
        summary["deleted_by_other_run"],
        summary["conflicts"],
        summary["failed"],
        summary["mapping"],
    )
    if run.stop_error is not None:
        raise run.stop_error
    failures = [*((old, str(err)) for old, err in run.plan.unchecked.items()), *run.failures]
    if failures:
        transient = run.any_transient or bool(run.plan.unchecked)
        cls = AttioRestoreRetryableError if transient else AttioRestorePermanentError
        named = "; ".join(f"{old}: {message}" for old, message in failures[:NAMED_IN_ERRORS])
        raise cls(
            f"{len(failures)} record(s) of {summary['object']!r} could not be restored "
            f"({summary['restored']} restored). "
            f"{'A rerun finishes them.' if transient else 'Retrying will not fix them.'} Failed: {named}",
            summary=dict(summary),
            failures=failures[:NAMED_IN_ERRORS],
        )
    if run.conflicts and run.job.options.on_conflict == "fail":
        named = ", ".join(f"{old} (held by {holder})" for old, holder in run.conflicts[:NAMED_IN_ERRORS])
        raise AttioRestorePermanentError(
            f"{len(run.conflicts)} archived record(s) of {summary['object']!r} conflict with existing "
            f"records on a unique attribute (on_conflict='fail'): {named}.",
            summary=dict(summary),
            failures=[(old, f"held by {holder}") for old, holder in run.conflicts[:NAMED_IN_ERRORS]],
        )

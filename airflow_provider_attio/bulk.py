"""The bulk delete engine: delete hundreds or thousands of Attio records safely, at Attio's pace.

Attio has no bulk delete endpoint: deleting N records is N ``DELETE`` calls, and every app and token of
a workspace shares one budget of 25 writes per second. :func:`delete_records` (also
:meth:`AttioHook.delete_records <airflow_provider_attio.hooks.attio.AttioHook.delete_records>` and the
``AttioDeleteRecordsOperator``) does it the safe way:

1. checks every argument, then that the object exists, before anything is deleted;
2. resolves the *whole* target set first (explicit ids, or every record matching a filter), and refuses
   to start when it exceeds ``max_records`` or when an empty filter would delete everything;
3. optionally archives each record's full JSON (exactly what ``GET`` returned) to a JSON Lines archive,
   durably, *before* its ``DELETE`` is sent; a retried run reads the archive and skips what it deleted;
4. deletes with a few concurrent workers sharing one rate limiter at ``writes_per_second``, pausing all
   of them when Attio answers 429 (the hook retries that call after ``Retry-After``);
5. records an outcome per record (deleted, not found, failed); one failure doesn't stop the others,
   the run fails at the end naming the failed ids, so a retry finishes the job idempotently. Permanent
   errors that doom every record (401/403, a missing object, an unwritable archive) stop it early.

The result is a small :class:`BulkDeleteSummary` (counts, never ids), safe to push as an XCom.
"""

from __future__ import annotations

import ast
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from airflow_provider_attio.archive import (
    Archive,
    ArchiveState,
    ArchiveWriteError,
    Outcome,
    check_archive_location,
    open_archive,
)
from airflow_provider_attio.exceptions import (
    AttioAuthError,
    AttioError,
    AttioNotFoundError,
    AttioObjectNotFoundError,
    AttioPermanentError,
    AttioTransientError,
    AttioValidationError,
)
from airflow_provider_attio.policy import (
    IfNotFound,
    apply_if_not_found,
    note_not_found_on_retry,
    validate_if_not_found,
)
from airflow_provider_attio.validation import (
    shorten,
    validate_filter,
    validate_object,
    validate_record_id,
)

if TYPE_CHECKING:
    from airflow_provider_attio.hooks.attio import AttioHook, RateLimited

#: Attio's write budget per workspace (requests per second), the default pace.
ATTIO_WRITES_PER_SECOND = 25.0
#: The default safety cap on how many records one run may delete.
DEFAULT_MAX_RECORDS = 10_000
#: The default number of concurrent workers (the hook's connection pool holds 32).
DEFAULT_MAX_CONCURRENCY = 8
MAX_CONCURRENCY_LIMIT = 32
#: How many record ids a dry run logs.
DRY_RUN_SAMPLE = 10
#: How many failed (or missing) ids an error message names.
NAMED_IN_ERRORS = 5
#: Stop the run when this many records in a row failed transiently (Attio looks down): a retry later
#: is better than spending the hook's retry budget on every remaining record.
TRANSIENT_FAILURES_TO_STOP = 20
#: Counting matches past ``max_records`` stops at this multiple of it (the error then says "more than").
COUNT_PAST_CAP_FACTOR = 10
PROGRESS_EVERY_SECONDS = 5.0


_module_log = logging.getLogger(__name__)


class BulkDeleteSummary(TypedDict):
    """What a bulk delete did: small and JSON-safe, fit for XCom (it never holds record ids).

    ``requested`` counts the unique target records; ``deleted + not_found + not_found_on_retry + failed +
    skipped_already_deleted == requested`` once a run completes.
    """

    #: The object's api slug or UUID, as given.
    object: str
    #: Unique records targeted (after removing duplicates, or matched by the filter).
    requested: int
    #: Records this run deleted (including records an interrupted earlier run deleted without
    #: recording it, found gone on the retry).
    deleted: int
    #: Records that did not exist.
    not_found: int
    #: Records not found on a retry of the task without an archive: an earlier try may have deleted them
    #: (its answer lost), so the provider cannot tell, and ``if_not_found`` is not applied to them.
    not_found_on_retry: int
    #: Records whose deletion failed (the run then raises, naming them).
    failed: int
    #: Records the archive showed an earlier attempt had already deleted: no request was sent for them.
    skipped_already_deleted: int
    #: ``True`` when nothing was deleted on purpose.
    dry_run: bool
    #: Where the archive is (a path or URI), or ``None`` without an archive (and in a dry run).
    archive: str | None


class AttioBulkDeleteError(AttioError):
    """Some records of a bulk delete failed; the others were processed.

    :ivar summary: the run's :class:`BulkDeleteSummary`.
    :ivar failures: up to a handful of ``(record_id, error message)`` pairs.
    """

    summary: BulkDeleteSummary
    failures: list[tuple[str, str]]


class AttioBulkDeleteRetryableError(AttioBulkDeleteError, AttioTransientError):
    """Some records failed with transient errors (rate limits, 5xx, timeouts): a retry may finish."""


class AttioBulkDeletePermanentError(AttioBulkDeleteError, AttioPermanentError):
    """Every failure was permanent (e.g. 400 for those records): retrying the task cannot help."""


# -- argument checks ---------------------------------------------------------------------------------


def parse_structured(value: Any, field_name: str) -> Any:
    """Turn a string that holds a JSON (or Python literal) list or dict into that value.

    Templated fields render to strings unless the DAG sets ``render_template_as_native_obj=True``; a
    rendered ``{{ params.filter }}`` is a Python ``repr``, a rendered XCom may be JSON. Other values pass
    through unchanged.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text or text[0] not in "[{(":
        return value
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise AttioValidationError(
            f"{field_name} looks like a list or dict but is neither valid JSON nor a Python literal: "
            f"{shorten(value)}."
        ) from None


def normalize_record_ids(record_ids: Any, field_name: str = "record_ids") -> list[str]:
    """Validate record ids and remove duplicates, keeping the first occurrence's order.

    Each item is a record UUID, or a record as Attio returns it (``{"id": {"record_id": ...}}``).

    :raises AttioValidationError: naming the first bad item and its position.
    """
    record_ids = parse_structured(record_ids, field_name)
    if isinstance(record_ids, (str, bytes, Mapping)):
        raise AttioValidationError(
            f"{field_name} must be a list of Attio record ids (UUIDs); got {shorten(record_ids)}. "
            "A templated value renders to a string: pass the XComArg itself (e.g. "
            "record_ids=find_ids.output) or set render_template_as_native_obj=True on the DAG."
        )
    if not isinstance(record_ids, Iterable):
        raise AttioValidationError(
            f"{field_name} must be a list of Attio record ids (UUIDs); got {shorten(record_ids)}."
        )
    seen: dict[str, None] = {}
    for index, item in enumerate(record_ids):
        if isinstance(item, Mapping) and isinstance(item.get("id"), Mapping):
            item = item["id"].get("record_id")
        seen.setdefault(validate_record_id(item, f"{field_name}[{index}]"), None)
    return list(seen)


def _check_positive_int(value: Any, name: str, upper: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AttioValidationError(f"{name} must be a positive integer; got {shorten(value)}.")
    if upper is not None and value > upper:
        raise AttioValidationError(f"{name} must be at most {upper}; got {value}.")
    return value


def _check_rate(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise AttioValidationError(
            f"writes_per_second must be a positive number (Attio allows {ATTIO_WRITES_PER_SECOND:g} "
            f"writes/s per workspace) or None for no pacing; got {shorten(value)}."
        )
    return float(value)


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise AttioValidationError(f"{name} must be True or False; got {shorten(value)}.")
    return value


@dataclass(frozen=True)
class BulkDeleteArgs:
    """The checked arguments of a bulk delete (see :func:`delete_records`)."""

    object: str
    record_ids: list[str] | None
    filter: dict[str, Any] | None
    allow_delete_all: bool
    max_records: int
    dry_run: bool
    writes_per_second: float | None
    max_concurrency: int
    archive_to: Any
    if_not_found: IfNotFound
    is_retry: bool = False


def check_options(
    *,
    allow_delete_all: Any = False,
    max_records: Any = DEFAULT_MAX_RECORDS,
    dry_run: Any = False,
    writes_per_second: Any = ATTIO_WRITES_PER_SECOND,
    max_concurrency: Any = DEFAULT_MAX_CONCURRENCY,
) -> None:
    """Check the options that are never templated (an operator checks them at DAG parse time)."""
    _check_bool(allow_delete_all, "allow_delete_all")
    _check_positive_int(max_records, "max_records")
    _check_bool(dry_run, "dry_run")
    _check_rate(writes_per_second)
    _check_positive_int(max_concurrency, "max_concurrency", MAX_CONCURRENCY_LIMIT)


def check_arguments(
    object: Any,
    *,
    record_ids: Any = None,
    filter: Any = None,
    allow_delete_all: Any = False,
    max_records: Any = DEFAULT_MAX_RECORDS,
    dry_run: Any = False,
    writes_per_second: Any = ATTIO_WRITES_PER_SECOND,
    max_concurrency: Any = DEFAULT_MAX_CONCURRENCY,
    archive_to: Any = None,
    if_not_found: Any = "succeed",
    is_retry: Any = False,
) -> BulkDeleteArgs:
    """Check every argument of a bulk delete without sending anything; raise on the first bad one.

    :raises AttioValidationError: a message naming the argument (and the bad value or its position).
    """
    object = validate_object(object)
    record_ids = parse_structured(record_ids, "record_ids")
    filter = parse_structured(filter, "filter")
    if (record_ids is None) == (filter is None):
        raise AttioValidationError(
            "Give exactly one of record_ids (a list of record UUIDs) or filter (an Attio query filter); "
            f"got {'both' if record_ids is not None else 'neither'}."
        )
    ids = normalize_record_ids(record_ids) if record_ids is not None else None
    max_records = _check_positive_int(max_records, "max_records")
    if ids is not None and len(ids) > max_records:
        raise over_cap_error("record_ids holds", f"{len(ids):,}", object, max_records)
    allow_delete_all = _check_bool(allow_delete_all, "allow_delete_all")
    if filter is not None:
        validate_filter(filter)
        filter = dict(filter)
        if not filter and not allow_delete_all:
            raise AttioValidationError(
                f"filter={{}} matches every record of {object!r}. To delete them all, also pass "
                "allow_delete_all=True (max_records still applies)."
            )
    try:
        policy = validate_if_not_found(if_not_found)
    except ValueError as err:
        raise AttioValidationError(str(err)) from None
    if archive_to is not None:
        archive_to = check_archive_location(archive_to)
    return BulkDeleteArgs(
        object=object,
        record_ids=ids,
        filter=filter,
        allow_delete_all=allow_delete_all,
        max_records=max_records,
        dry_run=_check_bool(dry_run, "dry_run"),
        writes_per_second=_check_rate(writes_per_second),
        max_concurrency=_check_positive_int(max_concurrency, "max_concurrency", MAX_CONCURRENCY_LIMIT),
        archive_to=archive_to,
        if_not_found=policy,
        is_retry=_check_bool(is_retry, "is_retry"),
    )


# -- pacing --------------------------------------------------------------------------------------------


class RateLimiter:
    """Spaces calls evenly at ``rate`` per second across threads (no bursts), and can pause everyone.

    :param rate: calls per second, or ``None`` for no pacing.
    :param clock: a monotonic clock (for tests).
    """

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._lock = threading.Lock()
        self._next = clock()

    def acquire(self, stop: threading.Event) -> bool:
        """Wait for this caller's slot; ``False`` if ``stop`` was set meanwhile."""
        with self._lock:
            now = self._clock()
            slot = max(self._next, now)
            self._next = slot + self._interval
        delay = slot - now
        if delay > 0:
            return not stop.wait(delay)
        return not stop.is_set()

    def pause(self, seconds: float) -> None:
        """Hold every slot back until ``seconds`` from now (Attio said 429: its budget is spent)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


# -- progress ------------------------------------------------------------------------------------------


class _Progress:
    """Counts outcomes and logs done/total, rate and ETA every few seconds or every 10 %."""

    def __init__(self, total: int, log: Any, object: str) -> None:
        self.total = total
        self.log = log
        self.object = object
        self.counts: dict[str, int] = {"deleted": 0, "not_found": 0, "not_found_on_retry": 0, "failed": 0}
        self.failures: list[tuple[str, str]] = []
        self.not_found_sample: list[str] = []
        self.any_transient = False
        self.transient_streak = 0
        self.started = time.monotonic()
        self._last_log = self.started
        self._last_step = 0
        self._lock = threading.Lock()

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def record(self, record_id: str, outcome: Outcome, error: BaseException | None = None) -> int:
        """Count one outcome; return the current streak of transient failures."""
        with self._lock:
            self.counts[outcome] += 1
            if outcome == "failed":
                if len(self.failures) < NAMED_IN_ERRORS:
                    self.failures.append((record_id, str(error)))
                transient = isinstance(error, AttioTransientError)
                self.any_transient = self.any_transient or transient
                self.transient_streak = self.transient_streak + 1 if transient else 0
            else:
                self.transient_streak = 0
                if outcome == "not_found" and len(self.not_found_sample) < NAMED_IN_ERRORS:
                    self.not_found_sample.append(record_id)
            streak = self.transient_streak
            self._maybe_log()
        return streak

    def _maybe_log(self) -> None:
        now = time.monotonic()
        done = self.done
        step = done * 10 // self.total if self.total >= 50 else 0
        if done == self.total or (now - self._last_log < PROGRESS_EVERY_SECONDS and step == self._last_step):
            return
        self._last_log, self._last_step = now, step
        rate = done / max(now - self.started, 1e-9)
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        self.log.info(
            "Progress: %d/%d records of %r (%d%%) at %.1f records/s, ETA %s (%d deleted, %d not found, "
            "%d failed).",
            done,
            self.total,
            self.object,
            done * 100 // self.total,
            rate,
            _duration(eta),
            self.counts["deleted"],
            self.counts["not_found"],
            self.counts["failed"],
        )


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "unknown"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# -- the engine ----------------------------------------------------------------------------------------


def _resolve_by_filter(hook: AttioHook, args: BulkDeleteArgs, log: Any) -> list[str]:
    assert args.filter is not None
    ids: dict[str, None] = {}
    counted = 0
    limit = args.max_records * COUNT_PAST_CAP_FACTOR
    for record in hook.iter_records(args.object, filter=args.filter):
        ident = record.get("id") if isinstance(record, Mapping) else None
        record_id = ident.get("record_id") if isinstance(ident, Mapping) else None
        counted += 1
        if counted > args.max_records:
            if counted >= limit:
                _raise_over_cap(args, f"more than {limit:,}")
            continue
        ids.setdefault(validate_record_id(record_id, "a queried record's id"), None)
    if counted > args.max_records:
        _raise_over_cap(args, f"{counted:,}")
    log.info(
        "Resolved %d record(s) of %r matching filter %s.",
        len(ids),
        args.object,
        shorten(json.dumps(args.filter), 300),
    )
    return list(ids)


def over_cap_error(what: str, matched: str, object: str, max_records: int) -> AttioValidationError:
    """The error for more targets than ``max_records``: says how many, and how to raise the cap."""
    return AttioValidationError(
        f"{what} {matched} records of {object!r}, more than max_records={max_records:,}. "
        "Nothing was deleted. If that many is intended, raise max_records (e.g. "
        f"max_records={max_records * COUNT_PAST_CAP_FACTOR:,}); otherwise narrow the targets."
    )


def _raise_over_cap(args: BulkDeleteArgs, matched: str) -> None:
    raise over_cap_error("The filter matched", matched, args.object, args.max_records)


class _Run:
    """One bulk delete in progress: the workers' shared state."""

    def __init__(
        self,
        hook: AttioHook,
        args: BulkDeleteArgs,
        log: Any,
        archive: Archive | None,
        state: ArchiveState,
        total: int,
    ) -> None:
        self.hook = hook
        self.args = args
        self.log = log
        self.archive = archive
        self.state = state
        self.limiter = RateLimiter(args.writes_per_second)
        self.stop = threading.Event()
        self.stop_error: BaseException | None = None
        self.progress = _Progress(total, log, args.object)
        self.rate_limited = 0
        self._lock = threading.Lock()

    def halt(self, error: BaseException) -> None:
        with self._lock:
            if self.stop_error is None:
                self.stop_error = error
                self.log.error("Stopping the bulk delete: %s", error)
        self.stop.set()

    def on_rate_limited(self, signal: RateLimited) -> None:
        """The hook got a 429: count it, and hold every writer back as long as the hook waits."""
        with self._lock:
            self.rate_limited += 1
        if signal.method == "DELETE":
            self.limiter.pause(signal.wait)

    def worker(self, queue: Iterator[str], queue_lock: threading.Lock) -> None:
        while not self.stop.is_set():
            with queue_lock:
                record_id = next(queue, None)
            if record_id is None:
                return
            self.one(record_id)

    def one(self, record_id: str) -> None:
        try:
            outcome = self._delete_one(record_id)
        except (AttioAuthError, AttioObjectNotFoundError, ArchiveWriteError) as err:
            self.halt(err)  # every other record would fail the same way
            return
        except AttioError as err:
            if self._outcome(record_id, "failed", err) >= TRANSIENT_FAILURES_TO_STOP:
                self.halt(
                    AttioTransientError(
                        f"{TRANSIENT_FAILURES_TO_STOP} records in a row failed with transient errors; "
                        f"Attio looks unavailable, stopping so a later retry can finish. Last: {err}"
                    )
                )
            return
        except Exception as err:  # a bug, or something the hook did not expect: don't carry on blindly
            self.halt(err)
            return
        if outcome is not None:
            self._outcome(record_id, outcome)

    def _outcome(self, record_id: str, outcome: Outcome, error: BaseException | None = None) -> int:
        if outcome == "failed":
            self.log.warning("Could not delete record %s: %s", record_id, error)
        if self.archive is not None:
            self.archive.save_outcome(self.args.object, record_id, outcome, error)
        return self.progress.record(record_id, outcome, error)

    def _delete_one(self, record_id: str) -> Outcome | None:
        """Archive (if asked) then delete one record; ``None`` when stopped before sending."""
        object = self.args.object
        if self.archive is not None:
            try:
                record = self.hook.get_record(object, record_id)
            except AttioObjectNotFoundError:
                raise
            except AttioNotFoundError:
                if record_id in self.state.archived:
                    self.log.info("Record %s is archived and gone: an earlier attempt deleted it.", record_id)
                    return "deleted"
                return "not_found"
            if self.stop.is_set():
                return None
            self.archive.save_record(object, record_id, record)
        if not self.limiter.acquire(self.stop):
            return None
        outcome = self.hook.delete_record(object, record_id)
        if outcome == "not_found" and self.archive is None and self.args.is_retry:
            return "not_found_on_retry"  # maybe this task's earlier try deleted it: nobody can tell
        return outcome


def delete_records(
    hook: AttioHook,
    object: str,
    *,
    record_ids: Iterable[str] | str | None = None,
    filter: Mapping[str, Any] | str | None = None,
    allow_delete_all: bool = False,
    max_records: int = DEFAULT_MAX_RECORDS,
    dry_run: bool = False,
    writes_per_second: float | None = ATTIO_WRITES_PER_SECOND,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    archive_to: Any = None,
    if_not_found: str = "succeed",
    is_retry: bool = False,
    log: Any = None,
) -> BulkDeleteSummary:
    """Delete many records of one Attio object at Attio's pace, optionally archiving each one first.

    Give exactly one of ``record_ids`` or ``filter``. Everything is checked, the object's existence
    confirmed and the whole target set resolved before the first ``DELETE``.

    :param hook: the :class:`~airflow_provider_attio.hooks.attio.AttioHook` to send requests with.
    :param object: the object's api slug (``people``, ``companies``, ``deals``, a custom slug) or UUID.
    :param record_ids: the records to delete: record UUIDs (or records as Attio returns them), typically
        an upstream task's XCom. Duplicates are removed, keeping the order; every id is checked before
        anything is sent, and a bad one fails the run naming its position and value.
    :param filter: delete every record matching this Attio query filter, e.g.
        ``{"email_addresses": {"email_domain": "example.com"}}``. The matches are all collected (paging
        through the query, which costs reads, not writes) before anything is deleted.
    :param allow_delete_all: allow ``filter={}``, which matches every record of the object. Refused
        without it.
    :param max_records: safety cap: when more records are targeted the run fails before deleting
        anything, saying how many matched. Raise it deliberately for bigger jobs.
    :param dry_run: resolve and count the targets, log the first few ids, delete nothing (the cap and
        the empty-filter guard still apply).
    :param writes_per_second: the pace of DELETEs, shared by all workers. Attio allows 25 writes/s per
        *workspace*, shared by every app and token: when several tasks delete at once, give each a
        share (workspace budget / number of concurrent Attio writers, e.g. an Airflow pool's slots).
        Attio's 429 remains the backstop: the hook waits until ``Retry-After`` and the engine pauses all
        workers. ``None`` disables pacing.
    :param max_concurrency: concurrent requests (1 to 32). A few are enough to reach 25/s over a
        network's latency; more do not raise the ceiling, which is ``writes_per_second``.
    :param archive_to: where to archive every record (its full JSON, exactly as ``GET`` returned it)
        *before* deleting it: a local file path, a ``file://`` URI (one JSON Lines file, fsync'd before
        each DELETE), or an object storage URI / ``ObjectStoragePath`` such as
        ``s3://bucket/attio/teardown-2024-06-01`` (a folder of JSON Lines segments, each written whole
        before its records' DELETEs). A retried run reads it and skips records it marks deleted. With
        several Airflow workers put it on shared storage, so a retry on another machine finds it.
        Costs one extra read per record. Use one archive per run (e.g. template it with ``run_id``).
    :param if_not_found: records that do not exist: ``"succeed"`` (log a warning), ``"fail"`` (after
        processing every other record, fail the task without retries, naming them) or ``"skip"`` (after
        processing every other record, mark the task skipped).
    :param is_retry: this run retries an earlier try of the same task (the operator passes
        ``try_number > 1``): without an archive, records not found may be ones that try deleted, so they
        are counted as ``not_found_on_retry`` and ``if_not_found`` is not applied to them.
    :param log: the logger for progress and outcomes (an operator passes its own); the hook's by default.
    :return: a :class:`BulkDeleteSummary`.
    :raises AttioValidationError: a bad argument, the cap exceeded, or an empty filter without
        ``allow_delete_all`` (nothing was deleted).
    :raises AttioObjectNotFoundError: the object does not exist (nothing was deleted).
    :raises AttioAuthError: 401/403; the run stops at once.
    :raises AttioBulkDeleteError: some records failed (the others were processed): the retryable
        subclass when any failure was transient (a retry makes progress), the permanent one when all
        were permanent (e.g. 400 for those records).
    :raises ArchiveWriteError: the archive could not be read or written; no record is deleted unarchived.
    """
    log = log or getattr(hook, "log", None) or _module_log
    args = check_arguments(
        object,
        record_ids=record_ids,
        filter=filter,
        allow_delete_all=allow_delete_all,
        max_records=max_records,
        dry_run=dry_run,
        writes_per_second=writes_per_second,
        max_concurrency=max_concurrency,
        archive_to=archive_to,
        if_not_found=if_not_found,
        is_retry=is_retry,
    )
    archive = open_archive(args.archive_to) if args.archive_to is not None and not args.dry_run else None
    if archive is not None:
        archive.check()
    _confirm_object(hook, args)
    # The whole target set, before anything is deleted.
    targets = args.record_ids if args.record_ids is not None else _resolve_by_filter(hook, args, log)
    if args.dry_run:
        log.info(
            "Dry run: would delete %d record(s) of %r. First %d: %s",
            len(targets),
            args.object,
            min(DRY_RUN_SAMPLE, len(targets)),
            ", ".join(targets[:DRY_RUN_SAMPLE]) or "(none)",
        )
        return _summary(args, len(targets), {}, 0, archive=None)
    state = _read_state(archive, args, log)
    gone = _check_unfinished(hook, args, archive, state, targets, log)
    already = [rid for rid in targets if rid in state.deleted]
    todo = [rid for rid in targets if rid not in state.deleted]
    if already:
        log.info(
            "Skipping %d record(s) the archive shows an earlier attempt deleted (no request sent).",
            len(already),
        )
    location = archive.location if archive else None
    if not targets and not gone:
        log.info("Nothing to delete in %r.", args.object)
        return _summary(args, 0, {}, 0, archive=location)
    run = _execute(hook, args, log, archive, state, todo)
    counts = {**run.progress.counts, "deleted": run.progress.counts["deleted"] + gone}
    summary = _summary(args, len(targets) + gone, counts, len(already), location)
    _log_summary(summary, run, log)
    _raise_outcomes(summary, run, args, log)
    return summary


def _confirm_object(hook: AttioHook, args: BulkDeleteArgs) -> None:
    """The object must exist: checked once, rather than learning it from 1,000 doomed DELETEs."""
    if not hook.object_exists(args.object, fresh=True):
        raise AttioObjectNotFoundError(
            f"The Attio object {args.object!r} does not exist in this workspace (check the slug or UUID). "
            "Nothing was deleted.",
            status=404,
            code="not_found",
            method="GET",
            path=f"/v2/objects/{args.object}",
        )


def _read_state(archive: Archive | None, args: BulkDeleteArgs, log: Any) -> ArchiveState:
    """What an earlier attempt recorded in the archive (nothing without one)."""
    if archive is None:
        return ArchiveState()
    try:
        state = archive.read_state(args.object)
    except (OSError, ValueError) as err:
        raise ArchiveWriteError(
            f"Could not read the archive {archive.location} (nothing was deleted): {err}"
        ) from err
    if state.unreadable_lines:
        log.warning(
            "The archive %s has %d unreadable line(s) (a write cut short); they were ignored.",
            archive.location,
            state.unreadable_lines,
        )
    return state


def _check_unfinished(
    hook: AttioHook,
    args: BulkDeleteArgs,
    archive: Archive | None,
    state: ArchiveState,
    targets: list[str],
    log: Any,
) -> int:
    """Look at records an earlier attempt archived without an outcome that are no longer targets.

    Only looked at, never deleted: gone means the earlier attempt deleted them (counted as deleted and
    noted in the archive); still there means they no longer match what this run targets: left alone.
    Returns how many were gone.
    """
    known = set(targets)
    unfinished = sorted(rid for rid in state.archived - state.deleted if rid not in known)
    if archive is None or not unfinished:
        return 0
    log.info(
        "The archive holds %d record(s) an earlier attempt archived without an outcome that this run does "
        "not target; checking (never deleting) them.",
        len(unfinished),
    )
    gone = 0
    for record_id in unfinished:
        try:
            hook.get_record(args.object, record_id)
        except AttioObjectNotFoundError:
            raise
        except AttioNotFoundError:
            log.info("Record %s is archived and gone: an earlier attempt deleted it.", record_id)
            archive.save_outcome(args.object, record_id, "deleted")
            state.deleted.add(record_id)
            gone += 1
            continue
        except AttioTransientError as err:
            log.warning("Could not check record %s (left untouched): %s", record_id, err)
            continue
        log.warning(
            "Record %s was archived by an earlier attempt but no longer matches this run's targets: left "
            "untouched.",
            record_id,
        )
    return gone


def _execute(
    hook: AttioHook,
    args: BulkDeleteArgs,
    log: Any,
    archive: Archive | None,
    state: ArchiveState,
    todo: list[str],
) -> _Run:
    """Delete ``todo``, paced, with bounded concurrency over the hook's one session."""
    log.info(
        "Deleting %d record(s) of %r at up to %s writes/s with %d worker(s)%s.",
        len(todo),
        args.object,
        f"{args.writes_per_second:g}" if args.writes_per_second else "unlimited",
        min(args.max_concurrency, max(1, len(todo))),
        f", archiving each to {archive.location} first" if archive else "",
    )
    run = _Run(hook, args, log, archive, state, max(1, len(todo)))
    stop_listening = hook.add_rate_limit_listener(run.on_rate_limited)
    queue, queue_lock = iter(todo), threading.Lock()
    workers = min(args.max_concurrency, max(1, len(todo)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="attio-delete")
    try:
        futures = [pool.submit(run.worker, queue, queue_lock) for _ in range(workers)]
        for future in futures:
            future.result()
    except BaseException:
        # The task is being stopped (SIGTERM, execution_timeout, Ctrl+C): the workers finish the record
        # in hand and take no other, instead of deleting everything left while the task "stops".
        run.stop.set()
        raise
    finally:
        pool.shutdown(wait=True)
        stop_listening()
        if archive is not None:
            try:
                archive.close()
            except ArchiveWriteError as err:
                log.warning("Could not write the archive's last outcome lines: %s", err)
    return run


def _log_summary(summary: BulkDeleteSummary, run: _Run, log: Any) -> None:
    elapsed = time.monotonic() - run.progress.started
    log.info(
        "Bulk delete of %r: %d requested, %d deleted, %d not found, %d not found on this retry, %d failed, "
        "%d skipped (already deleted per the archive), in %.1fs (%.1f records/s); %d rate-limited "
        "answer(s) (429) absorbed.",
        summary["object"],
        summary["requested"],
        summary["deleted"],
        summary["not_found"],
        summary["not_found_on_retry"],
        summary["failed"],
        summary["skipped_already_deleted"],
        elapsed,
        run.progress.done / max(elapsed, 1e-9),
        run.rate_limited,
    )


def _raise_outcomes(summary: BulkDeleteSummary, run: _Run, args: BulkDeleteArgs, log: Any) -> None:
    """A stop, then failures, then records not found on a retry, then the not-found policy."""
    progress = run.progress
    if run.stop_error is not None:
        raise run.stop_error
    if progress.failures:
        raise _failures_error(summary, progress, args)
    if summary["not_found_on_retry"]:
        note_not_found_on_retry(
            f"{_records(summary['not_found_on_retry'])} of {args.object!r}", log, retry_finishes=True
        )
    if summary["not_found"]:
        sample = ", ".join(progress.not_found_sample)
        more = summary["not_found"] - len(progress.not_found_sample)
        count = summary["not_found"]
        apply_if_not_found(
            args.if_not_found,
            f"{_records(count)} of {args.object!r} ({sample}"
            + (f" and {more} more)" if more > 0 else ")")
            + (" was" if count == 1 else " were")
            + " not found in Attio",
            log,
        )


def _records(count: int) -> str:
    return f"{count:,} record" + ("" if count == 1 else "s")


def _failures_error(summary: BulkDeleteSummary, progress: _Progress, args: BulkDeleteArgs) -> AttioError:
    named = "; ".join(f"{rid}: {message}" for rid, message in progress.failures)
    more = summary["failed"] - len(progress.failures)
    error_cls = AttioBulkDeleteRetryableError if progress.any_transient else AttioBulkDeletePermanentError
    hint = (
        "A retry of the task deletes what is left."
        if progress.any_transient
        else "Retrying will not fix them."
    )
    error = error_cls(
        f"{summary['failed']} of {summary['requested']} record(s) of {args.object!r} could not be "
        f"deleted ({summary['deleted']} deleted). {hint} Failed: {named}"
        + (f" (and {more} more)." if more > 0 else "."),
        method="DELETE",
    )
    error.summary = summary
    error.failures = list(progress.failures)
    return error


def _summary(
    args: BulkDeleteArgs, requested: int, counts: Mapping[str, int], skipped: int, archive: str | None
) -> BulkDeleteSummary:
    return BulkDeleteSummary(
        object=args.object,
        requested=requested,
        deleted=counts.get("deleted", 0),
        not_found=counts.get("not_found", 0),
        not_found_on_retry=counts.get("not_found_on_retry", 0),
        failed=counts.get("failed", 0),
        skipped_already_deleted=skipped,
        dry_run=args.dry_run,
        archive=archive,
    )

"""The bulk delete engine: delete hundreds or thousands of Attio records safely, at Attio's pace.

Attio has no bulk delete endpoint: deleting N records is N ``DELETE`` calls, and every app and token of a
workspace shares one budget of writes per second. :func:`delete_records` (also ``AttioHook.delete_records``
and ``AttioDeleteRecordsOperator``) runs in stages: plan (check the job, confirm the object, resolve the
whole target set, read the archive), run (paced workers, stopping early when every record would fail),
report (summary, failures, the not-found policy). docs/operators.md ("Delete many records") is the
user's guide to what each stage promises.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypedDict, cast

from airflow_provider_attio.archive import (
    Archive,
    ArchiveState,
    ArchiveWriteError,
    Outcome,
    archive_error,
    open_archive,
)
from airflow_provider_attio.exceptions import (
    AttioAuthError,
    AttioBulkDeletePermanentError,
    AttioBulkDeleteRetryableError,
    AttioError,
    AttioNotFoundError,
    AttioResponseError,
    AttioTransientError,
)
from airflow_provider_attio.options import (
    ATTIO_WRITES_PER_SECOND,
    COUNT_PAST_CAP_FACTOR,
    BulkDeleteJob,
    BulkDeleteOptions,
    over_cap_error,
)
from airflow_provider_attio.pacing import Pacer, paced_call
from airflow_provider_attio.policy import apply_if_not_found, note_not_found_on_retry
from airflow_provider_attio.runs import current_run
from airflow_provider_attio.sync import SyncCounts, SyncPlan
from airflow_provider_attio.sync import plan as plan_sync
from airflow_provider_attio.validation import shorten, validate_record_id

# The bulk errors live in exceptions.py with every other error; importable from here too.
__all__ = [
    "AttioBulkDeletePermanentError",
    "AttioBulkDeleteRetryableError",
    "BulkDeleteOptions",
    "BulkDeleteSummary",
    "delete_records",
]

if TYPE_CHECKING:
    from airflow_provider_attio.hooks.attio import AttioHook, DeleteOutcome, RateLimited

#: How many record ids a dry run logs.
DRY_RUN_SAMPLE = 10
#: How many failed (or missing) ids an error message names.
NAMED_IN_ERRORS = 5
#: Stop the run when this many records in a row failed transiently (Attio looks down): a retry later
#: is better than spending the hook's retry budget on every remaining record.
TRANSIENT_FAILURES_TO_STOP = 20
PROGRESS_EVERY_SECONDS = 5.0
#: When more than this share of the DELETEs' answers were 429s, the run says how to share the budget
#: without them (2 or 3 concurrent runs stay under it; 5 and more, or a lowered limit, don't).
CROWDED_SHARE = 0.1


_module_log = logging.getLogger(__name__)


class _SyncSummary(TypedDict, total=False):
    #: Delete by key or mirror only: what the keys matched, or what the mirror found in scope.
    sync: SyncCounts
    #: Entries, notes and tasks only: ``entry``, ``note`` or ``task`` (their summaries have no ``object``).
    kind: str
    #: Entries only: the list's api slug or UUID, as given.
    list: str
    #: Tasks only: tasks also linked to records outside the given ones, kept (``delete_shared=False``).
    kept_shared: int


class BulkDeleteSummary(_SyncSummary):
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
    #: The pace the engine settled on, in writes per second (its recent average): under
    #: ``writes_per_second`` when Attio's 429s (other writers, or its limiter) asked for less. Equal to
    #: ``writes_per_second`` when nothing was sent; ``None`` when unpaced.
    final_writes_per_second: float | None
    #: Answers that were 429 (rate limited), every one absorbed by waiting and sending again.
    rate_limited: int


# -- progress ------------------------------------------------------------------------------------------


class _Progress:
    """Counts outcomes and logs done/total, rate and ETA every few seconds or every 10 %."""

    def __init__(self, total: int, log: Any, what: str, pacer: Pacer | None = None) -> None:
        self.pacer = pacer
        self.total = total
        self.log = log
        self.what = what
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
        stats = self.pacer.stats() if self.pacer is not None else None
        self.log.info(
            "Progress: %d/%d %s (%d%%) at %.1f/s, ETA %s (%d deleted, %d not found, "
            "%d failed); pace %s writes/s, %d rate-limited answer(s) (429).",
            done,
            self.total,
            self.what,
            done * 100 // self.total,
            rate,
            _duration(eta),
            self.counts["deleted"],
            self.counts["not_found"],
            self.counts["failed"],
            f"{stats.pace:.1f}" if stats and stats.pace is not None else "unlimited",
            stats.rate_limited if stats else 0,
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


def _resolve_by_filter(hook: AttioHook, job: BulkDeleteJob, log: Any) -> list[str]:
    assert job.filter is not None
    ids: dict[str, None] = {}
    counted = 0
    limit = job.options.max_records * COUNT_PAST_CAP_FACTOR
    for record in hook.iter_records(job.object, filter=job.filter):
        ident = record.get("id") if isinstance(record, Mapping) else None
        record_id = ident.get("record_id") if isinstance(ident, Mapping) else None
        counted += 1
        if counted > job.options.max_records:
            if counted >= limit:
                _raise_over_cap(job, f"more than {limit:,}")
            continue
        ids.setdefault(validate_record_id(record_id, "a queried record's id"), None)
    if counted > job.options.max_records:
        _raise_over_cap(job, f"{counted:,}")
    log.info(
        "Resolved %d record(s) of %r matching filter %s.",
        len(ids),
        job.object,
        shorten(json.dumps(job.filter), 300),
    )
    return list(ids)


def _what(job: BulkDeleteJob) -> str:
    """``record(s) of 'people'``, ``list entry(s) of list 'sales'``, ``note(s)``: what the job deletes."""
    where = job.kind.of(job.object)
    return f"{job.kind.noun}(s)" + (f" {where}" if where else "")


def _raise_over_cap(job: BulkDeleteJob, matched: str) -> None:
    raise over_cap_error("The filter matched", matched, job.object, job.options.max_records)


class _Run:
    """One bulk delete in progress: the workers' shared state."""

    def __init__(
        self,
        hook: AttioHook,
        job: BulkDeleteJob,
        log: Any,
        archive: Archive | None,
        state: ArchiveState,
        total: int,
    ) -> None:
        self.hook = hook
        self.job = job
        self.log = log
        self.archive = archive
        self.state = state
        self.pacer = Pacer(job.options.writes_per_second)
        self.max_wait = hook.settings.max_retry_wait
        self.stop = threading.Event()
        self.stop_error: BaseException | None = None
        self.progress = _Progress(total, log, _what(job), self.pacer)
        self.rate_limited = 0
        #: The errors that stop the run: every other item would fail the same way.
        self.stopping: tuple[type[BaseException], ...] = (
            AttioAuthError,
            AttioResponseError,
            ArchiveWriteError,
            *job.kind.missing_container,
        )
        self._lock = threading.Lock()

    def halt(self, error: BaseException) -> None:
        with self._lock:
            if self.stop_error is None:
                self.stop_error = error
                self.log.error("Stopping the bulk delete: %s", error)
        self.stop.set()

    def on_rate_limited(self, signal: RateLimited) -> None:
        """The hook got a 429 (a DELETE's, or an archive read's): count it. The pacer hears about the
        DELETEs' own through their rate-limit gate."""
        with self._lock:
            self.rate_limited += 1

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
        except self.stopping as err:
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
            self.log.warning("Could not delete %s %s: %s", self.job.kind.noun, record_id, error)
        if self.archive is not None:
            self.archive.save_outcome(self.job.object, record_id, outcome, error, self.job.kind.lines)
        return self.progress.record(record_id, outcome, error)

    def _delete_one(self, record_id: str) -> Outcome | None:
        """Archive (if asked) then delete one record; ``None`` when stopped before sending."""
        object_ref, kind = self.job.object, self.job.kind
        if self.archive is not None:
            try:
                record = kind.get(self.hook, object_ref, record_id)
            except kind.missing_container:
                raise
            except AttioNotFoundError:
                if record_id in self.state.archived:
                    self.log.info(
                        "%s %s is archived and gone: an earlier attempt deleted it.",
                        kind.noun.capitalize(),
                        record_id,
                    )
                    return "deleted"
                return "not_found"
            if self.stop.is_set():
                return None
            self.archive.save_record(object_ref, record_id, record, kind.lines)
        outcome = self._paced_delete(record_id)
        if outcome is None:
            return None
        if outcome == "not_found" and self.archive is None and self.job.is_retry:
            return "not_found_on_retry"  # maybe this task's earlier try deleted it: nobody can tell
        return outcome

    def _paced_delete(self, record_id: str) -> DeleteOutcome | None:
        """Send the DELETE in a slot of the pacer, its retries paced too (see :func:`paced_call`); ``None``
        when stopped before sending."""
        object_ref, kind = self.job.object, self.job.kind
        return paced_call(
            self.pacer,
            self.stop,
            self.max_wait,
            lambda pacing: kind.delete(
                self.hook, object_ref, record_id, pacing.rate_limit_gate, pacing.resend_gate
            ),
        )


def delete_records(hook: AttioHook, job: BulkDeleteJob, log: Any = None) -> BulkDeleteSummary:
    """Run a checked bulk delete (see ``AttioHook.delete_records``, its public face, which checks it).

    Everything is checked, the object's existence confirmed and the whole target set resolved before the
    first ``DELETE``. docs/operators.md ("Delete many records") explains the safety rules, the archive
    and the pacing.

    :param hook: the :class:`~airflow_provider_attio.hooks.attio.AttioHook` to send requests with.
    :param job: what to delete and how: :func:`~airflow_provider_attio.options.check_job` builds it.
    :param log: the logger for progress and outcomes; the hook's by default.
    :return: a :class:`BulkDeleteSummary`.
    :raises AttioObjectNotFoundError: the object does not exist, or was deleted during the run.
    :raises AttioAuthError: 401/403; the run stops at once.
    :raises AttioBulkDeleteError: some records failed (the others were processed); retryable when any
        failure was transient.
    :raises ArchiveWriteError: the archive could not be read or written; no record is deleted unarchived.
    """
    log = log or getattr(hook, "log", None) or _module_log
    archive = open_archive(job.archive_to) if job.archive_to is not None and not job.options.dry_run else None
    if archive is not None:
        archive.check()
        archive.run = job.run or current_run()
    _confirm_object(hook, job)
    # The whole target set, before anything is deleted.
    targets, sync, extra = _resolve_targets(hook, job, log)
    if job.options.dry_run:
        log.info(
            "Dry run: would delete %d %s. First %d: %s",
            len(targets),
            _what(job),
            min(DRY_RUN_SAMPLE, len(targets)),
            ", ".join(targets[:DRY_RUN_SAMPLE]) or "(none)",
        )
        return _shaped(
            _with_sync(_summary(job, len(targets), {}, 0, archive=None), sync, job, log), job, extra
        )
    state = _read_state(archive, job, log)
    targets = _reclaim_keys(job, sync, archive, state, targets)
    gone = _check_unfinished(hook, job, archive, state, targets, log)
    if sync is not None:
        sync.settle(state.deleted, log)
    already = [rid for rid in targets if rid in state.deleted]
    todo = [rid for rid in targets if rid not in state.deleted]
    if already:
        log.info(
            "Skipping %d %s the archive shows an earlier attempt deleted (no request sent).",
            len(already),
            f"{job.kind.noun}(s)",
        )
    location = archive.location if archive else None
    if not targets and not gone:
        log.info("Nothing to delete: no %s.", _what(job))
        return _shaped(_with_sync(_summary(job, 0, {}, 0, archive=location), sync, job, log), job, extra)
    run = _execute(hook, job, log, archive, state, todo)
    counts = {**run.progress.counts, "deleted": run.progress.counts["deleted"] + gone}
    summary = _summary(job, len(targets) + gone, counts, len(already), location, run)
    _log_summary(summary, run, log)
    _note_crowding(run, log)
    _raise_outcomes(summary, run, job, log)
    return _shaped(_with_sync(summary, sync, job, log), job, extra)


def _resolve_targets(
    hook: AttioHook, job: BulkDeleteJob, log: Any
) -> tuple[list[str], SyncPlan | None, dict[str, int]]:
    """The whole target set: the ids, a filter's matches, a delete by key's or a mirror's plan, or what
    the kind finds (entries of parent records, notes of records...), with its counts for the summary."""
    if job.record_ids is not None:
        return job.record_ids, None, {}
    if job.kind.resolve is not None:
        ids, extra = job.kind.resolve(hook, job, log)
        return ids, None, extra
    if job.match is not None or job.keep is not None:
        sync = plan_sync(hook, job, log)
        return sync.record_ids, sync, {}
    return _resolve_by_filter(hook, job, log), None, {}


def _shaped(summary: BulkDeleteSummary, job: BulkDeleteJob, extra: Mapping[str, int]) -> BulkDeleteSummary:
    """Records' summary as it always was; an entry's, note's or task's says its ``kind`` (and ``list``)
    instead of ``object``, with the kind's own counts (``kept_shared``)."""
    if job.kind.name == "record":
        return summary
    shaped: dict[str, Any] = {"kind": job.kind.name}
    if job.kind.container is not None:
        shaped[job.kind.container] = job.object
    shaped.update((key, value) for key, value in summary.items() if key != "object")
    shaped.update(extra)
    return cast(BulkDeleteSummary, shaped)


def _with_sync(
    summary: BulkDeleteSummary, sync: SyncPlan | None, job: BulkDeleteJob, log: Any
) -> BulkDeleteSummary:
    """Add a sync's counts to the summary; apply ``if_not_found`` to keys that matched nothing."""
    if sync is not None:
        summary["sync"] = sync.counts
        if not job.options.dry_run:
            sync.apply_if_not_found(job, log)
    return summary


def _confirm_object(hook: AttioHook, job: BulkDeleteJob) -> None:
    """The object (or list) must exist: checked once, rather than learning it from 1,000 doomed DELETEs."""
    job.kind.confirm(hook, job.object)


def _read_state(archive: Archive | None, job: BulkDeleteJob, log: Any) -> ArchiveState:
    """What an earlier attempt recorded in the archive (nothing without one)."""
    if archive is None:
        return ArchiveState()
    try:
        state = archive.read_state(job.object, job.kind.lines)
    except (OSError, ValueError) as err:
        raise archive_error(
            f"Could not read the archive {archive.location} (nothing was deleted)", err
        ) from err
    if state.unreadable_lines:
        log.warning(
            "The archive %s has %d unreadable line(s) (a write cut short); they were ignored.",
            archive.location,
            state.unreadable_lines,
        )
    return state


def _reclaim_keys(
    job: BulkDeleteJob,
    sync: SyncPlan | None,
    archive: Archive | None,
    state: ArchiveState,
    targets: list[str],
) -> list[str]:
    """Delete by key with an archive: a key that now matches nothing, held by a record the archive shows
    an earlier try deleted, targets that record again, so the run counts it as skipped (already deleted)
    exactly as it does an id. Records archived without an outcome are left to :func:`_check_unfinished`.
    """
    if sync is None or archive is None or not sync.unmatched:
        return targets
    try:
        records = archive.read_records(job.object)
    except (OSError, ValueError) as err:
        raise archive_error(
            f"Could not read the archive {archive.location} (nothing was deleted)", err
        ) from err
    return list(dict.fromkeys([*targets, *sync.reclaim(records, state.deleted)]))


def _check_unfinished(
    hook: AttioHook,
    job: BulkDeleteJob,
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
    kind = job.kind
    log.info(
        "The archive holds %d %s an earlier attempt archived without an outcome that this run does "
        "not target; checking (never deleting) them.",
        len(unfinished),
        f"{kind.noun}(s)",
    )
    gone = 0
    noun = kind.noun.capitalize()
    for record_id in unfinished:
        try:
            kind.get(hook, job.object, record_id)
        except kind.missing_container:
            raise
        except AttioNotFoundError:
            log.info("%s %s is archived and gone: an earlier attempt deleted it.", noun, record_id)
            archive.save_outcome(job.object, record_id, "deleted", key=kind.lines)
            state.deleted.add(record_id)
            gone += 1
            continue
        except AttioTransientError as err:
            log.warning("Could not check %s %s (left untouched): %s", kind.noun, record_id, err)
            continue
        log.warning(
            "%s %s was archived by an earlier attempt but no longer matches this run's targets: left "
            "untouched.",
            noun,
            record_id,
        )
    return gone


def _execute(
    hook: AttioHook,
    job: BulkDeleteJob,
    log: Any,
    archive: Archive | None,
    state: ArchiveState,
    todo: list[str],
) -> _Run:
    """Delete ``todo``, paced, with bounded concurrency over the hook's one session."""
    log.info(
        "Deleting %d %s at up to %s writes/s with %d worker(s)%s.",
        len(todo),
        _what(job),
        f"{job.options.writes_per_second:g}" if job.options.writes_per_second else "unlimited",
        min(job.options.max_concurrency, max(1, len(todo))),
        f", archiving each to {archive.location} first (as run {archive.run!r})" if archive else "",
    )
    run = _Run(hook, job, log, archive, state, max(1, len(todo)))
    stop_listening = hook.add_rate_limit_listener(run.on_rate_limited)
    queue, queue_lock = iter(todo), threading.Lock()
    workers = min(job.options.max_concurrency, max(1, len(todo)))
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
    pace = summary["final_writes_per_second"]
    log.info(
        "Bulk delete of %s: %d requested, %d deleted, %d not found, %d not found on this retry, %d failed, "
        "%d skipped (already deleted per the archive), in %.1fs (%.1f/s); %d rate-limited "
        "answer(s) (429) absorbed; the pace settled at %s writes/s.",
        _what(run.job),
        summary["requested"],
        summary["deleted"],
        summary["not_found"],
        summary["not_found_on_retry"],
        summary["failed"],
        summary["skipped_already_deleted"],
        elapsed,
        run.progress.done / max(elapsed, 1e-9),
        run.rate_limited,
        "unlimited" if pace is None else f"{pace:g}",
    )


def _note_crowding(run: _Run, log: Any) -> None:
    """Warn when 429s were a large share of the answers: several writers share the workspace's budget
    (every run probes on its own, so the 429s grow with their number), or Attio lowered its limit."""
    answers = run.progress.done + run.rate_limited
    if not answers or run.rate_limited / answers <= CROWDED_SHARE:
        return
    log.warning(
        "%d of %d answers (%.0f%%) were rate limited (429): other writers share this workspace's write "
        "budget (%g/s), Attio lowered it, or writes_per_second is above it. Nothing was lost, but for "
        "several bulk tasks at once a pool with writes_per_second = %g / pool slots shares the budget "
        "without 429s (docs/scale.md).",
        run.rate_limited,
        answers,
        100 * run.rate_limited / answers,
        ATTIO_WRITES_PER_SECOND,
        ATTIO_WRITES_PER_SECOND,
    )


def _raise_outcomes(summary: BulkDeleteSummary, run: _Run, job: BulkDeleteJob, log: Any) -> None:
    """A stop, then failures, then records not found on a retry, then the not-found policy."""
    progress = run.progress
    if run.stop_error is not None:
        raise run.stop_error
    if progress.failures:
        raise _failures_error(summary, progress, job)
    if summary["not_found_on_retry"]:
        note_not_found_on_retry(_count(job, summary["not_found_on_retry"]), log, retry_finishes=True)
    if summary["not_found"]:
        sample = ", ".join(progress.not_found_sample)
        more = summary["not_found"] - len(progress.not_found_sample)
        count = summary["not_found"]
        apply_if_not_found(
            job.options.if_not_found,
            f"{_count(job, count)} ({sample}"
            + (f" and {more} more)" if more > 0 else ")")
            + (" was" if count == 1 else " were")
            + " not found in Attio",
            log,
        )


def _count(job: BulkDeleteJob, count: int) -> str:
    """``3 records of 'people'``, ``1 note``."""
    where = job.kind.of(job.object)
    return job.kind.many(count) + (f" {where}" if where else "")


def _failures_error(summary: BulkDeleteSummary, progress: _Progress, job: BulkDeleteJob) -> AttioError:
    named = "; ".join(f"{rid}: {message}" for rid, message in progress.failures)
    more = summary["failed"] - len(progress.failures)
    error_cls = AttioBulkDeleteRetryableError if progress.any_transient else AttioBulkDeletePermanentError
    hint = (
        "A retry of the task deletes what is left."
        if progress.any_transient
        else "Retrying will not fix them."
    )
    return error_cls(
        f"{summary['failed']} of {summary['requested']} {_what(job)} could not be "
        f"deleted ({summary['deleted']} deleted). {hint} Failed: {named}"
        + (f" (and {more} more)." if more > 0 else "."),
        method="DELETE",
        summary=dict(summary),
        failures=list(progress.failures),
    )


def _summary(
    job: BulkDeleteJob,
    requested: int,
    counts: Mapping[str, int],
    skipped: int,
    archive: str | None,
    run: _Run | None = None,
) -> BulkDeleteSummary:
    pace = job.options.writes_per_second
    if run is not None:
        pace = run.pacer.stats().settled
    return BulkDeleteSummary(
        object=job.object,
        requested=requested,
        deleted=counts.get("deleted", 0),
        not_found=counts.get("not_found", 0),
        not_found_on_retry=counts.get("not_found_on_retry", 0),
        failed=counts.get("failed", 0),
        skipped_already_deleted=skipped,
        dry_run=job.options.dry_run,
        archive=archive,
        final_writes_per_second=None if pace is None else round(pace, 1),
        rate_limited=run.rate_limited if run is not None else 0,
    )

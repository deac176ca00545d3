"""Notes and tasks as kinds the bulk engine deletes: checked jobs, and finding them by record.

Neither has a container: a missing note or task is only ``not_found``. Attio lists them one record at a
time (``GET /v2/notes?parent_object=&parent_record_id=``, at most 50 a page; ``GET /v2/tasks?
linked_object=&linked_record_id=``), so finding them is one paced read per record and page, under the
read budget as the sync's queries are. A task is linked to several records: one linked to a record
outside the given ones is someone else's too, kept and counted (``kept_shared``) unless ``delete_shared``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from airflow_provider_attio import core
from airflow_provider_attio.archive import ArchiveKey
from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.kinds import Deleter, Kind, Resolver, no_container
from airflow_provider_attio.options import (
    COUNT_PAST_CAP_FACTOR,
    BulkDeleteJob,
    BulkDeleteOptions,
    Parents,
    check_items_job,
    check_parents,
    exactly_one,
    parse_structured,
)
from airflow_provider_attio.sync import QueryPacer

if TYPE_CHECKING:
    from airflow_provider_attio.hooks.attio import AttioHook

#: ``(object, record_id, offset)`` -> one page of the record's notes or tasks.
Lister = Callable[[str, str, int], core.Procedure[list[dict[str, Any]]]]


def _listed(hook: AttioHook, parents: Parents, lister: Lister, page_size: int) -> Iterator[dict[str, Any]]:
    """Every note or task of each record, one paced read per record and page."""
    pacer = QueryPacer()
    for record_id in parents.record_ids:
        offset: int | None = 0
        while offset is not None:
            pacer.wait()
            page = hook.run(lister(parents.object, record_id, offset))
            yield from page
            offset = core.next_offset(page, page_size, offset)


def _capped(job: BulkDeleteJob, ids: dict[str, None]) -> list[str]:
    if len(ids) > job.options.max_records:
        raise AttioValidationError(
            f"{job.kind.many(len(ids))} matched, more than max_records={job.options.max_records:,}. Nothing "
            "was deleted. If that many is intended, raise max_records; otherwise give fewer records."
        )
    return list(ids)


def _resolve_notes(hook: AttioHook, job: BulkDeleteJob, log: Any) -> tuple[list[str], dict[str, int]]:
    assert job.parents is not None

    def lister(object_ref: str, record_id: str, offset: int) -> core.Procedure[list[dict[str, Any]]]:
        return core.list_notes_page(object_ref, record_id, offset=offset)

    ids: dict[str, None] = {}
    for note in _listed(hook, job.parents, lister, core.NOTES_PER_PAGE):
        ids.setdefault(str(note["id"]["note_id"]).lower(), None)
        if len(ids) > job.options.max_records * COUNT_PAST_CAP_FACTOR:
            break
    log.info(
        "Found %s on %d record(s) of %r.",
        job.kind.many(len(ids)),
        len(job.parents.record_ids),
        job.parents.object,
    )
    return _capped(job, ids), {}


def _links(task: dict[str, Any]) -> set[str]:
    """The record ids a task is linked to."""
    links = task.get("linked_records")
    return {str(link.get("target_record_id", "")).lower() for link in links or [] if isinstance(link, dict)}


def _resolve_tasks(hook: AttioHook, job: BulkDeleteJob, log: Any) -> tuple[list[str], dict[str, int]]:
    assert job.parents is not None

    def lister(object_ref: str, record_id: str, offset: int) -> core.Procedure[list[dict[str, Any]]]:
        return core.list_tasks_page(object_ref, record_id, offset=offset)

    given = set(job.parents.record_ids)
    ids: dict[str, None] = {}
    kept: set[str] = set()
    for task in _listed(hook, job.parents, lister, core.PAGE_LIMIT):
        task_id = str(task["id"]["task_id"]).lower()
        if _links(task) <= given or job.delete_shared:
            ids.setdefault(task_id, None)
        else:
            kept.add(task_id)
    if kept:
        log.warning(
            "Keeping %s also linked to records outside the given ones (someone else's too); "
            "delete_shared=True deletes them.",
            job.kind.many(len(kept)),
        )
    return _capped(job, ids), {"kept_shared": len(kept)}


def _activity(
    name: str, fetch: Callable[[str], core.Procedure[dict[str, Any]]], delete: Deleter, resolve: Resolver
) -> Kind:
    """A note or task kind: no container (a missing one is only ``not_found``), read and archived by id."""
    return Kind(
        name=name,
        noun=name,
        container=None,
        lines=ArchiveKey(name, None, f"{name}_id"),
        missing_container=(),
        confirm=no_container,
        get=lambda hook, _, item_id: hook.run(fetch(item_id)),
        delete=delete,
        resolve=resolve,
    )


NOTES = _activity(
    "note",
    core.fetch_note,
    lambda hook, _, note_id, gate, resend: hook.delete_note(
        note_id, rate_limit_gate=gate, resend_gate=resend
    ),
    _resolve_notes,
)

TASKS = _activity(
    "task",
    core.fetch_task,
    lambda hook, _, task_id, gate, resend: hook.delete_task(
        task_id, rate_limit_gate=gate, resend_gate=resend
    ),
    _resolve_tasks,
)


def check_activities_job(
    kind: Kind,
    *,
    ids: Any = None,
    object: Any = None,
    record_ids: Any = None,
    archive_to: Any = None,
    options: BulkDeleteOptions | None = None,
    is_retry: bool = False,
    delete_shared: bool = False,
) -> BulkDeleteJob:
    """Check a bulk delete of notes or tasks without sending anything; raise on the first bad argument.

    :param kind: :data:`NOTES` or :data:`TASKS`.
    :param ids: note or task UUIDs (or notes, tasks as Attio returns them).
    :param object: with ``record_ids``: the records' object (their parent, or a linked record's).
    :param record_ids: the records whose notes (or tasks) to delete.
    :param archive_to: where to archive each before its DELETE.
    :param options: the run's options.
    :param is_retry: this run retries an earlier try of the same task.
    :param delete_shared: tasks: also delete those linked to records outside ``record_ids``.
    """
    options = options or BulkDeleteOptions()
    prefix = "parent" if kind is NOTES else "linked"
    field_name = f"{kind.name}_ids"
    given = parse_structured(ids, field_name)
    parents = check_parents(object, record_ids, prefix, options)
    choices = f"{field_name} or {prefix}_object with {prefix}_record_ids"
    exactly_one({field_name: given, f"{prefix}_record_ids": parents}, choices)
    if not isinstance(delete_shared, bool):
        raise AttioValidationError(f"delete_shared must be True or False; got {delete_shared!r}.")
    return check_items_job(
        kind,
        "",
        given,
        parents,
        options,
        archive_to=archive_to,
        is_retry=is_retry,
        delete_shared=delete_shared,
    )

"""List entries as a kind the bulk engine deletes: checked jobs, and finding entries by filter or parent.

A list is an entry's container as an object is a record's: confirmed once (``GET /v2/lists/{list}``), a
missing list stops the run with :class:`~airflow_provider_attio.exceptions.AttioListNotFoundError`.
Entries are found with ``POST /v2/lists/{list}/entries/query``, paced under the read budget; "the entries
of these records" is one query per :data:`~airflow_provider_attio.core.IDS_PER_QUERY` parent records.
Attio documents no such filter (a path through ``parent_record`` with ``record_id`` ``$in``): if it
refuses it (a 400) or ignores it (answers entries of other records), the run finds the rest by reading
each record's entries (``GET /v2/objects/{object}/records/{record_id}/entries``), as notes are found.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_attio import core
from airflow_provider_attio.archive import ArchiveKey
from airflow_provider_attio.exceptions import AttioListNotFoundError, AttioValidationError
from airflow_provider_attio.kinds import Kind
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
from airflow_provider_attio.validation import shorten, validate_filter, validate_object

if TYPE_CHECKING:
    from airflow_provider_attio.hooks.attio import AttioHook


def _entry_ids(entries: list[dict[str, Any]]) -> dict[str, None]:
    return {str(entry["id"]["entry_id"]).lower(): None for entry in entries}


def _by_filter(hook: AttioHook, job: BulkDeleteJob, pacer: QueryPacer, stop_after: int) -> dict[str, None]:
    """The entries matching the job's filter: paced query pages."""
    ids: dict[str, None] = {}
    offset: int | None = 0
    while offset is not None and len(ids) <= stop_after:
        pacer.wait()
        page = hook.run(core.query_entries_page(job.object, job.filter, offset=offset))
        ids.update(_entry_ids(page))
        offset = core.next_offset(page, core.PAGE_LIMIT, offset)
    return ids


def _query_chunk(
    hook: AttioHook, list_ref: str, parents: Parents, chunk: Sequence[str], pacer: QueryPacer
) -> tuple[dict[str, None], str]:
    """The entries of one chunk of parents by the batched query, or why Attio didn't understand it."""
    ids: dict[str, None] = {}
    offset: int | None = 0
    while offset is not None:
        pacer.wait()
        page = hook.run(core.query_entries_of_parents(list_ref, parents.object, chunk, offset=offset))
        if page.not_understood:
            return {}, page.not_understood
        ids.update(_entry_ids(page.entries))
        offset = core.next_offset(page.listed, core.PAGE_LIMIT, offset)
    return ids, ""


def _per_record(
    hook: AttioHook,
    list_ref: str,
    parents: Parents,
    record_ids: Sequence[str],
    pacer: QueryPacer,
    stop_after: int,
) -> dict[str, None]:
    """The entries on the list of each record: one paced read per record (and page of 1,000), after the
    list's own (its id and slug, which a record's entries name)."""
    pacer.wait()
    target = hook.run(core.read_list_identity(list_ref))
    ids: dict[str, None] = {}
    for record_id in record_ids:
        offset: int | None = 0
        while offset is not None:
            pacer.wait()
            listed = hook.run(core.list_record_entries_page(parents.object, record_id, offset=offset))
            ids.update((entry_id, None) for entry_id in core.entries_on_list(listed, target))
            offset = core.next_offset(listed, core.RECORD_ENTRIES_PER_PAGE, offset)
        if len(ids) > stop_after:
            break
    return ids


def _by_parents(hook: AttioHook, job: BulkDeleteJob, log: Any, stop_after: int) -> dict[str, None]:
    """The entries of the job's parent records: one query per chunk of them, unless Attio refuses or
    ignores that filter; then, for the rest of the run, one read per record."""
    assert job.parents is not None
    parents, pacer = job.parents, QueryPacer()
    ids: dict[str, None] = {}
    for start in range(0, len(parents.record_ids), core.IDS_PER_QUERY):
        chunk = parents.record_ids[start : start + core.IDS_PER_QUERY]
        found, not_understood = _query_chunk(hook, job.object, parents, chunk, pacer)
        if not_understood:
            rest = parents.record_ids[start:]
            log.warning(
                "The entries query by parent record was not understood: %s. Finding the entries of the "
                "%d remaining record(s) with one read each (GET /v2/objects/%s/records/{id}/entries), "
                "paced under the read budget; no entry outside the given records is deleted.",
                not_understood,
                len(rest),
                parents.object,
            )
            ids.update(_per_record(hook, job.object, parents, rest, pacer, stop_after - len(ids)))
            break
        ids.update(found)
        if len(ids) > stop_after:
            break
    return ids


def _resolve(hook: AttioHook, job: BulkDeleteJob, log: Any) -> tuple[list[str], dict[str, int]]:
    """The entries matching the job's filter, or whose parent is one of its records (paced reads)."""
    limit = job.options.max_records
    stop_after = limit * COUNT_PAST_CAP_FACTOR
    if job.parents is None:
        ids = _by_filter(hook, job, QueryPacer(), stop_after)
    else:
        ids = _by_parents(hook, job, log, stop_after)
    if len(ids) > limit:
        raise AttioValidationError(
            f"{len(ids):,} entries of list {job.object!r} matched, more than max_records={limit:,}. Nothing "
            f"was deleted. If that many is intended, raise max_records; otherwise narrow the targets."
        )
    what = shorten(json.dumps(job.filter), 300) if job.parents is None else "their parent records"
    log.info("Resolved %d entr(ies) of list %r by %s.", len(ids), job.object, what)
    return list(ids), {}


ENTRIES = Kind(
    name="entry",
    noun="list entry",
    container="list",
    lines=ArchiveKey("entry", "list", "entry_id"),
    missing_container=(AttioListNotFoundError,),
    confirm=lambda hook, list: hook.run(core.require_list(list)),
    get=lambda hook, list, entry_id: hook.run(core.fetch_entry(list, entry_id)),
    delete=lambda hook, list, entry_id, gate, resend: hook.delete_list_entry(
        list, entry_id, rate_limit_gate=gate, resend_gate=resend
    ),
    resolve=_resolve,
)


def check_entries_job(
    list: Any,
    *,
    entry_ids: Any = None,
    filter: Any = None,
    parent_object: Any = None,
    parent_record_ids: Any = None,
    archive_to: Any = None,
    options: BulkDeleteOptions | None = None,
    is_retry: bool = False,
) -> BulkDeleteJob:
    """Check a bulk delete of list entries without sending anything; raise on the first bad argument.

    :param list: the list's api slug or UUID.
    :param entry_ids: entry UUIDs (or entries as Attio returns them).
    :param filter: an entries query filter (``{}`` needs ``allow_delete_all``).
    :param parent_object: with ``parent_record_ids``: the entries of these records.
    :param parent_record_ids: the parent records' UUIDs.
    :param archive_to: where to archive each entry before its DELETE.
    :param options: the run's options.
    :param is_retry: this run retries an earlier try of the same task.
    """
    options = options or BulkDeleteOptions()
    list_ref = validate_object(list, "list")
    ids, query = parse_structured(entry_ids, "entry_ids"), parse_structured(filter, "filter")
    parents = check_parents(parent_object, parent_record_ids, "parent", options)
    exactly_one(
        {"entry_ids": ids, "filter": query, "parent_record_ids": parents},
        "entry_ids, filter, or parent_object with parent_record_ids",
    )
    if query is not None:
        validate_filter(query)
        if not query and not options.allow_delete_all:
            raise AttioValidationError(
                f"filter={{}} matches every entry of list {list_ref!r}: also pass allow_delete_all=True."
            )
    checked_filter = dict(query) if query is not None else None
    return check_items_job(
        ENTRIES,
        list_ref,
        ids,
        parents,
        options,
        archive_to=archive_to,
        is_retry=is_retry,
        filter=checked_filter,
    )

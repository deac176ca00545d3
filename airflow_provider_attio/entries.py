"""List entries as a kind the bulk engine deletes: checked jobs, and finding entries by filter or parent.

A list is an entry's container as an object is a record's: confirmed once (``GET /v2/lists/{list}``), a
missing list stops the run with :class:`~airflow_provider_attio.exceptions.AttioListNotFoundError`.
Entries are found with ``POST /v2/lists/{list}/entries/query``, paced under the read budget; "the entries
of these records" is one query per :data:`~airflow_provider_attio.protocol.IDS_PER_QUERY` parent records.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from airflow_provider_attio import protocol
from airflow_provider_attio.archive import ArchiveKey, check_archive_location
from airflow_provider_attio.exceptions import AttioListNotFoundError, AttioValidationError
from airflow_provider_attio.kinds import Kind
from airflow_provider_attio.options import (
    COUNT_PAST_CAP_FACTOR,
    BulkDeleteJob,
    BulkDeleteOptions,
    check_items,
    check_parents,
    exactly_one,
    parse_structured,
)
from airflow_provider_attio.sync import QueryPacer
from airflow_provider_attio.validation import shorten, validate_filter, validate_object

if TYPE_CHECKING:
    from airflow_provider_attio.hooks.attio import AttioHook


def _resolve(hook: AttioHook, job: BulkDeleteJob, log: Any) -> tuple[list[str], dict[str, int]]:
    """The entries matching the job's filter, or whose parent is one of its records (paced queries)."""
    if job.parents is None:
        filters = [job.filter]
    else:
        parents = job.parents
        chunks = protocol.chunked(parents.record_ids)
        filters = [protocol.entries_of_parents(job.object, parents.object, chunk) for chunk in chunks]
    ids: dict[str, None] = {}
    pacer, limit = QueryPacer(), job.options.max_records
    for query in filters:
        offset: int | None = 0
        while offset is not None:
            pacer.wait()
            page = hook.run(protocol.query_entries_page(job.object, query, offset=offset))
            ids.update((str(entry["id"]["entry_id"]).lower(), None) for entry in page)
            if len(ids) > limit * COUNT_PAST_CAP_FACTOR:
                break
            offset = protocol.next_offset(page, protocol.PAGE_LIMIT, offset)
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
    confirm=lambda hook, list: hook.run(protocol.require_list(list)),
    get=lambda hook, list, entry_id: hook.run(protocol.fetch_entry(list, entry_id)),
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
    return BulkDeleteJob(
        object=list_ref,
        record_ids=check_items(ids, "entry_ids", "entry_id", options) if ids is not None else None,
        filter=dict(query) if query is not None else None,
        archive_to=check_archive_location(archive_to) if archive_to is not None else None,
        options=options,
        is_retry=is_retry,
        kind=ENTRIES,
        parents=parents,
    )

"""Attio's API without I/O: every call the provider makes, and what Attio's answers mean.

Two drivers send the requests and sleep: :class:`~airflow_provider_attio.hooks.attio.AttioHook`
(``requests``, for operators, the engines and poking sensors) and
:class:`~airflow_provider_attio.aio.AsyncAttioClient` (``httpx``, for the triggerer). Neither compares a
status or reads a body's meaning: they hand each attempt's :class:`Reply` to a :class:`Call`, which
says what it means and whether to try again. What each answer means, in one place:

* **a 2xx** is handed to the procedure, which trusts it only as Attio's JSON (an object, with ``data``
  where Attio sends it): anything else is :func:`not_attio`, a permanent error naming the host. A DELETE
  answered that way is ambiguous: the record is read, and only a record that is gone was deleted.
* **a 404** ``not_found`` doesn't say whether the record or the object is missing (an entry or its
  list): the procedure asks for the object (the list). A 404 after an attempt that may have been
  applied means that attempt did it. ``merge_in_progress`` is "not yet" (transient). A 404 whose body
  isn't JSON is not Attio's.
* **a 401** is :class:`~airflow_provider_attio.exceptions.AttioTokenRejectedError`: each driver reads
  the connection again once (a rotated token) and sends again; 403 and 400 are permanent.
* **a 429, a 5xx, a timeout, a dropped connection** are retried with the policy below (``Retry-After``
  as an HTTP date or seconds, jittered exponential backoff, a count and a time budget). A 5xx, a read
  timeout or a dropped answer may have been applied; a refused or timed-out connect was not. A create
  is sent :attr:`~ApiRequest.once`: after an attempt that may have been applied it is not sent again (a
  second record), and the call raises
  :class:`~airflow_provider_attio.exceptions.AttioOutcomeUnknownError` for its caller to look it up.

A *procedure* is a generator that yields :class:`ApiRequest` values and is sent each one's
:class:`Answer` (a 2xx, or a plain 404 ``not_found``, which only the procedure can interpret), or has the
call's :class:`~airflow_provider_attio.exceptions.AttioError` thrown in; it returns its result.
:func:`run` drives one with a blocking client, :func:`arun` with an async one.
"""

from __future__ import annotations

from airflow_provider_attio.core.activities import (
    NOTES,
    TASKS,
    Activity,
    delete_activity,
    delete_note,
    delete_task,
    fetch_activity,
    fetch_note,
    fetch_task,
    list_activities_page,
    list_notes_page,
    list_tasks_page,
    read_activity,
    read_note,
    read_task,
)
from airflow_provider_attio.core.answers import (
    UNREADABLE,
    Answer,
    Reply,
    TransportFailure,
    error_from_answer,
    item_not_found,
    list_not_found,
    listed_without_id,
    not_attio,
    object_not_found,
    parse_body,
    record_not_found,
    retry_after_seconds,
    transport_error,
)
from airflow_provider_attio.core.calls import (
    DEFAULT_HOST,
    ApiRequest,
    api_path,
    create_request,
    get_list,
    get_object,
    get_record,
    query_records,
)
from airflow_provider_attio.core.entries import (
    ListIdentity,
    ParentEntriesPage,
    check_entry,
    delete_entry,
    entries_of_parents,
    entries_on_list,
    fetch_entry,
    is_entry_of,
    is_uuid,
    list_record_entries_page,
    query_entries_of_parents,
    query_entries_page,
    read_entry,
    read_list_identity,
    require_list,
)
from airflow_provider_attio.core.facts import (
    RecordFact,
    RecordState,
    check_record,
    confirm_absent,
    fact_of,
    list_by_id,
    unavailable,
)
from airflow_provider_attio.core.identity import identify, judge_self
from airflow_provider_attio.core.items import delete_item, fetch_item, items_with_ids, read_item
from airflow_provider_attio.core.paging import (
    IDS_PER_QUERY,
    NOTES_PER_PAGE,
    PAGE_LIMIT,
    RECORD_ENTRIES_PER_PAGE,
    chunked,
    next_offset,
)
from airflow_provider_attio.core.procedure import Procedure, T, arun, run, settle
from airflow_provider_attio.core.records import (
    DeleteOutcome,
    create_record,
    delete_record,
    fetch_record,
    get_attribute,
    list_attributes,
    object_exists,
    query_page,
    read_record,
    record_id_of,
    require_object,
)
from airflow_provider_attio.core.restore import (
    Created,
    CreateOutcome,
    create_once,
    list_choices,
    update_record,
)
from airflow_provider_attio.core.retry import (
    Call,
    RetrySettings,
    exhausted,
    gives_up,
    outcome_unknown,
    rate_limit_wait,
    retry_wait,
    retryable,
)
from airflow_provider_attio.core.scopes import (
    DELETE_SCOPES,
    RECORD_ENTRIES_SCOPES,
    SCOPES_BY_PATH,
    deletable,
    judge_deletes,
    missing_scopes,
    scopes_for,
)

__all__ = [
    "DEFAULT_HOST",
    "DELETE_SCOPES",
    "IDS_PER_QUERY",
    "NOTES",
    "NOTES_PER_PAGE",
    "PAGE_LIMIT",
    "RECORD_ENTRIES_PER_PAGE",
    "RECORD_ENTRIES_SCOPES",
    "SCOPES_BY_PATH",
    "TASKS",
    "UNREADABLE",
    "Activity",
    "Answer",
    "ApiRequest",
    "Call",
    "CreateOutcome",
    "Created",
    "DeleteOutcome",
    "ListIdentity",
    "ParentEntriesPage",
    "Procedure",
    "RecordFact",
    "RecordState",
    "Reply",
    "RetrySettings",
    "T",
    "TransportFailure",
    "api_path",
    "arun",
    "check_entry",
    "check_record",
    "chunked",
    "confirm_absent",
    "create_once",
    "create_record",
    "create_request",
    "deletable",
    "delete_activity",
    "delete_entry",
    "delete_item",
    "delete_note",
    "delete_record",
    "delete_task",
    "entries_of_parents",
    "entries_on_list",
    "error_from_answer",
    "exhausted",
    "fact_of",
    "fetch_activity",
    "fetch_entry",
    "fetch_item",
    "fetch_note",
    "fetch_record",
    "fetch_task",
    "get_attribute",
    "get_list",
    "get_object",
    "get_record",
    "gives_up",
    "identify",
    "is_entry_of",
    "is_uuid",
    "item_not_found",
    "items_with_ids",
    "judge_deletes",
    "judge_self",
    "list_activities_page",
    "list_attributes",
    "list_by_id",
    "list_choices",
    "list_not_found",
    "list_notes_page",
    "list_record_entries_page",
    "list_tasks_page",
    "listed_without_id",
    "missing_scopes",
    "next_offset",
    "not_attio",
    "object_exists",
    "object_not_found",
    "outcome_unknown",
    "parse_body",
    "query_entries_of_parents",
    "query_entries_page",
    "query_page",
    "query_records",
    "rate_limit_wait",
    "read_activity",
    "read_entry",
    "read_item",
    "read_list_identity",
    "read_note",
    "read_record",
    "read_task",
    "record_id_of",
    "record_not_found",
    "require_list",
    "require_object",
    "retry_after_seconds",
    "retry_wait",
    "retryable",
    "run",
    "scopes_for",
    "settle",
    "transport_error",
    "unavailable",
    "update_record",
]

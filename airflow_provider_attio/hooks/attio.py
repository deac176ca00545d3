"""AttioHook: Attio for operators, the engines and poking sensors, through an Airflow connection.

The hook owns the connection, the token (in its session's headers only) and the HTTP session, and
reads the connection again once on a 401; :mod:`airflow_provider_attio.blocking` sends the core's
requests and sleeps. What Attio's answers mean, what to retry and how long to wait are
decided in :mod:`airflow_provider_attio.core`, which the triggerer's async client drives too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import requests
from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_attio import bulk, core, restore
from airflow_provider_attio.blocking import RateLimited, exchange, send_call
from airflow_provider_attio.connection import (
    TEST_TIMEOUT,
    ConnectionParts,
    ConnectionSettings,
    connection_form_widgets,
    connection_parts,
    describe_transport_failure,
    new_session,
    ui_field_behaviour,
)
from airflow_provider_attio.core import (
    Answer,
    ApiRequest,
    Call,
    DeleteOutcome,
    Procedure,
    T,
)
from airflow_provider_attio.exceptions import (
    AttioError,
    AttioTokenRejectedError,
)
from airflow_provider_attio.options import BulkDeleteOptions, check_job
from airflow_provider_attio.pacing import Pacing, RateLimitGate, ResendGate
from airflow_provider_attio.restore import RestoreOptions, RestoreSummary, check_restore_job, restore_options
from airflow_provider_attio.validation import (
    validate_filter,
    validate_object,
    validate_positive_int,
    validate_record_id,
    validate_sorts,
)

if TYPE_CHECKING:
    from airflow_provider_attio.bulk import BulkDeleteSummary

__all__ = ["AttioHook", "DeleteOutcome", "RateLimited"]


class AttioHook(BaseHook):
    """Talk to the Attio REST API (v2) through an Airflow connection of type ``attio``.

    The connection's password is the token (an Attio API key or OAuth access token); its host is
    optional and defaults to ``https://api.attio.com``. Extras tune timeouts and retries
    (:class:`~airflow_provider_attio.connection.ConnectionSettings`). Every call retries by itself on
    429, 5xx, timeouts, dropped connections and 404 ``merge_in_progress``; on a 401 the hook reads the
    connection again once (a rotated token). ``docs/connection.md`` tells the rest.

    :param attio_conn_id: the Airflow connection id, ``attio_default`` by default.
    :param connection: an already fetched connection; skips the first lookup.
    """

    conn_name_attr = "attio_conn_id"
    default_conn_name = "attio_default"
    conn_type = "attio"
    hook_name = "Attio"

    def __init__(self, attio_conn_id: str = default_conn_name, *, connection: Any = None) -> None:
        super().__init__()
        self.attio_conn_id = attio_conn_id
        self._connection = connection
        self._session: requests.Session | None = None
        self._retired: list[requests.Session] = []
        self._session_lock = threading.Lock()
        self._parts: ConnectionParts | None = None
        #: Counts the connection's reads; a 401 re-reads it only if no other call has since its request.
        self._generation = 0
        self._stale_generation = -1
        self._rate_limit_listeners: list[Callable[[RateLimited], None]] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(attio_conn_id={self.attio_conn_id!r})"

    # -- the connection form (Airflow 2.11 to 3.1; 3.2+ reads get_provider_info()) --------------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields of the ``attio`` connection form on Airflow before 3.2."""
        return connection_form_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Hide the fields Attio does not use and label the token field, on Airflow before 3.2."""
        return ui_field_behaviour()

    # -- connection, settings, session ------------------------------------------------------------------

    def _load(self, conn: Any = None) -> ConnectionParts:
        """Read the connection (once, or again after a 401) and build the session. Under the lock."""
        if self._parts is None or conn is not None:
            conn = conn or self._connection or self.get_connection(self.attio_conn_id)
            self._parts = connection_parts(conn, conn.extra_dejson or {})
            if self._session is not None:
                self._retired.append(self._session)  # other calls may still be using it
            self._session = new_session(self._parts)
            self._generation += 1
        return self._parts

    def _current(self) -> tuple[requests.Session, ConnectionParts, int]:
        with self._session_lock:
            parts = self._load()
            assert self._session is not None
            return self._session, parts, self._generation

    @property
    def settings(self) -> ConnectionSettings:
        """The connection's options (timeouts, retries), read on first use."""
        return self._current()[1].settings

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``https://api.attio.com``."""
        return self._current()[1].base_url

    def get_conn(self) -> requests.Session:
        """The hook's HTTP session: built once, then reused (keep-alive), with the token and User-Agent."""
        return self._current()[0]

    def close(self) -> None:
        """Close the HTTP sessions; the next call reads the connection (and its token) again."""
        with self._session_lock:
            for session in [*self._retired, *([self._session] if self._session else [])]:
                session.close()
            self._session, self._retired, self._parts = None, [], None

    def _reread_after_401(self, generation: int) -> bool:
        """The token sent with ``generation`` got a 401: read the connection again, once, in case the token
        was rotated. ``True`` when a different token is in use now."""
        with self._session_lock:
            if self._generation != generation:
                return True  # another call has read it since
            if self._stale_generation == generation:
                return False  # read again already: the same token
            self.log.warning(
                "Attio rejected the token (401); reading the connection %r again.", self.attio_conn_id
            )
            conn = self.get_connection(self.attio_conn_id)
            assert self._parts is not None
            if connection_parts(conn, conn.extra_dejson or {}).token == self._parts.token:
                self._stale_generation = generation
                return False
            self._load(conn)
            return True

    # -- sending: the blocking driver (blocking.py) with this hook's session and listeners ------------------

    def send(self, request: ApiRequest, pacing: Pacing | None = None) -> Answer:
        """Send one request of the core with its retry policy; on a 401, read the connection again once.

        :return: a 2xx answer, or a plain 404 ``not_found`` (which the calling procedure interprets).
        :raises AttioError: any other answer, once the retries are spent.
        """
        session, parts, generation = self._current()
        try:
            return send_call(session, parts, request, pacing, self._announce, self.log)
        except AttioTokenRejectedError:
            if not self._reread_after_401(generation):
                raise
        session, parts, _ = self._current()
        return send_call(session, parts, request, pacing, self._announce, self.log)

    def run(self, procedure: Procedure[T], pacing: Pacing | None = None) -> T:
        """Run a procedure of the core; ``pacing`` applies to its writes only."""
        return core.run(procedure, lambda r: self.send(r, pacing if r.is_write else None))

    def add_rate_limit_listener(self, listener: Callable[[RateLimited], None]) -> Callable[[], None]:
        """Call ``listener`` with a :class:`RateLimited` for every 429 this hook receives, from any thread.

        :param listener: a quick, thread-safe callable (the bulk engine counts the 429s it absorbs).
        :return: a function that removes the listener.
        """
        with self._session_lock:
            self._rate_limit_listeners.append(listener)

        def remove() -> None:
            with self._session_lock:
                self._rate_limit_listeners.remove(listener)

        return remove

    def _announce(self, signal: RateLimited) -> None:
        with self._session_lock:
            listeners = list(self._rate_limit_listeners)
        for listener in listeners:
            listener(signal)

    # -- the public calls ---------------------------------------------------------------------------------

    def object_exists(self, object: str) -> bool:
        """Whether the object (slug or UUID) exists in the workspace: ``GET /v2/objects/{object}``.

        :param object: the object's api slug (``people``) or UUID.
        """
        return self.run(core.object_exists(validate_object(object)))

    def require_object(self, object: str) -> None:
        """Raise :class:`~airflow_provider_attio.exceptions.AttioObjectNotFoundError` if it is missing.

        :param object: the object's api slug or UUID.
        """
        self.run(core.require_object(validate_object(object)))

    def get_record(self, object: str, record_id: str) -> dict[str, Any]:
        """Return a record (``GET /v2/objects/{object}/records/{record_id}``'s ``data``).

        :param object: the object's api slug or UUID.
        :param record_id: the record's UUID.
        :raises AttioNotFoundError: the record does not exist.
        :raises AttioObjectNotFoundError: the object does not exist.
        """
        return self.run(core.fetch_record(validate_object(object), validate_record_id(record_id)))

    def delete_record(
        self,
        object: str,
        record_id: str,
        *,
        rate_limit_gate: RateLimitGate | None = None,
        resend_gate: ResendGate | None = None,
    ) -> DeleteOutcome:
        """Delete a record (permanently): ``"deleted"``, or ``"not_found"`` when the object exists and the
        record does not (see :func:`airflow_provider_attio.core.delete_record`).

        :param object: the object's api slug or UUID.
        :param record_id: the record's UUID.
        :param rate_limit_gate: for callers that pace their own writes: called after a 429 instead of the
            hook's sleep (see :data:`RateLimitGate`).
        :param resend_gate: for the same callers: called before resending after any other failure.
        :raises AttioObjectNotFoundError: the object does not exist.
        """
        procedure = core.delete_record(validate_object(object), validate_record_id(record_id))
        outcome = self.run(procedure, Pacing(rate_limit_gate, resend_gate))
        return outcome

    def delete_list_entry(self, list: str, entry_id: str, **gates: Any) -> DeleteOutcome:
        """Delete a list entry as :meth:`delete_record` a record (``gates`` alike): ``"deleted"`` or
        ``"not_found"``; a missing list raises ``AttioListNotFoundError``.

        :param list: the list's api slug or UUID.
        :param entry_id: the entry's UUID.
        """
        entry = validate_record_id(entry_id, "entry_id")
        return self.run(core.delete_entry(validate_object(list, "list"), entry), Pacing(**gates))

    def delete_note(self, note_id: str, **gates: Any) -> DeleteOutcome:
        """Delete a note: ``"deleted"`` or ``"not_found"``; ``gates`` as :meth:`delete_list_entry`'s.

        :param note_id: the note's UUID.
        """
        return self.run(core.delete_note(validate_record_id(note_id, "note_id")), Pacing(**gates))

    def delete_task(self, task_id: str, **gates: Any) -> DeleteOutcome:
        """Delete a task: ``"deleted"`` or ``"not_found"``; ``gates`` as :meth:`delete_list_entry`'s.

        :param task_id: the task's UUID.
        """
        return self.run(core.delete_task(validate_record_id(task_id, "task_id")), Pacing(**gates))

    def create_record(self, object: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record: ``POST /v2/objects/{object}/records`` with values in Attio's write formats.

        :param object: the object's api slug or UUID.
        :param values: ``{attribute_slug: value or [values]}``.
        """
        return self.run(core.create_record(validate_object(object), dict(values)))

    def list_attributes(self, object: str) -> list[dict[str, Any]]:
        """The object's attributes (``api_slug``, ``type``, ``is_writable``...).

        :param object: the object's api slug or UUID.
        """
        return self.run(core.list_attributes(validate_object(object)))

    def get_attribute(self, object: str, attribute: str) -> dict[str, Any]:
        """One attribute of the object (its ``type``, ``is_multiselect``...).

        :param object: the object's api slug or UUID.
        :param attribute: the attribute's api slug.
        """
        return self.run(core.get_attribute(validate_object(object), validate_object(attribute, "attribute")))

    def iter_records(
        self,
        object: str,
        filter: Mapping[str, Any] | None = None,
        sorts: Sequence[Mapping[str, Any]] | None = None,
        page_size: int = 500,
    ) -> Iterator[dict[str, Any]]:
        """Yield the records of an object matching ``filter``, page by page (offset paging: collect the
        ids before deleting any).

        :param object: the object's api slug or UUID.
        :param filter: an Attio query filter; ``None`` matches every record.
        :param sorts: Attio sorts, e.g. ``[{"attribute": "name", "direction": "asc"}]``.
        :param page_size: records per request (Attio's ``limit``).
        """
        object_ref = validate_object(object)
        validate_filter(filter)
        validate_sorts(sorts)
        validate_positive_int(page_size, "page_size")
        offset: int | None = 0
        while offset is not None:
            page = self.run(core.query_page(object_ref, filter, sorts, limit=page_size, offset=offset))
            yield from page
            offset = core.next_offset(page, page_size, offset)

    def delete_records(
        self,
        object: str,
        *,
        record_ids: Iterable[str] | str | None = None,
        filter: Mapping[str, Any] | str | None = None,
        archive_to: Any = None,
        options: BulkDeleteOptions | None = None,
        is_retry: bool = False,
        log: Any = None,
        match_attribute: str | None = None,
        match_values: Iterable[Any] | str | None = None,
        keep_attribute: str | None = None,
        keep_values: Iterable[Any] | str | None = None,
        run: str | None = None,
        **option_values: Any,
    ) -> BulkDeleteSummary:
        """Delete many records at Attio's pace: the bulk engine behind ``AttioDeleteRecordsOperator``
        (``docs/operators.md``). Give one kind of target; returns the small summary (counts, never ids).

        :param object: the object's api slug or UUID.
        :param record_ids: record UUIDs (or records as Attio returns them).
        :param filter: delete every record matching this Attio query filter (or a mirror's scope).
        :param archive_to: archive each record here before its DELETE (a path or object storage URI).
        :param options: a :class:`~airflow_provider_attio.options.BulkDeleteOptions`, or its fields as:
        :param option_values: the options by name (``max_records=5_000, dry_run=True``...).
        :param is_retry: this run retries an earlier try of the same task.
        :param log: the logger for progress; the hook's by default.
        :param match_attribute: delete by key: the attribute (``email_addresses``, ``record_id``...).
        :param match_values: delete by key: the keys.
        :param keep_attribute: mirror: the attribute of the kept keys.
        :param keep_values: mirror: the keys to keep, the source of truth.
        :param run: the run id the archive's lines carry; by default the Airflow task's (in a ``@task``),
            else a generated one (the log names it). A restore chooses a run by it.
        """
        job = check_job(
            object,
            record_ids=record_ids,
            filter=filter,
            archive_to=archive_to,
            options=BulkDeleteOptions.of(options, **option_values),
            is_retry=is_retry,
            match_attribute=match_attribute,
            match_values=match_values,
            keep_attribute=keep_attribute,
            keep_values=keep_values,
            run=run,
        )
        return bulk.delete_records(self, job, log)

    def restore_records(
        self,
        archive_from: Any,
        *,
        object: str | None = None,
        record_ids: Iterable[str] | str | None = None,
        options: RestoreOptions | None = None,
        log: Any = None,
        run: str | None = None,
        **option_values: Any,
    ) -> RestoreSummary:
        """Recreate the records a bulk delete archived: the engine behind ``AttioRestoreRecordsOperator``
        (``docs/restore.md``). Returns the small summary (counts, never ids).

        :param archive_from: the archive, as the delete's ``archive_to`` took it (a path or URI).
        :param object: the object whose records to restore; the archive's only object by default.
        :param record_ids: restore only these archived records (their old ids).
        :param options: a :class:`~airflow_provider_attio.restore.RestoreOptions`, or its fields as:
        :param option_values: the options by name (``dry_run=True``, ``on_conflict="fail"``...).
        :param log: the logger for progress; the hook's by default.
        :param run: restore the records this run archived (``"all"``: every run's; a mapped task's id
            without a map index: all its map indexes'); needed when the archive holds several runs,
            which fails listing them otherwise.
        """
        job = check_restore_job(
            archive_from,
            object=object,
            record_ids=record_ids,
            options=restore_options(options, **option_values),
            run=run,
        )
        return restore.restore_records(self, job, log)

    def test_connection(self) -> tuple[bool, str]:
        """Check the token with one ``GET /v2/self`` and short timeouts, answering within about 10 s.

        Says what failed: the host's name, a refused connection, TLS, a timeout, a rejected or inactive
        token, or missing scopes. No retries: a person (or the UI) is waiting for the answer.
        """
        try:
            session, parts, _ = self._current()
            call = Call(ApiRequest("GET", core.api_path("self")), parts.settings, origin=parts.base_url)
            timeout = (
                min(parts.settings.connect_timeout, TEST_TIMEOUT),
                min(parts.settings.timeout, TEST_TIMEOUT),
            )
            outcome = call.answered(exchange(session, parts, call.request, timeout))
            return core.judge_self(core.run(core.identify(), lambda _: core.settle(outcome)))
        except requests.RequestException as err:
            return False, describe_transport_failure(err, self.base_url)
        except AttioError as err:
            return False, str(err)

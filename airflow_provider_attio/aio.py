"""The deferred path's I/O, on the triggerer's event loop: an async Attio client and the batch watcher.

* :class:`AsyncAttioClient` sends :class:`~airflow_provider_attio.core.ApiRequest` values with
  ``httpx.AsyncClient`` (which Airflow ships), through a bounded connection pool, with the hook's retry
  policy (:mod:`airflow_provider_attio.core`): its waits are ``asyncio.sleep`` calls, so a 429 or a
  5xx backoff holds no thread.
* :class:`RecordWatcher` (one per event loop, :func:`watcher`) batches the sensors of a triggerer: the
  triggers watching records of the same object through the same connection form a group, checked with one
  ``record_id`` ``$in`` query per tick (:data:`~airflow_provider_attio.core.IDS_PER_QUERY` ids a
  query) whose answer is fanned out to each trigger. The absences that could finish a sensor are
  confirmed in the same tick, for every sensor of the group at once: a second query per
  :data:`~airflow_provider_attio.core.IDS_PER_QUERY` of them
  (:func:`~airflow_provider_attio.core.confirm_absent`), so N records deleted together cost
  twice ceil(N / 250) queries, not N reads. One client serves each connection. A trigger that leaves
  (fired, cancelled, timed out) leaves its group; the last one out closes the client.

A group checks its sensors on a common tick whose period is the shortest ``poke_interval`` among them;
each sensor is checked at the last tick before it is due, so never later than its ``poke_interval``, and
sensors deferred at different moments share the same queries.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

import httpx
from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson

from airflow_provider_attio.connection import ConnectionParts, connection_parts
from airflow_provider_attio.core import (
    Answer,
    ApiRequest,
    Call,
    RecordFact,
    Reply,
    TransportFailure,
    arun,
    check_entry,
    check_record,
    chunked,
    confirm_absent,
    list_by_id,
    require_list,
    unavailable,
)
from airflow_provider_attio.exceptions import AttioError, AttioTokenRejectedError, AttioTransientError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.watch import ENTRY_READS_PER_SECOND, Watching

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Connections one client keeps to Attio at most (requests beyond wait for a free one).
MAX_CONNECTIONS = 10
#: Triggers a tick delivers to before it lets the event loop run: when 1,000 sensors' records go at
#: once, 1,000 triggers wake and fire in slices, not in one burst that holds every other trigger back.
DELIVERY_SLICE = 50


def _failure(err: httpx.HTTPError) -> TransportFailure:
    """How far a request that got no answer went: never sent, or perhaps applied."""
    if isinstance(err, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return "connect_timeout"
    if isinstance(err, httpx.ConnectError):
        return "connect"
    if isinstance(err, httpx.TimeoutException):
        return "read_timeout"
    if isinstance(err, (httpx.NetworkError, httpx.RemoteProtocolError)):
        return "dropped"
    return "other"


class AsyncAttioClient:
    """Send requests to Attio from an event loop: one ``httpx.AsyncClient``, a bounded pool, no threads.

    The async driver of the core: the same loop as the hook's, sleeping with ``asyncio.sleep``.

    :param parts: the connection's base URL, settings and token (kept in the client's headers only).
    :param max_connections: the pool's size.
    :param transport: an httpx transport (tests).
    """

    def __init__(
        self,
        parts: ConnectionParts,
        *,
        max_connections: int = MAX_CONNECTIONS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url, self.settings = parts.base_url, parts.settings
        self._client = httpx.AsyncClient(
            base_url=parts.base_url,
            headers=parts.headers(),
            timeout=httpx.Timeout(parts.settings.timeout, connect=parts.settings.connect_timeout, pool=None),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @classmethod
    async def for_connection(cls, conn_id: str) -> AsyncAttioClient:
        """A client for an Airflow connection, read without blocking the event loop."""
        conn = await get_async_connection(conn_id, hook=AttioHook)
        return cls(connection_parts(conn, await get_async_extra_dejson(conn)))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, request: ApiRequest) -> Answer:
        """Send one logical call with retries; return a 2xx or a plain 404, or raise an AttioError."""
        call = Call(request, self.settings, origin=self.base_url)
        while True:
            outcome = await self._attempt(call)
            if isinstance(outcome, Answer):
                return outcome
            wait = call.retry_in(outcome)
            log.warning("Attio call failed, retrying in %.2fs: %s", wait, outcome)
            await asyncio.sleep(wait)

    async def _attempt(self, call: Call) -> Answer | AttioError:
        request = call.request
        try:
            response = await self._client.request(request.method, request.path, json=request.json)
        except httpx.HTTPError as err:
            return call.unanswered(_failure(err), type(err).__name__)
        headers = response.headers
        return call.answered(
            Reply(
                response.status_code,
                response.content,
                headers.get("Content-Type", ""),
                headers.get("Retry-After"),
            )
        )


ClientFactory = Callable[[str], Awaitable[AsyncAttioClient]]


class Spacer:
    """Hands out send slots ``1 / rate`` seconds apart on the event loop: callers ``await wait()``.

    Callers wait in line (first come, first served) and a slot is taken only once its wait is over, so a
    caller cancelled while waiting (a trigger of a cleared DAG run) books nothing ahead for the others; an
    idle spacer lets the next call go at once. ``clock`` and ``sleep`` are injectable (tests).

    :param rate: slots per second.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval, self._clock, self._sleep = 1.0 / rate, clock, sleep
        self._next = 0.0
        self._line = asyncio.Lock()  # FIFO: one caller at a time waits for the next slot

    async def wait(self) -> None:
        async with self._line:
            now = self._clock()
            if now < self._next:
                await self._sleep(self._next - now)
            self._next = max(now, self._next) + self._interval


class _Link:
    """One Attio connection on one event loop: the client every group of that connection shares."""

    def __init__(self, conn_id: str, factory: ClientFactory) -> None:
        self.conn_id = conn_id
        self._factory = factory
        self._client: AsyncAttioClient | None = None
        self._retired: list[AsyncAttioClient] = []
        self._lock = asyncio.Lock()
        #: Paces the reads that have no batched form (list entries) over every list of the connection.
        self.spacer = Spacer(ENTRY_READS_PER_SECOND)

    async def _current(self) -> AsyncAttioClient:
        async with self._lock:
            if self._client is None:
                self._client = await self._factory(self.conn_id)
            return self._client

    async def _reread(self, stale: AsyncAttioClient) -> AsyncAttioClient:
        async with self._lock:
            if self._client is stale:  # not re-read already by a concurrent call
                log.warning("Attio rejected the token (401); reading the connection %r again.", self.conn_id)
                self._client = await self._factory(self.conn_id)
                self._retired.append(stale)  # other calls may still be using it: closed with the link
            assert self._client is not None
            return self._client

    async def send(self, request: ApiRequest) -> Answer:
        """Send with the connection's client; on a 401, read the connection again (a rotated token), once."""
        client = await self._current()
        try:
            return await client.send(request)
        except AttioTokenRejectedError:
            pass
        return await (await self._reread(client)).send(request)

    async def aclose(self) -> None:
        clients = [c for c in (self._client, *self._retired) if c is not None]
        self._client, self._retired = None, []
        for client in clients:
            await client.aclose()


@dataclass
class WatchStats:
    """What a watcher did, for logs and benchmarks: counts since it started."""

    #: ``record_id`` ``$in`` queries sent (each may hold many sensors' records).
    queries: int = 0
    #: record ids those queries asked about.
    ids_queried: int = 0
    #: checks delivered to sensors with an answer for each of their records (one per sensor per tick,
    #: whatever its number of records).
    checks: int = 0
    #: second ``$in`` queries confirming absences (each for many sensors' records).
    confirmations: int = 0
    #: record ids those confirming queries asked about.
    ids_confirmed: int = 0
    #: single-record reads (``GET``) confirming a record awaited present.
    reads: int = 0
    #: ticks of entry groups (each reads its entries once, however many triggers watch them).
    entry_ticks: int = 0
    #: list entries read (``GET``), one by one: entries have no batched read.
    entry_reads: int = 0


Delivery = dict[str, RecordFact] | BaseException
Failures = dict[str, BaseException]
Asker = Callable[[Sequence[str]], Awaitable[dict[str, RecordFact]]]


class Member:
    """One trigger in a group: what it watches, its interval and its next check."""

    def __init__(self, group: _Group, watching: Watching, interval: float, now: float) -> None:
        self.group = group
        self.watching = watching
        self.interval = max(interval, 0.001)
        #: When it was last checked (at first: when it joined, just after the sensor's own check).
        self.last = now
        self.waiting = False
        self._future: asyncio.Future[Delivery] | None = None
        self._undelivered: Delivery | None = None

    @property
    def record_ids(self) -> tuple[str, ...]:
        """The records the group lists for it: those not yet confirmed gone."""
        return self.watching.pending

    async def next(self) -> dict[str, RecordFact]:
        """The facts of this member's records from its next check: listed, with the records confirmed
        gone before, and the absences that could finish it confirmed by the group in the same tick.

        :raises AttioError: the check failed for good (missing object, rejected token...).
        """
        delivery, self._undelivered = self._undelivered, None
        if delivery is None:
            self._future = asyncio.get_running_loop().create_future()
            self.waiting = True
            self.group.wake()
            try:
                delivery = await self._future
            finally:
                self._future, self.waiting = None, False
        if isinstance(delivery, BaseException):
            raise delivery
        return delivery

    def deliver(self, delivery: Delivery) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(delivery)
        else:  # not waiting right now: the next call to next() gets it
            self._undelivered = delivery

    async def read(self, facts: dict[str, RecordFact]) -> dict[str, RecordFact]:
        """Confirm the records awaited present that ``facts`` show (:meth:`RecordWatch.to_confirm`) by
        reading them (``GET``) through the group's connection, until the verdict is known: with
        ``require="all"`` as many at once as the connection pool holds, until one isn't present; with
        ``"any"`` one by one until one is. ``facts`` gets each read; returns them too."""
        watch = self.watching.watch
        if not watch.kind.listed:  # entries: every fact is a read already
            return {}
        candidates = watch.to_confirm(facts) if watch.wait_for == "present" else []
        waves = chunked(candidates, MAX_CONNECTIONS if watch.require == "all" else 1)
        read: dict[str, RecordFact] = {}
        for wave in waves:
            self.group.stats.reads += len(wave)
            found = await asyncio.gather(*(self.group.read(r) for r in wave))
            read.update(zip(wave, found, strict=True))
            facts.update(read)
            if watch.settled(facts):
                break
        return read


class _Group:
    """The triggers watching one object through one connection: one query per tick for all of them."""

    def __init__(self, watcher: RecordWatcher, link: _Link, object: str, key: tuple[str, str]) -> None:
        self.watcher, self.link, self.object, self.key = watcher, link, object, key
        self.stats = watcher.stats
        self.members: set[Member] = set()
        self.anchor = time.monotonic()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ticks: set[asyncio.Task[None]] = set()

    def add(self, member: Member) -> None:
        self.members.add(member)
        if self._task is None:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), name=f"attio-watch-{self.object}")
        self.wake()

    def remove(self, member: Member) -> None:
        self.members.discard(member)
        self.wake()

    def wake(self) -> None:
        self._changed.set()

    def _check_at(self, member: Member, period: float) -> float:
        """The last tick of the group's grid at or before the member is due."""
        due = member.last + member.interval
        return self.anchor + math.floor((due - self.anchor) / period + 1e-9) * period

    async def _run(self) -> None:
        try:
            await self._schedule()
        except Exception as err:  # a bug here must not leave triggers waiting forever
            log.exception("The watcher of %r stopped", self.object)
            for member in self.members:
                member.deliver(err)
        finally:
            for tick in self._ticks:
                tick.cancel()
            await self.watcher._release(self)

    async def _schedule(self) -> None:
        while self.members:
            now = time.monotonic()
            period = min(m.interval for m in self.members)
            ready = [m for m in self.members if m.waiting]
            due = [m for m in ready if self._check_at(m, period) <= now]
            if due:
                for member in due:
                    member.waiting, member.last = False, now
                tick = asyncio.get_running_loop().create_task(self._checked(due))
                self._ticks.add(tick)
                tick.add_done_callback(self._ticks.discard)
                continue
            self._changed.clear()
            next_at = min((self._check_at(m, period) for m in ready), default=None)
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), None if next_at is None else next_at - now)

    async def _checked(self, members: list[Member]) -> None:
        """Run a tick. A tick is a task of its own, outside :meth:`_run`'s guard: whatever it raises (not
        only an AttioError: a connection deleted before a re-read after a 401, a bug) goes to each of its
        members, so no trigger waits for a delivery that never comes."""
        try:
            await self._tick(members)
        except Exception as err:
            log.exception("Checking %d triggers of %r failed", len(members), self.object)
            for member in members:
                member.deliver(err)

    async def read(self, record_id: str) -> RecordFact:
        """Read one record (``GET``): the object is known, a query of it has just succeeded."""
        return await arun(check_record(self.object, record_id, object_known=True), self.link.send)

    async def _list(self, chunk: Sequence[str]) -> dict[str, RecordFact]:
        self.stats.queries += 1
        self.stats.ids_queried += len(chunk)
        return await arun(list_by_id(self.object, chunk), self.link.send)

    async def _confirm(self, chunk: Sequence[str]) -> dict[str, RecordFact]:
        self.stats.confirmations += 1
        self.stats.ids_confirmed += len(chunk)
        return await arun(confirm_absent(self.object, chunk), self.link.send)

    async def _ask(self, ask: Asker, record_ids: Sequence[str], facts: dict[str, RecordFact]) -> Failures:
        """Ask about ``record_ids`` a query per chunk, all at once; put each id's fact in ``facts``.

        A transient failure makes its chunk's ids ``unavailable`` ("not yet"); a permanent one is
        returned for the ids it concerns, to fail their triggers.
        """
        chunks = chunked(list(dict.fromkeys(record_ids)))
        results = await asyncio.gather(*(ask(chunk) for chunk in chunks), return_exceptions=True)
        failures: Failures = {}
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, (AttioTransientError, asyncio.CancelledError)):
                log.info("Checking %d records of %r failed for now: %s", len(chunk), self.object, result)
                facts.update(unavailable(chunk, result))
            elif isinstance(result, BaseException):
                failures.update(dict.fromkeys(chunk, result))
            else:
                facts.update(result)
        return failures

    async def _tick(self, members: list[Member]) -> None:
        """List the members' records, confirm at once the absences that could finish a member, deliver.

        Work per member (its view of the answers, its delivery) goes in slices of :data:`DELIVERY_SLICE`
        members, the event loop turning between slices, so a tick of 1,000 sensors never holds it long.
        """
        ids = {m: m.record_ids for m in members}
        listing: dict[str, RecordFact] = {}
        failures = await self._ask(self._list, [r for m in members for r in ids[m]], listing)
        views: dict[Member, dict[str, RecordFact]] = {}
        absences: list[str] = []
        async for member in _sliced(members):
            views[member] = view = member.watching.merge({r: listing[r] for r in ids[member] if r in listing})
            watch = member.watching.watch
            if watch.wait_for == "absent" and not any(r in failures for r in ids[member]):
                absences += watch.to_confirm(view)
        confirmed: dict[str, RecordFact] = {}
        failures.update(await self._ask(self._confirm, absences, confirmed))
        async for member in _sliced(members):
            failure = next((failures[r] for r in ids[member] if r in failures), None)
            if failure is not None:
                member.deliver(failure)
                continue
            view = views[member]
            view.update({r: confirmed[r] for r in view if r in confirmed})
            self.stats.checks += all(f.state != "unavailable" for f in view.values())
            member.deliver(view)


class _EntryGroup(_Group):
    """The triggers watching entries of one list through one connection.

    Attio has no batched read of entries by id (see :mod:`airflow_provider_attio.watch`), so a tick reads
    each entry (``GET``) once however many of its triggers watch it, in waves: each undecided trigger's
    next unread entry, until each verdict is known, then a wave's entries found missing ask for the list
    once. Reads go through the connection's :class:`Spacer`,
    :data:`~airflow_provider_attio.watch.ENTRY_READS_PER_SECOND` at most for every list: a trigger's
    reads go one at a time (more at once would gain nothing under the spacer), so they stop as soon as
    its verdict is known, whatever ``require`` says.
    """

    async def _tick(self, members: list[Member]) -> None:
        self.stats.entry_ticks += 1
        views = {m: m.watching.merge({}) for m in members}
        failures: Failures = {}
        list_known = False
        while wave := self._wave(members, views, failures):
            found = await self._read_wave(wave, failures)
            if not list_known and any(f.state == "absent" for f in found.values()):
                list_known = await self._list_exists(wave, found, failures)
            for member, view in views.items():
                view.update({r: found[r] for r in member.record_ids if r in found})
        for member in members:
            failure = next((failures[r] for r in member.record_ids if r in failures), None)
            self.stats.checks += failure is None
            member.deliver(failure if failure is not None else views[member])

    @staticmethod
    def _wave(
        members: list[Member], views: dict[Member, dict[str, RecordFact]], failures: Failures
    ) -> list[str]:
        """The entries to read next: each undecided trigger's next one, once each."""
        wave: dict[str, None] = {}
        for member in members:
            if any(r in failures for r in member.record_ids):
                continue
            entry_id = member.watching.watch.next_to_read(views[member])
            if entry_id is not None:
                wave[entry_id] = None
        return list(wave)

    async def _read_wave(self, wave: list[str], failures: Failures) -> dict[str, RecordFact]:
        """Read ``wave``'s entries at once, each after the connection's next pacing slot."""

        async def read(entry_id: str) -> RecordFact:
            await self.link.spacer.wait()
            self.stats.entry_reads += 1
            return await arun(check_entry(self.object, entry_id, list_known=True), self.link.send)

        results = await asyncio.gather(*(read(r) for r in wave), return_exceptions=True)
        found: dict[str, RecordFact] = {}
        for entry_id, result in zip(wave, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                found.update(unavailable([entry_id], result))
            elif isinstance(result, BaseException):
                failures[entry_id] = result
            else:
                found[entry_id] = result
        return found

    async def _list_exists(self, wave: list[str], found: dict[str, RecordFact], failures: Failures) -> bool:
        """Ask once whether the list exists, entries having been found missing: a missing list fails the
        wave's triggers; a transient error leaves those entries ``unavailable`` (not yet known)."""
        try:
            await self.link.spacer.wait()
            await arun(require_list(self.object), self.link.send)
        except AttioTransientError as err:
            missing = [r for r, f in found.items() if f.state == "absent"]
            found.update(unavailable(missing, err))
            return False
        except AttioError as err:
            failures.update(dict.fromkeys(wave, err))
            return False
        return True


async def _sliced(items: Sequence[T]) -> AsyncIterator[T]:
    """``items``, letting the event loop run after every :data:`DELIVERY_SLICE` of them."""
    for n, item in enumerate(items):
        if n and not n % DELIVERY_SLICE:
            await asyncio.sleep(0)
        yield item


class RecordWatcher:
    """The groups and connections of one event loop (one triggerer process's loop).

    :param factory: builds a connection's client; reads the Airflow connection by default.
    """

    def __init__(self, factory: ClientFactory | None = None) -> None:
        self._factory: ClientFactory = factory or AsyncAttioClient.for_connection
        self._links: dict[str, _Link] = {}
        self._groups: dict[tuple[str, str], _Group] = {}
        self.stats = WatchStats()

    @property
    def groups(self) -> dict[tuple[str, str], int]:
        """How many triggers each (connection id, object) group holds now."""
        return {key: len(group.members) for key, group in self._groups.items()}

    @property
    def connections(self) -> list[str]:
        """The connection ids with a client open now."""
        return list(self._links)

    @asynccontextmanager
    async def watch(self, conn_id: str, watching: Watching, interval: float) -> AsyncIterator[Member]:
        """Join the group of ``(conn_id, object)`` (entries: ``(conn_id, "lists/<list>")``) for the
        duration of the ``async with`` block."""
        watch = watching.watch
        listed = watch.kind.listed
        key = (conn_id, watch.object if listed else f"lists/{watch.object}")
        group = self._groups.get(key)
        if group is None:
            link = self._links.get(conn_id) or self._links.setdefault(conn_id, _Link(conn_id, self._factory))
            group = self._groups[key] = (_Group if listed else _EntryGroup)(self, link, watch.object, key)
        member = Member(group, watching, interval, time.monotonic())
        group.add(member)
        try:
            yield member
        finally:
            group.remove(member)

    async def _release(self, group: _Group) -> None:
        """A group's loop ended (no members left): forget it, and close its connection if unused."""
        key = group.key
        if self._groups.get(key) is group:
            del self._groups[key]
        link = group.link
        if not any(g.link is link for g in self._groups.values()) and self._links.get(link.conn_id) is link:
            del self._links[link.conn_id]
            await link.aclose()


_WATCHERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RecordWatcher] = weakref.WeakKeyDictionary()


def watcher() -> RecordWatcher:
    """The running event loop's watcher (the triggerer runs every trigger on one loop)."""
    loop = asyncio.get_running_loop()
    found = _WATCHERS.get(loop)
    if found is None:
        found = _WATCHERS[loop] = RecordWatcher()
    return found


def use_watcher(found: RecordWatcher) -> None:
    """Make ``found`` the running event loop's watcher (tests and benchmarks)."""
    _WATCHERS[asyncio.get_running_loop()] = found


__all__ = ["AsyncAttioClient", "Member", "RecordWatcher", "Spacer", "WatchStats", "use_watcher", "watcher"]

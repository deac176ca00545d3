"""Deferred sensors batched in one event loop, as a triggerer runs them, against the emulator over HTTP.

No timing is asserted: each test waits for what the emulator's request log shows, then checks what was
asked (query bodies, counts) and what each trigger decided.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from airflow.triggers.base import TriggerEvent

from airflow_provider_attio.aio import (
    DELIVERY_SLICE,
    MAX_CONNECTIONS,
    AsyncAttioClient,
    RecordWatcher,
    use_watcher,
    watcher,
)
from airflow_provider_attio.connection import ConnectionParts, ConnectionSettings
from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.triggers.records import AttioRecordTrigger
from airflow_provider_attio.watch import Verdict
from tests.conftest import TOKEN

MISSING = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
QUERY = "/v2/objects/{}/records/query"


def _people(emu: AttioEmulator, count: int, object: str = "people") -> list[str]:
    return [str(emu.create_record(object, {"name": f"Person {i}"})["id"]["record_id"]) for i in range(count)]


def _trigger(
    record_id: str, wait_for: str = "absent", object: str = "people", **kwargs: Any
) -> AttioRecordTrigger:
    settings: dict[str, Any] = {"poke_interval": 0.05, "deadline": time.time() + 30, **kwargs}
    return AttioRecordTrigger(
        object=object,
        record_id=record_id,
        wait_for=wait_for,  # type: ignore[arg-type]
        attio_conn_id="attio_default",
        **settings,
    )


async def _event(trigger: AttioRecordTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        assert isinstance(event, TriggerEvent)
        return dict(event.payload)
    raise AssertionError("no event")


def _queried_ids(emu: AttioEmulator, object: str = "people") -> list[list[str]]:
    """The ids of each record_id query the emulator answered, oldest first."""
    return [
        r.body["filter"]["record_id"]["$in"]
        for r in emu.requests
        if r.method == "POST" and r.path == QUERY.format(object) and r.status == 200
    ]


async def _until(condition: Callable[[], bool], *running: asyncio.Task[Any]) -> None:
    """Wait for ``condition``; fail at once if one of the ``running`` triggers ended first (else the
    wait would last until pytest's timeout, saying nothing of why)."""
    while not condition():
        ended = next((t for t in running if t.done()), None)
        if ended is not None:
            raise AssertionError(f"the trigger ended before the condition held: {ended.result()}")
        await asyncio.sleep(0.01)


async def _delete(emu: AttioEmulator, record_id: str, object: str = "people") -> None:
    url = f"{emu.base_url}/v2/objects/{object}/records/{record_id}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = await asyncio.to_thread(requests.delete, url, headers=headers, timeout=5)
    assert answer.status_code == 200


def test_triggers_watching_one_object_share_one_query_per_tick(attio: AttioEmulator) -> None:
    people, companies = _people(attio, 3), _people(attio, 1, "companies")

    async def scenario() -> tuple[list[dict[str, Any]], int, int]:
        tasks = [asyncio.create_task(_event(_trigger(r))) for r in people]
        tasks.append(asyncio.create_task(_event(_trigger(companies[0], object="companies"))))
        await _until(
            lambda: len(_queried_ids(attio)) >= 3 and len(_queried_ids(attio, "companies")) >= 1, *tasks
        )
        assert watcher().groups == {("attio_default", "people"): 3, ("attio_default", "companies"): 1}
        assert watcher().connections == ["attio_default"]  # one client for both objects
        asked = len(_queried_ids(attio)), len(_queried_ids(attio, "companies"))
        for object_ref, record_id in [*(("people", r) for r in people), ("companies", companies[0])]:
            await _delete(attio, record_id, object_ref)
        return list(await asyncio.gather(*tasks)), *asked

    events, people_queries, company_queries = asyncio.run(scenario())
    assert [e["status"] for e in events] == ["success"] * 4
    # While all were waiting, every people query asked about the three records at once; companies had
    # their own queries.
    assert all(sorted(ids) == sorted(people) for ids in _queried_ids(attio)[:people_queries])
    assert all(ids == companies for ids in _queried_ids(attio, "companies")[:company_queries])
    # Each trigger's record was confirmed gone by a second query, as a poke confirms it: none was read.
    assert attio.count(method="GET") == 0


def test_fan_out_fires_only_the_trigger_whose_record_went_and_it_leaves_the_batch(
    attio: AttioEmulator,
) -> None:
    gone, kept, cancelled = _people(attio, 3)

    async def scenario() -> tuple[dict[str, Any], str, RecordWatcher]:
        fired = asyncio.create_task(_event(_trigger(gone)))
        waiting = asyncio.create_task(_event(_trigger(kept, deadline=time.time() + 600)))
        to_cancel = asyncio.create_task(_event(_trigger(cancelled, deadline=time.time() + 600)))
        await _until(lambda: len(_queried_ids(attio)) >= 1)
        await _delete(attio, gone)
        event = await fired
        seen = len(_queried_ids(attio))
        await _until(lambda: len(_queried_ids(attio)) >= seen + 2)  # one may have been in flight
        assert sorted(_queried_ids(attio)[-1]) == sorted([kept, cancelled])  # fired: left the batch
        to_cancel.cancel()
        with pytest.raises(asyncio.CancelledError):
            await to_cancel
        seen = len(_queried_ids(attio))
        await _until(lambda: len(_queried_ids(attio)) >= seen + 2)
        assert _queried_ids(attio)[-1] == [kept]  # cancelled: left the batch
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        found = watcher()
        await _until(lambda: not found.groups and not found.connections)  # the last one out closed it
        return event, gone, found

    event, record_id, found = asyncio.run(scenario())
    assert event["status"] == "success"
    assert f"Record {record_id} of 'people' does not exist." in event["message"]
    assert found.stats.checks >= found.stats.queries  # several sensors per query


def test_a_trigger_that_times_out_leaves_the_batch(attio: AttioEmulator) -> None:
    short, long = _people(attio, 2)

    async def scenario() -> dict[str, Any]:
        timing_out = asyncio.create_task(_event(_trigger(short, deadline=time.time() + 0.2)))
        staying = asyncio.create_task(_event(_trigger(long, deadline=time.time() + 600)))
        event = await timing_out
        seen = len(_queried_ids(attio))
        await _until(lambda: len(_queried_ids(attio)) >= seen + 2)
        assert _queried_ids(attio)[-1] == [long]
        staying.cancel()
        return event

    event = asyncio.run(scenario())
    assert event["status"] == "timeout"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_keep_every_sensor_of_the_batch_waiting(
    attio: AttioEmulator, use_connection: Any, status: int
) -> None:
    use_connection(attio.base_url, max_retries=1)  # some failures outlast the retries: "not yet"
    ids = _people(attio, 3)
    attio.fail_next(5, status, method="POST", path=QUERY.format("people"))

    async def scenario() -> list[dict[str, Any]]:
        tasks = [asyncio.create_task(_event(_trigger(r))) for r in ids]
        await _until(lambda: attio.count(method="POST", status=status) >= 5, *tasks)
        await _until(lambda: attio.count(method="POST", status=200) >= 1, *tasks)  # answered again
        assert not any(task.done() for task in tasks)
        for record_id in ids:
            await _delete(attio, record_id)
        return list(await asyncio.gather(*tasks))

    assert [e["status"] for e in asyncio.run(scenario())] == ["success"] * 3


def test_a_merge_keeps_only_the_merging_record_waiting(attio: AttioEmulator) -> None:
    merging, plain = _people(attio, 2)
    attio.set_merging("people", merging)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        first = asyncio.create_task(_event(_trigger(merging, wait_for="present")))
        second = asyncio.create_task(_event(_trigger(plain, wait_for="present")))
        done = await second
        path = f"/v2/objects/people/records/{merging}"
        await _until(lambda: attio.count(method="GET", path=path, status=404) >= 2)  # read, still merging
        assert not first.done()
        await asyncio.to_thread(attio.set_merging, "people", merging, False)
        return await first, done

    first, second = asyncio.run(scenario())
    assert first["status"] == second["status"] == "success"
    assert first["xcom"]["record_id"] == merging and second["xcom"]["record_id"] == plain


def test_a_missing_object_fails_every_trigger_of_its_group_with_one_query(attio: AttioEmulator) -> None:
    async def scenario() -> list[dict[str, Any]]:
        return list(
            await asyncio.gather(*(_event(_trigger(r, object="widgets")) for r in (MISSING, MISSING.upper())))
        )

    events = asyncio.run(scenario())
    assert [e["status"] for e in events] == ["error", "error"]
    assert {e["error"]["error_class"] for e in events} == {"AttioObjectNotFoundError"}
    assert attio.count() == 1  # one query for both, and nothing after it


def test_a_rotated_token_is_read_again_once_for_the_whole_batch(
    attio: AttioEmulator, use_connection: Any
) -> None:
    ids = _people(attio, 3)
    attio.add_token("rotated-token-9c2e")
    reads: list[str] = []

    async def factory(conn_id: str) -> AsyncAttioClient:
        reads.append(conn_id)
        return await AsyncAttioClient.for_connection(conn_id)

    async def scenario() -> list[dict[str, Any]]:
        use_watcher(RecordWatcher(factory))
        tasks = [asyncio.create_task(_event(_trigger(r))) for r in ids]
        await _until(lambda: len(_queried_ids(attio)) >= 1)
        attio.revoke_token(TOKEN)
        use_connection(attio.base_url, token="rotated-token-9c2e")
        await _until(lambda: attio.count(status=401) >= 1)
        for record_id in ids:
            await asyncio.to_thread(
                requests.delete,
                f"{attio.base_url}/v2/objects/people/records/{record_id}",
                headers={"Authorization": "Bearer rotated-token-9c2e"},
                timeout=5,
            )
        return list(await asyncio.gather(*tasks))

    assert [e["status"] for e in asyncio.run(scenario())] == ["success"] * 3
    assert reads == ["attio_default", "attio_default"]  # read at start, and once after the 401
    assert attio.count(status=401) == 1


class _NoThreads(concurrent.futures.ThreadPoolExecutor):
    def submit(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the deferred path used a thread")


def test_the_deferred_path_holds_no_thread_even_while_waiting_out_429s(attio: AttioEmulator) -> None:
    ids = _people(attio, 5)
    attio.fail_next(2, 429, method="POST")  # Retry-After: the next second, waited with asyncio.sleep
    settings = ConnectionSettings(backoff=0.01)

    async def client(conn_id: str) -> AsyncAttioClient:
        return AsyncAttioClient(ConnectionParts(attio.base_url, settings, TOKEN))

    async def scenario() -> list[dict[str, Any]]:
        asyncio.get_running_loop().set_default_executor(_NoThreads())
        use_watcher(RecordWatcher(client))
        return list(await asyncio.gather(*(_event(_trigger(r, wait_for="present")) for r in ids)))

    events = asyncio.run(scenario())
    assert [e["status"] for e in events] == ["success"] * 5
    assert attio.count(method="POST", status=429) == 2
    assert len(_queried_ids(attio)) == 1  # then one query for the five
    assert attio.count(method="GET", status=200) == 5


def test_one_sensor_watching_many_records_across_several_queries(attio: AttioEmulator) -> None:
    ids = [str(r["id"]["record_id"]) for r in attio.seed("people", 300)]

    async def scenario() -> dict[str, Any]:
        trigger = AttioRecordTrigger(
            object="people",
            record_ids=[*ids, MISSING],
            require="any",
            wait_for="absent",
            attio_conn_id="attio_default",
            poke_interval=0.05,
            deadline=time.time() + 30,
        )
        return await _event(trigger)

    event = asyncio.run(scenario())
    assert event["status"] == "success"
    assert event["xcom"]["matched"] == [MISSING]
    # The listing, then a second query confirming the one that looked gone; nothing read.
    assert [len(ids) for ids in _queried_ids(attio)] == [250, 51, 1]
    assert _queried_ids(attio)[-1] == [MISSING]
    assert attio.count(method="GET") == 0


class _DeleteBeforeATick:
    """A client factory whose clients delete records in the emulator just before a tick's first query.

    ``arm(ids, when)`` deletes ``ids`` (over HTTP, at once) before the first query for which
    ``when(ids asked)`` is true, and holds every query until they are gone: that tick, and every later
    one, sees them all gone, whatever the timing. The emulator's log then tells what the sensors asked
    after the deletion (its DELETEs are logged too: they are filtered out).
    """

    def __init__(self, emu: AttioEmulator) -> None:
        self.emu = emu
        self._armed: tuple[list[str], Callable[[list[str]], bool]] | None = None
        self._deleted = asyncio.Event()
        self._fired = False
        self.after = -1  # the log's length once the records were deleted

    def arm(self, ids: list[str], when: Callable[[list[str]], bool]) -> None:
        self._armed = (ids, when)

    async def client(self, conn_id: str) -> AsyncAttioClient:
        gate = self

        class Client(AsyncAttioClient):
            async def send(self, request: Any) -> Any:
                if request.method == "POST":
                    await gate._before(request.json["filter"]["record_id"]["$in"])
                return await super().send(request)

        return Client(ConnectionParts(self.emu.base_url, ConnectionSettings(), TOKEN))

    async def _before(self, asked: list[str]) -> None:
        if self._armed is not None and self._armed[1](asked):
            ids, self._armed, self._fired = self._armed[0], None, True
            await asyncio.to_thread(self._delete, ids)
            self.after = len(self.emu.requests)
            self._deleted.set()
        if self._fired:  # queries sent while the records are being deleted wait for them to be gone
            await self._deleted.wait()

    def _delete(self, ids: list[str]) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            for record_id in ids:
                url = f"{self.emu.base_url}/v2/objects/people/records/{record_id}"
                assert session.delete(url, timeout=5).status_code == 200

    def asked_after(self) -> list[Any]:
        """What the sensors asked after the deletion: the emulator's log without the DELETEs."""
        return [r for r in self.emu.requests[self.after :] if r.method != "DELETE"]


def test_records_deleted_together_are_confirmed_in_one_batch_never_read(attio: AttioEmulator) -> None:
    ids = [str(r["id"]["record_id"]) for r in attio.seed("people", 250)]
    gate = _DeleteBeforeATick(attio)

    turns = [0]  # the event loop's iterations, counted by a task that yields on each
    fired_at: list[int] = []

    async def spin() -> None:
        while True:
            turns[0] += 1
            await asyncio.sleep(0)

    async def event(record_id: str) -> dict[str, Any]:
        found = await _event(_trigger(record_id, poke_interval=0.2))  # all 250 wait by each tick
        fired_at.append(turns[0])
        return found

    async def scenario() -> list[dict[str, Any]]:
        use_watcher(RecordWatcher(gate.client))
        spinner = asyncio.create_task(spin())
        tasks = [asyncio.create_task(event(r)) for r in ids]
        # The first tick with all 250 sensors in one query: their records go just before it.
        gate.arm(ids, lambda asked: len(asked) == 250)
        found = list(await asyncio.gather(*tasks))
        spinner.cancel()
        return found

    events = asyncio.run(scenario())
    assert [e["status"] for e in events] == ["success"] * 250
    # They fired in slices of DELIVERY_SLICE, the loop turning between them, not in one burst.
    assert len(set(fired_at)) >= 250 // DELIVERY_SLICE
    after = gate.asked_after()
    # 250 deferred sensors whose records went together: the tick's query, one query confirming all 250
    # absences at once, and nothing else: no read per record.
    assert [(r.method, len(r.body["filter"]["record_id"]["$in"])) for r in after] == [("POST", 250)] * 2
    assert attio.count(method="GET") == 0


def test_one_trigger_of_600_records_deleted_together_confirms_them_in_three_queries(
    attio: AttioEmulator,
) -> None:
    ids = [str(r["id"]["record_id"]) for r in attio.seed("people", 600)]
    gate = _DeleteBeforeATick(attio)

    async def scenario() -> dict[str, Any]:
        use_watcher(RecordWatcher(gate.client))
        gate.arm(ids, lambda asked: True)  # before the trigger's first tick
        trigger = AttioRecordTrigger(
            object="people",
            record_ids=ids,
            wait_for="absent",
            attio_conn_id="attio_default",
            poke_interval=0.05,
            deadline=time.time() + 30,
        )
        return await _event(trigger)

    event = asyncio.run(scenario())
    assert event["status"] == "success" and len(event["xcom"]["matched"]) == 600
    sizes = [len(r.body["filter"]["record_id"]["$in"]) for r in gate.asked_after()]
    assert sorted(sizes[:3]) == sorted(sizes[3:]) == [100, 250, 250]  # listed, then confirmed
    assert len(sizes) == 6 and attio.count(method="GET") == 0


def test_require_any_present_reads_only_the_record_listed(attio: AttioEmulator) -> None:
    present = _people(attio, 1)[0]
    absent = [f"00000000-0000-4000-8000-{n:012d}" for n in range(1000)]

    async def scenario() -> dict[str, Any]:
        trigger = AttioRecordTrigger(
            object="people",
            record_ids=[*absent[:500], present, *absent[500:]],
            require="any",
            wait_for="present",
            attio_conn_id="attio_default",
            poke_interval=0.05,
            deadline=time.time() + 30,
        )
        return await _event(trigger)

    event = asyncio.run(scenario())
    assert event["status"] == "success" and event["xcom"]["matched"] == [present]
    assert [len(ids) for ids in _queried_ids(attio)] == [250, 250, 250, 250, 1]
    assert [r.path for r in attio.requests if r.method == "GET"] == [f"/v2/objects/people/records/{present}"]


@pytest.mark.parametrize("require", ["any", "all"])
def test_reads_confirming_presence_stop_once_the_verdict_is_known(
    attio: AttioEmulator, use_connection: Any, require: str
) -> None:
    use_connection(attio.base_url, max_retries=0)  # a read of the merging record says so at once
    ids = _people(attio, MAX_CONNECTIONS + 2)
    attio.set_merging("people", ids[0])  # listed, but a read says merge_in_progress: not yet
    trigger = AttioRecordTrigger(
        object="people",
        record_ids=ids,
        require=require,
        wait_for="present",
        attio_conn_id="attio_default",
        poke_interval=0.05,
        deadline=time.time() + 30,
    )

    async def scenario() -> dict[str, Any] | None:
        task = asyncio.create_task(_event(trigger))
        if require == "any":
            return await task
        await _until(lambda: attio.count(method="GET") >= 2 * MAX_CONNECTIONS, task)  # two checks at least
        task.cancel()
        return None

    event = asyncio.run(scenario())
    read = [r.path.rsplit("/", 1)[1] for r in attio.requests if r.method == "GET"]
    if require == "any":  # the merging record, then one present: done; the other 10 never read
        assert event is not None and event["xcom"]["matched"] == [ids[1]]
        assert read == [ids[0], ids[1]]
    else:  # each check's first wave of reads (the pool's size) finds the merging one: the rest unread
        assert set(read) == set(ids[:MAX_CONNECTIONS])


def test_a_trigger_cancelled_as_its_check_ends_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    # The triggerer cancels a trigger (its task cleared, marked, timed out) at any moment, also in the
    # loop iteration where a check ends. Python's asyncio.wait_for (before 3.12) then returns the check's
    # result and swallows the cancellation: the trigger went on checking until its deadline.
    gates: list[asyncio.Future[None]] = []

    async def check(me: Any, watching: Any) -> Verdict:
        gates.append(asyncio.get_running_loop().create_future())
        await gates[-1]
        return Verdict(done=False, detail="Not yet.")

    monkeypatch.setattr(AttioRecordTrigger, "_check", staticmethod(check))

    async def scenario() -> bool:
        task = asyncio.create_task(_event(_trigger(MISSING, deadline=time.time() + 600)))
        while not gates:
            await asyncio.sleep(0)
        gates[0].set_result(None)  # the check ends in the next iteration...
        task.cancel()  # ...and the cancellation arrives in the same one
        for _ in range(20):
            await asyncio.sleep(0)
        stopped = task.cancelled()
        task.cancel()  # if it went on: end it, so the scenario ends and the assertion below fails
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return stopped

    assert asyncio.run(scenario()), "the cancelled trigger went on"
    assert len(gates) == 1  # no second check after the cancellation

"""AttioListEntrySensor and AttioListEntryTrigger over real HTTP against the emulator.

Entries have no batched read (Attio documents no ``entry_id`` filter for the entries query): each entry is
read. Poke and trigger must reach the same decision; a missing list fails both, whatever ``wait_for``
says; bad input is refused before any request; a triggerer's triggers of one list read each entry once a
tick. No timing is asserted: tests wait for what the emulator's log or the watcher's counts show.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowNotFoundException,
    AirflowSensorTimeout,
    PokeReturnValue,
    TaskDeferred,
)
from airflow.triggers.base import TriggerEvent

from airflow_provider_attio.aio import AsyncAttioClient, RecordWatcher, Spacer, use_watcher, watcher
from airflow_provider_attio.core import check_entry, run
from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.pacing import SteadyPacer
from airflow_provider_attio.sensors.entries import AttioListEntrySensor
from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.triggers.entries import AttioListEntryTrigger
from airflow_provider_attio.watch import Watching, read_now
from tests.conftest import TOKEN, assert_no_token
from tests.helpers import EMPTY_CONTEXT

MISSING = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
ENTRY = "/v2/lists/{}/entries/{}"


def _entries(emu: AttioEmulator, count: int, list_ref: str = "sales") -> list[str]:
    """A list ``list_ref`` of people with ``count`` entries; their ids."""
    if not _has_list(emu, list_ref):
        emu.add_list(list_ref, "people")
    people = [emu.create_record("people", {"name": f"Person {i}"})["id"]["record_id"] for i in range(count)]
    return [str(emu.add_list_entry(list_ref, p)["id"]["entry_id"]) for p in people]


def _has_list(emu: AttioEmulator, list_ref: str) -> bool:
    try:
        emu.list_entry_ids(list_ref)
    except Exception:
        return False
    return True


def _delete(emu: AttioEmulator, entry_id: str, list_ref: str = "sales") -> None:
    url = emu.base_url + ENTRY.format(list_ref, entry_id)
    answer = requests.delete(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert answer.status_code == 200


def _sensor(wait_for: str, list_ref: str = "sales", **kwargs: Any) -> AttioListEntrySensor:
    return AttioListEntrySensor(task_id="wait", list=list_ref, wait_for=wait_for, **kwargs)


def _trigger(
    wait_for: str, deadline_in: float, list_ref: str = "sales", **kwargs: Any
) -> AttioListEntryTrigger:
    settings: dict[str, Any] = {"poke_interval": 0.05, **kwargs}
    return AttioListEntryTrigger(
        list=list_ref,
        wait_for=wait_for,  # type: ignore[arg-type]
        attio_conn_id="attio_default",
        deadline=time.time() + deadline_in,
        **settings,
    )


async def _event(trigger: AttioListEntryTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        assert isinstance(event, TriggerEvent)
        return dict(event.payload)
    raise AssertionError("no event")


def _summary(emu: AttioEmulator, entry_id: str) -> dict[str, Any]:
    entry = next(e for e in _read_entries(emu) if e["id"]["entry_id"] == entry_id)
    return {
        "list": "sales",
        "entry_id": entry_id,
        "id": entry["id"],
        "parent_object": "people",
        "parent_record_id": entry["parent_record_id"],
    }


def _read_entries(emu: AttioEmulator) -> list[dict[str, Any]]:
    url = f"{emu.base_url}/v2/lists/sales/entries/query"
    answer = requests.post(url, json={}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    return list(answer.json()["data"])


# (what is watched, wait_for, require, expected): "one"/"gone" watch one entry that exists / doesn't;
# "both" watches [an existing entry, a missing one].
DECISIONS = [
    ("one", "present", "all", "done"),
    ("one", "absent", "all", "wait"),
    ("gone", "present", "all", "wait"),
    ("gone", "absent", "all", "done"),
    ("both", "present", "all", "wait"),
    ("both", "present", "any", "done"),
    ("both", "absent", "all", "wait"),
    ("both", "absent", "any", "done"),
]


def _watched(emu: AttioEmulator, what: str, require: str) -> tuple[dict[str, Any], list[str]]:
    (entry_id,) = _entries(emu, 1)
    if what == "one":
        return {"entry_id": entry_id}, [entry_id]
    if what == "gone":
        return {"entry_id": MISSING}, [MISSING]
    return {"entry_ids": [entry_id, MISSING], "require": require}, [entry_id, MISSING]


@pytest.mark.parametrize(("what", "wait_for", "require", "expected"), DECISIONS)
def test_poke_and_trigger_decide_alike(
    attio: AttioEmulator, what: str, wait_for: str, require: str, expected: str
) -> None:
    watched, ids = _watched(attio, what, require)
    poke = _sensor(wait_for, **watched).poke(EMPTY_CONTEXT)
    deadline_in = 0.5 if expected == "wait" else 30
    event = asyncio.run(_event(_trigger(wait_for, deadline_in, **watched)))
    json.dumps(event)  # plain data
    # Entries are read one by one: no query.
    assert attio.count(method="POST") == 0
    assert attio.count(method="GET", path="/v2/lists/sales/entries/*") >= 2
    sensor = _sensor(wait_for, deferrable=True, **watched)
    if expected == "wait":
        assert poke is False
        assert event["status"] == "timeout"
        with pytest.raises(AirflowSensorTimeout):
            sensor.execute_complete(EMPTY_CONTEXT, event)
        return
    assert isinstance(poke, PokeReturnValue) and poke.is_done
    assert event["status"] == "success", event
    assert sensor.execute_complete(EMPTY_CONTEXT, event) == poke.xcom_value
    if what == "one":
        assert poke.xcom_value == _summary(attio, ids[0])
    elif what == "both":
        matched = [ids[0]] if wait_for == "present" else [MISSING]
        assert poke.xcom_value["list"] == "sales" and poke.xcom_value["matched"] == matched
        if wait_for == "present":
            assert poke.xcom_value["entries"] == [_summary(attio, ids[0])]


@pytest.mark.parametrize("wait_for", ["present", "absent"])
def test_a_missing_list_fails_both_modes(attio: AttioEmulator, wait_for: str) -> None:
    # An entry of a missing list is "not found" too: it must never read as "absent".
    for watched in ({"entry_id": MISSING}, {"entry_ids": [MISSING], "require": "any"}):
        with pytest.raises(AirflowFailException, match="list 'no_such_list' does not exist"):
            _sensor(wait_for, list_ref="no_such_list", **watched).poke(EMPTY_CONTEXT)
        deferred = _sensor(wait_for, list_ref="no_such_list", deferrable=True, **watched)
        with pytest.raises(AirflowFailException, match="does not exist"):
            deferred.execute(EMPTY_CONTEXT)  # the inline check fails: no deferral
        event = asyncio.run(_event(_trigger(wait_for, 30, list_ref="no_such_list", **watched)))
        assert event["status"] == "error" and event["error"]["code"] == "not_found"
        with pytest.raises(AirflowFailException, match="does not exist"):
            deferred.execute_complete(EMPTY_CONTEXT, event)
    assert attio.count(method="GET", path="/v2/lists/no_such_list") >= 6


def test_a_failing_list_check_means_not_yet_in_both_modes(attio: AttioEmulator, use_connection: Any) -> None:
    # The entry answers 404 and the look at its list a 503 after the retries: that says nothing about the
    # list, so it is "not yet" (never "absent", never a failure), as the trigger already decides.
    use_connection(attio.base_url, max_retries=1)
    _entries(attio, 1)
    attio.fail_share(1.0, 503, method="GET", path="/v2/lists/sales")
    assert _sensor("absent", entry_id=MISSING).poke(EMPTY_CONTEXT) is False
    assert _sensor("absent", entry_ids=[MISSING], require="any").poke(EMPTY_CONTEXT) is False
    with pytest.raises(TaskDeferred):  # the inline check waits too
        _sensor("absent", entry_id=MISSING, deferrable=True).execute(EMPTY_CONTEXT)
    event = asyncio.run(_event(_trigger("absent", 0.5, entry_id=MISSING)))
    assert event["status"] == "timeout"
    assert attio.count(method="GET", path="/v2/lists/sales", status=503) >= 8
    attio.clear_faults()  # the list answers again: the entry is gone
    done = _sensor("absent", entry_id=MISSING).poke(EMPTY_CONTEXT)
    assert isinstance(done, PokeReturnValue) and done.is_done


def test_a_failure_outside_attio_reaches_the_triggers_at_once(attio: AttioEmulator) -> None:
    # The list check gets a 401; the link reads the connection again and finds it deleted: that error
    # (not an AttioError) must end the triggers of the tick, not leave them waiting until their deadline.
    (entry_id,) = _entries(attio, 1)
    attio.fail_next(1, 401, method="GET", path="/v2/lists/sales")
    reads: list[str] = []

    async def factory(conn_id: str) -> AsyncAttioClient:
        reads.append(conn_id)
        if len(reads) > 1:
            raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")
        return await AsyncAttioClient.for_connection(conn_id)

    async def scenario() -> list[Any]:
        use_watcher(RecordWatcher(factory))
        # Deadlines far away: a trigger left waiting would report a timeout (or hit the guard below),
        # never the error; no wall-clock figure is asserted.
        triggers = [_trigger("absent", 600, entry_id=MISSING), _trigger("present", 600, entry_id=entry_id)]
        tasks = [asyncio.create_task(_event(t)) for t in triggers]
        return list(await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 120))

    results = asyncio.run(scenario())
    assert all(isinstance(r, AirflowNotFoundException) for r in results), results
    assert reads == ["attio_default"] * 2


def test_a_token_without_the_list_scopes_fails(attio: AttioEmulator, use_connection: Any) -> None:
    (entry_id,) = _entries(attio, 1)
    attio.add_token("records-only", scopes=["record_permission:read", "object_configuration:read"])
    use_connection(attio.base_url, token="records-only")
    with pytest.raises(AirflowFailException, match="list_entry:read"):
        _sensor("present", entry_id=entry_id).poke(EMPTY_CONTEXT)


BAD_INPUT = [
    ({"list": "Sales List", "entry_id": MISSING}, "list"),
    ({"list": "sales", "entry_id": "not-a-uuid"}, "entry_id"),
    ({"list": "sales", "entry_ids": [MISSING, "x"]}, "entry_ids"),
    ({"list": "sales", "entry_ids": "{{ not a list }}"}, "entry_ids"),
]


@pytest.mark.parametrize(("kwargs", "field"), BAD_INPUT)
def test_bad_input_is_refused_before_any_request(
    attio: AttioEmulator, kwargs: dict[str, Any], field: str
) -> None:
    for deferrable in (False, True):
        sensor = AttioListEntrySensor(task_id="wait", deferrable=deferrable, **kwargs)
        with pytest.raises(AirflowFailException, match=field):
            sensor.execute(EMPTY_CONTEXT) if deferrable else sensor.poke(EMPTY_CONTEXT)
    # A trigger revalidates what it was given (its kwargs come from the database).
    event = asyncio.run(
        _event(
            _trigger(
                "present", 30, **{k: v for k, v in kwargs.items() if k != "list"}, list_ref=kwargs["list"]
            )
        )
    )
    assert event["status"] == "error" and field in event["error"]["message"]
    assert attio.count() == 0


def test_arguments_checked_when_the_dag_is_parsed() -> None:
    with pytest.raises(AttioValidationError, match="exactly one of entry_id"):
        AttioListEntrySensor(task_id="wait", list="sales")
    with pytest.raises(AttioValidationError, match="exactly one of entry_id"):
        AttioListEntrySensor(task_id="wait", list="sales", entry_id=MISSING, entry_ids=[MISSING])
    with pytest.raises(AttioValidationError, match="require"):
        AttioListEntrySensor(task_id="wait", list="sales", entry_ids=[MISSING], require="most")
    with pytest.raises(AttioValidationError, match="wait_for"):
        AttioListEntrySensor(task_id="wait", list="sales", entry_id=MISSING, wait_for="gone")


def test_the_sensor_defers_to_a_trigger_that_serializes_without_the_token(attio: AttioEmulator) -> None:
    (entry_id,) = _entries(attio, 1)
    sensor = _sensor("absent", deferrable=True, entry_ids=[entry_id.upper()], poke_interval=7, timeout=60)
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(EMPTY_CONTEXT)
    trigger = info.value.trigger
    assert isinstance(trigger, AttioListEntryTrigger)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_attio.triggers.entries.AttioListEntryTrigger"
    assert kwargs["list"] == "sales" and kwargs["entry_ids"] == [entry_id] and kwargs["require"] == "all"
    assert kwargs["wait_for"] == "absent" and kwargs["poke_interval"] == 7.0
    assert kwargs["attio_conn_id"] == "attio_default"
    assert kwargs["deadline"] >= before + 60  # the timeout, counted from when it started
    json.dumps(kwargs)
    assert AttioListEntryTrigger(**kwargs).serialize() == (classpath, kwargs)  # a round trip
    assert_no_token(kwargs, trigger, sensor, info.value)


def test_a_poke_stops_reading_once_its_verdict_is_known_and_paces_its_reads(attio: AttioEmulator) -> None:
    ids = _entries(attio, 3)
    # "all" absent while all are present: the first read settles it.
    assert _sensor("absent", entry_ids=ids).poke(EMPTY_CONTEXT) is False
    assert attio.count(method="GET") == 1
    # "any" present, none present until the third: three reads, the pace asked for between them.
    for entry_id in ids[:2]:
        _delete(attio, entry_id)
    attio.clear_log()
    paced: list[None] = []
    sensor = _sensor("present", entry_ids=[*ids[:2], ids[2]], require="any")
    facts = read_now(Watching.of_entries(sensor), sensor.hook.send, lambda: paced.append(None))
    assert [facts[r].state for r in ids] == ["absent", "absent", "present"]
    assert len(paced) == 2
    # Three entry reads and one look at the list (after the first entry found missing): not one per entry.
    assert attio.count(method="GET", path="/v2/lists/sales/entries/*") == 3
    assert attio.count(method="GET", path="/v2/lists/sales") == 1


def test_spacers_hand_out_slots_a_rate_apart() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    spacer = Spacer(10, clock=lambda: now[0], sleep=sleep)

    async def three() -> None:
        await asyncio.gather(spacer.wait(), spacer.wait(), spacer.wait())

    asyncio.run(three())
    assert slept == [0.1, 0.2]  # the first goes at once; the others a tenth of a second apart
    now[0] = 5.0  # idle since: at once again
    asyncio.run(spacer.wait())
    assert slept == [0.1, 0.2]
    blocking: list[float] = []
    pacer = SteadyPacer(4, clock=lambda: now[0], sleep=blocking.append)
    pacer.wait(), pacer.wait()
    assert blocking == [0.25]


def test_a_cancelled_wait_gives_its_slot_back() -> None:
    # A cleared DAG run cancels its triggers mid-wait: their slots must not hold back the next sensor.
    now = [0.0]
    slept: list[float] = []
    hold = [True]

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        if hold[0]:  # until cancelled
            await asyncio.get_running_loop().create_future()

    spacer = Spacer(10, clock=lambda: now[0], sleep=sleep)

    async def scenario() -> None:
        await spacer.wait()  # the slot at 0: at once
        waiting = [asyncio.create_task(spacer.wait()) for _ in range(50)]
        await asyncio.sleep(0)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        now[0], hold[0] = 0.05, False
        slept.clear()
        await asyncio.gather(spacer.wait(), spacer.wait())

    asyncio.run(asyncio.wait_for(scenario(), 10))
    assert slept == [0.05, 0.15]  # slots 0.1 and 0.2: the 50 cancelled waits booked nothing


def test_a_trigger_of_all_entries_reads_one_a_tick_once_one_settles_it(attio: AttioEmulator) -> None:
    ids = _entries(attio, 10)

    async def scenario() -> tuple[dict[str, Any], int, int]:
        found = watcher()
        # "all" absent while all are present: the first entry read settles each tick's verdict.
        event = await _event(_trigger("absent", 0.6, entry_ids=ids))
        return event, found.stats.entry_ticks, found.stats.entry_reads

    event, ticks, reads = asyncio.run(scenario())
    assert event["status"] == "timeout"
    # One read a tick (the last tick may end at the deadline before its read), not ten.
    assert ticks >= 2 and ticks - 1 <= reads <= ticks
    assert attio.count(method="GET", path="/v2/lists/sales/entries/*") == reads
    assert attio.count(method="GET", path=ENTRY.format("sales", ids[0])) == reads


def test_triggers_of_one_list_read_each_entry_once_a_tick(attio: AttioEmulator) -> None:
    shared, other = _entries(attio, 2)
    (elsewhere,) = _entries(attio, 1, "hiring")

    async def scenario() -> tuple[list[dict[str, Any]], int, int]:
        tasks = [
            asyncio.create_task(_event(_trigger("absent", 60, entry_id=shared))),
            asyncio.create_task(_event(_trigger("absent", 60, entry_ids=[shared, other], require="any"))),
            asyncio.create_task(_event(_trigger("absent", 60, entry_id=other))),
            asyncio.create_task(_event(_trigger("absent", 60, list_ref="hiring", entry_id=elsewhere))),
        ]
        found = watcher()
        await _until(lambda: found.stats.entry_ticks >= 6, tasks)
        assert found.groups == {("attio_default", "lists/sales"): 3, ("attio_default", "lists/hiring"): 1}
        assert found.connections == ["attio_default"]
        await asyncio.to_thread(_delete, attio, shared)
        await asyncio.to_thread(_delete, attio, other)
        await asyncio.to_thread(_delete, attio, elsewhere, "hiring")
        events = list(await asyncio.gather(*tasks))
        return events, found.stats.entry_ticks, found.stats.entry_reads

    events, ticks, reads = asyncio.run(scenario())
    assert [e["status"] for e in events] == ["success"] * 4
    # Three triggers watch `shared` (two) and `other` (two): each read at most once a tick, not once per
    # trigger; the `hiring` list has ticks of its own.
    gets = {e: attio.count(method="GET", path=ENTRY.format("sales", e)) for e in (shared, other)}
    hiring = attio.count(method="GET", path=ENTRY.format("hiring", elsewhere))
    assert gets[shared] >= 3 and gets[other] >= 3 and gets[shared] + gets[other] + hiring <= ticks * 2
    assert reads == gets[shared] + gets[other] + hiring
    assert attio.count(method="POST") == 0


async def _until(condition: Callable[[], bool], running: list[asyncio.Task[Any]]) -> None:
    while not condition():
        ended = next((t for t in running if t.done()), None)
        if ended is not None:
            raise AssertionError(f"a trigger ended first: {ended.result()}")
        await asyncio.sleep(0.01)


def test_check_entry_reads_one_entry(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, max_retries=0)  # a 503 outlasts the retries: "not yet"
    (entry_id,) = _entries(attio, 1)
    send = _sensor("present", entry_id=entry_id).hook.send
    fact = run(check_entry("sales", entry_id), send)
    assert (
        fact.state == "present"
        and fact.confirmed
        and fact.record
        and fact.record["id"]["entry_id"] == entry_id
    )
    assert run(check_entry("sales", MISSING), send).state == "absent"
    attio.fail_next(1, 503, path="/v2/lists/*")
    assert run(check_entry("sales", entry_id), send).state == "unavailable"

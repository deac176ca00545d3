"""AttioRecordSensor and AttioRecordTrigger over real HTTP: one decision table, poke and deferrable.

Every scenario runs in both modes, watching one record (``record_id``: a poke reads it, the trigger lists
it in its batch query first) and two (``record_ids``: both modes list them first), and must reach the
same decision: done (with the same XCom), wait, or fail.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    PokeReturnValue,
    TaskDeferred,
)
from airflow.triggers.base import TriggerEvent

from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.sensors.records import AttioRecordSensor
from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.triggers.records import AttioRecordTrigger
from tests.conftest import TOKEN
from tests.helpers import EMPTY_CONTEXT

MISSING = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
ALSO_MISSING = "2b0f5c6e-3d4a-4e8b-9c1d-7a6f5e4d3c2b"
RECORDS = "/v2/objects/*/records/*"  # a glob: single-record calls and queries alike

# scenario -> {wait_for: expected}, where expected is "done", "wait" or "fail".
SCENARIOS: dict[str, dict[str, str]] = {
    "record exists": {"present": "done", "absent": "wait"},
    "record missing": {"present": "wait", "absent": "done"},
    "merge in progress": {"present": "wait", "absent": "wait"},
    "rate limited": {"present": "wait", "absent": "wait"},
    "server error": {"present": "wait", "absent": "wait"},
    "read timeout": {"present": "wait", "absent": "wait"},
    "object missing": {"present": "fail", "absent": "fail"},
    "unknown token": {"present": "fail", "absent": "fail"},
    "missing scope": {"present": "fail", "absent": "fail"},
}
CASES = [
    pytest.param(scenario, wait_for, expected, many, id=f"{scenario}-{wait_for}-{'many' if many else 'one'}")
    for scenario, row in SCENARIOS.items()
    for wait_for, expected in row.items()
    for many in (False, True)
]


def _arrange(emu: AttioEmulator, use_connection: Any, scenario: str, many: bool) -> tuple[str, list[str]]:
    """Set the emulator up for a scenario; return the object and the records to watch (all alike)."""
    # No retries inside the clients, so a "keep waiting" check returns at once.
    use_connection(emu.base_url, max_retries=0, timeout=0.5)
    ids = [str(emu.create_record("people", {"name": name})["id"]["record_id"]) for name in ("Ada", "Grace")]
    ids = ids if many else ids[:1]
    if scenario == "record missing":
        return "people", [MISSING, ALSO_MISSING][: len(ids)]
    if scenario == "merge in progress":
        for record_id in ids:
            emu.set_merging("people", record_id)
    elif scenario in ("rate limited", "server error"):
        emu.fail_next(100, 429 if scenario == "rate limited" else 503, path=RECORDS)
    elif scenario == "read timeout":
        # Answers come later than the client waits, however fast the machine: a timeout every time.
        use_connection(emu.base_url, max_retries=0, timeout=0.2)
        emu.set_latency(0.4, path=RECORDS)
    elif scenario == "object missing":
        return "widgets", ids
    elif scenario == "unknown token":
        use_connection(emu.base_url, token="revoked-or-never-issued")
    elif scenario == "missing scope":
        emu.add_token("config-only", scopes=["object_configuration:read"])
        use_connection(emu.base_url, token="config-only")
    return "people", ids


def _records(ids: list[str], many: bool) -> dict[str, Any]:
    return {"record_ids": ids} if many else {"record_id": ids[0]}


def _sensor(object: str, wait_for: str, **kwargs: Any) -> AttioRecordSensor:
    return AttioRecordSensor(task_id="wait", object=object, wait_for=wait_for, **kwargs)


def _expected_xcom(emu: AttioEmulator, ids: list[str], wait_for: str, many: bool) -> Any:
    """The XCom of a sensor done watching ``ids`` (present ones exist in the emulator)."""
    summaries = []
    for record_id in ids if wait_for == "present" else []:
        record = emu.get_record("people", record_id)
        assert record is not None
        summaries.append(
            {"object": "people", "record_id": record_id, "id": record["id"], "web_url": record["web_url"]}
        )
    if not many:
        return summaries[0] if wait_for == "present" else None
    xcom: dict[str, Any] = {
        "object": "people",
        "wait_for": wait_for,
        "require": "all",
        "matched": ids,
        "unmatched": [],
    }
    return {**xcom, "records": summaries} if wait_for == "present" else xcom


@pytest.mark.parametrize(("scenario", "wait_for", "expected", "many"), CASES)
def test_poke_decisions(
    attio: AttioEmulator, use_connection: Any, scenario: str, wait_for: str, expected: str, many: bool
) -> None:
    object_ref, ids = _arrange(attio, use_connection, scenario, many)
    sensor = _sensor(object_ref, wait_for, **_records(ids, many))
    if expected == "fail":
        with pytest.raises(AirflowFailException) as info:
            sensor.poke(EMPTY_CONTEXT)
        assert TOKEN not in str(info.value)
        return
    result = sensor.poke(EMPTY_CONTEXT)
    if expected == "wait":
        assert result is False
        return
    assert isinstance(result, PokeReturnValue) and result.is_done
    assert result.xcom_value == _expected_xcom(attio, ids, wait_for, many)


async def _first_event(trigger: AttioRecordTrigger) -> TriggerEvent:
    async for event in trigger.run():
        return event
    raise AssertionError("the trigger ended without an event")


def _trigger(
    object: str, wait_for: str, deadline_in: float = 0.3, poke_interval: float = 0.1, **records: Any
) -> AttioRecordTrigger:
    return AttioRecordTrigger(
        object=object,
        wait_for=wait_for,  # type: ignore[arg-type]
        attio_conn_id="attio_default",
        poke_interval=poke_interval,
        deadline=time.time() + deadline_in,
        **records,
    )


def _deadline_for(expected: str) -> float:
    """A trigger's deadline: a "wait" must run into it, after a check or two (0.1 s apart); the others
    end as soon as decided, however slow the machine (a loaded one ran out of a short deadline before
    the first answers)."""
    return 0.5 if expected == "wait" else 30


@pytest.mark.parametrize(("scenario", "wait_for", "expected", "many"), CASES)
def test_trigger_decisions(
    attio: AttioEmulator, use_connection: Any, scenario: str, wait_for: str, expected: str, many: bool
) -> None:
    object_ref, ids = _arrange(attio, use_connection, scenario, many)
    sensor = _sensor(object_ref, wait_for, deferrable=True, timeout=0.3, **_records(ids, many))
    deadline_in = _deadline_for(expected)
    trigger = _trigger(object_ref, wait_for, deadline_in=deadline_in, **_records(ids, many))
    event = asyncio.run(_first_event(trigger))
    # The trigger made its decision only after asking Attio (a delayed answer is logged when sent).
    deadline = time.time() + 3
    while not attio.count(path=RECORDS) and time.time() < deadline:
        time.sleep(0.05)
    assert attio.count(path=RECORDS) >= 1
    status = {"done": "success", "wait": "timeout", "fail": "error"}[expected]
    assert event.payload["status"] == status, event.payload
    json.dumps(event.payload)  # events are plain data
    if expected == "done":
        use_connection(attio.base_url)  # the same answer from a poke, faults or not
        poke = _sensor(object_ref, wait_for, **_records(ids, many)).poke(EMPTY_CONTEXT)
        assert isinstance(poke, PokeReturnValue)
        assert sensor.execute_complete(EMPTY_CONTEXT, event.payload) == poke.xcom_value
    elif expected == "wait":
        with pytest.raises(AirflowSensorTimeout):
            sensor.execute_complete(EMPTY_CONTEXT, event.payload)
    else:
        with pytest.raises(AirflowFailException) as info:
            sensor.execute_complete(EMPTY_CONTEXT, event.payload)
        assert TOKEN not in str(info.value)


# require="any" and records in different states: one exists, one never did.
REQUIRE_CASES = [
    ("present", "all", "wait"),
    ("present", "any", "done"),
    ("absent", "all", "wait"),
    ("absent", "any", "done"),
]


@pytest.mark.parametrize(("wait_for", "require", "expected"), REQUIRE_CASES)
def test_one_record_of_two_in_both_modes(
    attio: AttioEmulator, wait_for: str, require: str, expected: str
) -> None:
    present = str(attio.create_record("people", {"name": "Ada"})["id"]["record_id"])
    ids = [present, MISSING]
    poke = _sensor("people", wait_for, record_ids=ids, require=require).poke(EMPTY_CONTEXT)
    trigger = _trigger("people", wait_for, _deadline_for(expected), record_ids=ids, require=require)
    event = asyncio.run(_first_event(trigger))
    if expected == "wait":
        assert poke is False
        assert event.payload["status"] == "timeout"
        assert "Not all of the 2 records of 'people' were" in event.payload["message"]
        return
    assert isinstance(poke, PokeReturnValue)
    assert event.payload["status"] == "success"
    assert event.payload["xcom"] == poke.xcom_value
    matched = [present] if wait_for == "present" else [MISSING]
    assert poke.xcom_value["matched"] == matched
    assert poke.xcom_value["unmatched"] == [r for r in ids if r not in matched]
    assert poke.xcom_value["require"] == "any"


def test_trigger_waits_then_succeeds_when_the_record_goes(attio: AttioEmulator) -> None:
    record_id = str(attio.create_record("people", {"name": "Ada Lovelace"})["id"]["record_id"])

    async def scenario() -> TriggerEvent:
        trigger = _trigger("people", "absent", deadline_in=30, record_id=record_id)
        task = asyncio.create_task(_first_event(trigger))
        while attio.count(method="POST", path=RECORDS) < 3:  # it looked three times while it was there
            await asyncio.sleep(0.01)
        assert not task.done()
        await asyncio.to_thread(_delete_over_http, attio, record_id)
        return await asyncio.wait_for(task, timeout=10)

    event = asyncio.run(scenario())
    assert event.payload["status"] == "success"
    # Listed three times, then absent from the listing: a second query confirmed it gone, nothing read.
    assert attio.count(method="GET") == 0
    queries = [r.body["filter"]["record_id"]["$in"] for r in attio.requests if r.method == "POST"]
    assert len(queries) >= 5 and all(ids == [record_id] for ids in queries)


def _delete_over_http(emu: AttioEmulator, record_id: str, object: str = "people") -> None:
    import requests

    url = f"{emu.base_url}/v2/objects/{object}/records/{record_id}"
    assert requests.delete(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 200


def test_trigger_never_blocks_the_event_loop(attio: AttioEmulator) -> None:
    record_id = str(attio.create_record("people", {"name": "Ada Lovelace"})["id"]["record_id"])
    attio.set_latency(0.5, path=RECORDS, count=2)  # the listing, then the confirming read: both slow

    async def scenario() -> tuple[int, float]:
        ticks = 0
        trigger = _trigger("people", "present", deadline_in=30, record_id=record_id)
        poll = asyncio.create_task(_first_event(trigger))
        started = time.monotonic()
        while not poll.done():
            await asyncio.sleep(0.01)
            ticks += 1
        assert poll.result().payload["status"] == "success"
        return ticks, time.monotonic() - started

    ticks, elapsed = asyncio.run(scenario())
    assert elapsed >= 0.95  # the emulator really was slow
    # A blocked loop would tick once or twice in that second; a free one ticks on every sleep.
    assert ticks >= 20


@pytest.mark.parametrize(
    "records",
    [{"record_id": MISSING}, {"record_ids": [MISSING, ALSO_MISSING], "require": "any"}],
    ids=["one", "many"],
)
def test_trigger_serializes_to_plain_data_and_round_trips(records: dict[str, Any]) -> None:
    trigger = _trigger("people", "absent", **records)
    classpath, kwargs = trigger.serialize()
    json.dumps(kwargs)
    module, name = classpath.rsplit(".", 1)
    rebuilt = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


def test_a_trigger_serialized_by_the_previous_release_still_runs(attio: AttioEmulator) -> None:
    # Deferred tasks outlive upgrades: the triggerer rebuilds triggers from the kwargs stored before.
    old_kwargs = {
        "object": "people",
        "record_id": MISSING,
        "wait_for": "absent",
        "attio_conn_id": "attio_default",
        "poke_interval": 0.05,
        "deadline": time.time() + 30,
    }
    event = asyncio.run(_first_event(AttioRecordTrigger(**old_kwargs)))
    assert event.payload["status"] == "success"


def test_deferrable_first_check_is_inline(attio: AttioEmulator) -> None:
    record_id = str(attio.create_record("people", {"name": "Ada Lovelace"})["id"]["record_id"])
    # Already present: no deferral, the XCom comes straight back.
    xcom = _sensor("people", "present", record_id=record_id, deferrable=True).execute(EMPTY_CONTEXT)
    assert xcom["record_id"] == record_id
    # Not gone yet: it defers, with the sensor's timeout as the trigger's deadline.
    sensor = _sensor("people", "absent", record_id=record_id, deferrable=True, timeout=120, poke_interval=7)
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(EMPTY_CONTEXT)
    trigger = info.value.trigger
    assert isinstance(trigger, AttioRecordTrigger)
    assert trigger.poke_interval == 7 and trigger.deadline is not None
    assert before + 119 <= trigger.deadline <= time.time() + 120
    assert trigger.record_id == record_id and trigger.record_ids is None
    assert info.value.method_name == "execute_complete"


def test_deferring_many_records_hands_the_checked_ids_to_the_trigger(attio: AttioEmulator) -> None:
    ids = [str(attio.create_record("people", {"name": n})["id"]["record_id"]) for n in ("Ada", "Grace")]
    rendered = json.dumps([ids[0].upper(), ids[1], ids[0]])  # a template rendered to a string
    sensor = _sensor("people", "absent", record_ids=rendered, require="any", deferrable=True, timeout=60)
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(EMPTY_CONTEXT)
    trigger = info.value.trigger
    assert isinstance(trigger, AttioRecordTrigger)
    assert (trigger.record_id, trigger.record_ids, trigger.require) == (None, ids, "any")


def test_bad_input_fails_before_any_request(attio: AttioEmulator) -> None:
    with pytest.raises(AirflowFailException, match="record_id must be"):
        _sensor("people", "present", record_id="nope").poke(EMPTY_CONTEXT)
    with pytest.raises(AirflowFailException, match="object must be"):
        _sensor("People", "present", record_id=MISSING, deferrable=True).execute(EMPTY_CONTEXT)
    with pytest.raises(AirflowFailException, match=r"record_ids\[1\] must be"):
        _sensor("people", "present", record_ids=[MISSING, "nope"]).poke(EMPTY_CONTEXT)
    with pytest.raises(AirflowFailException, match="record_ids must be a list"):
        _sensor("people", "present", record_ids=MISSING).poke(EMPTY_CONTEXT)
    with pytest.raises(AttioValidationError, match="wait_for"):
        _sensor("people", "gone", record_id=MISSING)
    with pytest.raises(AttioValidationError, match="require must be"):
        _sensor("people", "absent", record_ids=[MISSING], require="most")
    with pytest.raises(AttioValidationError, match="exactly one of record_id"):
        _sensor("people", "absent", record_id=MISSING, record_ids=[MISSING])
    with pytest.raises(AttioValidationError, match="exactly one of record_id"):
        _sensor("people", "absent")
    assert attio.requests == []


def test_an_empty_list_is_done_for_all_and_refused_for_any(attio: AttioEmulator) -> None:
    result = _sensor("people", "absent", record_ids=[]).poke(EMPTY_CONTEXT)
    assert isinstance(result, PokeReturnValue) and result.xcom_value["matched"] == []
    with pytest.raises(AirflowFailException, match="could never succeed"):
        _sensor("people", "absent", record_ids=[], require="any").poke(EMPTY_CONTEXT)
    assert attio.requests == []


def test_soft_fail_skips_on_a_permanent_error_in_the_inline_check(attio: AttioEmulator) -> None:
    sensor = _sensor("widgets", "present", record_id=MISSING, deferrable=True, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        sensor.execute(EMPTY_CONTEXT)


def test_poking_many_records_queries_then_confirms_in_batches_to_finish(attio: AttioEmulator) -> None:
    ids = [str(r["id"]["record_id"]) for r in attio.seed("people", 260)]  # two queries' worth
    sensor = _sensor("people", "absent", record_ids=[*ids[:255], MISSING])
    assert sensor.poke(EMPTY_CONTEXT) is False
    queries = [r for r in attio.requests if r.method == "POST"]
    assert [len(q.body["filter"]["record_id"]["$in"]) for q in queries] == [250, 6]
    assert attio.count(method="GET") == 0  # 255 still listed: confirming MISSING can't finish the wait yet
    for record_id in ids[:255]:
        _delete_over_http(attio, record_id)
    attio.clear_log()
    result = sensor.poke(EMPTY_CONTEXT)
    assert isinstance(result, PokeReturnValue) and len(result.xcom_value["matched"]) == 256
    # 256 records gone at once: listed, then confirmed by a second query per 250, never read one by one.
    queries = [r for r in attio.requests if r.method == "POST"]
    assert [len(q.body["filter"]["record_id"]["$in"]) for q in queries] == [250, 6, 250, 6]
    assert attio.count(method="GET") == 0
    # Records confirmed gone stay gone: the next poke neither lists nor confirms them again.
    attio.clear_log()
    assert isinstance(sensor.poke(EMPTY_CONTEXT), PokeReturnValue)
    assert attio.requests == []


@pytest.mark.parametrize("wait_for", ["present", "absent"])
def test_require_any_among_1000_records_reads_none_it_does_not_need(
    attio: AttioEmulator, wait_for: str
) -> None:
    present = str(attio.create_record("people", {"name": "Ada"})["id"]["record_id"])
    absent = [f"00000000-0000-4000-8000-{n:012d}" for n in range(1000)]
    sensor = _sensor("people", wait_for, record_ids=[*absent[:600], present, *absent[600:]], require="any")
    result = sensor.poke(EMPTY_CONTEXT)
    assert isinstance(result, PokeReturnValue)
    sizes = [len(r.body["filter"]["record_id"]["$in"]) for r in attio.requests if r.method == "POST"]
    reads = [r.path for r in attio.requests if r.method == "GET"]
    if wait_for == "present":  # the one present record is read; none of the 1,000 absent ones
        assert result.xcom_value["matched"] == [present]
        assert sizes == [250, 250, 250, 250, 1] and reads == [f"/v2/objects/people/records/{present}"]
    else:  # one query confirms 250 absences at once; nothing is read
        assert len(result.xcom_value["matched"]) == 250 and present not in result.xcom_value["matched"]
        assert sizes == [250, 250, 250, 250, 1, 250] and reads == []

"""AttioRecordSensor and AttioRecordTrigger over real HTTP: one decision table, poke and deferrable."""

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

MISSING = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
GET_RECORD = "/v2/objects/*/records/*"

# scenario -> (what to arrange, {wait_for: expected}) where expected is "done", "wait" or "fail".
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
    (scenario, wait_for, expected)
    for scenario, row in SCENARIOS.items()
    for wait_for, expected in row.items()
]


def _arrange(emu: AttioEmulator, use_connection: Any, scenario: str) -> tuple[str, str]:
    """Set the emulator up for a scenario; return (object, record_id) to watch."""
    # No retries inside the hook, so a "keep waiting" poke returns at once.
    use_connection(emu.base_url, max_retries=0, timeout=0.5)
    record_id = str(emu.create_record("people", {"name": "Ada Lovelace"})["id"]["record_id"])
    if scenario == "record missing":
        return "people", MISSING
    if scenario == "merge in progress":
        emu.set_merging("people", record_id)
    elif scenario == "rate limited":
        emu.fail_next(100, 429, path=GET_RECORD)
    elif scenario == "server error":
        emu.fail_next(100, 503, path=GET_RECORD)
    elif scenario == "read timeout":
        emu.set_latency(1.0, path=GET_RECORD)
    elif scenario == "object missing":
        return "widgets", record_id
    elif scenario == "unknown token":
        use_connection(emu.base_url, token="revoked-or-never-issued")
    elif scenario == "missing scope":
        emu.add_token("config-only", scopes=["object_configuration:read"])
        use_connection(emu.base_url, token="config-only")
    return "people", record_id


def _sensor(object: str, record_id: str, wait_for: str, **kwargs: Any) -> AttioRecordSensor:
    return AttioRecordSensor(task_id="wait", object=object, record_id=record_id, wait_for=wait_for, **kwargs)


@pytest.mark.parametrize(("scenario", "wait_for", "expected"), CASES)
def test_poke_decisions(
    attio: AttioEmulator, use_connection: Any, scenario: str, wait_for: str, expected: str
) -> None:
    object, record_id = _arrange(attio, use_connection, scenario)
    sensor = _sensor(object, record_id, wait_for)
    if expected == "fail":
        with pytest.raises(AirflowFailException) as info:
            sensor.poke({})  # type: ignore[arg-type]
        assert TOKEN not in str(info.value)
        return
    result = sensor.poke({})  # type: ignore[arg-type]
    if expected == "wait":
        assert result is False
        return
    assert isinstance(result, PokeReturnValue) and result.is_done
    if wait_for == "present":
        record = attio.get_record("people", record_id)
        assert record is not None
        assert result.xcom_value == {
            "object": "people",
            "record_id": record_id,
            "id": record["id"],
            "web_url": record["web_url"],
        }
    else:
        assert result.xcom_value is None


async def _first_event(trigger: AttioRecordTrigger) -> TriggerEvent:
    async for event in trigger.run():
        return event
    raise AssertionError("the trigger ended without an event")


def _trigger(object: str, record_id: str, wait_for: str, deadline_in: float = 0.3) -> AttioRecordTrigger:
    return AttioRecordTrigger(
        object=object,
        record_id=record_id,
        wait_for=wait_for,  # type: ignore[arg-type]
        attio_conn_id="attio_default",
        poke_interval=0.1,
        deadline=time.time() + deadline_in,
    )


@pytest.mark.parametrize(("scenario", "wait_for", "expected"), CASES)
def test_trigger_decisions(
    attio: AttioEmulator, use_connection: Any, scenario: str, wait_for: str, expected: str
) -> None:
    object, record_id = _arrange(attio, use_connection, scenario)
    sensor = _sensor(object, record_id, wait_for, deferrable=True, timeout=0.3)
    event = asyncio.run(_first_event(_trigger(object, record_id, wait_for)))
    # The trigger made its decision only after asking Attio (a delayed answer is logged when sent).
    deadline = time.time() + 3
    while attio.count(method="GET") == 0 and time.time() < deadline:
        time.sleep(0.05)
    assert attio.count(method="GET") >= 1
    status = {"done": "success", "wait": "timeout", "fail": "error"}[expected]
    assert event.payload["status"] == status, event.payload
    json.dumps(event.payload)  # events are plain data
    if expected == "done":
        poke = _sensor(object, record_id, wait_for).poke({})  # type: ignore[arg-type]
        assert isinstance(poke, PokeReturnValue)
        assert sensor.execute_complete({}, event.payload) == poke.xcom_value  # type: ignore[arg-type]
    elif expected == "wait":
        with pytest.raises(AirflowSensorTimeout):
            sensor.execute_complete({}, event.payload)  # type: ignore[arg-type]
    else:
        with pytest.raises(AirflowFailException) as info:
            sensor.execute_complete({}, event.payload)  # type: ignore[arg-type]
        assert TOKEN not in str(info.value)


def test_trigger_waits_then_succeeds_when_the_record_goes(attio: AttioEmulator) -> None:
    record_id = str(attio.create_record("people", {"name": "Ada Lovelace"})["id"]["record_id"])

    async def scenario() -> TriggerEvent:
        task = asyncio.create_task(_first_event(_trigger("people", record_id, "absent", deadline_in=30)))
        await asyncio.sleep(0.5)
        assert not task.done()
        await asyncio.to_thread(_delete_over_http, attio, record_id)
        return await asyncio.wait_for(task, timeout=10)

    event = asyncio.run(scenario())
    assert event.payload["status"] == "success"
    assert attio.count(method="GET", path=GET_RECORD) >= 3  # it polled while the record was there


def _delete_over_http(emu: AttioEmulator, record_id: str) -> None:
    import requests

    url = f"{emu.base_url}/v2/objects/people/records/{record_id}"
    assert requests.delete(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 200


def test_trigger_never_blocks_the_event_loop(attio: AttioEmulator) -> None:
    record_id = str(attio.create_record("people", {"name": "Ada Lovelace"})["id"]["record_id"])
    attio.set_latency(1.0, method="GET", path=GET_RECORD, count=1)

    async def scenario() -> tuple[int, float]:
        ticks = 0
        poll = asyncio.create_task(_first_event(_trigger("people", record_id, "present", deadline_in=30)))
        started = time.monotonic()
        while not poll.done():
            await asyncio.sleep(0.01)
            ticks += 1
        assert poll.result().payload["status"] == "success"
        return ticks, time.monotonic() - started

    ticks, elapsed = asyncio.run(scenario())
    assert elapsed >= 0.9  # the emulator really was slow
    # A blocked loop would tick once or twice in that second; a free one ticks on every sleep.
    assert ticks >= 20


def test_trigger_serializes_to_plain_data_and_round_trips() -> None:
    trigger = _trigger("people", MISSING, "absent")
    classpath, kwargs = trigger.serialize()
    json.dumps(kwargs)
    module, name = classpath.rsplit(".", 1)
    rebuilt = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


def test_deferrable_first_check_is_inline(attio: AttioEmulator) -> None:
    record_id = str(attio.create_record("people", {"name": "Ada Lovelace"})["id"]["record_id"])
    # Already present: no deferral, the XCom comes straight back.
    xcom = _sensor("people", record_id, "present", deferrable=True).execute({})  # type: ignore[arg-type]
    assert xcom["record_id"] == record_id
    # Not gone yet: it defers, with the sensor's timeout as the trigger's deadline.
    sensor = _sensor("people", record_id, "absent", deferrable=True, timeout=120, poke_interval=7)
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        sensor.execute({})  # type: ignore[arg-type]
    trigger = info.value.trigger
    assert isinstance(trigger, AttioRecordTrigger)
    assert trigger.poke_interval == 7 and before + 119 <= trigger.deadline <= time.time() + 120
    assert info.value.method_name == "execute_complete"


def test_bad_input_fails_before_any_request(attio: AttioEmulator) -> None:
    with pytest.raises(AirflowFailException, match="record_id must be"):
        _sensor("people", "nope", "present").poke({})  # type: ignore[arg-type]
    with pytest.raises(AirflowFailException, match="object must be"):
        _sensor("People", MISSING, "present", deferrable=True).execute({})  # type: ignore[arg-type]
    with pytest.raises(AttioValidationError, match="wait_for"):
        _sensor("people", MISSING, "gone")
    assert attio.requests == []


def test_soft_fail_skips_on_a_permanent_error_in_the_inline_check(attio: AttioEmulator) -> None:
    sensor = _sensor("widgets", MISSING, "present", deferrable=True, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        sensor.execute({})  # type: ignore[arg-type]

"""AttioRecordSensor in DAG runs (dag.test()): timeouts, soft_fail and deferral, against the emulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from airflow_provider_attio.testing import AttioEmulator
from tests.conftest import TOKEN

MISSING = "891dcbfc-9141-415d-9b2a-2238a6cc012d"


def test_timeouts_and_soft_fail_poke_and_deferred(attio: AttioEmulator, run_dag: Callable[..., Any]) -> None:
    result = run_dag("attio_test_sensor_timeouts", record_id=MISSING)
    assert result.states == {
        "poke": "failed",
        "poke_soft_fail": "skipped",
        "deferred": "failed",
        "deferred_soft_fail": "skipped",
    }
    # Each sensor kept checking until its 2 s timeout: several checks each, deferred ones included (GETs
    # of the record in poke mode and each deferred sensor's inline first check, queries listing it from
    # the triggers). Four or five fit in the timeout; three each leave a second of slack for a loaded
    # machine.
    assert attio.count(method="GET", path=f"/v2/objects/people/records/{MISSING}") >= 2 * 3 + 2
    queries = [r for r in attio.requests if r.method == "POST"]
    assert len(queries) >= 2 * 3 and all(q.body["filter"]["record_id"]["$in"] == [MISSING] for q in queries)


def test_sensors_wait_through_a_merge_until_the_record_is_readable(
    attio: AttioEmulator, run_dag: Callable[..., Any]
) -> None:
    record = attio.create_record("people", {"name": "Grace Hopper"})
    record_id = record["id"]["record_id"]
    attio.set_merging("people", record_id)
    path = f"/v2/objects/people/records/{record_id}"

    def merge_ends_after_three_looks() -> None:
        deadline = time.monotonic() + 120
        while attio.count(method="GET", path=path, status=404) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        attio.set_merging("people", record_id, merging=False)

    merge = threading.Thread(target=merge_ends_after_three_looks, daemon=True)
    merge.start()
    result = run_dag("attio_test_sensor_appears", record_id=record_id)
    merge.join()
    assert result.states == {"poke": "success", "reschedule": "success", "deferred": "success"}
    for task_id in ("poke", "reschedule", "deferred"):
        assert result.xcoms[task_id]["record_id"] == record_id
        assert result.xcoms[task_id]["web_url"] == record["web_url"]
    # The first sensor kept waiting through the merge; the others found the record readable.
    assert attio.count(method="GET", path=path, status=404) >= 3


def test_example_wait_until_deleted_runs_its_trigger(
    attio: AttioEmulator, run_dag: Callable[..., Any]
) -> None:
    keep = attio.create_record("people", {"name": "Keep Me"})["id"]["record_id"]
    record_id = attio.create_record("people", {"name": "Ada Lovelace"})["id"]["record_id"]

    path = f"/v2/objects/people/records/{record_id}"

    def someone_deletes_it_once_the_sensor_has_seen_it() -> None:
        # The sensor's inline check is the first GET: it sees the record and defers to its trigger.
        deadline = time.monotonic() + 120
        while attio.count(method="GET", path=path, status=200) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        requests.delete(attio.base_url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)

    someone = threading.Thread(target=someone_deletes_it_once_the_sensor_has_seen_it, daemon=True)
    someone.start()

    def check_often(dag: Any) -> None:
        # The example checks every 10 s: a shorter interval only shortens the wait for the trigger's check.
        dag.get_task("wait_until_deleted").poke_interval = 0.2

    result = run_dag("example_attio_wait_until_deleted", adjust=check_often, record_id=record_id)
    someone.join()
    assert result.state == "success"
    assert result.states == {"wait_until_deleted": "success", "continue_pipeline": "success"}
    assert result.xcoms["continue_pipeline"] == record_id
    # The inline check read the record; the trigger's query no longer listed it, and a second query,
    # confirming, left it out too: nothing else was read.
    statuses = [r.status for r in attio.requests if r.method == "GET"]
    assert statuses == [200]
    queries = [r for r in attio.requests if r.method == "POST" and r.path.endswith("/records/query")]
    assert len(queries) >= 2 and all(q.body["filter"]["record_id"]["$in"] == [record_id] for q in queries)
    assert attio.record_ids("people") == [keep]


def test_many_records_in_poke_reschedule_and_deferrable_modes(
    attio: AttioEmulator, run_dag: Callable[..., Any]
) -> None:
    ids = [attio.create_record("people", {"name": n})["id"]["record_id"] for n in ("Ada", "Grace", "Alan")]
    watched = [*ids, MISSING]

    def delete_them_once_each_sensor_has_looked() -> None:
        # Each sensor lists the records with one query per check; three looks at least, then they go.
        deadline = time.monotonic() + 120
        while attio.count(method="POST", status=200) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        for record_id in ids:
            url = f"{attio.base_url}/v2/objects/people/records/{record_id}"
            requests.delete(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)

    deleter = threading.Thread(target=delete_them_once_each_sensor_has_looked, daemon=True)
    deleter.start()
    result = run_dag("attio_test_sensor_many", record_ids=watched)
    deleter.join()
    assert result.states == {
        "ids_to_watch": "success",
        "poke": "success",
        "reschedule": "success",
        "deferred": "success",
    }
    expected = {"object": "people", "wait_for": "absent", "require": "all", "unmatched": []}
    for task_id in ("poke", "reschedule", "deferred"):
        assert result.xcoms[task_id] == {**expected, "matched": watched}
    # Checked by queries, and confirmed gone by queries: not one record read.
    assert attio.count(method="GET") == 0

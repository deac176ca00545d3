"""AttioListEntrySensor in DAG runs (dag.test()): deferred to its trigger, and a missing list."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from airflow_provider_attio.testing import AttioEmulator
from tests.conftest import TOKEN

MISSING = "891dcbfc-9141-415d-9b2a-2238a6cc012d"


def test_entry_sensors_wait_in_poke_and_deferrable_modes(
    attio: AttioEmulator, run_dag: Callable[..., Any]
) -> None:
    attio.add_list("sales", "people")
    people = [attio.create_record("people", {"name": n})["id"]["record_id"] for n in ("Ada", "Grace")]
    leaving, staying = (attio.add_list_entry("sales", p)["id"]["entry_id"] for p in people)
    path = f"/v2/lists/sales/entries/{leaving}"

    def unlist_once_both_sensors_have_seen_it() -> None:
        # Each "absent" sensor's first check reads the entry (200): the deferred one then defers.
        deadline = time.monotonic() + 120
        while attio.count(method="GET", path=path, status=200) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        requests.delete(attio.base_url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)

    someone = threading.Thread(target=unlist_once_both_sensors_have_seen_it, daemon=True)
    someone.start()
    result = run_dag("attio_test_entry_sensor", entry_id=leaving, entry_ids=[MISSING, staying])
    someone.join()
    assert result.states == {
        "poke_absent": "success",
        "poke_present": "success",
        "deferred_absent": "success",
        "deferred_present": "success",
    }
    assert result.xcoms.get("poke_absent") is None and result.xcoms.get("deferred_absent") is None
    for task_id in ("poke_present", "deferred_present"):
        xcom = result.xcoms[task_id]
        assert xcom["list"] == "sales" and xcom["matched"] == [staying] and xcom["unmatched"] == [MISSING]
        assert xcom["entries"][0]["parent_record_id"] == people[1]
    # Read one by one: no query was sent.
    assert attio.count(method="POST") == 0


def test_a_missing_list_fails_the_sensors(attio: AttioEmulator, run_dag: Callable[..., Any]) -> None:
    result = run_dag("attio_test_entry_sensor", list="no_such_list", entry_id=MISSING, entry_ids=[MISSING])
    assert set(result.states.values()) == {"failed"}
    assert attio.count(method="GET", path="/v2/lists/no_such_list") == 4  # each sensor's one check

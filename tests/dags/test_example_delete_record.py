"""example_attio_delete_record end to end with dag.test() against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_attio.testing import AttioEmulator


def test_deletes_the_record_given_as_param(attio: AttioEmulator, run_dag: Callable[..., Any]) -> None:
    records = attio.seed("people", 5)
    target = records[2]["id"]["record_id"]
    result = run_dag("example_attio_delete_record", record_id=target)
    assert result.state == "success"
    assert result.states == {"delete_record": "success"}
    assert result.xcoms["delete_record"] == {"object": "people", "record_id": target, "outcome": "deleted"}
    assert attio.record_ids("people") == [
        r["id"]["record_id"] for r in records if r["id"]["record_id"] != target
    ]
    assert attio.count(method="DELETE") == 1

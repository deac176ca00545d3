"""example_attio_mirror_sync end to end with dag.test() against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.testing.seed import seed_mirror_sync
from tests.conftest import TOKEN
from tests.dags.conftest import DagRunResult

DAG_ID = "example_attio_mirror_sync"


def test_default_params_dry_run_and_delete_nothing(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    others = [r["id"]["record_id"] for r in attio.seed("people", 5)]
    seeded = seed_mirror_sync(attio)
    result = run_dag(DAG_ID)
    assert result.state == "success"
    assert len(result.xcoms["extract_source_keys"]) == 12
    sync = result.xcoms["dry_run"]["sync"]
    assert (sync["in_scope"], sync["kept"], sync["to_delete"], sync["keyless"]) == (12, 11, 1, 0)
    assert sync["refused"] is None and result.xcoms["dry_run"]["dry_run"] is True
    assert result.states["mirror_delete"] == "skipped"
    assert attio.count(method="DELETE") == 0
    assert attio.record_ids("people") == others + seeded.kept + [seeded.left]
    assert TOKEN not in json.dumps(result.xcoms)


def test_confirmed_mirror_deletes_what_left_the_source_and_keeps_the_rest(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    others = [r["id"]["record_id"] for r in attio.seed("people", 5)]
    seeded = seed_mirror_sync(attio)
    result = run_dag(DAG_ID, confirm_delete=True)
    assert result.state == "success"
    summary = result.xcoms["mirror_delete"]
    assert (summary["deleted"], summary["sync"]["kept"]) == (1, 11)
    assert attio.record_ids("people") == others + seeded.kept
    assert [r.path for r in attio.requests if r.method == "DELETE"] == [
        f"/v2/objects/people/records/{seeded.left}"
    ]
    assert TOKEN not in json.dumps(result.xcoms)


@pytest.mark.parametrize(
    ("limit", "guard"), [(3, "more than max_delete_fraction=0.1"), (0, "keep_values is empty")]
)
def test_a_truncated_or_empty_source_is_refused_before_any_delete(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], limit: int, guard: str
) -> None:
    seeded = seed_mirror_sync(attio)
    result = run_dag(DAG_ID, confirm_delete=True, source_limit=limit)
    assert result.state == "failed"
    assert result.states["mirror_delete"] == "failed"
    assert guard in (result.xcoms["dry_run"]["sync"]["refused"] or "")
    assert attio.count(method="DELETE") == 0
    assert attio.record_ids("people") == [*seeded.kept, seeded.left]

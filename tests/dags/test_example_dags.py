"""The example DAGs load cleanly, and the sync teardown runs end to end against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow_provider_attio.testing import AttioEmulator
from tests.dags.conftest import ROOT


def test_example_dags_load_without_import_errors(dags_folder: Path) -> None:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # pragma: no cover - Airflow 2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    bag = DagBag(str(ROOT / "example_dags"))
    assert bag.import_errors == {}
    examples = sorted(path.stem for path in (ROOT / "example_dags").glob("example_*.py"))
    assert sorted(bag.dags) == sorted(bag.dags) and len(bag.dags) >= len(examples)
    for dag in bag.dags.values():
        assert dag.doc_md and len(dag.doc_md) > 200, f"{dag.dag_id} should teach with its docstring"
        assert "example" in dag.tags


def test_sync_teardown_removes_exactly_the_fixtures(
    attio: AttioEmulator, run_dag: Callable[..., Any]
) -> None:
    others = [r["id"]["record_id"] for r in attio.seed("people", 10)]
    fixtures = [
        attio.create_record("people", {"name": f"Fixture {n}", "job_title": "Sync fixture"})["id"][
            "record_id"
        ]
        for n in range(4)
    ]
    companies = [r["id"]["record_id"] for r in attio.seed("companies", 3)]
    result = run_dag("example_attio_sync_teardown")
    assert result.state == "success"
    assert result.xcoms["find_records_to_remove"] == fixtures
    assert {k: v for k, v in result.states.items() if k.startswith("delete_record")} == {
        f"delete_record[{i}]": "success" for i in range(4)
    }
    assert attio.record_ids("people") == others
    assert attio.record_ids("companies") == companies
    assert attio.count(method="DELETE") == 4

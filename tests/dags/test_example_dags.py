"""The example DAGs load cleanly and teach with their docstrings."""

from __future__ import annotations

from pathlib import Path

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

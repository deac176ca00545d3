"""The example DAGs load cleanly and teach with their docstrings."""

from __future__ import annotations

import json
import re
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
    assert set(examples) <= set(bag.dags), "each example_*.py defines the DAG of its own name"
    for dag in bag.dags.values():
        assert dag.doc_md and len(dag.doc_md) > 200, f"{dag.dag_id} should teach with its docstring"
        assert "example" in dag.tags


def test_documented_confs_use_the_examples_params(dags_folder: Path) -> None:
    """Every ``--conf`` the README, the docs and the examples' docstrings show names params the DAG has."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # pragma: no cover - Airflow 2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    bag = DagBag(str(ROOT / "example_dags"))
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    texts = [page.read_text() for page in pages] + [dag.doc_md for dag in bag.dags.values()]
    found = 0
    for text in texts:
        flat = re.sub(r"\\?\n\s*", " ", text)  # one line: commands continue over several
        for dag_id, conf in re.findall(r"(example_attio_\w+) +--conf '(\{.*?\})'", flat):
            params = json.loads(conf)
            assert set(params) <= set(bag.dags[dag_id].params), (dag_id, params)
            found += 1
    assert found >= 8

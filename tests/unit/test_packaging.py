"""The package declares every third-party distribution it imports, so a fresh install has them."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Imported only by the connection form of Airflow before 3.2, whose web server brings them.
AIRFLOW_UI_MODULES = {"flask_appbuilder", "flask_babel", "wtforms"}
PACKAGE = ROOT / "airflow_provider_attio"


def _imported_modules(paths: list[Path]) -> set[str]:
    modules: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    return (
        modules - set(sys.stdlib_module_names) - {"airflow_provider_attio", "__future__"} - AIRFLOW_UI_MODULES
    )


def _declared(requirements: list[str]) -> set[str]:
    names = {re.split(r"[<>=!\[ ;]", requirement, maxsplit=1)[0] for requirement in requirements}
    return {name.lower().replace("_", "-") for name in names}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    index = packages_distributions()
    return {module: {d.lower().replace("_", "-") for d in index.get(module, [])} for module in modules}


def test_every_import_of_the_package_is_declared() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = _declared(project["dependencies"])
    testing = core | _declared(project["optional-dependencies"]["testing"])
    files = list(PACKAGE.rglob("*.py"))
    emulator = [f for f in files if "testing" in f.relative_to(PACKAGE).parts]
    for paths, declared in (([f for f in files if f not in emulator], core), (emulator, testing)):
        for module, dists in _distributions(_imported_modules(paths)).items():
            assert dists & declared, f"{module} (from {sorted(dists)}) is imported but not declared"

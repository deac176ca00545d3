"""How the package's modules depend on each other: no cycles, no private names across modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "airflow_provider_attio"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _top_level_imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    """Imports run when the module loads: module level, outside ``if TYPE_CHECKING``."""
    found: list[ast.ImportFrom | ast.Import] = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.Try):
            found += [n for n in node.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found


def _internal_targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    module = node.module or ""
    names = [f"{module}.{a.name}" for a in node.names]
    return [n for n in names if n in MODULES] or ([module] if module in MODULES else [])


def _graph() -> dict[str, set[str]]:
    return {
        name: {t for node in _top_level_imports(path) for t in _internal_targets(node)} - {name}
        for name, path in MODULES.items()
    }


def test_no_import_cycles() -> None:
    graph, state, path = _graph(), dict.fromkeys(MODULES, 0), []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in graph[name]:
            assert state[target] != 1, "import cycle: " + " -> ".join([*path[path.index(target) :], target])
            if state[target] == 0:
                visit(target)
        path.pop()
        state[name] = 2

    for name in MODULES:
        if state[name] == 0:
            visit(name)


def test_no_module_imports_another_modules_private_names() -> None:
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("airflow_provider_attio"):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                assert not private, f"{name} imports {private} from {node.module}"


@pytest.mark.parametrize(
    "module",
    [
        "airflow_provider_attio.bulk",
        "airflow_provider_attio.triggers.records",
        "airflow_provider_attio.options",
    ],
)
def test_a_module_imports_alone(module: str) -> None:
    # A fresh interpreter: what loads first must not depend on something else having loaded before.
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, capture_output=True, timeout=120)


def test_object_and_filter_are_only_read_where_they_are_parameters() -> None:
    # The public parameters keep Attio's words (object, filter), shadowing the builtins; a function
    # without such a parameter that reads the name gets the builtin: a bug (it printed "<class 'object'>").
    roots = [PACKAGE, PACKAGE.parent / "example_dags"]
    for path in [p for root in roots for p in sorted(root.rglob("*.py"))]:
        for func in ast.walk(ast.parse(path.read_text())):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            args = func.args
            params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            body = func.body if isinstance(func.body, list) else [func.body]
            for node in (n for stmt in body for n in ast.walk(stmt)):
                if isinstance(node, ast.Name) and node.id in ("object", "filter") and node.id not in params:
                    assert not isinstance(node.ctx, ast.Load) or _is_call_target(node, func), (
                        f"{path.name}:{node.lineno} reads the builtin {node.id!r}"
                    )


def _is_call_target(name: ast.Name, tree: ast.AST) -> bool:
    """``object.__setattr__(...)`` and ``filter(...)`` are meant: the builtin, called or its attribute."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.func is name:
            return True
        if isinstance(node, ast.Attribute) and node.value is name:
            return True
    return False

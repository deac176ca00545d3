"""The run id an archive line carries: a task instance's identity, never its try; checked input."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_attio import runs
from airflow_provider_attio.exceptions import AttioValidationError


def _ti(**fields: Any) -> dict[str, Any]:
    identity = {"dag_id": "d", "run_id": "manual__2026-01-01T00:00:00+00:00", "task_id": "t", "map_index": -1}
    return {"ti": SimpleNamespace(**{**identity, **fields})}


def test_a_task_instance_is_a_run_and_its_retries_are_the_same_run() -> None:
    first, retry = runs.run_of(_ti(try_number=1)), runs.run_of(_ti(try_number=3))
    assert first == retry == "d/manual__2026-01-01T00:00:00+00:00/t"
    assert runs.run_of(_ti(map_index=2)) == "d/manual__2026-01-01T00:00:00+00:00/t/2"


@pytest.mark.parametrize(
    "context", [None, {}, {"ti": SimpleNamespace(try_number=1)}, _ti(run_id=None), _ti(dag_id="")]
)
def test_a_context_without_the_identity_names_no_run(context: Any) -> None:
    assert runs.run_of(context) is None


def test_outside_a_task_a_run_is_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    made = runs.current_run()
    assert made.startswith("local/") and made != runs.current_run()
    from airflow.providers.common.compat import sdk

    monkeypatch.setattr(sdk, "get_current_context", lambda: _ti(task_id="my_task"), raising=False)
    assert runs.current_run() == "d/manual__2026-01-01T00:00:00+00:00/my_task"  # a @task calling the hook


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "run must be a run id"),
        ("  ", "run must be a run id"),
        (5, "run must be a run id"),
        ("x" * 1025, "run must be a run id"),
        ("a\nb", "run must not hold line breaks"),
        ("ALL", "run='ALL' is reserved"),
        ("none", "run='none' is reserved"),
    ],
)
def test_a_delete_refuses_bad_or_reserved_run_ids(value: Any, message: str) -> None:
    with pytest.raises(AttioValidationError, match=message):
        runs.check_run(value)


def test_a_task_instance_id_of_the_longest_parts_airflow_allows_is_a_run_id() -> None:
    # 250 characters each for dag_id, run_id and task_id (Airflow's limit), and a map index.
    longest = runs.run_of(_ti(dag_id="d" * 250, run_id="r" * 250, task_id="g." + "t" * 248, map_index=1023))
    assert longest is not None and len(longest) == 3 * 250 + 3 + 4
    assert runs.check_run(longest) == longest


def test_a_restore_may_choose_all_or_none() -> None:
    assert runs.check_run(" All ", choosing=True) == "all"
    assert runs.check_run("none", choosing=True) == "none"
    assert runs.check_run(" d/r/t ", choosing=True) == "d/r/t"
    assert runs.check_run(None) is None

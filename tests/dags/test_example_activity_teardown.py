"""example_attio_activity_teardown end to end with dag.test() against the emulator's example seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from airflow_provider_attio import activities
from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.testing.seed import EXAMPLE_LIST, seed_examples
from tests.dags.conftest import DagRunResult


def _faster(dag: Any) -> None:
    """The pace is not what this test checks (test_activities.py and test_bulk.py do)."""
    for task_id in ("unlist", "delete_notes", "delete_tasks", "delete_people"):
        task = dag.get_task(task_id)
        task.options = replace(task.options, writes_per_second=250)


class _NoWait:
    def wait(self) -> None:
        """The reads' pace is test_activities.py's to check."""


def test_confirmed_teardown_removes_entries_notes_tasks_then_people(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(activities, "QueryPacer", _NoWait)
    seeded = seed_examples(attio)  # the sync's 5 fixtures: on the list, a note and a task each
    outsider = seeded.background["people"][0]
    attio.add_list_entry(EXAMPLE_LIST, outsider)
    attio.add_note("people", outsider)
    shared = attio.task_ids()[-1]  # the seed's task shared with the outsider
    people_before = len(attio.record_ids("people"))
    result = run_dag("example_attio_activity_teardown", adjust=_faster, confirm_delete=True)
    assert result.state == "success", result.states
    assert result.xcoms["unlist"]["deleted"] == 5 and result.xcoms["delete_notes"]["deleted"] == 5
    assert (result.xcoms["delete_tasks"]["deleted"], result.xcoms["delete_tasks"]["kept_shared"]) == (5, 1)
    assert result.xcoms["delete_people"]["deleted"] == 5
    assert len(attio.record_ids("people")) == people_before - 5
    assert not set(seeded.sync_fixtures) & set(attio.record_ids("people"))
    assert len(attio.list_entry_ids(EXAMPLE_LIST)) == 1 and len(attio.note_ids()) == 1
    assert attio.task_ids() == [shared]

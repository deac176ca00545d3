"""example_attio_activity_teardown end to end with dag.test() against the emulator."""

from __future__ import annotations

from collections.abc import Callable

from airflow_provider_attio.testing import AttioEmulator
from tests.dags.conftest import DagRunResult


def test_confirmed_teardown_removes_entries_notes_tasks_then_people(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    attio.add_list("sync_pipeline")
    staff = attio.create_record("people", {"name": "Staff", "email_addresses": ["s@acme.com"]})["id"][
        "record_id"
    ]
    synced = [
        attio.create_record("people", {"name": f"F {n}", "job_title": "Sync fixture"})["id"]["record_id"]
        for n in range(3)
    ]
    for person in [staff, *synced]:
        attio.add_list_entry("sync_pipeline", person)
        attio.add_note("people", person)
    attio.add_task([("people", synced[0])])
    shared = attio.add_task([("people", synced[1]), ("people", staff)])["id"]["task_id"]
    result = run_dag(
        "example_attio_activity_teardown", confirm_delete=True, filter={"job_title": "Sync fixture"}
    )
    assert result.state == "success", result.states
    assert result.xcoms["unlist"]["deleted"] == 3 and result.xcoms["delete_notes"]["deleted"] == 3
    assert (result.xcoms["delete_tasks"]["deleted"], result.xcoms["delete_tasks"]["kept_shared"]) == (1, 1)
    assert result.xcoms["delete_people"]["deleted"] == 3
    assert attio.record_ids("people") == [staff]
    assert len(attio.list_entry_ids("sync_pipeline")) == 1 and len(attio.note_ids()) == 1
    assert attio.task_ids() == [shared]

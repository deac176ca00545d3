"""example_attio_sync_teardown end to end with dag.test() against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.testing.seed import SYNC_FIXTURE_DOMAIN, seed_examples
from tests.dags.conftest import DagRunResult

DAG_ID = "example_attio_sync_teardown"
JOB_TITLE_FILTER = {"job_title": "Sync fixture"}


def _fixtures(emu: AttioEmulator, count: int) -> list[str]:
    return [
        emu.create_record(
            "people",
            {"name": f"Fixture {n}", "job_title": "Sync fixture", "email_addresses": [f"f{n}@acme.com"]},
        )["id"]["record_id"]
        for n in range(count)
    ]


def _deletes(result: DagRunResult) -> dict[str, str | None]:
    return {k: v for k, v in result.states.items() if k.startswith("delete_record")}


def test_default_params_delete_nothing(attio: AttioEmulator, run_dag: Callable[..., DagRunResult]) -> None:
    """One click on Trigger, defaults untouched: the sync finds and uses records, deletes none."""
    others = [r["id"]["record_id"] for r in attio.seed("people", 10)]
    fixtures = _fixtures(attio, 4)  # what the old default filter (job_title) matched
    result = run_dag(DAG_ID)
    assert result.state == "success"
    assert result.xcoms["find_records_to_remove"] == []  # the default filter matches no real person
    assert result.states["check_confirmation"] == "success"
    assert attio.count(method="DELETE") == 0
    assert attio.record_ids("people") == others + fixtures


def test_without_confirmation_matches_are_kept(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    fixtures = _fixtures(attio, 3)
    result = run_dag(DAG_ID, filter=JOB_TITLE_FILTER)
    assert result.state == "success"
    assert result.xcoms["find_records_to_remove"] == fixtures
    assert result.states["use_records"] == "success"
    assert set(_deletes(result).values()) == {"skipped"}
    assert attio.count(method="DELETE") == 0
    assert attio.record_ids("people") == fixtures


def test_confirmed_teardown_removes_exactly_the_fixtures(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    others = [r["id"]["record_id"] for r in attio.seed("people", 10)]
    fixtures = _fixtures(attio, 4)
    companies = [r["id"]["record_id"] for r in attio.seed("companies", 3)]
    result = run_dag(DAG_ID, filter=JOB_TITLE_FILTER, confirm_delete=True)
    assert result.state == "success"
    assert result.xcoms["find_records_to_remove"] == fixtures
    assert _deletes(result) == {f"delete_record[{i}]": "success" for i in range(4)}
    assert attio.record_ids("people") == others
    assert attio.record_ids("companies") == companies
    assert attio.count(method="DELETE") == 4


def test_default_filter_and_confirmation_delete_the_seeded_fixtures(
    attio: AttioEmulator, run_dag: Callable[..., Any]
) -> None:
    """What ``serve --seed examples`` creates is what the default filter matches, and only that."""
    seeded = seed_examples(attio)
    everyone = attio.record_ids("people")
    assert all(
        attio.get_record("people", rid)["values"]["email_addresses"][0]["email_domain"] == SYNC_FIXTURE_DOMAIN  # type: ignore[index]
        for rid in seeded.sync_fixtures
    )
    result = run_dag(DAG_ID, confirm_delete=True)
    assert result.state == "success"
    assert result.xcoms["find_records_to_remove"] == seeded.sync_fixtures
    assert attio.record_ids("people") == [rid for rid in everyone if rid not in seeded.sync_fixtures]
    assert attio.count(method="DELETE") == len(seeded.sync_fixtures) == 5

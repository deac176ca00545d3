"""Delete by key in a DAG: keys as an XComArg and as a rendered template; an ambiguous key fails at once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from airflow_provider_attio.testing import AttioEmulator
from tests.conftest import TOKEN
from tests.dags.conftest import DagRunResult
from tests.helpers import person

DAG_ID = "attio_test_delete_by_key"


def _company(emu: AttioEmulator, name: str, domain: str) -> str:
    return str(emu.create_record("companies", {"name": name, "domains": [domain]})["id"]["record_id"])


def test_keys_from_an_xcomarg_and_a_template(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    ada = person(attio, "Ada", email_addresses=["ada@example.com"])
    alan = person(attio, "Alan", email_addresses=["alan@example.com"])
    acme = _company(attio, "Acme", "acme.com")
    initech = _company(attio, "Initech", "initech.com")
    result = run_dag(DAG_ID, emails=["ADA@example.com"], domains=["acme.com", "nowhere.example"])
    assert result.states == {"extract_emails": "success", "by_email": "success", "by_domain": "skipped"}
    assert result.xcoms["by_email"]["deleted"] == 1
    assert attio.record_ids("people") == [alan] and ada not in attio.record_ids("people")
    # The unmatched domain skips the task, after the matched one was deleted.
    assert attio.record_ids("companies") == [initech] and acme not in attio.record_ids("companies")
    assert TOKEN not in json.dumps(result.xcoms)


def test_an_ambiguous_key_fails_without_retries_and_deletes_nothing(
    attio: AttioEmulator, run_dag: Callable[..., DagRunResult]
) -> None:
    twins = [person(attio, f"Twin {i}", email_addresses=["twin@example.com"]) for i in range(2)]
    result = run_dag(DAG_ID, emails=["twin@example.com"])
    assert result.states["by_email"] == "failed" and result.tries["by_email"] == 1
    assert attio.count(method="DELETE") == 0
    assert attio.record_ids("people") == twins


def test_a_retried_delete_by_key_finishes_without_failing_on_its_first_tries_deletes(
    attio: AttioEmulator,
    use_connection: Callable[..., None],
    run_dag: Callable[..., DagRunResult],
    tmp_path: Path,
) -> None:
    use_connection(attio.base_url, max_retries=1)  # a failing DELETE gives up after one resend
    emails = {task: [f"{task}{i}@example.com" for i in range(5)] for task in ("plain", "archived")}
    people = {
        task: [person(attio, f"P{i}", email_addresses=[e]) for i, e in enumerate(keys)]
        for task, keys in emails.items()
    }
    for ids in people.values():
        for record_id in ids[3:]:  # both attempts of the first try fail: Airflow retries the task
            attio.fail_next(2, 503, method="DELETE", path=f"/v2/objects/people/records/{record_id}")
    result = run_dag(
        "attio_test_delete_by_key_retry",
        emails=emails["plain"],
        archived_emails=emails["archived"],
        archive=str(tmp_path / "archive.jsonl"),
    )
    assert result.states == {"by_key": "success", "by_key_archived": "success"}
    assert result.tries == {"by_key": 2, "by_key_archived": 2}
    plain, archived = result.xcoms["by_key"], result.xcoms["by_key_archived"]
    assert plain["deleted"] == 2 and plain["sync"]["unmatched_on_retry"] == 3
    assert (archived["deleted"], archived["skipped_already_deleted"]) == (2, 3)
    assert archived["sync"]["matched_keys"] == 5 and archived["sync"]["unmatched_keys"] == 0
    assert attio.record_ids("people") == []

"""Delete by key in a DAG: keys as an XComArg and as a rendered template; an ambiguous key fails at once."""

from __future__ import annotations

import json
from collections.abc import Callable

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

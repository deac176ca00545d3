"""Syncs over real HTTP against the emulator: delete by key, and the mirror delete with its guards."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

from airflow_provider_attio import sync
from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator
from airflow_provider_attio.testing import AttioEmulator
from tests.conftest import TOKEN
from tests.helpers import EMPTY_CONTEXT, MISSING_ID, kill_bulk_run_after, person, read_archive_tolerant

log = logging.getLogger(__name__)


def _company(emu: AttioEmulator, name: str, *domains: str, **values: Any) -> str:
    values = {"name": name, **values}
    if domains:
        values["domains"] = list(domains)
    return str(emu.create_record("companies", values)["id"]["record_id"])


def _queries(emu: AttioEmulator) -> list[dict[str, Any]]:
    return [r.body or {} for r in emu.requests if r.path.endswith("/records/query")]


def _deletes(emu: AttioEmulator) -> int:
    return emu.count(method="DELETE")


# -- delete by key -------------------------------------------------------------------------------------


def test_keys_with_one_match_no_match_and_blank(attio: AttioEmulator) -> None:
    ada = person(attio, "Ada", email_addresses=["ada@example.com"])
    grace = person(attio, "Grace", email_addresses=["grace@example.com"])
    keep = person(attio, "Alan", email_addresses=["alan@example.com"])
    keys = ["ada@example.com", "grace@example.com", "nobody@example.com", None, "  "]
    summary = AttioHook().delete_records("people", match_attribute="email_addresses", match_values=keys)
    assert attio.record_ids("people") == [keep]
    assert (summary["requested"], summary["deleted"], summary["not_found"]) == (2, 2, 0)
    assert summary["sync"] == {
        "mode": "match",
        "attribute": "email_addresses",
        "key_type": "email-address",
        "keys": 3,
        "matched_keys": 2,
        "unmatched_keys": 1,
        "unmatched_on_retry": 0,
        "ambiguous_keys": 0,
        "in_scope": 0,
        "keyed": 0,
        "kept": 0,
        "keyless": 0,
        "to_delete": 2,
        "refused": None,
    }
    assert {ada, grace} == {r.path.rsplit("/", 1)[1] for r in attio.requests if r.method == "DELETE"}
    assert _queries(attio)[0]["filter"] == {
        "email_addresses": {"$in": ["ada@example.com", "grace@example.com", "nobody@example.com"]}
    }


def test_keys_with_no_match_follow_if_not_found(attio: AttioEmulator) -> None:
    person(attio, "Ada", email_addresses=["ada@example.com"])
    hook = AttioHook()
    summary = hook.delete_records("people", match_attribute="email_addresses", match_values=["x@example.com"])
    assert summary["sync"]["unmatched_keys"] == 1 and summary["requested"] == 0
    with pytest.raises(AirflowFailException, match=r"1 key\(s\) of email_addresses \('x@example.com'\)"):
        hook.delete_records(
            "people", match_attribute="email_addresses", match_values=["x@example.com"], if_not_found="fail"
        )
    with pytest.raises(AirflowSkipException):
        hook.delete_records(
            "people", match_attribute="email_addresses", match_values=["x@example.com"], if_not_found="skip"
        )
    assert _deletes(attio) == 0 and len(attio.record_ids("people")) == 1


def test_a_key_matching_several_records_fails_before_any_delete_naming_it(attio: AttioEmulator) -> None:
    twins = [person(attio, f"Twin {i}", email_addresses=["twin@example.com"]) for i in range(2)]
    single = person(attio, "Solo", email_addresses=["solo@example.com"])
    with pytest.raises(AttioValidationError) as info:
        AttioHook().delete_records(
            "people", match_attribute="email_addresses", match_values=["solo@example.com", "twin@example.com"]
        )
    message = str(info.value)
    assert "'twin@example.com' matches 2 records" in message and twins[0] in message
    assert "Nothing was deleted" in message and "delete_all_matches=True" in message
    assert _deletes(attio) == 0
    summary = AttioHook().delete_records(
        "people",
        match_attribute="email_addresses",
        match_values=["solo@example.com", "twin@example.com"],
        delete_all_matches=True,
    )
    assert summary["deleted"] == 3 and summary["sync"]["ambiguous_keys"] == 1
    assert attio.record_ids("people") == []
    assert single not in attio.record_ids("people")


def test_a_dry_run_reports_an_ambiguous_key_instead_of_failing(attio: AttioEmulator) -> None:
    for i in range(2):
        person(attio, f"Twin {i}", email_addresses=["twin@example.com"])
    summary = AttioHook().delete_records(
        "people", match_attribute="email_addresses", match_values=["TWIN@example.com"], dry_run=True, log=log
    )
    assert summary["requested"] == 2 and summary["sync"]["ambiguous_keys"] == 1
    assert "'TWIN@example.com' matches 2 records" in (summary["sync"]["refused"] or "")
    assert _deletes(attio) == 0


def test_emails_compare_case_insensitively(attio: AttioEmulator) -> None:
    ada = person(attio, "Ada", email_addresses=["Ada.Lovelace@Example.com"])
    summary = AttioHook().delete_records(
        "people",
        match_attribute="email_addresses",
        match_values=["ADA.LOVELACE@example.COM", " ada.lovelace@example.com "],
    )
    assert summary["sync"]["keys"] == 1 and summary["sync"]["matched_keys"] == 1
    assert summary["deleted"] == 1 and ada not in attio.record_ids("people")


def test_domains_compare_case_insensitively(attio: AttioEmulator) -> None:
    acme = _company(attio, "Acme", "acme.com")
    other = _company(attio, "Initech", "initech.com")
    summary = AttioHook().delete_records("companies", match_attribute="domains", match_values=["ACME.com"])
    assert summary["deleted"] == 1 and summary["sync"]["unmatched_keys"] == 0
    assert attio.record_ids("companies") == [other] and acme not in attio.record_ids("companies")


def test_text_number_and_record_id_keys(attio: AttioEmulator) -> None:
    a = _company(attio, "Acme", description="ext-1", employee_count=10)
    b = _company(attio, "Initech", description="ext-2", employee_count=20)
    c = _company(attio, "Hooli", description="EXT-3", employee_count=30)
    hook = AttioHook()
    # Text compares exactly: "ext-3" is not "EXT-3".
    summary = hook.delete_records("companies", match_attribute="description", match_values=["ext-1", "ext-3"])
    assert summary["deleted"] == 1 and summary["sync"]["unmatched_keys"] == 1
    assert (
        hook.delete_records("companies", match_attribute="employee_count", match_values=[20])["deleted"] == 1
    )
    summary = hook.delete_records(
        "companies", match_attribute="record_id", match_values=[c.upper(), MISSING_ID]
    )
    assert summary["deleted"] == 1 and summary["sync"]["unmatched_keys"] == 1
    assert attio.record_ids("companies") == [] and {a, b, c}


def test_many_keys_are_batched_one_query_per_batch(attio: AttioEmulator) -> None:
    people = [person(attio, f"P{i}", email_addresses=[f"p{i}@example.com"]) for i in range(30)]
    keys = [f"p{i}@example.com" for i in range(600)]
    summary = AttioHook().delete_records(
        "people", match_attribute="email_addresses", match_values=keys, dry_run=True, log=log
    )
    queries = _queries(attio)
    assert len(queries) == math.ceil(600 / sync.KEYS_PER_QUERY)
    assert [len(q["filter"]["email_addresses"]["$in"]) for q in queries] == [250, 250, 100]
    assert summary["requested"] == 30 and summary["sync"]["unmatched_keys"] == 570
    assert _deletes(attio) == 0 and attio.record_ids("people") == people


def test_the_cap_applies_to_the_matches(attio: AttioEmulator) -> None:
    for i in range(4):
        person(attio, f"P{i}", email_addresses=[f"p{i}@example.com"])
    with pytest.raises(
        AttioValidationError, match="The keys matched 4 records of 'people', more than max_records=3"
    ):
        AttioHook().delete_records(
            "people",
            match_attribute="email_addresses",
            match_values=[f"p{i}@example.com" for i in range(4)],
            max_records=3,
        )
    assert _deletes(attio) == 0


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"match_values": ["a@b.com"]}, "match_values needs match_attribute"),
        ({"match_attribute": "email_addresses"}, "exactly one of record_ids"),
        ({"match_attribute": "email_addresses", "match_values": "a@b.com"}, "must be a list of keys"),
        (
            {"match_attribute": "email_addresses", "match_values": [["x"]]},
            r"match_values\[0\] must be a string",
        ),
        ({"match_attribute": "record_id", "match_values": ["nope"]}, r"match_values\[0\]"),
        ({"keep_attribute": "domains", "keep_values": ["a.com"]}, "needs filter= to scope"),
        ({"match_attribute": "a b", "match_values": ["x"]}, "match_attribute must be"),
    ],
)
def test_bad_sync_arguments_are_refused_before_any_request(
    attio: AttioEmulator, kwargs: dict[str, Any], words: str
) -> None:
    with pytest.raises(AttioValidationError, match=words):
        AttioHook().delete_records("people", **kwargs)
    assert attio.requests == [] or all(r.method != "DELETE" for r in attio.requests)


def test_the_operator_resolves_rendered_keys(attio: AttioEmulator) -> None:
    ada = person(attio, "Ada", email_addresses=["ada@example.com"])
    op = AttioDeleteRecordsOperator(
        task_id="t", object="people", match_attribute="email_addresses", match_values='["ADA@example.com"]'
    )
    summary = op.execute(EMPTY_CONTEXT)
    assert summary["deleted"] == 1 and ada not in attio.record_ids("people")
    assert TOKEN not in json.dumps(summary)


# -- mirror --------------------------------------------------------------------------------------------

SCOPE = {"description": "synced"}


def _mirror_fixture(emu: AttioEmulator, count: int = 20) -> list[str]:
    return [_company(emu, f"C{i}", f"c{i}.com", description="synced") for i in range(count)]


def _mirror(**kwargs: Any) -> Any:
    return AttioHook().delete_records("companies", keep_attribute="domains", filter=SCOPE, **kwargs)


def test_mirror_deletes_what_the_source_no_longer_has(attio: AttioEmulator) -> None:
    ids = _mirror_fixture(attio)
    outside = _company(attio, "Outside", "gone.com", description="manual")
    keyless = _company(attio, "No domain", description="synced")
    keep = [f"C{i}.COM" for i in range(1, 20)]  # c0.com is no longer in the source; case differs
    summary = _mirror(keep_values=keep)
    assert summary["deleted"] == 1
    assert summary["sync"] | {"refused": None} == {
        "mode": "mirror",
        "attribute": "domains",
        "key_type": "domain",
        "keys": 19,
        "matched_keys": 0,
        "unmatched_keys": 0,
        "unmatched_on_retry": 0,
        "ambiguous_keys": 0,
        "in_scope": 21,
        "keyed": 20,
        "kept": 19,
        "keyless": 1,
        "to_delete": 1,
        "refused": None,
    }
    assert attio.record_ids("companies") == [*ids[1:], outside, keyless]


def test_keyless_records_are_deleted_only_when_asked(attio: AttioEmulator) -> None:
    _mirror_fixture(attio, 10)
    keyless = _company(attio, "No domain", description="synced")
    summary = _mirror(keep_values=[f"c{i}.com" for i in range(10)], delete_keyless=True)
    assert summary["deleted"] == 1 and keyless not in attio.record_ids("companies")


def test_guard_empty_source_refuses_before_any_delete(attio: AttioEmulator) -> None:
    _mirror_fixture(attio, 5)
    with pytest.raises(AttioValidationError) as info:
        _mirror(keep_values=[None, ""], max_delete_fraction=1.0)
    message = str(info.value)
    assert "keep_values is empty" in message and "delete 5 of the 5 record(s) in scope" in message
    assert "allow_empty_source=True" in message
    assert _deletes(attio) == 0 and len(attio.record_ids("companies")) == 5
    summary = _mirror(keep_values=[], allow_empty_source=True, max_delete_fraction=1.0)
    assert summary["deleted"] == 5


def test_guard_max_delete_fraction_refuses_before_any_delete(attio: AttioEmulator) -> None:
    _mirror_fixture(attio, 20)
    truncated = [f"c{i}.com" for i in range(17)]  # 3 of 20 would go: 15 %
    with pytest.raises(AttioValidationError) as info:
        _mirror(keep_values=truncated)
    message = str(info.value)
    assert "would delete 3 of the 20 record(s) it could delete in scope of 'companies' (15.0%)" in message
    assert "max_delete_fraction=0.1" in message and "20 with a key (17 of them kept)" in message
    assert "raise max_delete_fraction to at least 0.15" in message
    assert _deletes(attio) == 0
    assert _mirror(keep_values=truncated, max_delete_fraction=0.15)["deleted"] == 3


def test_guard_max_records_refuses_before_any_delete(attio: AttioEmulator) -> None:
    _mirror_fixture(attio, 10)
    with pytest.raises(
        AttioValidationError,
        match="The mirror would delete 5 records of 'companies', more than max_records=4",
    ):
        _mirror(keep_values=[f"c{i}.com" for i in range(5)], max_delete_fraction=1.0, max_records=4)
    assert _deletes(attio) == 0


def test_mirror_dry_run_reports_counts_sample_and_the_guard(
    attio: AttioEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _mirror_fixture(attio, 10)
    summary = _mirror(keep_values=["c0.com"], dry_run=True, log=log)
    assert summary["dry_run"] and summary["requested"] == 9
    counts = summary["sync"]
    assert (counts["in_scope"], counts["kept"], counts["to_delete"], counts["keyless"]) == (10, 1, 9, 0)
    assert counts["refused"] and "more than max_delete_fraction=0.1" in counts["refused"]
    assert "First 9 to delete: " + ", ".join(ids[1:]) in caplog.text
    assert "the real run would refuse" in caplog.text
    assert _deletes(attio) == 0


def test_a_mirror_needs_a_scope_and_an_empty_scope_needs_allow_delete_all(attio: AttioEmulator) -> None:
    with pytest.raises(AttioValidationError, match="filter=\\{\\} matches every record"):
        AttioHook().delete_records("companies", keep_attribute="domains", keep_values=["a.com"], filter={})
    assert attio.requests == []


# -- a mirror with an archive, SIGKILLed halfway, then resumed ------------------------------------------


def _deleted_ok(emu: AttioEmulator) -> set[str]:
    return {r.path.rsplit("/", 1)[1] for r in emu.requests if r.method == "DELETE" and r.status == 200}


def test_mirror_with_archive_killed_halfway_then_resumed(attio: AttioEmulator, tmp_path: Path) -> None:
    # Paced under the workspace's budget, as at Attio's 25/s, but faster (see test_bulk's SIGKILL test).
    attio.set_rate_limits(reads_per_second=None, writes_per_second=125)
    outside = [person(attio, f"Manual {i}", email_addresses=[f"m{i}@example.com"]) for i in range(3)]
    scope = [
        person(attio, f"Synced {i}", email_addresses=[f"s{i}@example.com"], job_title="Synced")
        for i in range(800)
    ]
    kept, doomed = scope[:560], scope[560:]  # 240 of 800 go: 30 %
    before = {rid: attio.get_record("people", rid) for rid in doomed}
    archive = tmp_path / "mirror.jsonl"
    kwargs: dict[str, Any] = {
        "filter": {"job_title": "Synced"},
        "keep_attribute": "email_addresses",
        "keep_values": [f"S{i}@EXAMPLE.COM" for i in range(560)],
        "max_delete_fraction": 0.3,
        "archive_to": str(archive),
        "max_concurrency": 4,
        "writes_per_second": 100,
    }
    kill_bulk_run_after(attio, 50, **kwargs)

    first_run = _deleted_ok(attio)
    assert 50 <= len(first_run) < 240 and first_run <= set(doomed)
    lines = read_archive_tolerant(archive)
    marked = {
        line["record_id"] for line in lines if line["type"] == "outcome" and line["outcome"] == "deleted"
    }
    assert marked and marked <= first_run
    assert first_run <= {line["record_id"] for line in lines if line["type"] == "record"}

    attio.clear_log()
    summary = AttioHook().delete_records("people", **kwargs)
    resent = {r.path.rsplit("/", 1)[1] for r in attio.requests if r.method == "DELETE"}
    assert not resent & first_run, "the resumed mirror re-sent a DELETE the first run had done"
    assert attio.record_ids("people") == outside + kept
    assert summary["failed"] == 0
    # The resumed run saw only what was left in scope: the guard judged that, not the first run's view.
    assert summary["sync"]["in_scope"] == 800 - len(first_run)
    assert summary["sync"]["kept"] == 560
    lines = read_archive_tolerant(archive)
    records = {line["record_id"]: line["record"] for line in lines if line["type"] == "record"}
    assert records == before, "the archive holds every deleted record, as GET returned it"
    done = {line["record_id"] for line in lines if line["type"] == "outcome" and line["outcome"] == "deleted"}
    assert done == set(doomed)

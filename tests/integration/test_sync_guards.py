"""Syncs that survive a broken extract, over real HTTP: the share guard counts what the run could delete, a
source sharing no key with the scope is refused, targets are de-duplicated, retries don't trip on their own
earlier try, and options too small or keys not finite are refused before any request."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_attio.exceptions import AttioBulkDeleteRetryableError, AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator
from airflow_provider_attio.options import BulkDeleteOptions
from airflow_provider_attio.testing import AttioEmulator
from tests.helpers import person

log = logging.getLogger(__name__)

SCOPE = {"description": "synced"}
RECORD_PATH = "/v2/objects/{}/records/{}"


def _company(emu: AttioEmulator, name: str, *domains: str) -> str:
    values: dict[str, Any] = {"name": name, "description": "synced"}
    if domains:
        values["domains"] = list(domains)
    return str(emu.create_record("companies", values)["id"]["record_id"])


def _mirror(hook: AttioHook | None = None, **kwargs: Any) -> Any:
    return (hook or AttioHook()).delete_records("companies", keep_attribute="domains", filter=SCOPE, **kwargs)


# -- the share guard counts what the run could delete -------------------------------------------------


def test_keyless_records_no_longer_dilute_the_share(attio: AttioEmulator) -> None:
    # The case: 100 in scope, 91 without a key (never deleted by default), 9 with one.
    keyed = [_company(attio, f"K{i}", f"k{i}.com") for i in range(9)]
    for i in range(91):
        _company(attio, f"Keyless {i}")
    with pytest.raises(AttioValidationError) as info:
        _mirror(keep_values=["k0.com"])  # a broken extract: 8 of the 9 keyed records would go
    message = str(info.value)
    assert "would delete 8 of the 9 record(s) it could delete in scope of 'companies' (88.9%)" in message
    assert "100 record(s) in scope, 9 with a key (1 of them kept), 91 without one (left alone)" in message
    assert "8 to delete" in message and "raise max_delete_fraction to at least 0.89" in message
    assert attio.count(method="DELETE") == 0
    # Asked to delete the keyless too, the run could delete all 100: 99 of them is still refused.
    with pytest.raises(AttioValidationError, match=r"99 of the 100 record\(s\) it could delete"):
        _mirror(keep_values=["k0.com"], delete_keyless=True)
    assert attio.count(method="DELETE") == 0
    summary = _mirror(keep_values=[f"k{i}.com" for i in range(1, 9)], max_delete_fraction=0.12)
    assert summary["deleted"] == 1 and keyed[0] not in attio.record_ids("companies")
    assert (summary["sync"]["keyed"], summary["sync"]["keyless"]) == (9, 91)


def test_a_source_sharing_no_key_with_the_scope_is_refused(attio: AttioEmulator) -> None:
    ids = [_company(attio, f"K{i}", f"k{i}.com") for i in range(9)]
    _company(attio, "Keyless")
    # A broken extract (one placeholder row), even with the share guard lifted.
    with pytest.raises(AttioValidationError) as info:
        _mirror(keep_values=["X-TRUNCATED.example"], max_delete_fraction=1.0)
    message = str(info.value)
    assert "No key of keep_values is held by a record in scope of 'companies'" in message
    assert "9 with a key (0 of them kept), 1 without one" in message and "allow_no_overlap=True" in message
    assert attio.count(method="DELETE") == 0
    # A dry run reports it instead.
    dry = _mirror(keep_values=["X-TRUNCATED.example"], max_delete_fraction=1.0, dry_run=True)
    assert "No key of keep_values" in (dry["sync"]["refused"] or "") and dry["requested"] == 9
    # The share guard still applies when the overlap guard is lifted.
    with pytest.raises(AttioValidationError, match=r"more than max_delete_fraction=0\.1"):
        _mirror(keep_values=["X-TRUNCATED.example"], allow_no_overlap=True)
    assert attio.count(method="DELETE") == 0
    summary = _mirror(keep_values=["new.example"], allow_no_overlap=True, max_delete_fraction=1.0)
    assert summary["deleted"] == 9 and not set(ids) & set(attio.record_ids("companies"))


def test_an_empty_source_allowed_needs_no_overlap_allowance(attio: AttioEmulator) -> None:
    for i in range(3):
        _company(attio, f"K{i}", f"k{i}.com")
    summary = _mirror(keep_values=[], allow_empty_source=True, max_delete_fraction=1.0)
    assert summary["deleted"] == 3


def test_a_scope_without_keyed_records_passes_the_overlap_guard(attio: AttioEmulator) -> None:
    _company(attio, "Keyless")
    summary = _mirror(keep_values=["k0.com"])
    assert summary["requested"] == 0 and summary["sync"]["keyless"] == 1
    assert attio.count(method="DELETE") == 0


# -- targets de-duplicated by record id ---------------------------------------------------------------


def _repeating(iter_records: Callable[..., Iterator[dict[str, Any]]], repeat: int) -> Callable[..., Any]:
    """``iter_records`` whose listing repeats ``repeat`` records at a page boundary, as offset paging does
    when records are added to the scope meanwhile."""

    def listing(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        records = list(iter_records(*args, **kwargs))
        half = len(records) // 2
        yield from records[:half] + records[half - repeat :]

    return listing


def test_a_mirror_counts_and_deletes_a_repeated_record_once(
    attio: AttioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_company(attio, f"C{i}", f"c{i}.com") for i in range(20)]
    hook = AttioHook()
    monkeypatch.setattr(hook, "iter_records", _repeating(hook.iter_records, 3))
    # c7, c8 and c9 (the repeated ones) and c0 are no longer in the source: 4 of 20, 20 %.
    keep = [f"c{i}.com" for i in range(20) if i not in (0, 7, 8, 9)]
    with pytest.raises(AttioValidationError, match=r"would delete 4 of the 20 record\(s\)"):
        _mirror(hook, keep_values=keep, max_delete_fraction=0.19)
    summary = _mirror(hook, keep_values=keep, max_delete_fraction=0.2, if_not_found="fail")
    assert summary["requested"] == summary["deleted"] == 4 and summary["not_found"] == 0
    assert (summary["sync"]["in_scope"], summary["sync"]["to_delete"]) == (20, 4)
    deletes = [r.path for r in attio.requests if r.method == "DELETE"]
    assert sorted(deletes) == sorted(RECORD_PATH.format("companies", ids[i]) for i in (0, 7, 8, 9))


def test_delete_by_key_counts_a_repeated_record_once(
    attio: AttioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(6):
        _company(attio, f"C{i}", f"c{i}.com")
    hook = AttioHook()
    monkeypatch.setattr(hook, "iter_records", _repeating(hook.iter_records, 2))
    summary = hook.delete_records(
        "companies",
        match_attribute="domains",
        match_values=[f"c{i}.com" for i in range(6)],
        if_not_found="fail",
    )
    assert summary["requested"] == summary["deleted"] == 6 and summary["sync"]["ambiguous_keys"] == 0
    assert attio.count(method="DELETE") == 6


# -- retries never trip on their own earlier try ---------------------------------------------------------


def _storm_on(emu: AttioEmulator, object: str, record_ids: list[str]) -> None:
    for record_id in record_ids:
        emu.fail_next(50, 503, method="DELETE", path=RECORD_PATH.format(object, record_id))


def _emails(count: int) -> list[str]:
    return [f"p{i}@example.com" for i in range(count)]


@pytest.mark.parametrize("archived", [False, True])
def test_a_retried_delete_by_key_does_not_fail_on_keys_its_first_try_deleted(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path, archived: bool
) -> None:
    use_connection(attio.base_url, max_retries=1)  # each stormed DELETE gives up after one backoff
    people = [person(attio, f"P{i}", email_addresses=[email]) for i, email in enumerate(_emails(5))]
    kwargs: dict[str, Any] = {
        "match_attribute": "email_addresses",
        "match_values": _emails(5),
        "if_not_found": "fail",
    }
    if archived:
        kwargs["archive_to"] = str(tmp_path / "archive.jsonl")
    _storm_on(attio, "people", people[3:])  # try 1 deletes 3 of 5, then fails on a 503 storm
    with pytest.raises(AttioBulkDeleteRetryableError):
        AttioHook().delete_records("people", **kwargs)
    assert attio.record_ids("people") == people[3:]
    attio.clear_faults()
    summary = AttioHook().delete_records("people", is_retry=True, **kwargs)
    assert attio.record_ids("people") == [] and summary["deleted"] == 2
    sync = summary["sync"]
    if archived:  # exact: the archive shows the first try deleted the records of the 3 keys
        assert (sync["matched_keys"], sync["unmatched_keys"], sync["unmatched_on_retry"]) == (5, 0, 0)
        assert (summary["requested"], summary["skipped_already_deleted"]) == (5, 3)
    else:  # uncertain: noted, if_not_found not applied
        assert (sync["matched_keys"], sync["unmatched_keys"], sync["unmatched_on_retry"]) == (2, 0, 3)


def test_with_an_archive_a_retry_still_fails_on_a_key_nothing_ever_held(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path
) -> None:
    use_connection(attio.base_url, max_retries=1)
    people = [person(attio, f"P{i}", email_addresses=[email]) for i, email in enumerate(_emails(3))]
    kwargs: dict[str, Any] = {
        "match_attribute": "email_addresses",
        "match_values": [*_emails(3), "ghost@example.com"],
        "if_not_found": "fail",
        "archive_to": str(tmp_path / "archive.jsonl"),
    }
    _storm_on(attio, "people", people[2:])
    with pytest.raises(AttioBulkDeleteRetryableError):
        AttioHook().delete_records("people", **kwargs)
    attio.clear_faults()
    with pytest.raises(AirflowFailException) as info:
        AttioHook().delete_records("people", is_retry=True, **kwargs)
    assert "1 key(s) of email_addresses ('ghost@example.com') matched no record" in str(info.value)
    assert attio.record_ids("people") == []  # the deletes came first, then the policy


def test_a_retry_without_an_archive_notes_keys_that_match_nothing(
    attio: AttioEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    summary = AttioHook().delete_records(
        "people", match_attribute="email_addresses", match_values=["gone@example.com"], if_not_found="fail",
        is_retry=True, log=log,
    )  # fmt: skip
    assert summary["sync"]["unmatched_on_retry"] == 1 and summary["sync"]["unmatched_keys"] == 0
    assert "On this retry, records holding 1 key(s) of email_addresses ('gone@example.com')" in caplog.text


@pytest.mark.parametrize("archived", [False, True])
def test_a_retried_mirror_finishes_without_failing_on_its_first_try(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path, archived: bool
) -> None:
    use_connection(attio.base_url, max_retries=1)
    ids = [_company(attio, f"C{i}", f"c{i}.com") for i in range(10)]
    kwargs: dict[str, Any] = {"keep_values": [f"c{i}.com" for i in range(5)], "max_delete_fraction": 0.5}
    kwargs["if_not_found"] = "fail"
    if archived:
        kwargs["archive_to"] = str(tmp_path / "archive.jsonl")
    _storm_on(attio, "companies", ids[8:])
    with pytest.raises(AttioBulkDeleteRetryableError):
        _mirror(**kwargs)
    assert attio.record_ids("companies") == ids[:5] + ids[8:]
    attio.clear_faults()
    summary = _mirror(is_retry=True, **kwargs)
    assert summary["deleted"] == 2 and summary["failed"] == 0 and attio.record_ids("companies") == ids[:5]
    # The retry judged what is left in scope: 2 of 7.
    assert (summary["sync"]["in_scope"], summary["sync"]["to_delete"]) == (7, 2)


# -- options refused before any request ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"filter": {"name": "x"}, "writes_per_second": 1e-12}, "writes_per_second must be at least 0.1"),
        ({"filter": {"name": "x"}, "writes_per_second": 0.09}, "writes_per_second must be at least 0.1"),
        (
            {"match_attribute": "employee_count", "match_values": [1, float("inf")]},
            r"match_values\[1\] must be a string or a finite number",
        ),
        (
            {"filter": SCOPE, "keep_attribute": "employee_count", "keep_values": [float("-inf")]},
            r"keep_values\[0\] must be a string or a finite number",
        ),
        (
            {"match_attribute": "employee_count", "match_values": [float("nan")]},
            r"match_values\[0\] must be a string or a finite number",
        ),
        (
            {"filter": SCOPE, "keep_values": ["a.com"], "keep_attribute": "domains", "allow_no_overlap": 1},
            "True or False",
        ),
    ],
)
def test_options_and_keys_that_cant_run_are_refused_before_any_request(
    attio: AttioEmulator, kwargs: dict[str, Any], words: str
) -> None:
    with pytest.raises(AttioValidationError, match=words):
        AttioHook().delete_records("companies", **kwargs)
    assert attio.requests == []


def test_the_slowest_pace_is_accepted_and_a_slower_one_fails_at_parse_time() -> None:
    assert BulkDeleteOptions(writes_per_second=0.1).writes_per_second == 0.1
    with pytest.raises(AttioValidationError, match=r"at least 0\.1"):
        AttioDeleteRecordsOperator(
            task_id="t", object="people", filter={"name": "x"}, writes_per_second=1e-12
        )
    operator = AttioDeleteRecordsOperator(
        task_id="t", object="people", filter={"name": "x"}, keep_attribute="email_addresses", keep_values=[],
        allow_no_overlap=True,
    )  # fmt: skip
    assert operator.options.allow_no_overlap is True
    assert json.dumps(BulkDeleteOptions.names()).count("allow_no_overlap") == 1

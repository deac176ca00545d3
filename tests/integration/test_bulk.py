"""The bulk delete engine and AttioDeleteRecordsOperator over real HTTP against the emulator.

No mocks: every claim is checked in the emulator's state and request log (what was sent, in what order,
with what answer).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

from airflow_provider_attio.bulk import AttioBulkDeletePermanentError, AttioBulkDeleteRetryableError
from airflow_provider_attio.exceptions import (
    ArchiveLocationError,
    AttioAuthError,
    AttioObjectNotFoundError,
    AttioPermanentError,
    AttioTransientError,
    AttioValidationError,
)
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator
from airflow_provider_attio.testing import AttioEmulator
from tests.conftest import TOKEN
from tests.helpers import EMPTY_CONTEXT, MISSING_ID, kill_bulk_run_after, read_archive_tolerant, record_ids

RECORD_PATH = "/v2/objects/people/records/{}"

log = logging.getLogger(__name__)


def _deleted_paths(emu: AttioEmulator) -> list[str]:
    return [r.path for r in emu.requests if r.method == "DELETE"]


def _fixtures(emu: AttioEmulator, count: int, title: str = "Sync fixture") -> list[str]:
    return [
        emu.create_record("people", {"name": f"Fixture {i}", "job_title": title})["id"]["record_id"]
        for i in range(count)
    ]


def _read_archive(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# -- choosing the targets ------------------------------------------------------------------------------


def test_filter_deletes_exactly_its_matches(attio: AttioEmulator) -> None:
    others = record_ids(attio.seed("people", 40))
    targets = _fixtures(attio, 15)
    summary = AttioHook().delete_records("people", filter={"job_title": "Sync fixture"})
    assert summary == {
        "object": "people",
        "requested": 15,
        "deleted": 15,
        "not_found": 0,
        "not_found_on_retry": 0,
        "failed": 0,
        "skipped_already_deleted": 0,
        "dry_run": False,
        "archive": None,
        "final_writes_per_second": 25.0,  # no 429: the default pace throughout
        "rate_limited": 0,
    }
    assert attio.record_ids("people") == others
    assert sorted(_deleted_paths(attio)) == sorted(RECORD_PATH.format(i) for i in targets)
    # Without an archive a record is not read before its delete: one request per record.
    assert attio.count(method="GET", path="/v2/objects/people/records/*") == 0


def test_whole_target_set_is_resolved_before_the_first_delete(attio: AttioEmulator) -> None:
    # 1,100 matches span three query pages; deleting while paging by offset would skip records.
    _fixtures(attio, 1100)
    keep = record_ids(attio.seed("people", 5))
    AttioHook().delete_records("people", filter={"job_title": "Sync fixture"}, writes_per_second=None)
    methods = [(r.method, r.path.endswith("/query")) for r in attio.requests]
    first_delete = methods.index(("DELETE", False))
    assert methods[:first_delete].count(("POST", True)) == 3
    assert ("POST", True) not in methods[first_delete:]
    assert attio.record_ids("people") == keep


def test_cap_fails_before_any_delete(attio: AttioEmulator) -> None:
    _fixtures(attio, 12)
    with pytest.raises(
        AttioValidationError, match=r"matched 12 records of 'people', more than max_records=10"
    ) as info:
        AttioHook().delete_records("people", filter={"job_title": "Sync fixture"}, max_records=10)
    assert "raise max_records" in str(info.value) and "Nothing was deleted" in str(info.value)
    assert attio.count(method="DELETE") == 0
    assert len(attio.record_ids("people")) == 12


def test_cap_applies_to_record_ids(attio: AttioEmulator) -> None:
    ids = record_ids(attio.seed("people", 4))
    with pytest.raises(AttioValidationError, match=r"record_ids holds 4 records .* max_records=3"):
        AttioHook().delete_records("people", record_ids=ids, max_records=3)
    assert attio.count(method="DELETE") == 0


def test_dry_run_sends_no_delete(attio: AttioEmulator, caplog: pytest.LogCaptureFixture) -> None:
    targets = _fixtures(attio, 14)
    summary = AttioHook().delete_records(
        "people",
        filter={"job_title": "Sync fixture"},
        dry_run=True,
        archive_to="/nonexistent/x.jsonl",
        log=log,
    )
    assert summary["dry_run"] is True
    assert (summary["requested"], summary["deleted"], summary["archive"]) == (14, 0, None)
    assert attio.count(method="DELETE") == 0
    assert len(attio.record_ids("people")) == 14
    assert "Dry run: would delete 14 record(s) of 'people'. First 10:" in caplog.text
    assert targets[0] in caplog.text and targets[10] not in caplog.text


def test_empty_filter_is_refused_unless_allowed(attio: AttioEmulator) -> None:
    attio.seed("people", 6)
    with pytest.raises(AttioValidationError, match="allow_delete_all=True"):
        AttioHook().delete_records("people", filter={})
    assert attio.requests == []
    summary = AttioHook().delete_records("people", filter={}, allow_delete_all=True)
    assert summary["deleted"] == 6
    assert attio.record_ids("people") == []


def test_duplicates_are_deleted_once(attio: AttioEmulator) -> None:
    a, b, keep = record_ids(attio.seed("people", 3))
    summary = AttioHook().delete_records("people", record_ids=[a, b, a, a.upper(), b])
    assert (summary["requested"], summary["deleted"]) == (2, 2)
    assert sorted(_deleted_paths(attio)) == sorted([RECORD_PATH.format(a), RECORD_PATH.format(b)])
    assert attio.record_ids("people") == [keep]


def test_records_as_attio_returns_them_are_accepted(attio: AttioEmulator) -> None:
    records = attio.seed("people", 3)
    assert AttioHook().delete_records("people", record_ids=records[:2])["deleted"] == 2
    assert attio.record_ids("people") == [records[2]["id"]["record_id"]]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"record_ids": ["11111111-1111-4111-8111-111111111111", "nope"]}, r"record_ids\[1\] .* got 'nope'"),
        ({"record_ids": "891dcbfc-9141-415d-9b2a-2238a6cc012d"}, "must be a list of Attio record ids"),
        ({"record_ids": [MISSING_ID], "filter": {"name": "x"}}, "exactly one of record_ids .* got both"),
        ({}, "exactly one of record_ids .* got neither"),
        ({"filter": "name = x"}, "filter must be an Attio query filter"),
        ({"filter": {"name": "x"}, "max_records": 0}, "max_records must be a positive integer"),
        ({"filter": {"name": "x"}, "writes_per_second": 0}, "writes_per_second must be a positive number"),
        ({"filter": {"name": "x"}, "max_concurrency": 64}, "max_concurrency must be at most 32"),
        ({"filter": {"name": "x"}, "if_not_found": "ignore"}, "if_not_found must be one of"),
        ({"filter": {"name": "x"}, "archive_to": 42}, "archive_to must be"),
    ],
)
def test_bad_arguments_are_rejected_before_any_request(
    attio: AttioEmulator, kwargs: dict[str, Any], words: str
) -> None:
    with pytest.raises(AttioValidationError, match=words):
        AttioHook().delete_records("people", **kwargs)
    assert attio.requests == []


def test_archive_to_a_directory_is_rejected_before_any_request(attio: AttioEmulator, tmp_path: Path) -> None:
    with pytest.raises(AttioValidationError, match="is a directory"):
        AttioHook().delete_records("people", record_ids=[MISSING_ID], archive_to=str(tmp_path))
    assert attio.requests == []


# -- pacing and the 429 backstop -----------------------------------------------------------------------


def _paced_run(
    attio: AttioEmulator, count: int, engine_rate: float, limit: float = 25
) -> tuple[dict[str, Any], int]:
    attio.set_rate_limits(reads_per_second=None, writes_per_second=limit)
    keep = record_ids(attio.seed("people", 3))
    targets = _fixtures(attio, count)
    attio.clear_log()
    summary = AttioHook().delete_records(
        "people", filter={"job_title": "Sync fixture"}, writes_per_second=engine_rate, max_concurrency=8
    )
    assert summary["deleted"] == count and summary["failed"] == 0
    assert attio.record_ids("people") == keep
    assert attio.count(method="DELETE", status=200) == count
    assert {r.path for r in attio.requests if r.method == "DELETE"} == {
        RECORD_PATH.format(i) for i in targets
    }
    rate_limited = attio.count(method="DELETE", status=429)
    log.warning(
        "bulk delete of %d at %g/s against %g/s: %d answers were 429", count, engine_rate, limit, rate_limited
    )
    return dict(summary), rate_limited


def test_deletes_paced_over_the_write_limit_absorb_the_429s(attio: AttioEmulator) -> None:
    # The engine starts at twice a 50/s workspace budget: Attio's 429 is the backstop, and every record is
    # still deleted exactly once (a rate-limited DELETE is not applied, then retried). A smaller count at a
    # higher rate than Attio's 25/s keeps the test short; the behaviour is the same.
    # 150 records: the first 100 or so empty the bucket (50, plus 50 a second), the rest meet the 429s.
    _, rate_limited = _paced_run(attio, 150, engine_rate=100, limit=50)
    assert rate_limited > 0


def test_pacing_at_the_write_limit(attio: AttioEmulator) -> None:
    # At the budget the pacing itself keeps under it; 429s (if any) are rare and absorbed.
    _paced_run(attio, 200, engine_rate=100, limit=100)


def test_a_run_answered_mostly_429s_says_how_to_share_the_budget(
    attio: AttioEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    # Many concurrent writers (or a lowered limit) show as a large share of 429s: the run still deletes
    # everything, and its log says what a pool would do. A run with no 429 says nothing of the kind.
    log = logging.getLogger("tests.bulk.crowding")
    hook = AttioHook()
    calm = _fixtures(attio, 5, title="Calm")
    with caplog.at_level(logging.WARNING, logger=log.name):
        hook.delete_records("people", record_ids=calm, writes_per_second=100, log=log)
    assert not [r for r in caplog.records if "rate limited (429)" in r.getMessage()]
    targets = _fixtures(attio, 16)
    attio.fail_next(3, 429, method="DELETE", retry_after="0")  # 3 of 19 answers; "0": no long wait
    with caplog.at_level(logging.WARNING, logger=log.name):
        summary = hook.delete_records("people", record_ids=targets, writes_per_second=100, log=log)
    assert summary["deleted"] == 16
    limited = attio.count(method="DELETE", status=429)
    assert limited == summary["rate_limited"] == 3
    (warning,) = [r.getMessage() for r in caplog.records if "rate limited (429)" in r.getMessage()]
    assert f"{limited} of {16 + limited} answers" in warning
    assert "writes_per_second = 25 / pool slots" in warning


# -- the archive ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "file-uri"])
def test_archive_holds_every_deleted_record_as_get_returned_it(
    attio: AttioEmulator, tmp_path: Path, as_uri: bool
) -> None:
    targets = _fixtures(attio, 12)
    keep = record_ids(attio.seed("people", 3))
    before = {rid: attio.get_record("people", rid) for rid in targets}
    path = tmp_path / "archive" / "people.jsonl"
    location = path.as_uri() if as_uri else str(path)
    summary = AttioHook().delete_records("people", filter={"job_title": "Sync fixture"}, archive_to=location)
    assert summary["archive"] == location and summary["deleted"] == 12
    lines = _read_archive(path)
    records = {line["record_id"]: line["record"] for line in lines if line["type"] == "record"}
    assert records == before
    outcomes = {line["record_id"]: line["outcome"] for line in lines if line["type"] == "outcome"}
    assert outcomes == dict.fromkeys(targets, "deleted")
    assert attio.record_ids("people") == keep
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)


def test_each_record_is_archived_before_its_delete_is_sent(attio: AttioEmulator, tmp_path: Path) -> None:
    targets = _fixtures(attio, 8)
    AttioHook().delete_records(
        "people", record_ids=targets, archive_to=str(tmp_path / "a.jsonl"), max_concurrency=4
    )
    per_record = {
        rid: [r.method for r in attio.requests if r.path == RECORD_PATH.format(rid)] for rid in targets
    }
    assert per_record == {rid: ["GET", "DELETE"] for rid in targets}


def test_a_retry_skips_what_the_archive_marks_deleted(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path
) -> None:
    use_connection(attio.base_url, max_retries=1)  # no backoff sleeps to wait through before giving up
    targets = _fixtures(attio, 10)
    archive = str(tmp_path / "a.jsonl")
    # Two records fail (503 outlasting the retries); the other eight are deleted and archived.
    attio.fail_next(50, 503, method="DELETE", path=RECORD_PATH.format(targets[3]))
    attio.fail_next(50, 503, method="DELETE", path=RECORD_PATH.format(targets[7]))
    hook = AttioHook()
    with pytest.raises(AttioBulkDeleteRetryableError) as info:
        hook.delete_records("people", record_ids=targets, archive_to=archive, writes_per_second=None)
    assert info.value.summary["deleted"] == 8 and info.value.summary["failed"] == 2
    attio.clear_faults()
    attio.clear_log()
    summary = AttioHook().delete_records("people", record_ids=targets, archive_to=archive)
    assert summary["skipped_already_deleted"] == 8 and summary["deleted"] == 2 and summary["failed"] == 0
    assert sorted(_deleted_paths(attio)) == sorted(RECORD_PATH.format(targets[i]) for i in (3, 7))
    assert attio.record_ids("people") == []


def test_archive_survives_a_torn_last_line(attio: AttioEmulator, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"type": "record", "object": "people", "record_id": "11111111-11')  # cut short
    targets = _fixtures(attio, 3)
    AttioHook().delete_records("people", record_ids=targets, archive_to=str(path))
    lines = path.read_text().splitlines()
    assert lines[0].endswith('"11111111-11')
    assert [json.loads(line)["record_id"] for line in lines[1:] if '"record"' in line][:1]
    assert len([json.loads(line) for line in lines[1:]]) == 6


def test_unwritable_archive_stops_before_any_delete(attio: AttioEmulator, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    targets = _fixtures(attio, 5)
    with pytest.raises(ArchiveLocationError, match="Could not write the archive") as info:
        AttioHook().delete_records(
            "people", record_ids=targets, archive_to=str(tmp_path / "file" / "a.jsonl")
        )
    assert isinstance(info.value, AttioPermanentError)  # a wrong location: Airflow's retries can't help
    assert attio.count(method="DELETE") == 0
    assert len(attio.record_ids("people")) == 5


@pytest.mark.parametrize("uri", ["nosuchfs://bucket/a", "s3://bucket/attio-archive/run-1"])
def test_storage_without_a_provider_is_rejected_before_any_request(attio: AttioEmulator, uri: str) -> None:
    if uri.startswith("s3") and importlib.util.find_spec("airflow.providers.amazon"):
        pytest.skip("the Amazon provider is installed: s3:// is usable")
    with pytest.raises(ArchiveLocationError, match=f"archive_to '{uri}' cannot be used"):
        AttioHook().delete_records("people", record_ids=[MISSING_ID], archive_to=uri)
    assert attio.requests == []


def test_object_storage_archive_is_a_folder_of_segments(
    attio: AttioEmulator, use_connection: Callable[..., None]
) -> None:
    use_connection(attio.base_url, max_retries=1)  # the failing record gives up after one backoff sleep
    # memory:// stands in for s3:// (same ObjectStoragePath code path, no network). Airflow knows only
    # file:// by itself; providers register the rest (s3:// by the Amazon provider), as we do here.
    from airflow.providers.common.compat.sdk import ObjectStoragePath
    from fsspec.implementations.memory import MemoryFileSystem

    try:
        from airflow.sdk.io.store import attach
    except ImportError:  # pragma: no cover - Airflow 2
        from airflow.io.store import attach  # type: ignore[no-redef]
    attach("memory", fs=MemoryFileSystem())

    targets = _fixtures(attio, 20)
    before = {rid: attio.get_record("people", rid) for rid in targets}
    location = "memory://attio-archive/run-1"
    attio.fail_next(50, 503, method="DELETE", path=RECORD_PATH.format(targets[0]))
    with pytest.raises(AttioBulkDeleteRetryableError):
        AttioHook().delete_records("people", record_ids=targets, archive_to=location, max_concurrency=4)
    attio.clear_faults()
    attio.clear_log()
    summary = AttioHook().delete_records("people", record_ids=targets, archive_to=location)
    assert summary["skipped_already_deleted"] == 19 and summary["deleted"] == 1
    assert _deleted_paths(attio) == [RECORD_PATH.format(targets[0])]
    folder = ObjectStoragePath(location)
    segments = sorted(folder.fs.glob(f"{folder.path}/*.jsonl"))
    assert len(segments) >= 2
    lines = [json.loads(line) for p in segments for line in folder.fs.cat_file(p).splitlines()]
    assert {line["record_id"]: line["record"] for line in lines if line["type"] == "record"} == before


# -- SIGKILL halfway, then a retry ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["record_ids", "filter"])
def test_sigkill_halfway_then_rerun_finishes_without_resending(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path, mode: str
) -> None:
    # Paced under the workspace's budget, as at Attio's 25/s, but faster: the kill still comes with most of
    # the 240 records left (~2 s of deletes at 100/s), and the resumed run takes ~2 s, not 10.
    attio.set_rate_limits(reads_per_second=None, writes_per_second=125)
    keep = record_ids(attio.seed("people", 4))
    targets = _fixtures(attio, 240)
    before = {rid: attio.get_record("people", rid) for rid in targets}
    archive = tmp_path / "teardown.jsonl"
    kwargs: dict[str, Any] = {"archive_to": str(archive), "max_concurrency": 4, "writes_per_second": 100}
    if mode == "record_ids":
        kwargs["record_ids"] = targets
    else:
        kwargs["filter"] = {"job_title": "Sync fixture"}

    kill_bulk_run_after(attio, 50, **kwargs)

    first_run_deleted = {
        r.path.rsplit("/", 1)[1] for r in attio.requests if r.method == "DELETE" and r.status == 200
    }
    assert 50 <= len(first_run_deleted) < 240
    lines = read_archive_tolerant(archive)
    marked = {
        line["record_id"] for line in lines if line["type"] == "outcome" and line["outcome"] == "deleted"
    }
    assert marked and marked <= first_run_deleted
    # Every delete the killed run sent was archived first.
    archived = {line["record_id"] for line in lines if line["type"] == "record"}
    assert first_run_deleted <= archived

    attio.clear_log()
    summary = AttioHook().delete_records("people", **kwargs)
    resent = {r.path.rsplit("/", 1)[1] for r in attio.requests if r.method == "DELETE"}
    assert not resent & marked, "the retry re-sent a DELETE the archive marks done"
    assert attio.record_ids("people") == keep
    assert summary["failed"] == 0
    if mode == "record_ids":
        assert summary["requested"] == 240
        assert summary["skipped_already_deleted"] == len(marked)
        assert summary["deleted"] + summary["skipped_already_deleted"] == 240
    lines = read_archive_tolerant(archive)
    records = {line["record_id"]: line["record"] for line in lines if line["type"] == "record"}
    assert records == before, "the archive must hold every deleted record, as GET returned it"
    done = {line["record_id"] for line in lines if line["type"] == "outcome" and line["outcome"] == "deleted"}
    assert done == set(targets)


# -- per-record failures, permanent errors, if_not_found ----------------------------------------------


def test_per_record_failures_dont_stop_the_others(attio: AttioEmulator) -> None:
    targets = _fixtures(attio, 12)
    bad = [targets[2], targets[9]]
    for rid in bad:
        attio.fail_next(5, 400, method="DELETE", path=RECORD_PATH.format(rid), code="validation_type")
    with pytest.raises(AttioBulkDeletePermanentError) as info:
        AttioHook().delete_records("people", record_ids=targets)
    message = str(info.value)
    assert "2 of 12 record(s) of 'people' could not be deleted (10 deleted)" in message
    assert all(rid in message for rid in bad)
    assert "Retrying will not fix them" in message
    assert sorted(attio.record_ids("people")) == sorted(bad)
    assert info.value.summary["failed"] == 2 and info.value.summary["deleted"] == 10


def test_transient_failures_fail_the_run_retryably_and_a_retry_finishes(
    attio: AttioEmulator, use_connection: Callable[..., None]
) -> None:
    use_connection(attio.base_url, max_retries=1)
    targets = _fixtures(attio, 10)
    attio.fail_next(2, 500, method="DELETE", path=RECORD_PATH.format(targets[4]))
    with pytest.raises(AttioBulkDeleteRetryableError, match=targets[4]) as info:
        AttioHook().delete_records("people", record_ids=targets)
    assert isinstance(info.value, AttioTransientError)
    assert attio.record_ids("people") == [targets[4]]
    summary = AttioHook().delete_records("people", record_ids=targets)  # the Airflow retry
    assert (summary["deleted"], summary["not_found"], summary["failed"]) == (1, 9, 0)
    assert attio.record_ids("people") == []


def test_mixed_failures_are_retryable_so_a_retry_makes_progress(
    attio: AttioEmulator, use_connection: Callable[..., None]
) -> None:
    use_connection(attio.base_url, max_retries=0)
    targets = _fixtures(attio, 6)
    attio.fail_next(5, 400, method="DELETE", path=RECORD_PATH.format(targets[1]))
    attio.fail_next(5, 503, method="DELETE", path=RECORD_PATH.format(targets[4]))
    with pytest.raises(AttioBulkDeleteRetryableError) as info:
        AttioHook().delete_records("people", record_ids=targets)
    assert targets[1] in str(info.value) and targets[4] in str(info.value)
    assert sorted(attio.record_ids("people")) == sorted([targets[1], targets[4]])


def test_attio_down_stops_the_run_early(attio: AttioEmulator, use_connection: Callable[..., None]) -> None:
    use_connection(attio.base_url, max_retries=0)
    targets = _fixtures(attio, 80)
    attio.fail_share(1.0, 503, method="DELETE")
    with pytest.raises(AttioTransientError, match="in a row failed"):
        AttioHook().delete_records("people", record_ids=targets, writes_per_second=None, max_concurrency=2)
    assert attio.count(method="DELETE") < 40


def test_auth_error_stops_the_run_before_any_delete(
    attio: AttioEmulator, use_connection: Callable[..., None]
) -> None:
    use_connection(attio.base_url, token="not-the-right-token")
    targets = _fixtures(attio, 5)
    with pytest.raises(AttioAuthError):
        AttioHook().delete_records("people", record_ids=targets)
    assert attio.count(method="DELETE") == 0


def test_forbidden_mid_run_stops_the_run(attio: AttioEmulator) -> None:
    targets = _fixtures(attio, 60)
    attio.fail_next(1, 403, method="DELETE")
    with pytest.raises(AttioAuthError, match="record_permission:read-write"):
        AttioHook().delete_records("people", record_ids=targets, max_concurrency=2, writes_per_second=50)
    assert attio.count(method="DELETE") < 10
    assert len(attio.record_ids("people")) > 50


def test_a_task_being_stopped_stops_the_workers(attio: AttioEmulator) -> None:
    # Airflow stops a task (SIGTERM, execution_timeout) by raising in its main thread: the workers must
    # not go on deleting every remaining record meanwhile.
    targets = _fixtures(attio, 100)

    class Stopped(Exception):
        pass

    def stop_task(signum: int, frame: object) -> None:
        raise Stopped

    previous = signal.signal(signal.SIGALRM, stop_task)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(Stopped):
            AttioHook().delete_records("people", record_ids=targets, writes_per_second=10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    deleted = attio.count(method="DELETE")
    assert 0 < deleted < 30
    assert len(attio.record_ids("people")) == 100 - deleted


def test_missing_object_fails_before_any_delete(attio: AttioEmulator) -> None:
    with pytest.raises(AttioObjectNotFoundError, match="'widgets' does not exist"):
        AttioHook().delete_records("widgets", record_ids=[MISSING_ID])
    assert attio.count(method="DELETE") == 0


@pytest.mark.parametrize("policy", ["succeed", "fail", "skip"])
def test_if_not_found_applies_to_the_whole_run(
    attio: AttioEmulator, caplog: pytest.LogCaptureFixture, policy: str
) -> None:
    targets = _fixtures(attio, 4)
    ids = [targets[0], MISSING_ID, *targets[1:]]
    if policy == "succeed":
        summary = AttioHook().delete_records("people", record_ids=ids, if_not_found=policy, log=log)
        assert (summary["deleted"], summary["not_found"]) == (4, 1)
        assert MISSING_ID in caplog.text
    else:
        expected = AirflowFailException if policy == "fail" else AirflowSkipException
        with pytest.raises(expected, match=f"1 record.* of 'people' \\({MISSING_ID}\\)"):
            AttioHook().delete_records("people", record_ids=ids, if_not_found=policy)
    # Every other record was processed before the policy acted.
    assert attio.record_ids("people") == []


# -- the operator --------------------------------------------------------------------------------------


def test_operator_returns_the_small_summary(attio: AttioEmulator, tmp_path: Path) -> None:
    _fixtures(attio, 7)
    keep = record_ids(attio.seed("people", 2))
    operator = AttioDeleteRecordsOperator(
        task_id="teardown",
        object="people",
        filter={"job_title": "Sync fixture"},
        archive_to=str(tmp_path / "a.jsonl"),
    )
    xcom = operator.execute(EMPTY_CONTEXT)
    assert xcom == {
        "object": "people",
        "requested": 7,
        "deleted": 7,
        "not_found": 0,
        "not_found_on_retry": 0,
        "failed": 0,
        "skipped_already_deleted": 0,
        "dry_run": False,
        "archive": str(tmp_path / "a.jsonl"),
        "final_writes_per_second": 25.0,
        "rate_limited": 0,
    }
    assert json.loads(json.dumps(xcom)) == xcom
    assert attio.record_ids("people") == keep


def test_operator_parses_rendered_templates(attio: AttioEmulator) -> None:
    targets = _fixtures(attio, 3)
    # What "{{ params.filter }}" / "{{ ti.xcom_pull(...) }}" render to without native rendering.
    operator = AttioDeleteRecordsOperator(task_id="t", object="people", filter="{{ params.filter }}")
    operator.filter = str({"job_title": "Sync fixture"})
    assert operator.execute(EMPTY_CONTEXT)["deleted"] == 3
    targets = _fixtures(attio, 2)
    operator = AttioDeleteRecordsOperator(task_id="t2", object="people", record_ids="{{ ids }}")
    operator.record_ids = json.dumps(targets)
    assert operator.execute(EMPTY_CONTEXT)["deleted"] == 2


def test_operator_fails_permanent_errors_without_retries(attio: AttioEmulator) -> None:
    operator = AttioDeleteRecordsOperator(task_id="t", object="people", filter="{{ params.filter }}")
    operator.filter = {}
    with pytest.raises(AirflowFailException, match="allow_delete_all"):
        operator.execute(EMPTY_CONTEXT)
    assert attio.requests == []


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({}, "got neither"),
        ({"record_ids": [MISSING_ID], "filter": {"name": "x"}}, "got both"),
        ({"record_ids": "{{ ids }}", "filter": "{{ params.filter }}"}, "got both"),
        ({"filter": {"name": "x"}, "max_records": -1}, "max_records"),
        ({"filter": "{{ params.filter }}", "max_concurrency": 0}, "max_concurrency"),
        ({"record_ids": "{{ ids }}", "writes_per_second": -1}, "writes_per_second"),
    ],
)
def test_operator_rejects_what_is_known_at_parse_time(kwargs: dict[str, Any], words: str) -> None:
    kwargs = {"object": "people", **kwargs}
    with pytest.raises(AttioValidationError, match=words):
        AttioDeleteRecordsOperator(task_id="t", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"record_ids": [MISSING_ID, "nope"]}, r"record_ids\[1\]"),
        ({"filter": {}}, "allow_delete_all"),
        ({"object": "People!", "filter": {"name": "x"}}, "object must be"),
    ],
)
def test_operator_rejects_bad_targets_before_any_request(
    attio: AttioEmulator, kwargs: dict[str, Any], words: str
) -> None:
    # Targets may be templated, so they are checked when the task runs: before anything is sent.
    operator = AttioDeleteRecordsOperator(task_id="t", **{"object": "people", **kwargs})
    with pytest.raises(AirflowFailException, match=words):
        operator.execute(EMPTY_CONTEXT)
    assert attio.requests == []


def test_operator_defers_templated_arguments_to_execute() -> None:
    operator = AttioDeleteRecordsOperator(
        task_id="t",
        object="{{ params.object }}",
        record_ids=["{{ params.id }}"],
        archive_to="{{ run_id }}.jsonl",
    )
    assert operator.template_fields[:5] == ("object", "record_ids", "filter", "archive_to", "attio_conn_id")
    assert set(operator.template_fields[5:]) == {
        "match_attribute",
        "match_values",
        "keep_attribute",
        "keep_values",
    }
    assert operator.options.dry_run is False


def test_token_never_leaks_from_a_bulk_run(attio: AttioEmulator, tmp_path: Path) -> None:
    targets = _fixtures(attio, 5)
    attio.fail_next(1, 429, method="DELETE")
    path = tmp_path / "a.jsonl"
    AttioHook().delete_records("people", record_ids=targets, archive_to=str(path))
    assert TOKEN not in path.read_text()

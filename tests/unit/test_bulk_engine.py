"""The bulk engine's parts that need no Attio: argument checks, the archive's group commit."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from airflow_provider_attio.archive import LocalArchive, ObjectStorageArchive, open_archive
from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.options import (
    BulkDeleteOptions,
    check_job,
    normalize_record_ids,
    parse_structured,
)

A = "11111111-1111-4111-8111-111111111111"
B = "22222222-2222-4222-8222-222222222222"


def test_record_ids_are_deduplicated_in_order_and_lower_cased() -> None:
    assert normalize_record_ids([B, A, B.upper(), {"id": {"record_id": A}}]) == [B, A]


def test_bad_record_id_is_named_with_its_position() -> None:
    with pytest.raises(AttioValidationError, match=r"record_ids\[2\] must be an Attio record id.*got 'x'"):
        normalize_record_ids([A, B, "x"])


def test_rendered_templates_are_parsed() -> None:
    assert parse_structured("{'name': 'Ada', 'ok': True}", "filter") == {"name": "Ada", "ok": True}
    assert parse_structured(json.dumps([A]), "record_ids") == [A]
    assert parse_structured("plain", "filter") == "plain"
    with pytest.raises(AttioValidationError, match="neither valid JSON nor a Python literal"):
        parse_structured("{oops", "filter")


def test_check_job_accepts_a_good_call() -> None:
    job = check_job("people", filter="{'job_title': 'Temp'}", archive_to="/tmp/a.jsonl")
    assert job.filter == {"job_title": "Temp"} and job.record_ids is None
    options = job.options
    assert (
        options.max_records == 10_000 and options.writes_per_second == 25.0 and options.max_concurrency == 8
    )


@pytest.mark.parametrize(
    ("location", "kind"),
    [
        ("relative/archive.jsonl", LocalArchive),
        ("/tmp/archive.jsonl", LocalArchive),
        ("file:///tmp/archive.jsonl", LocalArchive),
        (Path("/tmp/archive.jsonl"), LocalArchive),
    ],
)
def test_local_locations_are_one_file(location: object, kind: type) -> None:
    archive = open_archive(location)
    assert isinstance(archive, kind)
    assert str(archive.path).endswith("archive.jsonl")  # type: ignore[union-attr]


def test_object_storage_location_is_a_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    archive = open_archive(ObjectStoragePath("s3://bucket/attio/run-1"))
    assert isinstance(archive, ObjectStorageArchive) and archive.location == "s3://bucket/attio/run-1"


def test_group_commit_writes_every_line_whole_from_many_threads(tmp_path: Path) -> None:
    archive = open_archive(tmp_path / "a.jsonl")
    commits: list[int] = []
    commit = archive._commit

    def counting_commit(data: bytes) -> None:
        commits.append(data.count(b"\n"))
        time.sleep(0.002)  # a slow disk: writers pile up and share commits
        commit(data)

    archive._commit = counting_commit  # type: ignore[method-assign]

    def writer(n: int) -> None:
        for i in range(25):
            record_id = f"{n:08d}-0000-4000-8000-{i:012d}"
            archive.save_record("people", record_id, {"values": {"n": [n], "pad": "x" * 5000}})
            archive.save_outcome("people", record_id, "deleted")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    archive.close()
    lines = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert len(lines) == 400 and sum(commits) == 400
    assert len(commits) < 200, "concurrent writers should share commits"
    state = archive.read_state("people")
    assert len(state.archived) == len(state.deleted) == 200


def test_an_outcome_line_is_never_written_before_its_record(tmp_path: Path) -> None:
    archive = open_archive(tmp_path / "a.jsonl")
    archive.save_record("people", A, {"x": 1})
    archive.save_outcome("people", A, "deleted")
    archive.close()
    types = [json.loads(line)["type"] for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert types == ["record", "outcome"]


def test_read_state_is_scoped_to_the_object(tmp_path: Path) -> None:
    archive = open_archive(tmp_path / "a.jsonl")
    archive.save_record("companies", A, {})
    archive.save_outcome("companies", A, "deleted")
    archive.save_record("people", B, {})
    archive.save_outcome("people", B, "failed", RuntimeError("boom"))
    archive.close()
    people = archive.read_state("people")
    assert people.archived == {B} and people.deleted == set()
    assert archive.read_state("companies").deleted == {A}


def test_the_operator_takes_exactly_the_bulk_options_and_passes_them_on() -> None:
    # The options have one home, BulkDeleteOptions; the operator's typed keywords are its public face.
    import inspect

    from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator

    parameters = inspect.signature(AttioDeleteRecordsOperator.__init__).parameters
    targets = {"self", "object", "record_ids", "filter", "archive_to", "attio_conn_id", "kwargs"}
    targets |= {"match_attribute", "match_values", "keep_attribute", "keep_values"}
    assert set(parameters) - targets == set(BulkDeleteOptions.names())
    for name in BulkDeleteOptions.names():
        assert parameters[name].default == getattr(BulkDeleteOptions(), name), name
    values = {"allow_delete_all": True, "max_records": 7, "dry_run": True, "writes_per_second": 3.0}
    values |= {"max_concurrency": 2, "if_not_found": "skip"}
    operator = AttioDeleteRecordsOperator(task_id="t", object="people", filter={}, **values)
    assert operator.options == BulkDeleteOptions(**values)


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"max_records": 0}, "max_records must be a positive integer"),
        ({"writes_per_second": float("inf")}, "writes_per_second must be a positive number"),
        ({"max_concurrency": 33}, "max_concurrency must be at most 32"),
        ({"dry_run": "yes"}, "dry_run must be True or False"),
        ({"if_not_found": "ignore"}, "if_not_found must be one of"),
    ],
)
def test_bad_options_are_refused_when_built(values: dict[str, object], words: str) -> None:
    with pytest.raises(AttioValidationError, match=words):
        BulkDeleteOptions(**values)  # type: ignore[arg-type]


def test_options_by_keyword_or_object_not_both() -> None:
    assert BulkDeleteOptions.of(max_records=3) == BulkDeleteOptions(max_records=3)
    with pytest.raises(AttioValidationError, match="Unknown bulk delete option"):
        BulkDeleteOptions.of(max_record=3)
    with pytest.raises(AttioValidationError, match="not both"):
        BulkDeleteOptions.of(BulkDeleteOptions(), max_records=3)

"""The restore engine over real HTTP against the emulator: a bulk delete's archive turned back into
records, value for value, never twice.

No mocks: every claim is checked in the emulator's state and request log.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_attio.exceptions import (
    ArchiveLocationError,
    AttioRestorePermanentError,
    AttioValidationError,
)
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.testing.state import WORKSPACE_MEMBER_ID
from tests.conftest import TOKEN
from tests.helpers import record_ids, run_cli

CREATE = "/v2/objects/people/records"
QUERY = "/v2/objects/people/records/query"
log = logging.getLogger(__name__)

#: What a value holds besides its data: when and by whom it was written.
WRAPPING = {"active_from", "active_until", "created_by_actor"}


def _every_type(emu: AttioEmulator) -> None:
    """People with an attribute of every type a record holds, single and multiselect."""
    emu.add_attribute("people", "last_contacted", "timestamp")
    emu.add_attribute("people", "score", "rating")
    emu.add_attribute("people", "vip", "checkbox")
    emu.add_attribute("people", "birthday", "date")
    emu.add_attribute("people", "age", "number")
    emu.add_attribute("people", "budget", "currency")
    emu.add_attribute("people", "tags", "select", multiselect=True, options=["a", "b", "c"])
    emu.add_attribute("people", "tier", "select", options=["gold", "silver"])
    emu.add_attribute("people", "stage", "status", options=["Lead", "Customer"])
    emu.add_attribute("people", "company", "record-reference", target_object="companies")
    emu.add_attribute("people", "home", "location")
    emu.add_attribute("people", "phones", "phone-number", multiselect=True)
    emu.add_attribute("people", "websites", "domain", multiselect=True, unique=False)
    emu.add_attribute("people", "aliases", "personal-name", multiselect=True)
    emu.add_attribute("people", "nicknames", "text", multiselect=True)
    emu.add_attribute("people", "created_by", "actor-reference", system=True)
    emu.add_attribute("people", "last_interaction", "interaction")
    emu.add_attribute("people", "avatar_url", "text", system=True)


def _people(emu: AttioEmulator, count: int) -> list[str]:
    """People seeded with a value of every type, then given references and several values (over HTTP)."""
    _every_type(emu)
    companies = record_ids(emu.seed("companies", 2))
    ids = record_ids(emu.seed("people", count))
    for n, rid in enumerate(ids):
        _put(
            emu,
            rid,
            {
                "company": [_ref(companies[n % 2], "companies")],
                "tags": ["a", "c"] if n % 2 else ["b"],
                "phones": [
                    "+1 617 555 0100",
                    {"original_phone_number": f"020 7946 000{n}", "country_code": "GB"},
                ],
                "websites": [f"site{n}.example.com", f"blog{n}.example.org"],
                "aliases": ["Ada L", {"first_name": "Augusta", "last_name": "King"}],
                "nicknames": ["x", "y"],
                "avatar_url": f"https://example.com/{n}.png",
            },
        )
    return ids


def _data(record: dict[str, Any], skip: set[str] = frozenset()) -> dict[str, Any]:
    """A record's values without what a write can't bring back (when, by whom)."""
    return {
        slug: [{k: v for k, v in value.items() if k not in WRAPPING} for value in values]
        for slug, values in record["values"].items()
        if slug not in skip
    }


def _mapping(path: Path) -> dict[str, str]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {line["record_id"]: line["new_record_id"] for line in lines if line["type"] == "restored"}


def _creates(emu: AttioEmulator) -> int:
    return sum(1 for r in emu.requests if (r.method, r.path) == ("POST", CREATE))


def _delete(emu: AttioEmulator, ids: list[str], archive: Any, object: str = "people") -> dict[str, Any]:
    before = {rid: emu.get_record(object, rid) for rid in ids}
    summary = AttioHook().delete_records(object, record_ids=ids, archive_to=archive, writes_per_second=None)
    assert summary["deleted"] == len(ids)
    return before


# -- the round trip --------------------------------------------------------------------------------------


def test_round_trip_restores_every_writable_value_of_every_type(attio: AttioEmulator, tmp_path: Path) -> None:
    keep = record_ids(attio.seed("people", 2))
    ids = _people(attio, 6)
    archive = tmp_path / "teardown.jsonl"
    before = _delete(attio, ids, archive)
    summary = AttioHook().restore_records(str(archive))
    mapping = tmp_path / "teardown.mapping.jsonl"
    assert str(summary["run"]).startswith("local/")  # the delete's own run id, outside Airflow
    assert summary == {
        "object": "people",
        "run": summary["run"],
        "requested": 6,
        "restored": 6,
        "skipped_already_restored": 0,
        "still_present": 0,
        "deleted_by_other_run": 0,
        "conflicts": 0,
        "failed": 0,
        "dry_run": False,
        "mapping": str(mapping),
        "not_written": {"avatar_url": 6, "created_by": 6, "last_interaction": 6},
        "unresolved_references": {},
        "final_writes_per_second": 25.0,
        "rate_limited": 0,
    }
    new_ids = _mapping(mapping)
    assert sorted(new_ids) == sorted(ids)
    unwritten = {"avatar_url", "created_by", "last_interaction"}
    for old, new in new_ids.items():
        restored = attio.get_record("people", new)
        assert restored is not None
        assert _data(restored, unwritten) == _data(before[old], unwritten), old
        assert all(restored["values"][slug] == [] for slug in unwritten)
    assert sorted(attio.record_ids("people")) == sorted([*keep, *new_ids.values()])
    assert _creates(attio) == 6


def test_a_rerun_creates_nothing(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 5))
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    assert AttioHook().restore_records(archive)["restored"] == 5
    attio.clear_log()
    summary = AttioHook().restore_records(archive)
    assert (summary["restored"], summary["skipped_already_restored"], summary["requested"]) == (0, 5, 5)
    assert _creates(attio) == 0 and attio.count(method="PUT") == 0
    assert len(attio.record_ids("people")) == 5


def test_dry_run_sends_no_write(
    attio: AttioEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _people(attio, 3)
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    attio.clear_log()
    summary = AttioHook().restore_records(archive, dry_run=True, log=log)
    assert (summary["dry_run"], summary["requested"], summary["restored"], summary["mapping"]) == (
        True,
        3,
        0,
        None,
    )
    assert summary["not_written"] == {"avatar_url": 3, "created_by": 3, "last_interaction": 3}
    assert not [r for r in attio.requests if r.method in ("PUT", "DELETE", "PATCH") or r.path == CREATE]
    assert attio.record_ids("people") == record_ids(attio.seed("people", 0)) == []
    assert not (tmp_path / "a.mapping.jsonl").exists()
    assert "Dry run: would restore 3 record(s) of 'people'" in caplog.text


def test_chosen_records_only(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 4))
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    summary = AttioHook().restore_records(archive, record_ids=ids[1:3])
    assert (summary["requested"], summary["restored"]) == (2, 2)
    assert sorted(_mapping(tmp_path / "a.mapping.jsonl")) == sorted(ids[1:3])
    with pytest.raises(AttioValidationError, match="not archived records of 'people'"):
        AttioHook().restore_records(archive, record_ids=[ids[0], "891dcbfc-9141-415d-9b2a-2238a6cc012d"])


def test_the_cap_fails_before_any_write(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 4))
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    attio.clear_log()
    with pytest.raises(AttioValidationError, match=r"more than max_records=3\. Nothing was restored"):
        AttioHook().restore_records(archive, max_records=3)
    assert attio.requests == []


def test_a_missing_archive_or_an_ambiguous_object_is_refused(attio: AttioEmulator, tmp_path: Path) -> None:
    with pytest.raises(ArchiveLocationError, match="no archive at"):
        AttioHook().restore_records(tmp_path / "nope.jsonl")
    archive = tmp_path / "a.jsonl"
    _delete(attio, record_ids(attio.seed("people", 1)), archive)
    _delete(attio, record_ids(attio.seed("companies", 1)), archive, "companies")
    with pytest.raises(AttioValidationError, match=r"2 objects \(companies, people\): give object="):
        AttioHook().restore_records(archive)
    assert AttioHook().restore_records(archive, object="companies")["restored"] == 1
    assert attio.requests[-1].path != CREATE  # the last create was a company's


# -- records the archive doesn't show deleted ------------------------------------------------------------


def test_archived_without_a_deleted_outcome_is_looked_up_first(attio: AttioEmulator, tmp_path: Path) -> None:
    # A run killed between its archive line and its DELETE, or a DELETE that failed: no deleted outcome.
    ids = record_ids(attio.seed("people", 3))
    archive = tmp_path / "a.jsonl"
    lines = [
        {"type": "record", "object": "people", "record_id": rid, "record": attio.get_record("people", rid)}
        for rid in ids
    ]
    archive.write_text("".join(json.dumps(line) + "\n" for line in lines))
    AttioHook().delete_record("people", ids[0])  # gone after all (its outcome line never written)
    summary = AttioHook().restore_records(archive)
    assert (summary["restored"], summary["still_present"], summary["requested"]) == (1, 2, 3)
    assert list(_mapping(tmp_path / "a.mapping.jsonl")) == [ids[0]]
    assert len(attio.record_ids("people")) == 3


# -- never twice -----------------------------------------------------------------------------------------


def test_a_lost_create_answer_is_resolved_by_a_lookup(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 6))
    archive = tmp_path / "a.jsonl"
    before = _delete(attio, ids, archive)
    attio.clear_log()
    attio.drop_after_apply(2, method="POST", path=CREATE)  # applied, then the connection cut: no answer
    summary = AttioHook().restore_records(archive)
    assert (summary["restored"], summary["failed"]) == (6, 0)
    assert _creates(attio) == 6  # the dropped creates were not sent again
    assert attio.count(method="POST", path=QUERY) == 2  # one lookup each
    emails = sorted(_email(attio.get_record("people", r)) for r in attio.record_ids("people"))
    assert emails == sorted(_email(record) for record in before.values())
    lines = (tmp_path / "a.mapping.jsonl").read_text().splitlines()
    assert sum(json.loads(line).get("found") is True for line in lines) == 2


def test_a_lost_create_answer_without_a_unique_attribute_is_looked_up_by_its_values(
    attio: AttioEmulator, tmp_path: Path
) -> None:
    ids = record_ids(attio.seed("deals", 4))
    archive = tmp_path / "deals.jsonl"
    _delete(attio, ids, archive, "deals")
    attio.clear_log()
    attio.drop_after_apply(1, method="POST", path="/v2/objects/deals/records")
    attio.fail_next(1, 503, method="POST", path="/v2/objects/deals/records")  # applied? no: not a drop
    summary = AttioHook().restore_records(archive)
    assert (summary["restored"], summary["failed"]) == (4, 0)
    assert len(attio.record_ids("deals")) == 4
    queries = [r.body for r in attio.requests if r.path == "/v2/objects/deals/records/query"]
    assert queries and all("$and" in q["filter"] for q in queries)  # by name and value, no unique attribute


def test_an_unanswered_create_not_applied_is_sent_again(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 2))
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    attio.clear_log()
    attio.fail_next(1, 503, method="POST", path=CREATE)  # not applied, but the client can't know
    summary = AttioHook().restore_records(archive)
    assert (summary["restored"], summary["failed"]) == (2, 0)
    assert attio.count(method="POST", path=CREATE, status=503) == 1
    assert attio.count(method="POST", path=QUERY) == 1  # looked up, not found, created
    assert len(attio.record_ids("people")) == 2


_RESTORE_RUN = """
import json, logging, sys
logging.basicConfig(level=logging.INFO)
from airflow_provider_attio.hooks.attio import AttioHook
print(AttioHook().restore_records(sys.argv[1], **json.loads(sys.argv[2])), flush=True)
"""


def _kill_restore_when(emu: AttioEmulator, archive: Path, ready: Callable[[], bool], **kwargs: Any) -> None:
    """Run a restore in a child process; SIGKILL it once ``ready()`` (polling the emulator, no timer)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _RESTORE_RUN, str(archive), json.dumps(kwargs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 60
        while not ready():
            assert child.poll() is None, child.communicate()[0].decode()[-2000:]
            assert time.monotonic() < deadline, "the child never got there"
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL


def test_kill_between_a_create_and_its_mapping_line_then_rerun(attio: AttioEmulator, tmp_path: Path) -> None:
    ids = record_ids(attio.seed("people", 5))
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    attio.clear_log()
    # The third create is applied and its answer lost; the child looks it up, and dies while it does:
    # the record exists, the mapping only says a create was sent.
    attio.drop_after_apply(1, method="POST", path=CREATE)
    attio.set_latency(0.5, method="POST", path=QUERY, count=1)
    dropped = lambda: attio.count(method="POST", path=CREATE, status=None) == 1  # noqa: E731
    _kill_restore_when(attio, archive, lambda: dropped() and attio.in_flight > 0, max_concurrency=1)
    created = len(attio.record_ids("people"))
    assert created >= 1 and len(_mapping(tmp_path / "a.mapping.jsonl")) == created - 1
    summary = AttioHook().restore_records(archive)
    assert summary["restored"] + summary["skipped_already_restored"] == 5
    assert len(attio.record_ids("people")) == 5  # every archived record exists exactly once
    assert sorted(_mapping(tmp_path / "a.mapping.jsonl")) == sorted(ids)


def test_kill_mid_restore_then_rerun_restores_each_record_once(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path
) -> None:
    attio.set_rate_limits(reads_per_second=None, writes_per_second=125)
    ids = [str(r["id"]["record_id"]) for r in attio.seed("people", 60)]
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    attio.clear_log()
    _kill_restore_when(
        attio, archive, lambda: attio.count(method="POST", path=CREATE) >= 20, writes_per_second=100
    )
    assert 20 <= len(attio.record_ids("people")) < 60
    summary = AttioHook().restore_records(archive, writes_per_second=100)
    assert summary["restored"] + summary["skipped_already_restored"] == 60 and summary["failed"] == 0
    emails = [_email(attio.get_record("people", r)) for r in attio.record_ids("people")]
    assert len(emails) == 60 and len(set(emails)) == 60


# -- conflicts --------------------------------------------------------------------------------------------


def test_a_unique_value_held_by_another_record_is_a_conflict(
    attio: AttioEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ids = record_ids(attio.seed("people", 4))
    archive = tmp_path / "a.jsonl"
    before = _delete(attio, ids, archive)
    email = before[ids[1]]["values"]["email_addresses"][0]["email_address"]
    again = _new(attio, "people", {"name": "Someone Else", "email_addresses": [email]})
    summary = AttioHook().restore_records(archive, log=log)
    assert (summary["restored"], summary["conflicts"], summary["failed"]) == (3, 1, 0)
    assert ids[1] not in _mapping(tmp_path / "a.mapping.jsonl")
    assert f"Record {ids[1]} conflicts with the existing record {again}" in caplog.text
    assert len(attio.record_ids("people")) == 4
    # A rerun tries it again (the other record may be gone by then), and fails if asked to.
    with pytest.raises(AttioRestorePermanentError, match=rf"{ids[1]} \(held by {again}\)") as info:
        AttioHook().restore_records(archive, on_conflict="fail")
    assert info.value.summary["conflicts"] == 1 and info.value.summary["skipped_already_restored"] == 3


# -- references ---------------------------------------------------------------------------------------------


def test_references_between_restored_records_point_at_the_new_ids(
    attio: AttioEmulator, tmp_path: Path
) -> None:
    attio.add_attribute("people", "manager", "record-reference", target_object="people")
    attio.add_attribute("people", "mentors", "record-reference", multiselect=True, target_object="people")
    boss = _new(attio, "people", {"name": "Boss"})
    lead = _new(attio, "people", {"name": "Lead", "manager": _ref(boss)})
    dev = _new(attio, "people", {"name": "Dev", "manager": _ref(lead), "mentors": [_ref(boss)]})
    # A cycle: each mentors the other.
    ann = _new(attio, "people", {"name": "Ann"})
    bob = _new(attio, "people", {"name": "Bob", "mentors": [_ref(ann)]})
    attio.create_record("people", {"name": "Ann"})  # a bystander
    gone = _new(attio, "people", {"name": "Gone"})
    orphan = _new(attio, "people", {"name": "Orphan", "manager": _ref(gone)})
    AttioHook().delete_record("people", gone)  # deleted without an archive: nothing can bring it back
    _put(attio, ann, {"mentors": [_ref(bob), _ref(dev)]})
    archive = tmp_path / "a.jsonl"
    # Deleted in an order where every record comes before the records it refers to.
    _delete(attio, [dev, lead, boss, ann, bob, orphan], archive)
    attio.clear_log()
    summary = AttioHook().restore_records(archive)
    assert (summary["restored"], summary["failed"]) == (6, 0)
    assert summary["unresolved_references"] == {"manager": 1}
    new = _mapping(tmp_path / "a.mapping.jsonl")
    assert _targets(attio, new[lead], "manager") == [new[boss]]
    assert _targets(attio, new[dev], "manager") == [new[lead]]
    assert _targets(attio, new[dev], "mentors") == [new[boss]]
    assert sorted(_targets(attio, new[ann], "mentors")) == sorted([new[bob], new[dev]])
    assert _targets(attio, new[bob], "mentors") == [new[ann]]
    assert _targets(attio, new[orphan], "manager") == []
    assert attio.count(method="PUT") == 1  # only the cycle waited for a record created after it


def test_references_to_another_objects_restored_records(attio: AttioEmulator, tmp_path: Path) -> None:
    attio.add_attribute("people", "company", "record-reference", target_object="companies")
    acme = _new(attio, "companies", {"name": "Acme", "domains": ["acme.example"]})
    kept = _new(attio, "companies", {"name": "Kept"})
    ada = _new(attio, "people", {"name": "Ada", "company": _ref(acme, "companies")})
    tom = _new(attio, "people", {"name": "Tom", "company": _ref(kept, "companies")})
    archive = tmp_path / "a.jsonl"
    _delete(attio, [ada, tom], archive)
    _delete(attio, [acme], archive, "companies")
    AttioHook().restore_records(archive, object="companies")  # the referenced object first
    AttioHook().restore_records(archive, object="people")
    new = _mapping(tmp_path / "a.mapping.jsonl")
    assert _targets(attio, new[ada], "company") == [new[acme]]
    assert _targets(attio, new[tom], "company") == [kept]  # never deleted: left pointing at it


def _new(emu: AttioEmulator, object: str, values: dict[str, Any]) -> str:
    return str(emu.create_record(object, values)["id"]["record_id"])


def _email(record: dict[str, Any] | None) -> str:
    assert record is not None
    return str(record["values"]["email_addresses"][0]["email_address"])


def _ref(record_id: str, object: str = "people") -> dict[str, str]:
    return {"target_object": object, "target_record_id": record_id}


def _put(emu: AttioEmulator, record_id: str, values: dict[str, Any]) -> None:
    import requests

    response = requests.put(
        f"{emu.base_url}/v2/objects/people/records/{record_id}",
        json={"data": {"values": values}},
        headers={"Authorization": f"Bearer {emu.token}"},
        timeout=5,
    )
    assert response.status_code == 200, response.text


def _targets(emu: AttioEmulator, record_id: str, slug: str) -> list[str]:
    record = emu.get_record("people", record_id)
    assert record is not None
    return [v["target_record_id"] for v in record["values"][slug]]


# -- what can't be written ----------------------------------------------------------------------------------


def test_options_that_no_longer_exist_and_removed_attributes_are_reported(
    attio: AttioEmulator, tmp_path: Path
) -> None:
    attio.add_attribute("people", "tags", "select", multiselect=True, options=["keep", "drop"])
    attio.add_attribute("people", "legacy", "text")
    ids = [
        _new(attio, "people", {"name": f"P{n}", "tags": ["keep", "drop"], "legacy": "x"}) for n in range(3)
    ]
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    attio.archive_option("people", "tags", "drop")
    attio.archive_attribute("people", "legacy")
    summary = AttioHook().restore_records(archive)
    assert summary["restored"] == 3
    assert summary["not_written"] == {"legacy": 3, "tags": 3}
    for new in _mapping(tmp_path / "a.mapping.jsonl").values():
        record = attio.get_record("people", new)
        assert record is not None
        assert [v["option"]["title"] for v in record["values"]["tags"]] == ["keep"]
        assert record["values"]["legacy"] == []


# -- object storage ----------------------------------------------------------------------------------------


def test_an_archive_on_object_storage_keeps_its_mapping_in_segments(attio: AttioEmulator) -> None:
    from airflow.providers.common.compat.sdk import ObjectStoragePath
    from fsspec.implementations.memory import MemoryFileSystem

    try:
        from airflow.sdk.io.store import attach
    except ImportError:  # pragma: no cover - Airflow 2
        from airflow.io.store import attach  # type: ignore[no-redef]
    attach("memory", fs=MemoryFileSystem())
    ids = record_ids(attio.seed("people", 5))
    location = "memory://attio-archive/restore-run"
    _delete(attio, ids, location)
    summary = AttioHook().restore_records(location, max_concurrency=2)
    assert summary["restored"] == 5
    assert summary["mapping"] == f"{location}/mapping-*.jsonl"
    folder = ObjectStoragePath(location)
    names = [p.rsplit("/", 1)[-1] for p in folder.fs.glob(f"{folder.path}/*.jsonl")]
    assert any(n.startswith("mapping-") for n in names) and any(not n.startswith("mapping-") for n in names)
    attio.clear_log()
    again = AttioHook().restore_records(location)
    assert (again["skipped_already_restored"], _creates(attio)) == (5, 0)
    # The delete's own reading of the folder passes over the mapping's lines.
    assert (
        AttioHook().delete_records("people", record_ids=ids, archive_to=location)["skipped_already_deleted"]
        == 5
    )


# -- the command line --------------------------------------------------------------------------------------


def test_the_command_line_restores_and_prints_the_summary(
    attio: AttioEmulator, use_connection: Callable[..., None], tmp_path: Path
) -> None:
    use_connection(attio.base_url, conn_id="attio_incident")
    ids = record_ids(attio.seed("people", 3))
    archive = tmp_path / "a.jsonl"
    _delete(attio, ids, archive)
    attio.clear_log()
    done = run_cli("restore", str(archive), "--conn-id", "attio_incident", "--record-ids", *ids[:2])
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["requested"], summary["restored"], summary["mapping"]) == (
        2,
        2,
        str(tmp_path / "a.mapping.jsonl"),
    )
    assert "Restore of 'people': 2 requested, 2 restored" in done.stderr
    failed = run_cli("restore", str(tmp_path / "nope.jsonl"), "--conn-id", "attio_incident")
    assert (failed.returncode, failed.stdout) == (1, "")
    assert "error: There is no archive at" in failed.stderr
    bad = run_cli("restore", str(archive), "--on-conflict", "maybe")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    for result in (done, failed):
        assert TOKEN not in result.stdout + result.stderr


def test_an_owner_is_reported_as_not_written_never_dropped_silently(
    attio: AttioEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A writable actor reference (an owner: a workspace member) is not restored, and says so per
    attribute: the member may have left the workspace, and a create naming one would fail whole."""
    attio.add_attribute("people", "owner", "actor-reference", writable=True)
    ids = record_ids(attio.seed("people", 2))
    member = {"referenced_actor_type": "workspace-member", "referenced_actor_id": WORKSPACE_MEMBER_ID}
    for rid in ids:
        _put(attio, rid, {"owner": [member]})
    before = _delete(attio, ids, tmp_path / "a.jsonl")
    assert all(before[rid]["values"]["owner"][0]["referenced_actor_id"] == WORKSPACE_MEMBER_ID for rid in ids)
    with caplog.at_level(logging.WARNING):
        summary = AttioHook().restore_records(tmp_path / "a.jsonl", writes_per_second=None, log=log)
    assert (summary["restored"], summary["not_written"]) == (2, {"owner": 2})
    assert "2 record(s) hold values of 'owner' that can't be written: an actor reference" in caplog.text
    for new in _mapping(tmp_path / "a.mapping.jsonl").values():
        restored = attio.get_record("people", new)
        assert restored is not None and restored["values"]["owner"] == []

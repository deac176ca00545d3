"""``serve --request-log FILE`` and what ``serve --seed examples`` creates for the mirror example."""

from __future__ import annotations

import json
from pathlib import Path

from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.testing.seed import MIRROR_SYNC_DOMAIN, seed_examples
from tests.emulator.conftest import Api
from tests.emulator.test_cli import _stop, serve_process

SECRET = "s3cret-token-never-logged"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_serve_writes_its_request_log_to_a_file(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    log.write_text("left over from an earlier run\n")
    with serve_process("--token", SECRET, "--seed", "people=2", "--request-log", str(log)) as served:
        assert f"Request log: {log} (one JSON line per request)" in served.banner
        assert log.read_text() == ""  # emptied at start
        api = Api(served.url, SECRET)
        record_id = api.query()[0]["id"]["record_id"]
        api.delete(f"/v2/objects/people/records/{record_id}")
        api.delete(f"/v2/objects/people/records/{record_id}")
        api.get("/v2/self", token="wrong")
        # Each line is there once its answer was sent: readable while the emulator serves.
        entries = _lines(log)
        assert [(e["method"], e["path"], e["status"]) for e in entries] == [
            ("POST", "/v2/objects/people/records/query", 200),
            ("DELETE", f"/v2/objects/people/records/{record_id}", 200),
            ("DELETE", f"/v2/objects/people/records/{record_id}", 404),
            ("GET", "/v2/self", 401),
        ]
        assert entries[0]["body"] == {} and entries[1]["body"] is None
        assert [e["time"] for e in entries] == sorted(e["time"] for e in entries)
        _stop(served.process)
    assert SECRET not in log.read_text()


def test_the_request_log_file_outlives_reset_and_the_memory_bound(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    with AttioEmulator(max_log_entries=0, request_log_file=log) as emu:
        api = Api(emu.base_url, emu.token)
        api.get("/v2/self")
        emu.reset()
        api.get("/v2/objects/people")
        assert emu.requests == []
    assert [(e["method"], e["path"]) for e in _lines(log)] == [
        ("GET", "/v2/self"),
        ("GET", "/v2/objects/people"),
    ]


def test_seed_examples_creates_the_people_the_mirror_example_mirrors() -> None:
    with AttioEmulator() as emu:
        seeded = seed_examples(emu)
        scope = Api(emu.base_url, emu.token).query(
            filter={"email_addresses": {"email_domain": MIRROR_SYNC_DOMAIN}}
        )
        assert sorted(r["id"]["record_id"] for r in scope) == sorted(
            [*seeded.mirror_sync.kept, seeded.mirror_sync.left]
        )
        assert len(scope) == 12

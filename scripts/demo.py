"""``make demo``: run the example DAGs against a local Attio emulator and show what they deleted (and what
the restore brought back), ending with a teardown of list entries, notes and tasks.

It starts the emulator with the records of ``serve --seed examples`` (realistic people, companies and deals,
plus the records the examples target), points ``AIRFLOW_CONN_ATTIO_DEFAULT`` at it, runs each example DAG
with ``airflow dags test`` in a throwaway ``AIRFLOW_HOME`` (``.demo/``), and prints what was there before
and what is left. The full Airflow logs of each run are in ``.demo/logs/``. The examples delete nothing
unless a run confirms it, so every deleting run below passes ``confirm_delete``.

The same DAGs run against a real Attio workspace: set the ``attio_default`` connection to your token.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.testing.seed import (
    EXAMPLE_LIST,
    LOAD_TEST_DOMAIN,
    MIRROR_SYNC_DOMAIN,
    SYNC_FIXTURE_DOMAIN,
    seed_examples,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / ".demo"
AIRFLOW = str(Path(sys.executable).parent / "airflow")
OBJECTS = ("people", "companies", "deals")
# Log lines worth showing from each DAG run (the rest is in .demo/logs/).
HIGHLIGHTS = (
    "Deleted Attio record",
    "was not found",
    "records to remove",
    "still exists",
    "does not exist",
    "Dry run: would delete",
    "Preview only",
    "will be archived",
    "confirm_delete is not true",
    "Progress:",
    "Bulk delete of",
    "Dry run: would restore",
    "Restore of",
    "also linked to records outside",
)


def _name(record: dict[str, Any]) -> str:
    values = record.get("values", {})
    for slug in ("name",):
        for value in values.get(slug, []):
            return str(value.get("full_name") or value.get("value") or "?")
    return "?"


def _email(record: dict[str, Any]) -> str:
    values = record.get("values", {}).get("email_addresses") or [{}]
    return str(values[0].get("email_address"))


def _show_counts(emu: AttioEmulator, title: str) -> dict[str, int]:
    counts = {obj: len(emu.record_ids(obj)) for obj in OBJECTS}
    print(f"\n{title}: " + ", ".join(f"{n} {obj}" for obj, n in counts.items()))
    return counts


def _airflow_env(emu: AttioEmulator) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        {
            "AIRFLOW_HOME": str(DEMO / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_ATTIO_DEFAULT": emu.connection_uri(),
        }
    )
    return env


def _run_dag(
    env: dict[str, str], dag_id: str, conf: dict[str, Any] | None = None, log_name: str | None = None
) -> bool:
    log = DEMO / "logs" / f"{log_name or dag_id}.log"
    command = [AIRFLOW, "dags", "test", dag_id]
    if conf:
        command += ["--conf", json.dumps(conf)]
    print(f"\n$ airflow dags test {dag_id}" + (f" --conf '{json.dumps(conf)}'" if conf else ""))
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    text = log.read_text()
    failed = result.returncode != 0 or "state=failed" in text or "DagRunState.FAILED" in text
    outcome = "FAILED" if failed else "ok"
    print(f"  {outcome} in {time.monotonic() - started:.1f}s (log: {log.relative_to(ROOT)})")
    for line in text.splitlines():
        if any(marker in line for marker in HIGHLIGHTS):
            message = line.split("] ", 1)[-1].split(" [airflow", 1)[0].split(" [airflow_provider", 1)[0]
            print("  | " + message[:150])
    return not failed


def _delete_once_watched(emu: AttioEmulator, record_id: str, delay: float) -> None:
    """Play "someone else": delete the record ``delay`` seconds after the sensor first asked for it."""
    deadline = time.monotonic() + 300
    while not emu.count(method="GET", path=f"*/{record_id}") and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(delay)
    url = f"{emu.base_url}/v2/objects/people/records/{record_id}"
    requests.delete(url, headers={"Authorization": f"Bearer {emu.token}"}, timeout=10)


def _activity_teardown(emu: AttioEmulator, env: dict[str, str], outsider: str) -> bool:
    """Step 7: the sync ran again and also put its people on a list, noted and tasked them; the activity
    teardown takes them off the list, deletes their notes and tasks, then the people. Someone else's
    entry and note, and a task shared with them, stay."""

    def fixture(n: int) -> str:
        values = {
            "name": f"Sync Fixture {n}",
            "email_addresses": [f"fixture{n}@{SYNC_FIXTURE_DOMAIN}"],
            "job_title": "Sync fixture",
        }
        return str(emu.create_record("people", values)["id"]["record_id"])

    people = [fixture(n) for n in range(6, 11)]
    targets = {
        "entries": {emu.add_list_entry(EXAMPLE_LIST, p)["id"]["entry_id"] for p in people},
        "notes": {emu.add_note("people", p, "Synced")["id"]["note_id"] for p in people},
        "tasks": {emu.add_task([("people", p)], "Follow up")["id"]["task_id"] for p in people},
    }
    kept = {
        "entries": {emu.add_list_entry(EXAMPLE_LIST, outsider)["id"]["entry_id"]},
        "notes": {emu.add_note("people", outsider, "Met at a conference")["id"]["note_id"]},
        "tasks": {emu.add_task([("people", people[0]), ("people", outsider)], "Introduce")["id"]["task_id"]},
    }
    print(
        f"\n7. Activity teardown: the sync ran again and put {len(people)} people @{SYNC_FIXTURE_DOMAIN} on "
        f"the list {EXAMPLE_LIST!r}, with a note and a task each, one task shared with someone else. Take "
        "them off the list, delete their notes and tasks, then the people"
    )

    def present() -> dict[str, set[str]]:
        return {
            "entries": set(emu.list_entry_ids(EXAMPLE_LIST)),
            "notes": set(emu.note_ids()),
            "tasks": set(emu.task_ids()),
        }

    before = present()
    deletes_before = {what: emu.count(method="DELETE", path=path) for what, path in _ACTIVITY_DELETES.items()}
    ok = _run_dag(env, "example_attio_activity_teardown", {"confirm_delete": True})
    after = present()
    removed = {what: before[what] - after[what] for what in before}
    removed["people"] = set(people) - set(emu.record_ids("people"))
    sent = {
        what: emu.count(method="DELETE", path=path) - deletes_before[what]
        for what, path in _ACTIVITY_DELETES.items()
    }
    still_kept = all(kept[what] <= after[what] for what in kept)
    print(
        "  Removed: "
        + ", ".join(f"{len(ids)} {what} ({sent[what]} DELETEs)" for what, ids in removed.items())
        + f"; someone else's entry, note and the shared task kept: {'yes' if still_kept else 'NO'}"
    )
    ok &= removed == {**targets, "people": set(people)} and still_kept
    return ok and all(sent[what] == len(removed[what]) for what in sent)


#: The DELETEs of the activity teardown, by what they remove.
_ACTIVITY_DELETES = {
    "entries": f"/v2/lists/{EXAMPLE_LIST}/entries/*",
    "notes": "/v2/notes/*",
    "tasks": "/v2/tasks/*",
    "people": "/v2/objects/people/records/*",
}


def main() -> int:
    shutil.rmtree(DEMO, ignore_errors=True)
    (DEMO / "logs").mkdir(parents=True)
    with AttioEmulator() as emu:
        print(
            f"Attio emulator at {emu.base_url} (token {emu.token[:4]}…), seeded like `serve --seed examples`"
        )
        seeded = seed_examples(emu)
        mirrored = seeded.mirror_sync
        target, watched = (emu.get_record("people", rid) or {} for rid in (seeded.delete_me, seeded.watch_me))
        fixtures, load_test = seeded.sync_fixtures, seeded.load_testers
        before = _show_counts(emu, "Before")

        env = _airflow_env(emu)
        print("\nPreparing a throwaway Airflow home in .demo/airflow (airflow db migrate)...")
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)

        ok = True
        target_id = seeded.delete_me
        print(f"\n1. Delete one record: {_name(target)} ({target_id})")
        ok &= _run_dag(env, "example_attio_delete_record", {"record_id": target_id, "confirm_delete": True})

        print(
            f"\n2. Sync teardown: remove the {len(fixtures)} people with an @{SYNC_FIXTURE_DOMAIN} email "
            "(the DAG's default filter)"
        )
        ok &= _run_dag(env, "example_attio_sync_teardown", {"confirm_delete": True})

        watched_id = seeded.watch_me
        print(
            f"\n3. Wait (deferred) until {_name(watched)} ({watched_id}) is gone; "
            "someone else deletes it 15 s after the sensor first looks"
        )
        someone = threading.Thread(target=_delete_once_watched, args=(emu, watched_id, 15.0), daemon=True)
        someone.start()
        ok &= _run_dag(env, "example_attio_wait_until_deleted", {"record_id": watched_id})

        emu.set_rate_limits(reads_per_second=100, writes_per_second=25)
        archive = DEMO / "archive"
        bulk_conf: dict[str, Any] = {
            "filter": {"email_addresses": {"email_domain": LOAD_TEST_DOMAIN}},
            "archive_to": str(archive),
        }
        print(
            f"\n4. Bulk teardown of the {len(load_test)} people with an @{LOAD_TEST_DOMAIN} email. "
            "First without confirm_delete: a preview that deletes nothing"
        )
        deletes_before = emu.count(method="DELETE")
        ok &= _run_dag(env, "example_attio_bulk_teardown", bulk_conf, "example_attio_bulk_teardown.preview")
        ok &= emu.count(method="DELETE") == deletes_before and set(load_test) <= set(emu.record_ids("people"))
        print(
            "\n   Then confirmed: archive and delete them at Attio's 25 writes/s (the emulator enforces it)"
        )
        ok &= _run_dag(env, "example_attio_bulk_teardown", {**bulk_conf, "confirm_delete": True})
        archived = [
            json.loads(line) for path in archive.rglob("*.jsonl") for line in path.read_text().splitlines()
        ]
        saved = sum(entry["type"] == "record" for entry in archived)
        print(f"  Archive: {saved} records saved before their DELETE, in {archive.relative_to(ROOT)}/")
        ok &= saved == len(load_test)

        print(
            f"\n5. Mirror sync of the {len(mirrored.kept) + 1} people @{MIRROR_SYNC_DOMAIN} against a "
            "sqlite3 source that no longer holds one of them: a dry run, then the guarded mirror delete"
        )
        ok &= _run_dag(env, "example_attio_mirror_sync", {"confirm_delete": True})
        people_left = set(emu.record_ids("people"))
        ok &= mirrored.left not in people_left and set(mirrored.kept) <= people_left

        after = _show_counts(emu, "After")
        gone = {obj: before[obj] - after[obj] for obj in OBJECTS}
        print("Deleted: " + ", ".join(f"{n} {obj}" for obj, n in gone.items()))
        deleted_ids = {target_id, watched_id, *fixtures, *load_test, mirrored.left}
        still_there = deleted_ids & set(emu.record_ids("people"))
        expected_gone = len(deleted_ids)
        ok &= not still_there and gone == {"people": expected_gone, "companies": 0, "deals": 0}
        (teardown,) = [p for p in archive.rglob("*.jsonl") if not p.name.endswith(".mapping.jsonl")]
        print(
            f"\n6. Restore the bulk teardown's {saved} people from its archive, as new records (a preview, "
            "then confirmed)"
        )
        ok &= _run_dag(env, "example_attio_restore", {"archive_from": str(teardown), "confirm_restore": True})
        emails = {_email(emu.get_record("people", rid) or {}) for rid in emu.record_ids("people")}
        restored = sum(_email(entry["record"]) in emails for entry in archived if entry["type"] == "record")
        print(f"  Restored: {restored} of {saved}; old -> new ids in {teardown.name[:-6]}.mapping.jsonl")
        ok &= restored == saved

        ok &= _activity_teardown(emu, env, seeded.background["people"][0])
        deletes = emu.count(method="DELETE")
        limited = emu.count(status=429)
        print(f"Attio calls: {len(emu.requests)} in all, {deletes} DELETEs, {limited} rate-limited.")
    print("\nDemo " + ("succeeded." if ok else "FAILED: see the logs above."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

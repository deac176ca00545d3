"""Scenarios 1, 3, 4 and 5: each drives the deployment through Airflow's REST API and asserts its outcome
from the API's task states, the emulator's request log and the archive. Each returns its report line.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from typing import Any

from deploy import services
from deploy.attio import deleted, email_domain, sent_twice, ticks
from deploy.deployment import EXAMPLE_DAGS, POOL_SLOTS, Deployment
from deploy.stack import wait_until


class ScenarioFailed(AssertionError):
    pass


def check(condition: object, message: str) -> None:
    """A precondition: the scenario can't go on without it."""
    if not condition:
        raise ScenarioFailed(message)


class Expect:
    """A scenario's assertions: each is checked, and every one that failed is reported, with the figures."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def __call__(self, condition: object, message: str) -> None:
        if not condition:
            self.failed.append(message)

    def verdict(self, figures: str) -> str:
        if self.failed:
            raise ScenarioFailed(f"{'; '.join(self.failed)} [{figures}]")
        return figures


def states(d: Deployment, dag_id: str, run_id: str, task_id: str | None = None) -> Counter[str]:
    tis = d.api.task_instances(dag_id, run_id)
    return Counter(str(ti["state"]) for ti in tis if task_id is None or ti["task_id"] == task_id)


def wait_states(d: Deployment, dag_id: str, run_id: str, task_id: str, state: str, count: int) -> None:
    """Wait until ``count`` instances of the task are in ``state`` (failing fast if one failed)."""

    def reached() -> bool:
        found = states(d, dag_id, run_id, task_id)
        check(not found["failed"], f"{dag_id}.{task_id} failed: {dict(found)}")
        d.stack.check_alive()
        return found[state] >= count

    wait_until(f"{count} {dag_id}.{task_id} {state}", reached, timeout=300, interval=2)


def run_all(d: Deployment, runs: dict[str, str], timeout: float = 300) -> dict[str, str]:
    """Wait for each run (``dag_id`` or ``dag_id#label`` -> run_id) to finish; return the states."""
    return {dag_id: d.api.wait_run(dag_id.split("#")[0], run_id, timeout) for dag_id, run_id in runs.items()}


def archived_records(d: Deployment, prefix: str) -> dict[str, str]:
    """record_id -> archived_at, from every archive segment under ``prefix`` in the bucket."""
    s3 = services.s3_client(d.ports.s3)
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=services.BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=services.BUCKET, Key=item["Key"])["Body"].read()
            found.update(record_lines(body))
    return found


def record_lines(data: bytes) -> dict[str, str]:
    """record_id -> archived_at of an archive's ``record`` lines (JSON Lines)."""
    found = {}
    for line in data.splitlines():
        if line.strip():
            entry = json.loads(line)
            if entry.get("type") == "record":
                found[entry["record_id"]] = entry["archived_at"]
    return found


# -- 1. the example DAGs -------------------------------------------------------------------------------


def scenario_examples(d: Deployment) -> str:
    """Every example DAG with its defaults deletes (and creates) nothing; with its confirmation, it
    succeeds: first the deleting ones, then the restore of the bulk teardown's S3 archive and the sync
    teardown (whose people the activity teardown removed with their entries, notes and tasks)."""
    expect = Expect()
    started = time.time()
    defaults = run_all(d, {dag_id: d.api.trigger(dag_id) for dag_id in EXAMPLE_DAGS})
    writes = [e for e in d.log.entries(started) if e.method in ("DELETE", "POST", "PUT", "PATCH")]
    default_writes = [e for e in writes if not e.path.endswith("/query")]
    expect(set(defaults.values()) == {"success"}, f"default runs: {defaults}")
    expect(not default_writes, f"the default runs sent {len(default_writes)} write(s)")
    deleting, bulk_run = _check_deleting_runs(d, expect)
    restoring = _check_restore_runs(d, expect, bulk_run)
    return expect.verdict(f"{len(defaults)} default runs succeeded with 0 writes; {deleting}; {restoring}")


def _check_deleting_runs(d: Deployment, expect: Expect) -> tuple[str, str]:
    """The confirmed runs of the examples that delete; returns their report and the bulk teardown's run."""
    ex = d.examples
    started = time.time()
    runs = _confirmed_runs(d)
    finished = run_all(d, runs)
    targets = {
        "delete_record": ex["Delia Example"],
        "wait_until_deleted (deleted while deferred)": ex["Walter Example"],
        "activity_teardown": ex["sync_fixtures"],
        "bulk_teardown": ex["load_testers"],
        "mirror_sync": ex["member12@mirror-sync.example.invalid"],
    }
    expected = {rid for ids in targets.values() for rid in ids}
    entries = [e for e in d.log.entries(started) if e.method == "DELETE"]
    twice = sent_twice(entries)
    untouched = (set(d.others) | set(ex["mirror"])) - expected
    gone = untouched - {r["id"]["record_id"] for r in d.attio.people()}
    archived = archived_records(d, "examples/")
    activities = Counter(_activity_of(e.path) for e in entries if e.status == 200)
    expect(set(finished.values()) == {"success"}, f"confirmed runs: {finished}")
    expect(deleted(entries) == expected, f"deleted {len(deleted(entries))} records, expected {len(expected)}")
    expect(not twice, f"{len(twice)} record(s) got two DELETEs")
    expect(not gone, f"{len(gone)} record(s) no example targets are gone")
    expect(set(archived) == set(ex["load_testers"]), f"the bulk archive holds {len(archived)} records")
    wanted = {"entry": SYNC_FIXTURES, "note": SYNC_FIXTURES, "task": SYNC_FIXTURES}  # the shared task kept
    expect(
        {k: activities[k] for k in wanted} == wanted,
        f"activity teardown deleted {dict(activities)}, expected {wanted}",
    )
    breakdown = ", ".join(f"{len(ids)} {name}" for name, ids in targets.items())
    line = (
        f"{len(runs)} confirmed deleting runs succeeded: {len(deleted(entries))} records deleted "
        f"({breakdown}), "
        f"{len(twice)} sent twice, {len(archived)} archived to S3 first, and {activities['entry']} list "
        f"entries, {activities['note']} notes, {activities['task']} tasks (the shared one kept); "
        f"{len(untouched) - len(gone)} others untouched"
    )
    return line, runs["example_attio_bulk_teardown"]


#: The seed's sync fixtures: each on the list, with a note and a task (``testing/seed.py``).
SYNC_FIXTURES = 5


def _activity_of(path: str) -> str | None:
    if path.startswith("/v2/lists/"):
        return "entry"
    if path.startswith("/v2/notes/"):
        return "note"
    if path.startswith("/v2/tasks/"):
        return "task"
    return None


def _check_restore_runs(d: Deployment, expect: Expect, bulk_run: str) -> str:
    """The bulk teardown's S3 archive restored by ``example_attio_restore`` (on either worker), and the
    sync teardown, whose targets are gone, deleting nothing."""
    archive = f"{d.s3_uri('examples')}/example_attio_bulk_teardown/{bulk_run}.jsonl"
    started = time.time()
    runs = {
        "example_attio_restore": d.api.trigger(
            "example_attio_restore", {"archive_from": archive, "confirm_restore": True}
        ),
        "example_attio_sync_teardown": d.api.trigger("example_attio_sync_teardown", {"confirm_delete": True}),
    }
    finished = run_all(d, runs)
    entries = d.log.entries(started)
    creates = [e for e in entries if e.method == "POST" and e.path == "/v2/objects/people/records"]
    created = sum(e.status == 200 for e in creates)
    refused = sum(e.status == 429 for e in creates)  # the sliding window's: refused, not applied
    deletes = sum(e.method == "DELETE" for e in entries)
    back = sum(email_domain(r) == "loadtest.example.invalid" for r in d.attio.people())
    mappings = _mapping_segments(d, f"examples/example_attio_bulk_teardown/{bulk_run}.jsonl")
    testers = len(d.examples["load_testers"])
    expect(set(finished.values()) == {"success"}, f"restore and sync teardown runs: {finished}")
    expect(
        created == testers and created + refused == len(creates),
        f"{created} of {len(creates)} creates applied ({refused} 429s), {testers} wanted",
    )
    expect(back == testers, f"{back} load testers in Attio after the restore, {testers} wanted")
    expect(mappings > 0, "no old -> new mapping written beside the S3 archive")
    expect(deletes == 0, f"the sync teardown (its people gone) sent {deletes} DELETE(s)")
    return (
        f"the restore recreated {created} of {testers} people from the S3 archive ({len(creates)} creates, "
        f"{refused} refused with a 429 and resent, "
        f"{mappings} mapping segment(s) written beside it); the sync teardown found its people gone: "
        f"{deletes} DELETEs"
    )


def _mapping_segments(d: Deployment, prefix: str) -> int:
    s3 = services.s3_client(d.ports.s3)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=services.BUCKET, Prefix=prefix)
    return sum("mapping-" in item["Key"] for page in pages for item in page.get("Contents", []))


def _confirmed_runs(d: Deployment) -> dict[str, str]:
    ex = d.examples
    api = d.api
    bulk_conf = {"confirm_delete": True, "archive_to": d.s3_uri("examples")}
    runs = {
        "example_attio_wait_until_deleted": api.trigger(
            "example_attio_wait_until_deleted", {"record_id": ex["Walter Example"][0]}
        ),
        "example_attio_delete_record": api.trigger(
            "example_attio_delete_record", {"record_id": ex["Delia Example"][0], "confirm_delete": True}
        ),
        "example_attio_activity_teardown": api.trigger(
            "example_attio_activity_teardown", {"confirm_delete": True}
        ),
        "example_attio_bulk_teardown": api.trigger("example_attio_bulk_teardown", bulk_conf),
        "example_attio_mirror_sync": api.trigger("example_attio_mirror_sync", {"confirm_delete": True}),
    }
    # Someone deletes Walter once the sensor waits for it, deferred to the triggerer.
    sensor_run = runs["example_attio_wait_until_deleted"]
    wait_states(d, "example_attio_wait_until_deleted", sensor_run, "wait_until_deleted", "deferred", 1)
    walter = {"record_id": ex["Walter Example"][0], "confirm_delete": True}
    runs["example_attio_delete_record#walter"] = api.trigger("example_attio_delete_record", walter)
    return runs


# -- 3. 100 deferred sensors ---------------------------------------------------------------------------

SENSORS = 100
POKE_INTERVAL = 5  # deploy_sensors.py


def scenario_sensors(d: Deployment) -> str:
    """100 deferred sensors on one object: one query per tick for all of them, then all succeed."""
    ids = d.take(SENSORS)
    run_id = d.api.trigger("deploy_sensors", {"record_ids": ids})
    wait_states(d, "deploy_sensors", run_id, "wait_gone", "deferred", SENSORS)
    # "deferred" in the database is not yet "running in the triggerer", which loads new triggers every few
    # seconds: a tick can come before the last one is loaded. Watch from the first tick covering them all.
    deferred_at = time.time()
    wait_until(
        f"a query for all {SENSORS} sensors",
        lambda: any(len(set(e.queried_ids)) == SENSORS for e in d.log.entries(deferred_at)),
        timeout=60,
        interval=0.5,
    )
    all_deferred = time.time()
    time.sleep(3 * POKE_INTERVAL)  # the triggerer ticks with every sensor deferred
    deleting = time.time()
    d.attio.delete(ids)
    deleted_at = time.time()
    state = d.api.wait_run("deploy_sensors", run_id, timeout=300)
    done = states(d, "deploy_sensors", run_id, "wait_gone")
    waiting = d.log.entries(all_deferred, deleting)
    bursts = ticks(waiting)
    per_tick = max((len(t) for t in bursts), default=0)
    covered = [len({rid for e in t for rid in e.queried_ids}) for t in bursts]
    expect = Expect()
    expect(state == "success" and done["success"] == SENSORS, f"run {state}, sensors {dict(done)}")
    expect(len(bursts) >= 2, f"only {len(bursts)} tick(s) in {deleting - all_deferred:.0f} s")
    expect(per_tick <= math.ceil(SENSORS / 250) + 1, f"{per_tick} requests in one tick for {SENSORS} sensors")
    expect(covered and min(covered) == SENSORS, f"ticks covered {covered} sensors, not {SENSORS} each")
    return expect.verdict(
        f"{SENSORS} sensors deferred; while they waited, {len(waiting)} requests in {len(bursts)} ticks of "
        f"{POKE_INTERVAL} s ({per_tick} per tick at most, covering {min(covered, default=0)} sensors each; "
        f"one per sensor would be {SENSORS}); {done['success']} succeeded, the last "
        f"{time.time() - deleted_at:.0f} s after their records were deleted"
    )


# -- 4. three bulk tasks in a pool ---------------------------------------------------------------------

POOL_COHORT = 150


def scenario_pool(d: Deployment) -> str:
    """Three bulk deletes at once in the pool, each at 23/3 writes/s, under a 25/s sliding window."""
    cohorts = [d.take(POOL_COHORT) for _ in range(POOL_SLOTS)]
    ids = [rid for cohort in cohorts for rid in cohort]
    started = time.time()
    run_id = d.api.trigger("deploy_pool", {"cohorts": cohorts})
    state = d.api.wait_run("deploy_pool", run_id, timeout=300)
    done = states(d, "deploy_pool", run_id, "teardown")
    entries = d.log.deletes(ids, since=started)
    limited = sum(e.status == 429 for e in entries)
    share = limited / max(1, len(entries))
    first, last = min(e.time for e in entries), max(e.time for e in entries)
    overlap = _most_at_once(d.api.task_instances("deploy_pool", run_id))
    expect = Expect()
    expect(state == "success" and done["success"] == POOL_SLOTS, f"run {state}, tasks {dict(done)}")
    expect(deleted(entries) == set(ids), f"{len(set(ids) - deleted(entries))} record(s) not deleted")
    expect(not sent_twice(entries), f"{len(sent_twice(entries))} record(s) got two DELETEs")
    expect(share <= 0.02, f"{share:.1%} of DELETE answers were 429s")
    expect(overlap == POOL_SLOTS, f"only {overlap} of the {POOL_SLOTS} tasks ran at once")
    return expect.verdict(
        f"{len(deleted(entries))} of {len(ids)} records deleted by {POOL_SLOTS} tasks ({overlap} running at "
        f"once at most), {len(sent_twice(entries))} sent twice; 429s: {limited} of {len(entries)} DELETE "
        f"answers ({share:.1%}); combined rate {len(deleted(entries)) / (last - first):.1f} writes/s over "
        f"{last - first:.0f} s (reported, not asserted)"
    )


def _most_at_once(tis: list[dict[str, Any]]) -> int:
    spans = [(ti["start_date"], ti["end_date"]) for ti in tis if ti["task_id"] == "teardown"]
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


# -- 5. token rotation ---------------------------------------------------------------------------------

ROTATION_RECORDS = 250
ROTATION_WATCHED = 10


def scenario_rotation(d: Deployment) -> str:
    """The token rotated while a bulk task and deferred sensors run: all of them finish."""
    ids = d.take(ROTATION_RECORDS)
    watched = ids[-ROTATION_WATCHED:]  # the bulk deletes them last: the sensors wait through the rotation
    sensors = d.api.trigger("deploy_sensors", {"record_ids": watched})
    wait_states(d, "deploy_sensors", sensors, "wait_gone", "deferred", ROTATION_WATCHED)
    # The triggerer must be querying with the old token before the rotation, so the rotation meets a
    # running client (a trigger that starts after it reads the new token at once, testing nothing).
    deferred_at = time.time()
    wait_until("a sensor query", lambda: _sensor_queried(d, deferred_at), timeout=60, interval=0.2)
    started = time.time()
    bulk = d.api.trigger("deploy_bulk", {"record_ids": ids, "archive_to": d.s3_uri("rotation")})
    wait_until(
        "40 DELETEs", lambda: len(deleted(d.log.deletes(ids, since=started))) >= 40, timeout=180, interval=0.2
    )
    before = len(deleted(d.log.deletes(ids, since=started)))
    revoked = rotate(d)
    bulk_state = d.api.wait_run("deploy_bulk", bulk, 300)
    sensors_state = d.api.wait_run("deploy_sensors", sensors, 300)
    refused = Counter(e.method for e in d.log.entries(revoked) if e.status == 401)
    entries = d.log.deletes(ids, since=started)
    expect = Expect()
    expect(
        bulk_state == sensors_state == "success",
        f"after the rotation: bulk {bulk_state}, sensors {sensors_state}",
    )
    expect(refused["DELETE"] >= 1, "no DELETE met the revoked token: the rotation came too late to test")
    expect(refused["POST"] >= 1, "no sensor query met the revoked token: the rotation came too late to test")
    expect(deleted(entries) == set(ids), f"{len(set(ids) - deleted(entries))} record(s) not deleted")
    return expect.verdict(
        f"rotated after {before} of {len(ids)} DELETEs with {ROTATION_WATCHED} sensors deferred: the old "
        f"token got 401 on {refused['DELETE']} DELETE(s) and {refused['POST']} sensor query(ies); the bulk "
        f"task ({bulk_state}) and the {ROTATION_WATCHED} sensors ({sensors_state}) went on with the new one; "
        f"{len(deleted(entries))} of {len(ids)} deleted"
    )


def _sensor_queried(d: Deployment, since: float) -> bool:
    return any(
        e.method == "POST" and e.path.endswith("/records/query") and e.status == 200
        for e in d.log.entries(since)
    )


def rotate(d: Deployment) -> float:
    """Add a new token, update the connection in the metadata database, revoke the old token.
    Return when the old one was revoked."""
    import secrets

    old, new = d.attio.token, f"attio-deploy-{secrets.token_hex(16)}"
    d.tokens.append(new)
    d.attio.token_command("add", new)
    d.api.put_connection("attio_default", "attio", password=new)
    d.attio.token = new
    revoked = time.time()
    d.attio.token_command("revoke", old)
    return revoked

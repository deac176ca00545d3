"""Scenario 2: the worker running a bulk delete is lost mid-run (SIGKILL, its task process too, as when a
machine dies); the scheduler notices the missing heartbeat, and the retry runs on the other worker.

With the archive on S3 the retry resumes from it: no record deleted without being archived first, no
DELETE sent twice. ``--kill-archive worker-local`` breaks the precondition (the archive in the killed
worker's own temp dir, which the other worker can't see) to show those assertions fail.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime

import psutil

from deploy import services
from deploy.attio import deleted, sent_twice
from deploy.deployment import Deployment
from deploy.scenarios import Expect, archived_records, check, record_lines
from deploy.stack import wait_until

KILL_RECORDS = 200
KILL_AFTER = 50  # DELETEs answered before the kill


@dataclass
class Killed:
    """What the kill left to look at."""

    run_id: str
    victim: str
    killed_at: float
    processes: int
    before_kill: int


def scenario_kill(d: Deployment, archive: str = "s3") -> str:
    ids = d.take(KILL_RECORDS)
    location = d.s3_uri("kill") if archive == "s3" else ""  # empty: the worker's temp dir
    started = time.time()
    killed = _run_and_kill(d, ids, location, started)
    state = d.api.wait_run("deploy_bulk", killed.run_id, timeout=300)
    tries = d.api.tries("deploy_bulk", killed.run_id, "teardown")
    hosts = [t["hostname"] for t in tries]
    entries = d.log.deletes(ids, since=started)
    archived = _archive(d, killed.run_id, location, hosts[-1])
    unarchived = sorted(rid for rid in deleted(entries) if rid not in archived)
    late = [e.record_id for e in entries if e.status == 200 and archived.get(e.record_id, "") > _iso(e.time)]
    twice = sent_twice(entries)
    expect = Expect()
    expect(state == "success", f"the run ended {state}")
    expect(len(tries) == 2 and hosts[0] == killed.victim != hosts[1], f"tries ran on {hosts}")
    expect(deleted(entries) == set(ids), f"{len(set(ids) - deleted(entries))} record(s) not deleted")
    expect(not unarchived, f"{len(unarchived)} record(s) deleted without being in the archive the retry read")
    expect(not late, f"{len(late)} record(s) archived after their DELETE")
    expect(not twice, f"{len(twice)} record(s) got two DELETEs")
    retry = (
        f"{hosts[-1]} {_started(tries[-1]) - killed.killed_at:.0f} s later" if len(tries) > 1 else "nowhere"
    )
    return expect.verdict(
        f"SIGKILL of worker {killed.victim} ({killed.processes} processes) after {killed.before_kill} of "
        f"{len(ids)} deletes; the retry ran on {retry}: {_retry_figures(d, ids, killed)}; {len(unarchived)} "
        f"deleted without being archived, {len(twice)} DELETEs sent twice ({archive} archive)"
    )


def _run_and_kill(d: Deployment, ids: list[str], location: str, started: float) -> Killed:
    """Start the bulk delete and kill its worker once ``KILL_AFTER`` records are deleted."""
    run_id = d.api.trigger("deploy_bulk", {"record_ids": ids, "archive_to": location})

    def enough() -> bool:
        return len(deleted(d.log.deletes(ids, since=started))) >= KILL_AFTER

    wait_until(f"{KILL_AFTER} DELETEs", enough, timeout=180, interval=0.1)
    victim = _running_worker(d, run_id)
    killed_at, tree = kill_worker(d, victim)
    before_kill = len(deleted(d.log.deletes(ids, since=started, until=killed_at)))
    return Killed(run_id, victim, killed_at, len(tree), before_kill)


def _retry_figures(d: Deployment, ids: list[str], killed: Killed) -> str:
    skipped = int(str(_summary(d, killed.run_id).get("skipped_already_deleted", 0)))
    by_retry = len(deleted(d.log.deletes(ids, since=killed.killed_at)))
    return (
        f"skipped {skipped} deleted per the archive, found {max(0, killed.before_kill - skipped)} more "
        f"already gone (a GET, no DELETE), deleted {by_retry}"
    )


def _summary(d: Deployment, run_id: str) -> dict[str, object]:
    """The bulk task's XCom summary (none if it failed)."""
    try:
        return dict(d.api.xcom_value("deploy_bulk", run_id, "teardown"))
    except RuntimeError:
        return {}


def _running_worker(d: Deployment, run_id: str) -> str:
    (ti,) = [t for t in d.api.task_instances("deploy_bulk", run_id) if t["task_id"] == "teardown"]
    check(
        ti["state"] == "running" and ti["hostname"] in services.WORKERS,
        f"teardown: {ti['state']} on {ti['hostname']}",
    )
    return str(ti["hostname"])


def kill_worker(d: Deployment, name: str) -> tuple[float, list[psutil.Process]]:
    """SIGKILL the worker and every process under it (its task's own process group included)."""
    proc = d.stack.get(f"worker-{name}")
    d.stack.expected_dead.add(proc.name)
    tree = proc.descendants()
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    killed_at = time.time()
    psutil.wait_procs(tree, timeout=10)
    return killed_at, tree


def _archive(d: Deployment, run_id: str, location: str, retry_host: str) -> dict[str, str]:
    """record_id -> archived_at in the archive the retry read: on S3, or in the retry worker's temp dir."""
    if location:
        return archived_records(d, f"kill/{run_id}.jsonl/")
    path = d.run / retry_host / "tmp" / "attio-archive" / f"{run_id}.jsonl"
    return record_lines(path.read_bytes()) if path.exists() else {}


def _iso(timestamp: float) -> str:
    """The archive's ``archived_at`` format, to compare with a DELETE's time."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp)) + f".{int(timestamp % 1 * 1000):03d}Z"


def _started(ti: dict[str, str]) -> float:
    return datetime.fromisoformat(ti["start_date"].replace("Z", "+00:00")).timestamp()

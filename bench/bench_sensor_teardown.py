"""A teardown under deferred sensors: N sensors whose records are deleted together.

N ``AttioRecordTrigger`` sensors (``wait_for="absent"``, one record each, ``poke_interval`` 5 s) run in
one event loop in a child process, as a triggerer runs them; the emulator runs in this process with
150 ms of latency per answer. Sensors arrive spread over one interval; once every one has been checked,
all N records are deleted at once (in the emulator's state: a teardown that just finished), right after
a tick has listed them: the worst moment, a whole interval before the next check. Measured, from the
deletion to the last sensor's event:

* deletion → event, p99 (target: ``poke_interval`` + 2 s);
* the requests Attio got (target: 2 x ceil(N / 250) + the ticks' own queries: the tick that sees the
  records gone lists them, and confirms the absences with one more query per 250);
* the event loop's lag p99 (a 10 ms ticker), where a burst of work would show, and the part of it the
  process spent working (its CPU time), which another process's load on the machine doesn't inflate.

Baselines from the same run: the ideal request count (the tick's listing plus one confirming query per
250 ids), and with ``--full`` (``make bench-full``) the previous design, which confirmed each absence with
a ``GET`` of the record (the group's confirmation replaced by per-record reads, in this script only).

    python bench/bench_sensor_teardown.py [--full] [--size 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOKEN = "bench-token-3c9d"
INTERVAL = 5.0
LATENCY = 0.15
IDS_PER_QUERY = 250  # airflow_provider_attio.core.IDS_PER_QUERY, read here without importing Airflow
DRAIN = 40.0  # the longest a run waits for its events after the deletion

CONTENDERS = {
    "batched": "batched confirmation",
    "reads": "one GET per record (previous)",
}


# -- the child: N triggers in one event loop ---------------------------------------------------------------


def _confirm_by_reads() -> None:
    """The previous design, for the baseline only: each absence confirmed by a read of its record."""
    from airflow_provider_attio import aio

    async def confirm(self: Any, chunk: Any) -> dict[str, Any]:
        self.stats.reads += len(chunk)
        facts = await asyncio.gather(*(self.read(record_id) for record_id in chunk))
        return dict(zip(chunk, facts, strict=True))

    aio._Group._confirm = confirm  # type: ignore[method-assign]


async def _ticker(samples: dict[str, list[Any]], done: asyncio.Event, stop: float) -> None:
    """A 10 ms ticker measuring the loop's lag, until ``done`` (and a second more) or ``stop``; it also
    notes the watcher's counts whenever they change."""
    from airflow_provider_attio.aio import watcher

    finished_at = math.inf
    while time.time() < min(stop, finished_at + 1.0):
        before, cpu_before = time.perf_counter(), time.process_time()
        await asyncio.sleep(0.01)
        now = time.time()
        lag = time.perf_counter() - before - 0.01
        # The share of the lag the process spent working (the rest: the machine ran something else).
        own = max(0.0, min(lag, time.process_time() - cpu_before))
        samples["lags"].append((now, lag, own))
        counts = vars(watcher().stats).copy()
        if not samples["stats"] or samples["stats"][-1][1] != counts:
            samples["stats"].append((now, counts))
        if done.is_set() and finished_at == math.inf:
            finished_at = now


def child(args: dict[str, Any]) -> None:
    """Run the triggers until every one fired (or the drain ends); write events, lags and the watcher's
    counts as JSON."""
    import logging

    from airflow_provider_attio.triggers.records import AttioRecordTrigger

    logging.basicConfig(level=logging.WARNING)
    if args["contender"] == "reads":
        _confirm_by_reads()
    ids: list[str] = args["ids"]
    events: dict[str, float] = {}
    samples: dict[str, list[Any]] = {"lags": [], "stats": []}
    stop = args["t0"] + 2 * INTERVAL + DRAIN

    async def sensor(record_id: str, delay: float, done: asyncio.Event) -> None:
        await asyncio.sleep(delay)
        trigger = AttioRecordTrigger(
            object="people",
            record_id=record_id,
            wait_for="absent",
            attio_conn_id="attio_default",
            poke_interval=INTERVAL,
            deadline=stop,
        )
        async for event in trigger.run():
            if event.payload["status"] == "success":
                events[record_id] = time.time()
            if len(events) == len(ids):
                done.set()

    async def main() -> None:
        await asyncio.sleep(max(0.0, args["t0"] - time.time()))
        done = asyncio.Event()
        spread = INTERVAL / len(ids)
        tasks = [asyncio.create_task(sensor(r, i * spread, done)) for i, r in enumerate(ids)]
        await _ticker(samples, done, stop)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    Path(args["out"]).write_text(json.dumps({"events": events, **samples}))


# -- the orchestrator ---------------------------------------------------------------------------------------


def run_one(emu: Any, contender: str, ids: list[str]) -> dict[str, Any]:
    """One contender: start its triggers, delete every record right after a tick once all were checked,
    and return its figures."""
    t0 = time.time() + 3
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        args = {"contender": contender, "ids": ids, "t0": t0, "out": str(out)}
        errors = (Path(tmp) / "stderr.txt").open("w")
        command = [sys.executable, __file__, "--child", json.dumps(args)]
        process = subprocess.Popen(command, stdout=errors, stderr=errors)
        deletion = _delete_after_a_tick(emu, ids, t0 + 2 * INTERVAL)  # all arrived (5 s) and checked
        process.wait(timeout=2 * INTERVAL + DRAIN + 60)
        errors.close()
        if process.returncode or not out.exists():
            raise RuntimeError(f"{contender} failed:\n{(Path(tmp) / 'stderr.txt').read_text()[-3000:]}")
        result = json.loads(out.read_text())
    return _figures(emu, deletion, len(ids), result)


def _delete_after_a_tick(emu: Any, ids: list[str], after: float) -> float:
    """Wait past ``after`` for a tick's listing (a query per 250 ids, all answered), then delete every
    record at once, in the emulator's state under its lock: no request, no latency. Returns when."""
    time.sleep(max(0.0, after - time.time()))
    queries = math.ceil(len(ids) / IDS_PER_QUERY)
    while sum(e.method == "POST" and e.time >= after for e in emu.requests) < queries:
        time.sleep(0.005)
    deletion = time.time()
    for record_id in ids:
        emu._app.workspace.delete_record("people", record_id)
    return deletion


def _figures(emu: Any, deletion: float, size: int, result: dict[str, Any]) -> dict[str, Any]:
    events = sorted(result["events"].values())
    last = events[-1] if events else deletion
    asked = [e for e in emu.requests if deletion <= e.time <= last and e.method in ("GET", "POST")]
    counts = [c for t, c in result["stats"] if t <= deletion] or [{}]
    tick_queries = result["stats"][-1][1]["queries"] - counts[-1].get("queries", 0)
    window = [(lag, own) for t, lag, own in result["lags"] if deletion <= t <= last + 1.0]
    return {
        "p99": _percentile([t - deletion for t in events], 0.99) if events else None,
        "events": f"{len(events)}/{size}",
        "requests": len(asked),
        "gets": sum(e.method == "GET" for e in asked),
        "tick_queries": tick_queries,
        "bound": 2 * math.ceil(size / IDS_PER_QUERY) + tick_queries,
        "lag_p99_ms": _percentile([lag for lag, _ in window], 0.99) * 1000 if window else math.nan,
        "own_p99_ms": _percentile([own for _, own in window], 0.99) * 1000 if window else math.nan,
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def _row(name: str, target: str, cells: list[str]) -> str:
    return f"{name:<46} {target:<10} " + " ".join(f"{c:>30}" for c in cells)


def report(size: int, results: dict[str, dict[str, Any]]) -> None:
    ideal = 2 * math.ceil(size / IDS_PER_QUERY)
    columns = list(results.values())
    print(
        f"\nN = {size} deferred sensors whose records are deleted together, right after a tick; "
        f"poke_interval {INTERVAL:g} s, {LATENCY * 1000:.0f} ms latency"
    )
    print(_row("figure", "target", [CONTENDERS[c] for c in results]))
    p99 = [f"{c['p99']:.2f} s ({c['events']} fired)" if c["p99"] is not None else "n/a" for c in columns]
    print(_row("deletion → event, p99", f"≤ {INTERVAL + 2:g} s", p99))
    requests = [f"{c['requests']} ({c['gets']} GETs), bound {c['bound']}" for c in columns]
    print(_row("requests, deletion → last event", "≤ bound", requests))
    print(
        _row(
            f"requests ÷ ideal ({ideal}: listing + confirming)",
            "≤ 1.5",
            [f"{c['requests'] / ideal:.2f}" for c in columns],
        )
    )
    print(
        _row(
            "event-loop lag p99, deletion → last event",
            "< 10 ms",
            [f"{c['lag_p99_ms']:.1f} ms" for c in columns],
        )
    )
    print(
        _row(
            "  of which the process's own work, p99",
            "< 10 ms",
            [f"{c['own_p99_ms']:.1f} ms" for c in columns],
        )
    )
    if len(columns) == 2 and all(c["p99"] for c in columns):
        batched, reads = columns
        print(
            f"\nBatched confirmation vs one GET per record: deletion → event p99 "
            f"{batched['p99'] / reads['p99']:.2f}x, requests {batched['requests'] / reads['requests']:.3f}x."
        )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="also run the one-GET-per-record baseline")
    parser.add_argument("--size", type=int, default=1000, help="sensors (records), default 1000")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    if args.child:
        child(json.loads(args.child))
        return
    import os

    from airflow_provider_attio.testing import AttioEmulator

    contenders = ["batched", "reads"] if args.full else ["batched"]
    if not args.full:
        print(
            "Headline run: the batched confirmation against the ideal request count (--full: also the "
            "one-GET-per-record baseline)."
        )
    emu = AttioEmulator(token=TOKEN, seed={"people": args.size * len(contenders)})
    emu.start()
    try:
        # uvicorn closes idle connections after 5 s, the poke interval itself (see bench_sensors.py).
        assert emu._server is not None
        emu._server.config.timeout_keep_alive = 75
        emu.set_latency(LATENCY)
        os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = json.dumps(
            {"conn_type": "attio", "host": emu.base_url, "password": TOKEN}
        )
        os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-teardown-"))
        os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
        pool = emu.record_ids("people")
        results = {}
        for n, contender in enumerate(contenders):
            emu.clear_log()
            results[contender] = run_one(emu, contender, pool[n * args.size : (n + 1) * args.size])
        report(args.size, results)
    finally:
        emu.stop()
    print(
        "\nRequests: what the emulator answered (queries and GETs) from the deletion to the last event; "
        "bound: 2 x ceil(N / 250) plus the listing queries the ticks of that span sent (the watcher's "
        "count). Lag: the 10 ms ticker's overshoot in the same span; of which the process's own work: "
        "the part of each overshoot the process spent on the CPU (on a busy machine the rest is other "
        "processes running)."
    )


if __name__ == "__main__":
    main()

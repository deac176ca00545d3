"""Deferred sensors at scale: N sensors in one event loop, as Airflow's triggerer runs them.

Contenders, each watching N records (``poke_interval`` 5 s) in its own Python process, one after the
other, against the same emulator (in this process, so it never shares the sensors' GIL) answering with
150 ms of latency, like a real round trip:

* ``AttioRecordTrigger``: this provider's trigger (``wait_for="absent"``), batched per object;
* a bare shared-client asyncio poller: one ``httpx.AsyncClient``, a coroutine per sensor doing
  ``GET`` then ``asyncio.sleep``, waiting out ``Retry-After`` on 429 (the floor of per-record polling);
* Airflow's ``HttpSensorTrigger`` (http provider), pointed at records that don't exist (it waits for a
  non-404, so it polls them for the whole run);
* with ``--thread-baseline``: the previous ``AttioRecordTrigger`` design (the sync hook in
  ``asyncio.to_thread`` per poll, a hook per trigger).

Each run: warm-up, a steady window, a window where 5 % of all requests to Attio answer 429 (with
Attio's ``Retry-After`` date), then 5 % of the watched records are deleted and the time until their
sensors' events is measured. Figures are ratios against the ideal (N / poke_interval checks per second)
or counts from the same run; absolute numbers depend on the machine.

By default (``make bench``) only the headline run, in about 95 s: N = 1000, this provider's trigger
against the bare poller, with short windows (``HEADLINE``: as long as ``QUICK``, with a shorter warm-up
and a longer deletion window).
``--full`` (``make bench-full``, about 9 minutes) runs N = 100, 500 and 1000, adds
``HttpSensorTrigger``, and uses the full windows (``--quick``: shorter ones). ``--sizes`` and
``--thread-baseline`` apply to either.

    python bench/bench_sensors.py [--full] [--sizes 100,500,1000] [--quick] [--thread-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

TOKEN = "bench-token-5e7a"
INTERVAL = 5.0
LATENCY = 0.15
IDS_PER_QUERY = 250  # airflow_provider_attio.core.IDS_PER_QUERY, read here without importing Airflow


@dataclass(frozen=True)
class Plan:
    """When each phase starts, in seconds after the run's t0 (the same in both processes)."""

    warmup: float
    steady: float
    faulty: float
    recovery: float
    deletions: float
    drain: float

    def at(self, phase: str) -> float:
        order = ["warmup", "steady", "faulty", "recovery", "deletions", "drain"]
        return sum(getattr(self, name) for name in order[: order.index(phase)])

    @property
    def end(self) -> float:
        return self.at("drain") + self.drain


# Windows are whole numbers of poke intervals: every sensor is checked the same number of times in each.
FULL = Plan(
    warmup=2 * INTERVAL + 2,
    steady=3 * INTERVAL,
    faulty=2 * INTERVAL,
    recovery=3,
    deletions=5,
    drain=INTERVAL + 5,
)
QUICK = Plan(
    warmup=2 * INTERVAL + 1,
    steady=2 * INTERVAL,
    faulty=2 * INTERVAL,
    recovery=2,
    deletions=3,
    drain=INTERVAL + 3,
)
#: ``make bench``'s headline run: the warm-up ends 2 s after the last sensor arrives (QUICK's 6 s after).
#: The 429 window stays two intervals long: over one, a batch query delayed by a 429 past the window's end
#: would count as a quarter of N = 1000's checks missed. The deletion window is 8 s: each DELETE waits out
#: the 150 ms latency, so 50 of them (5 % of 1000) take about 7.5 s whatever the window (under QUICK's 3 s,
#: the last ones fall into the drain and their events come too late to count).
HEADLINE = Plan(
    warmup=INTERVAL + 2,
    steady=2 * INTERVAL,
    faulty=2 * INTERVAL,
    recovery=2,
    deletions=8,
    drain=INTERVAL + 3,
)


# -- the child: one contender in one event loop ------------------------------------------------------------


@dataclass
class Samples:
    lag: list[tuple[float, float]] = field(default_factory=list)
    threads: list[tuple[float, int]] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)


Sensor = Callable[[str], Awaitable[None]]


async def _ticker(samples: Samples, stop: float) -> None:
    """A 10 ms ticker measuring the loop's lag; it also samples the process's threads."""
    last_sample = 0.0
    while time.time() < stop:
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        now = time.time()
        samples.lag.append((now, time.perf_counter() - before - 0.01))
        if now - last_sample >= 0.25:
            last_sample = now
            samples.threads.append((now, threading.active_count()))


def _attio_trigger(samples: Samples, stop: float) -> Sensor:
    from airflow_provider_attio.triggers.records import AttioRecordTrigger

    async def sensor(record_id: str) -> None:
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
                samples.events[record_id] = time.time()
            return

    return sensor


def _bare_poller(samples: Samples, stop: float) -> Sensor:
    import httpx

    base_url = os.environ["BENCH_BASE_URL"]
    client = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)

    async def sensor(record_id: str) -> None:
        while True:
            try:
                answer = await client.get(f"/v2/objects/people/records/{record_id}")
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
                continue
            if answer.status_code == 429:
                when = parsedate_to_datetime(answer.headers["Retry-After"]).timestamp()
                await asyncio.sleep(max(0.05, when - time.time()))
                continue
            if answer.status_code == 404:
                samples.events[record_id] = time.time()
                return
            await asyncio.sleep(INTERVAL)

    return sensor


def _http_sensor_trigger(samples: Samples, stop: float) -> Sensor:
    from airflow.providers.http.triggers.http import HttpSensorTrigger

    async def sensor(record_id: str) -> None:
        trigger = HttpSensorTrigger(
            endpoint=f"v2/objects/people/records/{record_id}",
            http_conn_id="attio_http",
            method="GET",
            headers={"Authorization": f"Bearer {TOKEN}"},
            poke_interval=INTERVAL,
        )
        async for _ in trigger.run():
            return

    return sensor


def _thread_per_poll(samples: Samples, stop: float) -> Sensor:
    from airflow_provider_attio.exceptions import AttioError, AttioNotFoundError, AttioObjectNotFoundError
    from airflow_provider_attio.hooks.attio import AttioHook

    async def sensor(record_id: str) -> None:
        hook = AttioHook()  # as the previous trigger did: a hook, so a session, per trigger
        while True:
            try:
                await asyncio.to_thread(hook.get_record, "people", record_id)
            except AttioObjectNotFoundError:
                raise
            except AttioNotFoundError:
                samples.events[record_id] = time.time()
                return
            except AttioError:
                pass
            await asyncio.sleep(INTERVAL)

    return sensor


CONTENDERS: dict[str, tuple[str, Callable[[Samples, float], Sensor]]] = {
    "attio": ("AttioRecordTrigger", _attio_trigger),
    "bare": ("bare asyncio poller", _bare_poller),
    "http": ("HttpSensorTrigger", _http_sensor_trigger),
    "threads": ("to_thread per poll (0.1)", _thread_per_poll),
}


def child(args: dict[str, Any]) -> None:
    """Run one contender until the plan ends; write the samples as JSON.

    Sensors arrive spread over one poke interval, as tasks defer one after the other in a real triggerer.
    """
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)  # every contender logs per poll at INFO: not measured
    samples = Samples()
    stop = args["t0"] + args["end"]
    watched = args["missing"] if args["contender"] == "http" else args["ids"]

    async def arrive(sensor: Sensor, record_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await sensor(record_id)

    async def main() -> None:
        while time.time() < args["t0"]:
            await asyncio.sleep(0.01)
        sensor = CONTENDERS[args["contender"]][1](samples, stop)
        samples.threads.append((time.time(), threading.active_count()))
        spread = INTERVAL / len(watched)
        tasks = [asyncio.create_task(arrive(sensor, r, i * spread)) for i, r in enumerate(watched)]
        await _ticker(samples, stop)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    baseline = threading.active_count()
    asyncio.run(main())
    result = {
        "baseline_threads": baseline,
        "lag": samples.lag,
        "threads": samples.threads,
        "events": samples.events,
    }
    Path(args["out"]).write_text(json.dumps(result))


# -- the orchestrator: the emulator, the phases, the figures ------------------------------------------------


def _connections(pid: int, port: int, peak: list[int], stop: threading.Event) -> None:
    """Sample the child's established connections to the emulator: the peak."""
    import psutil

    process = psutil.Process(pid)
    while not stop.wait(0.5):
        try:
            mine = [c for c in process.net_connections(kind="tcp") if c.raddr and c.raddr.port == port]
        except psutil.Error:
            return
        established = [c for c in mine if c.status == psutil.CONN_ESTABLISHED]
        peak[0] = max(peak[0], len(established))


def _between(entries: list[Any], start: float, end: float) -> list[Any]:
    return [e for e in entries if start <= e.time < end]


def _checks(log: list[Any]) -> dict[str, list[float]]:
    """When Attio answered a check of each record: a GET (200 or 404), or a query listing its id (200)."""
    times: dict[str, list[float]] = {}
    for entry in log:
        if entry.method == "GET" and entry.status in (200, 404):
            times.setdefault(entry.path.rsplit("/", 1)[-1], []).append(entry.time)
        elif entry.method == "POST" and entry.status == 200:
            for record_id in entry.body["filter"]["record_id"]["$in"]:
                times.setdefault(record_id, []).append(entry.time)
    return times


def _check_rate(times: dict[str, list[float]], ids: list[str], start: float, end: float) -> float:
    """Checks per second over ``[start, end)``, all sensors together.

    Sensors arrive spread over one interval and windows last whole intervals, so a sensor checked on time
    counts the same in every window.
    """
    return sum(start <= t < end for r in ids for t in times.get(r, ())) / (end - start)


class _CountingDict(dict):  # type: ignore[type-arg]
    """The emulator's open-connections map, counting every connection it ever accepted."""

    opened = 0

    def __setitem__(self, key: Any, value: Any) -> None:
        type(self).opened += 1
        super().__setitem__(key, value)


def run_one(emu: Any, contender: str, size: int, pool: list[str], plan: Plan) -> dict[str, Any]:
    """One contender with ``size`` sensors: run the plan, return its figures."""
    ids = pool[:size]
    missing = [f"00000000-0000-4000-8000-{i:012d}" for i in range(size)]
    # 5 % of the records, picked at random and deleted at random moments of the deletion window: a record's
    # deletion falls anywhere in its sensor's poke interval.
    rng = random.Random(size)
    deleting = [] if contender == "http" else rng.sample(ids, math.ceil(size * 0.05))
    moments = sorted(rng.uniform(0, plan.deletions) for _ in deleting)
    t0 = time.time() + 3
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        args = {
            "contender": contender,
            "ids": ids,
            "missing": missing,
            "t0": t0,
            "end": plan.end,
            "out": str(out),
        }
        errors = (Path(tmp) / "stderr.txt").open("w")
        command = [sys.executable, __file__, "--child", json.dumps(args)]
        process = subprocess.Popen(command, stdout=errors, stderr=errors)
        peak = [0]
        stop_sampling = threading.Event()
        sampler = threading.Thread(target=_connections, args=(process.pid, emu.port, peak, stop_sampling))
        sampler.start()
        opened, deleted = _drive(emu, plan, t0, dict(zip(deleting, moments, strict=True)))
        process.wait(timeout=plan.end + 60)
        stop_sampling.set()
        sampler.join()
        errors.close()
        if process.returncode or not out.exists():
            raise RuntimeError(f"{contender} failed:\n{(Path(tmp) / 'stderr.txt').read_text()[-3000:]}")
        result = json.loads(out.read_text())
    for record_id in deleted:
        pool.remove(record_id)
    watched = missing if contender == "http" else ids
    return _figures(emu, plan, t0, watched, deleted, result) | {"connections": (peak[0], opened)}


def _drive(emu: Any, plan: Plan, t0: float, deleting: dict[str, float]) -> tuple[int, dict[str, float]]:
    """Run the plan's phases on the emulator: count the connections opened in the steady window, turn
    the 429s on and off, delete ``deleting`` (record id: moment in the deletion window). Returns the
    connections opened and when each record was deleted."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"

    def sleep_until(offset: float) -> None:
        time.sleep(max(0.0, t0 + offset - time.time()))

    sleep_until(plan.at("steady"))
    opened_before = _CountingDict.opened
    sleep_until(plan.at("steady") + plan.steady)
    opened = _CountingDict.opened - opened_before
    sleep_until(plan.at("faulty"))
    emu.fail_share(0.05, 429)
    sleep_until(plan.at("recovery"))
    emu.fail_share(0, 429)
    deleted: dict[str, float] = {}
    for record_id, moment in deleting.items():
        sleep_until(plan.at("deletions") + moment)
        session.delete(f"{emu.base_url}/v2/objects/people/records/{record_id}", timeout=30).raise_for_status()
        deleted[record_id] = time.time()
    return opened, deleted


def _figures(
    emu: Any, plan: Plan, t0: float, watched: list[str], deleted: dict[str, float], result: dict[str, Any]
) -> dict[str, Any]:
    """The figures of one run, from the emulator's log and the child's samples."""
    size = len(watched)
    steady = (t0 + plan.at("steady"), t0 + plan.at("steady") + plan.steady)
    faulty = (t0 + plan.at("faulty"), t0 + plan.at("recovery"))
    log = [e for e in emu.requests if e.method in ("GET", "POST")]
    times = _checks(log)
    checks = _check_rate(times, watched, *steady)
    checks_faulty = _check_rate(times, watched, *faulty)
    lags = sorted(lag for t, lag in result["lag"] if steady[0] <= t <= steady[1])
    latencies = sorted(result["events"][r] - when for r, when in deleted.items() if r in result["events"])
    threads = max(n for t, n in result["threads"]) - result["baseline_threads"]
    return {
        "checks_ratio": checks / (size / INTERVAL),
        "requests_per_second": len(_between(log, *steady)) / (steady[1] - steady[0]),
        "requests_faulty": len(_between(log, *faulty)) / (faulty[1] - faulty[0]),
        "latency_p99": _percentile(latencies, 0.99) if latencies else None,
        "events": f"{len(latencies)}/{len(deleted)}",
        "lag_p99_ms": _percentile(lags, 0.99) * 1000 if lags else float("nan"),
        "threads": threads,
        "fault_ratio": checks_faulty / checks if checks else float("nan"),
    }


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, math.ceil(share * len(values)) - 1)]


def _row(name: str, target: str, cells: list[str]) -> str:
    return f"{name:<44} {target:<12} " + " ".join(f"{c:>22}" for c in cells)


def report(size: int, results: dict[str, dict[str, Any]], plan: Plan) -> None:
    names = [CONTENDERS[c][0] for c in results]
    columns = list(results.values())
    max_requests = math.ceil(size / IDS_PER_QUERY) / INTERVAL
    print(
        f"\nN = {size} sensors, poke_interval {INTERVAL:g} s, {LATENCY * 1000:.0f} ms latency "
        f"(ideal: {size / INTERVAL:g} checks/s)"
    )
    print(_row("figure", "target", names))

    def cells(key: str, fmt: str) -> list[str]:
        return [fmt.format(c[key]) if c[key] is not None else "n/a" for c in columns]

    print(_row("checks/s achieved ÷ ideal", "≥ 0.95", cells("checks_ratio", "{:.2f}")))
    print(_row("HTTP requests/s to Attio", f"≤ {max_requests:g}", cells("requests_per_second", "{:.1f}")))
    latency = [
        f"{c['latency_p99']:.2f} s ({c['events']})" if c["latency_p99"] is not None else "n/a"
        for c in columns
    ]
    print(_row("deletion → event, p99 (events/deleted)", f"≤ {INTERVAL + 1:g} s", latency))
    print(_row("event-loop lag p99 (10 ms ticker)", "< 10 ms", cells("lag_p99_ms", "{:.1f} ms")))
    print(_row("threads added", "≤ 2", cells("threads", "{}")))
    connections = [f"{c['connections'][0]} open, {c['connections'][1]} new" for c in columns]
    print(_row("TCP connections to Attio (open / new)", "≤ 10", connections))
    faults = f"5 % 429s for {plan.faulty:g} s"
    print(_row(f"{faults}: checks/s ÷ before", "≥ 0.9", cells("fault_ratio", "{:.2f}")))
    print(_row(f"{faults}: HTTP requests/s", "", cells("requests_faulty", "{:.1f}")))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="every size and contender, full windows")
    parser.add_argument(
        "--sizes", help="numbers of sensors, comma-separated (default 1000; --full: 100,500,1000)"
    )
    parser.add_argument("--quick", action="store_true", help="shorter windows, with --full")
    parser.add_argument("--thread-baseline", action="store_true", help="also run the previous design")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sizes is None:
        args.sizes = "100,500,1000" if args.full else "1000"
    return args


def main() -> None:
    args = _arguments()
    if args.child:
        child(json.loads(args.child))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    contenders = ["attio", "bare"] + (["http"] if args.full else [])
    contenders += ["threads"] if args.thread_baseline else []
    plan = (QUICK if args.quick else FULL) if args.full else HEADLINE
    if not args.full:
        print("Headline run (--full: N = 100, 500, 1000, HttpSensorTrigger too, full windows).")

    from airflow_provider_attio.testing import AttioEmulator

    deletions = sum(math.ceil(s * 0.05) for s in sizes) * len(contenders)
    emu = AttioEmulator(token=TOKEN, seed={"people": max(sizes) + deletions + 10})
    emu._app.transports = _CountingDict()  # before start: the server's protocol records connections there
    emu.start()
    try:
        # uvicorn closes idle connections after 5 s, the poke interval itself: every keep-alive connection
        # would race its own closing. Attio doesn't document its idle timeout; load balancers keep 60 s+.
        emu._server.config.timeout_keep_alive = 75
        emu.set_latency(LATENCY)
        os.environ["BENCH_BASE_URL"] = emu.base_url
        os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = json.dumps(
            {"conn_type": "attio", "host": emu.base_url, "password": TOKEN}
        )
        os.environ["AIRFLOW_CONN_ATTIO_HTTP"] = json.dumps({"conn_type": "http", "host": emu.base_url})
        os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-sensors-"))
        os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
        pool = emu.record_ids("people")
        print(
            f"{len(contenders)} contenders x {len(sizes)} sizes, about "
            f"{len(contenders) * len(sizes) * (plan.end + 5) / 60:.0f} min; each contender runs in its own "
            "process, one at a time, against one emulator (its own process too)."
        )
        for size in sizes:
            results = {}
            for contender in contenders:
                emu.clear_log()
                results[contender] = run_one(emu, contender, size, pool, plan)
            report(size, results, plan)
    finally:
        emu.stop()
    print(
        "\nA check: Attio answering about a sensor's record (a query listing its id, or a GET of it), "
        "counted over whole poke intervals. TCP connections: the most open at once (sampled every 0.5 s) "
        "and how many the emulator accepted in the steady window. The 429s hit 5 % of all requests, as "
        "Attio's workspace-wide limit would, whichever records they were about."
    )


if __name__ == "__main__":
    main()

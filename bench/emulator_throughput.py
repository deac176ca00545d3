"""How many requests per second the Attio emulator sustains, so it is never a benchmark's bottleneck.

Starts ``python -m airflow_provider_attio.testing serve`` in a subprocess and runs client processes
(``requests.Session`` with keep-alive, like the hook) against it for a fixed time per workload. As a
baseline measured in the same run, the same client first calls a bare uvicorn app that answers ``{}``
to everything: the least any uvicorn server can cost. For each workload it prints the requests/s
achieved, the ratio to the baseline, and the server's CPU time per request (Linux /proc), whose
inverse is the server's own ceiling on one core, whatever the clients manage.

By default (``make bench``) each workload runs for 2 s; ``--full`` (``make bench-full``) for 5 s.

    python bench/emulator_throughput.py [--full] [--seconds 5] [--clients 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

TOKEN = "bench-token"
SEEDED_PEOPLE = 2000
WORKLOADS = ("get_record", "get_404", "create+delete", "query_10")


def _client(base_url: str, workload: str, seconds: float, results: multiprocessing.Queue[int]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    people = f"{base_url}/v2/objects/people/records"
    ids = []
    if workload != "baseline":
        ids = [
            r["id"]["record_id"] for r in session.post(f"{people}/query", json={"limit": 500}).json()["data"]
        ]

    def baseline(n: int) -> None:
        session.get(f"{people}/{uuid.uuid4()}").raise_for_status()

    def get_record(n: int) -> None:
        session.get(f"{people}/{ids[n % len(ids)]}").raise_for_status()

    def get_missing(n: int) -> None:
        assert session.get(f"{people}/{uuid.uuid4()}").status_code == 404

    def create_delete(n: int) -> None:
        created = session.post(people, json={"data": {"values": {"name": f"Bench {n}"}}})
        session.delete(f"{people}/{created.json()['data']['id']['record_id']}").raise_for_status()

    def query_page(n: int) -> None:
        session.post(f"{people}/query", json={"limit": 10, "offset": n % 100}).raise_for_status()

    calls: dict[str, tuple[Callable[[int], None], int]] = {
        "baseline": (baseline, 1),
        "get_record": (get_record, 1),
        "get_404": (get_missing, 1),
        "create+delete": (create_delete, 2),
        "query_10": (query_page, 1),
    }
    call, requests_per_call = calls[workload]
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        call(done)
        done += 1
    results.put(done * requests_per_call)


async def _bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await receive()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


def _run_bare_server() -> None:
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(f"Bare uvicorn serving at http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(_bare_app, lifespan="off", log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _start(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if "serving at" not in line:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    time.sleep(0.3)  # the bare server prints before it listens
    return process, line.split(" at ")[1].strip()


def _cpu_seconds(pid: int) -> float | None:
    """Return the user + system CPU time of a process, or None where /proc doesn't exist."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(server: subprocess.Popen[str], base_url: str, workload: str, args: argparse.Namespace) -> float:
    results: multiprocessing.Queue[int] = multiprocessing.Queue()
    clients = [
        multiprocessing.Process(target=_client, args=(base_url, workload, args.seconds, results))
        for _ in range(args.clients)
    ]
    cpu_before = _cpu_seconds(server.pid)
    for client in clients:
        client.start()
    total = sum(results.get(timeout=args.seconds + 60) for _ in clients)
    for client in clients:
        client.join()
    cpu_after = _cpu_seconds(server.pid)
    rate = total / args.seconds
    line = f"  {workload:<14} {rate:7.0f} requests/s"
    if args.baseline_rate:
        line += f"  ({rate / args.baseline_rate:4.2f} x baseline)"
    if cpu_before is not None and cpu_after is not None and total:
        per_request = (cpu_after - cpu_before) / total  # includes the clients' setup query: an overestimate
        line += f"   server CPU {per_request * 1e6:5.0f} us/request (ceiling ~{1 / per_request:,.0f}/s)"
    print(line, flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="5 s per workload (default: 2 s)")
    parser.add_argument("--seconds", type=float, help="duration of each workload (default 2; --full: 5)")
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 5.0 if args.full else 2.0
    if args.bare_server:
        _run_bare_server()
        return
    print(f"{args.clients} client process(es), {args.seconds:g} s per workload")
    args.baseline_rate = None
    bare, bare_url = _start([sys.executable, __file__, "--bare-server"])
    try:
        args.baseline_rate = _measure(bare, bare_url, "baseline", args)
    finally:
        bare.terminate()
        bare.wait(timeout=20)
    serve = [sys.executable, "-m", "airflow_provider_attio.testing", "serve", "--port", "0"]
    emulator, url = _start([*serve, "--token", TOKEN, "--seed", f"people={SEEDED_PEOPLE}"])
    try:
        for workload in WORKLOADS:
            _measure(emulator, url, workload, args)
    finally:
        emulator.terminate()
        emulator.wait(timeout=20)


if __name__ == "__main__":
    main()

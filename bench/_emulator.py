"""The emulator as a ``serve`` subprocess, for benchmarks: the server never shares the client's GIL.

:func:`served_emulator` runs ``python -m airflow_provider_attio.testing serve``; :func:`served_list` runs this
file, which seeds what ``serve`` can't (a list and its entries) through the emulator's Python helpers.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests

TOKEN = "bench-token-7d1f"


@contextmanager
def served_emulator(
    seed: Mapping[str, int],
    *,
    writes_per_second: float | None = None,
    reads_per_second: float | None = None,
    latency: float = 0.0,
    rate_limit_model: str | None = None,
) -> Iterator[str]:
    """Start ``python -m airflow_provider_attio.testing serve`` on a free port; yield its base URL."""
    command = [
        sys.executable,
        "-m",
        "airflow_provider_attio.testing",
        "serve",
        "--port",
        "0",
        "--token",
        TOKEN,
    ]
    for object_ref, count in seed.items():
        command += ["--seed", f"{object_ref}={count}"]
    if writes_per_second is not None:
        command += ["--writes-per-second", str(writes_per_second)]
    if reads_per_second is not None:
        command += ["--reads-per-second", str(reads_per_second)]
    if latency:
        command += ["--latency", str(latency)]
    if rate_limit_model is not None:
        command += ["--rate-limit-model", rate_limit_model]
    with _served(command) as base_url:
        yield base_url


@contextmanager
def _served(command: list[str]) -> Iterator[str]:
    """Run ``command`` until the block ends; yield the base URL from its ``serving at URL`` line."""
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"serving at (\S+)", line)
        if not match:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        yield match.group(1)
    finally:
        server.terminate()
        server.communicate(timeout=30)


#: The list :func:`served_list` creates (of people).
LIST = "bench_list"


@contextmanager
def served_list(
    entries: int,
    *,
    others: int = 0,
    writes_per_second: float | None = None,
    reads_per_second: float | None = None,
    latency: float = 0.0,
    rate_limit_model: str = "token_bucket",
    request_log: str | None = None,
) -> Iterator[str]:
    """An emulator in its own process with ``entries + others`` people, each on the list :data:`LIST`
    (the first ``entries`` are what a benchmark targets, by :func:`list_entries` order); yield its URL.

    :param request_log: write every request to this file, one JSON line each (the emulator's log).
    """
    config = {
        "people": entries + others,
        "writes_per_second": writes_per_second,
        "reads_per_second": reads_per_second,
        "latency": latency,
        "rate_limit_model": rate_limit_model,
        "request_log": request_log,
    }
    with _served([sys.executable, __file__, "--serve-list", json.dumps(config)]) as base_url:
        yield base_url


def _serve_list(config: dict[str, Any]) -> None:
    """The child of :func:`served_list`: seed, serve, stop on SIGTERM."""
    from airflow_provider_attio.testing import AttioEmulator

    emulator = AttioEmulator(
        token=TOKEN,
        reads_per_second=config["reads_per_second"],
        writes_per_second=config["writes_per_second"],
        rate_limit_model=config["rate_limit_model"],
        max_log_entries=0,  # the log goes to the request log file, if any
        request_log_file=config["request_log"],
    )
    emulator.add_list(LIST, parent_object="people")
    for person in emulator.seed("people", config["people"]):
        emulator.add_list_entry(LIST, person["id"]["record_id"])
    if config["latency"]:
        emulator.set_latency(config["latency"])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    with emulator:
        print(f"Attio emulator serving at {emulator.base_url}", flush=True)
        while not stop.wait(0.5):
            pass


def list_entries(base_url: str) -> list[tuple[str, str]]:
    """Every entry of :data:`LIST` as ``(entry_id, parent_record_id)``, read with plain ``requests``."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    entries: list[tuple[str, str]] = []
    while True:
        body = {"limit": 500, "offset": len(entries)}
        page = session.post(f"{base_url}/v2/lists/{LIST}/entries/query", json=body, timeout=30)
        page.raise_for_status()
        data = page.json()["data"]
        entries += [(e["id"]["entry_id"], e["parent_record_id"]) for e in data]
        if len(data) < 500:
            return entries


def request_log(path: str) -> list[dict[str, Any]]:
    """The emulator's request log file: one dict per request (``method``, ``path``, ``status``...)."""
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def record_ids(base_url: str, object: str = "people") -> list[str]:
    """Every record id of ``object``, read with plain ``requests`` (not part of what is measured)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    ids: list[str] = []
    while True:
        body = {"limit": 500, "offset": len(ids)}
        page = session.post(f"{base_url}/v2/objects/{object}/records/query", json=body, timeout=30)
        page.raise_for_status()
        data = page.json()["data"]
        ids += [r["id"]["record_id"] for r in data]
        if len(data) < 500:
            return ids


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-list":
        _serve_list(json.loads(sys.argv[2]))

"""The emulator as a ``serve`` subprocess, for benchmarks: the server never shares the client's GIL."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

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

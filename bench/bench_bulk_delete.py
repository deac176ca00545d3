"""Bulk delete throughput: ``delete_records`` against Attio's write limit and a naive loop.

Attio allows 25 writes/s per workspace, and there is no bulk endpoint: deleting N records is N DELETEs.
This starts the emulator as a ``serve`` subprocess (so the server doesn't share the client's GIL)
enforcing 25 writes/s, and deletes the same number of records two ways, each against a fresh server:

* **naive**: a sequential ``requests`` loop, one DELETE after the other, that sleeps until
  ``Retry-After`` whenever it gets a 429 (what a careful hand-written loop does);
* **engine**: ``AttioHook().delete_records(...)`` with its defaults (paced at 25/s, 8 workers).

It does so with no added latency (loopback: only the rate limit matters) and with a per-request latency
like a real round trip to Attio, where a sequential loop can't reach the limit. It prints deletes/s as
a ratio to Attio's limit and to the naive loop, and how many 429s each got.

    python bench/bench_bulk_delete.py [--records 500] [--latency-ms 0,100]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from _emulator import TOKEN, record_ids, served_emulator  # bench/ is the script's folder, on sys.path

from airflow_provider_attio.hooks.attio import retry_after_seconds

ATTIO_WRITE_LIMIT = 25.0


@dataclass
class Result:
    contender: str
    latency_ms: int
    records: int
    seconds: float
    rate_limited: int

    @property
    def rate(self) -> float:
        return self.records / self.seconds


@contextmanager
def emulator(records: int, latency_ms: int) -> Iterator[str]:
    """A fresh emulator subprocess enforcing Attio's write limit, with ``records`` people seeded."""
    with served_emulator(
        {"people": records},
        writes_per_second=ATTIO_WRITE_LIMIT,
        reads_per_second=100,
        latency=latency_ms / 1000,
    ) as base_url:
        yield base_url


def naive(base_url: str, ids: list[str], latency_ms: int) -> Result:
    """Sequential DELETEs; on 429 sleep until Retry-After and send again."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    rate_limited = 0
    started = time.monotonic()
    for record_id in ids:
        while True:
            response = session.delete(f"{base_url}/v2/objects/people/records/{record_id}", timeout=30)
            if response.status_code != 429:
                response.raise_for_status()
                break
            rate_limited += 1
            time.sleep(retry_after_seconds(response.headers.get("Retry-After")) or 1.0)
    return Result(
        "naive loop (sequential, waits Retry-After)",
        latency_ms,
        len(ids),
        time.monotonic() - started,
        rate_limited,
    )


def engine(base_url: str, ids: list[str], latency_ms: int) -> Result:
    """``AttioHook().delete_records`` with its defaults."""
    from airflow_provider_attio.hooks.attio import AttioHook

    os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = json.dumps(
        {"conn_type": "attio", "host": base_url, "password": TOKEN}
    )
    hook = AttioHook()
    rate_limited = 0

    def count_429(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        nonlocal rate_limited
        rate_limited += response.status_code == 429

    hook.get_conn().hooks["response"].append(count_429)
    started = time.monotonic()
    quiet = logging.getLogger("bench.engine")
    quiet.setLevel(logging.WARNING)
    summary = hook.delete_records("people", record_ids=ids, log=quiet)
    elapsed = time.monotonic() - started
    assert summary["deleted"] == len(ids), summary
    hook.close()
    return Result("delete_records (defaults: 25/s, 8 workers)", latency_ms, len(ids), elapsed, rate_limited)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500, help="records deleted per run (default 500)")
    parser.add_argument(
        "--latency-ms", default="0,100", help="comma-separated per-request latencies (default 0,100)"
    )
    args = parser.parse_args()
    latencies = [int(x) for x in args.latency_ms.split(",")]
    print(
        f"Deleting {args.records} records per run; emulator in a subprocess limited to "
        f"{ATTIO_WRITE_LIMIT:g} writes/s (Attio's limit), a fresh one per run."
    )
    header = (
        f"{'latency':>8}  {'contender':<44} {'deletes/s':>9}  {'vs 25/s':>7}  {'vs naive':>8}  {'429s':>5}"
    )
    print(header)
    print("-" * len(header))
    for latency_ms in latencies:
        results = []
        for contender in (naive, engine):
            with emulator(args.records, latency_ms) as base_url:
                ids = record_ids(base_url)[: args.records]
                results.append(contender(base_url, ids, latency_ms))
        baseline = results[0].rate
        for result in results:
            print(
                f"{latency_ms:>6}ms  {result.contender:<44} {result.rate:>9.1f}  "
                f"{result.rate / ATTIO_WRITE_LIMIT:>6.2f}x  {result.rate / baseline:>7.2f}x  "
                f"{result.rate_limited:>5}"
            )
    print(
        "\nvs 25/s: share of Attio's write budget used (1.00x = the most any client can get); "
        "vs naive: speed-up over the sequential loop measured in the same run."
    )


if __name__ == "__main__":
    main()

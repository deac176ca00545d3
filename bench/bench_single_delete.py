"""Cost of one delete: ``AttioHook.delete_record`` against raw ``requests`` and Airflow's ``HttpHook``.

What a data engineer would otherwise write: a ``requests`` loop (the floor: one keep-alive session, no
checks) or Airflow's ``HttpHook``/``HttpOperator`` (a new session, so a new TCP connection, per call). The
emulator runs as a ``serve`` subprocess with no rate limit, so only client-side cost and round trips
count. Each contender deletes its own share of the seeded records, sequentially, interleaved in rounds
so machine noise hits all of them alike. Prints ms per delete and the ratio to raw ``requests``.

It takes seconds, so ``make bench`` and ``--full`` (``make bench-full``) run the same rows.

    python bench/bench_single_delete.py [--full] [--records 150] [--rounds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import requests
from _emulator import TOKEN, record_ids, served_emulator  # bench/ is the script's folder, on sys.path

Contender = Callable[[str, list[str]], None]


def raw_requests(base_url: str, ids: list[str]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    for record_id in ids:
        session.delete(f"{base_url}/v2/objects/people/records/{record_id}", timeout=30).raise_for_status()


def http_hook(base_url: str, ids: list[str]) -> None:
    from airflow.providers.http.hooks.http import HttpHook

    os.environ["AIRFLOW_CONN_ATTIO_HTTP"] = json.dumps(
        {"conn_type": "http", "host": base_url, "extra": {"Authorization": f"Bearer {TOKEN}"}}
    )
    hook = HttpHook(method="DELETE", http_conn_id="attio_http")
    for record_id in ids:
        hook.run(f"v2/objects/people/records/{record_id}")


def attio_hook(base_url: str, ids: list[str]) -> None:
    from airflow_provider_attio.hooks.attio import AttioHook

    os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = json.dumps(
        {"conn_type": "attio", "host": base_url, "password": TOKEN}
    )
    hook = AttioHook()
    for record_id in ids:
        assert hook.delete_record("people", record_id) == "deleted"


CONTENDERS: dict[str, Contender] = {
    "raw requests.Session (baseline)": raw_requests,
    "Airflow HttpHook.run": http_hook,
    "AttioHook.delete_record": attio_hook,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="accepted for python -m bench; no change")
    parser.add_argument("--records", type=int, default=150, help="deletes per contender per round")
    parser.add_argument("--rounds", type=int, default=8, help="more, shorter rounds: steadier medians")
    args = parser.parse_args()
    per_round = args.records * len(CONTENDERS)
    timings: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    with served_emulator({"people": per_round * args.rounds}) as base_url:
        ids = record_ids(base_url)
        for round_number in range(args.rounds):
            chunk = ids[round_number * per_round : (round_number + 1) * per_round]
            for index, (name, contender) in enumerate(CONTENDERS.items()):
                share = chunk[index * args.records : (index + 1) * args.records]
                started = time.perf_counter()
                contender(base_url, share)
                timings[name].append((time.perf_counter() - started) / len(share) * 1000)
    baseline = statistics.median(timings["raw requests.Session (baseline)"])
    print(f"{args.records} sequential deletes per contender, {args.rounds} rounds; median ms per delete.")
    print(f"{'contender':<34} {'ms/delete':>9}  {'vs raw requests':>15}")
    for name, values in timings.items():
        ms = statistics.median(values)
        print(f"{name:<34} {ms:>9.2f}  {ms / baseline:>14.2f}x")
    print(
        "\n(> 1.00x is slower than the bare loop; the emulator answers on loopback, so this is client cost.)"
    )


if __name__ == "__main__":
    main()

"""Syncs at scale (issue 12): resolving keys in batched queries, and a mirror at Attio's write budget.

The emulator runs as a ``serve`` subprocess (so the server doesn't share the client's GIL), enforcing
Attio's 100 reads/s and W = 25 writes/s.

* **Resolving 10,000 keys** (delete by key, a dry run): 2,000 of the keys are emails of seeded people,
  8,000 match nothing. Printed: queries sent ÷ ceil(10,000 / values per query), target 1.0 (every query
  is a full batch; no per-key lookups, no extra page).
* **Resolve + mirror of 2,000 deletions at W = 25:** 4,000 people in scope, ``keep_values`` holds the
  emails of 2,000 of them; the run reads the scope, plans, and deletes the other 2,000 at the engine's
  default pace. Printed: records deleted per second over the whole run (the scope read included) ÷ W,
  target ≥ 0.9, and the share of 429 answers.

By default (``make bench``) the mirror deletes 500 of 1,000 people (about 25 s); ``--full``
(``make bench-full``) the 2,000 of 4,000 above (about 90 s). Resolving takes seconds either way.

    python bench/bench_sync.py [--full] [--keys 10000] [--deletions 2000]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from typing import Any

import requests
from _emulator import TOKEN, served_emulator  # bench/ is the script's folder, on sys.path

ATTIO_WRITE_LIMIT = 25
ATTIO_READ_LIMIT = 100
QUERY_TARGET, MIRROR_TARGET = 1.0, 0.9


def _hook(base_url: str) -> tuple[Any, dict[str, int]]:
    """An AttioHook on the emulator, and counters of its requests (every attempt), queries and 429s."""
    from airflow_provider_attio.hooks.attio import AttioHook

    os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = json.dumps(
        {"conn_type": "attio", "host": base_url, "password": TOKEN}
    )
    hook = AttioHook()
    counts = {"requests": 0, "queries": 0, "429": 0}

    def count(response: Any, *args: Any, **kwargs: Any) -> None:
        counts["requests"] += 1
        counts["queries"] += response.request.url.endswith("/records/query")
        counts["429"] += response.status_code == 429

    hook.get_conn().hooks["response"].append(count)
    return hook, counts


def _emails(base_url: str) -> list[str]:
    """Every person's email, read with plain ``requests`` (not part of what is measured)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    emails: list[str] = []
    offset = 0
    while True:
        body = {"limit": 500, "offset": offset}
        page = session.post(f"{base_url}/v2/objects/people/records/query", json=body, timeout=30)
        page.raise_for_status()
        data = page.json()["data"]
        emails += [r["values"]["email_addresses"][0]["email_address"] for r in data]
        offset += len(data)
        if len(data) < 500:
            return emails


def resolve_keys(keys: int) -> bool:
    from airflow_provider_attio.sync import KEYS_PER_QUERY

    matched = min(2000, keys)
    with served_emulator(
        {"people": matched}, reads_per_second=ATTIO_READ_LIMIT, writes_per_second=ATTIO_WRITE_LIMIT
    ) as url:
        values = _emails(url) + [f"nobody{n}@bench.example.invalid" for n in range(keys - matched)]
        hook, counts = _hook(url)
        quiet = logging.getLogger("bench.quiet")
        quiet.setLevel(logging.WARNING)
        started = time.monotonic()
        summary = hook.delete_records(
            "people",
            match_attribute="email_addresses",
            match_values=values,
            dry_run=True,
            max_records=keys,
            log=quiet,
        )
        elapsed = time.monotonic() - started
    ideal = math.ceil(keys / KEYS_PER_QUERY)
    ratio = counts["queries"] / ideal
    sync = summary["sync"]
    ok = ratio <= QUERY_TARGET and sync["matched_keys"] == matched and summary["requested"] == matched
    print(
        f"resolve {keys:,} keys ({matched:,} match): {counts['queries']} queries ÷ ceil({keys:,} / "
        f"{KEYS_PER_QUERY}) = {ideal} -> {ratio:.2f} (target {QUERY_TARGET:.1f}), {counts['429']} 429s, "
        f"{elapsed:.1f}s; {sync['matched_keys']:,} keys matched, {sync['unmatched_keys']:,} unmatched "
        f"{'ok' if ok else 'MISSED'}",
        flush=True,
    )
    return ok


def mirror(deletions: int) -> bool:
    scope = 2 * deletions
    with served_emulator(
        {"people": scope}, reads_per_second=ATTIO_READ_LIMIT, writes_per_second=ATTIO_WRITE_LIMIT
    ) as url:
        keep = _emails(url)[deletions:]
        hook, counts = _hook(url)
        quiet = logging.getLogger("bench.quiet")
        quiet.setLevel(logging.WARNING)
        started = time.monotonic()
        summary = hook.delete_records(
            "people",
            filter={},
            allow_delete_all=True,
            keep_attribute="email_addresses",
            keep_values=keep,
            max_delete_fraction=0.5,
            log=quiet,
        )
        elapsed = time.monotonic() - started
        hook.close()
    rate = summary["deleted"] / elapsed
    ratio = rate / ATTIO_WRITE_LIMIT
    share = counts["429"] / max(1, counts["requests"])
    ok = ratio >= MIRROR_TARGET and summary["deleted"] == deletions
    print(
        f"resolve + mirror of {deletions:,} deletions ({scope:,} in scope) at W = {ATTIO_WRITE_LIMIT}: "
        f"{summary['deleted']:,} deleted in {elapsed:.1f}s = {rate:.1f} records/s -> {ratio:.2f} of W "
        f"(target ≥ {MIRROR_TARGET}), {counts['queries']} queries, 429s {share:.1%} of "
        f"{counts['requests']:,} requests {'ok' if ok else 'MISSED'}",
        flush=True,
    )
    return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="2,000 deletions (default: 500)")
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--deletions", type=int, help="mirror deletions (default 500; --full: 2,000)")
    args = parser.parse_args(argv)
    if args.deletions is None:
        args.deletions = 2_000 if args.full else 500
    logging.basicConfig(level=logging.WARNING)
    ok = resolve_keys(args.keys)
    ok &= mirror(args.deletions)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

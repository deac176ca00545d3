"""List entries at scale (issue 22): deleting entries at Attio's write budget, finding them by parent record.

The emulator runs in its own process (so the server doesn't share the client's GIL), a fresh one per row,
with a list of people, each on it once (``_emulator.served_list``), and writes every request to its
request log file, which the rows count from.

* **Finding the entries of 1,000 parent records** (``parent_object`` + ``parent_record_ids``, a dry run):
  1,000 people on the list are the parents, 200 more are on it too. Printed: entries queries sent (from
  the emulator's log) ÷ ceil(1,000 / ids per query), target 1.0: one ``$in`` query per 250 parents, no
  per-record lookups, no extra page. A query per record, the way without it, would send 1,000.
* **Deleting N entries at W = 25** (``entry_ids``, the engine's defaults: 25 writes/s, 8 workers) against
  the emulator's limiter, with 100 ms added to every answer. Printed: entries/s ÷ W (target ≥ 0.95; under
  a sliding window ≥ 0.90, as for records), 429 answers ÷ DELETEs, and a **naive loop** as the baseline,
  measured in the same run: ``delete_list_entry`` in a ``for`` loop on 40 more entries (round-trip bound).

By default (``make bench``) the delete row deletes 500 entries under a token bucket (about 30 s in all);
``--full`` (``make bench-full``) deletes 1,000 under each limiter model (about 2.5 minutes).

    python bench/bench_list_entries.py [--full] [--parents 1000] [--entries 500]
        [--models token_bucket,fixed_window,sliding_window]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _emulator import LIST, TOKEN, list_entries, request_log, served_list  # bench/ is on sys.path

ATTIO_WRITE_LIMIT = 25
ATTIO_READ_LIMIT = 100
LATENCY_MS = 100
NAIVE_SAMPLE = 40
OTHER_PARENTS = 200
QUERY_TARGET = 1.0
TARGETS = {"token_bucket": 0.95, "fixed_window": 0.95, "sliding_window": 0.90}
MAX_429_SHARE = 0.02
QUERY_PATH = f"/v2/lists/{LIST}/entries/query"


def _hook(base_url: str) -> Any:
    from airflow_provider_attio.hooks.attio import AttioHook

    os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = json.dumps(
        {"conn_type": "attio", "host": base_url, "password": TOKEN}
    )
    hook: Any = AttioHook()
    quiet = logging.getLogger("bench.hook")
    quiet.setLevel(logging.ERROR)
    hook._log = quiet  # the naive loop's retry warnings would drown the table
    return hook


def _quiet() -> logging.Logger:
    log = logging.getLogger("bench.quiet")
    log.setLevel(logging.WARNING)
    return log


def find_by_parents(parents: int, folder: Path) -> bool:
    from airflow_provider_attio import bulk
    from airflow_provider_attio.core import IDS_PER_QUERY
    from airflow_provider_attio.entries import check_entries_job
    from airflow_provider_attio.options import BulkDeleteOptions

    log_file = str(folder / "find.jsonl")
    with served_list(
        parents,
        others=OTHER_PARENTS,
        reads_per_second=ATTIO_READ_LIMIT,
        writes_per_second=ATTIO_WRITE_LIMIT,
        request_log=log_file,
    ) as url:
        entries = list_entries(url)[:parents]
        hook = _hook(url)
        job = check_entries_job(
            LIST,
            parent_object="people",
            parent_record_ids=[parent for _, parent in entries],
            options=BulkDeleteOptions(dry_run=True, max_records=parents),
        )
        before = len(request_log(log_file))  # the listing above is not measured
        started = time.monotonic()
        summary = bulk.delete_records(hook, job, _quiet())
        elapsed = time.monotonic() - started
        hook.close()
        sent = request_log(log_file)[before:]
    queries = sum(r["method"] == "POST" and r["path"] == QUERY_PATH for r in sent)
    ideal = math.ceil(parents / IDS_PER_QUERY)
    ratio = queries / ideal
    ok = ratio <= QUERY_TARGET and summary["requested"] == parents and summary["deleted"] == 0
    print(
        f"find the entries of {parents:,} parent records ({OTHER_PARENTS} other entries on the list): "
        f"{queries} queries ÷ ceil({parents:,} / {IDS_PER_QUERY}) = {ideal} -> {ratio:.2f} (target "
        f"{QUERY_TARGET:.1f}; a query per record: {parents:,}), {len(sent)} requests in all, "
        f"{summary['requested']:,} entries found in {elapsed:.1f}s {'ok' if ok else 'MISSED'}",
        flush=True,
    )
    return ok


def delete_entries(count: int, model: str, folder: Path) -> bool:
    from airflow_provider_attio import bulk
    from airflow_provider_attio.entries import check_entries_job
    from airflow_provider_attio.options import BulkDeleteOptions

    log_file = str(folder / f"delete-{model}.jsonl")
    with served_list(
        count + NAIVE_SAMPLE,
        reads_per_second=ATTIO_READ_LIMIT * 10,  # only the writes are measured
        writes_per_second=ATTIO_WRITE_LIMIT,
        latency=LATENCY_MS / 1000,
        rate_limit_model=model,
        request_log=log_file,
    ) as url:
        ids = [entry for entry, _ in list_entries(url)]
        hook = _hook(url)
        job = check_entries_job(LIST, entry_ids=ids[:count], options=BulkDeleteOptions(max_records=count))
        started = time.monotonic()
        summary = bulk.delete_records(hook, job, _quiet())
        engine_rate = summary["deleted"] / (time.monotonic() - started)
        time.sleep(1.5)  # let the limiter's window and bucket recover before the loop
        started = time.monotonic()
        for entry_id in ids[count:]:
            hook.delete_list_entry(LIST, entry_id)
        naive_rate = NAIVE_SAMPLE / (time.monotonic() - started)
        hook.close()
        left = len(list_entries(url))
        deletes = [r for r in request_log(log_file) if r["method"] == "DELETE"]
    targets = set(ids[:count])
    engine_deletes = [r for r in deletes if r["path"].rsplit("/", 1)[1] in targets]
    limited = sum(r["status"] == 429 for r in engine_deletes)
    ratio, share = engine_rate / ATTIO_WRITE_LIMIT, limited / len(engine_deletes)
    ok = ratio >= TARGETS[model] and share <= MAX_429_SHARE and summary["deleted"] == count and left == 0
    print(
        f"delete {count:,} entries, {model}, W = {ATTIO_WRITE_LIMIT}, {LATENCY_MS} ms: "
        f"{engine_rate:.1f} entries/s -> {ratio:.2f} of W (target ≥ {TARGETS[model]:.2f}), 429s "
        f"{limited}/{len(engine_deletes)} = {share:.1%} (≤ {MAX_429_SHARE:.0%}); naive loop "
        f"{naive_rate / ATTIO_WRITE_LIMIT:.2f} of W -> {engine_rate / naive_rate:.2f}x "
        f"{'ok' if ok else 'MISSED'}",
        flush=True,
    )
    return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="1,000 entries under every model")
    parser.add_argument("--parents", type=int, default=1_000, help="parent records to find entries of")
    parser.add_argument("--entries", type=int, help="entries to delete (default 500; --full: 1,000)")
    parser.add_argument("--models", help="limiter models (default token_bucket; --full: all three)")
    args = parser.parse_args(argv)
    entries = args.entries or (1_000 if args.full else 500)
    models = (args.models or (",".join(TARGETS) if args.full else "token_bucket")).split(",")
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-entries-") as folder:
        ok = find_by_parents(args.parents, Path(folder))
        for model in models:
            ok &= delete_entries(entries, model, Path(folder))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

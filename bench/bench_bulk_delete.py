"""Bulk delete throughput against Attio's write budget, whatever its limiter looks like.

Attio allows W = 25 writes/s per workspace and doesn't document how it counts them; there is no bulk
endpoint (deleting N records is N DELETEs). The emulator runs as a ``serve`` subprocess (so the server
doesn't share the client's GIL), a fresh one per row, enforcing W under each of its limiter models:
``token_bucket``, ``fixed_window`` (a budget per clock second) and ``sliding_window`` (strictly at most W
in any one-second span).

* **Single runs:** ``AttioHook().delete_records(..., writes_per_second=W)`` for W = 25 and 100, with 0 and
  100 ms added to every answer. Printed: records/s ÷ W, 429 answers ÷ requests, the pace the engine
  settled on, and a **naive loop** as the baseline: sequential ``delete_record`` calls, the hook waiting
  out each 429 (what a hand-written ``for`` loop gets), on as many records as the engine at 0 ms (a
  token bucket's or a fresh window's first burst flatters a short loop: it can beat W) and a 40-record
  sample at 100 ms, where it is bound by the round trip (about 9/s). W = 100 runs use enough workers to
  keep W requests a second in flight over the latency.
* **Concurrent runs:** 2 and 3 bulk runs at once against one W = 25 workspace, each in its own process
  (like a mapped task or parallel DAGs), each with default settings (its own 25 writes/s, 8 workers) and
  no pool. Printed: combined records/s ÷ W, min/max of the runs' rates, 429s ÷ requests, and whether
  every record was deleted exactly once. Which run gets a 429 is luck, so one trial varies by several
  % from the next: each row runs 3 trials (``--trials``), prints each, and is judged by their median.

Targets (issue 10): ≥ 0.95 (token bucket, fixed window) and ≥ 0.90 (sliding window) of W, ≤ 2 % 429s;
concurrent: combined ≥ 0.90 of W, min/max ≥ 0.7.

By default (``make bench``) only the headline rows run, in about a minute: the sliding window (the
strictest model with a target), a single run at W = 25 with 100 ms of latency (against the naive loop),
and 2 concurrent runs, one trial. ``--full`` (``make bench-full``, about 20 minutes) runs the complete
tables: every model, W = 25 and 100, 0 and 100 ms, 2 and 3 concurrent runs, 3 trials each. Options given
explicitly override either set.

    python bench/bench_bulk_delete.py [--full] [--models token_bucket,fixed_window,sliding_window,sliding_log]
        [--limits 25,100] [--latency-ms 0,100] [--seconds 12] [--runs 2,3] [--concurrent-records 300]
        [--trials 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _emulator import TOKEN, record_ids, served_emulator  # bench/ is the script's folder, on sys.path

MODELS = ("token_bucket", "fixed_window", "sliding_window")
ATTIO_WRITE_LIMIT = 25
DEFAULT_WORKERS = 8
#: The targets of issue 10: records/s ÷ W per model, and the share of 429 answers.
TARGETS = {"token_bucket": 0.95, "fixed_window": 0.95, "sliding_window": 0.90}
#: The issue set none for sliding_log (added later: refused requests count too); it's held to the
#: sliding window's.
TARGETS["sliding_log"] = TARGETS["sliding_window"]
MAX_429_SHARE = 0.02
CONCURRENT_TARGET, FAIRNESS_TARGET = 0.90, 0.7
NAIVE_SAMPLE_AT_LATENCY = 40
#: The rows of ``make bench`` and of ``--full``, for the options not given on the command line.
HEADLINE = {
    "models": "sliding_window",
    "limits": "25",
    "latency_ms": "100",
    "runs": "2",
    "trials": 1,
}
FULL = {"models": ",".join(MODELS), "limits": "25,100", "latency_ms": "0,100", "runs": "2,3", "trials": 3}


@dataclass
class Measured:
    """One bulk run (or naive loop), timed by the client."""

    records: int
    started: float
    finished: float
    requests: int
    rate_limited: int
    not_found: int
    settled: float | None = None

    @property
    def rate(self) -> float:
        return self.records / (self.finished - self.started)

    @classmethod
    def from_json(cls, text: str) -> Measured:
        return cls(**json.loads(text))


def _hook(base_url: str) -> tuple[Any, dict[str, int]]:
    """An AttioHook on the emulator, and counters of its answers by status (every attempt)."""
    from airflow_provider_attio.hooks.attio import AttioHook

    os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = json.dumps(
        {"conn_type": "attio", "host": base_url, "password": TOKEN}
    )
    hook = AttioHook()
    quiet = logging.getLogger("bench.hook")
    quiet.setLevel(logging.ERROR)
    hook._log = quiet  # the naive loop's retry warnings would drown the table
    counts = {"requests": 0, "429": 0, "404": 0}

    def count(response: Any, *args: Any, **kwargs: Any) -> None:
        counts["requests"] += 1
        counts["429"] += response.status_code == 429
        counts["404"] += response.status_code == 404

    hook.get_conn().hooks["response"].append(count)
    return hook, counts


def engine(base_url: str, ids: list[str], writes_per_second: float, workers: int) -> Measured:
    """``AttioHook().delete_records`` at ``writes_per_second`` with ``workers`` workers."""
    hook, counts = _hook(base_url)
    quiet = logging.getLogger("bench.engine")
    quiet.setLevel(logging.WARNING)
    started = time.monotonic()
    summary = hook.delete_records(
        "people", record_ids=ids, writes_per_second=writes_per_second, max_concurrency=workers, log=quiet
    )
    finished = time.monotonic()
    hook.close()
    assert summary["deleted"] == len(ids), summary
    settled = summary.get("final_writes_per_second")  # type: ignore[misc]
    return Measured(len(ids), started, finished, counts["requests"], counts["429"], counts["404"], settled)


def naive(base_url: str, ids: list[str]) -> Measured:
    """A ``for`` loop over ``delete_record``: one at a time, the hook waiting out each 429."""
    hook, counts = _hook(base_url)
    started = time.monotonic()
    for record_id in ids:
        hook.delete_record("people", record_id)
    finished = time.monotonic()
    hook.close()
    return Measured(len(ids), started, finished, counts["requests"], counts["429"], counts["404"])


def _workers(writes_per_second: float, latency_ms: int) -> int:
    """The default 8 workers, or enough to keep W requests a second in flight over the latency."""
    return min(32, max(DEFAULT_WORKERS, math.ceil(writes_per_second * (latency_ms / 1000 + 0.05) * 1.5)))


def single_runs(args: argparse.Namespace) -> list[bool]:
    print(
        f"Single bulk runs: engine at writes_per_second=W, {args.seconds:g} s worth of records (W x "
        f"{args.seconds:g}); naive loop: as many at 0 ms, {NAIVE_SAMPLE_AT_LATENCY} records at 100 ms "
        "(round-trip bound). Fresh emulator per row."
    )
    header = (
        f"{'limiter':<15} {'W':>4} {'latency':>7} {'workers':>7} {'records':>7}  {'engine ÷ W':>10}  "
        f"{'429s / requests':>18}  {'settled w/s':>11}  {'naive ÷ W':>9}  {'vs naive':>8}  target"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for model in args.models:
        for limit in args.limits:
            for latency_ms in args.latency_ms:
                count = int(limit * args.seconds)
                naive_count = count if latency_ms == 0 else NAIVE_SAMPLE_AT_LATENCY
                workers = _workers(limit, latency_ms)
                with served_emulator(
                    {"people": count + naive_count},
                    writes_per_second=limit,
                    reads_per_second=1000,
                    latency=latency_ms / 1000,
                    rate_limit_model=model,
                ) as base_url:
                    ids = record_ids(base_url)
                    bulk = engine(base_url, ids[:count], limit, workers)
                    time.sleep(1.5)  # let the limiter's window and bucket recover before the loop
                    loop = naive(base_url, ids[count : count + naive_count])
                ratio, share = bulk.rate / limit, bulk.rate_limited / bulk.requests
                ok = ratio >= TARGETS[model] and share <= MAX_429_SHARE
                verdicts.append(ok)
                settled = f"{bulk.settled:.1f}" if bulk.settled is not None else "-"
                print(
                    f"{model:<15} {limit:>4} {latency_ms:>5}ms {workers:>7} {count:>7}  {ratio:>10.2f}  "
                    f"{bulk.rate_limited:>6}/{bulk.requests:<5} {share:>5.1%}  {settled:>11}  "
                    f"{loop.rate / limit:>9.2f}  {bulk.rate / loop.rate:>7.2f}x  "
                    f"{'ok' if ok else 'MISSED'} (≥{TARGETS[model]:.2f}, ≤{MAX_429_SHARE:.0%})",
                    flush=True,
                )
    return verdicts


def concurrent_runs(args: argparse.Namespace) -> list[bool]:
    limit = ATTIO_WRITE_LIMIT
    print(
        f"\nConcurrent bulk runs against one W={limit} workspace: each its own process, default settings "
        f"(writes_per_second={limit}, {DEFAULT_WORKERS} workers), no pool, {args.concurrent_records} "
        f"records each; {args.trials} trial(s) per row, the median first and each trial in brackets."
    )
    header = (
        f"{'limiter':<15} {'runs':>4}  {'combined ÷ W':<22}  {'min/max rate':<22}  "
        f"{'429s / requests':<24}  {'deleted once':>12}  target"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for model in args.models:
        for runs in args.runs:
            count = args.concurrent_records
            trials = [_concurrent_trial(model, runs, count, limit) for _ in range(args.trials)]
            combined, fairness, share = (statistics.median(t[i] for t in trials) for i in range(3))
            once = all(t[3] for t in trials)
            ok = combined >= CONCURRENT_TARGET and fairness >= FAIRNESS_TARGET and once
            verdicts.append(ok)
            print(
                f"{model:<15} {runs:>4}  {_spread(combined, [t[0] for t in trials], '.2f'):<22}  "
                f"{_spread(fairness, [t[1] for t in trials], '.2f'):<22}  "
                f"{_spread(share, [t[2] for t in trials], '.1%'):<24}  {'yes' if once else 'NO':>12}  "
                f"{'ok' if ok else 'MISSED'} (≥{CONCURRENT_TARGET:.2f}, ≥{FAIRNESS_TARGET})",
                flush=True,
            )
    return verdicts


def _concurrent_trial(model: str, runs: int, count: int, limit: int) -> tuple[float, float, float, bool]:
    """One trial: ``runs`` bulk runs of ``count`` records at once on a fresh emulator. Returns the combined
    rate ÷ W, min/max of the runs' rates, the share of 429 answers and whether each record went once."""
    with served_emulator(
        {"people": runs * count}, writes_per_second=limit, reads_per_second=1000, rate_limit_model=model
    ) as base_url:
        ids = record_ids(base_url)
        results = _together(base_url, [ids[i * count : (i + 1) * count] for i in range(runs)], limit)
        left = len(record_ids(base_url))
    started = min(r.started for r in results)
    combined = sum(r.records for r in results) / (max(r.finished for r in results) - started) / limit
    rates = [r.rate for r in results]
    limited = sum(r.rate_limited for r in results) / sum(r.requests for r in results)
    once = left == 0 and all(r.not_found == 0 for r in results)
    return combined, min(rates) / max(rates), limited, once


def _spread(median: float, values: list[float], spec: str) -> str:
    """``0.92 [0.88 0.92 0.95]``: the median, then every trial's value."""
    if len(values) == 1:
        return format(median, spec)
    return f"{median:{spec}} [{' '.join(format(v, spec) for v in values)}]"


def _together(base_url: str, shares: list[list[str]], limit: int) -> list[Measured]:
    """Run one bulk delete per share, each in its own process, released at the same moment."""
    children = []
    for share in shares:
        child = subprocess.Popen(
            [sys.executable, __file__, "--one", base_url, str(limit)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(json.dumps(share) + "\n")
        child.stdin.flush()
        children.append(child)
    for child in children:  # each says "ready" once Airflow and the provider are imported
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = []
    for child in children:
        out, _ = child.communicate(timeout=600)
        if child.returncode != 0:
            raise RuntimeError(f"a concurrent run failed with exit status {child.returncode}")
        results.append(Measured.from_json(out.strip().splitlines()[-1]))
    return results


def _one(base_url: str, limit: str) -> None:
    """A child of :func:`_together`: read the ids, import, say ready, wait for go, delete, print JSON."""
    ids = json.loads(sys.stdin.readline())
    from airflow_provider_attio.hooks.attio import AttioHook  # noqa: F401  # the slow import, before go

    print("ready", flush=True)
    assert sys.stdin.readline().strip() == "go"
    result = engine(base_url, ids, float(limit), DEFAULT_WORKERS)
    print(json.dumps(result.__dict__), flush=True)


def _csv(kind: type, text: str) -> list[Any]:
    return [kind(x) for x in text.split(",") if x]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the complete tables (default: headline rows)")
    parser.add_argument("--models", help="limiter models (default: sliding_window; --full: all three)")
    parser.add_argument("--limits", help="write budgets W (default 25; --full: 25,100)")
    parser.add_argument("--latency-ms", help="added latencies (default 100; --full: 0,100)")
    parser.add_argument("--seconds", type=float, default=12, help="single runs delete W x this (default 12)")
    parser.add_argument("--runs", help="concurrent runs (default 2; --full: 2,3; empty: none)")
    parser.add_argument("--concurrent-records", type=int, default=300, help="records per concurrent run")
    parser.add_argument("--trials", type=int, help="trials per concurrent row (default 1; --full: 3)")
    args = parser.parse_args()
    for name, value in (FULL if args.full else HEADLINE).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.models = _csv(str, args.models)
    args.limits = _csv(int, args.limits)
    args.latency_ms = _csv(int, args.latency_ms)
    args.runs = _csv(int, args.runs)
    return args


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        _one(sys.argv[2], sys.argv[3])
        return 0
    args = _arguments()
    if not args.full:
        print("Headline rows (--full: every model, W, latency and run count, 3 trials each).\n")
    verdicts = single_runs(args) if args.limits else []
    if args.runs:
        verdicts += concurrent_runs(args)
    missed = verdicts.count(False)
    print(
        "\nengine ÷ W: records/s over Attio's budget (1.00 = the most any client can get); vs naive: "
        "speed-up over the loop in the same run; settled: the pace the engine ended on (its summary). "
        + (f"{missed} row(s) missed a target." if missed else "Every row met its target.")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

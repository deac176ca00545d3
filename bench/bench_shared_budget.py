"""How close can independent bulk runs come to one shared write budget? (``python -m bench shared``)

Runs the deterministic pacing simulation of ``tests/unit/pacing_sim.py`` (the engine's own ``Pacer``,
the emulator's own limiters, on a fake clock: seconds of CPU, the same figures on any machine) for 2
and 3 runs of 300 records each against one W = 25 workspace, 16 seeds at 0 and 50 ms latency. The
baseline, measured in the same run, is an oracle: the same runs paced at fixed equal shares that add up
to 23, 24 and 25 writes/s, told the answer in advance and never adapting. Printed: combined records/s
÷ W, min/max of the runs' rates, and 429s ÷ requests, each the mean over the seeds. Then 5 and 10 runs
(a wide mapped task), the engine only, over 4 seeds: how the 429s grow with the number of runs.

The adaptive engine has to learn its share from 429s; the oracle shows what a perfect share gets and
what it costs in 429s under each limiter model (see the README's Performance section).

By default (``make bench``) only the 2-run rows of the first table run (the same figures as in the full
table: the simulation is deterministic); ``--full`` (``make bench-full``) adds the 3-run rows and the
table of 5 and 10 runs.

    python bench/bench_shared_budget.py [--full]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from airflow_provider_attio import pacing
from airflow_provider_attio.testing.ratelimits import RATE_LIMIT_MODELS
from tests.unit.pacing_sim import Scenario

BUDGET = 25
RECORDS = 300
SEEDS = range(1, 17)
LATENCIES = (0.0, 0.05)
MODELS = RATE_LIMIT_MODELS
RUNS = (2, 3)
MANY_RUNS, MANY_SEEDS = (5, 10), range(1, 5)
HEADER = f"{'limiter':<15} {'runs':>4}  {'pacing':<22} {'combined ÷ W':>12} {'min/max':>8} {'429s':>7}"


def measure(model: str, runs: int, total: float | None, seeds: range = SEEDS) -> tuple[float, float, float]:
    """Mean combined ÷ W, min/max rate and 429 share; ``total`` None means adaptive from W each."""
    figures = []
    for seed in seeds:
        for latency in LATENCIES:
            share = None if total is None else total / runs
            results = Scenario(
                model, BUDGET, [RECORDS] * runs, seed=seed, latency=latency, writes_per_second=share
            ).run()
            elapsed = max(r.finished for r in results) - min(r.started for r in results)
            rates = [r.rate for r in results]
            requests = sum(r.requests for r in results)
            figures.append(
                (
                    sum(r.records for r in results) / elapsed / BUDGET,
                    min(rates) / max(rates),
                    sum(r.rate_limited for r in results) / requests,
                )
            )
    return tuple(statistics.mean(f[i] for f in figures) for i in range(3))  # type: ignore[return-value]


def fixed_shares(model: str, runs: int, total: float) -> tuple[float, float, float]:
    """The oracle: each run paced at ``total / runs`` and never adapting (429s only delay the call)."""
    saved = pacing.DECREASE, pacing.HARD_DECREASE, pacing.MARGIN, pacing.CONVERGE
    pacing.DECREASE = pacing.HARD_DECREASE = 1.0
    pacing.MARGIN = pacing.CONVERGE = 0.0
    try:
        return measure(model, runs, total)
    finally:
        pacing.DECREASE, pacing.HARD_DECREASE, pacing.MARGIN, pacing.CONVERGE = saved


def shared_runs(runs_counts: tuple[int, ...]) -> None:
    """The first table: the engine against fixed shares adding up to 23, 24 and 25 writes/s."""
    print(
        f"Simulated concurrent bulk runs, {RECORDS} records each, W = {BUDGET}, means over "
        f"{len(SEEDS)} seeds x {len(LATENCIES)} latencies"
    )
    print(HEADER)
    print("-" * len(HEADER))
    for model in MODELS:
        for runs in runs_counts:
            rows = [("adaptive (the engine)", measure(model, runs, None))]
            rows += [(f"fixed shares, {t} w/s", fixed_shares(model, runs, t)) for t in (23, 24, 25)]
            for label, (combined, fairness, limited) in rows:
                figures = f"{combined:>12.2f} {fairness:>8.2f} {limited:>7.1%}"
                print(f"{model:<15} {runs:>4}  {label:<22} {figures}", flush=True)


def many_runs() -> None:
    """The second table: 5 and 10 runs at once, the engine only."""
    seeds = f"{len(MANY_SEEDS)} seeds x {len(LATENCIES)} latencies"
    print(f"\nMany runs at once, the engine only, means over {seeds}")
    print(HEADER)
    print("-" * len(HEADER))
    for model in MODELS:
        for runs in MANY_RUNS:
            combined, fairness, limited = measure(model, runs, None, MANY_SEEDS)
            figures = f"{combined:>12.2f} {fairness:>8.2f} {limited:>7.1%}"
            print(f"{model:<15} {runs:>4}  {'adaptive (the engine)':<22} {figures}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="3 runs too, and 5 and 10 (default: 2 runs)")
    args = parser.parse_args(argv)
    if not args.full:
        print("Headline rows: 2 runs (--full: 3 runs too, and a table of 5 and 10).\n")
    shared_runs(RUNS if args.full else RUNS[:1])
    if args.full:
        many_runs()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

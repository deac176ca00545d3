"""``make test-deployment``: a real multi-worker Airflow deployment, brought up from package registries and
the project's own files, driven through Airflow's REST API, then stopped (every process it started).

    python -m deploy                        # every scenario (what CI runs)
    python -m deploy --only 2               # scenario 2 alone (setup and 6 still run)
    python -m deploy --only 2 --kill-archive worker-local   # break scenario 2's precondition: it must fail

The report (one line per scenario, with its figures) is printed at the end and kept in .deploy/report.txt;
every log of the run is in .deploy/ (Airflow's under .deploy/airflow/logs, each process's in .deploy/logs).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from deploy.deployment import ROOT, Clock, Deployment, bring_up
from deploy.kill import scenario_kill
from deploy.scenarios import (
    ScenarioFailed,
    scenario_examples,
    scenario_pool,
    scenario_rotation,
    scenario_sensors,
)
from deploy.secrets_scan import scenario_secrets
from deploy.services import listening_sockets
from deploy.stack import Stack

RUN = ROOT / ".deploy"
#: The whole run must fit CI: fail it when it took longer than this.
BUDGET_SECONDS = 15 * 60


@dataclass
class Result:
    number: int
    title: str
    ok: bool
    line: str
    seconds: float


def scenarios(args: argparse.Namespace) -> list[tuple[int, str, Callable[[Deployment], str]]]:
    """In the order they run: the kill last before the scan (it leaves one worker)."""
    return [
        (1, "example DAGs", scenario_examples),
        (3, "100 deferred sensors", scenario_sensors),
        (4, "3 bulk tasks in a pool", scenario_pool),
        (5, "token rotation", scenario_rotation),
        (2, "worker killed mid-run", lambda d: scenario_kill(d, args.kill_archive)),
        (6, "token in plain text", scenario_secrets),
    ]


def run_scenario(
    d: Deployment, number: int, title: str, scenario: Callable[[Deployment], str], clock: Clock
) -> Result:
    clock.say(f"scenario {number}: {title}")
    started = time.monotonic()
    try:
        line, ok = scenario(d), True
    except ScenarioFailed as err:
        line, ok = f"FAILED: {err}", False
    except Exception as err:  # a broken deployment: report it, go on with the next scenario
        traceback.print_exc()
        line, ok = f"ERROR: {type(err).__name__}: {err}", False
    result = Result(number, title, ok, line, time.monotonic() - started)
    clock.say(f"scenario {number}: {'passed' if ok else 'FAILED'} in {result.seconds:.0f} s: {line}")
    return result


def report(results: list[Result], d: Deployment | None, left: list[int], seconds: float) -> tuple[str, bool]:
    lines = [f"Deployment test report ({seconds / 60:.1f} min, budget {BUDGET_SECONDS // 60} min)"]
    public: list[tuple[str, str, int]] = []
    if d is not None:
        lines.append(
            f"  setup: provider {d.facts['wheel']} (twine check passed; CHANGELOG's release), Airflow 3.3 "
            "CeleryExecutor: api-server, scheduler, dag-processor, triggerer, workers w1 and w2; PostgreSQL, "
            "Redis, S3 (moto), the Attio emulator"
        )
        sockets = d.facts["sockets"]
        public = [s for s in sockets if not (s[1].startswith("127.") or s[1] == "::1")]
        lines.append(
            f"  loopback only: {len(sockets)} listening sockets (at the start and before the stop), "
            f"{len(public)} elsewhere {public or ''}"
        )
    for r in sorted(results, key=lambda r: r.number):
        lines.append(f"  {r.number} {'PASS' if r.ok else 'FAIL'} {r.title} ({r.seconds:.0f} s): {r.line}")
    lines.append(f"  processes left running after the stop: {len(left)} {left or ''}")
    ok = (
        bool(results) and all(r.ok for r in results) and not left and not public and seconds <= BUDGET_SECONDS
    )
    if seconds > BUDGET_SECONDS:
        lines.append(f"  OVER BUDGET: {seconds:.0f} s")
    lines.append("Deployment test " + ("passed." if ok else "FAILED."))
    return "\n".join(lines), ok


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops every process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", type=lambda s: {int(n) for n in s.split(",")}, help="e.g. 2 or 1,3")
    parser.add_argument("--kill-archive", choices=("s3", "worker-local"), default="s3")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)
    shutil.rmtree(RUN, ignore_errors=True)
    (RUN / "logs").mkdir(parents=True)
    os.chdir(RUN)  # never the clone's root: its package must not shadow the installed wheel
    clock, stack = Clock(), Stack(RUN / "logs")
    results: list[Result] = []
    deployment = None
    try:
        deployment = bring_up(RUN, stack, clock)
        for number, title, scenario in scenarios(args):
            if args.only is None or number in args.only or number == 6:
                results.append(run_scenario(deployment, number, title, scenario, clock))
    except Exception:
        traceback.print_exc()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):  # a second Ctrl+C must not cut the stop short
            signal.signal(signum, signal.SIG_IGN)
        if deployment is not None:
            with contextlib.suppress(Exception):  # nothing may keep the stop below from running
                deployment.facts["sockets"] = sorted(
                    {*deployment.facts["sockets"], *listening_sockets(stack)}
                )
        clock.say("stopping every process started")
        left = stack.stop_all()
        moved = RUN / "postgres-data-dir"  # a cluster outside the clone (see services.start_postgres)
        if moved.exists():
            shutil.rmtree(Path(moved.read_text().strip()).parent, ignore_errors=True)
    text, ok = report(results, deployment, left, time.monotonic() - clock.start)
    (RUN / "report.txt").write_text(text + "\n")
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

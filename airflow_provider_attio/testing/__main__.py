"""Command line: ``python -m airflow_provider_attio.testing serve [options]``.

Serves an :class:`~airflow_provider_attio.testing.AttioEmulator` until SIGINT or SIGTERM, for local
DAG runs, demos and benchmarks.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from airflow_provider_attio.testing.emulator import AttioEmulator
from airflow_provider_attio.testing.ratelimits import RATE_LIMIT_MODELS


def _seed(text: str) -> tuple[str, int]:
    object_slug, sep, count = text.partition("=")
    if not sep or not object_slug or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected OBJECT=COUNT (e.g. people=100), got {text!r}")
    return object_slug, int(count)


def _share(text: str) -> tuple[float, int]:
    share, sep, status = text.partition(":")
    try:
        if not sep:
            raise ValueError
        value = float(share)
        if not 0 <= value <= 1:
            raise ValueError
        return value, int(status)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SHARE:STATUS (e.g. 0.1:503), got {text!r}") from None


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_attio.testing",
        description="A local Attio API emulator (real HTTP on loopback) for testing Airflow DAGs offline.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the emulator until interrupted",
        description="Serve the Attio emulator until SIGINT (Ctrl+C) or SIGTERM. It prints its base URL "
        "and the AIRFLOW_CONN_ATTIO_DEFAULT value that points Airflow at it.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument(
        "--port", type=int, default=8765, help="port; 0 picks a free one (default: %(default)s)"
    )
    serve.add_argument(
        "--token", default="test-token", help="the bearer token to accept (default: %(default)s)"
    )
    serve.add_argument(
        "--scope",
        action="append",
        dest="scopes",
        metavar="SCOPE",
        help="a scope of the token, repeatable (default: every scope)",
    )
    serve.add_argument(
        "--seed",
        action="append",
        type=_seed,
        default=[],
        metavar="OBJECT=COUNT",
        help="create COUNT realistic records of OBJECT, repeatable (e.g. --seed people=100)",
    )
    serve.add_argument(
        "--reads-per-second", type=_positive, help="read rate limit (Attio: 100; default: none)"
    )
    serve.add_argument(
        "--writes-per-second", type=_positive, help="write rate limit (Attio: 25; default: none)"
    )
    serve.add_argument(
        "--rate-limit-model",
        choices=RATE_LIMIT_MODELS,
        default=RATE_LIMIT_MODELS[0],
        help="how the rate limits count: a token bucket, requests per wall-clock second, or per any "
        "one-second span (the window models take whole numbers; default: %(default)s)",
    )
    serve.add_argument(
        "--fail-share",
        action="append",
        type=_share,
        default=[],
        metavar="SHARE:STATUS",
        help="answer a random SHARE of calls with STATUS, repeatable (e.g. 0.1:503)",
    )
    serve.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer")
    serve.add_argument(
        "--drop-deletes",
        type=int,
        default=0,
        metavar="N",
        help="apply the first N successful DELETEs but close their connections unanswered",
    )
    serve.add_argument("--workspace-name", default="Emulated Workspace", help="name reported by /v2/self")
    return parser


def serve(args: argparse.Namespace) -> int:
    """Run the ``serve`` command."""
    emulator = AttioEmulator(
        token=args.token,
        scopes=args.scopes,
        reads_per_second=args.reads_per_second,
        writes_per_second=args.writes_per_second,
        rate_limit_model=args.rate_limit_model,
        seed=dict(args.seed),
        host=args.host,
        port=args.port,
        workspace_name=args.workspace_name,
        max_log_entries=0,  # nobody can read the log of a served emulator: keep only the counts
    )
    for share, status in args.fail_share:
        emulator.fail_share(share, status)
    if args.latency > 0:
        emulator.set_latency(args.latency)
    if args.drop_deletes > 0:
        emulator.drop_after_apply(args.drop_deletes, method="DELETE")

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with emulator:
        out = sys.stdout
        out.write(f"Attio emulator serving at {emulator.base_url}\n")
        out.write(f"export AIRFLOW_CONN_ATTIO_DEFAULT={shlex.quote(emulator.connection_uri())}\n")
        out.write("Press Ctrl+C to stop.\n")
        out.flush()
        while not stop.wait(0.5):
            pass
    counts = emulator.status_counts()
    summary = ", ".join(f"{status or 'dropped'}: {n}" for status, n in sorted(counts.items(), key=str))
    sys.stdout.write(f"Stopped after {sum(counts.values())} requests ({summary or 'none'}).\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m airflow_provider_attio.testing``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""``python -m airflow_provider_attio``: the provider's commands for the day of an incident, without a DAG.

::

    python -m airflow_provider_attio restore ARCHIVE [--conn-id ID] [--object SLUG] [--run RUN]
        [--record-ids ID ...] [--dry-run] [--writes-per-second N] [--max-records N] [--on-conflict skip|fail]
    python -m airflow_provider_attio runs ARCHIVE [--object SLUG]

``runs`` lists the runs whose records an archive holds (what ``restore --run`` chooses from); it reads
the archive only, never Attio.

It reads the Attio connection as a task does (an ``AIRFLOW_CONN_<ID>`` variable, Airflow's metadata
database or a secrets backend), logs progress on stderr and prints the summary as JSON on stdout. The exit
status is 0 when everything chosen is restored (or was before), 1 when a record failed or conflicted
with ``--on-conflict fail`` (the summary is printed too), 2 for bad arguments. ``docs/restore.md`` tells
the rest.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# Nothing here imports Airflow before _logs_to_stderr: its import may log to stdout.


def parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    main = argparse.ArgumentParser(
        prog="python -m airflow_provider_attio", description=__doc__.split("\n")[0]
    )
    commands = main.add_subparsers(dest="command", required=True)
    restore = commands.add_parser(
        "restore",
        help="recreate the records a bulk delete archived",
        description="Recreate the records a bulk delete archived (its archive_to), as new records; the "
        "old -> new record ids are written beside the archive. Safe to run again: restored records are "
        "skipped.",
    )
    restore.add_argument(
        "archive", help="the archive: the delete's archive_to (a path or a URI such as s3://...)"
    )
    restore.add_argument("--conn-id", default="attio_default", help="the Airflow connection (attio_default)")
    restore.add_argument("--object", help="the object whose records to restore (the archive's only one)")
    restore.add_argument(
        "--run",
        help="restore the records this run archived (see the runs command; a mapped task's id without a "
        "map index chooses all its map indexes), or 'all'; needed when several runs appended to the archive",
    )
    restore.add_argument("--record-ids", nargs="+", metavar="ID", help="restore only these archived records")
    restore.add_argument(
        "--dry-run", action="store_true", help="report what would be restored, write nothing"
    )
    restore.add_argument(
        "--writes-per-second",
        type=float,
        help="the pace of creates (default 25: Attio's whole workspace budget)",
    )
    restore.add_argument("--max-records", type=int, help="safety cap (default 10,000)")
    restore.add_argument(
        "--on-conflict",
        choices=("skip", "fail"),
        default="skip",
        help="a unique value another record holds now: skip the record (default), or fail at the end",
    )
    runs = commands.add_parser(
        "runs",
        help="list the runs whose records an archive holds",
        description="List the runs whose records an archive holds, oldest first, with their record counts "
        "and when they archived them: what restore --run chooses from. Reads the archive only.",
    )
    runs.add_argument("archive", help="the archive: the delete's archive_to (a path or a URI)")
    runs.add_argument("--object", help="only this object's records")
    return main


def restore(args: argparse.Namespace) -> tuple[int, dict[str, Any] | None]:
    """Run ``restore``: the exit status, and the summary to print."""
    from airflow.providers.common.compat.sdk import AirflowException

    from airflow_provider_attio.hooks.attio import AttioHook

    log = logging.getLogger("airflow_provider_attio.restore")
    given = {"writes_per_second": args.writes_per_second, "max_records": args.max_records}
    try:
        summary = AttioHook(attio_conn_id=args.conn_id).restore_records(
            args.archive,
            object=args.object,
            record_ids=args.record_ids,
            run=args.run,
            dry_run=args.dry_run,
            on_conflict=args.on_conflict,
            log=log,
            **{name: value for name, value in given.items() if value is not None},
        )
    except AirflowException as err:
        sys.stderr.write(f"error: {err}\n")
        return 1, getattr(err, "summary", None) or None
    return 0, dict(summary)


def runs(args: argparse.Namespace) -> tuple[int, list[dict[str, Any]] | None]:
    """Run ``runs``: the exit status, and the runs to print."""
    from airflow.providers.common.compat.sdk import AirflowException

    from airflow_provider_attio.restore import archive_runs

    try:
        return 0, archive_runs(args.archive, object=args.object)
    except AirflowException as err:
        sys.stderr.write(f"error: {err}\n")
        return 1, None


@contextmanager
def _logs_to_stderr() -> Iterator[None]:
    """Send everything written to stdout meanwhile to stderr (Airflow logs to stdout), so stdout holds
    the summary alone: ``... | jq`` works."""
    sys.stdout.flush()
    stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(stdout, 1)
        os.close(stdout)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: parse ``argv``, run the command, print its summary (or the runs) as JSON."""
    args = parser().parse_args(argv)
    with _logs_to_stderr():
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        status, summary = runs(args) if args.command == "runs" else restore(args)
    if summary is not None:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())

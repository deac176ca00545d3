"""Scenario 6: the Attio tokens (the first and the rotated one) appear nowhere in plain text: not in task,
triggerer, worker or any other Airflow log, not in the database dump (with a Fernet key set, the stored
password is encrypted), not in an XCom.

The emulator's own output is the one place that holds a token by design (``serve`` prints the connection
it serves): it is left out of the scan and used as the scan's control, proving the scan finds a token
where there is one.
"""

from __future__ import annotations

import json
from pathlib import Path

from deploy import services
from deploy.deployment import Deployment
from deploy.scenarios import check

#: Where the token is by design (the emulator's banner and the driver's own token commands' output).
EXCLUDED = ("attio-emulator.log",)


def scenario_secrets(d: Deployment) -> str:
    tokens = [t.encode() for t in d.tokens]
    files = [p for p in _log_files(d) if p.name not in EXCLUDED]
    hits = [str(p.relative_to(d.run)) for p in files if any(t in p.read_bytes() for t in tokens)]
    dump = services.pg_dump(d.ports.postgres)
    xcoms = d.api.all_xcoms()
    in_xcoms = [x["task_id"] for x in xcoms if any(t.decode() in json.dumps(x["value"]) for t in tokens)]
    control = d.stack.get("attio-emulator").log.read_bytes()
    size = sum(p.stat().st_size for p in files)
    check(
        any(t in control for t in tokens), "the control failed: the token isn't even in the emulator's banner"
    )
    check(not hits, f"a token in plain text in {hits}")
    check(not any(t in dump for t in tokens), "a token in plain text in the database dump")
    check(_encrypted(dump), "the attio_default password is not stored Fernet-encrypted")
    check(not in_xcoms, f"a token in the XComs of {in_xcoms}")
    return (
        f"{len(d.tokens)} tokens, 0 occurrences in {len(files)} log files ({size / 1e6:.1f} MB: task, "
        f"triggerer, worker, scheduler, dag-processor, api-server logs), the database dump "
        f"({len(dump) / 1e6:.1f} MB; the password Fernet-encrypted) and {len(xcoms)} XComs; control: "
        "found in the emulator's banner, which prints it by design"
    )


def _log_files(d: Deployment) -> list[Path]:
    home = Path(d.env["AIRFLOW_HOME"])
    found = [p for p in (home / "logs").rglob("*") if p.is_file()]
    found += [p for p in (d.run / "logs").glob("*.log")]
    found += [d.log.path]
    return found


def _encrypted(dump: bytes) -> bool:
    """The connection table's ``attio_default`` row: ``is_encrypted`` and a Fernet token as password."""
    rows = [
        row
        for row in _table(dump.decode(errors="replace"), "connection")
        if row["conn_id"] == "attio_default"
    ]
    return len(rows) == 1 and rows[0]["is_encrypted"] == "t" and rows[0]["password"].startswith("gAAAAA")


def _table(dump: str, name: str) -> list[dict[str, str]]:
    """The rows of a table in a plain pg_dump (its ``COPY ... FROM stdin`` block)."""
    lines = dump.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"COPY public.{name} ("))
    columns = lines[start][lines[start].index("(") + 1 : lines[start].index(")")].split(", ")
    rows = []
    for line in lines[start + 1 :]:
        if line == "\\.":
            break
        rows.append(dict(zip(columns, line.split("\t"), strict=False)))
    return rows

"""Small helpers shared by the test modules (fixtures live in the conftest files)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_attio.testing import AttioEmulator

#: A record id no emulator holds.
MISSING_ID = "891dcbfc-9141-415d-9b2a-2238a6cc012d"


def task_context(try_number: int = 1) -> Context:
    """A task context holding just what the provider reads: the task instance's try number."""
    return cast("Context", {"ti": SimpleNamespace(try_number=try_number)})


#: The context of a first try, for calling ``execute`` or ``poke`` directly.
EMPTY_CONTEXT = task_context()


def record_ids(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The record ids of records as Attio returns them."""
    return [str(r["id"]["record_id"]) for r in records]


def read_archive_tolerant(path: Path) -> list[dict[str, Any]]:
    """The entries of a local archive file, skipping a line a killed process was writing."""
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # a line the killed process was writing
    return entries


def person(emu: AttioEmulator, name: str = "Ada Lovelace", **values: Any) -> str:
    """Create a person in the emulator and return its id."""
    return str(emu.create_record("people", {"name": name, **values})["id"]["record_id"])


_BULK_RUN = """
import json, logging, sys
logging.basicConfig(level=logging.INFO)
from airflow_provider_attio.hooks.attio import AttioHook
kwargs = json.loads(sys.argv[1])
print(AttioHook().delete_records("people", **kwargs), flush=True)
"""


def kill_bulk_run_after(emu: AttioEmulator, deletes: int, **kwargs: Any) -> None:
    """Run ``AttioHook().delete_records("people", **kwargs)`` in a child process; SIGKILL it once the
    emulator has applied ``deletes`` DELETEs (waiting on the emulator's log, not on a timer)."""
    kill_child_after(emu, deletes, _BULK_RUN, json.dumps(kwargs))


def kill_child_after(emu: AttioEmulator, deletes: int, code: str, argument: str) -> None:
    """Run ``python -c code argument``; SIGKILL it once the emulator has applied ``deletes`` DELETEs
    (waiting on the emulator's log, not on a timer)."""
    child = subprocess.Popen(
        [sys.executable, "-c", code, argument],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 120
        while emu.count(method="DELETE", status=200) < deletes:
            assert child.poll() is None, child.communicate()[0].decode()[-2000:]
            assert time.monotonic() < deadline, f"the child never got to {deletes} deletes"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m airflow_provider_attio ARGS`` in a child process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "airflow_provider_attio", *args],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )

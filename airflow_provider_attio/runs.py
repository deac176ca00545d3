"""Which run wrote an archive line: the identity a bulk delete stamps on every line, and a restore chooses by.

Several runs may append to one archive (a daily teardown with one ``archive_to``, a shared object storage
folder), so each line carries ``run``. In Airflow it is the task instance's identity,
``dag_id/run_id/task_id`` (``/map_index`` for a mapped task): a retry of the task (another ``try_number``)
is the same run, since it resumes what its earlier try began. Outside Airflow (the hook in a script) it is
a generated ``local/<UTC time>-<random>``, or the ``run`` the caller gives.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.validation import shorten

#: What a restore's ``run`` takes to mean every run of the archive.
ALL_RUNS = "all"
#: What a restore's ``run`` takes to mean the lines written before lines had a run (no ``run`` field).
NO_RUN = "none"
#: A run id: printable characters, no line breaks, at most this long. Airflow allows 250 characters for
#: each of dag_id, run_id and task_id, so a task instance's id (three of them, a map index and the slashes)
#: always fits: a run id derived from the context is never refused for its length.
MAX_RUN_LENGTH = 1024
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]+")


def run_of(context: Mapping[str, Any] | None) -> str | None:
    """The run id of a task instance (``context["ti"]``): ``dag_id/run_id/task_id[/map_index]``, with no
    try number (a retry is the same run); ``None`` when the context doesn't say.

    :param context: the task's Airflow context.
    """
    ti = (context or {}).get("ti") or (context or {}).get("task_instance")
    found = [getattr(ti, name, None) for name in ("dag_id", "run_id", "task_id")]
    parts = [part for part in found if isinstance(part, str) and part]
    if len(parts) != len(found):
        return None
    map_index = getattr(ti, "map_index", -1)
    if isinstance(map_index, int) and not isinstance(map_index, bool) and map_index >= 0:
        parts.append(str(map_index))
    return "/".join(parts)


def current_run() -> str:
    """The run id of the Airflow task this code runs in (a ``@task`` calling the hook), else a new one."""
    try:
        from airflow.providers.common.compat.sdk import get_current_context

        found = run_of(get_current_context())
    except Exception:  # not in a task: Airflow raises (its error class differs across releases)
        found = None
    return found or new_run()


def new_run() -> str:
    """A new run id for a delete outside Airflow: ``local/<UTC time>-<8 hex>``."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"local/{stamp}-{uuid.uuid4().hex[:8]}"


def check_run(value: Any, field_name: str = "run", *, choosing: bool = False) -> str | None:
    """``value`` if it is a usable run id (``None`` passes), else raise naming ``field_name``.

    :param value: the run id as given.
    :param field_name: the argument's name, for the message.
    :param choosing: a restore's choice, which may also be ``"all"`` or ``"none"``; a delete's own run
        id may be neither.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_RUN_LENGTH:
        raise AttioValidationError(
            f"{field_name} must be a run id (a non-empty string of at most {MAX_RUN_LENGTH} characters, such "
            f"as 'my_dag/scheduled__2026-01-01T00:00:00+00:00/teardown'); got {shorten(value)}."
        )
    if not _PRINTABLE.fullmatch(value):
        raise AttioValidationError(
            f"{field_name} must not hold line breaks or control characters; got {shorten(value)}."
        )
    reserved = value.strip().lower() in (ALL_RUNS, NO_RUN)
    if reserved and not choosing:
        raise AttioValidationError(
            f"{field_name}={value!r} is reserved (a restore's run={ALL_RUNS!r} means every run, "
            f"{NO_RUN!r} the lines without a run id): give another run id."
        )
    return value.strip().lower() if reserved else value.strip()

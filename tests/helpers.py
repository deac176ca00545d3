"""Small helpers shared by the test modules (fixtures live in the conftest files)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


def person(emu: AttioEmulator, name: str = "Ada Lovelace", **values: Any) -> str:
    """Create a person in the emulator and return its id."""
    return str(emu.create_record("people", {"name": name, **values})["id"]["record_id"])

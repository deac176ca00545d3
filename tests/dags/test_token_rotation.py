"""A token rotated the documented way (add the new token, switch the connection in the metadata database,
revoke the old one) while a task runs: the bulk delete, the mirror sync and a single delete complete."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

import pytest

from airflow_provider_attio.testing import AttioEmulator
from tests.conftest import FAST_RETRIES, TOKEN
from tests.dags.conftest import DagRunResult
from tests.helpers import person

CONN_ID = "attio_rotating"
NEW_TOKEN = "attio-rotated-token-5e8d-never-print-me"


def _store_token(token: str, host: str | None = None) -> None:
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        conn = session.query(Connection).filter_by(conn_id=CONN_ID).one_or_none()
        if conn is None:
            conn = Connection(conn_id=CONN_ID, conn_type="attio", host=host, extra=json.dumps(FAST_RETRIES))
            session.add(conn)
        conn.password = token


@pytest.fixture
def rotating(attio: AttioEmulator, dags_folder: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The ``attio_rotating`` connection, in the metadata database only (not an environment variable)."""
    from airflow.models import Connection
    from airflow.utils.session import create_session

    monkeypatch.delenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", raising=False)
    _store_token(TOKEN, attio.base_url)
    yield
    with create_session() as session:
        session.query(Connection).filter_by(conn_id=CONN_ID).delete()


def _rotate_when(emu: AttioEmulator, ready: Callable[[], bool]) -> threading.Thread:
    """Rotate as the docs say once ``ready()`` holds (polled from a thread while the task runs)."""
    done = threading.Event()

    def rotate() -> None:
        while not ready() and not done.wait(0.002):
            pass
        emu.add_token(NEW_TOKEN)
        _store_token(NEW_TOKEN)
        emu.revoke_token(TOKEN)

    thread = threading.Thread(target=rotate, daemon=True)
    thread.start()
    return thread


def _people(emu: AttioEmulator, count: int, job_title: str = "Rotation") -> list[str]:
    return [
        person(emu, f"P{i}", email_addresses=[f"p{i}@example.com"], job_title=job_title) for i in range(count)
    ]


def _check(emu: AttioEmulator, result: DagRunResult, task: str, thread: threading.Thread) -> None:
    thread.join(timeout=30)
    assert result.states == {task: "success"}, result.states
    assert emu.count(status=401) >= 1  # the old token was refused mid-run, then the new one was used
    assert NEW_TOKEN not in json.dumps(result.xcoms)


def test_a_bulk_delete_survives_a_rotation(
    attio: AttioEmulator, rotating: None, run_dag: Callable[..., DagRunResult]
) -> None:
    ids = _people(attio, 60)
    thread = _rotate_when(attio, lambda: attio.count(method="DELETE") >= 25)
    result = run_dag("attio_test_rotation_bulk", record_ids=ids)
    _check(attio, result, "bulk", thread)
    assert result.xcoms["bulk"]["deleted"] == 60 and result.xcoms["bulk"]["failed"] == 0
    assert attio.record_ids("people") == []


def test_a_mirror_sync_survives_a_rotation(
    attio: AttioEmulator, rotating: None, run_dag: Callable[..., DagRunResult]
) -> None:
    ids = _people(attio, 40)
    thread = _rotate_when(attio, lambda: attio.count(method="DELETE") >= 15)
    result = run_dag("attio_test_rotation_mirror", keep=["p0@example.com"])
    _check(attio, result, "mirror", thread)
    assert result.xcoms["mirror"]["deleted"] == 39
    assert attio.record_ids("people") == ids[:1]


def test_a_single_delete_survives_a_rotation_between_its_retries(
    attio: AttioEmulator, rotating: None, run_dag: Callable[..., DagRunResult]
) -> None:
    record_id = _people(attio, 1)[0]
    # The first attempt is rate-limited (Retry-After: 1 s); the rotation happens while the hook waits.
    attio.fail_next(1, 429, method="DELETE", retry_after="1")
    thread = _rotate_when(attio, lambda: attio.count(status=429) >= 1)
    result = run_dag("attio_test_rotation_single", record_id=record_id)
    _check(attio, result, "single", thread)
    assert result.xcoms["single"]["outcome"] == "deleted"
    assert attio.record_ids("people") == []

"""Fixtures shared by the whole suite.

Tests talk to the project's Attio emulator over real HTTP on loopback. The token is a distinctive
string so tests can prove it never leaks into logs, exception texts or reprs.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from importlib.metadata import version
from pathlib import Path

# Airflow reads its configuration when first imported, so the throwaway AIRFLOW_HOME must be set before
# any test module imports it. The DAGs folder is filled by tests/dags/conftest.py.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="attio-provider-tests-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_AIRFLOW_HOME / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ.pop("AIRFLOW_CONN_ATTIO_DEFAULT", None)
if version("apache-airflow").startswith("2."):
    # Airflow 2 refuses sqlite with its default LocalExecutor in sensor checks; Airflow 3 has no Sequential.
    os.environ["AIRFLOW__CORE__EXECUTOR"] = "SequentialExecutor"
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_attio.testing import AttioEmulator

TOKEN = "attio-test-token-7f3a9c1e-never-print-me"

# Connection extras that keep retry sleeps short in tests (the policy is the same, only faster).
FAST_RETRIES: dict[str, Any] = {"backoff": 0.01, "max_retry_wait": 2, "retry_budget": 15, "timeout": 5}


@pytest.fixture(scope="session")
def _session_emulator() -> Iterator[AttioEmulator]:
    with AttioEmulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
def emulator(_session_emulator: AttioEmulator) -> AttioEmulator:
    """The session's emulator, reset to a fresh state: records, faults, limits and log of this test only.

    Starting and stopping one per test cost ~0.2 s each (uvicorn polls for shutdown); a reset waits for
    any request still being served, so nothing of an earlier test reaches this one.
    """
    _session_emulator.reset()
    return _session_emulator


@pytest.fixture
def use_connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Point ``AIRFLOW_CONN_<CONN_ID>`` at a host with a token and extras (JSON form)."""

    def use(host: str, token: str | None = TOKEN, conn_id: str = "attio_default", **extras: Any) -> None:
        conn: dict[str, Any] = {"conn_type": "attio", "host": host, "extra": {**FAST_RETRIES, **extras}}
        if token is not None:
            conn["password"] = token
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))

    return use


@pytest.fixture
def attio(emulator: AttioEmulator, use_connection: Callable[..., None]) -> AttioEmulator:
    """The emulator, with the ``attio_default`` connection pointing at it (fast retries)."""
    use_connection(emulator.base_url)
    return emulator


@pytest.fixture(autouse=True)
def _token_never_logged(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> Iterator[None]:
    """Every test doubles as a check that the token never reaches a log line or the console."""
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capfd.readouterr()
    for where, text in (("log", caplog.text), ("stdout", out), ("stderr", err)):
        assert TOKEN not in text, f"the token leaked into {where}"


def assert_no_token(*texts: object) -> None:
    for text in texts:
        assert TOKEN not in str(text)
        assert TOKEN not in repr(text)

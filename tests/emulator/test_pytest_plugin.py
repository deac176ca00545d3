"""The opt-in pytest plugin, used as a DAG author would: a conftest names it, in a fresh pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

CONFTEST = 'pytest_plugins = ["airflow_provider_attio.testing.pytest_plugin"]\n'

TESTS = """
import json
import os

import pytest
import requests


def _conn(name="ATTIO_DEFAULT"):
    return json.loads(os.environ["AIRFLOW_CONN_" + name])


def test_fixture_points_the_default_connection_at_the_emulator(attio_emulator):
    conn = _conn()
    assert conn == {"conn_type": "attio", "host": attio_emulator.base_url, "password": "test-token"}
    response = requests.get(
        conn["host"] + "/v2/self", headers={"Authorization": "Bearer " + conn["password"]}, timeout=5
    )
    assert response.json()["active"] is True
    assert attio_emulator.count("GET", "/v2/self", 200) == 1


@pytest.mark.attio_emulator(seed={"people": 5}, writes_per_second=25, token="marked")
def test_marker_configures_the_emulator(attio_emulator):
    assert len(attio_emulator.record_ids("people")) == 5
    assert _conn()["password"] == "marked"


@pytest.mark.attio_emulator(conn_id="attio_staging")
def test_marker_conn_id(attio_emulator):
    assert _conn("ATTIO_STAGING")["host"] == attio_emulator.base_url
    assert "AIRFLOW_CONN_ATTIO_DEFAULT" not in os.environ


def test_each_test_gets_a_fresh_emulator(attio_emulator):
    assert attio_emulator.record_ids("people") == []


def test_environment_is_restored_after_the_fixture():
    assert "AIRFLOW_CONN_ATTIO_DEFAULT" not in os.environ
    assert "AIRFLOW_CONN_ATTIO_STAGING" not in os.environ
"""


def test_plugin_in_a_users_test_suite(tmp_path: Path) -> None:
    # A subprocess: pytest only honours pytest_plugins in the root conftest of a run.
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_user_dag.py").write_text(textwrap.dedent(TESTS))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error::pytest.PytestUnknownMarkWarning",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_plugin_is_not_loaded_automatically(tmp_path: Path) -> None:
    (tmp_path / "test_no_plugin.py").write_text("def test_x(attio_emulator):\n    pass\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "fixture 'attio_emulator' not found" in result.stdout

"""python -m airflow_provider_attio.testing: help, and ``serve`` in a real subprocess."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from airflow_provider_attio.testing.__main__ import build_parser
from tests.emulator.conftest import Api


@contextmanager
def serve(*args: str) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[str]]]:
    """Run ``serve --port 0 ARGS``; yield its base URL, its connection and the process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_attio.testing", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(3)]  # printed once it accepts connections
        assert banner[0].startswith("Attio emulator serving at http://127.0.0.1:"), banner
        base_url = banner[0].split(" at ")[1].strip()
        assert banner[1].startswith("export AIRFLOW_CONN_ATTIO_DEFAULT='")
        connection = json.loads(banner[1].split("=", 1)[1].strip().strip("'"))
        yield base_url, connection, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _stop(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> str:
    process.send_signal(signum)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    return out


def test_serve_answers_and_stops_on_sigterm() -> None:
    with serve("--token", "cli-token", "--seed", "people=3", "--seed", "companies=2") as (url, conn, process):
        assert conn == {"conn_type": "attio", "host": url, "password": "cli-token"}
        api = Api(url, "cli-token")
        assert api.get("/v2/self").json()["active"] is True
        assert len(api.query("people")) == 3
        assert len(api.query("companies")) == 2
        assert api.get("/v2/self", token="wrong").status_code == 401
        out = _stop(process)
    assert "Stopped after 4 requests (200: 3, 401: 1)." in out


def test_serve_stops_on_sigint() -> None:
    with serve() as (_, _, process):
        assert "Stopped after 0 requests (none)." in _stop(process, signal.SIGINT)


def test_serve_with_limits_scopes_and_faults() -> None:
    args = ["--reads-per-second", "1", "--scope", "object_configuration:read", "--workspace-name", "CLI Co"]
    with serve(*args, "--fail-share", "1:503", "--latency", "0.01") as (url, conn, process):
        api = Api(url, conn["password"])
        assert api.get("/v2/objects/people").status_code == 503  # every call fails
        process.kill()
    with serve(*args) as (url, conn, process):
        api = Api(url, conn["password"])
        body = api.get("/v2/self").json()
        assert (body["scope"], body["workspace_name"]) == ("object_configuration:read", "CLI Co")
        assert api.get("/v2/objects/people").status_code == 429  # one read per second, already spent
        _stop(process)


def test_serve_drop_deletes() -> None:
    with serve("--seed", "people=2", "--drop-deletes", "1") as (url, conn, process):
        api = Api(url, conn["password"])
        first, second = (r["id"]["record_id"] for r in api.query("people"))
        with pytest.raises(requests.exceptions.ConnectionError):
            api.delete(f"/v2/objects/people/records/{first}")
        assert api.delete(f"/v2/objects/people/records/{second}").status_code == 200
        assert api.query("people") == []
        assert "dropped: 1" in _stop(process)


def test_help_and_usage_errors() -> None:
    run = [sys.executable, "-m", "airflow_provider_attio.testing"]
    bare = subprocess.run(run, capture_output=True, text=True, timeout=30)
    assert bare.returncode == 2 and "serve" in bare.stdout
    parser = build_parser()
    for bad in (
        ["--seed", "people"],
        ["--seed", "people=x"],
        ["--fail-share", "2:503"],
        ["--fail-share", "0.5"],
    ):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", *bad])
    args = parser.parse_args(["serve", "--seed", "people=5", "--fail-share", "0.1:503"])
    assert (args.seed, args.fail_share, args.port) == ([("people", 5)], [(0.1, 503)], 8765)

"""python -m airflow_provider_attio.testing: help, ``serve`` and ``token`` in real subprocesses."""

from __future__ import annotations

import json
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.testing.__main__ import build_parser
from airflow_provider_attio.testing.seed import LOAD_TEST_DOMAIN, SYNC_FIXTURE_DOMAIN
from tests.emulator.conftest import Api

CLI = [sys.executable, "-m", "airflow_provider_attio.testing"]


class Served:
    """A running ``serve``: its base URL, connection, banner lines, admin port and process."""

    def __init__(self, process: subprocess.Popen[str], banner: list[str]) -> None:
        self.process = process
        self.banner = banner
        assert banner[0].startswith("Attio emulator serving at http://127.0.0.1:"), banner
        self.url = banner[0].split(" at ")[1].strip()
        assert banner[1].startswith("export AIRFLOW_CONN_ATTIO_DEFAULT='")
        self.connection: dict[str, str] = json.loads(shlex.split(banner[1].split("=", 1)[1])[0])
        (admin,) = {int(m) for line in banner for m in re.findall(r"--admin-port (\d+)", line)}
        self.admin_port = admin

    def token(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``token ARGS --admin-port <this serve's>`` from "another shell"."""
        command = [*CLI, "token", *args, "--admin-port", str(self.admin_port)]
        return subprocess.run(command, capture_output=True, text=True, timeout=30)


@contextmanager
def serve_process(*args: str) -> Iterator[Served]:
    """Run ``serve --port 0 ARGS``; yield it once it has printed its banner."""
    process = subprocess.Popen(
        [*CLI, "serve", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        banner: list[str] = []  # printed once it accepts connections, ends with "Press Ctrl+C to stop."
        while not banner or banner[-1] not in ("Press Ctrl+C to stop.", ""):
            banner.append(process.stdout.readline().rstrip("\n"))
        yield Served(process, banner)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@contextmanager
def serve(*args: str) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[str]]]:
    """Run ``serve --port 0 ARGS``; yield its base URL, its connection and the process."""
    with serve_process(*args) as served:
        yield served.url, served.connection, served.process


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
    args = [
        "--reads-per-second",
        "0.001",
        "--scope",
        "object_configuration:read",
        "--workspace-name",
        "CLI Co",
    ]
    with serve(*args, "--fail-share", "1:503", "--latency", "0.01") as (url, conn, process):
        api = Api(url, conn["password"])
        assert api.get("/v2/objects/people").status_code == 503  # every call fails
        process.kill()
    with serve(*args) as (url, conn, process):
        api = Api(url, conn["password"])
        body = api.get("/v2/self").json()
        assert (body["scope"], body["workspace_name"]) == ("object_configuration:read", "CLI Co")
        assert (
            api.get("/v2/objects/people").status_code == 429
        )  # a budget of one read, spent (it refills in 1,000 s)
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


def test_serve_answer_html() -> None:
    with serve_process("--seed", "people=1", "--answer-html") as served:
        assert "Every call answers an HTML sign-in page with status 200 (--answer-html)." in served.banner
        headers = {"Authorization": f"Bearer {served.connection['password']}"}
        for method, path in (("GET", "/v2/self"), ("POST", "/v2/objects/people/records/query")):
            response = requests.request(method, served.url + path, headers=headers, timeout=10)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            assert "<form" in response.text
        assert "Stopped after 2 requests (200: 2)." in _stop(served.process)


def test_help_and_usage_errors() -> None:
    bare = subprocess.run(CLI, capture_output=True, text=True, timeout=30)
    assert bare.returncode == 2 and "serve" in bare.stdout
    parser = build_parser()
    for bad in (
        ["serve", "--seed", "people"],
        ["serve", "--seed", "people=x"],
        ["serve", "--fail-share", "2:503"],
        ["serve", "--fail-share", "0.5"],
        ["serve", "--token", ""],
        ["serve", "--token", "t=record_permission:write"],  # not an Attio scope
        ["serve", "--scope", "records:read"],
        ["token", "add", "t", "--scope", "nope"],
        ["token", "add"],
        ["token"],
    ):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
    args = parser.parse_args(["serve", "--seed", "people=5", "--fail-share", "0.1:503"])
    assert (args.seed, args.fail_share, args.port) == ([("people", 5)], [(0.1, 503)], 8765)
    args = parser.parse_args(
        ["serve", "--seed", "examples", "--token", "a", "--token", "b=record_permission:read,"]
    )
    assert args.seed == [("examples", 0)]
    assert args.tokens == [("a", None), ("b", ["record_permission:read"])]
    args = parser.parse_args(["token", "revoke", "old"])
    assert (args.action, args.token, args.admin_port) == ("revoke", "old", 8766)


def test_seed_examples_creates_what_the_docs_and_examples_target() -> None:
    """``serve --seed examples``: the example DAGs' default filters and printed commands match records."""
    with serve_process("--seed", "examples", "--seed", "companies=1") as served:
        api = Api(served.url, served.connection["password"])
        load_testers = api.query(filter={"email_addresses": {"email_domain": LOAD_TEST_DOMAIN}})
        fixtures = api.query(filter={"email_addresses": {"email_domain": SYNC_FIXTURE_DOMAIN}})
        assert (len(load_testers), len(fixtures)) == (150, 5)
        # The README's job-title conf for the sync example matches the same fixtures.
        assert api.query(filter={"job_title": "Sync fixture"}) == fixtures
        assert len(api.query("companies")) == 12 + 1
        # The printed commands name records that exist, with the confirmation the examples need.
        commands = [line.strip() for line in served.banner if line.strip().startswith("airflow dags test")]
        assert [c.split()[3] for c in commands] == [
            "example_attio_delete_record",
            "example_attio_wait_until_deleted",
            "example_attio_sync_teardown",
            "example_attio_bulk_teardown",
            "example_attio_mirror_sync",
        ]
        confs = [json.loads(shlex.split(c)[-1]) for c in commands]
        assert confs[0]["confirm_delete"] is True and confs[2:] == [{"confirm_delete": True}] * 3
        for conf, name in ((confs[0], "Delia Example"), (confs[1], "Walter Example")):
            record = api.get(f"/v2/objects/people/records/{conf['record_id']}").json()["data"]
            assert record["values"]["name"][0]["full_name"] == name
        names = sorted(r["values"]["name"][0]["full_name"] for r in api.query())
        _stop(served.process)
    # Deterministic: another serve seeds the same people (record ids are new UUIDs).
    with serve_process("--seed", "examples", "--seed", "companies=1") as again:
        assert (
            sorted(r["values"]["name"][0]["full_name"] for r in Api(again.url, "test-token").query()) == names
        )


def test_serve_tokens_with_scopes_and_a_revoked_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--token NAME=SCOPES`` and ``--revoked-token``: try the connection test without writing Python."""
    reader = "reader=record_permission:read,object_configuration:read"
    args = ["--token", "main", "--token", reader, "--token", "none=", "--revoked-token", "old"]
    with serve_process(*args) as served:
        assert served.connection["password"] == "main"
        assert "Token 'reader': record_permission:read, object_configuration:read" in served.banner
        assert "Token 'old': revoked: /v2/self says active=false" in served.banner
        api = Api(served.url, "main")
        assert api.get("/v2/self", token="none").json()["scope"] == ""
        assert api.get("/v2/self", token="old").json() == {"active": False}
        assert api.get("/v2/objects/people", token="old").status_code == 401
        # The reader may read, not write.
        assert api.post("/v2/objects/people/records/query", json={}, token="reader").status_code == 200
        create = api.post("/v2/objects/people/records", json={"data": {"values": {}}}, token="reader")
        assert create.status_code == 403

        def connection_test(token: str) -> tuple[bool, str]:
            conn = {"conn_type": "attio", "host": served.url, "password": token}
            monkeypatch.setenv("AIRFLOW_CONN_ATTIO_DEFAULT", json.dumps(conn))
            return AttioHook().test_connection()

        assert connection_test("main") == (
            True,
            "Connected to Attio workspace 'Emulated Workspace'; the token has the scopes the provider needs.",
        )
        ok, message = connection_test("reader")
        assert not ok and "lacks the scopes record_permission:read-write" in message
        ok, message = connection_test("old")
        assert not ok and "inactive" in message
        ok, message = connection_test("unknown")
        assert not ok and "401" in message
        _stop(served.process)


def test_token_add_and_revoke_from_another_shell() -> None:
    """Token rotation on a running emulator: add the new token, switch, revoke the old one."""
    with serve_process("--seed", "people=1") as served:
        api = Api(served.url, "test-token")
        added = served.token(
            "add",
            "rotated",
            "--scope",
            "record_permission:read-write",
            "--scope",
            "object_configuration:read",
        )
        assert added.returncode == 0, added.stderr
        assert (
            "Token 'rotated' added: record_permission:read-write, object_configuration:read." in added.stdout
        )
        export = next(line for line in added.stdout.splitlines() if line.startswith("export "))
        assert json.loads(shlex.split(export.split("=", 1)[1])[0]) == {
            "conn_type": "attio",
            "host": served.url,
            "password": "rotated",
        }
        body = api.get("/v2/self", token="rotated").json()
        assert body["active"] is True
        assert body["scope"] == "object_configuration:read record_permission:read-write"
        assert api.post("/v2/objects/people/records/query", json={}, token="rotated").status_code == 200

        revoked = served.token("revoke", "test-token")
        assert revoked.returncode == 0, revoked.stderr
        assert "Token 'test-token' revoked" in revoked.stdout
        assert api.get("/v2/self").json() == {"active": False}
        assert api.get("/v2/objects/people").status_code == 401
        assert api.get("/v2/objects/people", token="rotated").status_code == 200

        # Every scope unless told; adding again replaces the scopes.
        assert served.token("add", "rotated").returncode == 0
        assert "user_management:read" in api.get("/v2/self", token="rotated").json()["scope"]

        unknown = served.token("revoke", "never-added")
        assert unknown.returncode == 1 and "The emulator refused: unknown token." in unknown.stderr
        # The admin endpoint takes JSON only (a web page can't post to it without a preflight).
        admin = f"http://127.0.0.1:{served.admin_port}"
        plain = requests.post(f"{admin}/tokens", data='{"token": "x"}', timeout=10)
        assert plain.status_code == 415
        assert (
            requests.post(f"{admin}/tokens", json={"token": "x", "scopes": ["bogus"]}, timeout=10).status_code
            == 400
        )
        assert api.get("/v2/self", token="x").status_code == 401
        assert "Stopped after" in _stop(served.process)
    gone = subprocess.run(
        [*CLI, "token", "revoke", "rotated", "--admin-port", str(served.admin_port)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert gone.returncode == 1 and "Is `serve` running?" in gone.stderr


def test_admin_port_is_printed_and_can_be_chosen() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with serve_process("--admin-port", str(port)) as served:
        assert served.admin_port == port
        assert served.token("add", "second").returncode == 0
        assert Api(served.url, "second").get("/v2/self").json()["active"] is True
        _stop(served.process)

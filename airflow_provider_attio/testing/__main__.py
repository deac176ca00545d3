"""Command line: ``python -m airflow_provider_attio.testing serve [options]`` and ``token add|revoke``.

``serve`` serves an :class:`~airflow_provider_attio.testing.AttioEmulator` until SIGINT or SIGTERM, for
local DAG runs, demos and benchmarks. Beside it, on loopback, a small admin endpoint lets ``token add``
and ``token revoke`` change the emulator's tokens from another shell (connection tests, token rotation).
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from airflow_provider_attio.testing.emulator import AttioEmulator
from airflow_provider_attio.testing.ratelimits import RATE_LIMIT_MODELS
from airflow_provider_attio.testing.seed import seed_examples
from airflow_provider_attio.testing.state import ALL_SCOPES

#: ``--seed examples``: the records the example DAGs and the README's commands use.
EXAMPLES = "examples"
#: The port of the token admin endpoint when ``--port`` is the default.
DEFAULT_ADMIN_PORT = 8766


def _seed(text: str) -> tuple[str, int]:
    if text == EXAMPLES:
        return EXAMPLES, 0
    object_slug, sep, count = text.partition("=")
    if not sep or not object_slug or not count.isdigit():
        raise argparse.ArgumentTypeError(
            f"expected OBJECT=COUNT (e.g. people=100) or {EXAMPLES!r}, got {text!r}"
        )
    return object_slug, int(count)


def _scope(text: str) -> str:
    if text not in ALL_SCOPES:
        raise argparse.ArgumentTypeError(
            f"unknown scope {text!r}; Attio's scopes are {', '.join(ALL_SCOPES)}"
        )
    return text


def _token(text: str) -> tuple[str, list[str] | None]:
    """Parse ``TOKEN`` (every scope) or ``TOKEN=SCOPE,SCOPE`` (those; none after a bare ``=``)."""
    token, sep, scopes = text.partition("=")
    if not token.strip() or token != token.strip():
        raise argparse.ArgumentTypeError(f"expected TOKEN or TOKEN=SCOPE,SCOPE..., got {text!r}")
    if not sep:
        return token, None
    return token, [_scope(scope.strip()) for scope in scopes.split(",") if scope.strip()]


def _share(text: str) -> tuple[float, int]:
    share, sep, status = text.partition(":")
    try:
        if not sep:
            raise ValueError
        value = float(share)
        if not 0 <= value <= 1:
            raise ValueError
        return value, int(status)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SHARE:STATUS (e.g. 0.1:503), got {text!r}") from None


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_attio.testing",
        description="A local Attio API emulator (real HTTP on loopback) for testing Airflow DAGs offline.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the emulator until interrupted",
        description="Serve the Attio emulator until SIGINT (Ctrl+C) or SIGTERM. It prints its base URL "
        "and the AIRFLOW_CONN_ATTIO_DEFAULT value that points Airflow at it.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument(
        "--port", type=int, default=8765, help="port; 0 picks a free one (default: %(default)s)"
    )
    serve.add_argument(
        "--token",
        action="append",
        type=_token,
        dest="tokens",
        metavar="TOKEN[=SCOPES]",
        help="a bearer token to accept, repeatable; the first is the connection's (default: test-token). "
        "TOKEN=SCOPE,SCOPE grants only those scopes, TOKEN= none; a bare TOKEN every scope",
    )
    serve.add_argument(
        "--scope",
        action="append",
        type=_scope,
        dest="scopes",
        metavar="SCOPE",
        help="a scope of the first token, repeatable (default: every scope)",
    )
    serve.add_argument(
        "--revoked-token",
        action="append",
        default=[],
        dest="revoked_tokens",
        metavar="TOKEN",
        help="a known but inactive token (revoked or expired: /v2/self says active=false), repeatable",
    )
    serve.add_argument(
        "--admin-port",
        type=int,
        metavar="PORT",
        help="loopback port of the token admin endpoint that `token add|revoke` talk to "
        "(default: --port + 1, so 8766; a free one if that is taken or --port is 0)",
    )
    serve.add_argument(
        "--seed",
        action="append",
        type=_seed,
        default=[],
        metavar="OBJECT=COUNT",
        help="create COUNT realistic records of OBJECT, repeatable (e.g. --seed people=100); "
        f"--seed {EXAMPLES} creates the records the example DAGs and the README's commands use",
    )
    serve.add_argument(
        "--reads-per-second", type=_positive, help="read rate limit (Attio: 100; default: none)"
    )
    serve.add_argument(
        "--writes-per-second", type=_positive, help="write rate limit (Attio: 25; default: none)"
    )
    serve.add_argument(
        "--rate-limit-model",
        choices=RATE_LIMIT_MODELS,
        default=RATE_LIMIT_MODELS[0],
        help="how the rate limits count: a token bucket, requests per wall-clock second, or per any "
        "one-second span (the window models take whole numbers; default: %(default)s)",
    )
    serve.add_argument(
        "--fail-share",
        action="append",
        type=_share,
        default=[],
        metavar="SHARE:STATUS",
        help="answer a random SHARE of calls with STATUS, repeatable (e.g. 0.1:503)",
    )
    serve.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer")
    serve.add_argument(
        "--drop-deletes",
        type=int,
        default=0,
        metavar="N",
        help="apply the first N successful DELETEs but close their connections unanswered",
    )
    serve.add_argument(
        "--answer-html",
        action="store_true",
        help="answer every call with an HTML sign-in page and status 200, applying nothing: a host that "
        "isn't Attio (a proxy's or captive portal's sign-in page, a wrong base URL)",
    )
    serve.add_argument("--workspace-name", default="Emulated Workspace", help="name reported by /v2/self")
    serve.add_argument(
        "--request-log",
        metavar="FILE",
        help="write every request to FILE as it is answered, one JSON line each (method, path, status, "
        "time, body; never a header, so never a token), for tests to read: which calls a DAG made and "
        "what they got. FILE is emptied at start",
    )

    token = commands.add_parser(
        "token",
        help="add or revoke a token of a running `serve`",
        description="Change the tokens of an emulator started with `serve`, from another shell: try "
        "the connection test with missing scopes or an inactive token, or rotate the token.",
    )
    actions = token.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="add a token, or replace its scopes", description="Add a token, or replace its scopes."
    )
    add.add_argument("token", metavar="TOKEN")
    add.add_argument(
        "--scope",
        action="append",
        type=_scope,
        dest="scopes",
        metavar="SCOPE",
        help="a scope of the token, repeatable (default: every scope)",
    )
    revoke = actions.add_parser(
        "revoke",
        help="revoke a token",
        description="Revoke a token: /v2/self then answers active=false, every other call 401.",
    )
    revoke.add_argument("token", metavar="TOKEN")
    for action in (add, revoke):
        action.add_argument(
            "--admin-port",
            type=int,
            default=DEFAULT_ADMIN_PORT,
            metavar="PORT",
            help="the admin port that `serve` printed (default: %(default)s)",
        )
    return parser


class _AdminServer(ThreadingHTTPServer):
    daemon_threads = True


def _admin_server(emulator: AttioEmulator, port: int, fallback: bool) -> _AdminServer:
    """Return a loopback HTTP server whose ``POST /tokens`` and ``POST /tokens/revoke`` change tokens.

    It takes JSON only, so a web page can't reach it with a simple cross-origin request.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.headers.get_content_type() != "application/json":
                return self._answer(415, {"error": "send a JSON body (Content-Type: application/json)"})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                token = body["token"]
                scopes = body.get("scopes")
                if not isinstance(token, str) or not token.strip():
                    raise ValueError
                if scopes is not None and not (
                    isinstance(scopes, list) and all(scope in ALL_SCOPES for scope in scopes)
                ):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return self._answer(400, {"error": 'expected {"token": "...", "scopes": [...] or null}'})
            if self.path == "/tokens":
                emulator.add_token(token, scopes)
                connection = json.loads(emulator.connection_uri())
                connection["password"] = token
                granted = "every scope" if scopes is None else ", ".join(scopes) or "no scope"
                return self._answer(200, {"scopes": granted, "connection": json.dumps(connection)})
            if self.path == "/tokens/revoke":
                try:
                    emulator.revoke_token(token)
                except ValueError:
                    return self._answer(404, {"error": "unknown token"})
                return self._answer(200, {})
            return self._answer(404, {"error": f"no admin route {self.path}"})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet, like the emulator

    try:
        return _AdminServer(("127.0.0.1", port), Handler)
    except OSError:
        if not fallback:
            raise
        return _AdminServer(("127.0.0.1", 0), Handler)


def _token_description(scopes: list[str] | None) -> str:
    if scopes is None:
        return "every scope"
    return ", ".join(scopes) or "no scope"


def serve(args: argparse.Namespace) -> int:
    """Run the ``serve`` command."""
    tokens = args.tokens or [("test-token", None)]
    first_token, first_scopes = tokens[0]
    if first_scopes is None:
        first_scopes = args.scopes
    examples = any(name == EXAMPLES for name, _ in args.seed)
    emulator = AttioEmulator(
        token=first_token,
        scopes=first_scopes,
        reads_per_second=args.reads_per_second,
        writes_per_second=args.writes_per_second,
        rate_limit_model=args.rate_limit_model,
        seed={name: count for name, count in args.seed if name != EXAMPLES},
        host=args.host,
        port=args.port,
        workspace_name=args.workspace_name,
        max_log_entries=0,  # memory stays flat: the log goes to --request-log's file, if given
        request_log_file=args.request_log,
    )
    for share, status in args.fail_share:
        emulator.fail_share(share, status)
    if args.latency > 0:
        emulator.set_latency(args.latency)
    if args.drop_deletes > 0:
        emulator.drop_after_apply(args.drop_deletes, method="DELETE")
    if args.answer_html:
        emulator.answer_html(None)
    for token, scopes in tokens[1:]:
        emulator.add_token(token, scopes)
    for token in args.revoked_tokens:
        emulator.add_token(token, active=False)
    seeded = seed_examples(emulator) if examples else None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with emulator:
        if args.admin_port is not None:
            admin = _admin_server(emulator, args.admin_port, fallback=False)
        else:
            admin = _admin_server(emulator, args.port + 1 if args.port else 0, fallback=True)
        admin_thread = threading.Thread(target=admin.serve_forever, name="attio-emulator-admin", daemon=True)
        admin_thread.start()
        admin_port = admin.server_address[1]
        out = sys.stdout
        out.write(f"Attio emulator serving at {emulator.base_url}\n")
        out.write(f"export AIRFLOW_CONN_ATTIO_DEFAULT={shlex.quote(emulator.connection_uri())}\n")
        described = [(first_token, first_scopes, "active"), *((t, s, "active") for t, s in tokens[1:])]
        described += [(token, None, "revoked") for token in args.revoked_tokens]
        for token, scopes, state in described:
            what = "revoked: /v2/self says active=false" if state == "revoked" else _token_description(scopes)
            out.write(f"Token {token!r}: {what}\n")
        admin_args = "" if admin_port == DEFAULT_ADMIN_PORT else f" --admin-port {admin_port}"
        cli = "python -m airflow_provider_attio.testing"
        out.write(
            "Test the connection: "
            "AIRFLOW__CORE__TEST_CONNECTION=Enabled airflow connections test attio_default\n"
            "Add or revoke tokens from another shell (connection tests, token rotation):\n"
            f"  {cli} token add TOKEN [--scope SCOPE]...{admin_args}\n"
            f"  {cli} token revoke TOKEN{admin_args}\n"
        )
        if seeded is not None:
            out.write(
                f"Seeded the records the example DAGs use ({len(seeded.load_testers)} load testers, "
                f"{len(seeded.sync_fixtures)} sync fixtures, {len(seeded.mirror_sync.kept) + 1} mirrored "
                "people, Delia and Walter Example, background data). "
                "With the export above, and example_dags/ in your DAGs folder, try:\n"
            )
            out.writelines(f"  {command}\n" for command in seeded.commands())
            out.write(
                "  (the sensor waits until Walter is deleted: delete him with example_attio_delete_record)\n"
            )
        if args.request_log:
            out.write(f"Request log: {args.request_log} (one JSON line per request)\n")
        if args.answer_html:
            out.write("Every call answers an HTML sign-in page with status 200 (--answer-html).\n")
        out.write("Press Ctrl+C to stop.\n")
        out.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            admin.shutdown()
            admin.server_close()
    counts = emulator.status_counts()
    summary = ", ".join(f"{status or 'dropped'}: {n}" for status, n in sorted(counts.items(), key=str))
    sys.stdout.write(f"Stopped after {sum(counts.values())} requests ({summary or 'none'}).\n")
    return 0


def token(args: argparse.Namespace) -> int:
    """Run ``token add`` or ``token revoke`` against a running ``serve``."""
    body: dict[str, Any] = {"token": args.token}
    if args.action == "add":
        body["scopes"] = args.scopes
    path = "/tokens" if args.action == "add" else "/tokens/revoke"
    request = urllib.request.Request(
        f"http://127.0.0.1:{args.admin_port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http://127.0.0.1 only
            answer = json.loads(response.read())
    except urllib.error.HTTPError as err:
        reason = json.loads(err.read() or b"{}").get("error", err.reason)
        sys.stderr.write(f"The emulator refused: {reason}.\n")
        return 1
    except OSError as err:
        sys.stderr.write(
            f"No emulator admin endpoint at 127.0.0.1:{args.admin_port} ({err}). Is `serve` running? "
            "Pass the --admin-port it printed.\n"
        )
        return 1
    if args.action == "add":
        sys.stdout.write(f"Token {args.token!r} added: {answer['scopes']}. To use it:\n")
        sys.stdout.write(f"export AIRFLOW_CONN_ATTIO_DEFAULT={shlex.quote(answer['connection'])}\n")
    else:
        sys.stdout.write(f"Token {args.token!r} revoked: /v2/self says active=false, other calls get 401.\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m airflow_provider_attio.testing``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "token":
        return token(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

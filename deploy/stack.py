"""The processes the deployment starts: each in its own session, its output in a log file, all stopped.

Every process is started with ``start_new_session=True``, so it leads a process group of its own. Stopping
sends its stop signal to the group, waits, then SIGKILLs the group and every descendant seen on the way
(a Celery worker's task processes included): nothing started here outlives the run, failed or not.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, check: Callable[[], object], timeout: float, interval: float = 0.5) -> object:
    """Call ``check`` until it returns something true (returned) or ``timeout`` s pass (TimeoutError)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception as err:  # not up yet: connection refused, a 503...
            result, last = None, err
        else:
            last = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{what}: not after {timeout:.0f} s" + (f" (last error: {last})" if last else "")
            )
        time.sleep(interval)


@dataclass
class Proc:
    """One started process (and its process group)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    stop_signal: int = signal.SIGTERM
    seen: set[int] = field(default_factory=set)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def descendants(self) -> list[psutil.Process]:
        """The process and its descendants now, remembered for the final sweep."""
        try:
            root = psutil.Process(self.pid)
            found = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        self.seen.update(p.pid for p in found)
        return found

    def stop(self, timeout: float = 20) -> None:
        """Send the stop signal to the group, wait, then SIGKILL whatever of the tree is left."""
        self.descendants()
        if self.alive():
            _signal_group(self.pid, self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        _signal_group(self.pid, signal.SIGKILL)
        self.kill_seen()
        if self.popen.poll() is None:
            self.popen.wait(timeout=10)

    def kill_seen(self) -> None:
        """SIGKILL every process of the tree seen so far that still lives (orphans left a group too)."""
        for pid in self.seen:
            try:
                process = psutil.Process(pid)
                if process.status() != psutil.STATUS_ZOMBIE:
                    process.kill()
            except psutil.Error:
                pass


def _child_setup(signum: int, user: str | None) -> Callable[[], None]:
    """In the child, before exec: become ``user`` if given, then ask for ``signum`` when the driver dies,
    even by SIGKILL (Linux's ``PR_SET_PDEATHSIG``, which a change of user clears: so it comes last)."""
    account = pwd.getpwnam(user) if user else None

    def setup() -> None:
        if account is not None:
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
        ctypes.CDLL(None, use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG

    return setup


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


class Stack:
    """Starts processes with their output in ``logs/NAME.log``; stops them all, last started first."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[Proc] = []
        #: Processes a scenario stopped on purpose (a killed worker).
        self.expected_dead: set[str] = set()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> Proc:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                list(argv),
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_child_setup(stop_signal, user),  # the driver starts no threads
            )
        proc = Proc(name, popen, log, stop_signal)
        self.procs.append(proc)
        return proc

    def get(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)

    def check_alive(self) -> None:
        """Raise if a started process has exited on its own (its log says why)."""
        dead = [p for p in self.procs if not p.alive() and p.name not in self.expected_dead]
        if dead:
            names = ", ".join(f"{p.name} (exit {p.popen.returncode}, log {p.log})" for p in dead)
            raise RuntimeError(f"exited unexpectedly: {names}")

    def stop_all(self) -> list[int]:
        """Stop every process; return the pids of the trees still alive afterwards (should be none)."""
        for proc in reversed(self.procs):
            try:
                proc.stop()
            except Exception as err:  # keep stopping the others
                print(f"  could not stop {proc.name}: {err}")
        left = []
        for proc in self.procs:
            for pid in proc.seen | {proc.pid}:
                try:
                    if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                        left.append(pid)
                except psutil.Error:
                    pass
        return left

"""The deployment's Attio side: the emulator's request log (``serve --request-log``) and direct API calls.

The driver plays "someone else" in the workspace: it lists the records, deletes the ones a sensor waits
for, and rotates the token with ``token add|revoke``, as a user of ``serve`` would from another shell.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

RECORD_PATH = re.compile(r"^/v2/objects/people/records/([0-9a-f-]{36})$")
QUERY_PATH = "/v2/objects/people/records/query"


@dataclass(frozen=True)
class Entry:
    """One line of the emulator's request log."""

    method: str
    path: str
    status: int | None
    time: float
    body: Any

    @property
    def record_id(self) -> str | None:
        match = RECORD_PATH.match(self.path)
        return match.group(1) if match else None

    @property
    def queried_ids(self) -> list[str]:
        """The ids of a ``record_id`` ``$in`` query (a batched sensor check), else none."""
        if self.method != "POST" or self.path != QUERY_PATH or not isinstance(self.body, dict):
            return []
        found = re.findall(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", json.dumps(self.body)
        )
        return found if "record_id" in json.dumps(self.body) else []


class RequestLog:
    """Reads the file ``serve --request-log`` writes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self, since: float = 0.0, until: float = float("inf")) -> list[Entry]:
        found = []
        with self.path.open() as lines:
            for line in lines:
                if line.endswith("\n"):  # a line being written is read next time
                    entry = Entry(**json.loads(line))
                    if since <= entry.time <= until:
                        found.append(entry)
        return found

    def deletes(self, ids: Iterable[str], since: float = 0.0, until: float = float("inf")) -> list[Entry]:
        """The DELETEs of these records (every answer: 200, 404, 429, 401...)."""
        wanted = set(ids)
        return [e for e in self.entries(since, until) if e.method == "DELETE" and e.record_id in wanted]


def deleted(entries: Iterable[Entry]) -> set[str]:
    """Records a DELETE deleted (answered 200)."""
    return {e.record_id for e in entries if e.status == 200 and e.record_id}


def sent_twice(entries: Iterable[Entry]) -> list[str]:
    """Records that got more than one DELETE that reached the handler (a 429 is refused unapplied)."""
    counts = Counter(e.record_id for e in entries if e.status != 429 and e.record_id)
    return sorted(rid for rid, n in counts.items() if n > 1)


def ticks(entries: list[Entry], gap: float = 1.0) -> list[list[Entry]]:
    """Group requests into bursts (a trigger's tick): a new one starts after ``gap`` s of quiet."""
    groups: list[list[Entry]] = []
    for entry in sorted(entries, key=lambda e: e.time):
        if groups and entry.time - groups[-1][-1].time <= gap:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


class Attio:
    """Direct calls to the emulator's API, with the current token."""

    def __init__(self, base_url: str, token: str, admin_port: int) -> None:
        self.base_url = base_url
        self.token = token
        self.admin_port = admin_port
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        while True:
            answer = self.http.request(
                method, path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs
            )
            if answer.status_code != 429:
                return answer
            wait = parsedate_to_datetime(answer.headers["retry-after"]).timestamp() - time.time()
            time.sleep(min(max(wait, 0.05), 5))

    def people(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            body = {"limit": 500, "offset": len(found)}
            page = self._call("POST", QUERY_PATH, json=body).json()["data"]
            found += page
            if len(page) < 500:
                return found

    def delete(self, record_ids: Iterable[str], per_second: float = 20) -> None:
        """Delete records as another user of the workspace would, under the write budget."""
        for record_id in record_ids:
            started = time.monotonic()
            answer = self._call("DELETE", f"/v2/objects/people/records/{record_id}")
            if answer.status_code not in (200, 404):
                raise RuntimeError(f"DELETE {record_id}: {answer.status_code} {answer.text[:200]}")
            time.sleep(max(0.0, 1 / per_second - (time.monotonic() - started)))

    def token_command(self, action: str, token: str) -> None:
        """``python -m airflow_provider_attio.testing token add|revoke TOKEN`` (its output holds the token:
        kept out of every log)."""
        argv = [sys.executable, "-m", "airflow_provider_attio.testing", "token", action, token]
        result = subprocess.run([*argv, "--admin-port", str(self.admin_port)], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"token {action} failed: {result.stderr.replace(token, '***')}")


def email_domain(record: dict[str, Any]) -> str:
    emails = record["values"].get("email_addresses") or [{}]
    return str(emails[0].get("email_domain") or "")

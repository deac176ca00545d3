"""Airflow's REST API (``/api/v2``), as an operator of the deployment uses it: a JWT from ``/auth/token``."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx

#: Task instance states that won't change any more.
FINISHED = {"success", "failed", "skipped", "upstream_failed", "removed"}


class AirflowApi:
    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self._login = {"username": username, "password": password}
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self._authenticate()

    def _authenticate(self) -> None:
        answer = self.http.post("/auth/token", json=self._login)
        answer.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, f"/api/v2{path}", **kwargs)
        if answer.status_code == 401:  # the JWT expired: log in again, once
            self._authenticate()
            answer = self.http.request(method, f"/api/v2{path}", **kwargs)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} /api/v2{path}: {answer.status_code} {answer.text[:500]}")
        return answer.json() if answer.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params)

    # -- setup ------------------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return dict(self.get("/monitor/health"))

    def put_connection(self, conn_id: str, conn_type: str, **fields: Any) -> None:
        """Create the connection, or update every field given."""
        body = {"connection_id": conn_id, "conn_type": conn_type, **fields}
        existing = self.http.get(f"/api/v2/connections/{conn_id}").status_code == 200
        if existing:
            self.call("PATCH", f"/connections/{conn_id}", json=body)
        else:
            self.call("POST", "/connections", json=body)

    def set_pool(self, name: str, slots: int) -> None:
        self.call("POST", "/pools", json={"name": name, "slots": slots, "description": "Attio write budget"})

    def dag_ids(self) -> set[str]:
        return {dag["dag_id"] for dag in self.get("/dags", limit=100)["dags"]}

    def import_errors(self) -> list[dict[str, Any]]:
        return list(self.get("/importErrors")["import_errors"])

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    # -- runs -------------------------------------------------------------------------------------------

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        body = {"logical_date": None, "conf": conf or {}}
        return str(self.call("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.get(f"/dags/{dag_id}/dagRuns/{quote(run_id)}")["state"])

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        """Wait until the run is finished; return its state."""
        deadline = time.monotonic() + timeout
        while (state := self.run_state(dag_id, run_id)) not in ("success", "failed"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} {run_id} still {state} after {timeout:.0f} s")
            time.sleep(2)
        return state

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page = self.get(
                f"/dags/{dag_id}/dagRuns/{quote(run_id)}/taskInstances", limit=100, offset=len(found)
            )
            found += page["task_instances"]
            if len(found) >= page["total_entries"] or not page["task_instances"]:
                return found

    def tries(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[dict[str, Any]]:
        path = f"/dags/{dag_id}/dagRuns/{quote(run_id)}/taskInstances/{task_id}"
        if map_index >= 0:
            path += f"/{map_index}"
        return list(self.get(f"{path}/tries")["task_instances"])

    def xcom_value(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> Any:
        path = f"/dags/{dag_id}/dagRuns/{quote(run_id)}/taskInstances/{task_id}/xcomEntries/return_value"
        return self.get(path, map_index=map_index)["value"]

    def all_xcoms(self) -> list[dict[str, Any]]:
        """Every XCom entry of every run, with its value."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.get("/dags/~/dagRuns/~/taskInstances/~/xcomEntries", limit=100, offset=len(found))
            found += page["xcom_entries"]
            if len(found) >= page["total_entries"] or not page["xcom_entries"]:
                break
        for entry in found:
            path = (
                f"/dags/{entry['dag_id']}/dagRuns/{quote(entry['run_id'])}/taskInstances/"
                f"{entry['task_id']}/xcomEntries/{quote(entry['key'])}"
            )
            entry["value"] = self.get(path, map_index=entry["map_index"])["value"]
        return found

"""Bringing the deployment up: the provider's wheel, the services, Airflow, its connections and pool."""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from deploy import build, services
from deploy.api import AirflowApi
from deploy.attio import Attio, RequestLog, email_domain
from deploy.stack import Stack, wait_until

ROOT = Path(__file__).resolve().parents[1]
#: People the emulator seeds beyond the examples' records: the cohorts of scenarios 2 to 5.
EXTRA_PEOPLE = 1000
POOL = "attio_writes"
POOL_SLOTS = 3
EXAMPLE_DAGS = (
    "example_attio_delete_record",
    "example_attio_sync_teardown",
    "example_attio_wait_until_deleted",
    "example_attio_bulk_teardown",
    "example_attio_mirror_sync",
    "example_attio_activity_teardown",
    "example_attio_restore",
)
DEPLOY_DAGS = ("deploy_bulk", "deploy_sensors", "deploy_pool")


class Clock:
    """Elapsed time since the start, for the progress lines."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.start:5.0f}s] {message}", flush=True)


@dataclass
class Deployment:
    run: Path
    stack: Stack
    ports: services.Ports
    env: dict[str, str]
    api: AirflowApi
    attio: Attio
    log: RequestLog
    #: Every Attio token the deployment used (scenario 6 looks for each).
    tokens: list[str]
    #: The examples' record ids by purpose (``load_testers``...), full name and email; the other people's
    #: ids (the cohorts of scenarios 2-5).
    examples: dict[str, list[str]]
    others: list[str]
    facts: dict[str, Any] = field(default_factory=dict)
    _taken: int = 0

    def take(self, count: int) -> list[str]:
        """``count`` people no scenario has used yet."""
        ids = self.others[self._taken : self._taken + count]
        if len(ids) < count:
            raise RuntimeError(f"only {len(ids)} unused people left, {count} wanted")
        self._taken += count
        return ids

    def s3_uri(self, prefix: str) -> str:
        return f"s3://aws_default@{services.BUCKET}/{prefix}"


def install_provider(run: Path, clock: Clock) -> dict[str, str]:
    """Build, check and install the wheel; return what the report says about it."""
    sdist, wheel = build.build(ROOT, run / "dist")
    version, named = build.wheel_version(wheel), build.changelog_version(ROOT)
    if version != named:
        raise RuntimeError(f"the wheel is version {version} but CHANGELOG.md's release is {named}")
    where = build.install(wheel, cwd=run)
    if "site-packages" not in where.parts or Path(sys.prefix) not in where.parents:
        raise RuntimeError(f"the provider is imported from {where}, not from the installed wheel")
    clock.say(f"built {sdist.name} and {wheel.name} (twine check passed), installed: {where.parent}")
    return {"wheel": wheel.name, "version": version}


def start_services(run: Path, stack: Stack, ports: services.Ports, token: str, clock: Clock) -> None:
    clock.say(f"PostgreSQL and Redis servers: {services.system_packages()}")
    services.start_postgres(stack, run, ports.postgres)
    services.start_redis(stack, run, ports.redis)
    services.start_s3(stack, run, ports.s3)
    services.start_attio(stack, run, ports, token, EXTRA_PEOPLE)
    clock.say(
        f"PostgreSQL :{ports.postgres}, Redis :{ports.redis}, S3 (moto) :{ports.s3}, "
        f"Attio emulator :{ports.attio} (sliding window, 25 writes/s, 100 reads/s)"
    )


def start_airflow(
    run: Path, stack: Stack, ports: services.Ports, clock: Clock
) -> tuple[dict[str, str], AirflowApi]:
    dags = run / "dags"
    dags.mkdir()
    for source in [*(ROOT / "example_dags").glob("*.py"), *(ROOT / "deploy" / "dags").glob("*.py")]:
        shutil.copy(source, dags)
    env = services.airflow_env(run, ports, Fernet.generate_key().decode(), secrets.token_hex(32))
    Path(env["AIRFLOW_HOME"]).mkdir()
    services.airflow(env, "db", "migrate")
    clock.say("airflow db migrate: done (PostgreSQL)")
    services.start_airflow(stack, run, env)
    base = env["AIRFLOW__API__BASE_URL"]
    wait_until("the api-server", lambda: httpx.get(f"{base}/api/v2/monitor/health").status_code == 200, 180)
    api = AirflowApi(base, "admin", services.read_passwords(env)["admin"])
    wait_until("scheduler, triggerer, dag-processor healthy", lambda: _healthy(api), timeout=180)
    services.wait_for_workers(stack)
    clock.say("api-server, scheduler, dag-processor, triggerer and workers w1, w2 up")
    return env, api


def _healthy(api: AirflowApi) -> bool:
    health = api.health()
    return all(
        health.get(part, {}).get("status") == "healthy"
        for part in ("scheduler", "triggerer", "dag_processor")
    )


def configure(api: AirflowApi, ports: services.Ports, token: str, clock: Clock) -> None:
    """The connections (in the metadata database, the token Fernet-encrypted), the pool, the DAGs."""
    api.put_connection("attio_default", "attio", host=f"http://127.0.0.1:{ports.attio}", password=token)
    s3 = {
        "endpoint_url": f"http://127.0.0.1:{ports.s3}",
        "aws_access_key_id": "deploy",
        "aws_secret_access_key": "deploy",
        "region_name": "us-east-1",
    }
    api.put_connection("aws_default", "aws", extra=json.dumps(s3))
    api.set_pool(POOL, POOL_SLOTS)
    wanted = {*EXAMPLE_DAGS, *DEPLOY_DAGS}
    wait_until("every DAG parsed", lambda: wanted <= api.dag_ids(), timeout=180)
    if api.import_errors():
        raise RuntimeError(f"DAG import errors: {api.import_errors()}")
    for dag_id in sorted(wanted):
        api.unpause(dag_id)
    clock.say(
        f"connections attio_default and aws_default, pool {POOL} ({POOL_SLOTS} slots), "
        f"{len(wanted)} DAGs unpaused"
    )


def classify_people(attio: Attio) -> tuple[dict[str, list[str]], list[str]]:
    """The examples' records by purpose (from ``serve --seed examples``), and everyone else."""
    examples: dict[str, list[str]] = {}
    others: list[str] = []
    purposes = {
        "examples.example.invalid": "named",
        "sync-fixtures.example.invalid": "sync_fixtures",
        "loadtest.example.invalid": "load_testers",
        "mirror-sync.example.invalid": "mirror",
    }
    for record in attio.people():
        rid, domain = record["id"]["record_id"], email_domain(record)
        if domain in purposes:
            examples.setdefault(purposes[domain], []).append(rid)
            name = record["values"]["name"][0]["full_name"]
            email = record["values"]["email_addresses"][0]["email_address"]
            examples.setdefault(name, []).append(rid)
            examples.setdefault(email, []).append(rid)
        else:
            others.append(rid)
    return examples, others


def bring_up(run: Path, stack: Stack, clock: Clock) -> Deployment:
    facts = install_provider(run, clock)
    ports = services.Ports.pick()
    token = f"attio-deploy-{secrets.token_hex(16)}"
    start_services(run, stack, ports, token, clock)
    env, api = start_airflow(run, stack, ports, clock)
    configure(api, ports, token, clock)
    attio = Attio(f"http://127.0.0.1:{ports.attio}", token, ports.attio_admin)
    examples, others = classify_people(attio)
    log = RequestLog(run / "attio-requests.jsonl")
    facts["sockets"] = services.listening_sockets(stack)
    return Deployment(run, stack, ports, env, api, attio, log, [token], examples, others, facts)

"""The deployment's services, each on loopback: PostgreSQL, Redis, an S3 server (moto), the Attio emulator,
and Airflow's components (api-server, scheduler, dag-processor, triggerer, two Celery workers).

PostgreSQL and Redis are Debian's packages: installed with apt-get when missing (as root), started here
from a data folder of the run, not as system services. Everything else comes from the deployment's venv.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.stack import Proc, Stack, free_port, wait_until

#: The Celery workers, each standing for a machine of its own: its own hostname and temp folder.
WORKERS = ("w1", "w2")
#: Slots per worker: 2 workers x 2 = 4 tasks at once (3 for the pool scenario, plus one).
WORKER_CONCURRENCY = 2
BUCKET = "deploy-archive"


@dataclass
class Ports:
    postgres: int
    redis: int
    s3: int
    attio: int
    attio_admin: int
    api: int

    @classmethod
    def pick(cls) -> Ports:
        return cls(*(free_port() for _ in range(6)))


def system_packages() -> str:
    """Make sure Debian's PostgreSQL and Redis servers are there; install them as root if not."""
    if _postgres_bin() and shutil.which("redis-server"):
        return "already installed"
    if os.geteuid() != 0:
        raise RuntimeError(
            "PostgreSQL and Redis servers are missing and this is not root: run "
            "`apt-get install -y postgresql redis-server` as root first"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Keep the packages' own services from starting: this run starts its own servers, on other ports.
    policy = Path("/usr/sbin/policy-rc.d")
    added_policy = not policy.exists()
    if added_policy:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql", "redis-server"],
            env=env,
            check=True,
            capture_output=True,
        )
    finally:
        if added_policy:
            policy.unlink()
    return "installed with apt-get"


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _postgres_user() -> str | None:
    """Run PostgreSQL as Debian's ``postgres`` user when root (it refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam("postgres")
    return "postgres"


def start_postgres(stack: Stack, run: Path, port: int) -> Proc:
    """A fresh cluster in ``run/postgres``, listening on 127.0.0.1 only, database ``airflow``."""
    bin_dir = _postgres_bin()
    assert bin_dir is not None
    user = _postgres_user()
    data = _data_dir(run, user)
    _initdb(bin_dir, data, user)
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(data),
        "fsync": "off",  # a throwaway cluster: speed over durability
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "300",
    }
    argv = [str(bin_dir / "postgres"), "-D", str(data)]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    # SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client to leave).
    proc = stack.start("postgres", argv, os.environ, cwd=data, user=user, stop_signal=signal.SIGINT)
    psql = [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "airflow", "-d", "postgres"]
    wait_until("PostgreSQL", lambda: _run_ok([*psql, "-c", "select 1"]), timeout=60)
    subprocess.run([*psql, "-c", "create database airflow"], check=True, capture_output=True)
    return proc


def _data_dir(run: Path, user: str | None) -> Path:
    """``run/postgres``, or a temp folder when the postgres user can't reach the clone's folders."""
    data = run / "postgres"
    if user and not all(parent.stat().st_mode & 0o001 for parent in data.parents):
        folder = Path(tempfile.mkdtemp(prefix="attio-deploy-postgres-"))
        folder.chmod(0o755)  # mkdtemp's 0700 would lock the postgres user out too
        data = folder / "data"
        (run / "postgres-data-dir").write_text(f"{data}\n")  # removed at the end (__main__)
    return data


def _initdb(bin_dir: Path, data: Path, user: str | None) -> None:
    """An empty cluster whose superuser ``airflow`` may connect from 127.0.0.1 without a password."""
    data.mkdir()
    if user:
        shutil.chown(data, user, user)
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", "airflow", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        user=user,
        group=user,
        cwd=data,
    )


def pg_dump(port: int) -> bytes:
    """A plain-SQL dump of the ``airflow`` database."""
    bin_dir = _postgres_bin()
    assert bin_dir is not None
    argv = [str(bin_dir / "pg_dump"), "-h", "127.0.0.1", "-p", str(port), "-U", "airflow", "airflow"]
    return subprocess.run(argv, check=True, capture_output=True).stdout


def _run_ok(argv: list[str]) -> bool:
    return subprocess.run(argv, capture_output=True).returncode == 0


def start_redis(stack: Stack, run: Path, port: int) -> Proc:
    folder = run / "redis"
    folder.mkdir()
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = stack.start("redis", [*argv, "--dir", str(folder)], os.environ, cwd=folder)
    wait_until("Redis", lambda: _redis_ping(port), timeout=30, interval=0.2)
    return proc


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")


def start_s3(stack: Stack, run: Path, port: int) -> Proc:
    """moto's S3-compatible server, and the archive bucket in it."""
    moto = str(Path(sys.executable).parent / "moto_server")
    proc = stack.start("s3", [moto, "-H", "127.0.0.1", "-p", str(port)], os.environ, cwd=run)
    wait_until("S3 (moto)", lambda: httpx.get(f"http://127.0.0.1:{port}/").status_code < 500, timeout=60)
    s3_client(port).create_bucket(Bucket=BUCKET)
    return proc


def s3_client(port: int):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="deploy",
        aws_secret_access_key="deploy",  # noqa: S106 - moto accepts any
        region_name="us-east-1",
    )


def start_attio(stack: Stack, run: Path, ports: Ports, token: str, extra_people: int) -> Proc:
    """The emulator as Attio: the examples' records and ``extra_people`` more, Attio's limits (a strict
    sliding window), every request logged to ``run/attio-requests.jsonl``."""
    argv = [
        sys.executable,
        "-m",
        "airflow_provider_attio.testing",
        "serve",
        "--port",
        str(ports.attio),
        "--admin-port",
        str(ports.attio_admin),
        "--token",
        token,
        "--seed",
        "examples",
        "--seed",
        f"people={extra_people}",
        "--reads-per-second",
        "100",
        "--writes-per-second",
        "25",
        "--rate-limit-model",
        "sliding_window",
        "--request-log",
        str(run / "attio-requests.jsonl"),
    ]
    # Its banner prints the token (by design): its log is the one file scenario 6 does not scan.
    proc = stack.start("attio-emulator", argv, os.environ, cwd=run)
    wait_until("the Attio emulator", lambda: "Press Ctrl+C" in proc.log.read_text(), timeout=60)
    return proc


def airflow_env(run: Path, ports: Ports, fernet_key: str, jwt_secret: str) -> dict[str, str]:
    """The configuration every Airflow process shares (environment variables, as in a container)."""
    home = run / "airflow"
    db = f"postgresql+psycopg2://airflow@127.0.0.1:{ports.postgres}/airflow"
    api = f"http://127.0.0.1:{ports.api}"
    config = {
        "CORE__EXECUTOR": "CeleryExecutor",
        "CORE__DAGS_FOLDER": str(run / "dags"),
        "CORE__LOAD_EXAMPLES": "False",
        "CORE__FERNET_KEY": fernet_key,
        "CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        "CORE__HOSTNAME_CALLABLE": "deploy_hostname.hostname",
        "CORE__PARALLELISM": "64",
        "CORE__MAX_ACTIVE_TASKS_PER_DAG": "128",
        "CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "DATABASE__SQL_ALCHEMY_CONN": db,
        "CELERY__BROKER_URL": f"redis://127.0.0.1:{ports.redis}/0",
        "CELERY__RESULT_BACKEND": f"db+{db}",
        "API__HOST": "127.0.0.1",
        "API__PORT": str(ports.api),
        "API__BASE_URL": api,
        "API__WORKERS": "2",
        "API_AUTH__JWT_SECRET": jwt_secret,
        "API__SECRET_KEY": jwt_secret,
        # A worker lost with its task (scenario 2) is noticed after 30 s, not 300.
        "SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "LOGGING__LOGGING_LEVEL": "INFO",
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update({f"AIRFLOW__{key}": value for key, value in config.items()})
    env["AIRFLOW_HOME"] = str(home)
    # deploy_hostname: a task's hostname is its worker's name (all "machines" share this one).
    env["PYTHONPATH"] = str(Path(__file__).parent / "airflow_site")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def airflow(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run an ``airflow`` CLI command; return its output (raise with it on failure)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), *args],
        env=env,
        cwd=env["AIRFLOW_HOME"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"airflow {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result.stdout


def start_airflow(stack: Stack, run: Path, env: dict[str, str]) -> None:
    """The api-server, scheduler, dag-processor, triggerer and two Celery workers, as separate processes."""
    bin_airflow = str(Path(sys.executable).parent / "airflow")
    home = Path(env["AIRFLOW_HOME"])
    components = {
        "api-server": ["api-server"],
        "scheduler": ["scheduler", "--skip-serve-logs"],
        "dag-processor": ["dag-processor"],
        "triggerer": ["triggerer", "--skip-serve-logs"],
    }
    for name, args in components.items():
        stack.start(name, [bin_airflow, *args], {**env, "DEPLOY_HOSTNAME": name}, cwd=home)
    for name in WORKERS:
        start_worker(stack, run, env, name)


def start_worker(stack: Stack, run: Path, env: dict[str, str], name: str) -> Proc:
    """A Celery worker standing for a machine: its own hostname and temp folder (a worker-local disk)."""
    tmp = run / name / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    argv = [
        str(Path(sys.executable).parent / "airflow"),
        "celery",
        "worker",
        "--celery-hostname",
        f"{name}@deploy",
        "--concurrency",
        str(WORKER_CONCURRENCY),
        "--skip-serve-logs",
    ]
    worker_env = {**env, "DEPLOY_HOSTNAME": name, "TMPDIR": str(tmp)}
    return stack.start(f"worker-{name}", argv, worker_env, cwd=run / name)


def wait_for_workers(stack: Stack, timeout: float = 180) -> None:
    for name in WORKERS:
        proc = stack.get(f"worker-{name}")
        wait_until(f"Celery worker {name}", lambda p=proc: "ready." in p.log.read_text(), timeout=timeout)


def listening_sockets(stack: Stack) -> list[tuple[str, str, int]]:
    """(process, address, port) of every listening TCP socket of the processes started."""
    import psutil

    pids = {}
    for proc in stack.procs:
        for p in proc.descendants():
            pids[p.pid] = proc.name
    found = []
    for conn in psutil.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            found.append((pids[conn.pid], conn.laddr.ip, conn.laddr.port))
    return found


def read_passwords(env: dict[str, str]) -> dict[str, str]:
    """The simple auth manager's generated passwords (written by the api-server at its start)."""
    path = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    return dict(json.loads(path.read_text()))

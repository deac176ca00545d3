"""Run DAGs end to end with ``dag.test()`` against the emulator.

A session fixture migrates a throwaway sqlite metadata database and fills the DAGs folder with the
example DAGs and the test DAGs of ``tests/dags/dag_files`` (``dag.test()`` needs the file in the DAGs
folder). ``run_dag`` runs one DAG in-process and returns its states and XComs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_SOURCES = [ROOT / "example_dags", Path(__file__).parent / "dag_files"]


@dataclass
class DagRunResult:
    """What a ``dag.test()`` run left behind: the run's state, each task's state and XCom."""

    state: str
    #: task_id (or "task_id[map_index]" for mapped tasks) -> state
    states: dict[str, str | None]
    #: same keys -> the task's return value (XCom "return_value"), when it pushed one
    xcoms: dict[str, Any]
    #: same keys -> how many times the task ran
    tries: dict[str, int]


@pytest.fixture(scope="session")
def dags_folder() -> Path:
    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    for source in DAG_SOURCES:
        for path in source.glob("*.py"):
            shutil.copy(path, folder / path.name)
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return folder


def _load_dag(folder: Path, dag_id: str) -> Any:
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3.3+
    except ImportError:  # pragma: no cover - Airflow 2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    bag = DagBag(str(folder))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def _key(ti: Any) -> str:
    return ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"


@pytest.fixture(scope="session")
def shared_execution_api() -> Iterator[None]:
    """One in-process execution API for every ``dag.test()`` task of the session.

    ``dag.test()`` builds a new one for each task and Cadwyn builds its versioned routes again for each:
    about 2 s a task, most of a DAG test's time. The API itself is Airflow's, unchanged; kept alive, its
    lifespan stays open, so the svcs problem that the Makefile pins away on 3.2 would not show here.
    """
    try:
        from airflow.sdk.execution_time import supervisor
    except ImportError:  # pragma: no cover - Airflow 2 runs tasks without it
        yield
        return
    api = supervisor.in_process_api_server()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(supervisor, "in_process_api_server", lambda: api)
        yield


@pytest.fixture(scope="session")
def no_mask_secret_debug_line() -> Iterator[None]:
    """Airflow 3.0 only: drop the one line of ``dag.test()`` that prints a secret in clear.

    3.0's in-process supervisor logs each message a task sends it at debug level, and 3.0 leaves structlog
    unconfigured under ``dag.test()`` and ``airflow dags test`` (stdout, every level), so each
    ``mask_secret()`` call prints ``Sending request msg=MaskSecret(value='<the secret>')`` before any mask
    applies. Airflow itself calls it for every connection a task reads (the hook calls it too), so this is
    not the provider's to fix: a real worker's supervisor logs only the message's type, and 3.1 configures
    its logging. Only lines carrying a MaskSecret are dropped: every other line is still checked for the
    token.
    """
    if not version("apache-airflow").startswith("3.0."):
        yield
        return
    import structlog
    from airflow.sdk.execution_time.comms import MaskSecret

    def drop_mask_secret(logger: Any, method: str, event: Any) -> Any:
        if isinstance(event.get("msg"), MaskSecret):
            raise structlog.DropEvent
        return event

    saved = structlog.get_config()
    structlog.configure(processors=[drop_mask_secret, *saved["processors"]])
    yield
    structlog.configure(**saved)


@pytest.fixture
def run_dag(
    dags_folder: Path, shared_execution_api: None, no_mask_secret_debug_line: None
) -> Iterator[Callable[..., DagRunResult]]:
    try:
        from airflow.models.xcom import XComModel
    except ImportError:  # pragma: no cover - Airflow 2
        from airflow.models.xcom import XCom as XComModel  # type: ignore[no-redef]
    from airflow.utils.session import create_session

    def run(dag_id: str, *, adjust: Callable[[Any], None] | None = None, **conf: Any) -> DagRunResult:
        """Run ``dag_id`` with ``conf``; ``adjust`` may change the loaded DAG's tasks first (a sensor's
        ``poke_interval``, a teardown's pace: what a test waits for, not what it checks)."""
        dag = _load_dag(dags_folder, dag_id)
        if adjust is not None:
            adjust(dag)
        dag_run = dag.test(run_conf=conf or None)
        instances = dag_run.get_task_instances()
        states = {_key(ti): ti.state and str(ti.state) for ti in instances}
        tries = {_key(ti): ti.try_number for ti in instances}
        xcoms: dict[str, Any] = {}
        with create_session() as session:
            rows = session.query(XComModel).filter_by(
                dag_id=dag_id, run_id=dag_run.run_id, key="return_value"
            )
            for row in rows:
                name = row.task_id if row.map_index < 0 else f"{row.task_id}[{row.map_index}]"
                try:
                    xcoms[name] = XComModel.deserialize_value(row)
                except AttributeError:  # Airflow 2.11: the JSON column is already decoded
                    xcoms[name] = row.value
        return DagRunResult(state=str(dag_run.state), states=states, xcoms=xcoms, tries=tries)

    yield run

"""A local Attio API for testing DAGs offline: real HTTP on loopback, Attio's answers and failures.

::

    from airflow_provider_attio.testing import AttioEmulator

    with AttioEmulator(seed={"people": 5}) as emu:
        os.environ["AIRFLOW_CONN_ATTIO_DEFAULT"] = emu.connection_uri()
        ...

It needs Starlette and uvicorn (the ``testing`` extra; Airflow 3 already has them). See also the pytest
fixture in ``airflow_provider_attio.testing.pytest_plugin`` and ``python -m airflow_provider_attio.testing
serve``.
"""

from __future__ import annotations

from airflow_provider_attio.testing.clock import Clock, FakeClock
from airflow_provider_attio.testing.emulator import AttioEmulator
from airflow_provider_attio.testing.ratelimits import RATE_LIMIT_MODELS
from airflow_provider_attio.testing.requestlog import RequestLogEntry
from airflow_provider_attio.testing.state import ALL_SCOPES, DEFAULT_OBJECT_IDS, WORKSPACE_ID

__all__ = [
    "ALL_SCOPES",
    "DEFAULT_OBJECT_IDS",
    "RATE_LIMIT_MODELS",
    "WORKSPACE_ID",
    "AttioEmulator",
    "Clock",
    "FakeClock",
    "RequestLogEntry",
]

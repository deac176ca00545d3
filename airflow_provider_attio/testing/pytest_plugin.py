"""Opt-in pytest plugin: an ``attio_emulator`` fixture that points Airflow's Attio connection at an emulator.

Enable it in a ``conftest.py`` (it is not loaded automatically)::

    pytest_plugins = ["airflow_provider_attio.testing.pytest_plugin"]

Then::

    @pytest.mark.attio_emulator(seed={"people": 5}, writes_per_second=25)
    def test_teardown(attio_emulator):
        ...  # AIRFLOW_CONN_ATTIO_DEFAULT points at attio_emulator for the test's duration

The marker's keyword arguments are :class:`~airflow_provider_attio.testing.AttioEmulator`'s; add
``conn_id="..."`` to set ``AIRFLOW_CONN_<CONN_ID>`` instead of ``AIRFLOW_CONN_ATTIO_DEFAULT``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_attio.testing.emulator import AttioEmulator


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``attio_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "attio_emulator(**kwargs): options of the attio_emulator fixture (AttioEmulator's keyword "
        "arguments, plus conn_id)",
    )


@pytest.fixture
def attio_emulator(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AttioEmulator]:
    """A running :class:`~airflow_provider_attio.testing.AttioEmulator` that Airflow's connection points at.

    Configure it with ``@pytest.mark.attio_emulator(...)``; the environment is restored afterwards.
    """
    marker = request.node.get_closest_marker("attio_emulator")
    options = dict(marker.kwargs) if marker else {}
    conn_id = str(options.pop("conn_id", "attio_default"))
    with AttioEmulator(**options) as emulator:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", emulator.connection_uri())
        yield emulator

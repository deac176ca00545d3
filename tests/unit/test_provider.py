"""The provider as Airflow sees it: registration, metadata, the connection form, clean imports."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import airflow
import jsonschema
import pytest
from packaging.version import Version

from airflow_provider_attio.connection import ConnectionSettings
from airflow_provider_attio.get_provider_info import CONN_FIELDS, get_provider_info
from airflow_provider_attio.hooks.attio import AttioHook

AIRFLOW = str(Path(sys.executable).parent / "airflow")


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def test_provider_info_validates_against_airflows_schema() -> None:
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == "airflow-provider-attio"
    (conn_type,) = info["connection-types"]
    assert conn_type["connection-type"] == AttioHook.conn_type == "attio"
    assert conn_type["hook-class-name"] == f"{AttioHook.__module__}.{AttioHook.__qualname__}"


def test_conn_fields_are_exactly_the_hook_settings() -> None:
    # The form can't offer a field the hook would refuse, nor miss one it reads.
    assert set(CONN_FIELDS) == set(ConnectionSettings.__dataclass_fields__)
    for name, spec in CONN_FIELDS.items():
        assert spec["schema"]["default"] == getattr(ConnectionSettings(), name)


def test_ui_field_behaviour_for_older_airflow() -> None:
    behaviour = AttioHook.get_ui_field_behaviour()
    assert behaviour["relabeling"]["password"] == "Attio API token"
    assert behaviour["placeholders"]["host"] == "https://api.attio.com"
    assert {"login", "schema", "port", "extra"} <= set(behaviour["hidden_fields"])


def test_connection_form_widgets_for_older_airflow() -> None:
    pytest.importorskip("flask_appbuilder", reason="the pre-3.2 form needs Airflow's FAB UI")
    from wtforms import IntegerField, StringField

    widgets = AttioHook.get_connection_form_widgets()
    assert set(widgets) == set(CONN_FIELDS)
    assert widgets["max_retries"].field_class is IntegerField
    assert widgets["timeout"].field_class is StringField
    # What the form stores must be what the hook reads: its defaults, as the form would save them.
    saved = {name: str(widget.kwargs["default"]) for name, widget in widgets.items()}
    assert ConnectionSettings.from_extras(saved) == ConnectionSettings()


@pytest.mark.parametrize(("command", "expected"), [("list", "airflow-provider-attio"), ("hooks", "attio")])
def test_airflow_cli_lists_the_provider(command: str, expected: str) -> None:
    out = subprocess.run(
        [AIRFLOW, "providers", command, "--output", "json"],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    ).stdout
    rows = json.loads(out[out.index("[{") :])  # past any log lines
    if command == "list":
        assert any(row["package_name"] == expected for row in rows)
    else:
        (row,) = [row for row in rows if row["connection_type"] == expected]
        assert row["class"] == "airflow_provider_attio.hooks.attio.AttioHook"


@pytest.mark.skipif(
    not _has_module("airflow.sdk.providers_manager_runtime"),
    reason="checked on the newest Airflow (3.3+)",
)
def test_importing_the_provider_emits_no_deprecation_warning() -> None:
    code = (
        "import warnings; warnings.simplefilter('error');"
        "import airflow_provider_attio.operators.records, airflow_provider_attio.sensors.records,"
        " airflow_provider_attio.triggers.records, airflow_provider_attio.hooks.attio,"
        " airflow_provider_attio.sensors.entries, airflow_provider_attio.triggers.entries;"
        "from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime as PM;"
        "assert PM().hooks['attio'].hook_class_name.endswith('AttioHook');"
        "print('clean')"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "clean" in result.stdout


def test_airflow_builds_the_attio_connection_form() -> None:
    # Airflow 3.2+ builds it from conn-fields, older releases from the hook's methods: same fields.
    from airflow.providers_manager import ProvidersManager

    reads_conn_fields = Version(airflow.__version__) >= Version("3.2")
    if not reads_conn_fields and not _has_module("flask_appbuilder"):
        pytest.skip("before 3.2 Airflow builds connection forms with flask_appbuilder, not installed")
    manager = ProvidersManager()
    widgets = {name for name in manager.connection_form_widgets if name.startswith("extra__attio__")}
    assert widgets == {f"extra__attio__{name}" for name in CONN_FIELDS}
    behaviour = manager.field_behaviours["attio"]
    assert behaviour["relabeling"]["password"] == "Attio API token"
    assert "login" in behaviour["hidden_fields"]


def test_every_error_round_trips_through_pickle_and_to_dict_with_its_fields() -> None:
    import pickle

    from airflow_provider_attio import exceptions

    summary = {"object": "people", "requested": 5, "deleted": 4, "failed": 1}
    samples = {
        exceptions.AttioRateLimitError: {"retry_after": 1.5},
        exceptions.AttioBulkDeleteRetryableError: {"summary": summary, "failures": [("id-1", "503")]},
        exceptions.AttioBulkDeletePermanentError: {"summary": summary, "failures": [("id-2", "400")]},
    }
    classes = set(exceptions.AttioError.registry.values())
    assert exceptions.ArchiveWriteError in classes and exceptions.AttioBulkDeleteError in classes
    for cls in classes:
        error = cls("boom", status=503, method="DELETE", path="/v2/x", **samples.get(cls, {}))
        for copy in (pickle.loads(pickle.dumps(error)), exceptions.AttioError.from_dict(error.to_dict())):
            assert type(copy) is cls
            assert copy.to_dict() == error.to_dict() and str(copy) == str(error)
        assert isinstance(error, exceptions.AttioError)

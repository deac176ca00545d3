"""Provider metadata that Airflow discovers through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any


def _number_field(label: str, meaning: str, default: float, *, integer: bool = False) -> dict[str, Any]:
    """One numeric extra as a ``conn-fields`` entry: its label, its meaning and default, its schema."""
    return {
        "label": label,
        "description": f"{meaning} Default {default:g}.",
        "schema": {"type": ["integer" if integer else "number", "null"], "minimum": 0, "default": default},
    }


#: The ``attio`` connection's extras, as Airflow 3.2+ ``conn-fields`` (the hook builds the pre-3.2 form
#: from the same table, so the two forms cannot drift apart; a test holds the defaults to the hook's).
CONN_FIELDS: dict[str, dict[str, Any]] = {
    "timeout": _number_field("Request timeout (s)", "Seconds to wait for Attio to answer one request.", 30),
    "connect_timeout": _number_field("Connect timeout (s)", "Seconds to wait for a connection to Attio.", 10),
    "max_retries": _number_field(
        "Max retries per call",
        "Retries of one call on 429, 5xx, timeouts and merges in progress.",
        8,
        integer=True,
    ),
    "retry_budget": _number_field(
        "Retry budget (s)", "Seconds one call may spend retrying, sleeps included.", 120
    ),
    "max_retry_wait": _number_field(
        "Max wait between retries (s)", "Cap on one backoff sleep or Retry-After wait.", 30
    ),
    "backoff": _number_field(
        "First backoff (s)", "First backoff sleep; doubles per retry, with full jitter.", 0.5
    ),
}

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "login", "port", "extra"],
    "relabeling": {"password": "Attio API token", "host": "API base URL (optional)"},
    "placeholders": {
        "host": "https://api.attio.com",
        "password": "Attio API key or OAuth access token",
    },
}


def get_provider_info() -> dict[str, Any]:
    """Return the provider's metadata (validated by Airflow against ``provider_info.schema.json``)."""
    return {
        "package-name": "airflow-provider-attio",
        "name": "Attio",
        "description": (
            "Delete Attio CRM records from Airflow DAGs, and wait until a record exists or is gone."
        ),
        "integrations": [
            {
                "integration-name": "Attio",
                "external-doc-url": "https://docs.attio.com/rest-api/overview",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "Attio", "python-modules": ["airflow_provider_attio.hooks.attio"]}],
        "operators": [
            {
                "integration-name": "Attio",
                "python-modules": [
                    "airflow_provider_attio.operators.records",
                    "airflow_provider_attio.operators.lists",
                    "airflow_provider_attio.operators.activities",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Attio",
                "python-modules": [
                    "airflow_provider_attio.sensors.records",
                    "airflow_provider_attio.sensors.entries",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": "Attio",
                "python-modules": [
                    "airflow_provider_attio.triggers.records",
                    "airflow_provider_attio.triggers.entries",
                ],
            }
        ],
        "connection-types": [
            {
                "connection-type": "attio",
                "hook-class-name": "airflow_provider_attio.hooks.attio.AttioHook",
                "hook-name": "Attio",
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }

"""Provider metadata that Airflow discovers through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

#: The ``attio`` connection's extras, as Airflow 3.2+ ``conn-fields`` (the hook builds the pre-3.2 form
#: from the same table, so the two forms cannot drift apart).
CONN_FIELDS: dict[str, dict[str, Any]] = {
    "timeout": {
        "label": "Request timeout (s)",
        "description": "Seconds to wait for Attio to answer one request. Default 30.",
        "schema": {"type": ["number", "null"], "minimum": 0, "default": 30},
    },
    "connect_timeout": {
        "label": "Connect timeout (s)",
        "description": "Seconds to wait for a connection to Attio. Default 10.",
        "schema": {"type": ["number", "null"], "minimum": 0, "default": 10},
    },
    "max_retries": {
        "label": "Max retries per call",
        "description": "Retries of one call on 429, 5xx, timeouts and merges in progress. Default 8.",
        "schema": {"type": ["integer", "null"], "minimum": 0, "default": 8},
    },
    "retry_budget": {
        "label": "Retry budget (s)",
        "description": "Seconds one call may spend retrying, sleeps included. Default 120.",
        "schema": {"type": ["number", "null"], "minimum": 0, "default": 120},
    },
    "max_retry_wait": {
        "label": "Max wait between retries (s)",
        "description": "Cap on one backoff sleep or Retry-After wait. Default 30.",
        "schema": {"type": ["number", "null"], "minimum": 0, "default": 30},
    },
    "backoff": {
        "label": "First backoff (s)",
        "description": "First backoff sleep; doubles per retry, with full jitter. Default 0.5.",
        "schema": {"type": ["number", "null"], "minimum": 0, "default": 0.5},
    },
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
            {"integration-name": "Attio", "python-modules": ["airflow_provider_attio.operators.records"]}
        ],
        "sensors": [
            {"integration-name": "Attio", "python-modules": ["airflow_provider_attio.sensors.records"]}
        ],
        "triggers": [
            {"integration-name": "Attio", "python-modules": ["airflow_provider_attio.triggers.records"]}
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

"""Test DAG for delete by key: keys from an upstream task (an XComArg) and from a rendered template."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_attio.operators.records import AttioDeleteRecordsOperator

with DAG(
    "attio_test_delete_by_key",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
    params={"emails": [], "domains": []},
) as delete_by_key_dag:

    @task
    def extract_emails(params: dict[str, Any] | None = None) -> list[str]:
        assert params is not None
        return list(params["emails"])

    AttioDeleteRecordsOperator(
        task_id="by_email",
        object="people",
        match_attribute="email_addresses",
        match_values=extract_emails(),
    )
    AttioDeleteRecordsOperator(
        task_id="by_domain",
        object="companies",
        match_attribute="domains",
        match_values="{{ params.domains }}",
        if_not_found="skip",
    )

with DAG(
    "attio_test_delete_by_key_retry",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
    params={"emails": [], "archived_emails": [], "archive": ""},
    render_template_as_native_obj=True,
) as delete_by_key_retry_dag:
    # A retry must not fail on the keys its own first try deleted (if_not_found="fail").
    AttioDeleteRecordsOperator(
        task_id="by_key",
        object="people",
        match_attribute="email_addresses",
        match_values="{{ params.emails }}",
        if_not_found="fail",
    )
    AttioDeleteRecordsOperator(
        task_id="by_key_archived",
        object="people",
        match_attribute="email_addresses",
        match_values="{{ params.archived_emails }}",
        archive_to="{{ params.archive }}",
        if_not_found="fail",
    )

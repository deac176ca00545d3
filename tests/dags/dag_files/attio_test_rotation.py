"""Test DAGs for a token rotated while a task runs: each task talks to Attio through ``attio_rotating``,
a connection kept in the metadata database, where the README's rotation procedure changes it."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_attio.operators.records import AttioDeleteRecordOperator, AttioDeleteRecordsOperator

START = pendulum.datetime(2026, 1, 1, tz="UTC")
CONN_ID = "attio_rotating"

with DAG("attio_test_rotation_bulk", schedule=None, start_date=START, params={"record_ids": []}):
    AttioDeleteRecordsOperator(
        task_id="bulk",
        object="people",
        record_ids="{{ params.record_ids | tojson }}",
        writes_per_second=20,
        attio_conn_id=CONN_ID,
    )

with DAG("attio_test_rotation_mirror", schedule=None, start_date=START, params={"keep": []}):
    AttioDeleteRecordsOperator(
        task_id="mirror",
        object="people",
        filter={"job_title": "Rotation"},
        keep_attribute="email_addresses",
        keep_values="{{ params.keep | tojson }}",
        max_delete_fraction=1,
        writes_per_second=20,
        attio_conn_id=CONN_ID,
    )

with DAG("attio_test_rotation_single", schedule=None, start_date=START, params={"record_id": ""}):
    AttioDeleteRecordOperator(
        task_id="single", object="people", record_id="{{ params.record_id }}", attio_conn_id=CONN_ID
    )

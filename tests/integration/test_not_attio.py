"""A host that answers with a page that isn't Attio's (a proxy's sign-in page, a wrong base URL), over
real HTTP: never a false "deleted", whatever the call, and a clear permanent error naming the host."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_attio.exceptions import AttioResponseError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.records import AttioDeleteRecordOperator, AttioDeleteRecordsOperator
from airflow_provider_attio.testing import AttioEmulator
from tests.helpers import EMPTY_CONTEXT, person


def _delete_one(record_id: str) -> AttioDeleteRecordOperator:
    return AttioDeleteRecordOperator(task_id="delete", object="people", record_id=record_id)


def test_a_page_for_an_unapplied_delete_is_not_deleted(attio: AttioEmulator) -> None:
    record_id = person(attio)
    attio.answer_html(1, method="DELETE")
    with pytest.raises(AirflowFailException, match="still exists: it was not deleted") as info:
        _delete_one(record_id).execute(EMPTY_CONTEXT)
    assert attio.base_url in str(info.value) and "text/html" in str(info.value)
    assert attio.record_ids("people") == [record_id]


def test_a_page_for_an_applied_delete_is_verified_deleted(attio: AttioEmulator) -> None:
    record_id = person(attio)
    attio.answer_html(1, method="DELETE", applied=True)
    assert _delete_one(record_id).execute(EMPTY_CONTEXT)["outcome"] == "deleted"
    assert attio.count(method="GET", path=f"/v2/objects/people/records/{record_id}") == 1
    assert attio.record_ids("people") == []


def test_a_host_answering_pages_to_everything_deletes_and_reports_nothing(attio: AttioEmulator) -> None:
    ids = [person(attio, f"P{i}") for i in range(3)]
    attio.answer_html(None)
    bulk = AttioDeleteRecordsOperator(task_id="bulk", object="people", record_ids=ids)
    with pytest.raises(AirflowFailException, match=f"{attio.base_url} answered GET /v2/objects/people "):
        bulk.execute(EMPTY_CONTEXT)
    with pytest.raises(AirflowFailException, match="not Attio's answer"):
        _delete_one(ids[0]).execute(EMPTY_CONTEXT)
    assert attio.count(method="DELETE") == 1  # the single delete's, answered by the page
    attio.clear_faults()
    assert sorted(attio.record_ids("people")) == sorted(ids)


def test_pages_for_a_bulk_run_s_deletes_stop_it_with_nothing_deleted(
    attio: AttioEmulator,
) -> None:
    ids = [person(attio, f"P{i}") for i in range(3)]
    attio.answer_html(None, method="DELETE")
    hook = AttioHook()
    # Every record would fail the same way: the run stops at the first, as for a rejected token.
    with pytest.raises(AttioResponseError, match="still exists: it was not deleted"):
        hook.delete_records("people", record_ids=ids)
    assert sorted(attio.record_ids("people")) == sorted(ids)


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/v2/objects/people/records/*", lambda hook, rid: hook.get_record("people", rid)),
        ("/v2/objects/people/records/query", lambda hook, rid: list(hook.iter_records("people"))),
        ("/v2/objects/people", lambda hook, rid: hook.object_exists("people")),
    ],
)
def test_a_page_for_a_read_is_a_clear_error(attio: AttioEmulator, path: str, call: object) -> None:
    record_id = person(attio)
    attio.answer_html(None, path=path)
    with pytest.raises(AttioResponseError, match=f"{attio.base_url} answered .*not JSON \\(text/html"):
        call(AttioHook(), record_id)  # type: ignore[operator]

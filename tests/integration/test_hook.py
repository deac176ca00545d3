"""AttioHook over real HTTP against the emulator: Attio's semantics, the retry policy, the errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_attio import __version__
from airflow_provider_attio.exceptions import (
    AttioAuthError,
    AttioNotFoundError,
    AttioObjectNotFoundError,
    AttioPermanentError,
    AttioRateLimitError,
    AttioServerError,
    AttioTransientError,
    AttioValidationError,
)
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.testing import AttioEmulator
from tests.conftest import TOKEN, assert_no_token
from tests.helpers import MISSING_ID, person

RECORD_PATH = "/v2/objects/*/records/*"


def _deletes(emu: AttioEmulator) -> list[Any]:
    return [r for r in emu.requests if r.method == "DELETE"]


# -- delete_record ------------------------------------------------------------------------------------


def test_delete_existing_record(attio: AttioEmulator) -> None:
    keep, gone = person(attio, "Keep Me"), person(attio)
    hook = AttioHook()
    assert hook.delete_record("people", gone) == "deleted"
    assert attio.record_ids("people") == [keep]
    assert len(_deletes(attio)) == 1


def test_request_carries_bearer_token_and_user_agent(attio: AttioEmulator) -> None:
    # Seen from the server side: a hand-made request with the hook's session must pass auth.
    session = AttioHook().get_conn()
    assert session.headers["User-Agent"] == f"airflow-provider-attio/{__version__}"
    response = session.get(attio.base_url + "/v2/self", timeout=5)
    assert response.status_code == 200 and response.json()["active"] is True


def test_session_is_reused(attio: AttioEmulator) -> None:
    hook = AttioHook()
    assert hook.get_conn() is hook.get_conn()


def test_delete_missing_record_is_not_found(attio: AttioEmulator) -> None:
    assert AttioHook().delete_record("people", MISSING_ID) == "not_found"
    # The 404 alone can't tell record from object: the hook asked the object endpoint.
    assert attio.count(method="GET", path="/v2/objects/people") == 1


def test_delete_in_missing_object_raises(attio: AttioEmulator) -> None:
    with pytest.raises(AttioObjectNotFoundError, match="'widgets' does not exist") as info:
        AttioHook().delete_record("widgets", MISSING_ID)
    assert info.value.status == 404
    assert_no_token(info.value)


def test_get_record_and_object_exists(attio: AttioEmulator) -> None:
    record_id = person(attio)
    hook = AttioHook()
    record = hook.get_record("people", record_id)
    assert record == attio.get_record("people", record_id)
    assert hook.object_exists("people") and not hook.object_exists("widgets")
    with pytest.raises(AttioNotFoundError) as info:
        hook.get_record("people", MISSING_ID)
    assert not isinstance(info.value, AttioObjectNotFoundError)


def test_record_id_is_url_encoded_and_validated_before_sending(attio: AttioEmulator) -> None:
    hook = AttioHook()
    for bad in ("../self", "not-a-uuid", "", None, 42):
        with pytest.raises(AttioValidationError, match="record_id must be"):
            hook.delete_record("people", bad)  # type: ignore[arg-type]
    with pytest.raises(AttioValidationError, match="object must be"):
        hook.delete_record("People/../x", MISSING_ID)
    assert attio.requests == []


# -- retries ------------------------------------------------------------------------------------------


def test_merge_in_progress_then_success(attio: AttioEmulator) -> None:
    record_id = person(attio)
    attio.fail_next(2, 404, method="DELETE", code="merge_in_progress")
    assert AttioHook().delete_record("people", record_id) == "deleted"
    assert [r.status for r in _deletes(attio)] == [404, 404, 200]
    assert record_id not in attio.record_ids("people")


def test_merging_record_outlasting_the_budget_is_transient(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, max_retries=2)
    record_id = person(attio)
    attio.set_merging("people", record_id)
    with pytest.raises(AttioTransientError) as info:
        AttioHook().delete_record("people", record_id)
    assert info.value.code == "merge_in_progress"
    assert "Gave up after 3 attempts" in str(info.value)
    assert record_id in attio.record_ids("people")


@pytest.mark.parametrize(
    ("status", "error_class", "words"),
    [
        (400, AttioValidationError, "invalid"),
        (403, AttioAuthError, "record_permission:read-write and object_configuration:read"),
        (409, AttioPermanentError, "unexpected status 409"),
    ],
)
def test_permanent_errors_are_not_retried(
    attio: AttioEmulator, status: int, error_class: type[Exception], words: str
) -> None:
    record_id = person(attio)
    attio.fail_next(1, status, method="DELETE")
    with pytest.raises(error_class, match=words) as info:
        AttioHook().delete_record("people", record_id)
    assert len(_deletes(attio)) == 1
    assert info.value.status == status  # type: ignore[attr-defined]
    assert_no_token(info.value)


def test_unknown_token_is_401_not_retried(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, token="not-a-known-token")
    with pytest.raises(AttioAuthError, match="token") as info:
        AttioHook().delete_record("people", MISSING_ID)
    assert info.value.status == 401
    assert len(attio.requests) == 1


def test_missing_scope_is_403_naming_the_scopes(attio: AttioEmulator, use_connection: Any) -> None:
    attio.add_token("read-only-token", scopes=["object_configuration:read", "record_permission:read"])
    use_connection(attio.base_url, token="read-only-token")
    record_id = person(attio)
    with pytest.raises(AttioAuthError, match="record_permission:read-write") as info:
        AttioHook().delete_record("people", record_id)
    assert info.value.status == 403 and info.value.code == "unauthorized"
    assert record_id in attio.record_ids("people")


def test_no_token_in_connection_fails_before_sending(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, token=None)
    with pytest.raises(AttioAuthError, match="has no token"):
        AttioHook().delete_record("people", MISSING_ID)
    assert attio.requests == []


def test_429_with_http_date_waits_until_that_second(attio: AttioEmulator) -> None:
    record_id = person(attio)
    attio.fail_next(1, 429, method="DELETE")
    assert AttioHook().delete_record("people", record_id) == "deleted"
    first, second = _deletes(attio)
    assert first.status == 429 and second.status == 200
    # The emulator's Retry-After is the next whole second after the 429.
    assert second.time >= int(first.time) + 1 - 0.01


def test_429_with_seconds_retry_after(attio: AttioEmulator) -> None:
    record_id = person(attio)
    attio.fail_next(1, 429, method="DELETE", retry_after="1")
    assert AttioHook().delete_record("people", record_id) == "deleted"
    first, second = _deletes(attio)
    assert second.time - first.time >= 0.99


def test_429_outlasting_the_budget_raises_rate_limit_error(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, max_retries=1)
    attio.fail_next(5, 429, method="DELETE", retry_after="0")
    with pytest.raises(AttioRateLimitError) as info:
        AttioHook().delete_record("people", MISSING_ID)
    assert isinstance(info.value, AttioTransientError)
    assert len(_deletes(attio)) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_then_success(attio: AttioEmulator, status: int) -> None:
    record_id = person(attio)
    attio.fail_next(2, status, method="DELETE")
    assert AttioHook().delete_record("people", record_id) == "deleted"
    assert [r.status for r in _deletes(attio)] == [status, status, 200]


def test_retry_budget_exhausted(attio: AttioEmulator, use_connection: Any, caplog: Any, capfd: Any) -> None:
    use_connection(attio.base_url, max_retries=3)
    record_id = person(attio)
    attio.fail_next(10, 503, method="DELETE")
    with pytest.raises(AttioServerError, match="Gave up after 4 attempts") as info:
        AttioHook().delete_record("people", record_id)
    assert len(_deletes(attio)) == 4
    assert info.value.status == 503
    # Airflow 3 routes hook logs through structlog to stdout; Airflow 2 through logging.
    printed = capfd.readouterr().out
    assert max(printed.count("retrying in"), caplog.text.count("retrying in")) == 3
    assert TOKEN not in printed
    assert_no_token(info.value)


def test_total_time_budget_stops_retries(attio: AttioEmulator, use_connection: Any) -> None:
    # Each wait is ~1 s (Retry-After) and the budget is 1.5 s: the hook gives up instead of sleeping past it.
    use_connection(attio.base_url, retry_budget=1.5, max_retries=50)
    attio.fail_next(50, 429, method="DELETE", retry_after="1")
    with pytest.raises(AttioRateLimitError):
        AttioHook().delete_record("people", MISSING_ID)
    assert 1 <= len(_deletes(attio)) <= 2


def test_read_timeout_is_retried(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, timeout=0.3)
    record_id = person(attio)
    attio.set_latency(0.5, method="GET", count=1)  # later than the client waits: a timeout every time
    assert AttioHook().get_record("people", record_id)["id"]["record_id"] == record_id


def test_read_timeouts_outlasting_the_budget(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, timeout=0.2, max_retries=1)
    attio.set_latency(0.4, method="GET")
    with pytest.raises(AttioServerError, match="timed out"):
        AttioHook().get_record("people", MISSING_ID)


def test_delete_applied_but_response_dropped_is_deleted(attio: AttioEmulator) -> None:
    record_id = person(attio)
    attio.drop_after_apply(1, method="DELETE")
    assert AttioHook().delete_record("people", record_id) == "deleted"
    statuses = [r.status for r in _deletes(attio)]
    assert statuses == [None, 404]
    assert record_id not in attio.record_ids("people")


def test_connection_refused_is_not_ambiguous(use_connection: Any) -> None:
    # Nothing listens on this loopback port: the request was never sent.
    use_connection("http://127.0.0.1:9", max_retries=1)
    with pytest.raises(AttioServerError, match="could not connect"):
        AttioHook().delete_record("people", MISSING_ID)


# -- paging -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "page_size", "queries"), [(7, 3, 3), (6, 3, 3), (0, 3, 1), (2, 500, 1)])
def test_iter_records_pages_until_a_short_page(
    attio: AttioEmulator, count: int, page_size: int, queries: int
) -> None:
    ids = [str(r["id"]["record_id"]) for r in attio.seed("companies", count)]
    found = [r["id"]["record_id"] for r in AttioHook().iter_records("companies", page_size=page_size)]
    assert found == ids
    assert attio.count(method="POST", path="/v2/objects/companies/records/query") == queries
    offsets = [r.body["offset"] for r in attio.requests if r.path.endswith("/query")]
    assert offsets == [i * page_size for i in range(queries)]


def test_iter_records_with_filter(attio: AttioEmulator) -> None:
    ada = person(attio, "Ada Lovelace")
    person(attio, "Grace Hopper")
    found = [
        r["id"]["record_id"] for r in AttioHook().iter_records("people", filter={"name": "Ada Lovelace"})
    ]
    assert found == [ada]
    body = next(r.body for r in attio.requests if r.path.endswith("/query"))
    assert body["filter"] == {"name": "Ada Lovelace"}


def test_iter_records_bad_filter_is_validation_error(attio: AttioEmulator) -> None:
    hook = AttioHook()
    with pytest.raises(AttioValidationError, match="filter must be"):
        list(hook.iter_records("people", filter="name = Ada"))  # type: ignore[arg-type]
    assert attio.requests == []
    with pytest.raises(AttioValidationError) as info:
        list(hook.iter_records("people", filter={"no_such_attribute": {"$eq": 1}}))
    assert info.value.code == "filter_error"


def test_iter_records_missing_object(attio: AttioEmulator) -> None:
    with pytest.raises(AttioObjectNotFoundError):
        list(AttioHook().iter_records("widgets"))


# -- hosts --------------------------------------------------------------------------------------------


def test_plain_http_to_a_non_loopback_host_is_refused_before_sending(
    use_connection: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(requests.Session, "request", lambda self, *a, **k: sent.append("sent"))
    use_connection("http://attio.example.com")
    with pytest.raises(AttioValidationError, match="clear text") as info:
        AttioHook().delete_record("people", MISSING_ID)
    assert sent == []
    assert_no_token(info.value)


# -- test_connection ----------------------------------------------------------------------------------


def test_test_connection_good_token(attio: AttioEmulator) -> None:
    ok, message = AttioHook().test_connection()
    assert ok, message
    assert "Emulated Workspace" in message


def test_test_connection_inactive_token(attio: AttioEmulator) -> None:
    attio.revoke_token(TOKEN)
    ok, message = AttioHook().test_connection()
    assert not ok and "inactive" in message


def test_test_connection_missing_scope(attio: AttioEmulator, use_connection: Any) -> None:
    attio.add_token("reader", scopes=["object_configuration:read", "record_permission:read"])
    use_connection(attio.base_url, token="reader")
    ok, message = AttioHook().test_connection()
    assert not ok
    assert "record_permission:read-write" in message and "object_configuration:read" not in message


def test_test_connection_unknown_token(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, token="nobody")
    ok, message = AttioHook().test_connection()
    assert not ok and "401" in message


def test_repr_and_errors_never_show_the_token(attio: AttioEmulator) -> None:
    hook = AttioHook()
    hook.get_conn()
    # Values, not only names: the token lives in the session's headers and nowhere else on the hook.
    assert_no_token(hook, vars(hook), *vars(hook).values())
    assert hook.get_conn().headers["Authorization"] == f"Bearer {TOKEN}"
    attio.fail_next(1, 400, method="DELETE")
    with pytest.raises(AttioValidationError) as info:
        hook.delete_record("people", MISSING_ID)
    assert_no_token(info.value, info.value.to_dict(), info.value.args)


def test_rate_limit_listeners_hear_every_429_with_the_hooks_wait(
    attio: AttioEmulator, use_connection: Any
) -> None:
    use_connection(attio.base_url, backoff=0.05, max_retry_wait=3)
    record_id = person(attio)
    attio.fail_next(2, 429, method="DELETE", retry_after="1")
    hook = AttioHook()
    heard: list[Any] = []
    stop = hook.add_rate_limit_listener(heard.append)
    assert hook.delete_record("people", record_id) == "deleted"
    stop()
    path = f"/v2/objects/people/records/{record_id}"
    assert [(s.method, s.path, s.wait) for s in heard] == [("DELETE", path, 1.0), ("DELETE", path, 1.0)]
    attio.fail_next(1, 429, method="GET")
    hook.object_exists("people")
    assert len(heard) == 2  # removed: hears nothing more


def test_bulk_engine_leaves_the_hooks_session_alone(attio: AttioEmulator) -> None:
    ids = [person(attio, f"P{i}") for i in range(3)]
    hook = AttioHook()
    attio.fail_next(1, 429, method="DELETE", retry_after="1")
    summary = hook.delete_records("people", record_ids=ids)
    assert summary["deleted"] == 3
    assert hook.get_conn().hooks["response"] == []

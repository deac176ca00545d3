"""The core's rules without HTTP: what each reply means (Call), and the procedures built on them."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_attio.connection import ConnectionSettings
from airflow_provider_attio.core import (
    Answer,
    ApiRequest,
    Call,
    Reply,
    delete_record,
    get_attribute,
    identify,
    judge_self,
    next_offset,
    object_exists,
    query_page,
    run,
)
from airflow_provider_attio.exceptions import (
    AttioAuthError,
    AttioError,
    AttioNotFoundError,
    AttioObjectNotFoundError,
    AttioPermanentError,
    AttioRateLimitError,
    AttioResponseError,
    AttioServerError,
    AttioTokenRejectedError,
    AttioTransientError,
    AttioValidationError,
)

A = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
ORIGIN = "https://proxy.example"
HTML = b"<!doctype html><html><body><form>Sign in</form></body></html>"
RECORD = f"/v2/objects/people/records/{A}"
GET_A = ("GET", RECORD)
DELETE_A = ("DELETE", RECORD)
OBJECT = ("GET", "/v2/objects/people")
REQUEST = ApiRequest("DELETE", RECORD)


def _json(status: int, body: str = "{}", retry_after: str | None = None) -> Reply:
    return Reply(status, body.encode(), "application/json", retry_after)


def _html(status: int = 200) -> Reply:
    return Reply(status, HTML, "text/html; charset=utf-8")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _call(clock: Callable[[], float] | None = None, **settings: Any) -> Call:
    return Call(
        REQUEST, ConnectionSettings(**settings), origin=ORIGIN, clock=clock or _Clock(), rng=random.Random(1)
    )


# -- what one reply means ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (_json(200), Answer),
        (_html(200), Answer),  # handed on: only the procedure knows whether it must be verified
        (_json(404, '{"code": "not_found"}'), Answer),
        (_json(404, ""), Answer),
        (_html(404), AttioResponseError),  # a proxy's 404 page is not Attio saying a record is missing
        (_json(404, '{"code": "merge_in_progress"}'), AttioTransientError),
        (_json(401), AttioTokenRejectedError),
        (_json(400, '{"code": "filter_error"}'), AttioValidationError),
        (_json(429, "{}", "Tue, 23 May 2023 14:42:01 GMT"), AttioRateLimitError),
        (_html(502), AttioServerError),
        (Reply(302, b"", "text/html"), AttioPermanentError),
    ],
)
def test_a_reply_is_an_answer_or_an_error(reply: Reply, expected: type) -> None:
    assert isinstance(_call().answered(reply), expected)


def test_403_is_an_auth_error_but_not_a_rejected_token() -> None:
    error = _call().answered(_json(403, '{"type": "auth_error", "code": "unauthorized"}'))
    assert isinstance(error, AttioAuthError) and not isinstance(error, AttioTokenRejectedError)


@pytest.mark.parametrize(
    ("failure", "maybe_applied"),
    [("connect", False), ("connect_timeout", False), ("read_timeout", True), ("dropped", True)],
)
def test_a_lost_answer_is_ambiguous_only_when_the_request_may_have_arrived(
    failure: Any, maybe_applied: bool
) -> None:
    call = _call()
    assert isinstance(call.unanswered(failure, "SomeError"), AttioServerError)
    answer = call.answered(_json(404))
    assert isinstance(answer, Answer) and answer.ambiguous_earlier is maybe_applied


def test_a_5xx_makes_the_next_answer_ambiguous_and_a_429_does_not() -> None:
    call = _call()
    call.answered(_json(429))
    answer = call.answered(_json(200))
    assert isinstance(answer, Answer) and not answer.ambiguous_earlier
    call.answered(_json(503))
    answer = call.answered(_json(200))
    assert isinstance(answer, Answer) and answer.ambiguous_earlier


# -- whether to try again ------------------------------------------------------------------------------


def test_permanent_errors_are_not_retried() -> None:
    call = _call()
    error = call.answered(_json(400))
    assert isinstance(error, AttioError)
    with pytest.raises(AttioValidationError):
        call.retry_in(error)


def test_retries_stop_after_max_retries() -> None:
    call = _call(max_retries=2, backoff=0.1)
    waits = []
    for _ in range(2):
        error = call.answered(_json(503))
        assert isinstance(error, AttioError)
        waits.append(call.retry_in(error))
    assert all(0 < w <= 0.4 for w in waits)
    error = call.answered(_json(503))
    assert isinstance(error, AttioError)
    with pytest.raises(AttioServerError, match="Gave up after 3 attempts"):
        call.retry_in(error)


def test_retries_stop_before_a_wait_that_would_end_past_the_budget() -> None:
    clock = _Clock()
    call = _call(clock, retry_budget=10, max_retry_wait=30)
    error = call.answered(_json(429, "{}", "5"))
    assert isinstance(error, AttioError)
    assert call.retry_in(error) == pytest.approx(5, abs=0.06)
    clock.now = 6.0
    error = call.answered(_json(429, "{}", "5"))
    assert isinstance(error, AttioError)
    with pytest.raises(AttioRateLimitError, match=r"over 6\.0s"):
        call.retry_in(error)


# -- procedures ----------------------------------------------------------------------------------------

Script = dict[tuple[str, str], "list[Reply]"]


def _drive(procedure: Any, script: Script, *, ambiguous: bool = False) -> tuple[Any, list[str]]:
    """Run a procedure against scripted replies, each judged by a Call as a driver would."""
    asked: list[str] = []

    def send(request: ApiRequest) -> Answer:
        asked.append(f"{request.method} {request.path}")
        call = Call(request, ConnectionSettings(), origin=ORIGIN)
        call.ambiguous = ambiguous and request.method == "DELETE"
        outcome = call.answered(script[(request.method, request.path)].pop(0))
        if isinstance(outcome, AttioError):
            raise outcome
        return outcome

    return run(procedure, send), asked


def test_delete_answered_with_attio_json_is_deleted() -> None:
    outcome, asked = _drive(delete_record("people", A), {DELETE_A: [_json(200)]})
    assert outcome == "deleted" and asked == [f"DELETE {RECORD}"]


@pytest.mark.parametrize(("ambiguous", "outcome"), [(False, "not_found"), (True, "deleted")])
def test_delete_404_asks_the_object_and_an_earlier_lost_attempt_did_it(ambiguous: bool, outcome: str) -> None:
    script = {DELETE_A: [_json(404)], OBJECT: [_json(200, '{"data": {}}')]}
    assert _drive(delete_record("people", A), script, ambiguous=ambiguous)[0] == outcome


def test_delete_404_on_a_missing_object_raises() -> None:
    with pytest.raises(AttioObjectNotFoundError, match="'people' does not exist"):
        _drive(delete_record("people", A), {DELETE_A: [_json(404)], OBJECT: [_json(404)]})


def test_delete_answered_with_a_page_is_verified_gone() -> None:
    script = {DELETE_A: [_html()], GET_A: [_json(404)], OBJECT: [_json(200, '{"data": {}}')]}
    outcome, asked = _drive(delete_record("people", A), script)
    assert outcome == "deleted"
    assert asked == [f"DELETE {RECORD}", f"GET {RECORD}", "GET /v2/objects/people"]


def test_delete_answered_with_a_page_while_the_record_stays_is_not_deleted() -> None:
    record = f'{{"data": {{"id": {{"record_id": "{A}"}}}}}}'
    script = {DELETE_A: [_html()], GET_A: [_json(200, record)]}
    with pytest.raises(AttioResponseError, match="still exists: it was not deleted") as info:
        _drive(delete_record("people", A), script)
    assert ORIGIN in str(info.value) and "text/html" in str(info.value)


def test_delete_answered_with_pages_only_is_a_clear_permanent_error() -> None:
    script = {DELETE_A: [_html()], GET_A: [_html()]}
    with pytest.raises(AttioResponseError, match=f"{ORIGIN} answered GET .*not JSON \\(text/html"):
        _drive(delete_record("people", A), script)


@pytest.mark.parametrize("body", [HTML, b'{"ok": true}', b"[]"])
def test_the_object_check_trusts_only_attio_json(body: bytes) -> None:
    with pytest.raises(AttioResponseError):
        _drive(object_exists("people"), {OBJECT: [Reply(200, body, "text/html")]})


QUERY = ("POST", "/v2/objects/people/records/query")


@pytest.mark.parametrize("body", [HTML, b'{"records": []}', b'{"data": [{"values": {}}]}'])
def test_a_query_page_trusts_only_attio_json_with_ids(body: bytes) -> None:
    with pytest.raises(AttioResponseError):
        _drive(query_page("people"), {QUERY: [Reply(200, body, "application/json")]})


def test_paging_stops_at_a_short_page() -> None:
    assert next_offset([1] * 500, 500, 0) == 500
    assert next_offset([1] * 499, 500, 500) is None
    assert next_offset([], 500, 0) is None


def test_a_missing_attribute_is_told_from_a_missing_object() -> None:
    path = ("GET", "/v2/objects/people/attributes/warehouse_id")
    with pytest.raises(AttioValidationError, match="no attribute 'warehouse_id'"):
        _drive(
            get_attribute("people", "warehouse_id"),
            {path: [_json(404)], OBJECT: [_json(200, '{"data": {}}')]},
        )
    with pytest.raises(AttioObjectNotFoundError):
        _drive(get_attribute("people", "warehouse_id"), {path: [_json(404)], OBJECT: [_json(404)]})


def test_identify_and_judge_self() -> None:
    scope = "record_permission:read-write object_configuration:read"
    body, _ = _drive(
        identify(), {("GET", "/v2/self"): [_json(200, f'{{"active": true, "scope": "{scope}"}}')]}
    )
    assert judge_self(body)[0] is True
    assert judge_self({"active": True, "scope": "record_permission:read"})[1].endswith("the provider needs.")
    assert judge_self({"active": False})[0] is False
    with pytest.raises(AttioResponseError):
        _drive(identify(), {("GET", "/v2/self"): [_html()]})


def test_not_found_errors_keep_their_class() -> None:
    assert not issubclass(AttioObjectNotFoundError, AttioTransientError)
    assert issubclass(AttioObjectNotFoundError, AttioNotFoundError)


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (PermissionError(13, "Permission denied"), True),
        (FileNotFoundError(2, "No such file or directory"), True),
        (type("NoCredentialsError", (Exception,), {})("no credentials"), True),
        (TimeoutError("timed out"), False),
        (OSError(28, "No space left on device"), False),
        (ConnectionResetError(104, "reset"), False),
    ],
)
def test_an_archive_failure_is_permanent_only_when_the_location_is_wrong(
    error: BaseException, permanent: bool
) -> None:
    from airflow_provider_attio.archive import archive_error

    found = archive_error("Could not write the archive /x", error)
    assert isinstance(found, AttioPermanentError if permanent else AttioTransientError)
    assert str(found).startswith("Could not write the archive /x: ")

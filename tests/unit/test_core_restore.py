"""The core's procedures for restores, without HTTP: a create is never sent twice, and what its answers
mean (created, a conflict, a lost answer); updates; a select's options."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from airflow_provider_attio.connection import ConnectionSettings
from airflow_provider_attio.core import (
    Answer,
    ApiRequest,
    Call,
    Created,
    Reply,
    TransportFailure,
    create_once,
    create_record,
    list_choices,
    run,
    update_record,
)
from airflow_provider_attio.exceptions import (
    AttioError,
    AttioNotFoundError,
    AttioObjectNotFoundError,
    AttioOutcomeUnknownError,
    AttioServerError,
    AttioTransientError,
    AttioValidationError,
)

A = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
CREATE = ("POST", "/v2/objects/people/records")
PUT_A = ("PUT", f"/v2/objects/people/records/{A}")
OBJECT = ("GET", "/v2/objects/people")
RECORD = {"id": {"record_id": A}, "values": {}}

Step = Reply | TransportFailure


def _json(status: int, body: Any = None) -> Reply:
    return Reply(status, json.dumps({} if body is None else body).encode(), "application/json")


def _error(status: int, code: str) -> Reply:
    return _json(
        status, {"status_code": status, "type": "invalid_request_error", "code": code, "message": "x"}
    )


def _drive(procedure: Any, script: dict[tuple[str, str], list[Step]]) -> tuple[Any, list[str]]:
    """Run a procedure as a driver does, retries included (without sleeping): each attempt takes the next
    scripted reply, or a transport failure."""
    sent: list[str] = []

    def send(request: ApiRequest) -> Answer:
        call = Call(request, ConnectionSettings(max_retries=3), origin="https://api.attio.com")
        while True:
            sent.append(request.method)
            step = script[(request.method, request.path)].pop(0)
            outcome = call.answered(step) if isinstance(step, Reply) else call.unanswered(step, "Dropped")
            if isinstance(outcome, Answer):
                return outcome
            call.retry_in(outcome)

    return run(procedure, send), sent


def test_a_create_is_created() -> None:
    created, sent = _drive(create_once("people", {"name": "Ada"}), {CREATE: [_json(200, {"data": RECORD})]})
    assert created == Created("created", RECORD)
    assert sent == ["POST"]


@pytest.mark.parametrize("lost", [_json(503), _json(500), "dropped", "read_timeout"])
def test_a_create_that_may_have_been_applied_is_not_sent_again(lost: Step) -> None:
    created, sent = _drive(create_once("people", {}), {CREATE: [lost, _json(200, {"data": RECORD})]})
    assert created.outcome == "unknown"
    assert "not sent again" in created.detail
    assert sent == ["POST"]


@pytest.mark.parametrize("never_sent", [_json(429), "connect", "connect_timeout"])
def test_a_create_that_was_not_applied_is_retried(never_sent: Step) -> None:
    created, sent = _drive(create_once("people", {}), {CREATE: [never_sent, _json(200, {"data": RECORD})]})
    assert created.outcome == "created"
    assert sent == ["POST", "POST"]


def test_after_a_5xx_even_a_429_is_not_resent() -> None:
    created, sent = _drive(create_once("people", {}), {CREATE: [_json(429), _json(502), _json(200)]})
    assert (created.outcome, sent) == ("unknown", ["POST", "POST"])


def test_a_uniqueness_conflict_is_an_outcome_and_other_400s_raise() -> None:
    conflict, _ = _drive(create_once("people", {}), {CREATE: [_error(400, "uniqueness_conflict")]})
    assert conflict == Created("conflict", detail="x")
    with pytest.raises(AttioValidationError):
        _drive(create_once("people", {}), {CREATE: [_error(400, "value_not_found")]})


def test_a_create_answered_with_something_else_than_a_record_is_unknown() -> None:
    for body in (b"<html>Sign in</html>", b'{"data": {}}', b"[]"):
        created, _ = _drive(create_once("people", {}), {CREATE: [Reply(200, body, "text/html")]})
        assert created.outcome == "unknown"


def test_a_create_in_a_missing_object_raises() -> None:
    with pytest.raises(AttioObjectNotFoundError):
        _drive(create_once("people", {}), {CREATE: [_error(404, "not_found")]})


def test_the_plain_create_raises_outcome_unknown_instead_of_creating_twice() -> None:
    with pytest.raises(AttioOutcomeUnknownError) as info:
        _drive(create_record("people", {}), {CREATE: ["dropped", _json(200, {"data": RECORD})]})
    assert isinstance(info.value, AttioServerError) and isinstance(info.value, AttioTransientError)
    assert info.value.method == "POST"


def test_update_puts_the_values_and_retries_as_any_call() -> None:
    script: dict[tuple[str, str], list[Step]] = {PUT_A: [_json(503), _json(200, {"data": RECORD})]}
    record, sent = _drive(update_record("people", A, {"company": []}), script)
    assert record == RECORD and sent == ["PUT", "PUT"]


def test_update_of_a_missing_record_or_object() -> None:
    script: dict[tuple[str, str], list[Step]] = {
        PUT_A: [_error(404, "not_found")],
        OBJECT: [_json(200, {"data": {"api_slug": "people"}})],
    }
    with pytest.raises(AttioNotFoundError) as info:
        _drive(update_record("people", A, {}), script)
    assert not isinstance(info.value, AttioObjectNotFoundError)
    script = {PUT_A: [_error(404, "not_found")], OBJECT: [_error(404, "not_found")]}
    with pytest.raises(AttioObjectNotFoundError):
        _drive(update_record("people", A, {}), script)


def test_list_choices() -> None:
    options = [{"title": "vip"}]
    path = ("GET", "/v2/objects/people/attributes/tags/options")
    found, _ = _drive(list_choices("people", "tags", "options"), {path: [_json(200, {"data": options})]})
    assert found == options
    attribute = ("GET", "/v2/objects/people/attributes/tags")
    script: dict[tuple[str, str], list[Step]] = {
        path: [_error(404, "not_found")],
        attribute: [_json(200, {"data": {"type": "text"}})],
    }
    with pytest.raises(AttioValidationError, match="of type 'text': it has no options"):
        _drive(list_choices("people", "tags", "options"), script)


def test_errors_keep_their_class_through_pickling() -> None:
    error = AttioOutcomeUnknownError("lost", status=503, method="POST", path="/v2/objects/people/records")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is AttioOutcomeUnknownError and isinstance(again, AttioError)
    assert again.status == 503

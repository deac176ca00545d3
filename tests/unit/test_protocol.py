"""The I/O-free core: procedures driven by a scripted client, the retry policy, and the sensor's verdicts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_attio.connection import ConnectionSettings
from airflow_provider_attio.core import (
    Answer,
    ApiRequest,
    RecordFact,
    arun,
    check_record,
    chunked,
    confirm_absent,
    error_from_answer,
    exhausted,
    gives_up,
    list_by_id,
    retry_wait,
    run,
)
from airflow_provider_attio.exceptions import (
    AttioAuthError,
    AttioError,
    AttioObjectNotFoundError,
    AttioRateLimitError,
    AttioServerError,
    AttioTransientError,
    AttioValidationError,
)
from airflow_provider_attio.watch import RecordWatch, Watching, check_now

A = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
B = "2b0f5c6e-3d4a-4e8b-9c1d-7a6f5e4d3c2b"
C = "0d6f0a55-0c3f-4f4e-a4e0-3c0d2f3a9b11"


def _record(record_id: str) -> dict[str, Any]:
    return {"id": {"record_id": record_id}, "web_url": f"https://app.attio.com/x/{record_id}", "values": {}}


Reply = Answer | AttioError


def _scripted(replies: dict[tuple[str, str], Reply | Callable[[ApiRequest], Reply]]) -> tuple[Any, list[str]]:
    """A blocking ``send`` answering from a script keyed by (method, path); it records what was asked."""
    asked: list[str] = []

    def send(request: ApiRequest) -> Answer:
        asked.append(f"{request.method} {request.path}")
        reply = replies[(request.method, request.path)]
        reply = reply(request) if callable(reply) else reply
        if isinstance(reply, AttioError):
            raise reply
        return reply

    return send, asked


def _error(status: int, code: str | None = None) -> AttioError:
    return error_from_answer(status, {"code": code} if code else {}, "1", "GET", "/v2/x")


RECORD_A = ("GET", f"/v2/objects/people/records/{A}")
OBJECT = ("GET", "/v2/objects/people")


@pytest.mark.parametrize(
    ("record_reply", "object_reply", "state", "asked"),
    [
        (Answer(200, {"data": _record(A)}), None, "present", 1),
        (Answer(404, {}), Answer(200, {"data": {}}), "absent", 2),
        (_error(404, "merge_in_progress"), None, "merging", 1),
        (_error(429), None, "unavailable", 1),
        (_error(503), None, "unavailable", 1),
        (Answer(404, {}), _error(503), "unavailable", 2),
    ],
)
def test_check_record_reports_facts(record_reply: Reply, object_reply: Reply, state: str, asked: int) -> None:
    send, log = _scripted({RECORD_A: record_reply, OBJECT: object_reply or Answer(200, {"data": {}})})
    fact = run(check_record("people", A), send)
    assert (fact.record_id, fact.state, fact.confirmed) == (A, state, True)
    assert len(log) == asked
    if state == "present":
        assert fact.record == _record(A)
    if state in ("merging", "unavailable"):
        assert fact.detail


def test_check_record_tells_a_missing_object_from_a_missing_record() -> None:
    send, log = _scripted({RECORD_A: Answer(404, {}), OBJECT: Answer(404, {})})
    with pytest.raises(AttioObjectNotFoundError, match="'people' does not exist"):
        run(check_record("people", A), send)
    # Right after a query of the object succeeded, the object is known: no second request.
    send, log = _scripted({RECORD_A: Answer(404, {})})
    assert run(check_record("people", A, object_known=True), send).state == "absent"
    assert log == [f"GET /v2/objects/people/records/{A}"]


@pytest.mark.parametrize("error", [_error(401), _error(403), _error(400)])
def test_check_record_raises_permanent_errors(error: AttioError) -> None:
    send, _ = _scripted({RECORD_A: error})
    with pytest.raises(type(error)):
        run(check_record("people", A), send)


def test_list_by_id_asks_one_query_and_marks_what_it_listed() -> None:
    bodies: list[Any] = []

    def answer(request: ApiRequest) -> Answer:
        bodies.append(request.json)
        return Answer(200, {"data": [_record(B.upper()), _record(C)]})

    send, _ = _scripted({("POST", "/v2/objects/people/records/query"): answer})
    facts = run(list_by_id("people", [A, B, A]), send)
    assert bodies == [{"limit": 2, "offset": 0, "filter": {"record_id": {"$in": [A, B]}}}]
    assert {r: (f.state, f.confirmed) for r, f in facts.items()} == {
        A: ("absent", False),
        B: ("present", False),  # matched whatever the case; C was not asked about and is ignored
    }
    assert facts[B].record == _record(B.upper())


def test_list_by_id_on_a_missing_object_and_on_transient_errors() -> None:
    send, _ = _scripted({("POST", "/v2/objects/widgets/records/query"): Answer(404, {})})
    with pytest.raises(AttioObjectNotFoundError):
        run(list_by_id("widgets", [A]), send)
    send, _ = _scripted({("POST", "/v2/objects/people/records/query"): _error(503)})
    with pytest.raises(AttioServerError):
        run(list_by_id("people", [A]), send)


def test_the_async_driver_runs_the_same_steps() -> None:
    replies = {RECORD_A: Answer(404, {}), OBJECT: Answer(200, {"data": {}})}
    send, log = _scripted(replies)

    async def asend(request: ApiRequest) -> Answer:
        return send(request)

    fact = asyncio.run(arun(check_record("people", A), asend))
    assert fact.state == "absent" and len(log) == 2


def test_chunks() -> None:
    assert [len(c) for c in chunked(list(range(501)))] == [250, 250, 1]
    assert chunked([]) == []


# -- the retry policy: the hook and the async client both drive core.Call ----------------------------


def test_retry_waits_follow_retry_after_and_backoff() -> None:
    settings = ConnectionSettings(backoff=0.5, max_retry_wait=30)
    rng = random.Random(7)
    limited = AttioRateLimitError("429", retry_after=2.0)
    assert 2.0 <= retry_wait(settings, limited, 1, rng) <= 2.05
    # A Retry-After already past still waits the (unjittered) backoff of that attempt.
    assert 2.0 <= retry_wait(settings, AttioRateLimitError("429", retry_after=0.0), 3, rng) <= 2.05
    for attempt in range(1, 8):
        assert (
            0.01
            <= retry_wait(settings, AttioServerError("503"), attempt, rng)
            <= min(30, 0.5 * 2 ** (attempt - 1))
        )
    assert (
        retry_wait(ConnectionSettings(max_retry_wait=1), AttioRateLimitError("429", retry_after=60), 1) <= 1
    )


def test_gives_up_after_max_retries_or_before_a_wait_past_the_budget() -> None:
    settings = ConnectionSettings(max_retries=2, retry_budget=10)
    assert not gives_up(settings, 1, 0.0, 1.0)
    assert not gives_up(settings, 2, 0.0, 1.0)
    assert gives_up(settings, 3, 0.0, 1.0)
    assert gives_up(settings, 1, 9.5, 1.0)


def test_exhausted_keeps_the_class_and_fields() -> None:
    error = AttioRateLimitError("Rate limited.", retry_after=1.5, status=429, method="GET", path="/v2/x")
    again = exhausted(error, 3, 2.25)
    assert type(again) is AttioRateLimitError and again.retry_after == 1.5 and again.status == 429
    assert again.message == "Rate limited. Gave up after 3 attempts over 2.2s."


# -- verdicts --------------------------------------------------------------------------------------------


def _facts(**states: str) -> dict[str, RecordFact]:
    """``a="present"`` (confirmed) or ``a="~present"`` (listed only) -> facts keyed by A, B, C."""
    ids = {"a": A, "b": B, "c": C}
    return {
        ids[k]: RecordFact(ids[k], v.lstrip("~"), confirmed=not v.startswith("~"), record=_record(ids[k]))  # type: ignore[arg-type]
        for k, v in states.items()
    }


@pytest.mark.parametrize(
    ("wait_for", "require", "states", "to_confirm", "done"),
    [
        ("absent", "all", {"a": "~absent", "b": "~present"}, [], False),  # b still listed: no reads yet
        ("absent", "all", {"a": "~absent", "b": "~absent"}, ["a", "b"], False),
        ("absent", "all", {"a": "absent", "b": "absent"}, [], True),
        ("absent", "all", {"a": "absent", "b": "merging"}, [], False),
        ("absent", "any", {"a": "~present", "b": "~absent"}, ["b"], False),
        ("absent", "any", {"a": "absent", "b": "~absent"}, [], True),
        ("present", "all", {"a": "~present", "b": "~present"}, ["a", "b"], False),
        ("present", "all", {"a": "present", "b": "unavailable"}, [], False),
        ("present", "any", {"a": "~absent", "b": "present"}, [], True),
        ("present", "any", {"a": "~present", "b": "~unavailable"}, ["a"], False),
    ],
)
def test_verdicts(
    wait_for: str, require: str, states: dict[str, str], to_confirm: list[str], done: bool
) -> None:
    watch = RecordWatch.of("people", record_ids=[A, B], wait_for=wait_for, require=require)
    facts = _facts(**states)
    ids = {A: "a", B: "b"}
    assert [ids[r] for r in watch.to_confirm(facts)] == to_confirm
    verdict = watch.judge(facts)
    assert verdict.done is done
    assert (verdict.xcom is not None) is done


def test_many_records_xcom_says_which() -> None:
    watch = RecordWatch.of("people", record_ids=[A, B], wait_for="present", require="any")
    verdict = watch.judge(_facts(a="merging", b="present"))
    assert verdict.xcom == {
        "object": "people",
        "wait_for": "present",
        "require": "any",
        "matched": [B],
        "unmatched": [A],
        "records": [
            {"object": "people", "record_id": B, "id": {"record_id": B}, "web_url": _record(B)["web_url"]}
        ],
    }
    absent = RecordWatch.of("people", record_ids=[A], wait_for="absent").judge(_facts(a="absent"))
    assert absent.xcom == {
        "object": "people",
        "wait_for": "absent",
        "require": "all",
        "matched": [A],
        "unmatched": [],
    }


def test_record_ids_are_checked_normalized_and_deduplicated() -> None:
    watch = RecordWatch.of("people", record_ids=f'["{A.upper()}", "{B}", "{A}"]')
    assert watch.record_ids == (A, B) and not watch.single
    assert RecordWatch.of("people", record_ids=[{"id": {"record_id": A}}]).record_ids == (A,)
    assert RecordWatch.of("people", record_ids=(A,)).record_ids == (A,)
    with pytest.raises(AttioValidationError, match=r"record_ids\[1\] must be an Attio record id"):
        RecordWatch.of("people", record_ids=[A, "nope"])
    with pytest.raises(AttioValidationError, match="must be a list"):
        RecordWatch.of("people", record_ids=A)
    with pytest.raises(AttioValidationError, match="neither valid JSON nor a Python literal"):
        RecordWatch.of("people", record_ids="[nope")
    with pytest.raises(AttioValidationError, match="exactly one of record_id"):
        RecordWatch.of("people")


def test_poke_confirms_absences_with_a_second_query_and_asks_about_them_no_more() -> None:
    listed_once = iter([[_record(B)], [], []])
    replies: dict[tuple[str, str], Any] = {
        ("POST", "/v2/objects/people/records/query"): lambda _: Answer(200, {"data": next(listed_once)}),
    }
    send, log = _scripted(replies)
    watching = Watching(RecordWatch.of("people", record_ids=[A, B], wait_for="absent"))
    assert not check_now(watching, send).done  # B still listed: nothing to confirm yet
    assert log == ["POST /v2/objects/people/records/query"]
    assert check_now(watching, send).done  # both unlisted, and left out again by the confirming query
    assert log[1:] == ["POST /v2/objects/people/records/query"] * 2
    assert set(watching.gone) == {A, B}
    assert check_now(watching, send).done and len(log) == 3  # gone stays gone: nothing asked


class _Workspace:
    """A scripted Attio of one object: queries list present and merging records (as the emulator does),
    a read answers 200, 404 ``merge_in_progress`` or 404; it records every request."""

    def __init__(self, present: set[str], merging: frozenset[str] = frozenset()) -> None:
        self.present, self.merging = present, merging
        self.log: list[ApiRequest] = []

    def send(self, request: ApiRequest) -> Answer:
        self.log.append(request)
        if request.method == "POST":
            asked = request.json["filter"]["record_id"]["$in"]
            listed = [_record(r) for r in asked if r in self.present | self.merging]
            return Answer(200, {"data": listed})
        record_id = request.path.rsplit("/", 1)[1]
        if record_id in self.merging:
            raise _error(404, "merge_in_progress")
        return Answer(200, {"data": _record(record_id)}) if record_id in self.present else Answer(404, {})

    def queries(self) -> list[int]:
        """How many ids each query asked about, in order."""
        return [len(r.json["filter"]["record_id"]["$in"]) for r in self.log if r.method == "POST"]

    def reads(self) -> list[str]:
        return [r.path.rsplit("/", 1)[1] for r in self.log if r.method == "GET"]


def _ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]


def test_confirm_absent_confirms_only_what_a_second_listing_leaves_out() -> None:
    workspace = _Workspace(present={B})
    facts = run(confirm_absent("people", [A, B]), workspace.send)
    assert {r: (f.state, f.confirmed) for r, f in facts.items()} == {
        A: ("absent", True),
        B: ("present", False),  # listed after all: not gone, and not a read
    }
    assert workspace.queries() == [2] and workspace.reads() == []


@pytest.mark.parametrize(
    ("reply", "raised"),
    [
        (Answer(404, {}), AttioObjectNotFoundError),
        (_error(503), AttioServerError),
        (_error(404, "merge_in_progress"), AttioTransientError),
    ],
)
def test_confirm_absent_raises_what_the_caller_applies_to_every_id(
    reply: Reply, raised: type[AttioError]
) -> None:
    send, _ = _scripted({("POST", "/v2/objects/people/records/query"): reply})
    with pytest.raises(raised):
        run(confirm_absent("people", [A, B]), send)


def test_records_gone_together_are_confirmed_in_batches_never_read() -> None:
    ids = _ids(600)
    workspace = _Workspace(present=set(ids))
    watching = Watching(RecordWatch.of("people", record_ids=ids, wait_for="absent"))
    assert not check_now(watching, workspace.send).done
    workspace.present.clear()  # all 600 deleted at once
    workspace.log.clear()
    verdict = check_now(watching, workspace.send)
    assert verdict.done and len(verdict.xcom["matched"]) == 600
    assert workspace.queries() == [250, 250, 100] * 2  # the listing, then the confirmation
    assert workspace.reads() == []


def test_a_confirmation_that_fails_for_now_or_lists_a_record_again_is_not_yet() -> None:
    answers = iter([Answer(200, {"data": []}), _error(503), Answer(200, {"data": []})])

    def query(request: ApiRequest) -> Reply:
        return next(answers)

    send, log = _scripted({("POST", "/v2/objects/people/records/query"): query})
    watching = Watching(RecordWatch.of("people", record_ids=[A, B], wait_for="absent"))
    verdict = check_now(watching, send)
    assert not verdict.done and "2 unavailable" in verdict.detail and not watching.gone
    # The next poke lists and confirms both; one is listed again by the confirmation (a race, a lagging
    # answer): the other is confirmed gone and never asked about again, that one is not.
    answers = iter([Answer(200, {"data": []}), Answer(200, {"data": [_record(B)]})])
    assert not check_now(watching, send).done
    assert set(watching.gone) == {A}
    answers = iter([Answer(200, {"data": []}), Answer(200, {"data": []})])
    assert check_now(watching, send).done
    assert len(log) == 6


def test_require_any_absent_confirms_one_query_of_ids_and_reads_none() -> None:
    workspace = _Workspace(present=set())
    watching = Watching(RecordWatch.of("people", record_ids=_ids(1000), wait_for="absent", require="any"))
    verdict = check_now(watching, workspace.send)
    assert verdict.done and len(verdict.xcom["matched"]) == 250
    assert workspace.queries() == [250, 250, 250, 250, 250] and workspace.reads() == []


def test_require_any_present_reads_only_the_listed_record() -> None:
    ids = _ids(1000)
    workspace = _Workspace(present={ids[700]})
    watching = Watching(RecordWatch.of("people", record_ids=ids, wait_for="present", require="any"))
    verdict = check_now(watching, workspace.send)
    assert verdict.done and verdict.xcom["matched"] == [ids[700]]
    assert workspace.queries() == [250] * 4 and workspace.reads() == [ids[700]]


@pytest.mark.parametrize(
    ("require", "merging", "reads", "done"),
    [
        ("any", {A}, [A, B], True),  # A merging: not yet; B present: done, C not read
        ("any", set(), [A], True),
        ("all", {B}, [A, B], False),  # B merging: not done whatever C is, so C is not read
        ("all", set(), [A, B, C], True),
    ],
)
def test_reads_confirming_presence_stop_once_the_verdict_is_known(
    require: str, merging: set[str], reads: list[str], done: bool
) -> None:
    workspace = _Workspace(present={A, B, C} - merging, merging=frozenset(merging))
    watching = Watching(RecordWatch.of("people", record_ids=[A, B, C], wait_for="present", require=require))
    assert check_now(watching, workspace.send).done is done
    assert workspace.queries() == [3] and workspace.reads() == reads


@pytest.mark.parametrize(
    ("require", "states", "settled"),
    [
        ("any", {"a": "~absent", "b": "~absent"}, False),
        ("any", {"a": "unavailable", "b": "absent"}, True),
        ("all", {"a": "absent", "b": "~absent"}, False),
        ("all", {"a": "absent", "b": "~present"}, True),
        ("all", {"a": "absent", "b": "unavailable"}, True),
    ],
)
def test_settled(require: str, states: dict[str, str], settled: bool) -> None:
    watch = RecordWatch.of("people", record_ids=[A, B], wait_for="absent", require=require)
    assert watch.settled(_facts(**states)) is settled


def test_a_record_awaited_present_is_read_on_every_poke() -> None:
    # A 404 may be a record not readable yet (just created, or merging): only "gone" is forever.
    send, log = _scripted({RECORD_A: Answer(404, {}), OBJECT: Answer(200, {"data": {}})})
    watching = Watching(RecordWatch.of("people", record_id=A, wait_for="present"))
    assert not check_now(watching, send).done
    assert not check_now(watching, send).done
    assert log.count(f"GET /v2/objects/people/records/{A}") == 2
    assert not watching.gone


def test_transient_listing_errors_mean_not_yet_and_permanent_ones_raise() -> None:
    send, _ = _scripted({("POST", "/v2/objects/people/records/query"): _error(429)})
    verdict = check_now(Watching(RecordWatch.of("people", record_ids=[A, B], wait_for="absent")), send)
    assert not verdict.done and "2 unavailable" in verdict.detail
    send, _ = _scripted({("POST", "/v2/objects/people/records/query"): _error(401)})
    with pytest.raises(AttioAuthError):
        check_now(Watching(RecordWatch.of("people", record_ids=[A, B], wait_for="absent")), send)
    assert isinstance(_error(404, "merge_in_progress"), AttioTransientError)

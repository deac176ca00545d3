"""Regression tests for the edges of issue 8: wrong deletions, wrong outcomes, bad input, the connection test.

Each test goes through the real HTTP path (the emulator, or a small hand-written server where Attio's
behaviour is not what is under test) and fails on the code before the fix.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_attio.bulk import AttioBulkDeleteRetryableError
from airflow_provider_attio.exceptions import (
    ArchiveLocationError,
    AttioAuthError,
    AttioError,
    AttioObjectNotFoundError,
    AttioResponseError,
    AttioValidationError,
)
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.operators.records import AttioDeleteRecordOperator, AttioDeleteRecordsOperator
from airflow_provider_attio.sensors.records import AttioRecordSensor
from airflow_provider_attio.testing import AttioEmulator
from airflow_provider_attio.triggers.records import AttioRecordTrigger
from tests.conftest import TOKEN, assert_no_token
from tests.helpers import MISSING_ID, person, task_context

log = logging.getLogger(__name__)


def _person(emu: AttioEmulator, name: str = "Ada Lovelace", title: str = "Engineer") -> str:
    return person(emu, name, job_title=title)


def _deletes_of(emu: AttioEmulator, record_id: str) -> int:
    return emu.count(method="DELETE", path=f"/v2/objects/people/records/{record_id}")


# -- 1. a retried filter-mode bulk delete only checks what it no longer targets ---------------------------


def test_retry_with_a_corrected_filter_never_deletes_archived_records_it_no_longer_targets(
    attio: AttioEmulator, use_connection: Any, tmp_path: Path
) -> None:
    use_connection(attio.base_url, max_retries=0)
    wrong = [_person(attio, f"Wrong {i}", "Wrong") for i in range(3)]
    archive = str(tmp_path / "run.jsonl")
    attio.fail_next(1, 503, method="DELETE", path=f"/v2/objects/people/records/{wrong[0]}")
    with pytest.raises(AttioBulkDeleteRetryableError):
        AttioHook().delete_records(
            "people", filter={"job_title": "Wrong"}, archive_to=archive, max_concurrency=1
        )
    assert attio.record_ids("people") == [wrong[0]]  # archived, its DELETE failed transiently
    # The DAG's filter is corrected and the task cleared: same archive, a filter that doesn't match it.
    right = _person(attio, "Right", "Right")
    attio.clear_log()
    summary = AttioHook().delete_records("people", filter={"job_title": "Right"}, archive_to=archive)
    assert _deletes_of(attio, wrong[0]) == 0
    assert attio.get_record("people", wrong[0]) is not None
    assert attio.record_ids("people") == [wrong[0]]
    assert right not in attio.record_ids("people")
    assert summary["deleted"] == 1 and summary["requested"] == 1
    # It was only looked at.
    assert attio.count(method="GET", path=f"/v2/objects/people/records/{wrong[0]}") == 1


def test_archived_record_gone_since_is_counted_as_deleted_by_the_earlier_try(
    attio: AttioEmulator, use_connection: Any, tmp_path: Path
) -> None:
    use_connection(attio.base_url, max_retries=0)
    target = _person(attio, "Target", "Old")
    archive = str(tmp_path / "run.jsonl")
    attio.drop_after_apply(1, path=f"/v2/objects/people/records/{target}")  # applied, answer lost
    with pytest.raises(AttioBulkDeleteRetryableError):
        AttioHook().delete_records("people", filter={"job_title": "Old"}, archive_to=archive)
    attio.clear_log()
    summary = AttioHook().delete_records("people", filter={"job_title": "Old"}, archive_to=archive)
    assert summary["deleted"] == 1 and summary["not_found"] == 0 and summary["requested"] == 1
    assert attio.count(method="DELETE") == 0


# -- 2. a trailing newline is not a valid id or slug -----------------------------------------------------


@pytest.mark.parametrize(
    ("object", "suffix", "field"), [("people", "\n", "record_id"), ("people\n", "", "object")]
)
def test_trailing_newline_is_refused_before_any_request(
    attio: AttioEmulator, object: str, suffix: str, field: str
) -> None:
    record_id = _person(attio)
    with pytest.raises(AttioValidationError, match=f"^{field} must be"):
        AttioHook().delete_record(object, record_id + suffix)
    operator = AttioDeleteRecordOperator(task_id="d", object=object, record_id=record_id + suffix)
    with pytest.raises(AirflowFailException, match=field):
        operator.execute(task_context(1))
    sensor = AttioRecordSensor(task_id="s", object=object, record_id=record_id + suffix, wait_for="absent")
    with pytest.raises(AirflowFailException, match=field):
        sensor.poke(task_context(1))
    assert attio.requests == []
    assert attio.record_ids("people") == [record_id]


# -- 3. a retry never fails or skips because of its own earlier try -------------------------------------


def test_plain_not_found_on_a_first_try_still_applies_the_policy(attio: AttioEmulator) -> None:
    operator = AttioDeleteRecordOperator(
        task_id="d", object="people", record_id=MISSING_ID, if_not_found="fail"
    )
    with pytest.raises(AirflowFailException, match=f"Record {MISSING_ID} of 'people' was not found in Attio"):
        operator.execute(task_context(1))


def _five_with_one_failing(attio: AttioEmulator) -> tuple[list[str], str]:
    ids = [_person(attio, f"P{i}") for i in range(5)]
    attio.fail_next(1, 503, method="DELETE", path=f"/v2/objects/people/records/{ids[2]}")
    return ids, ids[2]


def test_bulk_retry_without_archive_never_fails_for_its_own_earlier_deletes(
    attio: AttioEmulator, use_connection: Any
) -> None:
    use_connection(attio.base_url, max_retries=0)
    ids, _ = _five_with_one_failing(attio)
    operator = AttioDeleteRecordsOperator(
        task_id="bulk", object="people", record_ids=ids, if_not_found="fail", max_concurrency=1
    )
    with pytest.raises(AttioBulkDeleteRetryableError):
        operator.execute(task_context(1))
    summary = operator.execute(task_context(2))
    assert summary["deleted"] == 1 and summary["not_found_on_retry"] == 4 and summary["not_found"] == 0
    assert attio.record_ids("people") == []


def test_bulk_retry_with_archive_is_exact(attio: AttioEmulator, use_connection: Any, tmp_path: Path) -> None:
    use_connection(attio.base_url, max_retries=0)
    ids, failing = _five_with_one_failing(attio)
    kwargs: dict[str, Any] = {"object": "people", "if_not_found": "fail", "max_concurrency": 1}
    operator = AttioDeleteRecordsOperator(
        task_id="bulk", record_ids=ids, archive_to=str(tmp_path / "a.jsonl"), **kwargs
    )
    with pytest.raises(AttioBulkDeleteRetryableError):
        operator.execute(task_context(1))
    attio.clear_log()
    summary = operator.execute(task_context(2))
    assert summary["skipped_already_deleted"] == 4 and summary["deleted"] == 1
    assert summary["not_found"] == 0 and summary["not_found_on_retry"] == 0
    assert [r.path.rsplit("/", 1)[-1] for r in attio.requests if r.method == "DELETE"] == [failing]
    # A record the archive shows was never sent a DELETE is really not found, even on a retry.
    operator = AttioDeleteRecordsOperator(
        task_id="bulk2", record_ids=[*ids, MISSING_ID], archive_to=str(tmp_path / "a.jsonl"), **kwargs
    )
    with pytest.raises(AirflowFailException, match=r"1 record of 'people' .* was not found in Attio"):
        operator.execute(task_context(3))


# -- 4. the object deleted during a bulk run stops it ----------------------------------------------------


def test_object_deleted_mid_run_stops_the_run(attio: AttioEmulator) -> None:
    ids = [p["id"]["record_id"] for p in attio.seed("people", 200)]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            AttioHook().delete_records("people", record_ids=ids, writes_per_second=50, max_concurrency=2)
        except BaseException as err:
            errors.append(err)

    worker = threading.Thread(target=run)
    worker.start()
    while attio.count(method="DELETE", status=200) < 10 and worker.is_alive():
        time.sleep(0.01)
    attio.delete_object("people")
    before = attio.count(method="DELETE")
    worker.join(timeout=60)
    assert len(errors) == 1 and isinstance(errors[0], AttioObjectNotFoundError), errors
    # Each worker may have had one DELETE in flight; none carried on through the remaining records.
    assert attio.count(method="DELETE") - before <= 4


# -- 5. a 2xx answer that isn't Attio's JSON -------------------------------------------------------------


class _OddServer(BaseHTTPRequestHandler):
    """Answers 200 with an HTML page (a proxy) or with JSON lacking ``data``, and counts DELETEs."""

    deletes = 0

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if "/records/" in self.path:
            self._answer(b"<html><body>Sign in to the proxy</body></html>", "text/html")
        else:
            self._answer(b"{}", "application/json")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(b'{"records": []}', "application/json")

    def do_DELETE(self) -> None:
        type(self).deletes += 1
        self._answer(b"<html>OK</html>", "text/html")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def odd_server(use_connection: Any) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OddServer)
    # shutdown() waits for the serving loop's next poll: 0.5 s by default.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    use_connection(url)
    yield url
    server.shutdown()
    server.server_close()


def test_a_2xx_answer_that_is_not_attio_json_is_a_clear_error(odd_server: str) -> None:
    hook = AttioHook()
    with pytest.raises(AttioResponseError, match="not JSON \\(text/html\\)") as info:
        hook.get_record("people", MISSING_ID)
    assert (info.value.method, info.value.path, info.value.status) == (
        "GET",
        f"/v2/objects/people/records/{MISSING_ID}",
        200,
    )
    with pytest.raises(AttioResponseError, match="without the 'data' Attio sends") as query:
        list(hook.iter_records("people"))
    assert query.value.method == "POST" and query.value.status == 200
    # A DELETE answered with a page is not believed: the record is read, and that read's page is an error.
    deletes = _OddServer.deletes
    with pytest.raises(AttioResponseError, match=f"{odd_server} answered GET .*text/html") as delete:
        hook.delete_record("people", MISSING_ID)
    assert delete.value.method == "GET" and _OddServer.deletes == deletes + 1


# -- 6. a 429 whose Retry-After date is already past still waits ----------------------------------------


def test_429_with_a_past_retry_after_date_waits_at_least_the_backoff(
    attio: AttioEmulator, use_connection: Any
) -> None:
    use_connection(attio.base_url, backoff=0.1, max_retries=4)
    record_id = _person(attio)
    attio.fail_next(3, 429, method="DELETE", retry_after=formatdate(time.time() - 5, usegmt=True))
    assert AttioHook().delete_record("people", record_id) == "deleted"
    times = [r.time for r in attio.requests if r.method == "DELETE"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4
    # The unjittered backoff floor: 0.1, 0.2, 0.4 seconds (a busy retry would be a few milliseconds).
    assert all(gap >= floor for gap, floor in zip(gaps, (0.1, 0.2, 0.4), strict=True)), gaps


# -- 7. bad input is refused before any request, naming the field ----------------------------------------


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", float("inf"), 10**400])
def test_non_finite_extras_are_refused(attio: AttioEmulator, use_connection: Any, value: Any) -> None:
    use_connection(attio.base_url, timeout=value if not isinstance(value, int) else str(value))
    with pytest.raises(AttioValidationError, match="'timeout'"):
        AttioHook().delete_record("people", MISSING_ID)
    assert attio.requests == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_filter_with_nan_or_infinity_is_refused_naming_where(attio: AttioEmulator, bad: float) -> None:
    flt = {"$and": [{"name": "Ada"}, {"employee_count": {"$gt": bad}}]}
    with pytest.raises(AttioValidationError, match=r"filter\['\$and'\]\[1\]\['employee_count'\]\['\$gt'\]"):
        AttioHook().delete_records("people", filter=flt)
    with pytest.raises(AttioValidationError, match="filter"):
        list(AttioHook().iter_records("people", filter=flt))
    assert attio.requests == []


@pytest.mark.parametrize("token", [f"{TOKEN[:5]} {TOKEN[5:]}", f"{TOKEN[:5]}\t{TOKEN[5:]}", TOKEN + "\x00"])
def test_token_with_inner_whitespace_or_control_characters_is_refused(
    attio: AttioEmulator, use_connection: Any, token: str
) -> None:
    use_connection(attio.base_url, token=token)
    with pytest.raises(AttioAuthError, match="token") as info:
        AttioHook().delete_record("people", MISSING_ID)
    assert_no_token(info.value)
    assert token not in str(info.value) and TOKEN[5:] not in str(info.value)
    assert attio.requests == []


def test_surrounding_whitespace_of_a_pasted_token_is_stripped(
    attio: AttioEmulator, use_connection: Any
) -> None:
    use_connection(attio.base_url, token=f"  {TOKEN}\n")
    assert AttioHook().delete_record("people", MISSING_ID) == "not_found"


def test_unwritable_archive_is_refused_before_any_request(attio: AttioEmulator, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    location = str(tmp_path / "file" / "a.jsonl")
    with pytest.raises(ArchiveLocationError, match=r"archive_to .*a.jsonl.* cannot be written"):
        AttioHook().delete_records("people", filter={"name": "Ada"}, archive_to=location)
    assert attio.requests == []


def test_literal_record_ids_over_the_cap_are_refused_before_any_request(attio: AttioEmulator) -> None:
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(3)]
    operator = AttioDeleteRecordsOperator(task_id="bulk", object="people", record_ids=ids, max_records=2)
    with pytest.raises(AirflowFailException, match=r"record_ids holds 3 records.*max_records=2"):
        operator.execute(task_context(1))
    with pytest.raises(AttioValidationError, match="max_records=2"):
        AttioHook().delete_records("people", record_ids=ids, max_records=2)
    assert attio.requests == []


# -- 8. a host pasted with /v2 ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/v2", "/v2/", "/V2"])
def test_host_with_a_trailing_v2_works(attio: AttioEmulator, use_connection: Any, suffix: str) -> None:
    use_connection(attio.base_url + suffix)
    record_id = _person(attio)
    assert AttioHook().delete_record("people", record_id) == "deleted"
    assert [r.path for r in attio.requests if r.method == "DELETE"] == [
        f"/v2/objects/people/records/{record_id}"
    ]


def test_host_with_a_deeper_v2_path_says_what_to_enter(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url + "/v2/objects")
    with pytest.raises(AttioValidationError, match=r"must be the server only, like https://api.attio.com"):
        AttioHook().delete_record("people", MISSING_ID)
    assert attio.requests == []


# -- 9. messages ------------------------------------------------------------------------------------------


def test_bulk_not_found_message_has_its_grammar(attio: AttioEmulator) -> None:
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(4)]
    with pytest.raises(AirflowFailException, match=r"^4 records of 'people' \(.*\) were not found in Attio"):
        AttioDeleteRecordsOperator(task_id="b", object="people", record_ids=ids, if_not_found="fail").execute(
            task_context(1)
        )


def test_connection_test_without_a_token_does_not_lead_with_the_connection_id(
    attio: AttioEmulator, use_connection: Any
) -> None:
    use_connection(attio.base_url, token=None, conn_id="random_swapped_id")
    ok, message = AttioHook("random_swapped_id").test_connection()
    assert not ok and message.startswith("The Attio connection has no token")
    assert "random_swapped_id" not in message


# -- 10. the connection test answers fast and says what failed -------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_test_on_a_refused_port(use_connection: Any) -> None:
    use_connection(f"http://127.0.0.1:{_free_port()}")
    ok, message = AttioHook().test_connection()
    assert not ok and "refused the connection" in message


def test_connection_test_on_an_unknown_host(use_connection: Any) -> None:
    use_connection("https://attio-host.invalid")
    ok, message = AttioHook().test_connection()
    assert not ok and "Could not resolve the host name 'attio-host.invalid'" in message


def test_connection_test_on_tls_to_a_plain_http_server(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url.replace("http://", "https://"))
    ok, message = AttioHook().test_connection()
    assert not ok and "TLS handshake" in message


def test_connection_test_on_a_server_that_never_answers(use_connection: Any) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections (the kernel does), never answers
        use_connection(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        ok, message = AttioHook().test_connection()
    assert not ok and "did not answer in time" in message


def test_connection_test_makes_one_attempt(attio: AttioEmulator) -> None:
    attio.fail_next(5, 503)
    ok, message = AttioHook().test_connection()
    assert not ok and "503" in message
    assert attio.count(path="/v2/self") == 1


def test_connection_test_with_a_rejected_token(attio: AttioEmulator, use_connection: Any) -> None:
    use_connection(attio.base_url, token="not-a-known-token")
    ok, message = AttioHook().test_connection()
    assert not ok and "rejected the token" in message
    assert attio.count(path="/v2/self") == 1


# -- 11. a token rotated in the connection reaches waiting sensors ---------------------------------------


ROTATED = "attio-rotated-token-4b1d"


def test_deferred_sensor_rereads_a_rotated_token(attio: AttioEmulator, use_connection: Any) -> None:
    record_id = _person(attio)
    attio.add_token(ROTATED)
    trigger = AttioRecordTrigger(
        object="people",
        record_id=record_id,
        wait_for="absent",
        attio_conn_id="attio_default",
        poke_interval=0.05,
        deadline=time.time() + 30,
    )

    async def scenario() -> Any:
        events = trigger.run()
        task = asyncio.ensure_future(events.__anext__())
        while attio.count(path="/v2/objects/people/records/*") < 1:  # its first check
            await asyncio.sleep(0.01)
        attio.revoke_token(TOKEN)  # rotated: the old token is dead, the connection holds the new one
        use_connection(attio.base_url, token=ROTATED)
        while attio.count(status=401) < 1:
            await asyncio.sleep(0.01)
        url = f"{attio.base_url}/v2/objects/people/records/{record_id}"
        headers = {"Authorization": f"Bearer {ROTATED}"}
        deleted = await asyncio.to_thread(requests.delete, url, headers=headers, timeout=5)
        assert deleted.status_code == 200
        return await asyncio.wait_for(task, timeout=20)

    event = asyncio.run(scenario())
    assert event.payload["status"] == "success", event.payload


def test_poking_sensor_rereads_a_rotated_token(attio: AttioEmulator, use_connection: Any) -> None:
    record_id = _person(attio)
    attio.add_token(ROTATED)
    sensor = AttioRecordSensor(task_id="s", object="people", record_id=record_id, wait_for="present")
    assert sensor.poke(task_context(1))
    attio.revoke_token(TOKEN)
    use_connection(attio.base_url, token=ROTATED)
    assert sensor.poke(task_context(1))
    assert attio.count(status=401) == 1


def test_a_401_after_rereading_still_fails(attio: AttioEmulator) -> None:
    record_id = _person(attio)
    sensor = AttioRecordSensor(task_id="s", object="people", record_id=record_id, wait_for="present")
    attio.revoke_token(TOKEN)
    with pytest.raises(AirflowFailException, match="rejected the token"):
        sensor.poke(task_context(1))
    # The connection was read again and held the same token: it is not sent a second time.
    assert attio.count(status=401) == 1


def test_errors_keep_their_class_through_json(attio: AttioEmulator) -> None:
    error = AttioResponseError("odd", status=200, method="GET", path="/v2/self")
    assert type(AttioError.from_dict(json.loads(json.dumps(error.to_dict())))) is AttioResponseError

"""``answer_html``: a host that isn't Attio answering with a page (a proxy's sign-in page, a wrong URL)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import Api, person
from tests.helpers import MISSING_ID

RECORDS = "/v2/objects/*/records/*"
QUERY = "/v2/objects/people/records/query"
HTML = "text/html; charset=utf-8"


def send(api: Api, method: str, path: str, json: Any = None, token: str | None = None) -> requests.Response:
    """Send a request without the contract check of ``Api`` (the answer may not be Attio's)."""
    headers = {"Authorization": f"Bearer {token or api.token}"}
    return api.session.request(method, api.base_url + path, json=json, headers=headers, timeout=10)


def is_sign_in_page(response: requests.Response, status: int = 200) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"] == HTML
        and response.text.startswith("<!doctype html>")
        and "<title>Sign in</title>" in response.text
        and "<form" in response.text
    )


def is_attio(response: requests.Response) -> bool:
    return response.headers["content-type"].startswith("application/json")


def test_unapplied_delete_answers_the_page_and_changes_nothing(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    emu.answer_html()
    assert is_sign_in_page(send(api, "DELETE", f"/v2/objects/people/records/{rid}"))
    assert emu.get_record("people", rid) is not None  # a proxy answered: Attio never saw the call
    entry = emu.requests[-1]
    assert (entry.method, entry.path, entry.status) == ("DELETE", f"/v2/objects/people/records/{rid}", 200)
    assert api.delete(f"/v2/objects/people/records/{rid}").status_code == 200  # only the next one


def test_applied_delete_is_applied_and_its_answer_replaced(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    emu.answer_html(applied=True)
    assert is_sign_in_page(send(api, "DELETE", f"/v2/objects/people/records/{rid}"))
    assert emu.get_record("people", rid) is None  # forwarded: deleted all the same
    assert emu.requests[-1].status == 200
    assert api.delete(f"/v2/objects/people/records/{rid}").status_code == 404  # Attio's answer again


def test_applied_replaces_an_error_answer_too(emu: AttioEmulator, api: Api) -> None:
    emu.answer_html(applied=True, status=502)
    assert is_sign_in_page(send(api, "DELETE", f"/v2/objects/people/records/{MISSING_ID}"), 502)
    assert emu.count("DELETE", status=502) == 1 and emu.count(status=404) == 0  # the status sent


def test_get_and_query_get_the_page(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    emu.answer_html(2)
    assert is_sign_in_page(send(api, "GET", f"/v2/objects/people/records/{rid}"))
    assert is_sign_in_page(send(api, "POST", QUERY, json={}))
    assert len(api.query()) == 1


def test_unapplied_create_creates_nothing(emu: AttioEmulator, api: Api) -> None:
    emu.answer_html(method="POST", path="/v2/objects/people/records")
    assert is_sign_in_page(send(api, "POST", "/v2/objects/people/records", {"data": {"values": {}}}))
    assert emu.record_ids("people") == []


def test_count_two_answers_exactly_two_calls(emu: AttioEmulator, api: Api) -> None:
    emu.answer_html(2)
    answers = [send(api, "GET", "/v2/self") for _ in range(3)]
    assert [is_sign_in_page(r) for r in answers] == [True, True, False]
    assert is_attio(answers[2]) and answers[2].json()["active"] is True
    assert emu.count("GET", "/v2/self", 200) == 3


def test_none_answers_every_call_until_cleared(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    emu.answer_html(None)
    calls = [
        ("GET", "/v2/self", None),
        ("GET", "/v2/objects/people", None),
        ("POST", QUERY, {}),
        ("DELETE", f"/v2/objects/people/records/{rid}", None),
        ("GET", "/v2/no/such/path", None),  # before routing: no 404
    ]
    for _ in range(3):
        assert all(is_sign_in_page(send(api, m, p, body)) for m, p, body in calls)
    assert is_sign_in_page(send(api, "GET", "/v2/self", token="unknown"))  # before the token check: no 401
    assert emu.get_record("people", rid) is not None
    emu.clear_faults()
    assert api.delete(f"/v2/objects/people/records/{rid}").status_code == 200


def test_reset_removes_the_rules(emu: AttioEmulator, api: Api) -> None:
    emu.answer_html(None)
    emu.answer_html(None, applied=True)
    emu.reset()
    assert is_attio(api.get("/v2/self"))


def test_method_and_path_filters(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    emu.answer_html(None, method="delete", path=RECORDS)
    assert api.get(f"/v2/objects/people/records/{rid}").status_code == 200  # another method
    assert api.delete("/v2/lists/sales/entries/x").status_code == 404  # another path
    assert is_sign_in_page(send(api, "DELETE", f"/v2/objects/people/records/{rid}"))
    assert is_sign_in_page(send(api, "DELETE", f"/v2/objects/companies/records/{MISSING_ID}"))
    assert emu.get_record("people", rid) is not None


def test_status_body_and_content_type(emu: AttioEmulator, api: Api) -> None:
    emu.answer_html(status=403, body="<h1>Blocked by policy</h1>", content_type="text/plain")
    response = send(api, "GET", "/v2/self")
    assert (response.status_code, response.headers["content-type"]) == (403, "text/plain")
    assert response.text == "<h1>Blocked by policy</h1>"
    assert emu.requests[-1].status == 403


def test_the_page_comes_before_other_faults(emu: AttioEmulator, api: Api) -> None:
    emu.fail_next(1, 503)
    emu.answer_html()
    assert is_sign_in_page(send(api, "GET", "/v2/self"))
    assert api.get("/v2/self").status_code == 503  # the failure is still pending


def test_a_dropped_connection_keeps_the_applied_page_for_the_next_call(emu: AttioEmulator, api: Api) -> None:
    rid, other = person(emu), person(emu, "Grace Hopper")
    emu.drop_after_apply(1)
    emu.answer_html(applied=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        send(api, "DELETE", f"/v2/objects/people/records/{rid}")
    assert is_sign_in_page(send(api, "DELETE", f"/v2/objects/people/records/{other}"))
    assert emu.record_ids("people") == []


@pytest.mark.parametrize(("count", "status"), [(0, 200), (-1, 200), (1, 204), (1, 304), (1, 101), (1, 600)])
def test_invalid_count_or_status(emu: AttioEmulator, count: int, status: int) -> None:
    with pytest.raises(ValueError):
        emu.answer_html(count, status=status)

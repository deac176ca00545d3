"""Objects and records: GET object, create, GET, DELETE, Attio's 404s and 400s, and the Python helpers."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from airflow_provider_attio.testing import DEFAULT_OBJECT_IDS, WORKSPACE_ID, AttioEmulator, FakeClock
from tests.emulator.conftest import MISSING_ID, Api, person, record_id

# -- objects -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["people", "companies", "deals"])
def test_default_objects_by_slug_and_by_id(api: Api, slug: str) -> None:
    by_slug = api.get(f"/v2/objects/{slug}")
    assert by_slug.status_code == 200
    data = by_slug.json()["data"]
    assert data["id"] == {"workspace_id": WORKSPACE_ID, "object_id": DEFAULT_OBJECT_IDS[slug]}
    assert data["api_slug"] == slug
    assert api.get(f"/v2/objects/{DEFAULT_OBJECT_IDS[slug]}").json() == by_slug.json()


def test_default_object_nouns(api: Api) -> None:
    data = api.get("/v2/objects/people").json()["data"]
    assert (data["singular_noun"], data["plural_noun"]) == ("Person", "People")


@pytest.mark.parametrize("ref", ["invoices", MISSING_ID, "People"])
def test_missing_object_is_404_not_found(api: Api, ref: str) -> None:
    response = api.get(f"/v2/objects/{ref}")
    assert response.status_code == 404
    assert response.json() == {
        "status_code": 404,
        "type": "invalid_request_error",
        "code": "not_found",
        "message": f'Object with slug/ID "{ref}" not found.',
    }


def test_custom_object(emu: AttioEmulator, api: Api) -> None:
    body = emu.add_object("invoices")
    assert (body["api_slug"], body["singular_noun"], body["plural_noun"]) == (
        "invoices",
        "Invoices",
        "Invoices",
    )
    assert api.get("/v2/objects/invoices").json()["data"] == body
    assert api.get(f"/v2/objects/{body['id']['object_id']}").json()["data"] == body
    named = emu.add_object("shipment", "Shipment", "Shipments")
    assert (named["singular_noun"], named["plural_noun"]) == ("Shipment", "Shipments")
    created = api.post("/v2/objects/shipment/records", json={"data": {"values": {"name": "Box 1"}}})
    assert created.status_code == 200
    assert created.json()["data"]["values"]["name"][0]["value"] == "Box 1"


@pytest.mark.parametrize("slug", ["people", "Bad-Slug", "1st"])
def test_add_object_refuses_taken_or_malformed_slugs(emu: AttioEmulator, slug: str) -> None:
    with pytest.raises(ValueError, match="api_slug"):
        emu.add_object(slug)


# -- create --------------------------------------------------------------------------------------------


def _create(api: Api, object: str, values: dict[str, object]) -> dict[str, object]:
    response = api.post(f"/v2/objects/{object}/records", json={"data": {"values": values}})
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()["data"]
    return data


def test_create_person_in_simple_form(emu: AttioEmulator, api: Api) -> None:
    record = _create(api, "people", {"name": "Ada Lovelace", "email_addresses": ["Ada@Example.com"]})
    values = record["values"]
    assert isinstance(values, dict)
    name = values["name"][0]
    assert (name["first_name"], name["last_name"], name["full_name"]) == ("Ada", "Lovelace", "Ada Lovelace")
    assert name["attribute_type"] == "personal-name" and name["active_until"] is None
    email = values["email_addresses"][0]
    assert email["original_email_address"] == "Ada@Example.com"
    assert (email["email_address"], email["email_domain"], email["email_local_specifier"]) == (
        "ada@example.com",
        "example.com",
        "ada",
    )
    assert values["job_title"] == [] and values["description"] == []
    assert values["name"][0]["created_by_actor"]["type"] == "api-token"
    rid = record_id(record)
    assert emu.record_ids("people") == [rid]
    assert record == api.get(f"/v2/objects/people/records/{rid}").json()["data"]
    assert record["web_url"] == f"https://app.attio.com/emulated-workspace/people/{rid}/overview"


def test_create_in_attio_form(api: Api) -> None:
    record = _create(
        api,
        "people",
        {
            "name": [{"first_name": "Alan", "last_name": "Turing", "full_name": "Alan Turing"}],
            "email_addresses": [{"email_address": "alan@bletchley.co.uk"}, "turing@example.org"],
            "job_title": [{"value": "Mathematician"}],
        },
    )
    values = record["values"]
    assert isinstance(values, dict)
    assert [e["email_address"] for e in values["email_addresses"]] == [
        "alan@bletchley.co.uk",
        "turing@example.org",
    ]
    assert values["email_addresses"][0]["email_root_domain"] == "co.uk"  # naive, but a valid string
    assert values["job_title"][0]["value"] == "Mathematician"


def test_create_company_and_deal_value_types(api: Api) -> None:
    company = _create(
        api, "companies", {"name": "Acme", "domains": ["https://www.Acme.com/about"], "employee_count": 12}
    )
    values = company["values"]
    assert isinstance(values, dict)
    assert values["domains"][0]["domain"] == "www.acme.com"
    assert values["domains"][0]["root_domain"] == "acme.com"
    assert values["employee_count"][0]["value"] == 12
    deal = _create(
        api, "deals", {"name": "Pilot", "value": {"currency_value": 1500.5, "currency_code": "EUR"}}
    )
    deal_values = deal["values"]
    assert isinstance(deal_values, dict)
    assert deal_values["value"][0]["currency_value"] == 1500.5
    assert deal_values["value"][0]["currency_code"] == "EUR"
    assert _create(api, "deals", {"value": 99})["values"]["value"][0]["currency_code"] == "USD"


def test_create_extra_attribute_types(emu: AttioEmulator, api: Api) -> None:
    emu.add_attribute("companies", "is_customer", "checkbox")
    emu.add_attribute("companies", "founded", "date")
    emu.add_attribute("companies", "founders", "personal-name", multiselect=True)
    values = _create(
        api,
        "companies",
        {"is_customer": "true", "founded": "2015-06-01T10:00:00Z", "founders": ["Grace Hopper", "Ada"]},
    )["values"]
    assert isinstance(values, dict)
    assert values["is_customer"][0]["value"] is True
    assert values["founded"][0]["value"] == "2015-06-01"
    assert [f["last_name"] for f in values["founders"]] == ["Hopper", ""]


def test_attribute_added_later_appears_empty_on_existing_records(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    emu.add_attribute("people", "nickname")
    assert api.get(f"/v2/objects/people/records/{rid}").json()["data"]["values"]["nickname"] == []


def test_add_attribute_refuses_bad_input(emu: AttioEmulator) -> None:
    for args in (("people", "name", "text"), ("people", "x", "rocket"), ("people", "Bad", "text")):
        with pytest.raises(ValueError):
            emu.add_attribute(*args)


@pytest.mark.parametrize(
    ("values", "code", "message"),
    [
        ({"nickname": "Ada"}, "value_not_found", 'Cannot find attribute with slug/ID "nickname".'),
        ({"job_title": 5}, "validation_type", "job_title"),
        ({"job_title": ["a", "b"]}, "validation_type", "single value"),
        ({"email_addresses": ["not-an-email"]}, "validation_type", "email"),
        ({"name": {"nick": "x"}}, "validation_type", "name"),
    ],
)
def test_create_refuses_what_attio_refuses(
    emu: AttioEmulator, api: Api, values: dict[str, object], code: str, message: str
) -> None:
    response = api.post("/v2/objects/people/records", json={"data": {"values": values}})
    assert response.status_code == 400
    body = response.json()
    assert (body["type"], body["code"]) == ("invalid_request_error", code)
    assert message in body["message"]
    assert emu.record_ids("people") == []


@pytest.mark.parametrize("body", [None, {}, {"data": {}}, {"data": {"values": []}}, {"values": {}}])
def test_create_refuses_a_malformed_body(api: Api, body: object) -> None:
    response = api.post("/v2/objects/people/records", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_type"


def test_invalid_json_body_is_400(api: Api) -> None:
    response = api.post(
        "/v2/objects/people/records", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "validation_type")


def test_create_in_missing_object_is_404(api: Api) -> None:
    response = api.post("/v2/objects/invoices/records", json={"data": {"values": {}}})
    assert response.status_code == 404
    assert response.json()["message"] == 'Object with slug/ID "invoices" not found.'


# -- get and delete ----------------------------------------------------------------------------------------


def test_get_and_delete_a_record(emu: AttioEmulator, api: Api) -> None:
    keep, gone = person(emu, "Keep Me"), person(emu)
    path = f"/v2/objects/people/records/{gone}"
    got = api.get(path)
    assert got.status_code == 200
    assert got.json()["data"]["id"] == {
        "workspace_id": WORKSPACE_ID,
        "object_id": DEFAULT_OBJECT_IDS["people"],
        "record_id": gone,
    }
    deleted = api.delete(path)
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert emu.record_ids("people") == [keep]
    assert emu.get_record("people", gone) is None
    # Deleting again: the record is gone, the object is not.
    again = api.delete(path)
    assert again.status_code == 404
    assert again.json()["message"] == f'Record with ID "{gone}" not found.'


def test_record_paths_accept_the_object_id(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    path = f"/v2/objects/{DEFAULT_OBJECT_IDS['people']}/records/{rid}"
    assert api.get(path).status_code == 200
    assert api.delete(path).status_code == 200


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_record_404s_differ_only_in_message(emu: AttioEmulator, api: Api, method: str) -> None:
    missing_record = api.call(method, f"/v2/objects/people/records/{MISSING_ID}").json()
    missing_object = api.call(method, f"/v2/objects/invoices/records/{MISSING_ID}").json()
    for body in (missing_record, missing_object):
        assert (body["status_code"], body["type"], body["code"]) == (
            404,
            "invalid_request_error",
            "not_found",
        )
    assert missing_record["message"] == f'Record with ID "{MISSING_ID}" not found.'
    assert missing_object["message"] == 'Object with slug/ID "invoices" not found.'


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_record_of_another_object_is_not_found(emu: AttioEmulator, api: Api, method: str) -> None:
    rid = person(emu)
    assert api.call(method, f"/v2/objects/companies/records/{rid}").status_code == 404
    assert emu.get_record("people", rid) is not None


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "query"])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_non_uuid_record_id_is_a_record_404(api: Api, method: str, bad_id: str) -> None:
    response = api.call(method, f"/v2/objects/people/records/{bad_id}")
    assert response.status_code == 404
    assert response.json()["message"] == f'Record with ID "{bad_id}" not found.'


def test_uppercase_record_id_finds_the_record(emu: AttioEmulator, api: Api) -> None:
    rid = person(emu)
    assert api.get(f"/v2/objects/people/records/{rid.upper()}").status_code == 200


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_merging_record_is_404_merge_in_progress_until_cleared(
    emu: AttioEmulator, api: Api, method: str
) -> None:
    rid = person(emu)
    emu.set_merging("people", rid)
    path = f"/v2/objects/people/records/{rid}"
    response = api.call(method, path)
    assert response.status_code == 404
    body = response.json()
    assert (body["type"], body["code"]) == ("invalid_request_error", "merge_in_progress")
    assert emu.get_record("people", rid) is not None  # it still exists
    emu.set_merging("people", rid, merging=False)
    assert api.call(method, path).status_code == 200


def test_set_merging_on_a_missing_record_fails(emu: AttioEmulator) -> None:
    with pytest.raises(ValueError, match="not found"):
        emu.set_merging("people", MISSING_ID)


def test_unknown_route_and_wrong_method(api: Api) -> None:
    unknown = api.get("/v2/webhooks")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    wrong = api.call("PATCH", "/v2/objects/people")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")


# -- the Python helpers ---------------------------------------------------------------------------------


def test_create_record_helper_adds_missing_attributes(emu: AttioEmulator, api: Api) -> None:
    record = emu.create_record("companies", {"name": "Acme", "employees": 5, "tags": ["a", "b"], "vip": True})
    values = record["values"]
    assert values["employees"][0] == {**values["employees"][0], "value": 5, "attribute_type": "number"}
    assert [t["value"] for t in values["tags"]] == ["a", "b"]
    assert values["vip"][0]["attribute_type"] == "checkbox"
    assert values["name"][0]["created_by_actor"] == {"type": "system", "id": None}
    # Returned as GET returns it, and the new attribute is now known to the API too.
    assert api.get(f"/v2/objects/companies/records/{record_id(record)}").json()["data"] == record
    assert api.query("companies", filter={"employees": 5})[0]["id"] == record["id"]


def test_create_record_helper_returns_a_copy(emu: AttioEmulator) -> None:
    record = emu.create_record("people", {"name": "Ada"})
    record["values"]["name"].clear()
    assert emu.get_record("people", record_id(record))["values"]["name"]


def test_helpers_raise_attio_errors_for_missing_objects(emu: AttioEmulator) -> None:
    for call in (
        lambda: emu.create_record("invoices", {}),
        lambda: emu.record_ids("invoices"),
        lambda: emu.get_record("invoices", MISSING_ID),
        lambda: emu.seed("invoices", 1),
    ):
        with pytest.raises(ValueError, match=r'Object with slug/ID "invoices" not found\.'):
            call()
    assert emu.get_record("people", "not-a-uuid") is None


def test_seed_is_realistic_and_deterministic() -> None:
    counts = {"people": 30, "companies": 10, "deals": 5}
    first, second = AttioEmulator(seed=counts), AttioEmulator(seed=counts)

    def values(emu: AttioEmulator, object: str) -> list[dict[str, Any]]:
        return [emu.get_record(object, rid)["values"] for rid in emu.record_ids(object)]

    def without_times(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {slug: [{k: x for k, x in v.items() if k != "active_from"} for v in vs] for slug, vs in r.items()}
            for r in records
        ]

    for object_ref, count in counts.items():
        assert len(first.record_ids(object_ref)) == count
        assert without_times(values(first, object_ref)) == without_times(values(second, object_ref))
    people = values(first, "people")
    emails = [v["email_addresses"][0]["email_address"] for v in people]
    assert len(set(emails)) == 30 and all("@" in e and "." in e.split("@")[1] for e in emails)
    assert all(v["name"][0]["full_name"] and v["job_title"] and v["description"] for v in people)
    companies = values(first, "companies")
    assert len({v["name"][0]["value"] for v in companies}) == 10
    assert all(v["domains"] and v["employee_count"] for v in companies)
    assert all(v["name"] and v["value"] for v in values(first, "deals"))


def test_seed_custom_object_fills_every_attribute(emu: AttioEmulator) -> None:
    emu.add_object("projects")
    for slug, type_ in (
        ("budget", "currency"),
        ("started", "date"),
        ("active", "checkbox"),
        ("owner", "personal-name"),
    ):
        emu.add_attribute("projects", slug, type_)
    records = emu.seed("projects", 3)
    assert len(records) == 3
    assert all(all(values) for values in (r["values"].values() for r in records))


def test_reset_restores_the_constructed_state() -> None:
    with AttioEmulator(token="t", seed={"people": 2}, writes_per_second=1, clock=FakeClock()) as emu:
        seeded = [emu.get_record("people", r)["values"]["name"] for r in emu.record_ids("people")]
        person(emu)
        emu.add_object("invoices")
        emu.add_token("other")
        emu.fail_next(1, 500)
        emu.set_rate_limits(None, None)
        api = Api(emu.base_url, "t")
        api.get("/v2/self")
        emu.reset()
        assert len(emu.record_ids("people")) == 2
        after = [emu.get_record("people", r)["values"]["name"] for r in emu.record_ids("people")]
        assert [n[0]["full_name"] for n in after] == [n[0]["full_name"] for n in seeded]
        assert emu.requests == []
        assert api.get("/v2/objects/invoices").status_code == 404  # no fault left, object gone
        assert api.get("/v2/self", token="other").status_code == 401
        create = {"data": {"values": {}}}
        assert api.post("/v2/objects/people/records", json=create).status_code == 200
        assert api.post("/v2/objects/people/records", json=create).status_code == 429  # limit back


def test_reset_lets_a_request_being_served_finish_in_the_old_state(emu: AttioEmulator, api: Api) -> None:
    # A create held by a latency fault when the test ends must not land in the next test's fresh state.
    emu.set_latency(0.5, method="POST", count=1)
    answers: list[int] = []
    create = {"data": {"values": {"name": "Late Arrival"}}}
    late = threading.Thread(
        target=lambda: answers.append(api.post("/v2/objects/people/records", json=create).status_code)
    )
    late.start()
    deadline = time.monotonic() + 30
    while emu.in_flight == 0:  # the create is at the server, waiting out its latency
        assert time.monotonic() < deadline and late.is_alive()
        time.sleep(0.005)
    emu.reset()
    late.join()
    assert answers == [200]  # served, in the state it arrived in
    assert emu.record_ids("people") == []
    assert emu.requests == []

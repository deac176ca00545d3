"""The attribute types a restore writes, and Attio's checks of an API write: over HTTP, every answer
checked against Attio's contract (the read forms of each type included)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import MISSING_ID, Api, person, record_id

PEOPLE = "/v2/objects/people/records"


def _rich_people(emu: AttioEmulator) -> None:
    emu.add_attribute("people", "last_contacted", "timestamp")
    emu.add_attribute("people", "score", "rating")
    emu.add_attribute("people", "tags", "select", multiselect=True, options=["vip", "partner", "old"])
    emu.add_attribute("people", "stage", "status", options=["Lead", "Customer"])
    emu.add_attribute("people", "company", "record-reference", target_object="companies")
    emu.add_attribute("people", "home", "location")
    emu.add_attribute("people", "phones", "phone-number", multiselect=True)
    emu.add_attribute("people", "created_by", "actor-reference", system=True)


def _create(api: Api, values: dict[str, Any], path: str = PEOPLE) -> Any:
    return api.post(path, json={"data": {"values": values}})


def test_every_rich_type_is_written_and_read_as_attio_does(emu: AttioEmulator, api: Api) -> None:
    _rich_people(emu)
    company = record_id(emu.create_record("companies", {"name": "Acme"}))
    response = _create(
        api,
        {
            "last_contacted": "2023-01-02T13:00:00+02:00",
            "score": {"value": 4},
            "tags": ["vip", {"option": "partner"}],
            "stage": {"status": "Customer"},
            "company": [{"target_object": "companies", "target_record_id": company}],
            "home": {"line_1": "1 Main St", "locality": "Boston", "country_code": "US", "latitude": "42.36"},
            "phones": [
                {"original_phone_number": "+1 617 555 0100"},
                {"original_phone_number": "020 7946 0000", "country_code": "GB"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    values = response.json()["data"]["values"]
    assert values["last_contacted"][0]["value"] == "2023-01-02T11:00:00.000000000Z"
    assert values["score"][0]["value"] == 4
    assert [v["option"]["title"] for v in values["tags"]] == ["vip", "partner"]
    assert values["stage"][0]["status"]["title"] == "Customer"
    assert values["company"][0]["target_record_id"] == company
    assert values["company"][0]["target_object"] == "companies"
    home = values["home"][0]
    assert (home["locality"], home["line_2"], home["longitude"]) == ("Boston", None, None)
    assert [p["phone_number"] for p in values["phones"]] == ["+16175550100", "+442079460000"]
    assert [p["country_code"] for p in values["phones"]] == ["US", "GB"]
    assert values["created_by"] == []


def test_a_select_or_status_is_written_by_title_or_id(emu: AttioEmulator, api: Api) -> None:
    _rich_people(emu)
    options = api.get("/v2/objects/people/attributes/tags/options").json()["data"]
    statuses = api.get("/v2/objects/people/attributes/stage/statuses").json()["data"]
    assert [o["title"] for o in options] == ["vip", "partner", "old"]
    assert [s["title"] for s in statuses] == ["Lead", "Customer"]
    values = {"tags": [options[2]["id"]["option_id"]], "stage": statuses[0]["id"]["status_id"]}
    read = _create(api, values).json()["data"]["values"]
    assert read["tags"][0]["option"] == options[2]
    assert read["stage"][0]["status"] == statuses[0]


def test_an_archived_option_is_kept_by_records_but_refused_on_write(emu: AttioEmulator, api: Api) -> None:
    _rich_people(emu)
    kept = _create(api, {"tags": ["old"]}).json()["data"]
    emu.archive_option("people", "tags", "old")
    assert "old" not in [
        o["title"] for o in api.get("/v2/objects/people/attributes/tags/options").json()["data"]
    ]
    refused = _create(api, {"tags": ["old"]})
    assert (refused.status_code, refused.json()["code"]) == (400, "value_not_found")
    again = api.get(f"{PEOPLE}/{record_id(kept)}").json()["data"]
    assert again["values"]["tags"][0]["option"]["title"] == "old"


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"last_contacted": "yesterday"}, "validation_type"),
        ({"score": 6}, "validation_type"),
        ({"tags": ["unknown"]}, "value_not_found"),
        ({"stage": ["Lead", "Customer"]}, "validation_type"),  # a status holds one value
        ({"company": [{"target_object": "companies", "target_record_id": MISSING_ID}]}, "value_not_found"),
        ({"company": [{"target_object": "people", "target_record_id": "PERSON"}]}, "validation_type"),
        ({"home": {"country_code": "usa"}}, "validation_type"),
        ({"home": {"planet": "Mars"}}, "validation_type"),
        ({"phones": ["555 0100"]}, "validation_type"),  # local, without a country code
        ({"created_by": {"referenced_actor_type": "system", "referenced_actor_id": None}}, "validation_type"),
    ],
)
def test_bad_values_are_refused(emu: AttioEmulator, api: Api, values: dict[str, Any], code: str) -> None:
    _rich_people(emu)
    if "company" in values and values["company"][0]["target_record_id"] == "PERSON":
        values = {"company": [{"target_object": "people", "target_record_id": person(emu)}]}
    before = emu.record_ids("people")
    response = _create(api, values)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    assert emu.record_ids("people") == before


def test_a_unique_attribute_refuses_a_second_record(emu: AttioEmulator, api: Api) -> None:
    first = _create(api, {"email_addresses": ["ada@example.com"]}).json()["data"]
    clash = _create(api, {"name": "Ada Again", "email_addresses": ["other@example.com", "ADA@example.com"]})
    assert clash.status_code == 400
    assert clash.json()["code"] == "uniqueness_conflict"
    assert "email_addresses" in clash.json()["message"]
    assert emu.record_ids("people") == [record_id(first)]
    # The helpers may still shape duplicates (a sync's ambiguous keys), as before.
    emu.create_record("people", {"email_addresses": ["ada@example.com"]})
    emu.add_attribute("people", "employee_number", "number", unique=True)
    assert _create(api, {"employee_number": 7}).status_code == 200
    assert _create(api, {"employee_number": 7}).json()["code"] == "uniqueness_conflict"


def test_read_only_and_archived_attributes_are_refused(emu: AttioEmulator, api: Api) -> None:
    emu.add_attribute("people", "created_by", "actor-reference", system=True)
    emu.add_attribute("people", "nickname", "text")
    actor = {"referenced_actor_type": "workspace-member", "referenced_actor_id": MISSING_ID}
    refused = _create(api, {"created_by": actor})
    assert (refused.status_code, refused.json()["code"]) == (400, "validation_type")
    assert "not writable" in refused.json()["message"]
    emu.create_record("people", {"created_by": actor})  # Attio itself writes it
    emu.archive_attribute("people", "nickname")
    archived = _create(api, {"nickname": "Ada"})
    assert (archived.status_code, archived.json()["code"]) == (400, "value_not_found")


def test_attribute_bodies_say_what_a_restore_needs(emu: AttioEmulator, api: Api) -> None:
    _rich_people(emu)
    emu.add_attribute("people", "legacy_id", "text")
    emu.archive_attribute("people", "legacy_id")
    listed = {a["api_slug"]: a for a in api.get("/v2/objects/people/attributes").json()["data"]}
    assert "legacy_id" not in listed  # archived attributes aren't listed
    assert api.get("/v2/objects/people/attributes/legacy_id").json()["data"]["is_archived"] is True
    flags = {
        slug: (a["is_writable"], a["is_unique"], a["is_system_attribute"], a["is_multiselect"])
        for slug, a in listed.items()
    }
    assert flags["created_by"] == (False, False, True, False)
    assert flags["email_addresses"] == (True, True, True, True)
    assert flags["tags"] == (True, False, False, True)
    allowed = listed["company"]["config"]["record_reference"]["allowed_object_ids"]
    assert allowed == [api.get("/v2/objects/companies").json()["data"]["id"]["object_id"]]


def test_options_of_the_wrong_attribute_type(emu: AttioEmulator, api: Api) -> None:
    _rich_people(emu)
    assert api.get("/v2/objects/people/attributes/stage/options").status_code == 400
    assert api.get("/v2/objects/people/attributes/tags/statuses").status_code == 400
    assert api.get("/v2/objects/people/attributes/nope/options").status_code == 404


def test_put_replaces_the_given_attributes_values(emu: AttioEmulator, api: Api) -> None:
    _rich_people(emu)
    rid = person(emu, "Ada Lovelace", tags=None)
    path = f"{PEOPLE}/{rid}"
    body = {"data": {"values": {"tags": ["vip", "partner"], "job_title": "Countess"}}}
    assert api.call("PUT", path, json=body).status_code == 200
    again = api.call("PUT", path, json={"data": {"values": {"tags": ["old"]}}}).json()["data"]["values"]
    assert [v["option"]["title"] for v in again["tags"]] == ["old"]  # overwritten, not appended
    assert again["job_title"][0]["value"] == "Countess"
    assert again["name"][0]["full_name"] == "Ada Lovelace"
    missing = api.call("PUT", f"{PEOPLE}/{MISSING_ID}", json=body)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    taken = _create(api, {"email_addresses": ["ada@example.com"]}).json()["data"]
    clash = api.call("PUT", path, json={"data": {"values": {"email_addresses": ["ada@example.com"]}}})
    assert clash.json()["code"] == "uniqueness_conflict"
    same = {"data": {"values": {"email_addresses": ["ada@example.com"]}}}
    assert api.call("PUT", f"{PEOPLE}/{record_id(taken)}", json=same).status_code == 200  # its own value


def test_filters_read_options_by_title(emu: AttioEmulator, api: Api) -> None:
    _rich_people(emu)
    vip = record_id(_create(api, {"tags": ["vip"], "score": 5}).json()["data"])
    _create(api, {"tags": ["partner"], "score": 2})
    assert [record_id(r) for r in api.query(filter={"tags": "vip"})] == [vip]
    assert [record_id(r) for r in api.query(filter={"score": {"$gte": 4}})] == [vip]


def test_seeding_fills_the_rich_types(emu: AttioEmulator) -> None:
    _rich_people(emu)
    (record,) = emu.seed("people", 1)
    values = record["values"]
    for slug in ("last_contacted", "score", "tags", "stage", "home", "phones", "created_by"):
        assert values[slug], slug
    assert values["company"] == []

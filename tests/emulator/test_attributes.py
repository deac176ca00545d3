"""GET /v2/objects/{object}/attributes and .../attributes/{attribute}: Attio's shapes and 404s."""

from __future__ import annotations

import pytest

from airflow_provider_attio.testing import DEFAULT_OBJECT_IDS, WORKSPACE_ID, AttioEmulator
from tests.emulator.conftest import MISSING_ID, Api


def test_list_attributes_of_a_default_object(api: Api) -> None:
    response = api.get("/v2/objects/companies/attributes")
    assert response.status_code == 200
    types = {a["api_slug"]: (a["type"], a["is_multiselect"]) for a in response.json()["data"]}
    assert types == {
        "name": ("text", False),
        "domains": ("domain", True),
        "description": ("text", False),
        "employee_count": ("number", False),
    }


def test_get_one_attribute_by_slug_and_by_id(api: Api) -> None:
    by_slug = api.get("/v2/objects/people/attributes/email_addresses").json()["data"]
    assert (by_slug["type"], by_slug["is_multiselect"], by_slug["is_system_attribute"]) == (
        "email-address",
        True,
        True,
    )
    assert by_slug["id"]["workspace_id"] == WORKSPACE_ID
    assert by_slug["id"]["object_id"] == DEFAULT_OBJECT_IDS["people"]
    by_id = api.get(f"/v2/objects/people/attributes/{by_slug['id']['attribute_id']}").json()["data"]
    assert by_id == by_slug
    listed = api.get(f"/v2/objects/{DEFAULT_OBJECT_IDS['people']}/attributes").json()["data"]
    assert by_slug in listed


def test_an_added_attribute_and_records_added_attributes_are_served(emu: AttioEmulator, api: Api) -> None:
    emu.add_attribute("companies", "warehouse_id", "number")
    emu.create_record("companies", {"name": "Acme", "external_ref": "x-1"})  # adds a text attribute
    warehouse = api.get("/v2/objects/companies/attributes/warehouse_id").json()["data"]
    assert (warehouse["type"], warehouse["is_system_attribute"]) == ("number", False)
    assert api.get("/v2/objects/companies/attributes/external_ref").json()["data"]["type"] == "text"
    emu.add_object("invoices")
    listed = api.get("/v2/objects/invoices/attributes").json()["data"]
    assert [(a["api_slug"], a["type"]) for a in listed] == [("name", "text")]


@pytest.mark.parametrize("attribute", ["nope", MISSING_ID, "Email_Addresses"])
def test_a_missing_attribute_is_404(api: Api, attribute: str) -> None:
    response = api.get(f"/v2/objects/people/attributes/{attribute}")
    assert response.status_code == 404
    assert response.json() == {
        "status_code": 404,
        "type": "invalid_request_error",
        "code": "not_found",
        "message": f'Attribute with slug/ID "{attribute}" not found.',
    }


@pytest.mark.parametrize("path", ["/v2/objects/invoices/attributes", "/v2/objects/invoices/attributes/name"])
def test_a_missing_object_is_404(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["message"] == 'Object with slug/ID "invoices" not found.'

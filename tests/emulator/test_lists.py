"""DELETE /v2/lists/{list}/entries/{entry_id}, and the list helpers."""

from __future__ import annotations

import pytest

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import MISSING_ID, Api, person


@pytest.fixture
def entry(emu: AttioEmulator) -> tuple[str, str]:
    """A list "sales" of people with one entry; returns (list_id, entry_id)."""
    lst = emu.add_list("sales", parent_object="people", name="Sales")
    assert (lst["api_slug"], lst["name"], lst["parent_object"]) == ("sales", "Sales", ["people"])
    created = emu.add_list_entry("sales", person(emu))
    return lst["id"]["list_id"], created["id"]["entry_id"]


@pytest.mark.parametrize("by_id", [False, True])
def test_delete_list_entry(emu: AttioEmulator, api: Api, entry: tuple[str, str], by_id: bool) -> None:
    list_id, entry_id = entry
    ref = list_id if by_id else "sales"
    response = api.delete(f"/v2/lists/{ref}/entries/{entry_id}")
    assert (response.status_code, response.json()) == (200, {})
    assert emu.list_entry_ids("sales") == []
    again = api.delete(f"/v2/lists/{ref}/entries/{entry_id}")
    assert again.status_code == 404
    assert again.json()["message"] == f'List entry with ID "{entry_id}" not found.'


def test_missing_list_is_404(api: Api) -> None:
    response = api.delete(f"/v2/lists/enterprise_sales/entries/{MISSING_ID}")
    assert response.status_code == 404
    assert response.json() == {
        "status_code": 404,
        "type": "invalid_request_error",
        "code": "not_found",
        "message": 'List with slug/ID "enterprise_sales" not found.',
    }


def test_deleting_a_record_removes_its_entries(emu: AttioEmulator, api: Api, entry: tuple[str, str]) -> None:
    _, entry_id = entry
    other = emu.add_list_entry("sales", person(emu, "Grace Hopper"))["id"]["entry_id"]
    parent = emu.list_entry_ids("sales")
    assert parent == [entry_id, other]
    record = emu.get_record("people", emu.record_ids("people")[0])
    assert record is not None
    api.delete(f"/v2/objects/people/records/{record['id']['record_id']}")
    assert emu.list_entry_ids("sales") == [other]


def test_list_helpers_refuse_bad_input(emu: AttioEmulator) -> None:
    emu.add_list("sales")
    with pytest.raises(ValueError, match="already exists"):
        emu.add_list("sales")
    with pytest.raises(ValueError, match="snake_case"):
        emu.add_list("Sales Pipeline")
    with pytest.raises(ValueError, match="not found"):
        emu.add_list("deals_list", parent_object="invoices")
    with pytest.raises(ValueError, match="not found"):
        emu.add_list_entry("sales", MISSING_ID)
    company = emu.create_record("companies", {"name": "Acme"})["id"]["record_id"]
    with pytest.raises(ValueError, match="not found"):
        emu.add_list_entry("sales", company)  # a company on a list of people

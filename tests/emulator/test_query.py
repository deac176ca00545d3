"""POST /v2/objects/{object}/records/query: paging, filters, sorts, and filter_error."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import Api, record_id
from tests.helpers import record_ids


def _names(records: list[dict[str, Any]]) -> list[str]:
    return [r["values"]["name"][0]["value"] for r in records]


@pytest.fixture
def companies(emu: AttioEmulator) -> list[str]:
    rows = [
        ("Acme", ["acme.com"], 12),
        ("Globex", ["globex.io", "globex.com"], 400),
        ("Initech", ["initech.com"], 40),
        ("Umbrella", [], None),
        ("acme labs", ["acmelabs.dev"], 12),
    ]
    return [
        record_id(
            emu.create_record(
                "companies",
                {"name": name, "domains": domains, **({} if n is None else {"employee_count": n})},
            )
        )
        for name, domains, n in rows
    ]


# -- paging --------------------------------------------------------------------------------------


def test_empty_query_returns_everything_in_creation_order(emu: AttioEmulator, api: Api) -> None:
    emu.seed("people", 7)
    assert record_ids(api.query()) == emu.record_ids("people")
    assert record_ids(api.query(filter={})) == emu.record_ids("people")


def test_paging_by_limit_and_offset_with_an_exact_multiple(emu: AttioEmulator, api: Api) -> None:
    emu.seed("people", 6)
    pages = [api.query(limit=3, offset=offset) for offset in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 0]  # the empty page after an exact multiple ends the paging
    assert record_ids(pages[0] + pages[1]) == emu.record_ids("people")


def test_paging_with_a_short_last_page(emu: AttioEmulator, api: Api) -> None:
    emu.seed("people", 5)
    assert [len(api.query(limit=2, offset=o)) for o in (0, 2, 4)] == [2, 2, 1]
    assert api.query(limit=2, offset=50) == []


def test_default_limit_is_500(emu: AttioEmulator, api: Api) -> None:
    emu.seed("people", 501)
    # The raw session: checking 500 records against the contract would only repeat other tests, slowly.
    url = f"{api.base_url}/v2/objects/people/records/query"
    headers = {"Authorization": f"Bearer {api.token}"}
    assert len(api.session.post(url, json={}, headers=headers).json()["data"]) == 500
    assert len(api.query(offset=500)) == 1


def test_limit_and_offset_accept_integral_floats(emu: AttioEmulator, api: Api) -> None:
    emu.seed("people", 3)
    assert len(api.query(limit=2.0, offset=1.0)) == 2


@pytest.mark.parametrize(
    ("field", "value"), [("limit", -1), ("limit", 2.5), ("offset", "1"), ("limit", True)]
)
def test_bad_limit_or_offset_is_400(api: Api, field: str, value: object) -> None:
    response = api.post("/v2/objects/people/records/query", json={field: value})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_type"
    assert field in response.json()["message"]


def test_query_without_body_matches_everything(emu: AttioEmulator, api: Api) -> None:
    emu.seed("people", 2)
    assert len(api.post("/v2/objects/people/records/query").json()["data"]) == 2


def test_query_body_must_be_an_object(api: Api) -> None:
    assert api.post("/v2/objects/people/records/query", json=[1]).status_code == 400


def test_query_of_a_missing_object_is_404(api: Api) -> None:
    response = api.post("/v2/objects/invoices/records/query", json={})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_deleting_while_paging_by_offset_shifts_pages(emu: AttioEmulator, api: Api) -> None:
    # attio-api.md: deleting while paging by offset skips records. The emulator must behave the same.
    emu.seed("people", 4)
    first = api.query(limit=2)
    for rid in record_ids(first):
        api.delete(f"/v2/objects/people/records/{rid}")
    assert api.query(limit=2, offset=2) == []
    assert len(api.query(limit=2)) == 2


# -- filters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"name": "Acme"}, ["Acme"]),  # Attio's shorthand equality
        ({"name": {"$eq": "Acme"}}, ["Acme"]),
        ({"name": {"$in": ["Acme", "Initech", "Nope"]}}, ["Acme", "Initech"]),
        ({"name": {"$contains": "ACME"}}, ["Acme", "acme labs"]),  # case-insensitive
        ({"name": {"$starts_with": "glo"}}, ["Globex"]),
        ({"name": {"$ends_with": "tech"}}, ["Initech"]),
        ({"employee_count": 12}, ["Acme", "acme labs"]),
        ({"employee_count": {"$gt": 12}}, ["Globex", "Initech"]),
        ({"employee_count": {"$gte": 12, "$lt": 400}}, ["Acme", "Initech", "acme labs"]),
        ({"employee_count": {"$lte": 12}}, ["Acme", "acme labs"]),
        ({"employee_count": {"$not_empty": False}}, ["Umbrella"]),
        ({"domains": "globex.com"}, ["Globex"]),  # any value of a multi-value attribute
        ({"domains": "GLOBEX.COM"}, ["Globex"]),  # domains compare without case
        ({"domains": {"root_domain": {"$eq": "acmelabs.dev"}}}, ["acme labs"]),
        ({"domains": {"domain": {"$ends_with": ".io"}}}, ["Globex"]),
        ({"domains": {"$not_empty": True}}, ["Acme", "Globex", "Initech", "acme labs"]),
        ({"$or": [{"name": "Acme"}, {"employee_count": 40}]}, ["Acme", "Initech"]),
        ({"$and": [{"name": {"$contains": "acme"}}, {"domains": {"$ends_with": ".dev"}}]}, ["acme labs"]),
        ({"$not": {"name": {"$contains": "acme"}}}, ["Globex", "Initech", "Umbrella"]),
        ({"name": {"$contains": "acme"}, "employee_count": 12}, ["Acme", "acme labs"]),  # keys all apply
        ({"$and": []}, ["Acme", "Globex", "Initech", "Umbrella", "acme labs"]),
        ({"$or": []}, []),
    ],
)
def test_filters(api: Api, companies: list[str], filter: dict[str, Any], expected: list[str]) -> None:
    assert _names(api.query("companies", filter=filter)) == expected


def test_filters_on_people_fields(emu: AttioEmulator, api: Api) -> None:
    emu.create_record("people", {"name": "Ada Lovelace", "email_addresses": ["ada@analytical.org"]})
    emu.create_record("people", {"name": "Alan Turing", "email_addresses": ["alan@bletchley.org", "a@x.io"]})
    emu.create_record("people", {"name": "Grace Hopper", "job_title": "Admiral"})

    def names(filter: dict[str, Any]) -> list[str]:
        return [r["values"]["name"][0]["full_name"] for r in api.query(filter=filter)]

    assert names({"name": "Ada Lovelace"}) == ["Ada Lovelace"]  # personal-name compares full_name
    assert names({"name": {"last_name": "Turing"}}) == ["Alan Turing"]
    assert names({"name": {"first_name": {"$starts_with": "a"}}}) == ["Ada Lovelace", "Alan Turing"]
    assert names({"email_addresses": "A@X.IO"}) == ["Alan Turing"]
    assert names({"email_addresses": {"email_domain": "bletchley.org"}}) == ["Alan Turing"]
    assert names({"job_title": {"$not_empty": True}}) == ["Grace Hopper"]


def test_filters_on_currency_checkbox_and_date(emu: AttioEmulator, api: Api) -> None:
    emu.add_attribute("deals", "won", "checkbox")
    emu.add_attribute("deals", "closed_on", "date")
    emu.create_record("deals", {"name": "A", "value": 100, "won": True, "closed_on": "2024-01-15"})
    emu.create_record("deals", {"name": "B", "value": {"currency_value": 900, "currency_code": "EUR"}})
    emu.create_record("deals", {"name": "C", "value": 500, "won": False, "closed_on": "2025-03-01"})

    def names(filter: dict[str, Any]) -> list[str]:
        return _names(api.query("deals", filter=filter))

    assert names({"value": {"$gte": 500}}) == ["B", "C"]
    assert names({"value": {"currency_code": "EUR"}}) == ["B"]
    assert names({"won": True}) == ["A"]
    assert names({"closed_on": {"$gt": "2024-06-01"}}) == ["C"]


@pytest.mark.parametrize(
    ("filter", "message"),
    [
        ({"nickname": "x"}, 'Unknown attribute "nickname"'),
        ({"name": {"$regex": "A.*"}}, 'Operator "$regex" is not supported'),
        ({"$nor": [{"name": "x"}]}, 'Unknown filter operator "$nor"'),
        ({"name": {"$gt": "A"}}, 'Operator "$gt" is not supported on text attribute "name"'),
        ({"employee_count": {"$contains": "1"}}, 'Operator "$contains" is not supported'),
        ({"employee_count": "12"}, "expects a number"),
        ({"employee_count": True}, "expects a number"),
        ({"name": 5}, "expects a text value"),
        ({"name": ["Acme"]}, "expects a text value"),
        ({"name": {"$in": "Acme"}}, '"$in" on "name" expects a list'),
        ({"name": {}}, "Empty condition"),
        ({"name": {"$eq": "x", "value": "x"}}, "mixes operators and field names"),
        ({"domains": {"tld": "com"}}, 'has no field "tld"'),
        ({"$and": {"name": "x"}}, '"$and" expects a list'),
        ({"$not": "x"}, "A filter must be a JSON object"),
        ({"employee_count": {"$not_empty": "yes"}}, '"$not_empty" expects true or false'),
        ([{"name": "x"}], "A filter must be a JSON object"),
    ],
)
def test_filter_errors(api: Api, filter: Any, message: str) -> None:
    response = api.post("/v2/objects/companies/records/query", json={"filter": filter})
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["type"], body["code"]) == ("invalid_request_error", "filter_error")
    assert message in body["message"]


def test_filter_errors_even_when_there_are_no_records(api: Api) -> None:
    # Compiled before any record is looked at, so an empty object can't hide a typo.
    assert api.post("/v2/objects/deals/records/query", json={"filter": {"nope": 1}}).status_code == 400


# -- sorts ---------------------------------------------------------------------------------------------


def _by(attribute: str, direction: str = "asc", **extra: str) -> dict[str, str]:
    return {"attribute": attribute, "direction": direction, **extra}


@pytest.mark.parametrize(
    ("sorts", "expected"),
    [
        ([_by("name")], ["Acme", "Globex", "Initech", "Umbrella", "acme labs"]),
        ([_by("name", "desc")], ["acme labs", "Umbrella", "Initech", "Globex", "Acme"]),
        # Ties keep creation order; records without a value come last either way.
        ([_by("employee_count")], ["Acme", "acme labs", "Initech", "Globex", "Umbrella"]),
        ([_by("employee_count", "desc")], ["Globex", "Initech", "Acme", "acme labs", "Umbrella"]),
        (
            [_by("employee_count"), _by("name", "desc")],
            ["acme labs", "Acme", "Initech", "Globex", "Umbrella"],
        ),
        ([_by("domains", field="root_domain")], ["Acme", "acme labs", "Globex", "Initech", "Umbrella"]),
    ],
)
def test_sorts(api: Api, companies: list[str], sorts: list[dict[str, str]], expected: list[str]) -> None:
    assert _names(api.query("companies", sorts=sorts)) == expected


def test_sorts_with_filter_and_paging(api: Api, companies: list[str]) -> None:
    body = {
        "filter": {"employee_count": {"$not_empty": True}},
        "sorts": [{"attribute": "name", "direction": "desc"}],
    }
    assert _names(api.query("companies", **body, limit=2, offset=1)) == ["Initech", "Globex"]


@pytest.mark.parametrize(
    "sorts",
    [
        {"attribute": "name", "direction": "asc"},
        [{"attribute": "name"}],
        [{"attribute": "name", "direction": "up"}],
        [{"attribute": "nope", "direction": "asc"}],
        [{"attribute": "name", "field": "last_name", "direction": "asc"}],
        [{"path": [["companies", "name"]], "direction": "asc"}],
    ],
)
def test_sort_errors(api: Api, sorts: Any) -> None:
    response = api.post("/v2/objects/companies/records/query", json={"sorts": sorts})
    assert (response.status_code, response.json()["code"]) == (400, "filter_error")

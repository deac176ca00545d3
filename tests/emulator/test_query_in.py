"""``$in`` and ``$eq`` (verbose and shorthand) on the attribute types a sync keys on, as Attio documents them.

Emails and domains compare case-insensitively; text and numbers exactly.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.conftest import Api, record_id


def _ids(records: list[dict[str, Any]]) -> list[str]:
    return [record_id(r) for r in records]


@pytest.fixture
def people(emu: AttioEmulator) -> list[str]:
    return [
        record_id(emu.create_record("people", {"name": n, "email_addresses": e}))
        for n, e in (("Ada", ["Ada@Example.com"]), ("Grace", ["grace@navy.mil", "g@x.org"]), ("Alan", []))
    ]


@pytest.fixture
def companies(emu: AttioEmulator) -> list[str]:
    values = [("Acme", "acme.com", "ext-1", 10), ("Initech", "initech.com", "EXT-2", 20)]
    return [
        record_id(
            emu.create_record("companies", {"name": n, "domains": [d], "description": t, "employee_count": c})
        )
        for n, d, t, c in values
    ]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"email_addresses": {"$in": ["ADA@example.COM", "nobody@x.org"]}}, [0]),
        ({"email_addresses": {"email_address": {"$in": ["g@X.org", "ada@example.com"]}}}, [0, 1]),
        ({"email_addresses": {"email_address": {"$eq": "GRACE@navy.mil"}}}, [1]),
        ({"email_addresses": "Grace@Navy.Mil"}, [1]),
        ({"email_addresses": {"$in": []}}, []),
    ],
)
def test_in_and_eq_on_email_addresses(
    api: Api, people: list[str], filter: dict[str, Any], expected: list[int]
) -> None:
    assert _ids(api.query(filter=filter)) == [people[i] for i in expected]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"domains": {"$in": ["ACME.com", "nope.com"]}}, [0]),
        ({"domains": {"domain": {"$in": ["initech.COM"]}}}, [1]),
        ({"domains": "Acme.Com"}, [0]),
        ({"description": {"$in": ["ext-1", "ext-2"]}}, [0]),  # text is case-sensitive
        ({"description": "EXT-2"}, [1]),
        ({"employee_count": {"$in": [20, 30]}}, [1]),
        ({"employee_count": {"$eq": 10}}, [0]),
    ],
)
def test_in_and_eq_on_domains_text_and_numbers(
    api: Api, companies: list[str], filter: dict[str, Any], expected: list[int]
) -> None:
    assert _ids(api.query("companies", filter=filter)) == [companies[i] for i in expected]


def test_in_on_a_number_refuses_strings(api: Api) -> None:
    response = api.post(
        "/v2/objects/companies/records/query", json={"filter": {"employee_count": {"$in": ["10"]}}}
    )
    assert response.status_code == 400 and response.json()["code"] == "filter_error"

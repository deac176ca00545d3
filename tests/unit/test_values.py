"""Attio's values read and written (values.py), and a restore's options: without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.restore import RestoreOptions, check_restore_job, restore_options
from airflow_provider_attio.values import (
    AttributeSpec,
    lookup_filter,
    same_values,
    writable_values,
    write_form,
)

A = "891dcbfc-9141-415d-9b2a-2238a6cc012d"
OPTION = {"id": {"option_id": "11111111-1111-4111-8111-111111111111"}, "title": "vip", "is_archived": False}
STATUS = {"id": {"status_id": "22222222-2222-4222-8222-222222222222"}, "title": "Lead", "is_archived": False}


def _value(**fields: Any) -> dict[str, Any]:
    return {
        "active_from": "2024-01-01T00:00:00.000000000Z",
        "active_until": None,
        "created_by_actor": {},
        **fields,
    }


@pytest.mark.parametrize(
    ("kind", "read", "written"),
    [
        ("text", {"value": "Ada"}, {"value": "Ada"}),
        ("number", {"value": 4.5}, {"value": 4.5}),
        ("checkbox", {"value": False}, {"value": False}),
        ("date", {"value": "2024-02-29"}, {"value": "2024-02-29"}),
        (
            "timestamp",
            {"value": "2024-02-29T10:00:00.000000000Z"},
            {"value": "2024-02-29T10:00:00.000000000Z"},
        ),
        ("rating", {"value": 3}, {"value": 3}),
        ("currency", {"currency_value": 99.5, "currency_code": "EUR"}, {"currency_value": 99.5}),
        ("domain", {"domain": "app.acme.com", "root_domain": "acme.com"}, {"domain": "app.acme.com"}),
        (
            "email-address",
            {
                "original_email_address": "Ada@Example.com",
                "email_address": "ada@example.com",
                "email_domain": "x",
            },
            {"email_address": "Ada@Example.com"},
        ),
        (
            "personal-name",
            {"first_name": "Ada", "last_name": "King", "full_name": "Ada King"},
            {"first_name": "Ada", "last_name": "King", "full_name": "Ada King"},
        ),
        (
            "phone-number",
            {"original_phone_number": "020 7946 0000", "country_code": "GB", "phone_number": "+442079460000"},
            {"original_phone_number": "020 7946 0000", "country_code": "GB"},
        ),
        (
            "record-reference",
            {"target_object": "companies", "target_record_id": A},
            {"target_object": "companies", "target_record_id": A},
        ),
        ("select", {"option": OPTION}, {"option": OPTION["id"]["option_id"]}),
        ("status", {"status": STATUS}, {"status": STATUS["id"]["status_id"]}),
        ("select", {"option": A}, {"option": A}),  # the id alone, as some answers give it
    ],
)
def test_each_type_is_written_in_its_write_format(
    kind: str, read: dict[str, Any], written: dict[str, Any]
) -> None:
    assert write_form(_value(**read, attribute_type=kind), kind) == written


def test_a_location_is_written_whole() -> None:
    read = {"line_1": "1 Main St", "locality": "Boston", "country_code": "US", "latitude": "42.36"}
    written = write_form(_value(**read), "location")
    assert written is not None and written["locality"] == "Boston" and written["line_2"] is None
    assert len(written) == 10


@pytest.mark.parametrize("kind", ["actor-reference", "interaction", "a-type-attio-adds-later"])
def test_types_never_written(kind: str) -> None:
    assert write_form(_value(value="x"), kind) is None


def test_a_value_missing_its_fields_is_not_written() -> None:
    assert write_form(_value(), "text") is None
    assert write_form(_value(option={"title": "no id"}), "select") is None


def _spec(slug: str, kind: str, **flags: Any) -> AttributeSpec:
    attribute = {"api_slug": slug, "type": kind, "is_writable": True, **flags}
    return AttributeSpec.of(attribute)


def test_writable_values_take_current_values_and_say_what_they_leave_out() -> None:
    specs = {
        "name": _spec("name", "text"),
        "tags": AttributeSpec.of(
            {"api_slug": "tags", "type": "select", "is_writable": True, "is_multiselect": True}, [OPTION]
        ),
        "created_at": _spec("created_at", "timestamp", is_writable=False),
        "avatar_url": _spec("avatar_url", "text"),
        "created_by": _spec("created_by", "actor-reference"),
        "archived": _spec("archived", "text", is_archived=True),
    }
    gone_option = {"id": {"option_id": A}, "title": "old"}
    record = {
        "values": {
            "name": [
                _value(value="Old name") | {"active_until": "2024-01-02T00:00:00Z"},
                _value(value="Ada"),
            ],
            "tags": [_value(option=OPTION), _value(option=gone_option)],
            "created_at": [_value(value="2024-01-01T00:00:00.000000000Z")],
            "avatar_url": [_value(value="https://x/a.png")],
            "created_by": [_value(referenced_actor_type="system", referenced_actor_id=None)],
            "archived": [_value(value="x")],
            "deleted_since": [_value(value="x")],
            "empty": [],
        }
    }
    result = writable_values(record, specs)
    assert result.values == {"name": [{"value": "Ada"}], "tags": [{"option": OPTION["id"]["option_id"]}]}
    assert set(result.not_written) == {
        "tags",
        "created_at",
        "avatar_url",
        "created_by",
        "archived",
        "deleted_since",
    }
    assert "no longer exists" in result.not_written["tags"]
    assert "read-only" in result.not_written["created_at"]


def test_a_single_value_attribute_writes_one_value() -> None:
    record = {"values": {"name": [_value(value="a"), _value(value="b")]}}
    assert writable_values(record, {"name": _spec("name", "text")}).values == {"name": [{"value": "a"}]}


def test_lookup_filters_prefer_a_unique_attribute() -> None:
    specs = {
        "email_addresses": _spec("email_addresses", "email-address", is_unique=True, is_multiselect=True),
        "name": _spec("name", "personal-name"),
        "stage": _spec("stage", "status"),
        "value": _spec("value", "currency"),
    }
    values = {
        "name": [{"first_name": "A", "last_name": "B", "full_name": "A B"}],
        "email_addresses": [{"email_address": "a@b.co"}, {"email_address": "c@d.co"}],
        "stage": [{"status": A}],
    }
    assert lookup_filter(values, specs, unique_only=False) == {"email_addresses": "a@b.co"}
    assert lookup_filter(values, specs, unique_only=True) == {"email_addresses": "a@b.co"}
    del values["email_addresses"]
    assert lookup_filter(values, specs, unique_only=True) is None
    values["value"] = [{"currency_value": 5}]
    assert lookup_filter(values, specs, unique_only=False) == {"$and": [{"name": "A B"}, {"value": 5}]}
    assert lookup_filter({"stage": [{"status": A}]}, specs, unique_only=False) is None


def test_same_values_compares_what_was_written() -> None:
    specs = {"name": _spec("name", "text"), "tags": _spec("tags", "text", is_multiselect=True)}
    record = {"values": {"name": [_value(value="Ada")], "tags": [_value(value="b"), _value(value="a")]}}
    assert same_values(record, {"name": [{"value": "Ada"}], "tags": [{"value": "a"}, {"value": "b"}]}, specs)
    assert not same_values(record, {"name": [{"value": "Bob"}]}, specs)
    number = {"values": {"n": [_value(value=5.0)]}}
    assert same_values(number, {"n": [{"value": 5}]}, {"n": _spec("n", "number")})


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"on_conflict": "overwrite"}, "on_conflict must be 'skip' or 'fail'"),
        ({"writes_per_second": 0}, "writes_per_second must be a number from 0.1"),
        ({"max_records": 0}, "max_records must be a positive integer"),
        ({"dry_run": "yes"}, "dry_run must be True or False"),
        ({"max_concurrency": 33}, "max_concurrency must be at most 32"),
    ],
)
def test_bad_options_are_refused(values: dict[str, Any], words: str) -> None:
    with pytest.raises(AttioValidationError, match=words):
        RestoreOptions(**values)


def test_options_and_job_checks() -> None:
    assert restore_options(dry_run=True).dry_run is True
    with pytest.raises(AttioValidationError, match="Unknown restore option"):
        restore_options(filter={})
    with pytest.raises(AttioValidationError, match="not both"):
        restore_options(RestoreOptions(), dry_run=True)
    with pytest.raises(AttioValidationError, match="archive_from must be"):
        check_restore_job("  ")
    with pytest.raises(AttioValidationError, match=r"record_ids\[0\]"):
        check_restore_job("a.jsonl", record_ids=["nope"])
    job = check_restore_job("a.jsonl", object="people", record_ids=f'["{A.upper()}", "{A}"]')
    assert (job.object, job.record_ids) == ("people", [A])

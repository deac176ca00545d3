"""Keys typed by the attribute's Attio type, over real HTTP: delete by key and mirror agree on every input.

Each case builds the same records in two objects, runs a delete by key on one and a mirror on the other
with the same keys, and checks both against the expected matches: the records a delete by key deletes are
exactly the keyed records a mirror keeps, and a key that can't be read as the type is refused by both,
naming it, before any DELETE.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.testing import AttioEmulator

BY_KEY, MIRRORED = "by_key", "mirrored"
SCOPE = {"name": "synced"}

# The key attribute's type, its records' values (one record each, plus one keyless record).
RECORDS: dict[str, list[Any]] = {
    "number": [0, 1, 2, 3.5, 10, 1_000_000],
    "text": ["7", "ext-1", "EXT-2", "3.5", "10", "Ada"],
    "email-address": ["ada@example.com", "grace@example.com"],
    "domain": ["acme.com", "initech.com"],
}
REFUSED = "refused"

# (type, key as given, the records it matches, by position; or REFUSED).
CASES: list[tuple[str, Any, set[int] | str]] = [
    # number: numeric strings are numbers; ints and floats are equal when their values are.
    ("number", 1, {1}),
    ("number", "1", {1}),
    ("number", " 2 ", {2}),
    ("number", "3.5", {3}),
    ("number", 3.50, {3}),
    ("number", "1e1", {4}),
    ("number", "10.0", {4}),
    ("number", 1_000_000.0, {5}),
    ("number", "-0", {0}),
    ("number", "007", set()),
    ("number", "abc", REFUSED),
    ("number", "1,000", REFUSED),
    ("number", "0x10", REFUSED),
    ("number", "inf", REFUSED),
    ("number", "NaN", REFUSED),
    # text: numbers are their text (an integral float is the integer's); exact, case-sensitive.
    ("text", 7, {0}),
    ("text", 7.0, {0}),
    ("text", "7", {0}),
    ("text", " ext-1 ", {1}),
    ("text", "EXT-1", set()),
    ("text", "ext-2", set()),
    ("text", "EXT-2", {2}),
    ("text", 3.5, {3}),
    ("text", 10, {4}),
    ("text", "ada", set()),
    # email addresses: case-insensitive; what isn't an address is refused.
    ("email-address", "ADA@Example.COM", {0}),
    ("email-address", "  grace@example.com ", {1}),
    ("email-address", "nobody@example.com", set()),
    ("email-address", 5, REFUSED),
    ("email-address", 5.5, REFUSED),
    ("email-address", "not-an-email", REFUSED),
    ("email-address", "ada @example.com", REFUSED),
    # domains: case-insensitive; an address or a URL is not a domain.
    ("domain", "ACME.COM", {0}),
    ("domain", " initech.com ", {1}),
    ("domain", "hooli.com", set()),
    ("domain", 42, REFUSED),
    ("domain", 1.5, REFUSED),
    ("domain", "ada@acme.com", REFUSED),
    ("domain", "https://acme.com", REFUSED),
]


def _twin_objects(emu: AttioEmulator, kind: str) -> dict[str, list[str]]:
    """Two objects with the same records (a ``key`` of type ``kind``, in scope); the last one keyless."""
    ids: dict[str, list[str]] = {}
    for obj in (BY_KEY, MIRRORED):
        emu.add_object(obj)
        emu.add_attribute(obj, "key", kind)
        values = [{"name": "synced", "key": value} for value in RECORDS[kind]] + [{"name": "synced"}]
        ids[obj] = [str(emu.create_record(obj, v)["id"]["record_id"]) for v in values]
    return ids


def _deleted(emu: AttioEmulator, obj: str, ids: list[str], **kwargs: Any) -> set[int] | str:
    """Run a delete on ``obj``; the positions of the records it deleted, or the refusal's message."""
    deletes = emu.count(method="DELETE")
    try:
        AttioHook().delete_records(obj, writes_per_second=None, **kwargs)
    except AttioValidationError as err:
        assert emu.count(method="DELETE") == deletes, "a refused run sent a DELETE"
        return str(err)
    left = set(emu.record_ids(obj))
    return {i for i, record_id in enumerate(ids) if record_id not in left}


def _both_modes(emu: AttioEmulator, ids: dict[str, list[str]], attribute: str, keys: list[Any]) -> Any:
    by_key = _deleted(emu, BY_KEY, ids[BY_KEY], match_attribute=attribute, match_values=keys)
    mirrored = _deleted(
        emu,
        MIRRORED,
        ids[MIRRORED],
        filter=SCOPE,
        keep_attribute=attribute,
        keep_values=keys,
        max_delete_fraction=1.0,
        allow_no_overlap=True,
    )
    return by_key, mirrored


@pytest.mark.parametrize(("kind", "key", "expected"), CASES)
def test_delete_by_key_and_mirror_agree_on_every_key(
    attio: AttioEmulator, kind: str, key: Any, expected: set[int] | str
) -> None:
    ids = _twin_objects(attio, kind)
    by_key, mirrored = _both_modes(attio, ids, "key", [key])
    if expected == REFUSED:
        assert isinstance(by_key, str) and isinstance(mirrored, str)
        assert f"can't be read as {kind} (the type of key): {key!r}" in by_key
        assert by_key.replace("match_values", "keep_values") == mirrored
        assert attio.count(method="DELETE") == 0
        return
    keyed = set(range(len(RECORDS[kind])))
    assert by_key == expected, "delete by key"
    assert mirrored == keyed - expected, "mirror: every keyed record not kept, never the keyless one"


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_all_keys_of_a_type_at_once_agree_and_report_the_type(attio: AttioEmulator, kind: str) -> None:
    cases = [(key, expected) for k, key, expected in CASES if k == kind and expected != REFUSED]
    ids = _twin_objects(attio, kind)
    by_key, mirrored = _both_modes(attio, ids, "key", [key for key, _ in cases])
    matched = set().union(*(expected for _, expected in cases))
    assert isinstance(by_key, set) and isinstance(mirrored, set)
    assert by_key == matched and mirrored == set(range(len(RECORDS[kind]))) - matched
    query = next(r.body for r in attio.requests if r.path == f"/v2/objects/{BY_KEY}/records/query")
    assert query is not None
    sent = query["filter"]["key"]["$in"]
    # The keys are sent typed: numbers as numbers, text as text.
    assert all(isinstance(v, (int, float)) if kind == "number" else isinstance(v, str) for v in sent)


@pytest.mark.parametrize(
    ("spell", "expected"),
    [
        (str.upper, {0}),
        (lambda rid: f"  {rid} ", {0}),
        (lambda rid: rid, {0}),
        (lambda rid: "891dcbfc-9141-415d-9b2a-2238a6cc012d", set()),
    ],
)
def test_record_id_keys_need_no_attribute_and_agree(
    attio: AttioEmulator, spell: Any, expected: set[int]
) -> None:
    ids = _twin_objects(attio, "text")
    by_key = _deleted(
        attio, BY_KEY, ids[BY_KEY], match_attribute="record_id", match_values=[spell(ids[BY_KEY][0])]
    )
    mirrored = _deleted(
        attio,
        MIRRORED,
        ids[MIRRORED],
        filter=SCOPE,
        keep_attribute="record_id",
        keep_values=[spell(ids[MIRRORED][0])],
        max_delete_fraction=1.0,
        allow_no_overlap=True,
    )
    every = set(range(len(ids[BY_KEY])))  # every record has an id: none is keyless
    assert by_key == expected and mirrored == every - expected
    assert all("/attributes" not in r.path for r in attio.requests), "record_id has no attribute to ask"


def test_numeric_strings_on_a_number_attribute_mirror_nothing_away(attio: AttioEmulator) -> None:
    # The case: warehouse_id 0-9 in Attio, the extract's keys are strings.
    attio.add_attribute("companies", "warehouse_id", "number")
    ids = [
        str(
            attio.create_record("companies", {"name": f"C{i}", "warehouse_id": i, "description": "synced"})[
                "id"
            ]["record_id"]
        )
        for i in range(10)
    ]
    summary = AttioHook().delete_records(
        "companies",
        filter={"description": "synced"},
        keep_attribute="warehouse_id",
        keep_values=[str(i) for i in range(10)],
        max_delete_fraction=1.0,
    )
    assert summary["requested"] == 0 and summary["sync"]["kept"] == 10
    assert summary["sync"]["key_type"] == "number"
    assert attio.record_ids("companies") == ids and attio.count(method="DELETE") == 0
    by_key = AttioHook().delete_records(
        "companies", match_attribute="warehouse_id", match_values=["3", " 4 "], dry_run=True
    )
    assert by_key["requested"] == 2 and by_key["sync"]["key_type"] == "number"


def test_keys_are_typed_on_an_empty_scope_too(attio: AttioEmulator) -> None:
    attio.add_attribute("companies", "warehouse_id", "number")
    summary = AttioHook().delete_records("companies", match_attribute="warehouse_id", match_values=["5", 6])
    assert summary["sync"]["key_type"] == "number" and summary["sync"]["unmatched_keys"] == 2
    query = next(r.body for r in attio.requests if r.path.endswith("/records/query"))
    assert query is not None and query["filter"] == {"warehouse_id": {"$in": [5, 6]}}
    with pytest.raises(AttioValidationError, match=r"1 key\(s\) of keep_values can't be read as number"):
        AttioHook().delete_records(
            "companies", filter={"description": "none"}, keep_attribute="warehouse_id", keep_values=["5", "x"]
        )
    assert attio.count(method="DELETE") == 0


@pytest.mark.parametrize(
    ("attribute", "words"),
    [
        ("nickname", "The object 'people' has no attribute 'nickname'"),
        ("name", "The attribute 'name' of 'people' is of type 'personal-name'; keys work on"),
    ],
)
def test_a_missing_or_unsupported_attribute_is_refused_before_any_query(
    attio: AttioEmulator, attribute: str, words: str
) -> None:
    for kwargs in (
        {"match_attribute": attribute, "match_values": ["x"]},
        {"keep_attribute": attribute, "keep_values": ["x"], "filter": {"job_title": "x"}},
    ):
        with pytest.raises(AttioValidationError, match=words):
            AttioHook().delete_records("people", **kwargs)
    assert all(not r.path.endswith("/records/query") and r.method != "DELETE" for r in attio.requests)


@pytest.mark.parametrize("key", [5, 5.5, "nope", "891dcbfc-9141-415d-9b2a"])
def test_a_record_id_key_that_isnt_a_uuid_is_refused_in_both_modes(attio: AttioEmulator, key: Any) -> None:
    ids = _twin_objects(attio, "text")
    by_key = _deleted(attio, BY_KEY, ids[BY_KEY], match_attribute="record_id", match_values=[key])
    mirrored = _deleted(
        attio, MIRRORED, ids[MIRRORED], filter=SCOPE, keep_attribute="record_id", keep_values=[key]
    )
    assert isinstance(by_key, str) and by_key.startswith("match_values[0]")
    assert isinstance(mirrored, str) and mirrored.startswith("keep_values[0]")
    assert attio.requests == []

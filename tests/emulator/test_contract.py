"""The contract checker itself: it must be able to fail, or the suite's validation proves nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.contract import OPERATIONS, assert_matches_contract, template_for

RECORD = "/v2/objects/{object}/records/{record_id}"


def test_schemas_cover_every_endpoint_the_emulator_serves() -> None:
    assert set(OPERATIONS) == {
        "GET /v2/self",
        "GET /v2/objects/{object}",
        "POST /v2/objects/{object}/records",
        "POST /v2/objects/{object}/records/query",
        "GET /v2/objects/{object}/records/{record_id}",
        "GET /v2/objects/{object}/records/{record_id}/entries",
        "DELETE /v2/objects/{object}/records/{record_id}",
        "DELETE /v2/lists/{list}/entries/{entry_id}",
        "GET /v2/objects/{object}/attributes",
        "GET /v2/objects/{object}/attributes/{attribute}",
        "GET /v2/objects/{object}/attributes/{attribute}/options",
        "GET /v2/objects/{object}/attributes/{attribute}/statuses",
        "PUT /v2/objects/{object}/records/{record_id}",
        "GET /v2/lists/{list}",
        "GET /v2/lists/{list}/entries/{entry_id}",
        "POST /v2/lists/{list}/entries/query",
        "GET /v2/notes",
        "GET /v2/notes/{note_id}",
        "DELETE /v2/notes/{note_id}",
        "GET /v2/tasks",
        "GET /v2/tasks/{task_id}",
        "DELETE /v2/tasks/{task_id}",
    }


def test_schemas_are_structure_only_and_nullable_is_resolved() -> None:
    text = (Path(__file__).parents[1] / "data" / "attio_response_schemas.json").read_text()
    data = json.loads(text)

    def keys(node: Any, inside_properties: bool = False) -> set[str]:
        if isinstance(node, list):
            return set().union(*(keys(n) for n in node)) if node else set()
        if not isinstance(node, dict):
            return set()
        found = set() if inside_properties else set(node)
        for key, value in node.items():
            found |= keys(value, inside_properties=(key == "properties" and not inside_properties))
        return found

    used = keys(data["operations"])
    assert not used & {"nullable", "description", "example", "examples", "$ref"}
    # A 3.0-style nullable field (created_by_actor.id) now admits null as JSON Schema.
    record = OPERATIONS[f"GET {RECORD}"]["200"]["properties"]["data"]
    text_value = next(
        v
        for v in record["properties"]["values"]["additionalProperties"]["items"]["oneOf"]
        if v["properties"]["attribute_type"]["enum"] == ["text"]
    )
    assert text_value["properties"]["created_by_actor"]["properties"]["id"]["type"] == ["string", "null"]


def test_template_for() -> None:
    assert template_for("GET", "/v2/self") == "/v2/self"
    assert template_for("POST", "/v2/objects/people/records/query") == "/v2/objects/{object}/records/query"
    assert template_for("DELETE", f"/v2/objects/people/records/{'a' * 8}") == RECORD
    assert template_for("GET", "/v2/objects/people/records") is None
    assert template_for("PATCH", "/v2/objects/people") is None


@pytest.mark.parametrize(
    ("method", "template", "status", "body"),
    [
        ("GET", "/v2/self", 200, {"active": True}),  # an active token's body misses required fields
        ("GET", "/v2/self", 200, {"active": "no"}),
        ("GET", "/v2/objects/{object}", 200, {"data": {"api_slug": "people"}}),
        ("GET", RECORD, 200, {"data": {"id": {}, "created_at": "x", "web_url": "x", "values": {}}}),
        (
            "GET",
            RECORD,
            404,
            {"status_code": 404, "type": "invalid_request_error", "code": "gone", "message": "x"},
        ),
        ("GET", RECORD, 404, {"status_code": 404, "type": "invalid_request_error", "code": "not_found"}),
        ("GET", RECORD, 201, {}),  # a success status the contract doesn't list
        ("DELETE", RECORD, 429, {"status_code": 429, "type": "rate_limit_error", "code": "x"}),
        ("DELETE", RECORD, 503, {"error": {"status_code": 503}}),  # an envelope: not Attio's shape
        ("DELETE", RECORD, 500, {"status_code": 502, "type": "api_error", "code": "x", "message": "x"}),
    ],
)
def test_checker_rejects_what_attio_would_not_send(
    method: str, template: str, status: int, body: Any
) -> None:
    with pytest.raises(AssertionError):
        assert_matches_contract(method, template, status, body)


def test_checker_checks_formats() -> None:
    good = {
        "id": {
            "workspace_id": "6c1c5b0e-3a4f-4d7b-9a43-1e1d2f3a4b5c",
            "object_id": "6c1c5b0e-3a4f-4d7b-9a43-1e1d2f3a4b5c",
            "record_id": "6c1c5b0e-3a4f-4d7b-9a43-1e1d2f3a4b5c",
        },
        "created_at": "2022-11-21T13:22:49.061281000Z",
        "web_url": "https://app.attio.com/x/people/1",
        "values": {},
    }
    assert_matches_contract("GET", RECORD, 200, {"data": good})
    for field, bad in (("web_url", "not a url"), ("id", {**good["id"], "record_id": "not-a-uuid"})):
        with pytest.raises(AssertionError):
            assert_matches_contract("GET", RECORD, 200, {"data": {**good, field: bad}})

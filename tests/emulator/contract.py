"""Check the emulator's answers against Attio's OpenAPI response schemas (copied in tests/data)."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jsonschema import Draft202012Validator, FormatChecker

_DATA = json.loads((Path(__file__).parents[1] / "data" / "attio_response_schemas.json").read_text())
OPERATIONS: dict[str, dict[str, Any]] = _DATA["operations"]

# Attio's flat error body. The OpenAPI document lists no 401, 403, 429 or 5xx answers at all, and
# its 404 and 400 enums omit codes that Attio's docs describe (attio-api.md): those answers are
# checked against this shape instead.
FLAT_ERROR: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status_code": {"type": "number"},
        "type": {"enum": ["invalid_request_error", "auth_error", "rate_limit_error", "api_error"]},
        "code": {"type": "string", "minLength": 1},
        "message": {"type": "string", "minLength": 1},
    },
    "required": ["status_code", "type", "code", "message"],
    "additionalProperties": False,
}
# Documented by Attio but missing from the endpoint's enum in the OpenAPI document.
UNLISTED_CODES = {
    (404, "merge_in_progress"),  # attio-api.md: "the record exists but is being merged"
    (400, "validation_type"),  # attio-api.md lists it among the 400 codes; the document only per endpoint
    (400, "filter_error"),
    (400, "value_not_found"),
    (400, "uniqueness_conflict"),  # attio-api.md: create "will throw on conflicts of unique attributes"
}

_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        if "T" not in value or not (value.endswith("Z") or "+" in value[10:] or "-" in value[10:]):
            raise ValueError(f"not an RFC 3339 date-time: {value!r}")
        datetime.fromisoformat(value)
    return True


@_FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    if isinstance(value, str):
        parsed = urlparse(value)
        if not parsed.scheme or not parsed.netloc:
            raise ValueError(f"not an absolute URI: {value!r}")
    return True


def template_for(method: str, path: str) -> str | None:
    """Return the OpenAPI path template that ``path`` instantiates for ``method``, if any."""
    segments = path.split("?", 1)[0].split("/")
    for operation in OPERATIONS:
        op_method, template = operation.split(" ", 1)
        parts = template.split("/")
        if (
            op_method == method
            and len(parts) == len(segments)
            and all(p == s or (p.startswith("{") and s) for p, s in zip(parts, segments, strict=True))
        ):
            return template
    return None


def assert_matches_contract(method: str, template: str, status: int, body: Any) -> None:
    """Assert ``body`` is what Attio's contract allows ``method template`` to answer with ``status``."""
    responses = OPERATIONS[f"{method} {template}"]
    schema = responses.get(str(status))
    code = body.get("code") if isinstance(body, dict) else None
    if schema is not None and (status, code) in UNLISTED_CODES and code not in _code_enum(schema):
        schema = None
    if schema is None:
        assert status >= 400, f"{method} {template} answered {status}, which its contract doesn't list"
        schema = FLAT_ERROR
    errors = sorted(_validator(json.dumps(schema, sort_keys=True)).iter_errors(body), key=str)
    assert not errors, f"{method} {template} {status}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5]
    )
    if status >= 400:
        assert body["status_code"] == status


@functools.cache
def _validator(schema: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema), format_checker=_FORMATS)


def _code_enum(schema: dict[str, Any]) -> list[Any]:
    return list(schema.get("properties", {}).get("code", {}).get("enum", []))

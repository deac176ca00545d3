"""Copy the response schemas of the Attio endpoints the provider uses out of Attio's OpenAPI document.

Run once by hand, never by the tests (which must not need the OpenAPI document)::

    python3 tests/data/generate_attio_response_schemas.py ../shared/attio-openapi.yaml

It needs PyYAML. It writes ``attio_response_schemas.json`` beside itself: for each operation
(``"GET /v2/self"``...) and status, the JSON schema of the response body, structure only (no
``description``/``example`` prose), ``$ref`` resolved inline, and OpenAPI 3.0's ``nullable: true``
(which Attio's 3.1 document still uses in places) turned into a JSON Schema that also admits null.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

OPERATIONS = [
    ("GET", "/v2/self"),
    ("GET", "/v2/objects/{object}"),
    ("POST", "/v2/objects/{object}/records"),
    ("POST", "/v2/objects/{object}/records/query"),
    ("GET", "/v2/objects/{object}/records/{record_id}"),
    ("GET", "/v2/objects/{object}/records/{record_id}/entries"),
    ("DELETE", "/v2/objects/{object}/records/{record_id}"),
    ("DELETE", "/v2/lists/{list}/entries/{entry_id}"),
    ("GET", "/v2/objects/{object}/attributes"),
    ("GET", "/v2/objects/{object}/attributes/{attribute}"),
    ("GET", "/v2/objects/{object}/attributes/{attribute}/options"),
    ("GET", "/v2/objects/{object}/attributes/{attribute}/statuses"),
    ("PUT", "/v2/objects/{object}/records/{record_id}"),
    ("GET", "/v2/lists/{list}"),
    ("GET", "/v2/lists/{list}/entries/{entry_id}"),
    ("POST", "/v2/lists/{list}/entries/query"),
    ("GET", "/v2/notes"),
    ("GET", "/v2/notes/{note_id}"),
    ("DELETE", "/v2/notes/{note_id}"),
    ("GET", "/v2/tasks"),
    ("GET", "/v2/tasks/{task_id}"),
    ("DELETE", "/v2/tasks/{task_id}"),
]

# Operations the document states once for objects and lists alike: the emulator's path -> the document's.
SOURCE_PATHS = {
    "/v2/objects/{object}/attributes": "/v2/{target}/{identifier}/attributes",
    "/v2/objects/{object}/attributes/{attribute}": "/v2/{target}/{identifier}/attributes/{attribute}",
    "/v2/objects/{object}/attributes/{attribute}/options": (
        "/v2/{target}/{identifier}/attributes/{attribute}/options"
    ),
    "/v2/objects/{object}/attributes/{attribute}/statuses": (
        "/v2/{target}/{identifier}/attributes/{attribute}/statuses"
    ),
}

PROSE = {"description", "example", "examples", "summary", "title"}


def clean(schema: Any, document: dict[str, Any]) -> Any:
    """Return ``schema`` without prose, with ``$ref`` inlined and ``nullable`` made explicit."""
    if isinstance(schema, list):
        return [clean(item, document) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return clean(target, document)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in PROSE or key.startswith("x-") or key == "nullable":
            continue
        if key == "properties":
            # Keys here are property names (one may well be called "description"), not keywords.
            out[key] = {name: clean(sub, document) for name, sub in value.items()}
        else:
            out[key] = clean(value, document)
    types = out.get("type")
    if isinstance(types, list) and "null" in types and "enum" in out and None not in out["enum"]:
        # A field typed ["string", "null"] whose enum omits null (an attribute's currency config, which
        # the document's own example sets to null): the type admits null, so the enum does too.
        out["enum"] = [*out["enum"], None]
    properties = out.get("properties", {})
    if properties.get("attribute_type", {}).get("enum") == ["timestamp"]:
        # The document types a timestamp's value "format: date", yet describes and exemplifies a date-time
        # ("2023-01-01T15:00:00.000000000Z"): check it as one.
        properties["value"] = {**properties["value"], "format": "date-time"}
    if schema.get("nullable") is True:
        types = out.get("type")
        if isinstance(types, str):
            out["type"] = [types, "null"]
        elif isinstance(types, list) and "null" not in types:
            out["type"] = [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def main(openapi_path: str) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C one is much faster on 1.8 MB
    document = yaml.load(Path(openapi_path).read_text(), Loader=loader)  # noqa: S506 - a safe loader
    operations: dict[str, dict[str, Any]] = {}
    for method, path in OPERATIONS:
        operation = document["paths"][SOURCE_PATHS.get(path, path)][method.lower()]
        operations[f"{method} {path}"] = {
            status: clean(response["content"]["application/json"]["schema"], document)
            for status, response in operation["responses"].items()
        }
    out = {
        "source": f"attio-openapi.yaml, {document['info']['title']} {document['info']['version']}, "
        f"OpenAPI {document['openapi']}; generated by generate_attio_response_schemas.py",
        "operations": operations,
    }
    target = Path(__file__).with_name("attio_response_schemas.json")
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/attio-openapi.yaml")

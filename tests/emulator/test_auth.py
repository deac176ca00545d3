"""Tokens and scopes: GET /v2/self, 401 for missing, unknown and revoked tokens, 403 for missing scopes."""

from __future__ import annotations

import pytest

from airflow_provider_attio.testing import ALL_SCOPES, WORKSPACE_ID, AttioEmulator
from tests.emulator.conftest import MISSING_ID, TOKEN, Api, person


def test_self_describes_an_active_token(api: Api) -> None:
    response = api.get("/v2/self")
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert set(body["scope"].split(" ")) == set(ALL_SCOPES)
    assert body["workspace_id"] == body["sub"] == WORKSPACE_ID
    assert body["workspace_name"] == "Emulated Workspace"
    assert body["workspace_slug"] == "emulated-workspace"
    assert body["token_type"] == "Bearer" and body["iss"] == "attio.com"
    assert body["exp"] is None and body["workspace_logo_url"] is None
    assert body["aud"] == body["client_id"]


def test_self_reports_the_token_scopes_and_workspace_name() -> None:
    scopes = ["record_permission:read", "object_configuration:read"]
    with AttioEmulator(token="narrow", scopes=scopes, workspace_name="Acme Corp") as emu:
        body = Api(emu.base_url, "narrow").get("/v2/self").json()
    assert body["scope"].split(" ") == sorted(scopes)
    assert (body["workspace_name"], body["workspace_slug"]) == ("Acme Corp", "acme-corp")


def test_revoked_token_is_inactive_on_self_and_refused_elsewhere(emu: AttioEmulator, api: Api) -> None:
    emu.revoke_token(TOKEN)
    response = api.get("/v2/self")
    assert (response.status_code, response.json()) == (200, {"active": False})
    refused = api.get("/v2/objects/people")
    assert refused.status_code == 401
    assert refused.json()["type"] == "auth_error"


def test_added_inactive_token_behaves_as_revoked(emu: AttioEmulator, api: Api) -> None:
    emu.add_token("old", active=False)
    assert api.get("/v2/self", token="old").json() == {"active": False}
    assert api.get("/v2/objects/people", token="old").status_code == 401


def test_revoking_an_unknown_token_is_an_error(emu: AttioEmulator) -> None:
    with pytest.raises(ValueError, match="unknown token"):
        emu.revoke_token("nope")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-known-token"},
        {"Authorization": "Basic dGVzdDp0ZXN0"},
        {"Authorization": "Bearer"},
        {"Authorization": TOKEN},
    ],
    ids=["missing", "unknown", "basic", "empty", "no-scheme"],
)
@pytest.mark.parametrize(
    "path", ["/v2/self", "/v2/objects/people", f"/v2/objects/people/records/{MISSING_ID}"]
)
def test_missing_or_unknown_token_gets_401(api: Api, headers: dict[str, str], path: str) -> None:
    response = api.get(path, token=None, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert (body["type"], body["code"]) == ("auth_error", "unauthorized")
    assert "not-a-known-token" not in response.text and TOKEN not in response.text


def test_bearer_scheme_is_case_insensitive(api: Api) -> None:
    assert api.get("/v2/self", token=None, headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_second_token_with_its_own_scopes(emu: AttioEmulator, api: Api) -> None:
    emu.add_token("reader", scopes=["record_permission:read", "object_configuration:read"])
    record = person(emu)
    assert api.get(f"/v2/objects/people/records/{record}", token="reader").status_code == 200
    assert api.delete(f"/v2/objects/people/records/{record}", token="reader").status_code == 403
    assert emu.get_record("people", record) is not None


# Each endpoint, the scopes it needs (one missing at a time must give 403).
READ = ["record_permission:read", "object_configuration:read"]
WRITE = ["record_permission:read-write", "object_configuration:read"]
RECORD = f"/v2/objects/people/records/{MISSING_ID}"
ENDPOINTS = [
    ("GET", "/v2/objects/people", None, ["object_configuration:read"]),
    ("GET", "/v2/objects/people/attributes", None, ["object_configuration:read"]),
    ("GET", "/v2/objects/people/attributes/email_addresses", None, ["object_configuration:read"]),
    ("POST", "/v2/objects/people/records", {"data": {"values": {}}}, WRITE),
    ("POST", "/v2/objects/people/records/query", {}, READ),
    ("GET", RECORD, None, READ),
    ("DELETE", RECORD, None, WRITE),
    (
        "DELETE",
        f"/v2/lists/sales/entries/{MISSING_ID}",
        None,
        ["list_entry:read-write", "list_configuration:read"],
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "scopes"), ENDPOINTS)
def test_each_missing_scope_gets_403(
    emu: AttioEmulator, api: Api, method: str, path: str, body: object, scopes: list[str]
) -> None:
    for missing in scopes:
        token = f"without-{missing}"
        emu.add_token(token, scopes=[s for s in scopes if s != missing])
        response = api.call(method, path, json=body, token=token)
        assert response.status_code == 403, (missing, response.text)
        error = response.json()
        assert (error["type"], error["code"]) == ("auth_error", "unauthorized")
        assert error["message"].startswith("You do not have the necessary permissions to ")
        assert token not in response.text
    # With all of them, the call goes through to the endpoint (which may then say 404).
    emu.add_token("enough", scopes=scopes)
    assert api.call(method, path, json=body, token="enough").status_code not in (401, 403)


@pytest.mark.parametrize(("method", "path", "body", "scopes"), ENDPOINTS)
def test_read_write_scope_grants_read(
    emu: AttioEmulator, api: Api, method: str, path: str, body: object, scopes: list[str]
) -> None:
    emu.add_token("rw", scopes=[s if s.endswith("-write") else f"{s}-write" for s in scopes])
    assert api.call(method, path, json=body, token="rw").status_code not in (401, 403)


def test_self_needs_no_scope(emu: AttioEmulator, api: Api) -> None:
    emu.add_token("bare", scopes=[])
    body = api.get("/v2/self", token="bare").json()
    assert body["active"] is True and body["scope"] == ""

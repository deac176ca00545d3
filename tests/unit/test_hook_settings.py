"""The hook's pure parts: connection settings, hosts, validation, Retry-After, error mapping."""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Any

import pytest
import requests

from airflow_provider_attio.connection import ConnectionSettings
from airflow_provider_attio.core import (
    DEFAULT_HOST,
    error_from_answer,
    missing_scopes,
    parse_body,
    retry_after_seconds,
)
from airflow_provider_attio.exceptions import (
    AttioAuthError,
    AttioError,
    AttioNotFoundError,
    AttioRateLimitError,
    AttioServerError,
    AttioTransientError,
    AttioValidationError,
)
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.validation import validate_object, validate_record_id
from tests.conftest import TOKEN


def error_from_response(response: requests.Response, method: str, path: str) -> AttioError:
    body = parse_body(response.content)
    return error_from_answer(response.status_code, body, response.headers.get("Retry-After"), method, path)


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b"<html>oops</html>"
    response.headers.update(headers or {})
    return response


def test_settings_defaults_and_overrides() -> None:
    assert ConnectionSettings.from_extras({}) == ConnectionSettings()
    settings = ConnectionSettings.from_extras(
        {"timeout": "12.5", "extra__attio__max_retries": 3, "backoff": ""}
    )
    assert settings.timeout == 12.5 and settings.max_retries == 3 and settings.backoff == 0.5


@pytest.mark.parametrize(
    ("extras", "words"),
    [
        ({"timeout": "soon"}, "'timeout' must be a non-negative number"),
        ({"max_retries": 2.5}, "'max_retries' must be a non-negative integer"),
        ({"retry_budget": -1}, "'retry_budget'"),
        ({"timeout": True}, "'timeout'"),
        ({"timeout": 0}, "greater than 0"),
        ({"headers": {"X-Api-Key": "k"}}, "never HTTP headers"),
        ({"time_out": 5}, "unknown extra 'time_out'"),
    ],
)
def test_bad_settings_name_the_field(extras: dict[str, Any], words: str) -> None:
    with pytest.raises(AttioValidationError, match=words):
        ConnectionSettings.from_extras(extras)


@pytest.mark.parametrize(
    ("conn", "url"),
    [
        ({}, DEFAULT_HOST),
        ({"host": "api.attio.com"}, "https://api.attio.com"),
        ({"host": "https://api.attio.com/"}, "https://api.attio.com"),
        ({"host": "http://127.0.0.1:8765"}, "http://127.0.0.1:8765"),
        ({"host": "127.0.0.1", "port": 8765, "schema": "http"}, "http://127.0.0.1:8765"),
        ({"host": "http://localhost:1234"}, "http://localhost:1234"),
        ({"host": "http://[::1]:1234"}, "http://[::1]:1234"),
        ({"host": "https://attio.internal.example:8443/proxy"}, "https://attio.internal.example:8443/proxy"),
    ],
)
def test_base_url(monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any], url: str) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_ATTIO_DEFAULT", json.dumps({"conn_type": "attio", "password": TOKEN, **conn})
    )
    assert AttioHook().base_url == url


@pytest.mark.parametrize(
    ("uri", "url"),
    [
        (f"attio://:{TOKEN}@api.attio.com?timeout=7", "https://api.attio.com"),
        (f"attio://:{TOKEN}@127.0.0.1:8765/http?timeout=7", "http://127.0.0.1:8765"),
        (f"attio://:{TOKEN}@http%3A%2F%2F127.0.0.1:8765?timeout=7", "http://127.0.0.1:8765"),
    ],
)
def test_uri_form_connection(monkeypatch: pytest.MonkeyPatch, uri: str, url: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ATTIO_DEFAULT", uri)
    hook = AttioHook()
    assert hook.base_url == url
    assert hook.settings.timeout == 7


@pytest.mark.parametrize("host", ["http://api.attio.com", "http://10.0.0.8:80", "ftp://api.attio.com"])
def test_insecure_or_odd_hosts_refused(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_ATTIO_DEFAULT", json.dumps({"conn_type": "attio", "password": TOKEN, "host": host})
    )
    with pytest.raises(AttioValidationError) as info:
        AttioHook().base_url  # noqa: B018
    assert host in str(info.value) and TOKEN not in str(info.value)


@pytest.mark.parametrize(
    ("host", "called"),
    [
        ("https://api.attio.com@evil.example", "evil.example"),
        ("https://user:secret-pass@evil.example/", "evil.example"),
        ("api.attio.com@127.0.0.1", "127.0.0.1"),
    ],
)
def test_hosts_with_user_info_refused(monkeypatch: pytest.MonkeyPatch, host: str, called: str) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_ATTIO_DEFAULT", json.dumps({"conn_type": "attio", "password": TOKEN, "host": host})
    )
    with pytest.raises(AttioValidationError, match="user info") as info:
        AttioHook().base_url  # noqa: B018
    assert repr(called) in str(info.value)
    assert TOKEN not in str(info.value) and "secret-pass" not in str(info.value)


def test_validators() -> None:
    assert validate_object("people") == "people"
    assert validate_object("custom_object_2") == "custom_object_2"
    uuid = "5AE2DE74-94F2-4DEA-8F3A-A6AC8C5F1D2A"
    assert validate_object(uuid) == uuid
    assert validate_record_id(uuid) == uuid.lower()
    for bad in ("People", "a-b", "", "x" * 200, None, 3, "people/records"):
        with pytest.raises(AttioValidationError, match="object must be"):
            validate_object(bad)
    for bad in ("123", uuid + "0", "{" + uuid + "}", None):
        with pytest.raises(AttioValidationError, match="record_id must be"):
            validate_record_id(bad)


def test_retry_after_parsing() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds("3", now=now) == 3.0
    assert retry_after_seconds(formatdate(now + 2, usegmt=True), now=now) == pytest.approx(2.0)
    assert retry_after_seconds(formatdate(now - 5, usegmt=True), now=now) == 0.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None


def test_error_mapping() -> None:
    body = {
        "status_code": 404,
        "type": "invalid_request_error",
        "code": "merge_in_progress",
        "message": "merging",
    }
    merge = error_from_response(_response(404, body), "GET", "/v2/x")
    assert isinstance(merge, AttioTransientError) and merge.code == "merge_in_progress"
    assert (
        type(error_from_response(_response(404, {**body, "code": "not_found"}), "GET", "/"))
        is AttioNotFoundError
    )
    limited = error_from_response(_response(429, {}, {"Retry-After": "2"}), "DELETE", "/")
    assert isinstance(limited, AttioRateLimitError) and limited.retry_after == 2.0
    assert isinstance(error_from_response(_response(401, None), "GET", "/"), AttioAuthError)
    weird = error_from_response(_response(502, None), "GET", "/v2/self")
    assert isinstance(weird, AttioServerError) and weird.status == 502 and "502" in str(weird)


def test_error_round_trips_through_plain_data_and_pickle() -> None:
    import pickle

    error = AttioAuthError("no", status=403, code="unauthorized", method="DELETE", path="/v2/p")
    for copy in (AttioError.from_dict(error.to_dict()), pickle.loads(pickle.dumps(error))):
        assert type(copy) is AttioAuthError and str(copy) == str(error) and copy.status == 403


def test_missing_scopes() -> None:
    assert missing_scopes("record_permission:read-write object_configuration:read user_management:read") == []
    assert missing_scopes("record_permission:read") == [
        "record_permission:read-write",
        "object_configuration:read",
    ]

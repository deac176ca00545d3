"""Fixtures of the emulator's own tests: a fresh emulator per test, and a client that checks the contract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_attio.testing import AttioEmulator
from tests.emulator.contract import assert_matches_contract, template_for
from tests.helpers import MISSING_ID, person

__all__ = ["MISSING_ID", "Api", "person", "record_id"]

TOKEN = "emulator-suite-token"

_DEFAULT: Any = object()


class Api:
    """A ``requests`` client for one emulator; every answer is checked against Attio's contract.

    :param base_url: the emulator's URL.
    :param token: the bearer token sent by default.
    """

    def __init__(self, base_url: str, token: str = TOKEN) -> None:
        self.base_url = base_url
        self.token = token
        self.session = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = _DEFAULT,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> requests.Response:
        """Send a request; ``token=None`` sends no Authorization header."""
        sent = dict(headers or {})
        token = self.token if token is _DEFAULT else token
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        response = self.session.request(
            method, self.base_url + path, json=json, data=data, headers=sent, timeout=10
        )
        assert response.headers["content-type"].startswith("application/json")
        template = template_for(method, path)
        if template is not None:
            assert_matches_contract(method, template, response.status_code, response.json())
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def query(self, object: str = "people", **body: Any) -> list[dict[str, Any]]:
        """Query records and return ``data``, asserting a 200."""
        response = self.post(f"/v2/objects/{object}/records/query", json=body)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data


@pytest.fixture(scope="session")
def _shared_emulator() -> Iterator[AttioEmulator]:
    with AttioEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
def emu(_shared_emulator: AttioEmulator) -> AttioEmulator:
    """The session's emulator, reset to a fresh state (starting one per test costs ~0.2 s)."""
    _shared_emulator.reset()
    return _shared_emulator


@pytest.fixture
def api(emu: AttioEmulator) -> Api:
    return Api(emu.base_url)


def record_id(record: dict[str, Any]) -> str:
    return str(record["id"]["record_id"])

"""What Attio says of the token (``GET /v2/self``), and the connection test's verdict on it."""

from __future__ import annotations

from typing import Any

from airflow_provider_attio.core.answers import not_attio
from airflow_provider_attio.core.calls import ApiRequest, api_path
from airflow_provider_attio.core.procedure import Procedure
from airflow_provider_attio.core.scopes import judge_deletes, missing_scopes


def identify() -> Procedure[dict[str, Any]]:
    """What Attio says of the token: ``GET /v2/self``'s JSON (``active``, ``scope``, the workspace)."""
    request = ApiRequest("GET", api_path("self"))
    answer = yield request
    if answer.not_found:
        raise not_attio(answer, request)
    return answer.json_object(request)


def judge_self(body: dict[str, Any]) -> tuple[bool, str]:
    """A connection test's verdict from ``/v2/self``: active, and granted the scopes the provider needs."""
    if not body.get("active"):
        return (
            False,
            "The token is inactive (revoked, expired or invalid): Attio's /v2/self says active=false.",
        )
    workspace = body.get("workspace_name") or body.get("workspace_slug") or body.get("workspace_id")
    missing = missing_scopes(str(body.get("scope") or ""))
    deletes = judge_deletes(body)
    if missing:
        return False, (
            f"Connected to Attio workspace {workspace!r}.{deletes} The token lacks the scopes "
            f"{', '.join(missing)} that the provider needs."
        )
    return True, (
        f"Connected to Attio workspace {workspace!r}; the token has the scopes the provider needs.{deletes}"
    )

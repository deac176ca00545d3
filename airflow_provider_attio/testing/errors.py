"""Attio's error answers: a flat body of four fields, no envelope."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ApiError(ValueError):
    """An error in Attio's flat format (``status_code``, ``type``, ``code``, ``message``).

    The HTTP app turns it into a response; the emulator's Python helpers let it propagate, so a
    helper called with a missing object fails with the message Attio would have given.
    """

    def __init__(self, status: int, type_: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """Return the JSON body Attio sends for this error."""
        return {"status_code": self.status, "type": self.type, "code": self.code, "message": self.message}


def not_found(message: str, code: str = "not_found") -> ApiError:
    """Build the 404 Attio gives for a missing object, record, list or entry."""
    return ApiError(404, "invalid_request_error", code, message)


def validation_error(message: str, code: str = "validation_type") -> ApiError:
    """Build a 400 for a request body Attio would refuse."""
    return ApiError(400, "invalid_request_error", code, message)


def filter_error(message: str) -> ApiError:
    """Build the 400 ``filter_error`` of a query whose filter or sorts can't be evaluated."""
    return ApiError(400, "invalid_request_error", "filter_error", message)


# What an injected fault answers when the test names only a status.
_FAULT_DEFAULTS: dict[int, tuple[str, str, str]] = {
    400: ("invalid_request_error", "validation_type", "Body payload validation error."),
    401: ("auth_error", "unauthorized", "The access token is invalid, expired or revoked."),
    403: ("auth_error", "unauthorized", "You do not have the necessary permissions to perform this action."),
    404: ("invalid_request_error", "not_found", "The requested resource was not found."),
    409: ("invalid_request_error", "conflict", "The request conflicts with the current state."),
    429: ("rate_limit_error", "rate_limit_exceeded", "Rate limit exceeded, please try again later"),
    500: ("api_error", "internal_server_error", "An unexpected error occurred."),
    502: ("api_error", "bad_gateway", "Bad gateway, please try again later."),
    503: ("api_error", "service_unavailable", "Service temporarily unavailable, please try again later."),
    504: ("api_error", "gateway_timeout", "Gateway timeout, please try again later."),
}


def fault_error(status: int, code: str | None = None) -> ApiError:
    """Build the error an injected fault answers with: Attio's body for ``status``, or ``code``."""
    if status in _FAULT_DEFAULTS:
        type_, default_code, message = _FAULT_DEFAULTS[status]
    else:
        phrase = HTTPStatus(status).phrase
        type_ = "api_error" if status >= 500 else "invalid_request_error"
        default_code = phrase.lower().replace(" ", "_").replace("-", "_")
        message = f"{phrase}."
    return ApiError(status, type_, code or default_code, message)


def rate_limited() -> ApiError:
    """Build Attio's 429 body."""
    return fault_error(429)

"""Checks of user input, run before anything is sent to Attio.

Every check raises :class:`AttioValidationError` naming the field and the bad value (shortened), never
the token. Patterns are matched whole (``fullmatch``): a trailing newline is not a valid id or slug.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from airflow_provider_attio.exceptions import AttioValidationError

WaitFor = Literal["present", "absent"]

UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
SLUG_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,127}")
#: What a token may hold: printable ASCII without spaces (an HTTP header value, sent as ``Bearer <token>``).
TOKEN_PATTERN = re.compile(r"[\x21-\x7e]+")


def shorten(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate_object(value: Any, field_name: str = "object") -> str:
    """Return ``value`` if it is an Attio object UUID or snake_case api slug, else raise.

    :param value: the object as given by the user (``people``, ``companies``, a custom slug or a UUID).
    :param field_name: the argument's name, used in the error message.
    """
    if isinstance(value, str) and (SLUG_PATTERN.fullmatch(value) or UUID_PATTERN.fullmatch(value)):
        return value
    raise AttioValidationError(
        f"{field_name} must be an Attio object api slug in snake_case (e.g. 'people', 'companies') "
        f"or an object UUID; got {shorten(value)}."
    )


def validate_record_id(value: Any, field_name: str = "record_id") -> str:
    """Return ``value`` (lower-cased) if it is a UUID, else raise :class:`AttioValidationError`.

    :param value: the record id as given by the user.
    :param field_name: the argument's name, used in the error message.
    """
    if isinstance(value, str) and UUID_PATTERN.fullmatch(value):
        return value.lower()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise AttioValidationError(
        f"{field_name} must be an Attio record id, a UUID like "
        f"'891dcbfc-9141-415d-9b2a-2238a6cc012d'; got {shorten(value)}."
    )


def validate_wait_for(value: Any) -> WaitFor:
    """Return ``value`` if it is ``"present"`` or ``"absent"``, else raise."""
    if value in ("present", "absent"):
        return value
    raise AttioValidationError(f"wait_for must be 'present' or 'absent'; got {shorten(value)}.")


def validate_filter(filter: Any, field_name: str = "filter") -> None:
    """Raise :class:`AttioValidationError` unless ``filter`` is ``None`` or a dict Attio can read as JSON.

    :param filter: an Attio query filter.
    :param field_name: the argument's name, used in the error message.
    """
    if filter is None:
        return
    if not isinstance(filter, Mapping):
        raise AttioValidationError(
            f"{field_name} must be an Attio query filter (a dict such as {{'name': 'Ada'}}); "
            f"got {shorten(filter)}."
        )
    where = _non_finite_number(filter, field_name)
    if where is not None:
        raise AttioValidationError(
            f"{where} is not a finite number (NaN or infinity), which JSON cannot carry; use a real bound."
        )
    try:
        json.dumps(filter, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise AttioValidationError(f"{field_name} must be JSON-serializable: {err}.") from None


def validate_sorts(sorts: Any) -> None:
    """Raise unless ``sorts`` is ``None`` or a list of Attio sort objects (dicts)."""
    if sorts is not None and not (
        isinstance(sorts, (list, tuple)) and all(isinstance(s, Mapping) for s in sorts)
    ):
        raise AttioValidationError(f"sorts must be a list of Attio sort objects; got {shorten(sorts)}.")


def validate_positive_int(value: Any, field_name: str) -> int:
    """Return ``value`` if it is a positive integer (not a bool), else raise naming ``field_name``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AttioValidationError(f"{field_name} must be a positive integer; got {shorten(value)}.")
    return value


def _non_finite_number(value: Any, where: str) -> str | None:
    """The path (``filter['age']['$gt']``) of the first NaN or infinity inside ``value``, if any."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, Mapping):
        items: Any = ((f"{where}[{key!r}]", item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{where}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for path, item in items:
        found = _non_finite_number(item, path)
        if found is not None:
            return found
    return None


def validate_token(token: Any) -> str:
    """Return the connection's token without surrounding whitespace, or raise; the token is never echoed.

    :param token: the connection's password.
    """
    text = token.strip() if isinstance(token, str) else ""
    if not text:
        raise AttioValidationError(
            "The Attio connection has no token: set its password to an Attio API key or access token."
        )
    if not TOKEN_PATTERN.fullmatch(text):
        raise AttioValidationError(
            "The Attio connection's token (its password) holds spaces, control or non-ASCII characters "
            "inside it; paste the API key again, exactly as Attio shows it (the token is not shown here)."
        )
    return text


def check_finite_number(value: Any, field_name: str, *, integer: bool = False, maximum: float) -> float:
    """Return ``value`` as a number if it is finite, non-negative and at most ``maximum``, else raise.

    :param value: the raw value (a number or a numeric string, as connection extras come).
    :param field_name: the setting's name, used in the error message.
    :param integer: whether it must be a whole number.
    :param maximum: the largest accepted value.
    """
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number) or number < 0 or number > maximum or (integer and number != int(number)):
        kind = "a non-negative integer" if integer else "a non-negative number of seconds"
        raise AttioValidationError(
            f"The connection's extra {field_name!r} must be {kind}, finite and at most {maximum:g}; "
            f"got {shorten(value)}."
        )
    return number

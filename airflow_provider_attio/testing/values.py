"""The emulator's richer attribute types: each one's write forms, checked as Attio checks them, and the
read form Attio returns.

Timestamps, ratings, select options, statuses, record references, locations and phone numbers are
written by clients; actor references and interactions are Attio's own (an object may still hold them, so
the Python helpers can set them, but the HTTP API refuses writes to them unless the attribute is
writable). The basic types (text, number, checkbox, currency, date, personal name, email, domain) are in
``state.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_attio.testing.errors import ApiError

if TYPE_CHECKING:
    from airflow_provider_attio.testing.state import Attribute

#: The types this module renders.
RICH_TYPES = frozenset(
    {
        "timestamp",
        "rating",
        "select",
        "status",
        "record-reference",
        "location",
        "phone-number",
        "actor-reference",
        "interaction",
    }
)
#: Types whose values Attio writes itself: an attribute of these types is read-only unless said otherwise.
READ_ONLY_TYPES = frozenset({"actor-reference", "interaction"})

LOCATION_FIELDS = (
    "line_1",
    "line_2",
    "line_3",
    "line_4",
    "locality",
    "region",
    "postcode",
    "country_code",
    "latitude",
    "longitude",
)
_LATITUDE = re.compile(r"^[-+]?([1-8]?\d(\.\d+)?|90(\.0+)?)$")
_LONGITUDE = re.compile(r"^[-+]?(180(\.0+)?|((1[0-7]\d)|([1-9]?\d))(\.\d+)?)$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
#: Calling codes of the countries whose local numbers (no ``+`` prefix) the emulator can place.
CALLING_CODES = {
    "US": "1",
    "GB": "44",
    "FR": "33",
    "DE": "49",
    "ES": "34",
    "IT": "39",
    "NL": "31",
    "IE": "353",
    "JP": "81",
    "IN": "91",
    "AU": "61",
    "BR": "55",
}
ACTOR_TYPES = ("api-token", "workspace-member", "system", "app")
INTERACTION_TYPES = ("calendar-event", "call", "chat-thread", "email", "in-person-meeting", "meeting")
_TIMESTAMP = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)

Bad = Callable[..., ApiError]


class ValueContext(Protocol):
    """What rendering a value needs to know of the workspace (the caller holds its lock)."""

    def option(self, attribute: Attribute, ref: str) -> dict[str, Any] | None:
        """The body of the attribute's live (not archived) option or status titled or identified ``ref``."""
        ...

    def reference(self, object_ref: str, record_id: str) -> tuple[str, str] | None:
        """The object's api slug and the record's canonical id, when that record exists."""
        ...


def timestamp(text: Any) -> str | None:
    """``text`` as Attio returns a timestamp (UTC, nine fraction digits, ``Z``), or None if unreadable.

    Attio fills what is missing: ``"2023"`` is ``2023-01-01T00:00:00.000000000Z``; a zone is applied.
    """
    match = _TIMESTAMP.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=_zone(zone),
        ).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + (fraction or "").ljust(9, "0") + "Z"


def _zone(zone: str | None) -> timezone:
    if not zone or zone == "Z":
        return timezone.utc
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(offset if zone[0] == "+" else -offset)


def rich_value_fields(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
    """The type-specific fields of one value of a rich type, or raise Attio's 400 (``bad``)."""
    return _RENDERERS[attribute.type](attribute, raw, context, bad)


def _field(raw: Any, key: str, bad: Bad, expected: str) -> Any:
    if isinstance(raw, dict):
        if key not in raw:
            raise bad(f'an object with "{key}"')
        return raw[key]
    if isinstance(raw, str):
        return raw
    raise bad(expected)


def _timestamp(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
    value = timestamp(_field(raw, "value", bad, "an ISO 8601 timestamp"))
    if value is None:
        raise bad("an ISO 8601 timestamp such as 2023-01-02T13:00:00Z")
    return {"value": value}


def _rating(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
    value = raw.get("value") if isinstance(raw, dict) else raw
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 5:
        raise bad("a number from 0 to 5")
    return {"value": value}


def _choice(key: str) -> Callable[[Attribute, Any, ValueContext, Bad], dict[str, Any]]:
    def render(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
        ref = _field(raw, key, bad, f"a {key} title or id")
        body = context.option(attribute, ref) if isinstance(ref, str) and ref else None
        if body is None:
            kind = "select option" if key == "option" else "status"
            raise bad(f'an existing {kind}; found none titled or identified "{ref}"', code="value_not_found")
        return {key: body}

    return render


def _reference(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) != {"target_object", "target_record_id"}:
        raise bad('an object with "target_object" and "target_record_id"')
    target, record_id = raw["target_object"], raw["target_record_id"]
    found = (
        context.reference(target, record_id)
        if isinstance(target, str) and isinstance(record_id, str)
        else None
    )
    if found is None:
        raise bad(
            f'a record that exists; record "{record_id}" of "{target}" does not', code="value_not_found"
        )
    if attribute.target_objects and found[0] not in attribute.target_objects:
        raise bad(f"a record of {', '.join(attribute.target_objects)}")
    return {"target_object": found[0], "target_record_id": found[1]}


def _location(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw or not set(raw) <= set(LOCATION_FIELDS):
        raise bad(f"an object with some of {', '.join(LOCATION_FIELDS)}")
    fields = {name: raw.get(name) for name in LOCATION_FIELDS}
    if not all(value is None or isinstance(value, str) for value in fields.values()):
        raise bad("strings (or null) in every field")
    checks = (("country_code", _COUNTRY), ("latitude", _LATITUDE), ("longitude", _LONGITUDE))
    for name, pattern in checks:
        value = fields[name]
        if value is not None and not pattern.match(value):
            raise bad(f"a valid {name}")
    return fields


def _phone(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
    if isinstance(raw, dict) and not set(raw) <= {"original_phone_number", "country_code"}:
        raise bad('an object with "original_phone_number" and an optional "country_code"')
    original = _field(raw, "original_phone_number", bad, "a phone number")
    country = raw.get("country_code") if isinstance(raw, dict) else None
    digits = re.sub(r"\D", "", original) if isinstance(original, str) else ""
    if len(digits) < 5 or re.search(r"[^\d\s()+.-]", original) or (country and not _COUNTRY.match(country)):
        raise bad("a phone number, with a country code prefix (+44...) or a country_code")
    if original.strip().startswith("+"):
        number = "+" + digits
        country = country or _country_of(digits)
    elif country in CALLING_CODES:
        number = "+" + CALLING_CODES[country] + digits.lstrip("0")
    else:
        raise bad(f"a +prefixed number, or a country_code among {', '.join(CALLING_CODES)}")
    if country is None:
        raise bad("a country_code for this number")
    return {"original_phone_number": original, "country_code": country, "phone_number": number}


def _country_of(digits: str) -> str | None:
    for length in (3, 2, 1):
        for country, code in CALLING_CODES.items():
            if len(code) == length and digits.startswith(code):
                return country
    return None


def _actor(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
    kind = raw.get("referenced_actor_type") if isinstance(raw, dict) else None
    actor_id = raw.get("referenced_actor_id") if isinstance(raw, dict) else None
    if kind not in ACTOR_TYPES or not (actor_id is None or isinstance(actor_id, str)):
        raise bad('an object with "referenced_actor_type" and "referenced_actor_id"')
    return {"referenced_actor_type": kind, "referenced_actor_id": actor_id}


def _interaction(attribute: Attribute, raw: Any, context: ValueContext, bad: Bad) -> dict[str, Any]:
    kind = raw.get("interaction_type") if isinstance(raw, dict) else None
    when = timestamp(raw.get("interacted_at")) if isinstance(raw, dict) else None
    owner = raw.get("owner_actor") if isinstance(raw, dict) else None
    if kind not in INTERACTION_TYPES or when is None or not isinstance(owner, dict):
        raise bad('an object with "interaction_type", "interacted_at" and "owner_actor"')
    return {
        "interaction_type": kind,
        "interacted_at": when,
        "owner_actor": {"type": owner.get("type"), "id": owner.get("id")},
    }


_RENDERERS: dict[str, Callable[[Attribute, Any, ValueContext, Bad], dict[str, Any]]] = {
    "timestamp": _timestamp,
    "rating": _rating,
    "select": _choice("option"),
    "status": _choice("status"),
    "record-reference": _reference,
    "location": _location,
    "phone-number": _phone,
    "actor-reference": _actor,
    "interaction": _interaction,
}

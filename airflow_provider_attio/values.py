"""Attio's record values, read and written: a record as ``GET`` returns it turned into what a create takes.

Attio reads every value wrapped (``active_from``, ``active_until``, ``created_by_actor``,
``attribute_type`` and the type's fields) and takes a shorter form on write, type by type (its
"attribute types" pages): an email address is read with its domain and local part and written as
``{"email_address": ...}``, a select option is read as the option and written as its id, and so on. A
restore writes only current values (``active_until`` null) of attributes the API may write; what it
can't write is said, attribute by attribute, never dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Types whose values Attio sets itself (a record's last interactions): never written. Actor references
#: are written only by Attio too (``created_by``), or name a workspace member (an owner): not restored.
READ_ONLY_TYPES = frozenset({"interaction"})
#: Attributes the API can't set, whatever Attio's attribute list says (attio-api.md: ``avatar_url``).
NEVER_WRITTEN = frozenset({"avatar_url"})
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
#: The field a query's shorthand equality compares, for the types a lookup may filter on.
FILTER_FIELD = {
    "text": "value",
    "number": "value",
    "checkbox": "value",
    "date": "value",
    "timestamp": "value",
    "rating": "value",
    "currency": "currency_value",
    "email-address": "email_address",
    "domain": "domain",
    "personal-name": "full_name",
}
#: At most this many attributes in a lookup by values (the rest is compared on the records it finds).
LOOKUP_ATTRIBUTES = 3

WriteValues = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class AttributeSpec:
    """What a restore needs to know of one attribute (from ``GET /v2/objects/{object}/attributes``).

    :param slug: its api slug.
    :param type: its Attio type (``text``, ``select``, ``record-reference``...).
    :param multiselect: it holds several values.
    :param unique: no two records may share one of its values.
    :param writable: the API may write it (Attio's ``is_writable``, not archived, not a read-only type).
    :param choices: a select's or status's live option ids (``None`` for other types).
    :param why_not: why a restore doesn't write it (``None`` when it does).
    """

    slug: str
    type: str
    multiselect: bool = False
    unique: bool = False
    writable: bool = True
    choices: frozenset[str] | None = None
    why_not: str | None = None

    @classmethod
    def of(
        cls, attribute: Mapping[str, Any], choices: Iterable[Mapping[str, Any]] | None = None
    ) -> AttributeSpec:
        """The spec of an attribute as Attio lists it, with the live options of a select or status."""
        slug, kind = str(attribute.get("api_slug")), str(attribute.get("type"))
        why_not = _why_not(attribute, slug, kind)
        return cls(
            slug,
            kind,
            multiselect=attribute.get("is_multiselect") is True,
            unique=attribute.get("is_unique") is True,
            writable=why_not is None,
            choices=None if choices is None else frozenset(filter(None, map(choice_id, choices))),
            why_not=why_not,
        )


def _why_not(attribute: Mapping[str, Any], slug: str, kind: str) -> str | None:
    """Why a restore doesn't write an attribute, or ``None`` when it does."""
    if attribute.get("is_archived"):
        return "the attribute is archived"
    if slug in NEVER_WRITTEN:
        return "the API can't set it"
    if attribute.get("is_writable") is not True or kind in READ_ONLY_TYPES:
        return f"Attio sets it ({kind}, read-only)"
    if kind == "actor-reference":
        # Writable (an owner), as a workspace member's id; the member may have left the workspace since,
        # and a create naming one fails whole: the record comes back without it, to be set by hand.
        return (
            "an actor reference (a workspace member, such as an owner) is not restored: set it again in Attio"
        )
    return None


def choice_id(choice: Any) -> str | None:
    """A select option's or a status's id: from the option (or status) object, or the id itself."""
    if isinstance(choice, str):
        return choice
    ids = choice.get("id") if isinstance(choice, Mapping) else None
    found = ids.get("option_id") or ids.get("status_id") if isinstance(ids, Mapping) else None
    return str(found) if found else None


def current(values: Any) -> list[dict[str, Any]]:
    """An attribute's current values: those Attio hasn't ended (``active_until`` null)."""
    items = values if isinstance(values, list) else []
    return [v for v in items if isinstance(v, dict) and v.get("active_until") is None]


def _fields(*names: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def write(value: Mapping[str, Any]) -> dict[str, Any]:
        return {name: value[name] for name in names}

    return write


def _some(*names: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def write(value: Mapping[str, Any]) -> dict[str, Any]:
        return {name: value.get(name) for name in names}

    return write


_WRITERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "text": _fields("value"),
    "number": _fields("value"),
    "checkbox": _fields("value"),
    "date": _fields("value"),
    "timestamp": _fields("value"),
    "rating": _fields("value"),
    "currency": _fields("currency_value"),  # the code is the attribute's own (its config)
    "domain": _fields("domain"),
    "email-address": lambda v: {"email_address": v.get("original_email_address") or v["email_address"]},
    "personal-name": _some("first_name", "last_name", "full_name"),
    "phone-number": lambda v: {
        "original_phone_number": v["original_phone_number"],
        "country_code": v.get("country_code"),
    },
    "location": _some(*LOCATION_FIELDS),
    "record-reference": _fields("target_object", "target_record_id"),
    "select": lambda v: {"option": _required(choice_id(v["option"]))},
    "status": lambda v: {"status": _required(choice_id(v["status"]))},
}


def _required(value: str | None) -> str:
    if value is None:
        raise KeyError("id")
    return value


def write_form(value: Mapping[str, Any], type: str) -> dict[str, Any] | None:
    """One read value in the write format of its type; ``None`` when the type is not written (actor
    references, interactions, types this provider doesn't know) or the value lacks its fields."""
    writer = _WRITERS.get(type)
    try:
        return writer(value) if writer is not None else None
    except (KeyError, TypeError, AttributeError):
        return None


@dataclass
class Writable:
    """What a record's values come to on write.

    :param values: ``{slug: [write-form values]}``, each attribute's current values.
    :param not_written: ``{slug: why}`` for the attributes whose values (some or all) can't be written.
    """

    values: WriteValues
    not_written: dict[str, str]


def writable_values(record: Mapping[str, Any], specs: Mapping[str, AttributeSpec]) -> Writable:
    """The values of an archived record that a create can write, and what it can't, attribute by attribute.

    :param record: the record as ``GET`` returned it.
    :param specs: the object's attributes now, by slug.
    """
    result = Writable({}, {})
    raw = record.get("values")
    for slug, values in (raw if isinstance(raw, Mapping) else {}).items():
        items = current(values)
        if not items:
            continue
        spec = specs.get(slug)
        why = _unwritable(spec)
        if why is not None:
            result.not_written[slug] = why
            continue
        assert spec is not None
        written, why = _write_items(items, spec)
        if written:
            result.values[slug] = written
        if why is not None:
            result.not_written[slug] = why
    return result


def _unwritable(spec: AttributeSpec | None) -> str | None:
    if spec is None:
        return "the attribute no longer exists (or is archived)"
    if not spec.writable:
        return spec.why_not or f"Attio sets it ({spec.type}, read-only)"
    return None


def _write_items(items: list[dict[str, Any]], spec: AttributeSpec) -> tuple[list[dict[str, Any]], str | None]:
    written: list[dict[str, Any]] = []
    why: str | None = None
    for item in items if spec.multiselect else items[:1]:
        value = write_form(item, spec.type)
        if value is None:
            why = f"a value Attio can't take back as {spec.type}"
        elif spec.choices is not None and choice_id(next(iter(value.values()))) not in spec.choices:
            why = "an option (or status) that no longer exists or is archived"
        else:
            written.append(value)
    return written, why


def references(values: WriteValues, specs: Mapping[str, AttributeSpec]) -> Iterable[tuple[str, str, str]]:
    """The record references among write values: ``(slug, target object, target record id)``."""
    for slug, items in values.items():
        spec = specs.get(slug)
        if spec is not None and spec.type == "record-reference":
            for item in items:
                yield slug, str(item["target_object"]), str(item["target_record_id"]).lower()


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.lower() if len(value) == 36 and value.count("-") == 4 else value
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    return value


def same_values(record: Mapping[str, Any], values: WriteValues, specs: Mapping[str, AttributeSpec]) -> bool:
    """Whether a record's current values are exactly ``values`` (written as they were), attribute by
    attribute: how a record found after a lost answer is told from someone else's."""
    found = writable_values(record, specs).values
    for slug, items in values.items():
        mine = sorted(json.dumps(_canonical(v), sort_keys=True) for v in items)
        theirs = sorted(json.dumps(_canonical(v), sort_keys=True) for v in found.get(slug, []))
        if mine != theirs:
            return False
    return True


def lookup_filter(values: WriteValues, specs: Mapping[str, AttributeSpec], *, unique_only: bool) -> Any:
    """A query filter that finds a record holding ``values``: by its first unique attribute, or else by
    up to :data:`LOOKUP_ATTRIBUTES` filterable ones (``None`` when none is filterable).

    :param unique_only: only a unique attribute will do (to find the record a conflict names).
    """
    usable = [
        (slug, items[0])
        for slug, items in values.items()
        if items and items[0].get(FILTER_FIELD.get(specs[slug].type, "")) is not None
    ]
    unique = [(slug, item) for slug, item in usable if specs[slug].unique]
    chosen = unique[:1] or ([] if unique_only else usable[:LOOKUP_ATTRIBUTES])
    if not chosen:
        return None
    parts = [{slug: item[FILTER_FIELD[specs[slug].type]]} for slug, item in chosen]
    return parts[0] if len(parts) == 1 else {"$and": parts}

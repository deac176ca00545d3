"""Attio's query filters and sorts, compiled once per query into plain Python functions.

Supported, on the emulator's attribute types:

- shorthand equality ``{"name": "Ada Lovelace"}`` (compares the value's main field: ``value``,
  ``full_name``, ``email_address``, ``domain``, ``currency_value``; a select option's or a status's
  title, a reference's ``target_record_id``, a location's ``locality``, a phone's ``phone_number``);
- operators ``{"employee_count": {"$gte": 10, "$lt": 50}}``: ``$eq``, ``$in``, ``$not_empty``,
  ``$contains``/``$starts_with``/``$ends_with`` (text fields, case-insensitive) and
  ``$gt``/``$gte``/``$lt``/``$lte`` (numbers and dates);
- a named field: ``{"name": {"last_name": {"$eq": "Lovelace"}}}``,
  ``{"email_addresses": {"email_domain": "x.com"}}``;
- ``$and``, ``$or`` (lists of filters) and ``$not`` (a filter); several keys in one object all apply;
- the record's own id, as Attio's guide shows: ``{"record_id": "<uuid>"}``,
  ``{"record_id": {"$eq": "<uuid>"}}`` and ``{"record_id": {"$in": ["<uuid>", ...]}}`` (one query checks
  which of many records exist).

A multi-value attribute matches when any of its values does. Anything else is refused with Attio's
400 ``filter_error`` and a message that says what was wrong, rather than being silently ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_attio.testing.errors import filter_error

if TYPE_CHECKING:
    from airflow_provider_attio.testing.state import Attribute

Values = Mapping[str, list[dict[str, Any]]]  # a record's "values": attribute slug -> value objects
Record = Mapping[str, Any]  # a stored record: {"id": {..., "record_id"}, "values": Values, ...}
Predicate = Callable[[Record], bool]

#: The filter key that names the record's own id rather than an attribute.
RECORD_ID = "record_id"

#: Attribute types the emulator understands, with the field a filter or sort uses by default.
PRIMARY_FIELD: dict[str, str] = {
    "text": "value",
    "number": "value",
    "checkbox": "value",
    "currency": "currency_value",
    "date": "value",
    "personal-name": "full_name",
    "email-address": "email_address",
    "domain": "domain",
    "timestamp": "value",
    "rating": "value",
    "select": "option",
    "status": "status",
    "record-reference": "target_record_id",
    "location": "locality",
    "phone-number": "phone_number",
    "actor-reference": "referenced_actor_id",
    "interaction": "interacted_at",
}

# The fields of each type's values that a filter or sort may name.
_FIELDS: dict[str, tuple[str, ...]] = {
    "currency": ("currency_value", "currency_code"),
    "personal-name": ("first_name", "last_name", "full_name"),
    "email-address": (
        "email_address",
        "original_email_address",
        "email_domain",
        "email_root_domain",
        "email_local_specifier",
    ),
    "domain": ("domain", "root_domain"),
    "select": ("option",),
    "status": ("status",),
    "record-reference": ("target_object", "target_record_id"),
    "location": ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode", "country_code"),
    "phone-number": ("phone_number", "original_phone_number", "country_code"),
    "actor-reference": ("referenced_actor_type", "referenced_actor_id"),
    "interaction": ("interaction_type", "interacted_at"),
}

# Emails and domains are stored lowercase, so compare them case-insensitively.
_CASELESS_TYPES = frozenset({"email-address", "domain"})


def _kind(attribute: Attribute, field: str) -> str:
    """Return what a field holds: "number", "bool", "date" or "text"."""
    if (attribute.type in ("number", "rating") and field == "value") or field == "currency_value":
        return "number"
    if attribute.type == "checkbox":
        return "bool"
    if attribute.type in ("date", "timestamp") or field == "interacted_at":
        return "date"
    return "text"


def _plain(value: Any) -> Any:
    """A field's value as filters and sorts compare it: a select option or a status by its title."""
    return value.get("title") if isinstance(value, dict) else value


_OPERATORS_BY_KIND: dict[str, frozenset[str]] = {
    "text": frozenset({"$eq", "$in", "$not_empty", "$contains", "$starts_with", "$ends_with"}),
    "number": frozenset({"$eq", "$in", "$not_empty", "$gt", "$gte", "$lt", "$lte"}),
    "date": frozenset({"$eq", "$in", "$not_empty", "$gt", "$gte", "$lt", "$lte"}),
    "bool": frozenset({"$eq", "$not_empty"}),
}


def compile_filter(spec: Any, attributes: Mapping[str, Attribute]) -> Predicate:
    """Compile an Attio filter into a predicate on a stored record, or raise a ``filter_error``.

    :param spec: the ``filter`` of the query body; ``{}`` matches every record.
    :param attributes: the queried object's attributes, by slug.
    """
    if not isinstance(spec, dict):
        raise filter_error(f"A filter must be a JSON object, got {type(spec).__name__}.")
    predicates: list[Predicate] = []
    for key, condition in spec.items():
        if key in ("$and", "$or"):
            if not isinstance(condition, list) or not all(isinstance(c, dict) for c in condition):
                raise filter_error(f'"{key}" expects a list of filter objects.')
            parts = [compile_filter(c, attributes) for c in condition]
            predicates.append(_all_of(parts) if key == "$and" else _any_of(parts))
        elif key == "$not":
            predicates.append(_negation(compile_filter(condition, attributes)))
        elif key.startswith("$"):
            raise filter_error(
                f'Unknown filter operator "{key}" here: use "$and", "$or", "$not" or an attribute slug.'
            )
        elif key == RECORD_ID and key not in attributes:
            predicates.append(_compile_record_id(condition))
        elif key not in attributes:
            known = ", ".join(sorted(attributes))
            raise filter_error(
                f'Unknown attribute "{key}" in filter. This object\'s attributes are: {known}.'
            )
        else:
            predicates.append(_compile_attribute(attributes[key], condition))
    return predicates[0] if len(predicates) == 1 else _all_of(predicates)


def _all_of(predicates: list[Predicate]) -> Predicate:
    return lambda record: all(p(record) for p in predicates)


def _any_of(predicates: list[Predicate]) -> Predicate:
    return lambda record: any(p(record) for p in predicates)


def _negation(predicate: Predicate) -> Predicate:
    return lambda record: not predicate(record)


def _record_id_operand(value: Any) -> str:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else ""
    except ValueError:
        return ""


def _compile_record_id(condition: Any) -> Predicate:
    """``record_id`` shorthand, ``$eq`` or ``$in``: the record's own id, compared as a UUID."""
    operators = condition if isinstance(condition, dict) else {"$eq": condition}
    if not operators or set(operators) - {"$eq", "$in"}:
        raise filter_error(f'"{RECORD_ID}" supports "$eq" and "$in" with record UUIDs; got {condition!r}.')
    wanted: set[str] | None = None
    for operator, value in operators.items():
        values = value if operator == "$in" else [value]
        if not isinstance(values, list):
            raise filter_error(f'"$in" on "{RECORD_ID}" expects a list of record UUIDs.')
        ids = {_record_id_operand(v) for v in values}
        if "" in ids:
            bad = next(v for v in values if not _record_id_operand(v))
            raise filter_error(f'"{operator}" on "{RECORD_ID}" expects record UUIDs, got {bad!r}.')
        wanted = ids if wanted is None else wanted & ids
    chosen = frozenset(wanted or ())
    return lambda record: record["id"]["record_id"] in chosen


def _compile_attribute(attribute: Attribute, condition: Any) -> Predicate:
    primary = PRIMARY_FIELD[attribute.type]
    if not isinstance(condition, dict):
        return _compile_operators(attribute, primary, {"$eq": condition})
    if not condition:
        raise filter_error(f'Empty condition for attribute "{attribute.api_slug}".')
    if all(k.startswith("$") for k in condition):
        return _compile_operators(attribute, primary, condition)
    if any(k.startswith("$") for k in condition):
        raise filter_error(
            f'Condition on "{attribute.api_slug}" mixes operators and field names; nest one inside the other.'
        )
    fields = _FIELDS.get(attribute.type, ("value",))
    parts: list[Predicate] = []
    for field, sub in condition.items():
        if field not in fields:
            raise filter_error(
                f'Attribute "{attribute.api_slug}" ({attribute.type}) has no field "{field}"; '
                f"its fields are: {', '.join(fields)}."
            )
        operators = sub if isinstance(sub, dict) else {"$eq": sub}
        parts.append(_compile_operators(attribute, field, operators))
    return _all_of(parts)


def _compile_operators(attribute: Attribute, field: str, operators: dict[str, Any]) -> Predicate:
    slug = attribute.api_slug
    kind = _kind(attribute, field)
    caseless = attribute.type in _CASELESS_TYPES

    def values(record: Record) -> list[Any]:
        return [_plain(v.get(field)) for v in record["values"].get(slug, ()) if v.get(field) is not None]

    def operand(operator: str, value: Any) -> Any:
        """Check an operand's type against the field and normalize it for comparison."""
        expected = {"number": (int, float), "bool": (bool,), "date": (str,), "text": (str,)}[kind]
        if not isinstance(value, expected) or (kind == "number" and isinstance(value, bool)):
            raise filter_error(
                f'"{operator}" on {attribute.type} attribute "{slug}" expects a {kind} value, got {value!r}.'
            )
        return value.lower() if caseless and isinstance(value, str) else value

    def any_value(test: Callable[[Any], bool]) -> Predicate:
        if caseless:
            return lambda r: any(test(v.lower() if isinstance(v, str) else v) for v in values(r))
        return lambda r: any(test(v) for v in values(r))

    parts: list[Predicate] = []
    for operator, value in operators.items():
        if operator not in _OPERATORS_BY_KIND[kind]:
            known = ", ".join(sorted(_OPERATORS_BY_KIND[kind]))
            raise filter_error(
                f'Operator "{operator}" is not supported on {attribute.type} attribute "{slug}" '
                f'(field "{field}"); use one of: {known}.'
            )
        if operator == "$not_empty":
            if not isinstance(value, bool):
                raise filter_error('"$not_empty" expects true or false.')
            present = any_value(lambda v: True)
            parts.append(present if value else _negation(present))
        elif operator == "$in":
            if not isinstance(value, list):
                raise filter_error(f'"$in" on "{slug}" expects a list of values.')
            parts.append(any_value({operand(operator, v) for v in value}.__contains__))
        elif operator in ("$contains", "$starts_with", "$ends_with"):
            # Always case-insensitive, whatever the type.
            parts.append(any_value(partial(_TESTS[operator], operand(operator, value).lower())))
        else:
            parts.append(any_value(partial(_TESTS[operator], operand(operator, value))))
    return _all_of(parts)


# operator -> test(operand, value); each value of the attribute is tested until one passes.
_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda operand, value: value == operand,
    "$gt": lambda operand, value: value > operand,
    "$gte": lambda operand, value: value >= operand,
    "$lt": lambda operand, value: value < operand,
    "$lte": lambda operand, value: value <= operand,
    "$contains": lambda operand, value: operand in str(value).lower(),
    "$starts_with": lambda operand, value: str(value).lower().startswith(operand),
    "$ends_with": lambda operand, value: str(value).lower().endswith(operand),
}


def compile_sorts(
    sorts: Any, attributes: Mapping[str, Attribute]
) -> Callable[[list[Values]], list[int]] | None:
    """Compile Attio's ``sorts`` into a function that orders records; None when there are none.

    The function takes the records' ``values`` and returns their positions in sorted order.

    Each sort is ``{"attribute": slug, "direction": "asc" | "desc", "field"?: name}``; later sorts
    break ties of earlier ones, creation order breaks the rest, and records without a value come last.
    A sort the emulator can't apply is refused with the same 400 ``filter_error`` as a bad filter.
    """
    if sorts is None or sorts == []:
        return None
    if not isinstance(sorts, list):
        raise filter_error('"sorts" must be a list of {"attribute", "direction"} objects.')
    keys: list[tuple[str, str, bool]] = []
    for sort in sorts:
        if not isinstance(sort, dict) or sort.get("direction") not in ("asc", "desc"):
            raise filter_error('Each sort needs "direction": "asc" or "desc", and an "attribute".')
        if "path" in sort:
            raise filter_error('Sorting by "path" is not supported by the emulator; use "attribute".')
        slug = sort.get("attribute")
        if not isinstance(slug, str) or slug not in attributes:
            raise filter_error(f'Cannot sort by unknown attribute "{slug}".')
        attribute = attributes[slug]
        field = sort.get("field", PRIMARY_FIELD[attribute.type])
        if field not in _FIELDS.get(attribute.type, ("value",)):
            raise filter_error(f'Attribute "{slug}" ({attribute.type}) has no field "{field}" to sort by.')
        keys.append((slug, field, sort["direction"] == "desc"))

    def order(records: list[Values]) -> list[int]:
        positions = list(range(len(records)))
        # Python's sort is stable: sorting by the last key first leaves earlier keys in charge.
        for slug, field, descending in reversed(keys):

            def first(position: int, slug: str = slug, field: str = field) -> Any:
                values = records[position].get(slug) or [{}]
                return _plain(values[0].get(field))

            present = [p for p in positions if first(p) is not None]
            absent = [p for p in positions if first(p) is None]
            present.sort(key=first, reverse=descending)
            positions = present + absent
        return positions

    return order

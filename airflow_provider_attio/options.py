"""What a bulk delete is asked to do: its options and its targets, checked before anything is sent.

:class:`BulkDeleteOptions` is the one home of the bulk options: the engine, ``AttioHook.delete_records``
and ``AttioDeleteRecordsOperator`` all take it, and building it is the check (the operator builds it in
``__init__``, so a bad option fails at DAG parse time). The targets (object, ids or filter, archive) may
be templated, so :func:`check_job` checks them when the task runs, before the first request.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from airflow_provider_attio.archive import check_archive_location
from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.kinds import RECORDS, Kind
from airflow_provider_attio.pacing import MIN_PACE
from airflow_provider_attio.policy import IfNotFound, validate_if_not_found
from airflow_provider_attio.runs import check_run
from airflow_provider_attio.validation import shorten, validate_filter, validate_object, validate_record_id

#: Attio's write budget per workspace (requests per second), the default pace.
ATTIO_WRITES_PER_SECOND = 25.0
#: The default safety cap on how many records one run may delete.
DEFAULT_MAX_RECORDS = 10_000
#: The default number of concurrent workers (the hook's connection pool holds 32).
DEFAULT_MAX_CONCURRENCY = 8
MAX_CONCURRENCY_LIMIT = 32
#: Counting matches past ``max_records`` stops at this multiple of it (the error then says "more than").
COUNT_PAST_CAP_FACTOR = 10
#: The default share of a mirror's scope it may delete in one run (a larger share fails the run).
DEFAULT_MAX_DELETE_FRACTION = 0.1


def _check_positive_int(value: Any, name: str, upper: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AttioValidationError(f"{name} must be a positive integer; got {shorten(value)}.")
    if upper is not None and value > upper:
        raise AttioValidationError(f"{name} must be at most {upper}; got {value}.")
    return value


def _check_rate(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise AttioValidationError(
            f"writes_per_second must be a positive number (Attio allows {ATTIO_WRITES_PER_SECOND:g} "
            f"writes/s per workspace) or None for no pacing; got {shorten(value)}."
        )
    if value < MIN_PACE:
        # The pacer never slows below this after a 429 either; far slower paces can't be scheduled.
        raise AttioValidationError(
            f"writes_per_second must be at least {MIN_PACE:g} (one write every {1 / MIN_PACE:g} s), the "
            f"slowest pace the engine keeps; got {shorten(value)}."
        )
    return float(value)


def _check_fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise AttioValidationError(
            f"max_delete_fraction must be a number above 0 and at most 1 (1: no limit); got {shorten(value)}."
        )
    return float(value)


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise AttioValidationError(f"{name} must be True or False; got {shorten(value)}.")
    return value


@dataclass(frozen=True)
class BulkDeleteOptions:
    """How a bulk delete runs; checked when built (docs/operators.md explains each option).

    :param allow_delete_all: allow ``filter={}``, every record of the object.
    :param max_records: safety cap: more targets fail the run before anything is deleted.
    :param dry_run: count and log what would be deleted, delete nothing.
    :param writes_per_second: the pace of DELETEs (Attio allows 25 per workspace); ``None``: unpaced.
    :param max_concurrency: concurrent requests, 1 to 32.
    :param if_not_found: records (or keys) that don't exist: ``"succeed"``, ``"fail"`` or ``"skip"``.
    :param delete_all_matches: delete by key: a key matching several records deletes them all (by default
        such a key fails the run before anything is deleted).
    :param allow_empty_source: mirror: run even when ``keep_values`` is empty.
    :param allow_no_overlap: mirror: run even when no key of ``keep_values`` is held by a record in scope.
    :param max_delete_fraction: mirror: the largest share of the records in scope one run may delete.
    :param delete_keyless: mirror: also delete records in scope that have no value for the key.
    """

    allow_delete_all: bool = False
    max_records: int = DEFAULT_MAX_RECORDS
    dry_run: bool = False
    writes_per_second: float | None = ATTIO_WRITES_PER_SECOND
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    if_not_found: IfNotFound = "succeed"
    delete_all_matches: bool = False
    allow_empty_source: bool = False
    allow_no_overlap: bool = False
    max_delete_fraction: float = DEFAULT_MAX_DELETE_FRACTION
    delete_keyless: bool = False

    def __post_init__(self) -> None:
        checked = {
            "allow_delete_all": _check_bool(self.allow_delete_all, "allow_delete_all"),
            "max_records": _check_positive_int(self.max_records, "max_records"),
            "dry_run": _check_bool(self.dry_run, "dry_run"),
            "writes_per_second": _check_rate(self.writes_per_second),
            "max_concurrency": _check_positive_int(
                self.max_concurrency, "max_concurrency", MAX_CONCURRENCY_LIMIT
            ),
            "if_not_found": validate_if_not_found(self.if_not_found),
            "delete_all_matches": _check_bool(self.delete_all_matches, "delete_all_matches"),
            "allow_empty_source": _check_bool(self.allow_empty_source, "allow_empty_source"),
            "allow_no_overlap": _check_bool(self.allow_no_overlap, "allow_no_overlap"),
            "max_delete_fraction": _check_fraction(self.max_delete_fraction),
            "delete_keyless": _check_bool(self.delete_keyless, "delete_keyless"),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The options' names, in order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def of(cls, options: BulkDeleteOptions | None = None, **values: Any) -> BulkDeleteOptions:
        """``options``, or options built from keyword values (``max_records=...``); not both.

        :param options: ready-made options.
        :param values: option values by name, for callers that prefer keywords.
        """
        unknown = sorted(set(values) - set(cls.names()))
        if unknown:
            raise AttioValidationError(
                f"Unknown bulk delete option(s) {', '.join(unknown)}; "
                f"the options are {', '.join(cls.names())}."
            )
        if options is not None and values:
            raise AttioValidationError("Give options=BulkDeleteOptions(...) or option keywords, not both.")
        return options if options is not None else cls(**values)


@dataclass(frozen=True)
class Keys:
    """An attribute and key values of it (checked: scalars, blanks dropped, duplicates removed)."""

    #: The attribute's api slug (or UUID), or ``"record_id"`` for the record's own id.
    attribute: str
    values: tuple[str | int | float, ...]
    #: How many ``None`` or blank values were dropped.
    blanks: int = 0


@dataclass(frozen=True)
class Parents:
    """The records whose entries, notes or tasks to delete: an object and record ids (checked)."""

    object: str
    record_ids: tuple[str, ...]


@dataclass(frozen=True)
class BulkDeleteJob:
    """A checked bulk delete: one object, one kind of target, the archive and the options.

    The targets are ``record_ids``; or a ``filter``; or ``match`` (delete by key); or ``keep`` with the
    ``filter`` as its scope (a mirror delete: every record in scope whose key is not kept). For entries,
    notes and tasks (``kind``), ``object`` is the list (or ``""``), ``record_ids`` the entry, note or
    task ids, and ``parents`` the records whose ones to delete.
    """

    object: str
    record_ids: list[str] | None
    filter: dict[str, Any] | None
    archive_to: Any = None
    options: BulkDeleteOptions = field(default_factory=BulkDeleteOptions)
    #: This run retries an earlier try of the same task (see docs/operators.md on ``if_not_found``).
    is_retry: bool = False
    #: Delete by key: the records whose ``attribute`` holds one of these values.
    match: Keys | None = None
    #: Mirror delete: keep the records in scope (``filter``) whose ``attribute`` holds one of these values.
    keep: Keys | None = None
    #: What is deleted: records by default (see :mod:`~airflow_provider_attio.kinds`).
    kind: Kind = RECORDS
    #: Entries, notes, tasks: those of these records (their parent, or a linked record).
    parents: Parents | None = None
    #: Tasks: also delete a task linked to records outside ``parents`` (kept by default).
    delete_shared: bool = False
    #: The run id every archive line carries (``None``: the Airflow task's, else a generated one).
    run: str | None = None


def parse_structured(value: Any, field_name: str) -> Any:
    """Turn a string that holds a JSON (or Python literal) list or dict into that value.

    Templated fields render to strings unless the DAG sets ``render_template_as_native_obj=True``; a
    rendered ``{{ params.filter }}`` is a Python ``repr``, a rendered XCom may be JSON. Other values pass
    through unchanged.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text or text[0] not in "[{(":
        return value
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise AttioValidationError(
            f"{field_name} looks like a list or dict but is neither valid JSON nor a Python literal: "
            f"{shorten(value)}."
        ) from None


def normalize_record_ids(
    record_ids: Any, field_name: str = "record_ids", id_field: str = "record_id"
) -> list[str]:
    """Validate record ids and remove duplicates, keeping the first occurrence's order.

    Each item is a record UUID, or a record as Attio returns it (``{"id": {"record_id": ...}}``); entry,
    note and task ids alike (``id_field``: ``entry_id``...).

    :raises AttioValidationError: naming the first bad item and its position.
    """
    record_ids = parse_structured(record_ids, field_name)
    if isinstance(record_ids, (str, bytes, Mapping)):
        raise AttioValidationError(
            f"{field_name} must be a list of Attio {id_field.replace('_', ' ')}s (UUIDs); got "
            f"{shorten(record_ids)}. "
            "A templated value renders to a string: pass the XComArg itself (e.g. "
            "record_ids=find_ids.output) or set render_template_as_native_obj=True on the DAG."
        )
    if not isinstance(record_ids, Iterable):
        raise AttioValidationError(
            f"{field_name} must be a list of Attio {id_field.replace('_', ' ')}s (UUIDs); got "
            f"{shorten(record_ids)}."
        )
    seen: dict[str, None] = {}
    for index, item in enumerate(record_ids):
        if isinstance(item, Mapping) and isinstance(item.get("id"), Mapping):
            item = item["id"].get(id_field)
        seen.setdefault(validate_record_id(item, f"{field_name}[{index}]"), None)
    return list(seen)


def over_cap_error(what: str, matched: str, object: str, max_records: int) -> AttioValidationError:
    """The error for more targets than ``max_records``: says how many, and how to raise the cap."""
    return AttioValidationError(
        f"{what} {matched} records of {object!r}, more than max_records={max_records:,}. "
        "Nothing was deleted. If that many is intended, raise max_records (e.g. "
        f"max_records={max_records * COUNT_PAST_CAP_FACTOR:,}); otherwise narrow the targets."
    )


def _check_filter(filter: Any, object: str, allow_delete_all: bool) -> dict[str, Any]:
    validate_filter(filter)
    if not filter and not allow_delete_all:
        raise AttioValidationError(
            f"filter={{}} matches every record of {object!r}. To delete them all, also pass "
            "allow_delete_all=True (max_records still applies)."
        )
    return dict(filter)


def check_one_target(record_ids: Any, filter: Any, match_values: Any = None, keep_values: Any = None) -> None:
    """Raise unless the targets are of exactly one kind (known even before templating).

    The kinds: ``record_ids``; a ``filter``; ``match_values`` (delete by key); ``keep_values`` with a
    ``filter`` that scopes the mirror.
    """
    given = [
        name
        for name, value in (("record_ids", record_ids), ("filter", filter), ("match_values", match_values))
        if value is not None
    ]
    if keep_values is not None:
        if given != ["filter"]:
            raise AttioValidationError(
                "A mirror delete (keep_values) needs filter= to scope what the sync owns (filter={} with "
                "allow_delete_all=True for the whole object), and takes neither record_ids nor "
                f"match_values; got {', '.join(given) or 'no filter'}."
            )
        return
    if len(given) != 1:
        what = {0: "neither", 2: "both"}.get(len(given), "several")
        raise AttioValidationError(
            "Give exactly one of record_ids (a list of record UUIDs) or filter (an Attio query filter) "
            "or match_values with match_attribute (keys to delete by), or keep_values with "
            f"keep_attribute and a filter (a mirror); got {what}"
            + (f" ({' and '.join(given)})." if given else ".")
        )


def _check_attribute(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
        raise AttioValidationError(
            f"{field_name} must be an attribute's api slug (e.g. email_addresses, domains) or "
            f"'record_id'; got {shorten(value)}."
        )
    return value.strip()


def _key_value(item: Any, field_name: str, index: int) -> str | int | float | None:
    if item is None or (isinstance(item, str) and not item.strip()):
        return None
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, (int, float)) and not isinstance(item, bool) and math.isfinite(item):
        return item
    raise AttioValidationError(
        f"{field_name}[{index}] must be a string or a finite number (a key); got {shorten(item)}."
    )


def check_keys(attribute: Any, values: Any, kind: str) -> Keys:
    """Check ``<kind>_attribute`` and ``<kind>_values``: a list of scalars (``None`` and blanks dropped).

    :param kind: ``"match"`` or ``"keep"``, for the messages.
    """
    field_name = f"{kind}_values"
    if attribute is None:
        raise AttioValidationError(f"{field_name} needs {kind}_attribute, the attribute the keys are of.")
    slug = _check_attribute(attribute, f"{kind}_attribute")
    values = parse_structured(values, field_name)
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise AttioValidationError(
            f"{field_name} must be a list of keys (strings or numbers); got {shorten(values)}. A templated "
            "value renders to a string: pass the XComArg itself or set render_template_as_native_obj=True."
        )
    seen: dict[str | int | float, None] = {}
    blanks = 0
    for index, item in enumerate(values):
        value = _key_value(item, field_name, index)
        if value is None:
            blanks += 1
            continue
        if slug == "record_id":
            value = validate_record_id(value, f"{field_name}[{index}]").lower()
        seen.setdefault(value, None)
    return Keys(attribute=slug, values=tuple(seen), blanks=blanks)


def _check_targets(
    object_ref: str, options: BulkDeleteOptions, ids_given: Any, filter_given: Any
) -> tuple[list[str] | None, dict[str, Any] | None]:
    ids = normalize_record_ids(ids_given) if ids_given is not None else None
    if ids is not None and len(ids) > options.max_records:
        raise over_cap_error("record_ids holds", f"{len(ids):,}", object_ref, options.max_records)
    checked_filter = None
    if filter_given is not None:
        checked_filter = _check_filter(filter_given, object_ref, options.allow_delete_all)
    return ids, checked_filter


def check_job(
    object: Any,
    *,
    record_ids: Any = None,
    filter: Any = None,
    archive_to: Any = None,
    options: BulkDeleteOptions | None = None,
    is_retry: Any = False,
    match_attribute: Any = None,
    match_values: Any = None,
    keep_attribute: Any = None,
    keep_values: Any = None,
    run: Any = None,
) -> BulkDeleteJob:
    """Check a bulk delete's targets without sending anything; raise on the first bad one.

    :param object: the object's api slug or UUID.
    :param record_ids: record UUIDs (or records as Attio returns them), or a string holding a list.
    :param filter: an Attio query filter, or a string holding one; with ``keep_values``, the mirror's scope.
    :param archive_to: where to archive each record before its DELETE.
    :param options: the run's options (the defaults if ``None``).
    :param is_retry: whether this run retries an earlier try of the same task.
    :param match_attribute: delete by key: the attribute the keys are values of.
    :param match_values: delete by key: the keys.
    :param keep_attribute: mirror: the attribute the kept keys are values of.
    :param keep_values: mirror: the keys to keep (the source of truth).
    :param run: the run id the archive's lines carry; ``None``: the Airflow task's, else a generated one.
    :raises AttioValidationError: a message naming the argument (and the bad value or its position).
    """
    options = options or BulkDeleteOptions()
    object_ref = validate_object(object)
    ids_given = parse_structured(record_ids, "record_ids")
    filter_given = parse_structured(filter, "filter")
    match_given = parse_structured(match_values, "match_values")
    keep_given = parse_structured(keep_values, "keep_values")
    check_one_target(ids_given, filter_given, match_given, keep_given)
    for kind, attribute, values in (
        ("match", match_attribute, match_given),
        ("keep", keep_attribute, keep_given),
    ):
        if attribute is not None and values is None:
            raise AttioValidationError(f"{kind}_attribute is given without {kind}_values, the keys.")
    ids, checked_filter = _check_targets(object_ref, options, ids_given, filter_given)
    return BulkDeleteJob(
        object=object_ref,
        record_ids=ids,
        filter=checked_filter,
        archive_to=check_archive_location(archive_to) if archive_to is not None else None,
        options=options,
        is_retry=_check_bool(is_retry, "is_retry"),
        match=check_keys(match_attribute, match_given, "match") if match_given is not None else None,
        keep=check_keys(keep_attribute, keep_given, "keep") if keep_given is not None else None,
        run=check_run(run),
    )


def check_parents(object: Any, record_ids: Any, prefix: str, options: BulkDeleteOptions) -> Parents | None:
    """Check ``<prefix>_object`` and ``<prefix>_record_ids`` (the records whose entries, notes or tasks
    to delete); ``None`` when neither is given.

    :param prefix: ``parent`` or ``linked``, for the messages.
    """
    record_ids = parse_structured(record_ids, f"{prefix}_record_ids")
    if object is None and record_ids is None:
        return None
    if object is None or record_ids is None:
        raise AttioValidationError(f"Give {prefix}_object and {prefix}_record_ids together.")
    ids = normalize_record_ids(record_ids, f"{prefix}_record_ids")
    if len(ids) > options.max_records:
        raise AttioValidationError(
            f"{prefix}_record_ids holds {len(ids):,} records, more than max_records={options.max_records:,}."
            " Nothing was deleted: raise max_records or give fewer."
        )
    return Parents(validate_object(object, f"{prefix}_object"), tuple(ids))


def check_items(ids: Any, field_name: str, id_field: str, options: BulkDeleteOptions) -> list[str]:
    """Check entry, note or task ids as record ids are (UUIDs, duplicates removed, the cap)."""
    checked = normalize_record_ids(ids, field_name, id_field)
    if len(checked) > options.max_records:
        raise AttioValidationError(
            f"{field_name} holds {len(checked):,}, more than max_records={options.max_records:,}. Nothing "
            f"was deleted. If that many is intended, raise max_records (e.g. "
            f"max_records={options.max_records * COUNT_PAST_CAP_FACTOR:,})."
        )
    return checked


def check_items_job(
    kind: Kind,
    container: str,
    ids: Any,
    parents: Parents | None,
    options: BulkDeleteOptions,
    *,
    archive_to: Any,
    is_retry: bool,
    filter: dict[str, Any] | None = None,
    delete_shared: bool = False,
) -> BulkDeleteJob:
    """The job of a bulk delete of entries, notes or tasks, its ids (``<kind>_ids``) and archive checked.

    :param kind: what is deleted (entries, notes or tasks).
    :param container: the list, or ``""`` (notes and tasks have none).
    :param ids: the ids as given (parsed), or ``None``.
    :param parents: the checked records whose items to delete, or ``None``.
    :param options: the run's options.
    :param archive_to: where to archive each item before its DELETE, or ``None``.
    :param is_retry: this run retries an earlier try of the same task.
    :param filter: entries: the checked query filter, or ``None``.
    :param delete_shared: tasks: also delete those linked to records outside ``parents``.
    """
    checked = check_items(ids, f"{kind.name}_ids", f"{kind.name}_id", options) if ids is not None else None
    return BulkDeleteJob(
        object=container,
        record_ids=checked,
        filter=filter,
        archive_to=check_archive_location(archive_to) if archive_to is not None else None,
        options=options,
        is_retry=is_retry,
        kind=kind,
        parents=parents,
        delete_shared=delete_shared,
    )


def exactly_one(given: Mapping[str, Any], hint: str) -> None:
    """Raise unless exactly one of ``given``'s values is not ``None`` (``hint``: the choices, in words)."""
    named = [name for name, value in given.items() if value is not None]
    if len(named) != 1:
        raise AttioValidationError(
            f"Give exactly one of {hint}; got " + (" and ".join(named) if named else "none") + "."
        )

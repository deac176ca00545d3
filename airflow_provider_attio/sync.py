"""Syncs: delete records by a warehouse's keys, and mirror deletes guarded against a bad source.

A sync knows its rows by their own keys (an email, a domain, an external id), not by Attio's record
UUIDs. This module turns keys into the bulk engine's target set, before anything is deleted:

- :func:`resolve_keys` (delete by key) sends batched ``$in`` queries, ``KEYS_PER_QUERY`` keys each,
  paced under Attio's read budget, and fails on a key matching several records unless asked not to;
- :func:`plan_mirror` (mirror delete) reads the scope (a filter), keeps every record whose key is a
  kept value, and checks the guards (an empty source, too large a share of the scope, ``max_records``).

Keys compare as Attio compares them: emails and domains case-insensitively, record ids as UUIDs, text
and numbers exactly (strings stripped of surrounding spaces). The README's "Syncs" section is the guide.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.options import BulkDeleteJob, Keys, over_cap_error
from airflow_provider_attio.policy import apply_if_not_found
from airflow_provider_attio.protocol import chunked, record_id_of

if TYPE_CHECKING:
    from airflow_provider_attio.hooks.attio import AttioHook

#: Keys per ``$in`` query (Attio documents no maximum; a few hundred keeps a query's body small).
KEYS_PER_QUERY = 250
#: Records per query page.
PAGE_SIZE = 500
#: The pace of the queries (Attio allows 100 reads/s per workspace, and queries also spend a score).
QUERIES_PER_SECOND = 10.0
#: How many keys or records a message or log line names.
SAMPLE = 10

#: Attribute types a key can be of, with the field of their values that holds the key.
KEY_FIELD: dict[str, str] = {
    "email-address": "email_address",
    "domain": "domain",
    "text": "value",
    "number": "value",
}
#: Types Attio compares case-insensitively.
CASELESS_TYPES = frozenset({"email-address", "domain"})
# Before any record shows the attribute's type: Attio's standard slugs of caseless attributes.
_CASELESS_SLUGS = frozenset({"email_addresses", "domains", "record_id"})

Key = str | int | float


class SyncCounts(TypedDict):
    """What a delete by key or a mirror found (in the bulk summary's ``sync``; counts, never keys)."""

    #: ``"match"`` (delete by key) or ``"mirror"``.
    mode: Literal["match", "mirror"]
    #: The attribute the keys are values of.
    attribute: str
    #: Unique keys given (``match_values`` or ``keep_values``), after normalising.
    keys: int
    #: Delete by key: keys that matched one record or more, none, several.
    matched_keys: int
    unmatched_keys: int
    ambiguous_keys: int
    #: Mirror: records in scope, kept (their key is kept), without a key, to delete.
    in_scope: int
    kept: int
    keyless: int
    to_delete: int
    #: A dry run: the guard the real run would fail on (its message), or ``None``.
    refused: str | None


@dataclass
class SyncPlan:
    """The target set of a delete by key or a mirror, and what was found on the way."""

    record_ids: list[str]
    counts: SyncCounts
    #: Delete by key: the keys that matched nothing (the first ones, for messages).
    unmatched_sample: list[Key] = field(default_factory=list)

    def apply_if_not_found(self, job: BulkDeleteJob, log: Any) -> None:
        """Apply ``if_not_found`` to the keys that matched nothing (after the deletes)."""
        count = self.counts["unmatched_keys"]
        if not count:
            return
        more = count - len(self.unmatched_sample)
        sample = ", ".join(repr(k) for k in self.unmatched_sample) + (f" and {more} more" if more > 0 else "")
        apply_if_not_found(
            job.options.if_not_found,
            f"{count:,} key(s) of {self.counts['attribute']} ({sample}) matched no record of {job.object!r}",
            log,
        )


def normalize_key(value: Any, caseless: bool) -> Any:
    """A key as Attio compares it: strings stripped, and lowercased when the attribute is caseless."""
    if isinstance(value, str):
        value = value.strip()
        return value.lower() if caseless else value
    return value


class _Pacer:
    """Spaces sequential queries at ``rate`` per second."""

    def __init__(self, rate: float = QUERIES_PER_SECOND) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self._interval


def _paced(records: Iterable[dict[str, Any]], pacer: _Pacer) -> Iterator[dict[str, Any]]:
    """``records`` from ``hook.iter_records``, waiting for the pacer before each page is requested."""
    pacer.wait()
    for count, record in enumerate(records, 1):
        yield record
        if count % PAGE_SIZE == 0:
            pacer.wait()


class KeyReader:
    """Reads an attribute's keys off records, learning the attribute's type from their values."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute
        self.type: str | None = None

    @property
    def caseless(self) -> bool:
        if self.type is None:
            return self.attribute in _CASELESS_SLUGS
        return self.type in CASELESS_TYPES

    def keys_of(self, record: Mapping[str, Any]) -> list[Key]:
        """The record's keys (normalised); several for a multi-value attribute, none when empty."""
        if self.attribute == "record_id":
            return [str(record["id"]["record_id"]).lower()]
        keys: list[Key] = []
        for value in (record.get("values") or {}).get(self.attribute) or ():
            kind = value.get("attribute_type") or _guess_type(value)
            if kind not in KEY_FIELD:
                raise AttioValidationError(
                    f"The attribute {self.attribute!r} is of type {kind!r}; keys work on "
                    f"{', '.join(sorted(KEY_FIELD))} attributes and record_id."
                )
            self.type = kind
            key = value.get(KEY_FIELD[kind])
            if key is not None and key != "":
                keys.append(normalize_key(key, kind in CASELESS_TYPES))
        return keys


def _guess_type(value: Mapping[str, Any]) -> str:
    for kind in ("email-address", "domain"):
        if KEY_FIELD[kind] in value:
            return kind
    return "number" if isinstance(value.get("value"), (int, float)) else "text"


# -- delete by key -------------------------------------------------------------------------------------


def resolve_keys(hook: AttioHook, job: BulkDeleteJob, log: Any) -> SyncPlan:
    """The records matching ``job.match``'s keys, by batched ``$in`` queries; raise on ambiguous keys.

    :raises AttioValidationError: a key matches several records (unless ``delete_all_matches``), or the
        matches exceed ``max_records``. Nothing has been deleted then. A dry run reports it instead.
    """
    assert job.match is not None
    keys = job.match
    reader = KeyReader(keys.attribute)
    found: dict[str, list[Key]] = {}
    pacer = _Pacer()
    for batch in chunked(keys.values, KEYS_PER_QUERY):
        query = {keys.attribute: {"$in": batch}}
        for record in _paced(hook.iter_records(job.object, query, page_size=PAGE_SIZE), pacer):
            found[record_id_of(record)] = reader.keys_of(record)
    matches = _match(keys, found, reader.caseless)
    unmatched = [key for key, ids in matches.items() if not ids]
    ambiguous = {key: ids for key, ids in matches.items() if len(ids) > 1}
    targets = list(dict.fromkeys(rid for ids in matches.values() for rid in ids))
    unclaimed = len(found) - len(targets)
    if unclaimed:
        log.warning(
            "%d record(s) Attio returned for the keys hold none of them as this provider compares keys; "
            "they are left alone.",
            unclaimed,
        )
    counts = _counts(
        "match",
        keys.attribute,
        len(matches),
        matched_keys=len(matches) - len(unmatched),
        unmatched_keys=len(unmatched),
        ambiguous_keys=len(ambiguous),
        to_delete=len(targets),
    )
    log.info(
        "Delete by key on %s of %r: %d unique key(s)%s, %d matched %d record(s), %d matched nothing, "
        "%d matched several%s.",
        keys.attribute,
        job.object,
        len(matches),
        f" ({keys.blanks} blank dropped)" if keys.blanks else "",
        counts["matched_keys"],
        len(targets),
        len(unmatched),
        len(ambiguous),
        " (all their matches are deleted: delete_all_matches=True)" if ambiguous else "",
    )
    refusal = None
    if ambiguous and not job.options.delete_all_matches:
        refusal = _ambiguous_error(job, keys, ambiguous)
    elif len(targets) > job.options.max_records:
        refusal = over_cap_error("The keys matched", f"{len(targets):,}", job.object, job.options.max_records)
    _refuse(job, refusal, counts, log)
    return SyncPlan(targets, counts, unmatched[:SAMPLE])


def _refuse(job: BulkDeleteJob, refusal: AttioValidationError | None, counts: SyncCounts, log: Any) -> None:
    """Raise ``refusal``; in a dry run, note it in the counts and the log instead."""
    if refusal is None:
        return
    if not job.options.dry_run:
        raise refusal
    counts["refused"] = str(refusal)
    log.warning("Dry run: the real run would refuse: %s", refusal)


def _match(keys: Keys, found: Mapping[str, list[Key]], caseless: bool) -> dict[Key, list[str]]:
    """Each unique key (normalised, first spelling kept) and the records holding it, in creation order."""
    index: dict[Any, list[str]] = {}
    for record_id, record_keys in found.items():
        for key in dict.fromkeys(record_keys):
            index.setdefault(key, []).append(record_id)
    matches: dict[Key, list[str]] = {}
    seen: set[Any] = set()
    for key in keys.values:
        normal = normalize_key(key, caseless)
        if normal not in seen:
            seen.add(normal)
            matches[key] = index.get(normal, [])
    return matches


def _ambiguous_error(
    job: BulkDeleteJob, keys: Keys, ambiguous: Mapping[Key, list[str]]
) -> AttioValidationError:
    named = "; ".join(
        f"{key!r} matches {len(ids)} records ({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''})"
        for key, ids in list(ambiguous.items())[:5]
    )
    more = len(ambiguous) - 5
    return AttioValidationError(
        f"{len(ambiguous)} key(s) of {keys.attribute} match several records of {job.object!r}: {named}"
        + (f" (and {more} more keys)" if more > 0 else "")
        + ". Nothing was deleted. Deduplicate those records, or pass delete_all_matches=True to delete "
        "every record a key matches."
    )


# -- mirror --------------------------------------------------------------------------------------------


def plan_mirror(hook: AttioHook, job: BulkDeleteJob, log: Any) -> SyncPlan:
    """Every record in scope (``job.filter``) whose key is not kept; check the guards.

    Records without a key are left alone unless ``delete_keyless``. A dry run reports what a guard would
    refuse instead of failing.

    :raises AttioValidationError: a guard refused (empty source, too large a share, ``max_records``);
        nothing has been deleted then.
    """
    assert job.keep is not None and job.filter is not None
    keep = job.keep
    reader = KeyReader(keep.attribute)
    scope = [
        (record_id_of(record), reader.keys_of(record))
        for record in _paced(hook.iter_records(job.object, job.filter, page_size=PAGE_SIZE), _Pacer())
    ]
    kept_keys = {normalize_key(value, reader.caseless) for value in keep.values}
    doomed: list[str] = []
    kept = keyless = 0
    for record_id, record_keys in scope:
        if not record_keys:
            keyless += 1
            if job.options.delete_keyless:
                doomed.append(record_id)
        elif any(key in kept_keys for key in record_keys):
            kept += 1
        else:
            doomed.append(record_id)
    counts = _counts(
        "mirror", keep.attribute, len(kept_keys), in_scope=len(scope), kept=kept, keyless=keyless,
        to_delete=len(doomed),
    )  # fmt: skip
    log.info(
        "Mirror of %r on %s: %d record(s) in scope, %d kept, %d without a key (%s), %d to delete; "
        "keep_values holds %d unique key(s)%s. First %d to delete: %s",
        job.object,
        keep.attribute,
        len(scope),
        kept,
        keyless,
        "deleted: delete_keyless=True" if job.options.delete_keyless else "left alone",
        len(doomed),
        len(kept_keys),
        f" ({keep.blanks} blank dropped)" if keep.blanks else "",
        min(SAMPLE, len(doomed)),
        ", ".join(doomed[:SAMPLE]) or "(none)",
    )
    _refuse(job, guard_refusal(job, counts), counts, log)
    return SyncPlan(doomed, counts)


def guard_refusal(job: BulkDeleteJob, counts: SyncCounts) -> AttioValidationError | None:
    """The first guard a mirror fails, as the error to raise; ``None`` when all pass."""
    options = job.options
    scope, to_delete = counts["in_scope"], counts["to_delete"]
    if counts["keys"] == 0 and not options.allow_empty_source:
        return AttioValidationError(
            f"keep_values is empty: the source gave no {counts['attribute']} keys, so the mirror would "
            f"delete {to_delete:,} of the {scope:,} record(s) in scope of {job.object!r}. Nothing was "
            "deleted. An empty extract usually means the source failed; if it is really empty, pass "
            "allow_empty_source=True (max_delete_fraction still applies)."
        )
    if scope and to_delete / scope > options.max_delete_fraction:
        return AttioValidationError(
            f"The mirror would delete {to_delete:,} of the {scope:,} record(s) in scope of {job.object!r} "
            f"({to_delete / scope:.1%}), more than max_delete_fraction={options.max_delete_fraction:g}; it "
            f"would keep {counts['kept']:,} and {counts['keyless']:,} have no {counts['attribute']}; "
            f"keep_values holds {counts['keys']:,} key(s). Nothing was deleted. A truncated extract looks "
            f"like this; if the source is right, raise max_delete_fraction to at least "
            f"{_round_up(to_delete / scope)}."
        )
    if to_delete > options.max_records:
        return over_cap_error("The mirror would delete", f"{to_delete:,}", job.object, options.max_records)
    return None


def _round_up(fraction: float) -> str:
    return f"{min(1.0, int(fraction * 100 + 0.999999) / 100):g}"


def _counts(mode: Literal["match", "mirror"], attribute: str, keys: int, **values: int) -> SyncCounts:
    counts = SyncCounts(
        mode=mode,
        attribute=attribute,
        keys=keys,
        matched_keys=0,
        unmatched_keys=0,
        ambiguous_keys=0,
        in_scope=0,
        kept=0,
        keyless=0,
        to_delete=0,
        refused=None,
    )
    counts.update(values)  # type: ignore[typeddict-item]
    return counts


def plan(hook: AttioHook, job: BulkDeleteJob, log: Any) -> SyncPlan:
    """The target set of a delete by key (``job.match``) or a mirror (``job.keep``)."""
    return resolve_keys(hook, job, log) if job.match is not None else plan_mirror(hook, job, log)

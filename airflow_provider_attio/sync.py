"""Syncs: delete records by a warehouse's keys, and mirror deletes guarded against a bad source.

A sync knows its rows by their own keys (an email, a domain, an external id), not by Attio's record
UUIDs. This module turns keys into the bulk engine's target set, before anything is deleted:

- :func:`learn_key_type` asks Attio the attribute's type (``GET .../attributes/{attribute}``;
  ``record_id``, the record's own id, needs no asking), and :meth:`KeyAttribute.type_keys` reads every
  key as that type (:func:`typed_key`): numeric strings on a number attribute are numbers, numbers on a
  text attribute their text, emails and domains lowercase, record ids canonical UUIDs. A key that can't
  be read as the type is refused, naming it, before any query. Records' values are read the same way,
  so both modes compare alike, whatever the scope holds (even nothing);
- :func:`resolve_keys` (delete by key) sends batched ``$in`` queries, ``KEYS_PER_QUERY`` keys each,
  paced under Attio's read budget, and fails on a key matching several records unless asked not to;
- :func:`plan_mirror` (mirror delete) reads the scope (a filter), once per record id, keeps every record
  whose key is a kept value, and checks the guards (an empty source, a source sharing no key with the
  scope, too large a share of what the run could delete, ``max_records``).

Every target set is de-duplicated by record id. ``docs/syncs.md`` is the guide.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from airflow_provider_attio.core import chunked, record_id_of
from airflow_provider_attio.exceptions import AttioValidationError
from airflow_provider_attio.options import BulkDeleteJob, Keys, over_cap_error
from airflow_provider_attio.pacing import SteadyPacer
from airflow_provider_attio.policy import apply_if_not_found, note_not_found_on_retry
from airflow_provider_attio.validation import shorten

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
#: The key type of ``record_id``, the record's own id (not an attribute: Attio has no type for it).
RECORD_ID = "record-id"

Key = str | int | float


class SyncCounts(TypedDict):
    """What a delete by key or a mirror found (in the bulk summary's ``sync``; counts, never keys)."""

    #: ``"match"`` (delete by key) or ``"mirror"``.
    mode: Literal["match", "mirror"]
    #: The attribute the keys are values of (its api slug).
    attribute: str
    #: The type the keys were read as: the attribute's Attio type, or ``"record-id"``.
    key_type: str
    #: Unique keys given (``match_values`` or ``keep_values``), after typing.
    keys: int
    #: Delete by key: keys that matched one record or more (or whose records the archive shows an
    #: earlier try deleted), none (``if_not_found`` applies), none on a retry without an archive (an
    #: earlier try may have deleted their records: ``if_not_found`` is not applied), several.
    matched_keys: int
    unmatched_keys: int
    unmatched_on_retry: int
    ambiguous_keys: int
    #: Mirror: records in scope, those with a key, kept (their key is kept), without a key, to delete.
    in_scope: int
    keyed: int
    kept: int
    keyless: int
    to_delete: int
    #: A dry run: the guard the real run would fail on (its message), or ``None``.
    refused: str | None


# -- keys, typed as Attio types the attribute ------------------------------------------------------------

#: A decimal number as an extract writes one: no hex, no thousands separators, no ``inf`` or ``nan``.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d{1,300}")


def _as_number(value: Any) -> Key | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        value = float(text) if _NUMBER.fullmatch(text) else None
    return value if isinstance(value, float) and math.isfinite(value) else None


def _as_text(value: Any) -> Key | None:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 7.0 (an id column a NaN made float) is the text "7"
    return str(value).strip() if isinstance(value, (str, int, float)) else None


def _as_email(value: Any) -> Key | None:
    text = value.strip().lower() if isinstance(value, str) else ""
    local, _, domain = text.rpartition("@")
    return text if local and domain and not any(c.isspace() for c in text) else None


def _as_domain(value: Any) -> Key | None:
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if text and not any(c.isspace() or c in "@/" for c in text) else None


def _as_record_id(value: Any) -> Key | None:
    try:
        return str(uuid.UUID(value.strip())) if isinstance(value, str) else None
    except ValueError:
        return None


_READERS: dict[str, Callable[[Any], Key | None]] = {
    "number": _as_number,
    "text": _as_text,
    "email-address": _as_email,
    "domain": _as_domain,
    RECORD_ID: _as_record_id,
}


def typed_key(value: Any, key_type: str) -> Key | None:
    """``value`` as Attio compares values of ``key_type``; ``None`` when it can't be read as one.

    :param value: a key as given, or a record's value.
    :param key_type: an attribute type of :data:`KEY_FIELD`, or :data:`RECORD_ID`.
    """
    if value is None or isinstance(value, bool):
        return None
    key = _READERS[key_type](value)
    return None if key == "" else key


@dataclass(frozen=True)
class KeyAttribute:
    """The attribute keys are values of: its api slug and the type its keys are read as."""

    slug: str
    type: str

    def keys_of(self, record: Mapping[str, Any]) -> list[Key]:
        """The record's keys (typed); several for a multi-value attribute, none when empty."""
        if self.type == RECORD_ID:
            return [record_id_of(record)]
        values = (record.get("values") or {}).get(self.slug) or ()
        keys = (typed_key(v.get(KEY_FIELD[self.type]), self.type) for v in values if isinstance(v, Mapping))
        return [key for key in keys if key is not None]

    def type_keys(self, keys: Keys, field_name: str) -> dict[Key, Key]:
        """Each unique key typed, mapped to its first spelling; refuse the keys that can't be typed.

        :raises AttioValidationError: naming the keys (the first few) that aren't of the type.
        """
        typed: dict[Key, Key] = {}
        bad: list[Key] = []
        for value in keys.values:
            key = typed_key(value, self.type)
            if key is None:
                bad.append(value)
            else:
                typed.setdefault(key, value)
        if bad:
            named = ", ".join(shorten(value, 60) for value in bad[:5]) + (" ..." if len(bad) > 5 else "")
            raise AttioValidationError(
                f"{len(bad)} key(s) of {field_name} can't be read as {_type_name(self)}: {named}. "
                "Nothing was deleted. Fix the extract (or the attribute: keys are compared as Attio "
                "types the attribute)."
            )
        return typed


def _type_name(attribute: KeyAttribute) -> str:
    if attribute.type == RECORD_ID:
        return "record ids (UUIDs)"
    return f"{attribute.type} (the type of {attribute.slug})"


def learn_key_type(hook: AttioHook, object: str, attribute: str) -> KeyAttribute:
    """The attribute's api slug and type, from Attio (``record_id`` is a record id without asking).

    :raises AttioValidationError: the attribute is missing, or of a type keys don't work on.
    """
    if attribute == "record_id":
        return KeyAttribute("record_id", RECORD_ID)
    found = hook.get_attribute(object, attribute)
    kind, slug = found.get("type"), found.get("api_slug")
    if kind not in KEY_FIELD:
        raise AttioValidationError(
            f"The attribute {attribute!r} of {object!r} is of type {kind!r}; keys work on "
            f"{', '.join(sorted(KEY_FIELD))} attributes and record_id. Nothing was deleted."
        )
    return KeyAttribute(slug if isinstance(slug, str) and slug else attribute, str(kind))


@dataclass
class SyncPlan:
    """The target set of a delete by key or a mirror, and what was found on the way."""

    record_ids: list[str]
    counts: SyncCounts
    attribute: KeyAttribute
    #: Delete by key: the keys that matched nothing (typed), with their spelling as given.
    unmatched: dict[Key, Key] = field(default_factory=dict)
    #: Delete by key with an archive: the archived records holding each unmatched key.
    archived: dict[Key, list[str]] = field(default_factory=dict)

    def reclaim(self, records: Mapping[str, Mapping[str, Any]], deleted: set[str]) -> list[str]:
        """Find the unmatched keys in archived ``records``; return those records the archive shows
        deleted (an earlier try's targets: the run counts them as skipped, as it does ids)."""
        for record_id, record in records.items():
            for key in dict.fromkeys(self.attribute.keys_of(record)):
                if key in self.unmatched:
                    self.archived.setdefault(key, []).append(record_id)
        return [rid for ids in self.archived.values() for rid in ids if rid in deleted]

    def settle(self, deleted: set[str], log: Any) -> None:
        """Keys whose archived records are deleted (per the archive, or found gone) matched."""
        done = [key for key, ids in self.archived.items() if deleted.intersection(ids)]
        for key in done:
            del self.unmatched[key]
        self.counts["matched_keys"] += len(done)
        self.counts["unmatched_keys"] -= len(done)
        if done:
            log.info(
                "%d key(s) matched no record, but the archive shows an earlier try deleted the records "
                "holding them: counted as matched.",
                len(done),
            )

    def apply_if_not_found(self, job: BulkDeleteJob, log: Any) -> None:
        """Apply ``if_not_found`` to the keys that matched nothing (after the deletes); on a retry
        without an archive, only note them (an earlier try may have deleted their records)."""
        count = len(self.unmatched)
        if not count:
            return
        sample = list(self.unmatched.values())[:SAMPLE]
        more = count - len(sample)
        named = ", ".join(repr(k) for k in sample) + (f" and {more} more" if more > 0 else "")
        keys = f"{count:,} key(s) of {self.counts['attribute']} ({named})"
        if self.counts["unmatched_on_retry"]:
            note_not_found_on_retry(f"records holding {keys} of {job.object!r}", log, retry_finishes=True)
            return
        apply_if_not_found(job.options.if_not_found, f"{keys} matched no record of {job.object!r}", log)


class QueryPacer(SteadyPacer):
    """Spaces sequential queries at ``rate`` per second (:data:`QUERIES_PER_SECOND` by default)."""

    def __init__(self, rate: float = QUERIES_PER_SECOND) -> None:
        super().__init__(rate)


def _paced(records: Iterable[dict[str, Any]], pacer: QueryPacer) -> Iterator[dict[str, Any]]:
    """``records`` from ``hook.iter_records``, waiting for the pacer before each page is requested."""
    pacer.wait()
    for count, record in enumerate(records, 1):
        yield record
        if count % PAGE_SIZE == 0:
            pacer.wait()


# -- delete by key -------------------------------------------------------------------------------------


def resolve_keys(hook: AttioHook, job: BulkDeleteJob, log: Any) -> SyncPlan:
    """The records matching ``job.match``'s keys, by batched ``$in`` queries; raise on ambiguous keys.

    :raises AttioValidationError: a key can't be read as the attribute's type, a key matches several
        records (unless ``delete_all_matches``), or the matches exceed ``max_records``. Nothing has been
        deleted then. A dry run reports the last two instead.
    """
    assert job.match is not None
    attribute = learn_key_type(hook, job.object, job.match.attribute)
    keys = attribute.type_keys(job.match, "match_values")
    found = _query_keys(hook, job.object, attribute, list(keys))
    matches = _match(keys, found)
    unmatched = {key: keys[key] for key, ids in matches.items() if not ids}
    ambiguous = {keys[key]: ids for key, ids in matches.items() if len(ids) > 1}
    targets = list(dict.fromkeys(rid for ids in matches.values() for rid in ids))
    if len(found) > len(targets):
        log.warning(
            "%d record(s) Attio returned for the keys hold none of them as this provider compares keys; "
            "they are left alone.",
            len(found) - len(targets),
        )
    # On a retry without an archive, an earlier try may have deleted the records of unmatched keys.
    retry_field = "unmatched_on_retry" if job.is_retry and job.archive_to is None else "unmatched_keys"
    counts = _counts(
        "match", attribute, len(matches), matched_keys=len(matches) - len(unmatched),
        ambiguous_keys=len(ambiguous), to_delete=len(targets), **{retry_field: len(unmatched)},
    )  # fmt: skip
    _log_match(job, counts, keys_dropped=job.match.blanks, log=log)
    refusal = None
    if ambiguous and not job.options.delete_all_matches:
        refusal = _ambiguous_error(job, attribute, ambiguous)
    elif len(targets) > job.options.max_records:
        refusal = over_cap_error("The keys matched", f"{len(targets):,}", job.object, job.options.max_records)
    _refuse(job, refusal, counts, log)
    return SyncPlan(targets, counts, attribute, unmatched)


def _query_keys(
    hook: AttioHook, object: str, attribute: KeyAttribute, keys: list[Key]
) -> dict[str, list[Key]]:
    """The records holding any of ``keys`` (by batched ``$in`` queries, paced), with their keys, by id."""
    found: dict[str, list[Key]] = {}
    pacer = QueryPacer()
    for batch in chunked(keys, KEYS_PER_QUERY):
        query = {attribute.slug: {"$in": list(batch)}}
        for record in _paced(hook.iter_records(object, query, page_size=PAGE_SIZE), pacer):
            found[record_id_of(record)] = attribute.keys_of(record)
    return found


def _log_match(job: BulkDeleteJob, counts: SyncCounts, keys_dropped: int, log: Any) -> None:
    log.info(
        "Delete by key on %s of %r (keys typed as %s): %d unique key(s)%s, %d matched %d record(s), "
        "%d matched nothing, %d matched several%s.",
        counts["attribute"],
        job.object,
        counts["key_type"],
        counts["keys"],
        f" ({keys_dropped} blank dropped)" if keys_dropped else "",
        counts["matched_keys"],
        counts["to_delete"],
        counts["unmatched_keys"] + counts["unmatched_on_retry"],
        counts["ambiguous_keys"],
        " (all their matches are deleted: delete_all_matches=True)"
        if counts["ambiguous_keys"] and job.options.delete_all_matches
        else "",
    )


def _refuse(job: BulkDeleteJob, refusal: AttioValidationError | None, counts: SyncCounts, log: Any) -> None:
    """Raise ``refusal``; in a dry run, note it in the counts and the log instead."""
    if refusal is None:
        return
    if not job.options.dry_run:
        raise refusal
    counts["refused"] = str(refusal)
    log.warning("Dry run: the real run would refuse: %s", refusal)


def _match(keys: Mapping[Key, Key], found: Mapping[str, list[Key]]) -> dict[Key, list[str]]:
    """Each typed key and the records holding it, in creation order."""
    index: dict[Key, list[str]] = {}
    for record_id, record_keys in found.items():
        for key in dict.fromkeys(record_keys):
            index.setdefault(key, []).append(record_id)
    return {key: index.get(key, []) for key in keys}


def _ambiguous_error(
    job: BulkDeleteJob, attribute: KeyAttribute, ambiguous: Mapping[Key, list[str]]
) -> AttioValidationError:
    named = "; ".join(
        f"{key!r} matches {len(ids)} records ({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''})"
        for key, ids in list(ambiguous.items())[:5]
    )
    more = len(ambiguous) - 5
    return AttioValidationError(
        f"{len(ambiguous)} key(s) of {attribute.slug} match several records of {job.object!r}: {named}"
        + (f" (and {more} more keys)" if more > 0 else "")
        + ". Nothing was deleted. Deduplicate those records, or pass delete_all_matches=True to delete "
        "every record a key matches."
    )


# -- mirror --------------------------------------------------------------------------------------------


def plan_mirror(hook: AttioHook, job: BulkDeleteJob, log: Any) -> SyncPlan:
    """Every record in scope (``job.filter``) whose key is not kept; check the guards.

    Records without a key are left alone unless ``delete_keyless``. A dry run reports what a guard would
    refuse instead of failing.

    :raises AttioValidationError: a key can't be read as the attribute's type, or a guard refused (empty
        source, no overlap, too large a share, ``max_records``); nothing has been deleted then.
    """
    assert job.keep is not None and job.filter is not None
    attribute = learn_key_type(hook, job.object, job.keep.attribute)
    kept_keys = attribute.type_keys(job.keep, "keep_values")
    scope = _read_scope(hook, job, attribute, log)
    doomed: list[str] = []
    kept = keyless = 0
    for record_id, record_keys in scope.items():
        if not record_keys:
            keyless += 1
            if job.options.delete_keyless:
                doomed.append(record_id)
        elif any(key in kept_keys for key in record_keys):
            kept += 1
        else:
            doomed.append(record_id)
    counts = _counts(
        "mirror", attribute, len(kept_keys), in_scope=len(scope), keyed=len(scope) - keyless, kept=kept,
        keyless=keyless, to_delete=len(doomed),
    )  # fmt: skip
    log.info(
        "Mirror of %r: %s%s. First %d to delete: %s",
        job.object,
        _seen(job, counts),
        f" ({job.keep.blanks} blank dropped)" if job.keep.blanks else "",
        min(SAMPLE, len(doomed)),
        ", ".join(doomed[:SAMPLE]) or "(none)",
    )
    _refuse(job, guard_refusal(job, counts), counts, log)
    return SyncPlan(doomed, counts, attribute)


def _read_scope(
    hook: AttioHook, job: BulkDeleteJob, attribute: KeyAttribute, log: Any
) -> dict[str, list[Key]]:
    """The keys of every record in scope, by record id: a record listed twice (offset paging does that
    when the scope changes meanwhile) is one record, holding the keys of both copies."""
    assert job.filter is not None
    scope: dict[str, list[Key]] = {}
    listed = 0
    for record in _paced(hook.iter_records(job.object, job.filter, page_size=PAGE_SIZE), QueryPacer()):
        listed += 1
        scope.setdefault(record_id_of(record), []).extend(attribute.keys_of(record))
    if listed > len(scope):
        log.warning(
            "The scope's listing repeated %d record(s) (the scope changed while it was paged): each "
            "record is counted and deleted once.",
            listed - len(scope),
        )
    return scope


def _seen(job: BulkDeleteJob, counts: SyncCounts) -> str:
    """What the mirror saw, for its log line and its guards' messages."""
    keyless = "deleted: delete_keyless=True" if job.options.delete_keyless else "left alone"
    return (
        f"{counts['in_scope']:,} record(s) in scope, {counts['keyed']:,} with a key ({counts['kept']:,} "
        f"of them kept), {counts['keyless']:,} without one ({keyless}), {counts['to_delete']:,} to delete; "
        f"keep_values holds {counts['keys']:,} unique {counts['attribute']} key(s), typed as "
        f"{counts['key_type']}"
    )


def guard_refusal(job: BulkDeleteJob, counts: SyncCounts) -> AttioValidationError | None:
    """The first guard a mirror fails, as the error to raise; ``None`` when all pass."""
    for guard in (_empty_source, _no_overlap, _too_large_a_share):
        refusal = guard(job, counts)
        if refusal is not None:
            return refusal
    if counts["to_delete"] > job.options.max_records:
        return over_cap_error(
            "The mirror would delete", f"{counts['to_delete']:,}", job.object, job.options.max_records
        )
    return None


def _empty_source(job: BulkDeleteJob, counts: SyncCounts) -> AttioValidationError | None:
    if counts["keys"] or job.options.allow_empty_source:
        return None
    return AttioValidationError(
        f"keep_values is empty: the source gave no {counts['attribute']} keys, so the mirror would "
        f"delete {counts['to_delete']:,} of the {counts['in_scope']:,} record(s) in scope of "
        f"{job.object!r}. Nothing was deleted. An empty extract usually means the source failed; if it is "
        "really empty, pass allow_empty_source=True (max_delete_fraction still applies)."
    )


def _no_overlap(job: BulkDeleteJob, counts: SyncCounts) -> AttioValidationError | None:
    """A source that shares no key with the scope's keyed records: a wrong attribute, a broken extract."""
    if not counts["keys"] or not counts["keyed"] or counts["kept"] or job.options.allow_no_overlap:
        return None
    return AttioValidationError(
        f"No key of keep_values is held by a record in scope of {job.object!r}: {_seen(job, counts)}. "
        "Nothing was deleted. A wrong keep_attribute, a wrong scope or a broken extract looks like this; "
        "if the source really shares no key with Attio, pass allow_no_overlap=True (max_delete_fraction "
        "still applies)."
    )


def _too_large_a_share(job: BulkDeleteJob, counts: SyncCounts) -> AttioValidationError | None:
    """More than ``max_delete_fraction`` of what the run could delete: the keyed records in scope, and
    the keyless ones when ``delete_keyless`` (records it can never delete don't dilute the share)."""
    deletable = counts["keyed"] + (counts["keyless"] if job.options.delete_keyless else 0)
    share = counts["to_delete"] / deletable if deletable else 0.0
    fraction = job.options.max_delete_fraction
    if share <= fraction:
        return None
    return AttioValidationError(
        f"The mirror would delete {counts['to_delete']:,} of the {deletable:,} record(s) it could delete "
        f"in scope of {job.object!r} ({share:.1%}), more than max_delete_fraction={fraction:g}: "
        f"{_seen(job, counts)}. Nothing was deleted. A truncated extract looks like this; if the source "
        f"is right, raise max_delete_fraction to at least {_round_up(share)}."
    )


def _round_up(fraction: float) -> str:
    return f"{min(1.0, int(fraction * 100 + 0.999999) / 100):g}"


def _counts(
    mode: Literal["match", "mirror"], attribute: KeyAttribute, keys: int, **values: int
) -> SyncCounts:
    counts = SyncCounts(
        mode=mode,
        attribute=attribute.slug,
        key_type=attribute.type,
        keys=keys,
        matched_keys=0,
        unmatched_keys=0,
        unmatched_on_retry=0,
        ambiguous_keys=0,
        in_scope=0,
        keyed=0,
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

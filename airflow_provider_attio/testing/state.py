"""The emulated workspace: objects, attributes, records, lists and tokens, in Attio's JSON formats.

Everything here is plain in-memory state behind one lock, with no HTTP in sight: the ASGI app
(``app.py``) and the Python helpers of :class:`~airflow_provider_attio.testing.AttioEmulator` both
call it. A record is built and encoded once, when it is created, and never mutated afterwards (a change
replaces it), so a reader may use a record it got from here without holding the lock.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from itertools import islice
from typing import Any

from airflow_provider_attio.testing.activities import Activities, page_params
from airflow_provider_attio.testing.errors import ApiError, filter_error, not_found, validation_error
from airflow_provider_attio.testing.filters import PRIMARY_FIELD, compile_filter, compile_sorts
from airflow_provider_attio.testing.values import (
    READ_ONLY_TYPES,
    RICH_TYPES,
    ValueContext,
    rich_value_fields,
)

#: Every scope Attio's OAuth scheme defines (``components.securitySchemes`` of the OpenAPI document).
ALL_SCOPES: tuple[str, ...] = tuple(
    f"{area}:{level}"
    for area in (
        "user_management",
        "record_permission",
        "object_configuration",
        "list_entry",
        "list_configuration",
        "public_collection",
        "private_collection",
        "comment",
        "task",
        "note",
        "meeting",
        "call_recording",
        "webhook",
        "file",
        "scim_management",
    )
    for level in ("read", "read-write")
)

# Fixed ids, so tests and docs can name them and two emulators describe the same workspace.
WORKSPACE_ID = "6c1c5b0e-3a4f-4d7b-9a43-1e1d2f3a4b5c"
WORKSPACE_MEMBER_ID = "0b6c8d2e-5f1a-4c3b-8e7d-9a0b1c2d3e4f"
DEFAULT_OBJECT_IDS: dict[str, str] = {
    "people": "3f1d6a4e-8b2c-4e5f-9a1b-0c2d4e6f8a01",
    "companies": "3f1d6a4e-8b2c-4e5f-9a1b-0c2d4e6f8a02",
    "deals": "3f1d6a4e-8b2c-4e5f-9a1b-0c2d4e6f8a03",
}

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


def attio_timestamp(epoch: float | None = None) -> str:
    """Format a time as Attio does: UTC, nine fraction digits, ``Z`` (``2022-11-21T13:22:49.061281000Z``)."""
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def normalize_uuid(value: str) -> str | None:
    """Return ``value`` as a canonical lowercase UUID string, or None when it is not a UUID."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class Option:
    """A select option, or a status, of an attribute; an archived one can no longer be written."""

    title: str
    archived: bool = False


@dataclass(frozen=True)
class Attribute:
    """One attribute of an object: its slug, Attio type and whether it holds several values.

    :param unique: no two records may share a value (``None``: Attio's default, email addresses and
        domains).
    :param writable: whether the API may write it (Attio's ``is_writable``).
    :param system: one of Attio's own attributes (``is_system_attribute``).
    :param archived: archived in Attio: hidden from the attribute list, and refused on writes.
    :param options: a select's options or a status attribute's statuses.
    :param target_objects: a record reference's allowed objects (api slugs); empty allows any.
    """

    api_slug: str
    type: str
    multiselect: bool = False
    unique: bool | None = None
    writable: bool = True
    system: bool = False
    archived: bool = False
    options: tuple[Option, ...] = ()
    target_objects: tuple[str, ...] = ()

    @property
    def is_unique(self) -> bool:
        """Whether Attio refuses a second record with one of its values (``uniqueness_conflict``)."""
        return self.type in ("email-address", "domain") if self.unique is None else self.unique


@dataclass(frozen=True)
class StoredRecord:
    """A record's JSON, as data (for filters and sorts) and encoded once (to answer reads quickly)."""

    data: dict[str, Any]
    encoded: bytes

    @classmethod
    def of(cls, data: dict[str, Any]) -> StoredRecord:
        """Store ``data``, which must not be changed afterwards."""
        return cls(data, json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


@dataclass
class ObjectState:
    """An object (people, companies...) with its attributes and records."""

    object_id: str
    api_slug: str
    singular_noun: str
    plural_noun: str
    created_at: str
    attributes: dict[str, Attribute]
    # record_id -> record, in creation order (dicts keep insertion order).
    records: dict[str, StoredRecord] = field(default_factory=dict)
    merging: set[str] = field(default_factory=set)

    def body(self) -> dict[str, Any]:
        """Return the object as ``GET /v2/objects/{object}`` gives it under ``data``."""
        return {
            "id": {"workspace_id": WORKSPACE_ID, "object_id": self.object_id},
            "api_slug": self.api_slug,
            "singular_noun": self.singular_noun,
            "plural_noun": self.plural_noun,
            "created_at": self.created_at,
        }


@dataclass
class ListState:
    """A list: entries that each point at a record of the parent object."""

    list_id: str
    api_slug: str
    name: str
    parent_object_id: str
    created_at: str
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Token:
    """A bearer token the emulator knows."""

    token: str
    scopes: frozenset[str]
    active: bool
    actor_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    issued_at: int = field(default_factory=lambda: int(time.time()))

    def has_scope(self, scope: str) -> bool:
        """Tell whether the token grants ``scope``; as on Attio, ``x:read-write`` also grants ``x:read``."""
        if scope in self.scopes:
            return True
        return scope.endswith(":read") and f"{scope}-write" in self.scopes


_DEFAULT_OBJECTS: tuple[tuple[str, str, str, tuple[Attribute, ...]], ...] = (
    (
        "people",
        "Person",
        "People",
        (
            Attribute("name", "personal-name"),
            Attribute("email_addresses", "email-address", multiselect=True),
            Attribute("job_title", "text"),
            Attribute("description", "text"),
        ),
    ),
    (
        "companies",
        "Company",
        "Companies",
        (
            Attribute("name", "text"),
            Attribute("domains", "domain", multiselect=True),
            Attribute("description", "text"),
            Attribute("employee_count", "number"),
        ),
    ),
    (
        "deals",
        "Deal",
        "Deals",
        (Attribute("name", "text"), Attribute("value", "currency")),
    ),
)

# The default objects' attributes are Attio's own (system) attributes.
_SYSTEM_ATTRIBUTES = frozenset(
    (slug, attribute.api_slug) for slug, _, _, attributes in _DEFAULT_OBJECTS for attribute in attributes
)


class Workspace:
    """All the state of one emulated Attio workspace. Every public method is thread-safe.

    :param name: the workspace name that ``GET /v2/self`` reports.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"
        self._lock = threading.Lock()
        self._objects: dict[str, ObjectState] = {}  # by object_id
        self._object_ids_by_slug: dict[str, str] = {}
        self._lists: dict[str, ListState] = {}  # by list_id
        self._list_ids_by_slug: dict[str, str] = {}
        self._tokens: dict[str, Token] = {}
        self.activities = Activities(self)
        created = attio_timestamp()
        for slug, singular, plural, attributes in _DEFAULT_OBJECTS:
            self._add_object(DEFAULT_OBJECT_IDS[slug], slug, singular, plural, created, attributes)

    # -- tokens ---------------------------------------------------------------------------------

    def add_token(self, token: str, scopes: Iterable[str] | None, active: bool) -> None:
        """Register (or replace) a token. ``scopes=None`` grants every scope."""
        granted = frozenset(ALL_SCOPES if scopes is None else scopes)
        with self._lock:
            self._tokens[token] = Token(token, granted, active)

    def revoke_token(self, token: str) -> None:
        """Mark a known token inactive."""
        with self._lock:
            if token not in self._tokens:
                raise ValueError("unknown token")  # never echo a token back
            self._tokens[token].active = False

    def token(self, token: str) -> Token | None:
        """Return what the emulator knows about ``token``, or None."""
        with self._lock:
            return self._tokens.get(token)

    def self_body(self, token: Token) -> dict[str, Any]:
        """Return the ``GET /v2/self`` body for an active token."""
        return {
            "active": True,
            "scope": " ".join(sorted(token.scopes)),
            "client_id": token.actor_id,
            "token_type": "Bearer",
            "exp": None,
            "iat": token.issued_at,
            "sub": WORKSPACE_ID,
            "aud": token.actor_id,
            "iss": "attio.com",
            "authorized_by_workspace_member_id": WORKSPACE_MEMBER_ID,
            "workspace_id": WORKSPACE_ID,
            "workspace_name": self.name,
            "workspace_slug": self.slug,
            "workspace_logo_url": None,
        }

    # -- objects --------------------------------------------------------------------------------

    def _add_object(
        self,
        object_id: str,
        api_slug: str,
        singular: str,
        plural: str,
        created_at: str,
        attributes: Iterable[Attribute],
    ) -> ObjectState:
        obj = ObjectState(
            object_id, api_slug, singular, plural, created_at, {a.api_slug: a for a in attributes}
        )
        self._objects[object_id] = obj
        self._object_ids_by_slug[api_slug] = object_id
        return obj

    def add_object(self, api_slug: str, singular_noun: str | None, plural_noun: str | None) -> dict[str, Any]:
        """Create a custom object with one text attribute, ``name``, and return its body."""
        if not _SLUG.match(api_slug):
            raise ValueError(f"api_slug must be snake_case, got {api_slug!r}")
        with self._lock:
            if api_slug in self._object_ids_by_slug:
                raise ValueError(f"an object with api_slug {api_slug!r} already exists")
            singular = singular_noun or api_slug.replace("_", " ").title()
            plural = plural_noun or (singular if singular.endswith("s") else f"{singular}s")
            obj = self._add_object(
                str(uuid.uuid4()),
                api_slug,
                singular,
                plural,
                attio_timestamp(),
                [Attribute("name", "text")],
            )
            return obj.body()

    def add_attribute(
        self,
        object_ref: str,
        api_slug: str,
        type_: str,
        multiselect: bool,
        *,
        unique: bool | None = None,
        writable: bool | None = None,
        system: bool = False,
        options: Iterable[str] = (),
        target_objects: Iterable[str] = (),
    ) -> None:
        """Add an attribute to an object; existing records get it with no values.

        ``writable=None`` is Attio's default: actor references and interactions are read-only.
        """
        if type_ not in PRIMARY_FIELD:
            raise ValueError(f"unsupported attribute type {type_!r}; use one of {', '.join(PRIMARY_FIELD)}")
        if not _SLUG.match(api_slug):
            raise ValueError(f"api_slug must be snake_case, got {api_slug!r}")
        choices = tuple(Option(title) for title in dict.fromkeys(options))
        if (choices and type_ not in ("select", "status")) or (multiselect and type_ == "status"):
            raise ValueError("options are for select and status attributes; a status holds one value")
        attribute = Attribute(
            api_slug,
            type_,
            multiselect,
            unique=unique,
            writable=type_ not in READ_ONLY_TYPES if writable is None else writable,
            system=system,
            options=choices,
            target_objects=tuple(target_objects),
        )
        with self._lock:
            obj = self._object(object_ref)
            if api_slug in obj.attributes:
                raise ValueError(f"{obj.api_slug} already has an attribute {api_slug!r}")
            for target in attribute.target_objects:
                self._object(target)
            self._add_attribute(obj, attribute)

    def archive_attribute(self, object_ref: str, api_slug: str) -> None:
        """Archive an attribute: it leaves the attribute list, and writes to it are refused."""
        with self._lock:
            obj = self._object(object_ref)
            obj.attributes[api_slug] = replace(self._attribute(obj, api_slug), archived=True)

    def archive_option(self, object_ref: str, api_slug: str, title: str) -> None:
        """Archive a select option or a status: records keep it, new writes can't choose it."""
        with self._lock:
            obj = self._object(object_ref)
            attribute = self._attribute(obj, api_slug)
            if title not in {option.title for option in attribute.options}:
                raise ValueError(f"{api_slug} has no option {title!r}")
            options = tuple(Option(o.title, o.archived or o.title == title) for o in attribute.options)
            obj.attributes[api_slug] = replace(attribute, options=options)

    @staticmethod
    def _attribute(obj: ObjectState, api_slug: str) -> Attribute:
        if api_slug not in obj.attributes:
            raise not_found(f'Attribute with slug/ID "{api_slug}" not found.')
        return obj.attributes[api_slug]

    def option_bodies(self, object_ref: str, attribute_ref: str, kind: str) -> list[dict[str, Any]]:
        """Answer ``GET .../attributes/{attribute}/options`` (``kind="option"``) or ``/statuses``
        (``kind="status"``): the live ones."""
        with self._lock:
            obj = self._object(object_ref)
            attribute = self._find_attribute(obj, attribute_ref)
            if attribute.type != ("select" if kind == "option" else "status"):
                raise validation_error(
                    f'Attribute "{attribute.api_slug}" is a {attribute.type} attribute, not a '
                    f"{'select' if kind == 'option' else 'status'} attribute."
                )
            return [option_body(obj, attribute, o) for o in attribute.options if not o.archived]

    @staticmethod
    def _add_attribute(obj: ObjectState, attribute: Attribute) -> None:
        obj.attributes[attribute.api_slug] = attribute
        # Copy on write: someone may be reading the old records right now.
        for record_id, record in obj.records.items():
            values = {**record.data["values"], attribute.api_slug: []}
            obj.records[record_id] = StoredRecord.of({**record.data, "values": values})

    def _object(self, object_ref: str) -> ObjectState:
        """Find an object by api slug or UUID; the caller holds the lock."""
        object_id = self._object_ids_by_slug.get(object_ref) or normalize_uuid(object_ref)
        obj = self._objects.get(object_id) if object_id else None
        if obj is None:
            raise not_found(f'Object with slug/ID "{object_ref}" not found.')
        return obj

    def delete_object(self, object_ref: str) -> None:
        """Remove an object and its records (an admin deleting it in Attio's settings)."""
        with self._lock:
            obj = self._object(object_ref)
            del self._objects[obj.object_id]
            del self._object_ids_by_slug[obj.api_slug]

    def get_object(self, object_ref: str) -> dict[str, Any]:
        """Return an object's body, or raise the 404 Attio gives."""
        with self._lock:
            return self._object(object_ref).body()

    # -- records --------------------------------------------------------------------------------

    def create_record(
        self,
        object_ref: str,
        values: Mapping[str, Any],
        actor: Mapping[str, Any],
        *,
        add_missing_attributes: bool = False,
        from_api: bool = False,
    ) -> StoredRecord:
        """Create a record from ``values`` (simple or Attio form) and return it.

        :param add_missing_attributes: define attributes the object lacks, typed from the values
            (the Python helper's convenience); the HTTP API refuses them as Attio does.
        :param from_api: check what Attio checks of an API write: no read-only or archived attribute, no
            value a unique attribute already holds (the helpers may set anything).
        """
        if not isinstance(values, Mapping):
            raise validation_error('"data.values" must be an object mapping attribute slugs to values.')
        with self._lock:
            obj = self._object(object_ref)
            if add_missing_attributes:
                for slug, raw in values.items():
                    if slug not in obj.attributes:
                        self._add_attribute(obj, _infer_attribute(slug, raw))
            if from_api:
                _check_writable(obj, values)
            now = time.time()
            record_id = str(uuid.uuid4())
            context = _Context(self, obj)
            rendered = render_values(obj.attributes, values, attio_timestamp(now), dict(actor), context)
            if from_api:
                _check_unique(obj, rendered, values, record_id)
            record = StoredRecord.of(
                {
                    "id": {"workspace_id": WORKSPACE_ID, "object_id": obj.object_id, "record_id": record_id},
                    "created_at": attio_timestamp(now),
                    "web_url": f"https://app.attio.com/{self.slug}/{obj.api_slug}/{record_id}/overview",
                    "values": rendered,
                }
            )
            obj.records[record_id] = record
            return record

    def update_record(
        self, object_ref: str, record_id: str, values: Mapping[str, Any], actor: Mapping[str, Any]
    ) -> StoredRecord:
        """Answer ``PUT .../records/{record_id}``: the given attributes' values are replaced (a
        multiselect's whole list), the others kept; Attio's checks of an API write apply."""
        if not isinstance(values, Mapping):
            raise validation_error('"data.values" must be an object mapping attribute slugs to values.')
        with self._lock:
            obj = self._object(object_ref)
            canonical = self._record(obj, record_id)
            _check_writable(obj, values)
            context = _Context(self, obj)
            rendered = render_values(obj.attributes, values, attio_timestamp(), dict(actor), context)
            _check_unique(obj, rendered, values, canonical)
            old = obj.records[canonical].data
            merged = {**old["values"], **{slug: rendered[slug] for slug in values}}
            obj.records[canonical] = StoredRecord.of({**old, "values": merged})
            return obj.records[canonical]

    def _reference(self, object_ref: str, record_id: str) -> tuple[str, str] | None:
        """The object's slug and the record's canonical id, if it exists; the caller holds the lock."""
        object_id = self._object_ids_by_slug.get(object_ref) or normalize_uuid(object_ref)
        obj = self._objects.get(object_id) if object_id else None
        canonical = normalize_uuid(record_id)
        if obj is None or canonical is None or canonical not in obj.records:
            return None
        return obj.api_slug, canonical

    def _record(self, obj: ObjectState, record_id: str) -> str:
        """Return the canonical id of an existing, readable record; the caller holds the lock."""
        canonical = normalize_uuid(record_id)
        if canonical is None or canonical not in obj.records:
            raise not_found(f'Record with ID "{record_id}" not found.')
        if canonical in obj.merging:
            raise not_found(
                f'Record with ID "{record_id}" is being merged into another record. Please try again later.',
                code="merge_in_progress",
            )
        return canonical

    def get_record(self, object_ref: str, record_id: str) -> StoredRecord:
        """Return a record, or raise Attio's 404 (object, record or ``merge_in_progress``)."""
        with self._lock:
            obj = self._object(object_ref)
            return obj.records[self._record(obj, record_id)]

    def delete_record(self, object_ref: str, record_id: str) -> None:
        """Delete a record and its list entries, or raise Attio's 404."""
        with self._lock:
            obj = self._object(object_ref)
            canonical = self._record(obj, record_id)
            del obj.records[canonical]
            for lst in self._lists.values():
                if lst.parent_object_id == obj.object_id:
                    for entry_id in [e for e, v in lst.entries.items() if v["parent_record_id"] == canonical]:
                        del lst.entries[entry_id]

    def peek_record(self, object_ref: str, record_id: str) -> StoredRecord | None:
        """Return a record even while it is being merged, or None when it doesn't exist."""
        with self._lock:
            obj = self._object(object_ref)
            return obj.records.get(normalize_uuid(record_id) or "")

    def attributes(self, object_ref: str) -> dict[str, Attribute]:
        """Return the object's attributes, by slug."""
        with self._lock:
            return dict(self._object(object_ref).attributes)

    def attribute_bodies(self, object_ref: str) -> list[dict[str, Any]]:
        """Answer ``GET /v2/objects/{object}/attributes``: every attribute's body, or the object's 404."""
        with self._lock:
            obj = self._object(object_ref)
            return [attribute_body(obj, a) for a in obj.attributes.values() if not a.archived]

    def attribute_body(self, object_ref: str, attribute_ref: str) -> dict[str, Any]:
        """Answer ``GET /v2/objects/{object}/attributes/{attribute}`` (a slug or the attribute's UUID)."""
        with self._lock:
            obj = self._object(object_ref)
            return attribute_body(obj, self._find_attribute(obj, attribute_ref))

    @staticmethod
    def _find_attribute(obj: ObjectState, attribute_ref: str) -> Attribute:
        """An attribute by slug or UUID, or Attio's 404; the caller holds the lock."""
        wanted = normalize_uuid(attribute_ref)
        for attribute in obj.attributes.values():
            if attribute_ref == attribute.api_slug or wanted == attribute_id(obj, attribute):
                return attribute
        raise not_found(f'Attribute with slug/ID "{attribute_ref}" not found.')

    def record_ids(self, object_ref: str) -> list[str]:
        """Return the ids of the object's records, in creation order."""
        with self._lock:
            return list(self._object(object_ref).records)

    def set_merging(self, object_ref: str, record_id: str, merging: bool) -> None:
        """Mark a record as being merged (unreadable, undeletable) or clear the mark."""
        with self._lock:
            obj = self._object(object_ref)
            canonical = normalize_uuid(record_id)
            if canonical is None or canonical not in obj.records:
                raise not_found(f'Record with ID "{record_id}" not found.')
            if merging:
                obj.merging.add(canonical)
            else:
                obj.merging.discard(canonical)

    def query_records(self, object_ref: str, body: Any) -> list[StoredRecord]:
        """Answer ``POST .../records/query``: filter, sort, then page by ``limit``/``offset``."""
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise validation_error("The request body must be a JSON object.")
        limit = _non_negative_int(body.get("limit", 500), "limit")
        offset = _non_negative_int(body.get("offset", 0), "offset")
        with self._lock:
            obj = self._object(object_ref)
            attributes = dict(obj.attributes)
            records = list(obj.records.values())
        # Records are immutable, so the (possibly slow) filtering runs without the lock.
        spec = body.get("filter")
        matches = None if spec is None or spec == {} else compile_filter(spec, attributes)
        order = compile_sorts(body.get("sorts"), attributes)
        selected: Iterable[StoredRecord] = (
            records if matches is None else (r for r in records if matches(r.data))
        )
        if order is None:
            # Creation order: stop at the page's end instead of filtering every record.
            return list(islice(selected, offset, offset + limit))
        candidates = list(selected)
        positions = order([r.data["values"] for r in candidates])
        return [candidates[p] for p in positions[offset : offset + limit]]

    # -- lists ----------------------------------------------------------------------------------

    def add_list(self, api_slug: str, name: str | None, parent_object: str) -> dict[str, Any]:
        """Create a list of ``parent_object`` records and return its body."""
        if not _SLUG.match(api_slug):
            raise ValueError(f"api_slug must be snake_case, got {api_slug!r}")
        with self._lock:
            if api_slug in self._list_ids_by_slug:
                raise ValueError(f"a list with api_slug {api_slug!r} already exists")
            obj = self._object(parent_object)
            lst = ListState(
                str(uuid.uuid4()),
                api_slug,
                name or api_slug.replace("_", " ").title(),
                obj.object_id,
                attio_timestamp(),
            )
            self._lists[lst.list_id] = lst
            self._list_ids_by_slug[api_slug] = lst.list_id
            return {
                "id": {"workspace_id": WORKSPACE_ID, "list_id": lst.list_id},
                "api_slug": lst.api_slug,
                "name": lst.name,
                "parent_object": [obj.api_slug],
                "created_at": lst.created_at,
            }

    def _list(self, list_ref: str) -> ListState:
        list_id = self._list_ids_by_slug.get(list_ref) or normalize_uuid(list_ref)
        lst = self._lists.get(list_id) if list_id else None
        if lst is None:
            raise not_found(f'List with slug/ID "{list_ref}" not found.')
        return lst

    def add_list_entry(self, list_ref: str, record_id: str) -> dict[str, Any]:
        """Put a record of the list's parent object on the list and return the entry."""
        with self._lock:
            lst = self._list(list_ref)
            parent = self._objects[lst.parent_object_id]
            canonical = normalize_uuid(record_id)
            if canonical is None or canonical not in parent.records:
                raise not_found(f'Record with ID "{record_id}" not found.')
            entry_id = str(uuid.uuid4())
            entry = {
                "id": {"workspace_id": WORKSPACE_ID, "list_id": lst.list_id, "entry_id": entry_id},
                "parent_record_id": canonical,
                "parent_object": parent.api_slug,
                "created_at": attio_timestamp(),
                "entry_values": {},
            }
            lst.entries[entry_id] = entry
            return entry

    def list_entry_ids(self, list_ref: str) -> list[str]:
        """Return the ids of a list's entries, in creation order."""
        with self._lock:
            return list(self._list(list_ref).entries)

    def list_body(self, list_ref: str) -> dict[str, Any]:
        """A list's JSON, or Attio's 404."""
        with self._lock:
            lst = self._list(list_ref)
            return {
                "id": {"workspace_id": WORKSPACE_ID, "list_id": lst.list_id},
                "api_slug": lst.api_slug,
                "name": lst.name,
                "parent_object": [self._objects[lst.parent_object_id].api_slug],
                "workspace_access": "full-access",
                "workspace_member_access": [],
                "created_by_actor": {"type": "system", "id": None},
                "created_at": lst.created_at,
            }

    def get_list_entry(self, list_ref: str, entry_id: str) -> dict[str, Any]:
        """An entry, or Attio's 404 for the list or the entry."""
        with self._lock:
            lst = self._list(list_ref)
            entry = lst.entries.get(normalize_uuid(entry_id) or "")
            if entry is None:
                raise not_found(f'List entry with ID "{entry_id}" not found.')
            return entry

    def query_list_entries(
        self, list_ref: str, body: Any, parent_filter: str = "applied"
    ) -> list[dict[str, Any]]:
        """``POST /v2/lists/{list}/entries/query``: every entry, or those whose parent record is among a
        ``{"path": [[list, "parent_record"], [object, "record_id"]], "constraints": {"$in": [...]}}``.

        :param parent_filter: how such a filter is met: ``applied``; ``refused`` (Attio's 400
            ``filter_error``); or ``ignored`` (every entry of the list is answered).
        """
        body = body if isinstance(body, dict) else {}
        limit = _non_negative_int(body.get("limit", 500), "limit")
        offset = _non_negative_int(body.get("offset", 0), "offset")
        with self._lock:
            entries = list(self._list(list_ref).entries.values())
        parents = _parent_filter(body.get("filter"))
        if parents is not None and parent_filter == "refused":
            raise filter_error('Unsupported filter: a path through "parent_record" can\'t be queried here.')
        if parents is not None and parent_filter == "applied":
            entries = [e for e in entries if e["parent_record_id"] in parents]
        return entries[offset : offset + limit]

    def record_entries(
        self, object_ref: str, record_id: str, query: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """``GET /v2/objects/{object}/records/{record_id}/entries``: the record's entries on every list
        (``limit`` 100 by default, at most 1000), or Attio's 404 for the object or the record."""
        limit, offset = page_params(query, 100, 1000)
        with self._lock:
            obj = self._object(object_ref)
            canonical = self._record(obj, record_id)
            found = [
                {
                    "list_id": lst.list_id,
                    "list_api_slug": lst.api_slug,
                    "entry_id": entry["id"]["entry_id"],
                    "created_at": entry["created_at"],
                }
                for lst in self._lists.values()
                if lst.parent_object_id == obj.object_id
                for entry in lst.entries.values()
                if entry["parent_record_id"] == canonical
            ]
        return found[offset : offset + limit]

    def delete_list_entry(self, list_ref: str, entry_id: str) -> None:
        """Delete a list entry, or raise Attio's 404 for the list or the entry."""
        with self._lock:
            lst = self._list(list_ref)
            canonical = normalize_uuid(entry_id)
            if canonical is None or canonical not in lst.entries:
                raise not_found(f'List entry with ID "{entry_id}" not found.')
            del lst.entries[canonical]


def _parent_filter(filter: Any) -> set[str] | None:
    """The parent record ids an entries filter asks for; ``None`` for no filter; 400 for others."""
    if not filter:
        return None
    path = filter.get("path") if isinstance(filter, dict) else None
    wanted = (filter.get("constraints") or {}).get("$in") if isinstance(filter, dict) else None
    if not (isinstance(path, list) and len(path) == 2 and path[1][1:] == ["record_id"]) or not isinstance(
        wanted, list
    ):
        raise filter_error("The emulator filters entries by parent record_id ($in) only.")
    return {normalize_uuid(str(w)) or "" for w in wanted}


def attribute_id(obj: ObjectState, attribute: Attribute) -> str:
    """The attribute's UUID: derived from its object and slug, the same in every emulator."""
    return str(uuid.uuid5(uuid.UUID(obj.object_id), attribute.api_slug))


def attribute_body(obj: ObjectState, attribute: Attribute) -> dict[str, Any]:
    """An attribute as Attio describes it (``GET .../attributes/{attribute}`` under ``data``)."""
    system = (obj.api_slug, attribute.api_slug) in _SYSTEM_ATTRIBUTES
    return {
        "id": {
            "workspace_id": WORKSPACE_ID,
            "object_id": obj.object_id,
            "attribute_id": attribute_id(obj, attribute),
        },
        "title": attribute.api_slug.replace("_", " ").capitalize(),
        "description": None,
        "api_slug": attribute.api_slug,
        "type": attribute.type,
        "is_system_attribute": system or attribute.system,
        "is_writable": attribute.writable,
        "is_required": False,
        "is_unique": attribute.is_unique,
        "is_multiselect": attribute.multiselect,
        "is_default_value_enabled": False,
        "is_archived": attribute.archived,
        "default_value": None,
        "relationship": None,
        "created_at": obj.created_at,
        "config": {
            "currency": {
                "default_currency_code": "USD" if attribute.type == "currency" else None,
                "display_type": "symbol" if attribute.type == "currency" else None,
            },
            "record_reference": {
                "allowed_object_ids": [DEFAULT_OBJECT_IDS.get(t, t) for t in attribute.target_objects] or None
            },
        },
    }


def option_body(obj: ObjectState, attribute: Attribute, option: Option) -> dict[str, Any]:
    """A select option (``GET .../options``) or a status (``GET .../statuses``), as Attio describes it."""
    key = "status_id" if attribute.type == "status" else "option_id"
    body: dict[str, Any] = {
        "id": {
            "workspace_id": WORKSPACE_ID,
            "object_id": obj.object_id,
            "attribute_id": attribute_id(obj, attribute),
            key: str(uuid.uuid5(uuid.UUID(attribute_id(obj, attribute)), option.title)),
        },
        "title": option.title,
        "is_archived": option.archived,
    }
    if attribute.type == "status":
        body.update(celebration_enabled=False, target_time_in_status=None)
    return body


@dataclass(frozen=True)
class _Context:
    """What rendering values asks of the workspace (see :class:`ValueContext`); its lock is held."""

    workspace: Workspace
    obj: ObjectState

    def option(self, attribute: Attribute, ref: str) -> dict[str, Any] | None:
        for option in attribute.options:
            body = option_body(self.obj, attribute, option)
            if not option.archived and ref in (option.title, *body["id"].values()):
                return body
        return None

    def reference(self, object_ref: str, record_id: str) -> tuple[str, str] | None:
        return self.workspace._reference(object_ref, record_id)


def _check_writable(obj: ObjectState, values: Mapping[str, Any]) -> None:
    """Refuse what the API may not write: an archived attribute (unknown to it) or a read-only one."""
    for slug in values:
        attribute = obj.attributes.get(slug)
        if attribute is not None and attribute.archived:
            raise validation_error(f'Cannot find attribute with slug/ID "{slug}".', code="value_not_found")
        if attribute is not None and not attribute.writable:
            raise validation_error(f'Attribute "{slug}" is not writable: Attio sets its values itself.')


def _check_unique(
    obj: ObjectState, rendered: Mapping[str, list[dict[str, Any]]], written: Mapping[str, Any], own_id: str
) -> None:
    """Raise Attio's 400 ``uniqueness_conflict`` when another record holds a value written to a unique
    attribute; the caller holds the lock."""
    for slug in written:
        attribute = obj.attributes[slug]
        if not attribute.is_unique:
            continue
        field = PRIMARY_FIELD[attribute.type]
        wanted = {json.dumps(value.get(field)) for value in rendered[slug]}
        for record_id, record in obj.records.items():
            held = {json.dumps(value.get(field)) for value in record.data["values"].get(slug, ())}
            clash = wanted & held
            if record_id != own_id and clash:
                raise validation_error(
                    f"Uniqueness conflict: the value {sorted(clash)[0]} of the unique attribute "
                    f'"{slug}" is already held by another record.',
                    code="uniqueness_conflict",
                )


def _non_negative_int(value: Any, name: str) -> int:
    # JSON has one number type: accept 20 and 20.0, refuse 2.5, -1, "20" and true.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != int(value):
        raise validation_error(f'"{name}" must be a non-negative integer, got {value!r}.')
    return int(value)


def _infer_attribute(slug: str, raw: Any) -> Attribute:
    """Guess an attribute's type from a Python value (used by the lenient helper only)."""
    multiselect = isinstance(raw, (list, tuple)) and len(raw) > 1
    sample = raw[0] if isinstance(raw, (list, tuple)) and raw else raw
    if isinstance(sample, bool):
        return Attribute(slug, "checkbox", multiselect)
    if isinstance(sample, (int, float)):
        return Attribute(slug, "number", multiselect)
    return Attribute(slug, "text", multiselect)


# -- values -------------------------------------------------------------------------------------


def render_values(
    attributes: Mapping[str, Attribute],
    values: Mapping[str, Any],
    active_from: str,
    actor: dict[str, Any],
    context: ValueContext,
) -> dict[str, list[dict[str, Any]]]:
    """Turn write-form values into the read form Attio returns: every attribute, a list each.

    A value may be given as Attio takes it on write: a single value or a list of values, each a
    plain value (``"Ada"``, ``5``) or an object with the type's fields (``{"email_address": ...}``).
    """
    unknown = [slug for slug in values if slug not in attributes]
    if unknown:
        raise validation_error(f'Cannot find attribute with slug/ID "{unknown[0]}".', code="value_not_found")
    rendered: dict[str, list[dict[str, Any]]] = {}
    for slug, attribute in attributes.items():
        raw = values.get(slug)
        items = [] if raw is None else list(raw) if isinstance(raw, (list, tuple)) else [raw]
        if len(items) > 1 and not attribute.multiselect:
            raise validation_error(f'Attribute "{slug}" takes a single value, got {len(items)}.')
        rendered[slug] = [
            {
                "active_from": active_from,
                "active_until": None,
                "created_by_actor": actor,
                **_value_fields(attribute, item, context),
                "attribute_type": attribute.type,
            }
            for item in items
        ]
    return rendered


def _value_fields(attribute: Attribute, raw: Any, context: ValueContext) -> dict[str, Any]:
    """Return the type-specific fields of one value, or raise Attio's 400."""
    kind = attribute.type

    def bad(expected: str, code: str = "validation_type") -> ApiError:
        return validation_error(
            f'Invalid value for attribute "{attribute.api_slug}" ({kind}): expected {expected}.', code=code
        )

    if kind in RICH_TYPES:
        return rich_value_fields(attribute, raw, context, bad)

    def unwrap(key: str) -> Any:
        if isinstance(raw, dict):
            if key not in raw:
                raise bad(f'an object with "{key}"')
            return raw[key]
        return raw

    if kind == "text":
        text = unwrap("value")
        if not isinstance(text, str):
            raise bad("a string")
        return {"value": text}
    if kind == "number":
        number = unwrap("value")
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise bad("a number")
        return {"value": number}
    if kind == "checkbox":
        flag = unwrap("value")
        if isinstance(flag, str) and flag in ("true", "false"):
            flag = flag == "true"
        if not isinstance(flag, bool):
            raise bad("true or false")
        return {"value": flag}
    if kind == "currency":
        amount = unwrap("currency_value")
        code = raw.get("currency_code", "USD") if isinstance(raw, dict) else "USD"
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not isinstance(code, str):
            raise bad("a number (currency_value) and an optional currency_code")
        return {"currency_value": amount, "currency_code": code}
    if kind == "date":
        day = unwrap("value")
        try:
            return {"value": date.fromisoformat(str(day)[:10]).isoformat()}
        except ValueError:
            raise bad("a date (YYYY-MM-DD)") from None
    if kind == "personal-name":
        return _personal_name(raw, bad)
    if kind == "email-address":
        address = unwrap("email_address")
        if not isinstance(address, str) or address.count("@") != 1 or address.startswith("@"):
            raise bad("an email address")
        local, domain = address.lower().split("@")
        if "." not in domain:
            raise bad("an email address")
        return {
            "original_email_address": address,
            "email_address": address.lower(),
            "email_domain": domain,
            "email_root_domain": _root_domain(domain),
            "email_local_specifier": local,
        }
    if kind == "domain":
        name = unwrap("domain")
        if not isinstance(name, str) or "." not in name:
            raise bad("a domain such as example.com")
        # Attio stores the host only: no scheme, no path.
        host = re.sub(r"^[a-z]+://", "", name.strip().lower()).split("/")[0]
        return {"domain": host, "root_domain": _root_domain(host)}
    raise bad("a supported type")  # pragma: no cover - attribute types are checked on creation


def _personal_name(raw: Any, bad: Callable[[str], ApiError]) -> dict[str, Any]:
    if isinstance(raw, str):
        first, _, last = raw.strip().partition(" ")
        return {"first_name": first, "last_name": last.strip(), "full_name": raw.strip()}
    if isinstance(raw, dict) and raw and set(raw) <= {"first_name", "last_name", "full_name"}:
        first = raw.get("first_name") or ""
        last = raw.get("last_name") or ""
        full = raw.get("full_name") or f"{first} {last}".strip()
        if all(isinstance(part, str) for part in (first, last, full)):
            return {"first_name": first, "last_name": last, "full_name": full}
    raise bad('a name string or an object with "first_name", "last_name", "full_name"')


def _root_domain(host: str) -> str:
    return ".".join(host.split(".")[-2:])

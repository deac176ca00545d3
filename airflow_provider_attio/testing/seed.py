"""Realistic fake records from small built-in word lists, deterministic for a given random seed.

Also :func:`seed_examples`: the records the example DAGs and the README's commands use.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_attio.testing.state import WORKSPACE_MEMBER_ID

if TYPE_CHECKING:
    from airflow_provider_attio.testing.emulator import AttioEmulator
    from airflow_provider_attio.testing.state import Attribute

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Ana", "Ben", "Chen", "Clara", "Dmitri", "Elena", "Emeka", "Farah", "Grace",
    "Hiro", "Ines", "Ivan", "Jonas", "Kavya", "Layla", "Lucas", "Maya", "Mateo", "Nadia", "Noah", "Olu",
    "Priya", "Rafael", "Sara", "Sofia", "Tariq", "Tom", "Uma", "Victor", "Wei", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Becker", "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Hopper", "Ibrahim",
    "Jensen", "Kowalski", "Lovelace", "Moreau", "Nakamura", "Novak", "Okafor", "Patel", "Quinn", "Rossi",
    "Santos", "Silva", "Tanaka", "Turing", "Umarov", "Varga", "Walsh", "Xu", "Yilmaz", "Zhang",
)  # fmt: skip
JOB_TITLES = (
    "Account Executive", "CEO", "CTO", "Customer Success Manager", "Data Engineer", "Designer",
    "Founder", "Head of Growth", "Head of Operations", "Marketing Manager", "Product Manager",
    "Recruiter", "Sales Director", "Software Engineer", "VP Engineering",
)  # fmt: skip
COMPANY_FIRST = (
    "Acme", "Apex", "Blue", "Bright", "Cedar", "Copper", "Delta", "Echo", "Granite", "Harbor", "Iron",
    "Lumen", "Maple", "Nimbus", "Nova", "Orbit", "Pine", "Quartz", "Silver", "Summit", "Vertex",
)  # fmt: skip
COMPANY_SECOND = (
    "Analytics", "Bio", "Cloud", "Data", "Dynamics", "Energy", "Foods", "Health", "Labs", "Logistics",
    "Media", "Networks", "Robotics", "Software", "Systems", "Ventures", "Works",
)  # fmt: skip
TLDS = ("com", "io", "co", "dev", "ai", "net")
DEAL_KINDS = ("Annual plan", "Enterprise license", "Expansion", "Pilot", "Renewal", "Seats upgrade")
WORDS = (
    "alpha", "beacon", "canvas", "delta", "ember", "falcon", "harbor", "lantern", "meadow", "orbit",
    "prism", "quill", "river", "signal", "timber", "vector",
)  # fmt: skip


class FakeData:
    """Generate values for records; the same ``random_seed`` gives the same sequence.

    Names, emails and domains are unique within one generator, as Attio's unique attributes need.

    :param random_seed: seed of the generator.
    """

    def __init__(self, random_seed: int = 0) -> None:
        self._rng = random.Random(random_seed)
        self._emails: set[str] = set()
        self._companies: set[str] = set()

    def company(self) -> tuple[str, str]:
        """Return a unique company name and its domain."""
        first, second = self._rng.choice(COMPANY_FIRST), self._rng.choice(COMPANY_SECOND)
        tld = self._rng.choice(TLDS)
        name, n = f"{first} {second}", 1
        while name in self._companies:
            n += 1
            name = f"{first} {second} {n}"
        self._companies.add(name)
        return name, f"{name.lower().replace(' ', '')}.{tld}"

    def person(self) -> dict[str, Any]:
        """Return a person's values: name, a unique work email, a job title and a description."""
        first, last = self._rng.choice(FIRST_NAMES), self._rng.choice(LAST_NAMES)
        company, domain = self.company()
        job_title = self._rng.choice(JOB_TITLES)
        local, n = f"{first}.{last}".lower(), 1
        email = f"{local}@{domain}"
        while email in self._emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self._emails.add(email)
        return {
            "name": {"first_name": first, "last_name": last, "full_name": f"{first} {last}"},
            "email_addresses": [email],
            "job_title": job_title,
            "description": f"{job_title} at {company}.",
        }

    def values_for(self, object_slug: str, attributes: Mapping[str, Attribute]) -> dict[str, Any]:
        """Return plausible values for one record of ``object_slug``, filling every attribute.

        :param object_slug: the object's api slug; people, companies and deals get realistic data,
            other objects get generic values by attribute type.
        :param attributes: the object's attributes, by slug.
        """
        values: dict[str, Any] = {}
        if object_slug == "people":
            values.update(self.person())
        elif object_slug == "companies":
            name, domain = self.company()
            values.update(
                name=name,
                domains=[domain],
                description=f"{name} builds {self._rng.choice(COMPANY_SECOND).lower()} products.",
                employee_count=self._rng.choice((5, 12, 40, 85, 150, 400, 1200, 5000)),
            )
        elif object_slug == "deals":
            name, _ = self.company()
            values.update(
                name=f"{name}: {self._rng.choice(DEAL_KINDS)}",
                value={"currency_value": self._rng.randrange(10, 500) * 100, "currency_code": "USD"},
            )
        for slug, attribute in attributes.items():
            if slug not in values:
                values[slug] = self._generic(attribute)
        return {slug: value for slug, value in values.items() if slug in attributes}

    def _generic(self, attribute: Attribute) -> Any:
        rng = self._rng
        if attribute.type in _RICH_FAKES:
            return _RICH_FAKES[attribute.type](rng, attribute)
        if attribute.type == "personal-name":
            return self.person()["name"]
        if attribute.type == "email-address":
            return self.person()["email_addresses"]
        if attribute.type == "domain":
            return [self.company()[1]]
        if attribute.type == "number":
            return rng.randrange(1, 1000)
        if attribute.type == "currency":
            return {"currency_value": rng.randrange(10, 500) * 100}
        if attribute.type == "checkbox":
            return rng.random() < 0.5
        if attribute.type == "date":
            return f"20{rng.randrange(20, 27)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        if attribute.api_slug == "job_title":
            return rng.choice(JOB_TITLES)
        return f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}"


CITIES = (("London", "GB", "51.5072", "-0.1276"), ("Paris", "FR", "48.8566", "2.3522"),
          ("Berlin", "DE", "52.52", "13.405"), ("Boston", "US", "42.3601", "-71.0589"))  # fmt: skip


def _fake_timestamp(rng: random.Random, attribute: Attribute) -> str:
    day = f"20{rng.randrange(20, 27)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    return f"{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"


def _fake_option(rng: random.Random, attribute: Attribute) -> Any:
    live = [option.title for option in attribute.options if not option.archived]
    return rng.choice(live) if live else None


def _fake_location(rng: random.Random, attribute: Attribute) -> dict[str, Any]:
    city, country, latitude, longitude = rng.choice(CITIES)
    return {
        "line_1": f"{rng.randrange(1, 200)} {rng.choice(WORDS).title()} Street",
        "locality": city,
        "postcode": f"{rng.randrange(10000, 99999)}",
        "country_code": country,
        "latitude": latitude,
        "longitude": longitude,
    }


_RICH_FAKES: dict[str, Any] = {
    "timestamp": _fake_timestamp,
    "rating": lambda rng, attribute: rng.randrange(0, 6),
    "select": _fake_option,
    "status": _fake_option,
    "record-reference": lambda rng, attribute: None,  # nothing to point at yet
    "location": _fake_location,
    "phone-number": lambda rng, attribute: {
        "original_phone_number": f"+1 617 555 {rng.randrange(1000, 9999)}",
        "country_code": "US",
    },
    "actor-reference": lambda rng, attribute: {
        "referenced_actor_type": "workspace-member",
        "referenced_actor_id": WORKSPACE_MEMBER_ID,
    },
    "interaction": lambda rng, attribute: {
        "interaction_type": "email",
        "interacted_at": _fake_timestamp(rng, attribute),
        "owner_actor": {"type": "workspace-member", "id": WORKSPACE_MEMBER_ID},
    },
}


# -- the records the example DAGs and the README use ---------------------------------------------------

#: Email domain of the load-test cohort that ``example_attio_bulk_teardown`` targets by default. ``.invalid``
#: is reserved (RFC 2606, RFC 6761): no real address uses it, so the default can't match real data.
LOAD_TEST_DOMAIN = "loadtest.example.invalid"
#: Email domain of the sync fixtures that ``example_attio_sync_teardown`` targets by default.
SYNC_FIXTURE_DOMAIN = "sync-fixtures.example.invalid"
#: What ``--seed examples`` creates, besides the named records below.
EXAMPLE_BACKGROUND = {"people": 40, "companies": 12, "deals": 6}
EXAMPLE_SYNC_FIXTURES = 5
EXAMPLE_LOAD_TESTERS = 150


@dataclass(frozen=True)
class ExampleRecords:
    """The records :func:`seed_examples` created, by the example DAG that uses them (record ids)."""

    #: a person to delete with ``example_attio_delete_record``
    delete_me: str
    #: a person for ``example_attio_wait_until_deleted`` to watch
    watch_me: str
    #: people matched by ``example_attio_sync_teardown``'s default filter
    sync_fixtures: list[str]
    #: people matched by ``example_attio_bulk_teardown``'s default filter
    load_testers: list[str]
    #: people in ``example_attio_mirror_sync``'s default scope
    mirror_sync: MirrorSyncRecords
    #: realistic people, companies and deals that no example touches
    background: dict[str, list[str]] = field(default_factory=dict)

    def commands(self) -> list[str]:
        """Return ready-to-run ``airflow dags test`` commands that use these records."""

        def command(dag_id: str, **params: Any) -> str:
            return f"airflow dags test {dag_id} --conf '{json.dumps(params)}'"

        return [
            command("example_attio_delete_record", record_id=self.delete_me, confirm_delete=True),
            command("example_attio_wait_until_deleted", record_id=self.watch_me),
            command("example_attio_sync_teardown", confirm_delete=True),
            command("example_attio_bulk_teardown", confirm_delete=True),
            command("example_attio_mirror_sync", confirm_delete=True),
        ]


def seed_examples(emulator: AttioEmulator) -> ExampleRecords:
    """Create the records the example DAGs, their documented confs and the README's commands match.

    The same records (names, emails, order) on every call with a fresh emulator; record ids are new
    UUIDs each time, so :meth:`ExampleRecords.commands` gives the commands with this run's ids.
    ``python -m airflow_provider_attio.testing serve --seed examples`` and ``make demo`` use it.

    * 40 people, 12 companies and 6 deals of realistic background data, which no example deletes;
    * ``Delia Example`` and ``Walter Example``, one for ``example_attio_delete_record`` and one for
      ``example_attio_wait_until_deleted`` (their ids are in the result);
    * 5 people with a work email ``@sync-fixtures.example.invalid`` (job title ``Sync fixture``), the
      default target of ``example_attio_sync_teardown``;
    * the list ``sync_pipeline`` with those 5 on it, a note and a task on each and a task shared with a
      background person (:func:`seed_activities`), for ``example_attio_activity_teardown``;
    * 150 people with an email ``@loadtest.example.invalid``, the default target of
      ``example_attio_bulk_teardown``;
    * the 12 people ``example_attio_mirror_sync`` mirrors (:func:`seed_mirror_sync`).

    :param emulator: the emulator to fill (running or not).
    :return: the ids of the records created, by purpose.
    """
    background = {
        object_slug: [record["id"]["record_id"] for record in emulator.seed(object_slug, count)]
        for object_slug, count in EXAMPLE_BACKGROUND.items()
    }

    def person(name: str, email: str, job_title: str) -> str:
        values = {"name": name, "email_addresses": [email], "job_title": job_title}
        return str(emulator.create_record("people", values)["id"]["record_id"])

    delete_me = person("Delia Example", "delia@examples.example.invalid", "Example: delete me")
    watch_me = person("Walter Example", "walter@examples.example.invalid", "Example: watch me")
    fixtures = [
        person(f"Sync Fixture {n}", f"fixture{n}@{SYNC_FIXTURE_DOMAIN}", "Sync fixture")
        for n in range(1, EXAMPLE_SYNC_FIXTURES + 1)
    ]
    testers = [
        person(f"Load Tester {n}", f"tester{n}@{LOAD_TEST_DOMAIN}", "Load test user")
        for n in range(1, EXAMPLE_LOAD_TESTERS + 1)
    ]
    seed_activities(emulator, fixtures, background["people"][0])
    return ExampleRecords(delete_me, watch_me, fixtures, testers, seed_mirror_sync(emulator), background)


#: The list ``example_attio_activity_teardown`` takes the sync fixtures off by default.
EXAMPLE_LIST = "sync_pipeline"


def seed_activities(emulator: AttioEmulator, fixtures: list[str], outsider: str) -> None:
    """What a sync left besides its people, for ``example_attio_activity_teardown``: the list
    :data:`EXAMPLE_LIST` with each fixture on it, a note on each and a task for each, and one task shared
    with ``outsider`` (someone else's too: the example keeps it)."""
    emulator.add_list(EXAMPLE_LIST, parent_object="people", name="Sync pipeline")
    for n, fixture in enumerate(fixtures, 1):
        emulator.add_list_entry(EXAMPLE_LIST, fixture)
        emulator.add_note("people", fixture, f"Synced fixture {n}")
        emulator.add_task([("people", fixture)], f"Follow up with fixture {n}")
    emulator.add_task([("people", fixtures[0]), ("people", outsider)], "Introduce fixture 1")


#: The reserved domain of the people ``example_attio_mirror_sync`` mirrors (its default scope).
MIRROR_SYNC_DOMAIN = "mirror-sync.example.invalid"
#: How many people :func:`seed_mirror_sync` creates in that scope; the example's source keeps all but one.
EXAMPLE_MIRROR_MEMBERS = 12


@dataclass(frozen=True)
class MirrorSyncRecords:
    """The people :func:`seed_mirror_sync` created (record ids)."""

    #: people whose email the example's source table still holds: a mirror keeps them
    kept: list[str]
    #: the person whose email the source no longer holds: a confirmed mirror deletes it
    left: str


def seed_mirror_sync(emulator: AttioEmulator) -> MirrorSyncRecords:
    """Create the people ``example_attio_mirror_sync`` mirrors: ``member1..12@mirror-sync.example.invalid``.

    The example's source table (sqlite3) holds members 1 to 11 (and a contact not in Attio yet), so a
    confirmed run deletes member 12 (1 of 12, under the default ``max_delete_fraction`` of 0.1) and keeps
    the others. :func:`seed_examples` (so ``serve --seed examples`` and ``make demo``) and the example's
    tests use it.
    """

    def person(n: int) -> str:
        values = {
            "name": f"Mirror Member {n}",
            "email_addresses": [f"member{n}@{MIRROR_SYNC_DOMAIN}"],
            "job_title": "Mirrored contact",
        }
        return str(emulator.create_record("people", values)["id"]["record_id"])

    ids = [person(n) for n in range(1, EXAMPLE_MIRROR_MEMBERS + 1)]
    return MirrorSyncRecords(kept=ids[:-1], left=ids[-1])

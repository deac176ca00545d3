"""Realistic fake records from small built-in word lists, deterministic for a given random seed."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

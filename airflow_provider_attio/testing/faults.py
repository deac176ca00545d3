"""Injected faults: the ways the emulator misbehaves on purpose (its rate limits are in ``ratelimits.py``):
failures, latency, dropped connections, and pages that are not Attio's answers (a proxy's sign-in page).

Rules match a request by method and by a glob on its URL path (``fnmatch``: ``*`` also matches
``/``), and are thread-safe: tests set them from their own thread while the server consults them.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from email.utils import formatdate
from fnmatch import fnmatchcase
from typing import TypeVar

from airflow_provider_attio.testing.clock import SYSTEM_CLOCK, Clock


@dataclass
class _Rule:
    method: str | None
    path: str | None
    remaining: int | None  # None: until cleared

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or fnmatchcase(path, self.path)
        )

    def same_target(self, method: str | None, path: str | None) -> bool:
        return self.method == method and self.path == path


@dataclass
class _FailRule(_Rule):
    status: int
    code: str | None
    retry_after: str | None
    share: float | None  # None: fail every matching call while ``remaining`` lasts
    rng: random.Random | None


@dataclass
class _LatencyRule(_Rule):
    seconds: float


@dataclass(frozen=True)
class Page:
    """An answer that is not Attio's: what a proxy, a captive portal or another host sends."""

    status: int
    body: bytes
    content_type: str


#: The default body of ``AttioEmulator.answer_html``: a sign-in page, as a proxy or a captive portal sends.
SIGN_IN_PAGE = (
    "<!doctype html><html><head><title>Sign in</title></head><body>"
    '<form method="post" action="/login"><input name="username"><input name="password" type="password">'
    '<button type="submit">Sign in</button></form></body></html>'
)


@dataclass
class _PageRule(_Rule):
    applied: bool  # False: answered in Attio's place; True: Attio's answer replaced
    page: Page


@dataclass(frozen=True)
class Failure:
    """A fault that fired: what the faulted call answers."""

    status: int
    code: str | None
    retry_after: str | None


_R = TypeVar("_R", bound=_Rule)

#: How the entries query meets a filter by parent record (a path through ``parent_record``): applied, as
#: the emulator does by default; refused with Attio's 400 ``filter_error``; or ignored (every entry).
ENTRY_PARENT_FILTER_BEHAVIOURS = ("applied", "refused", "ignored")


def _upper(method: str | None) -> str | None:
    return method.upper() if method else None


class FaultPlan:
    """The active fault rules of one emulator."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_FailRule] = []
        self._latencies: list[_LatencyRule] = []
        self._drops: list[_Rule] = []
        self._pages: list[_PageRule] = []
        self.entry_parent_filter = "applied"

    def fail_next(
        self,
        count: int,
        status: int,
        method: str | None,
        path: str | None,
        code: str | None,
        retry_after: str | None,
    ) -> None:
        """Make the next ``count`` matching calls answer ``status``."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._failures.append(
                _FailRule(_upper(method), path, count, status, code, retry_after, None, None)
            )

    def fail_share(
        self,
        share: float,
        status: int,
        method: str | None,
        path: str | None,
        code: str | None,
        seed: int | None,
    ) -> None:
        """Make a random ``share`` of matching calls answer ``status``; 0 removes the rule for that target."""
        if not 0 <= share <= 1:
            raise ValueError("share must be between 0 and 1")
        method = _upper(method)
        with self._lock:
            self._failures = [f for f in self._failures if f.share is None or not f.same_target(method, path)]
            if share > 0:
                rule = _FailRule(method, path, None, status, code, None, share, random.Random(seed))
                self._failures.append(rule)

    def set_latency(self, seconds: float, method: str | None, path: str | None, count: int | None) -> None:
        """Delay matching calls by ``seconds`` (the next ``count``, or all); 0 with no count clears."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        method = _upper(method)
        with self._lock:
            if count is None:
                self._latencies = [r for r in self._latencies if not r.same_target(method, path)]
            if seconds > 0:
                self._latencies.append(_LatencyRule(method, path, count, seconds))

    def drop_after_apply(self, count: int, method: str | None, path: str | None) -> None:
        """Apply the next ``count`` matching successful calls, then close the connection unanswered."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._drops.append(_Rule(_upper(method), path, count))

    def answer_page(
        self, count: int | None, method: str | None, path: str | None, applied: bool, page: Page
    ) -> None:
        """Answer the next ``count`` matching calls (all until cleared: None) with ``page``.

        :raises ValueError: for a count below 1, or a status outside 200-599 or that carries no body.
        """
        if count is not None and count < 1:
            raise ValueError("count must be at least 1, or None for every call until cleared")
        if not 200 <= page.status <= 599 or page.status in (204, 304):
            raise ValueError("status must be from 200 to 599 and carry a body (not 204 or 304)")
        with self._lock:
            self._pages.append(_PageRule(_upper(method), path, count, applied, page))

    def set_entry_parent_filter(self, behaviour: str) -> None:
        """Meet the entries query's filter by parent record as ``behaviour`` says (until cleared)."""
        if behaviour not in ENTRY_PARENT_FILTER_BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {', '.join(ENTRY_PARENT_FILTER_BEHAVIOURS)}")
        with self._lock:
            self.entry_parent_filter = behaviour

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self.entry_parent_filter = "applied"
            self._failures.clear()
            self._latencies.clear()
            self._drops.clear()
            self._pages.clear()

    # -- consulted by the server, once per request -----------------------------------------------

    @staticmethod
    def _consume(rules: list[_R], rule: _R) -> None:
        if rule.remaining is not None:
            rule.remaining -= 1
            if rule.remaining == 0:
                rules.remove(rule)

    def take_latency(self, method: str, path: str) -> float:
        """Return the delay for this call: the sum of the matching latency rules."""
        if not self._latencies:  # the common case, without taking the lock
            return 0.0
        with self._lock:
            matching = [r for r in self._latencies if r.matches(method, path)]
            for rule in matching:
                self._consume(self._latencies, rule)
            return sum(r.seconds for r in matching)

    def take_failure(self, method: str, path: str) -> Failure | None:
        """Return the fault this call answers with, if a rule fires (the first one that does)."""
        if not self._failures:
            return None
        with self._lock:
            for rule in self._failures:
                if not rule.matches(method, path):
                    continue
                if rule.share is not None and rule.rng is not None and rule.rng.random() >= rule.share:
                    continue
                self._consume(self._failures, rule)
                return Failure(rule.status, rule.code, rule.retry_after)
        return None

    def take_page(self, method: str, path: str, applied: bool) -> Page | None:
        """Return the page this call answers instead of Attio's answer, if a rule fires (the first one).

        :param applied: which rules to consult: those answering in Attio's place (False, before the
            call is served) or those replacing its answer (True, after).
        """
        if not self._pages:
            return None
        with self._lock:
            for rule in self._pages:
                if rule.applied == applied and rule.matches(method, path):
                    self._consume(self._pages, rule)
                    return rule.page
        return None

    def take_drop(self, method: str, path: str) -> bool:
        """Tell whether this applied call's connection must be dropped instead of answered."""
        if not self._drops:
            return False
        with self._lock:
            for rule in self._drops:
                if rule.matches(method, path):
                    self._consume(self._drops, rule)
                    return True
        return False


def retry_after_date(clock: Clock = SYSTEM_CLOCK) -> str:
    """Return an injected 429's ``Retry-After`` as Attio sends it: the HTTP date of the next second.

    :param clock: where the time comes from.
    """
    return http_date(math.floor(clock.time()) + 1)


def http_date(epoch_second: int) -> str:
    """Format a whole epoch second as an HTTP date (``Tue, 23 May 2023 14:42:01 GMT``).

    :param epoch_second: seconds since the epoch.
    """
    return formatdate(epoch_second, usegmt=True)

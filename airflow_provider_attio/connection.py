"""The ``attio`` connection: its settings (extras), base URL and token, its form, and what ``requests``
raising means (how far a request went; why a connection test got no answer).

Both clients read a connection here: the hook (``requests``) and the triggerer's async client
(``httpx``). The token leaves this module only inside :class:`ConnectionParts` (whose repr omits it) and
a session's headers; it is masked in logs as it is read.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import requests
from airflow.providers.common.compat.sdk import mask_secret
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from airflow_provider_attio import __version__
from airflow_provider_attio.core import DEFAULT_HOST, TransportFailure
from airflow_provider_attio.exceptions import AttioAuthError, AttioValidationError
from airflow_provider_attio.validation import check_finite_number, validate_token

USER_AGENT = f"airflow-provider-attio/{__version__}"
#: The connect and read timeout of a connection test, in seconds: someone is waiting for it.
TEST_TIMEOUT = 5.0

#: The largest value each connection extra accepts: larger ones are typos, and some overflow sockets.
SETTING_MAXIMUMS: dict[str, float] = {
    "timeout": 3600,
    "connect_timeout": 600,
    "max_retries": 100,
    "retry_budget": 86400,
    "max_retry_wait": 3600,
    "backoff": 600,
}


@dataclass(frozen=True)
class ConnectionSettings:
    """The tunable options of an ``attio`` connection (its extras), with their defaults.

    :param timeout: seconds to wait for Attio to answer one request (the read timeout).
    :param connect_timeout: seconds to wait for a TCP/TLS connection to Attio.
    :param max_retries: retries of one call after its first attempt, for transient failures.
    :param retry_budget: seconds one call may spend retrying, sleeps included.
    :param max_retry_wait: the longest single sleep between two attempts, in seconds.
    :param backoff: the first backoff sleep in seconds; it doubles per retry, with full jitter.
    """

    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_retries: int = 8
    retry_budget: float = 120.0
    max_retry_wait: float = 30.0
    backoff: float = 0.5

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> ConnectionSettings:
        """Read the settings from a connection's extras, refusing unknown or malformed ones.

        Forms of Airflow before 3.2 store fields as ``extra__attio__<name>``; both spellings are accepted.
        Empty values (an untouched form field) mean "use the default".
        """
        known = {f.name: f.type for f in cls.__dataclass_fields__.values()}
        values: dict[str, Any] = {}
        for raw_key, raw_value in extras.items():
            key = raw_key.removeprefix("extra__attio__")
            if raw_value is None or raw_value == "":
                continue
            if key not in known:
                hint = " (extras are options, never HTTP headers)" if key.lower() == "headers" else ""
                raise AttioValidationError(
                    f"The connection has an unknown extra {raw_key!r}{hint}; "
                    f"known extras: {', '.join(sorted(known))}."
                )
            want_int = known[key] in ("int", int)
            number = check_finite_number(raw_value, key, integer=want_int, maximum=SETTING_MAXIMUMS[key])
            values[key] = int(number) if want_int else number
        settings = cls(**values)
        if settings.timeout <= 0 or settings.connect_timeout <= 0:
            raise AttioValidationError("The connection's timeout and connect_timeout must be greater than 0.")
        return settings


@dataclass(frozen=True)
class ConnectionParts:
    """What a client needs of a connection. The token is left out of the repr.

    :param base_url: the API's base URL, e.g. ``https://api.attio.com``.
    :param settings: timeouts and retry options.
    :param token: the bearer token.
    """

    base_url: str
    settings: ConnectionSettings
    token: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, settings={self.settings!r})"

    def headers(self) -> dict[str, str]:
        """The headers of every request: the bearer token, the User-Agent, JSON."""
        return {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }


def connection_parts(conn: Any, extras: Mapping[str, Any]) -> ConnectionParts:
    """Read an ``attio`` connection: its base URL, its settings and its token (masked in logs).

    :param conn: an Airflow connection.
    :param extras: its extras, already decoded (triggers decode them without blocking the event loop).
    :raises AttioAuthError: the connection has no usable token.
    """
    if conn.password:
        mask_secret(conn.password)
    try:
        token = validate_token(conn.password)
    except AttioValidationError as err:
        # Not the connection id: while Airflow tests a connection it swaps in a random one.
        raise AttioAuthError(err.message) from None
    if token != conn.password:  # surrounding whitespace stripped: mask what is sent too
        mask_secret(token)
    return ConnectionParts(base_url_of(conn), ConnectionSettings.from_extras(extras or {}), token)


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _split_host(conn: Any) -> tuple[str, SplitResult, int | None]:
    host = (conn.host or "").strip()
    if "://" not in host:
        host = f"{(conn.schema or 'https').strip().lower()}://{host}"
    parts = urlsplit(host)
    try:
        port = parts.port or conn.port
    except ValueError as err:
        raise AttioValidationError(f"The Attio connection's host is not a valid URL: {host!r}.") from err
    return host, parts, port


def _check_host(host: str, parts: SplitResult) -> None:
    if "@" in parts.netloc:
        # https://api.attio.com@evil.example calls evil.example: user info is a classic disguise.
        raise AttioValidationError(
            f"The Attio connection's host has user info before '@', so requests would go to "
            f"{parts.hostname!r}, not the host it seems to name. Give the server only, like {DEFAULT_HOST}."
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AttioValidationError(
            f"The Attio connection's host must be an https:// URL like {DEFAULT_HOST}; got {host!r}."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise AttioValidationError(
            f"The Attio connection's host {host!r} uses plain http:// on a non-loopback host, which "
            "would send the token in clear text. Use https:// (http:// is allowed only for "
            "127.0.0.1, ::1 or localhost, e.g. a local emulator)."
        )


def base_url_of(conn: Any) -> str:
    """The API's base URL from a connection's host (and schema, port): ``https://api.attio.com`` by default.

    A trailing ``/v2`` (a common paste of Attio's docs) is dropped: the hook adds it to every path. Plain
    ``http://`` is refused except on loopback, where a local emulator runs; user info (``user@``) is
    refused everywhere.

    :param conn: an Airflow connection.
    """
    if not (conn.host or "").strip():
        return DEFAULT_HOST
    host, parts, port = _split_host(conn)
    _check_host(host, parts)
    assert parts.hostname is not None
    path = parts.path.rstrip("/")
    path = path[:-3] if path.lower().endswith("/v2") else path
    if "/v2/" in f"{path.lower()}/" or parts.query or parts.fragment:
        raise AttioValidationError(
            f"The Attio connection's host must be the server only, like {DEFAULT_HOST} (the provider adds "
            f"/v2/... itself); got {host!r}."
        )
    netloc = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}{path}"


def failure_of(err: requests.RequestException) -> TransportFailure:
    """How far a request that got no answer went: never sent (refused, DNS, connect timeout), or maybe
    applied (read timeout, connection dropped mid-call)."""
    cause = getattr(err.args[0] if err.args else None, "reason", None)
    never_sent = isinstance(err, requests.ConnectTimeout) or isinstance(cause, NewConnectionError)
    if isinstance(err, requests.Timeout):
        return "connect_timeout" if never_sent else "read_timeout"
    if isinstance(err, requests.ConnectionError):
        return "connect" if never_sent else "dropped"
    return "other"


def new_session(parts: ConnectionParts) -> requests.Session:
    """A ``requests`` session for the connection: its headers, keep-alive, no retries underneath."""
    session = requests.Session()
    session.headers.update(parts.headers())
    # Retries are the core's; urllib3 must not retry underneath. The pool fits the bulk engine's workers.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def connection_form_widgets() -> dict[str, Any]:
    """The extra fields of the ``attio`` connection form on Airflow before 3.2 (3.2+ reads conn-fields)."""
    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import IntegerField, StringField

    from airflow_provider_attio.get_provider_info import CONN_FIELDS

    # Airflow accepts only Integer/String/Password/Boolean fields: seconds (floats) are strings,
    # which ConnectionSettings parses and checks.
    return {
        name: (IntegerField if "integer" in spec["schema"]["type"] else StringField)(
            lazy_gettext(spec["label"]),
            widget=BS3TextFieldWidget(),
            description=spec["description"],
            default=spec["schema"]["default"],
        )
        for name, spec in CONN_FIELDS.items()
    }


def ui_field_behaviour() -> dict[str, Any]:
    """The form's hidden fields and the token field's label, on Airflow before 3.2."""
    from airflow_provider_attio.get_provider_info import UI_FIELD_BEHAVIOUR

    return {key.replace("-", "_"): value for key, value in UI_FIELD_BEHAVIOUR.items()}


def _causes(err: BaseException) -> Iterator[BaseException]:
    """``err`` and what lies under it: ``__cause__``/``__context__`` and urllib3's ``reason``."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        todo += [current.__cause__, current.__context__]
        todo += [reason] if isinstance(reason, BaseException) else []
        todo += [arg for arg in current.args if isinstance(arg, BaseException)]


def describe_transport_failure(err: requests.RequestException, base_url: str) -> str:
    """One sentence on why a request to ``base_url`` got no answer: DNS, refused, TLS or a timeout.

    :param err: what ``requests`` raised.
    :param base_url: the API's base URL, named in the sentence (it never holds the token).
    """
    host = urlsplit(base_url).netloc
    causes = list(_causes(err))
    if any(isinstance(c, socket.gaierror) or type(c).__name__ == "NameResolutionError" for c in causes):
        return f"Could not resolve the host name {host!r}: check the connection's host (DNS)."
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"{host} refused the connection: nothing listens there (check the host and port)."
    if isinstance(err, requests.exceptions.SSLError):
        return f"The TLS handshake with {host} failed: does it serve https:// with a valid certificate?"
    if isinstance(err, requests.ConnectTimeout):
        return f"Could not connect to {host} in time (unreachable host, firewall or proxy?)."
    if isinstance(err, requests.Timeout):
        return f"{host} accepted the connection but did not answer in time."
    return f"Could not reach {host}: {type(err).__name__}."


__all__ = [
    "SETTING_MAXIMUMS",
    "TEST_TIMEOUT",
    "USER_AGENT",
    "ConnectionParts",
    "ConnectionSettings",
    "base_url_of",
    "connection_form_widgets",
    "connection_parts",
    "describe_transport_failure",
    "failure_of",
    "new_session",
    "ui_field_behaviour",
]

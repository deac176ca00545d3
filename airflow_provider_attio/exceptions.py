"""The errors the Attio provider raises. The tree (permanent errors fail a task without Airflow retries;
transient ones, once the client's own retries are spent, leave Airflow's retries to act)::

    AttioError (AirflowException)
    ├── AttioPermanentError
    │   ├── AttioNotFoundError                 404 not_found on a record, entry, note or task
    │   │   ├── AttioObjectNotFoundError       the object does not exist
    │   │   └── AttioListNotFoundError         the list does not exist
    │   ├── AttioAuthError                     403: a scope is missing
    │   │   └── AttioTokenRejectedError        401: the token itself (re-read once: a rotation)
    │   ├── AttioValidationError               400, or bad input refused before sending
    │   ├── AttioResponseError                 an answer that is not Attio's (an HTML page, no JSON)
    │   ├── ArchiveLocationError               the archive's location is wrong
    │   ├── AttioBulkDeletePermanentError      a bulk delete's failures were all permanent
    │   └── AttioRestorePermanentError         a restore's failures were all permanent, or a conflict
    │                                          with on_conflict="fail"
    ├── AttioTransientError
    │   ├── AttioRateLimitError                429
    │   ├── AttioServerError                   5xx, a timeout, a dropped connection
    │   │   └── AttioOutcomeUnknownError       ...after a create that may have been applied: not resent
    │   ├── ArchiveUnavailableError            the archive's store failed for now
    │   ├── AttioBulkDeleteRetryableError      a bulk delete's failures include transient ones
    │   └── AttioRestoreRetryableError         a restore's failures include transient ones
    ├── ArchiveWriteError                      the two archive errors' common base
    ├── AttioBulkDeleteError                   the two bulk errors' common base
    └── AttioRestoreError                      the two restore errors' common base

(The bulk and restore errors' bases share a private one, which carries the ``summary`` and ``failures``.)

Every error carries what a user needs to act on it (the HTTP status, Attio's ``type``/``code``/``message``,
the method and path) and never the token.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowException

#: The scopes the provider's calls need; named in auth errors so a user knows what to grant.
REQUIRED_SCOPES: tuple[str, ...] = ("record_permission:read-write", "object_configuration:read")


class AttioError(AirflowException):
    """An Attio API call failed, or was refused before it was sent.

    :param message: what went wrong, in words a user can act on.
    :param status: the HTTP status code, or ``None`` when no response was received.
    :param error_type: Attio's error ``type`` (``invalid_request_error``, ``auth_error``...).
    :param code: Attio's error ``code`` (``not_found``, ``merge_in_progress``, ``filter_error``...).
    :param attio_message: Attio's own ``message``.
    :param method: the HTTP method of the call.
    :param path: the URL path of the call (never the query string, never headers).
    """

    #: Every AttioError class by name, so :meth:`from_dict` (and unpickling) rebuilds the right one.
    registry: ClassVar[dict[str, type[AttioError]]] = {}
    #: Keyword arguments a subclass adds to the common ones; carried by :meth:`to_dict` and pickling.
    extra_fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        AttioError.registry[cls.__name__] = cls

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        code: str | None = None,
        attio_message: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.error_type = error_type
        self.code = code
        self.attio_message = attio_message
        self.method = method
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        if self.method and self.path:
            parts.append(f"[{self.method} {self.path}")
            details = [str(self.status)] if self.status is not None else []
            details += [d for d in (self.error_type, self.code) if d]
            parts[-1] += (" -> " + " ".join(details) if details else "") + "]"
        if self.attio_message and self.attio_message not in self.message:
            parts.append(f"Attio said: {self.attio_message}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The error as plain data (for trigger events and logs), its class's own fields included."""
        data = {
            "error_class": type(self).__name__,
            "message": self.message,
            "status": self.status,
            "error_type": self.error_type,
            "code": self.code,
            "attio_message": self.attio_message,
            "method": self.method,
            "path": self.path,
        }
        return data | {name: getattr(self, name) for name in self.extra_fields}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttioError:
        """Rebuild an error serialized with :meth:`to_dict`, as its original class."""
        error_cls = AttioError.registry.get(str(data.get("error_class")), AttioError)
        common = ("status", "error_type", "code", "attio_message", "method", "path")
        kwargs = {name: data.get(name) for name in common + error_cls.extra_fields if name in data}
        return error_cls(str(data.get("message", "")), **kwargs)

    def with_message(self, message: str) -> AttioError:
        """The same error (class, status, fields) with another message."""
        return AttioError.from_dict({**self.to_dict(), "message": message})

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments need help to survive pickling (Airflow pickles errors across processes).
        return (AttioError.from_dict, (self.to_dict(),))


AttioError.registry["AttioError"] = AttioError


class AttioPermanentError(AttioError):
    """An error that retrying cannot fix: the task fails without Airflow retries."""


class AttioTransientError(AttioError):
    """An error that may pass: rate limits, server errors, timeouts, dropped connections."""


class AttioNotFoundError(AttioPermanentError):
    """Attio answered 404 ``not_found`` for a record."""


class AttioObjectNotFoundError(AttioNotFoundError):
    """The object (``people``, ``companies``, a custom object...) does not exist in the workspace."""


class AttioListNotFoundError(AttioNotFoundError):
    """The list (its api slug or UUID) does not exist in the workspace."""


class AttioAuthError(AttioPermanentError):
    """401 or 403: the token is missing, invalid, inactive or lacks a scope."""


class AttioTokenRejectedError(AttioAuthError):
    """401: Attio rejected the token itself (missing, invalid, expired or revoked). Every client reads
    the connection again once on it, in case the token was rotated."""


class AttioValidationError(AttioPermanentError):
    """Attio answered 400, or the provider refused bad input before sending anything."""


class AttioResponseError(AttioPermanentError):
    """A 2xx answer that is not what Attio sends (an HTML page from a proxy, JSON without ``data``)."""


class AttioRateLimitError(AttioTransientError):
    """429 ``rate_limit_exceeded`` outlasted the hook's retry budget.

    :param retry_after: seconds Attio asked to wait (from ``Retry-After``), when it said.
    """

    extra_fields = ("retry_after",)

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class AttioServerError(AttioTransientError):
    """5xx, a timeout or a dropped connection outlasted the hook's retry budget."""


class AttioOutcomeUnknownError(AttioServerError):
    """A write sent once (a create) lost its answer (a 5xx, a timeout, a dropped connection) after an
    attempt that may have been applied: it is not sent again, since a second create would make a second
    record. Whether it was applied must be looked up."""


class ArchiveWriteError(AttioError):
    """The bulk delete's archive could not be read or written: nothing is deleted unarchived.

    Raised as one of its two kinds: :class:`ArchiveLocationError` or :class:`ArchiveUnavailableError`.
    """


class ArchiveLocationError(ArchiveWriteError, AttioPermanentError):
    """The archive's location is wrong (a bad URI, an unwritable path, a missing connection)."""


class ArchiveUnavailableError(ArchiveWriteError, AttioTransientError):
    """The archive's store failed for now (a write or read that may pass on a retry)."""


class _RunError(AttioError):
    """Some items of a run failed; the others were processed. The bulk and restore errors' base.

    :param summary: the run's summary (counts, never ids).
    :param failures: up to a handful of ``(id, error message)`` pairs.
    """

    extra_fields = ("summary", "failures")

    def __init__(
        self,
        message: str,
        *,
        summary: dict[str, Any] | None = None,
        failures: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        self.summary = dict(summary or {})
        self.failures = [tuple(pair) for pair in failures or []]
        super().__init__(message, **kwargs)


class AttioBulkDeleteError(_RunError):
    """Some records of a bulk delete failed; the others were processed.

    :param summary: the run's ``BulkDeleteSummary`` (counts, never ids).
    :param failures: up to a handful of ``(record_id, error message)`` pairs.
    """


class AttioBulkDeleteRetryableError(AttioBulkDeleteError, AttioTransientError):
    """Some records failed with transient errors (rate limits, 5xx, timeouts): a retry may finish."""


class AttioBulkDeletePermanentError(AttioBulkDeleteError, AttioPermanentError):
    """Every failure was permanent (e.g. 400 for those records): retrying the task cannot help."""


class AttioRestoreError(_RunError):
    """Some records of a restore failed (or conflicted, with ``on_conflict="fail"``); the others were
    processed.

    :param summary: the run's ``RestoreSummary`` (counts, never ids).
    :param failures: up to a handful of ``(archived record id, error message)`` pairs.
    """


class AttioRestoreRetryableError(AttioRestoreError, AttioTransientError):
    """Some records failed with transient errors (rate limits, 5xx, timeouts): a rerun finishes them."""


class AttioRestorePermanentError(AttioRestoreError, AttioPermanentError):
    """Every failure was permanent (a value Attio refuses), or a conflict with ``on_conflict="fail"``."""

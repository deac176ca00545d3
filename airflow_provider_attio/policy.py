"""How tasks react to what the hook reports: shared by the operators and the sensor.

The hook returns facts and raises typed errors; this module turns them into task outcomes. Permanent
errors fail the task without Airflow retries (retrying a bad token or a missing object cannot help);
transient errors, already retried by the hook, propagate so Airflow's own retries act.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

from airflow_provider_attio.exceptions import AttioPermanentError, AttioValidationError

IfNotFound = Literal["succeed", "fail", "skip"]
IF_NOT_FOUND_CHOICES: tuple[str, ...] = ("succeed", "fail", "skip")


def validate_if_not_found(value: Any) -> IfNotFound:
    """Return ``value`` if it is a valid ``if_not_found`` policy, else raise :class:`AttioValidationError`."""
    if value not in IF_NOT_FOUND_CHOICES:
        raise AttioValidationError(
            f"if_not_found must be one of {', '.join(map(repr, IF_NOT_FOUND_CHOICES))}; got {value!r}."
        )
    return value


@contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Turn a permanent Attio error (auth, validation, missing object) into a failure without retries."""
    try:
        yield
    except AttioPermanentError as err:
        raise AirflowFailException(str(err)) from err


def apply_if_not_found(policy: IfNotFound, what: str, log: Any) -> None:
    """Apply ``if_not_found`` to records that were not there.

    :param policy: ``"succeed"`` logs a warning, ``"fail"`` fails without retries, ``"skip"`` skips.
    :param what: a sentence without its full stop, e.g. ``Record 891d... of 'people' was not found in Attio``.
    :param log: the task's logger.
    """
    message = f"{what} (if_not_found={policy!r})."
    if policy == "fail":
        raise AirflowFailException(message)
    if policy == "skip":
        raise AirflowSkipException(message)
    log.warning("%s Nothing to delete; treating it as done.", message)


def note_not_found_on_retry(what: str, log: Any, *, retry_finishes: bool = False) -> None:
    """Log records found missing on a retry, where this task's earlier try may have deleted them.

    A retry never fails or skips because of its own earlier try, so ``if_not_found`` is not applied.

    :param what: the records, e.g. ``record 891d... of 'people'`` or ``4 records of 'people'``.
    :param log: the task's logger.
    :param retry_finishes: add that an archive (``archive_to``) would make the count exact.
    """
    log.warning(
        "On this retry, %s did not exist. An earlier try of this task may have deleted them (its answer "
        "lost), or they were already gone: the provider cannot tell, so if_not_found is not applied.%s",
        what,
        " With archive_to, a retry knows exactly what it deleted." if retry_finishes else "",
    )

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

from airflow_provider_attio.exceptions import AttioPermanentError

IfNotFound = Literal["succeed", "fail", "skip"]
IF_NOT_FOUND_CHOICES: tuple[str, ...] = ("succeed", "fail", "skip")


def validate_if_not_found(value: Any) -> IfNotFound:
    """Return ``value`` if it is a valid ``if_not_found`` policy, else raise ``ValueError``."""
    if value not in IF_NOT_FOUND_CHOICES:
        raise ValueError(
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
    """Apply ``if_not_found`` to a record that was not there.

    :param policy: ``"succeed"`` logs a warning, ``"fail"`` fails without retries, ``"skip"`` skips.
    :param what: the missing thing, for the message (e.g. ``record 891d... of 'people'``).
    :param log: the task's logger.
    """
    message = f"Attio {what} was not found (if_not_found={policy!r})."
    if policy == "fail":
        raise AirflowFailException(message)
    if policy == "skip":
        raise AirflowSkipException(message)
    log.warning("%s Nothing to delete; treating it as done.", message)

"""An archive on object storage that can't be read or written: a clear error before any DELETE.

The store's own exceptions (botocore's ``EndpointConnectionError``, say) are no ``OSError``: each one
becomes an archive error that names the location and how to give the storage connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from airflow_provider_attio.archive import ObjectStorageArchive
from airflow_provider_attio.exceptions import ArchiveUnavailableError, AttioTransientError
from airflow_provider_attio.hooks.attio import AttioHook
from airflow_provider_attio.testing import AttioEmulator


class EndpointConnectionError(Exception):
    """Like botocore's: not an OSError."""


class _Unreachable(MemoryFileSystem):
    """A store whose listing works or not, and whose writes fail: the endpoint can't be reached."""

    protocol = ("unreachable",)
    fail_listing = True

    def glob(self, path: str, **kwargs: Any) -> Any:
        if self.fail_listing:
            raise EndpointConnectionError('Could not connect to the endpoint URL: "https://bucket.example/"')
        return []

    def open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        raise EndpointConnectionError('Could not connect to the endpoint URL: "https://bucket.example/"')


@pytest.fixture
def unreachable() -> Iterator[type[_Unreachable]]:
    try:
        from airflow.sdk.io.store import attach
    except ImportError:  # pragma: no cover - Airflow 2
        from airflow.io.store import attach  # type: ignore[no-redef]
    _Unreachable.fail_listing = True
    fsspec.register_implementation("unreachable", _Unreachable, clobber=True)  # a scheme UPath knows
    attach("unreachable", fs=_Unreachable())
    yield _Unreachable


def _people(emu: AttioEmulator, count: int) -> list[str]:
    return [emu.create_record("people", {"name": f"P {i}"})["id"]["record_id"] for i in range(count)]


def test_a_store_that_cannot_be_listed_fails_before_any_request(
    attio: AttioEmulator, unreachable: type[_Unreachable]
) -> None:
    targets = _people(attio, 3)
    location = "unreachable://bucket/attio/run-1"
    with pytest.raises(ArchiveUnavailableError) as info:
        AttioHook().delete_records("people", record_ids=targets, archive_to=location)
    message = str(info.value)
    assert message.startswith(f"Could not read the archive {location} (nothing was sent to Attio): Could not")
    assert "'unreachable://my_storage_conn@bucket/attio/run-1'" in message
    assert isinstance(info.value, AttioTransientError)  # an endpoint may come back: Airflow may retry
    assert attio.requests == []


def test_a_store_that_cannot_be_written_fails_before_any_delete(
    attio: AttioEmulator, unreachable: type[_Unreachable]
) -> None:
    unreachable.fail_listing = False
    targets = _people(attio, 3)
    location = "unreachable://bucket/attio/run-2"
    with pytest.raises(ArchiveUnavailableError, match=f"Could not write the archive {location}: Could not"):
        AttioHook().delete_records("people", record_ids=targets, archive_to=location)
    assert attio.count(method="DELETE") == 0
    assert sorted(attio.record_ids("people")) == sorted(targets)


class _Folder:
    def __init__(self, conn_id: str | None) -> None:
        self.conn_id = conn_id


@pytest.mark.parametrize(
    ("location", "conn_id", "expected"),
    [
        (
            "s3://bucket/attio-archive/run-1",
            None,
            "name the connection in the URI, e.g. 's3://aws_default@bucket/attio-archive/run-1', "
            "or pass ObjectStoragePath(..., conn_id='aws_default')",
        ),
        ("gs://bucket/a", None, "'gs://google_cloud_default@bucket/a'"),
        (
            "s3://minio@bucket/attio",
            "minio",
            "Check the storage connection 'minio' (its endpoint and credentials) and the bucket",
        ),
    ],
)
def test_the_hint_says_how_to_give_the_connection(location: str, conn_id: str | None, expected: str) -> None:
    assert expected in ObjectStorageArchive(_Folder(conn_id), location).hint()

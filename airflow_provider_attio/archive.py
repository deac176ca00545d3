"""The bulk delete's archive: each record's full JSON, written durably before its DELETE is sent.

A JSON Lines archive is both the safety net of a teardown (a mistaken filter loses nothing: every deleted
record is in it, exactly as ``GET`` returned it) and its resume log (a retried run reads it and sends no
DELETE for a record it marks deleted). A local path or ``file://`` URI is one append-only file; any other
``ObjectStoragePath`` URI (``s3://...``) is a folder of segments, because object stores can't append.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from airflow_provider_attio.exceptions import (
    ArchiveLocationError,
    ArchiveUnavailableError,
    ArchiveWriteError,
    AttioValidationError,
)
from airflow_provider_attio.validation import shorten

try:  # POSIX advisory locks keep appends of several processes to one local archive whole.
    import fcntl
except ImportError:  # pragma: no cover - Windows (Airflow does not run there)
    fcntl = None  # type: ignore[assignment]

#: What happened to one record of a bulk delete.
Outcome = Literal["deleted", "not_found", "not_found_on_retry", "failed"]


#: The connection id that the docs' examples put in an object storage URI, by scheme.
_EXAMPLE_CONN_IDS = {
    "s3": "aws_default",
    "s3a": "aws_default",
    "gs": "google_cloud_default",
    "gcs": "google_cloud_default",
}

#: Failures that say the location itself is wrong: retrying the task cannot help.
_WRONG_LOCATION = (PermissionError, FileNotFoundError, NotADirectoryError, IsADirectoryError, ValueError)


def archive_error(message: str, err: BaseException, hint: str = "") -> ArchiveWriteError:
    """The archive error for ``err``: the location is wrong (permanent: a path this worker can't write,
    a missing bucket, no credentials), or the store failed for now (transient: a timeout, a full disk).
    ``hint`` (a sentence) says how to fix the location."""
    wrong = isinstance(err, _WRONG_LOCATION) or "credential" in type(err).__name__.lower()
    cls = ArchiveLocationError if wrong else ArchiveUnavailableError
    detail = err.strerror if isinstance(err, OSError) and err.strerror else err
    return cls(f"{message}: {detail}" + (f". {hint}" if hint else ""))


def check_archive_location(value: Any) -> Any:
    """Check ``archive_to`` (a path, a URI string or an ObjectStoragePath) and return it normalized."""
    if isinstance(value, str):
        if not value.strip():
            raise AttioValidationError("archive_to must be a file path or a URI; got an empty string.")
        return value.strip()
    if isinstance(value, os.PathLike) or hasattr(value, "protocol"):
        return value
    raise AttioValidationError(
        "archive_to must be a local file path, a URI such as 's3://bucket/attio/teardown.jsonl' or an "
        f"ObjectStoragePath; got {shorten(value)}."
    )


@dataclass
class ArchiveState:
    """What an existing archive says about one object's records."""

    #: Records with a ``deleted`` outcome: never send their DELETE again.
    deleted: set[str] = field(default_factory=set)
    #: Records whose JSON was archived (their DELETE may or may not have been applied).
    archived: set[str] = field(default_factory=set)
    #: Lines that were not valid JSON (a write cut short by a killed process).
    unreadable_lines: int = 0


@dataclass(frozen=True)
class ArchiveKey:
    """How the lines of one kind of thing are written and told apart.

    Records keep their lines as they always were (``object``, ``record_id``, ``record``; no ``kind``), which
    the restore reads. An entry, a note or a task line says its ``kind``, its container if it has one
    (``list``) and its id (``entry_id``, ``note_id``, ``task_id``); its body is under the kind's name:
    ``{"type": "entry", "kind": "entry", "list": "sales", "entry_id": ..., "run", "archived_at", "entry":
    {...}}``. Every line of every kind names the ``run`` that wrote it (:mod:`~airflow_provider_attio.runs`).
    """

    #: ``record``, ``entry``, ``note`` or ``task``.
    kind: str = "record"
    #: The field naming the container (``object``, ``list``), or ``None`` (notes and tasks have none).
    container_field: str | None = "object"
    #: The field holding the item's id.
    id_field: str = "record_id"

    def fields(self, container: str, item_id: str) -> dict[str, Any]:
        """The fields that say whose line it is."""
        found: dict[str, Any] = {} if self.kind == "record" else {"kind": self.kind}
        if self.container_field is not None:
            found[self.container_field] = container
        found[self.id_field] = item_id
        return found

    def id_of(self, line: Mapping[str, Any], container: str) -> str | None:
        """The item id of a line of this kind and container, else ``None``."""
        if line.get("kind", "record") != self.kind:
            return None
        if self.container_field is not None and line.get(self.container_field) != container:
            return None
        item_id = line.get(self.id_field)
        return item_id if isinstance(item_id, str) else None


#: Records' lines, as they always were.
RECORD_LINES = ArchiveKey()


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _line(entry: dict[str, Any]) -> bytes:
    return (json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


class Archive:
    """A JSON Lines archive of deleted records, durable before each DELETE.

    Two kinds of line, each with ``object``, ``record_id`` and ``run`` (the run that wrote it, when
    :attr:`run` is set; archives written before runs were named have none):
    ``{"type": "record", "archived_at", "record": <exactly what GET returned>}`` and, after the DELETE,
    ``{"type": "outcome", "at", "outcome": "deleted" | "not_found" | "failed", "error"?}``. Entries,
    notes and tasks are archived alike, told apart by :class:`ArchiveKey`.

    Writers from many threads share a group commit: whoever finds no write in progress writes every
    pending line at once (a single append + fsync locally, one new object on object storage) while the
    others wait for it, so durability costs one write per batch, not per record.
    """

    def __init__(self, location: str) -> None:
        self.location = location
        #: The run id every line written from now on carries (``None``: no ``run`` field).
        self.run: str | None = None
        self._cond = threading.Condition()
        self._pending: list[bytes] = []
        self._committing = False
        self._started = 0
        self._finished = 0
        self._errors: dict[int, BaseException] = {}

    def check(self) -> None:
        """Raise :class:`AttioValidationError` if the location cannot be used (before any request)."""

    def hint(self) -> str:
        """How to fix the location when it can't be read or written (a sentence, or nothing)."""
        return ""

    def lines(self) -> Iterator[bytes]:
        """Every line of the archive as stored (a restore parses them itself)."""
        return self._read_lines()

    # subclasses implement these two
    def _commit(self, data: bytes) -> None:
        raise NotImplementedError

    def _read_lines(self) -> Iterator[bytes]:
        raise NotImplementedError

    def read_state(self, object: str, key: ArchiveKey = RECORD_LINES) -> ArchiveState:
        """Read what earlier runs archived and deleted for ``object`` (a list, for entries: see ``key``)."""
        state = ArchiveState()
        for raw in self._read_lines():
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
            except ValueError:
                state.unreadable_lines += 1
                continue
            record_id = key.id_of(entry, object) if isinstance(entry, dict) else None
            if record_id is None:
                continue
            if entry.get("type") == key.kind:
                state.archived.add(record_id)
            elif entry.get("type") == "outcome" and entry.get("outcome") == "deleted":
                state.deleted.add(record_id)
        return state

    def read_records(self, object: str) -> dict[str, dict[str, Any]]:
        """The records earlier runs archived for ``object``, by id (the last copy of each)."""
        records: dict[str, dict[str, Any]] = {}
        for raw in self._read_lines():
            try:
                entry = json.loads(raw) if raw.strip() else None
            except ValueError:
                continue
            if not isinstance(entry, dict) or (entry.get("object"), entry.get("type")) != (object, "record"):
                continue
            if isinstance(entry.get("record_id"), str) and isinstance(entry.get("record"), dict):
                records[entry["record_id"]] = entry["record"]
        return records

    def save_record(
        self, object: str, record_id: str, record: Mapping[str, Any], key: ArchiveKey = RECORD_LINES
    ) -> None:
        """Archive a record (or an entry, a note, a task: see ``key``); returns once it is durable
        (written, flushed, fsync'd or uploaded)."""
        entry = {
            "type": key.kind,
            **key.fields(object, record_id),
            **self._run_field(),
            "archived_at": _now_iso(),
            key.kind: record,
        }
        self._write(_line(entry), wait=True)

    def save_outcome(
        self,
        object: str,
        record_id: str,
        outcome: Outcome,
        error: BaseException | None = None,
        key: ArchiveKey = RECORD_LINES,
    ) -> None:
        """Note a record's (or entry's, note's, task's) outcome; written with the next commit (or at
        :meth:`close`)."""
        entry: dict[str, Any] = {
            "type": "outcome",
            **key.fields(object, record_id),
            **self._run_field(),
            "at": _now_iso(),
            "outcome": outcome,
        }
        if error is not None:
            entry["error"] = str(error)[:500]
        self._write(_line(entry), wait=False)

    def _run_field(self) -> dict[str, str]:
        return {} if self.run is None else {"run": self.run}

    def close(self) -> None:
        """Write the lines still pending."""
        self._write(b"", wait=True)

    def _write(self, line: bytes, *, wait: bool) -> None:
        with self._cond:
            if line:
                self._pending.append(line)
            if not wait:
                return
            # This line goes out with the next commit to start; wait for that one to finish.
            target = self._started + 1
            while self._finished < target:
                if self._committing:
                    self._cond.wait()
                    continue
                batch, self._pending = self._pending, []
                self._committing = True
                self._started += 1
                number = self._started
                self._cond.release()
                error: BaseException | None = None
                try:
                    if batch:
                        self._commit(b"".join(batch))
                except BaseException as err:
                    error = err
                finally:
                    self._cond.acquire()
                    self._committing = False
                    self._finished = number
                    if error is not None:
                        self._errors[number] = error
                    self._cond.notify_all()
            if target in self._errors:
                error = self._errors[target]
                raise archive_error(
                    f"Could not write the archive {self.location}", error, self.hint()
                ) from error


class LocalArchive(Archive):
    """One local JSON Lines file, appended to with ``O_APPEND`` under an exclusive ``flock``, then fsync'd.

    Several processes (tasks on one machine) may append to the same file: each commit is one locked
    append, so lines never interleave.
    """

    def __init__(self, path: Path, location: str) -> None:
        super().__init__(location)
        self.path = path
        if path.is_dir():
            raise AttioValidationError(
                f"archive_to {location!r} is a directory; give a file path such as "
                f"{str(path / 'teardown.jsonl')!r}."
            )
        self._fd: int | None = None

    def check(self) -> None:
        """Create the file now, so an unwritable location fails before any request to Attio."""
        try:
            self.open()
        except OSError as err:
            raise ArchiveLocationError(
                f"Could not write the archive: archive_to {self.location!r} cannot be written "
                f"({err.strerror or type(err).__name__}: {err.filename or self.path}); nothing was sent "
                "to Attio. Give a path in a folder this worker can write."
            ) from None

    def open(self) -> None:
        """Create the file (and its folder) if needed, mode 0600: it holds CRM data."""
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        if created:
            self._fsync_dir()

    def _fsync_dir(self) -> None:
        try:
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:  # pragma: no cover - platforms without directory fds
            return
        try:
            os.fsync(dir_fd)
        except OSError:  # pragma: no cover
            pass
        finally:
            os.close(dir_fd)

    @contextmanager
    def _locked(self, fd: int) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _commit(self, data: bytes) -> None:
        if self._fd is None:
            self.open()
        fd = self._fd
        assert fd is not None
        with self._locked(fd):
            # A process killed mid-write leaves a partial last line: start ours on a fresh line.
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)

    def _read_lines(self) -> Iterator[bytes]:
        if not self.path.exists():
            return
        with self.path.open("rb") as file:
            yield from file

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class ObjectStorageArchive(Archive):
    """An archive on object storage (s3://, gs://, ...), which cannot append: a folder of segments.

    ``archive_to`` names a folder; each commit writes one new JSON Lines object in it, named
    ``<UTC time of the run>-<run token>-<sequence>.jsonl`` so names sort in time order and concurrent
    runs (on any machine) never write the same object. Reading the archive reads every segment.
    """

    def __init__(self, folder: Any, location: str) -> None:
        super().__init__(location)
        self.folder = folder
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self._prefix = f"{stamp}-{uuid.uuid4().hex[:8]}"
        self._sequence = 0

    def open(self) -> None:
        """Nothing to create: object stores have no folders."""

    def check(self) -> None:
        """Resolve the filesystem and list the folder, so a store that can't be reached (no connection,
        a wrong endpoint, no credentials) fails before any request to Attio."""
        try:
            self.folder.fs  # noqa: B018 - resolves the filesystem: fails if no provider registers it
        except Exception as err:
            raise ArchiveLocationError(
                f"archive_to {self.location!r} cannot be used: {err}. Install the Airflow provider of that "
                "storage (e.g. apache-airflow-providers-amazon for s3://) and check its connection."
            ) from None
        try:
            self._segments()
        except Exception as err:
            raise archive_error(
                f"Could not read the archive {self.location} (nothing was sent to Attio)", err, self.hint()
            ) from err

    def hint(self) -> str:
        conn_id = getattr(self.folder, "conn_id", None)
        if conn_id:
            return f"Check the storage connection {conn_id!r} (its endpoint and credentials) and the bucket"
        scheme, _, rest = self.location.partition("://")
        example = _EXAMPLE_CONN_IDS.get(scheme.lower(), "my_storage_conn")
        return (
            "archive_to names no storage connection, so the store's defaults (credentials from the "
            "environment, the public endpoint) were used: name the connection in the URI, e.g. "
            f"'{scheme}://{example}@{rest}', or pass ObjectStoragePath(..., conn_id={example!r})"
        )

    def _segments(self) -> list[str]:
        """The archive's segments, oldest first (none when the folder doesn't exist yet)."""
        root = str(self.folder.path).rstrip("/")
        try:
            found = self.folder.fs.glob(f"{root}/*.jsonl")
        except FileNotFoundError:
            return []
        return sorted(found, key=lambda name: name.rsplit("/", 1)[-1])

    def _commit(self, data: bytes) -> None:
        # Only one commit runs at a time (the group commit), so the sequence needs no lock.
        self._sequence += 1
        target = f"{str(self.folder.path).rstrip('/')}/{self._prefix}-{self._sequence:06d}.jsonl"
        with self.folder.fs.open(target, "wb") as file:  # the object exists, whole, once closed
            file.write(data)

    def _read_lines(self) -> Iterator[bytes]:
        # The fsspec filesystem itself: its glob and cat_file behave the same under every UPath version.
        try:
            segments = self._segments()
            with ThreadPoolExecutor(max_workers=8) as pool:
                chunks = list(pool.map(self.folder.fs.cat_file, segments))
        except Exception as err:  # the store's own errors (botocore's, say) are no OSError
            raise archive_error(f"Could not read the archive {self.location}", err, self.hint()) from err
        for data in chunks:
            yield from data.splitlines()


def open_archive(location: Any) -> LocalArchive | ObjectStorageArchive:
    """Build the archive for ``archive_to``: a local file, or a folder on object storage.

    A plain path or a ``file://`` URI is one local JSON Lines file; any other URI (``s3://...``) or an
    ``ObjectStoragePath`` on object storage is a folder of JSON Lines segments.
    """
    location = check_archive_location(location)
    if isinstance(location, str) and "://" not in location:
        return LocalArchive(Path(location).expanduser(), location)
    if isinstance(location, str) and location.lower().startswith("file://"):
        # Local without ObjectStoragePath, whose file:// support varies across Airflow releases.
        return LocalArchive(Path(unquote(urlsplit(location).path)), location)
    if isinstance(location, os.PathLike) and not hasattr(location, "protocol"):
        return LocalArchive(Path(location).expanduser(), str(location))
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    text = str(location)
    try:
        path = location if isinstance(location, ObjectStoragePath) else ObjectStoragePath(text)
    except Exception as err:
        raise ArchiveLocationError(f"archive_to {text!r} cannot be used: {err}.") from None
    if path.protocol in ("file", "local"):
        return LocalArchive(Path(path.path), text)
    return ObjectStorageArchive(path, text)

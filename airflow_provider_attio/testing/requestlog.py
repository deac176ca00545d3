"""The emulator's request log: what was asked, and what was answered."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class RequestLogEntry:
    """One request the emulator received.

    :param method: the HTTP method, upper case.
    :param path: the URL path, without the query string.
    :param status: the status answered, or None when the connection was dropped unanswered.
    :param time: when the answer was decided (``time.time()``).
    :param body: the parsed JSON request body, or None when there was none (or it wasn't JSON).
    """

    method: str
    path: str
    status: int | None
    time: float
    body: Any

    def matches(self, method: str | None = None, path: str | None = None, status: int | None = None) -> bool:
        """Tell whether the entry matches a method, a path glob (``fnmatch``) and a status (None: any)."""
        return (
            (method is None or self.method == method.upper())
            and (path is None or fnmatchcase(self.path, path))
            and (status is None or self.status == status)
        )


class RequestLog:
    """A thread-safe log of requests, optionally keeping only the latest ``max_entries``.

    :param max_entries: how many entries to keep; None keeps all, 0 keeps none (statuses are still counted).
    :param file: also append every entry to this file as a JSON line (``method``, ``path``, ``status``,
        ``time``, ``body``: the fields of :class:`RequestLogEntry`), in the order they were logged,
        whatever ``max_entries`` keeps in memory.
    """

    def __init__(self, max_entries: int | None = None, file: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: deque[RequestLogEntry] = deque(maxlen=max_entries)
        self._statuses: Counter[int | None] = Counter()
        self._file = file

    def record(self, method: str, path: str, status: int | None, body: Any) -> None:
        """Append an entry."""
        entry = RequestLogEntry(method, path, status, time.time(), body)
        with self._lock:
            self._entries.append(entry)
            self._statuses[status] += 1
            if self._file is not None:
                # Opened per entry: a reader (another process) sees each line whole once it is there.
                with open(self._file, "a", encoding="utf-8") as out:
                    out.write(json.dumps(asdict(entry), separators=(",", ":")) + "\n")

    def entries(self) -> list[RequestLogEntry]:
        """Return a snapshot of the entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def statuses(self) -> Counter[int | None]:
        """Return how many requests got each status (None: dropped), counting beyond ``max_entries`` too."""
        with self._lock:
            return Counter(self._statuses)

    def clear(self) -> None:
        """Forget every entry and count."""
        with self._lock:
            self._entries.clear()
            self._statuses.clear()

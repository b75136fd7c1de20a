"""A small in-process answer cache: identical deterministic requests are answered once.

Keys are :func:`~..core.caching.cache_key` digests of a request; entries expire after ``ttl_s``
and the least recently used entry goes first when ``max_entries`` is reached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

ValueT = TypeVar("ValueT")


class TTLCache(Generic[ValueT]):  # noqa: UP046, RUF100 (PEP 695 needs Python 3.12)
    """Thread-safe LRU cache whose entries expire after ``ttl_s`` seconds."""

    def __init__(
        self, max_entries: int, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, ValueT]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> ValueT | None:
        """The live value under ``key``, or ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: ValueT) -> None:
        """Store ``value`` (no-op when the cache is disabled with ``max_entries=0``)."""
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

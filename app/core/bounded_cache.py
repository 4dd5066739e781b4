"""A least-recently-used map bounded in bytes, not in entries.

Anyone can send a new query string or a new request body, and values range from a few hundred
bytes to hundreds of kilobytes, so a bound on the number of entries bounds nothing. Each entry
is charged the bytes the caller says it keeps alive (what CPython holds for it), and the least
recently used are dropped until the total is within ``max_bytes``. An entry larger than the
whole bound is not kept.

:class:`ByteBoundedCache` is for one thread, the event loop's (the response cache: a lock
there was two thirds of every lookup, 343 ns against 114); :class:`ThreadSafeByteBoundedCache`
for callers on several (plan rendering runs in the thread pool).
"""

from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# What an entry holds beyond the sizes sys.getsizeof reports for its parts: the ordered dict's
# slot and link, the (value, size) pair and the key tuple, rounded up (CPython 3.11, 64-bit).
ENTRY_OVERHEAD = 320


class ByteBoundedCache(Generic[K, V]):
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.size = 0
        """The bytes the entries are charged, never more than ``max_bytes``."""

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, size: int) -> None:
        """Keep ``value``, charged ``size`` bytes (plus the entry's own overhead)."""
        size += ENTRY_OVERHEAD
        self._forget(key)
        if size > self.max_bytes:
            return
        self._entries[key] = (value, size)
        self.size += size
        while self.size > self.max_bytes:
            self._forget(next(iter(self._entries)))

    def _forget(self, key: K) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self.size -= found[1]


class ThreadSafeByteBoundedCache(ByteBoundedCache[K, V]):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            return super().get(key)

    def put(self, key: K, value: V, size: int) -> None:
        with self._lock:
            super().put(key, value, size)

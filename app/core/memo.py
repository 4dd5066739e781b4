"""A small bounded memo for deterministic renderings.

Scoring and plan generation are pure: the same input and versions always give the same bytes,
so a repeated request (a retry, a re-download, many people answering alike) is answered from
bytes already made. Bounded, least recently used first out; per process.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock


class BytesMemo:
    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = Lock()  # plan rendering runs in the thread pool

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        body = self.get(key)
        if body is not None:
            return body
        body = make()  # outside the lock: making may take milliseconds
        with self._lock:
            self._entries[key] = body
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return body

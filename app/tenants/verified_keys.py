"""Keys verified in the last few seconds, so a keyed request need not look its key up again.

Looking a key up is a database round trip (and a thread hop) on every keyed request, for an
answer that changes only when someone revokes, rotates or expires the key. Each worker keeps
the principals of the keys it verified for ``API_KEY_CACHE_SECONDS`` (0 keeps none), by the
key's keyed hash (HMAC-SHA256 under the server secret), never by the key itself. So:

- a revoked key, or one whose rotation overlap was cut short, stops working on every worker
  within ``API_KEY_CACHE_SECONDS``;
- a key's own expiry is exact: the principal carries it and is never served past it;
- a new key works at once: only successful verifications are kept, failures never are, so no
  caller without a valid key can add an entry. Entries are also bounded in number.
"""

import time
from collections.abc import Callable
from datetime import datetime

from app.core.db import utc_now
from app.tenants.schemas import Principal

MAX_ENTRIES = 10_000


class VerifiedKeys:
    def __init__(
        self,
        ttl_seconds: float,
        *,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._now = now
        self._entries: dict[str, tuple[Principal, float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: str) -> Principal | None:
        found = self._entries.get(digest)
        if found is None:
            return None
        principal, verified_at = found
        expires_at = principal.expires_at
        if self._clock() - verified_at >= self.ttl_seconds or (
            expires_at is not None and self._now() >= expires_at
        ):
            del self._entries[digest]
            return None
        return principal

    def put(self, digest: str, principal: Principal) -> None:
        if self.ttl_seconds <= 0:
            return
        self._entries.pop(digest, None)
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the longest kept
        self._entries[digest] = (principal, self._clock())

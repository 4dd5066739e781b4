"""An in-process shared cache for public, versioned responses (RFC 9111 semantics, in small).

Catalogue, guidance and assessment-definition responses are the same bytes for everyone until
the dataset changes, and they say so: ``Cache-Control: public`` and ``X-Dataset-Version``. This
pure-ASGI layer stores such 200 responses per path and raw query string, and answers repeats
(and ``If-None-Match`` revalidations) without running routing, validation or the endpoint.
An entry is used only while its dataset version is the one the worker currently serves, so a
newly loaded dataset is never hidden behind stale bytes. Errors are never stored.

It stores only what the app produced: the header list is copied as the app sends it, before the
layers outside this one (request ids, rate-limit headers) add their own, which belong to each
request and are added afresh to every replay.

Memory is bounded in bytes (``RESPONSE_CACHE_MAX_BYTES``), not in entries: anyone can ask for a
new query string, and entries range from a few hundred bytes to the whole catalogue. Each
entry is charged what CPython holds for it (bodies, header fields, key, bookkeeping), and the
least recently used are dropped until the total is within the bound.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.bounded_cache import ByteBoundedCache
from app.http.conditional import field_lines, matches_if_none_match

_VERSION_HEADER = b"x-dataset-version"


_Key = tuple[str, bytes]


@dataclass(frozen=True, slots=True)
class _Entry:
    version: str
    etag: str
    headers: list[tuple[bytes, bytes]]
    body: bytes


# The entry object itself (its slots), beyond what the bounded cache charges for its bookkeeping.
_ENTRY_OBJECT = 96


class PublicResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        current_version: Callable[[], str | None],
        max_bytes: int,
    ) -> None:
        self.app = app
        self._current_version = current_version
        self.entries: ByteBoundedCache[_Key, _Entry] = ByteBoundedCache(max_bytes)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def size(self) -> int:
        """The bytes the entries are charged, never more than ``max_bytes``."""
        return self.entries.size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        entry = self.entries.get(key)
        if entry is not None and entry.version == self._current_version():
            await _replay(entry, scope, send)
            return
        await self.app(scope, receive, self._storing(key, send))

    def _storing(self, key: _Key, send: Send) -> Send:
        status = 0
        headers: list[tuple[bytes, bytes]] = []

        async def store_public_200(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                # Copied before sending: the outer layers add their per-request headers to
                # this very message.
                status, headers = message["status"], list(message["headers"])
            elif status == 200 and not message.get("more_body", False):
                self._maybe_store(key, headers, message.get("body", b""))
            await send(message)

        return store_public_200

    def _maybe_store(self, key: _Key, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        found = dict(headers)
        version, etag = found.get(_VERSION_HEADER), found.get(b"etag")
        if not version or not etag or b"public" not in found.get(b"cache-control", b""):
            return
        decoded_etag, decoded_version = etag.decode(), version.decode()
        entry = _Entry(version=decoded_version, etag=decoded_etag, headers=headers, body=body)
        footprint = _footprint(key, headers, body)
        self.entries.put(
            key, entry, footprint + sys.getsizeof(decoded_etag) + sys.getsizeof(decoded_version)
        )


def _footprint(key: _Key, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    """The bytes an entry's key, header fields and body keep alive."""
    path, query = key
    size = _ENTRY_OBJECT + sys.getsizeof(path) + sys.getsizeof(query) + sys.getsizeof(body)
    size += sys.getsizeof(headers)
    for field in headers:
        size += sys.getsizeof(field) + sys.getsizeof(field[0]) + sys.getsizeof(field[1])
    return size


async def _replay(entry: _Entry, scope: Scope, send: Send) -> None:
    if _revalidates(entry, scope["headers"]):
        headers = [
            (k, v) for k, v in entry.headers if k not in (b"content-length", b"content-type")
        ]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
    await send({"type": "http.response.body", "body": entry.body})


def _revalidates(entry: _Entry, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request's ``If-None-Match`` matches the entry (a 304). A plain loop: most
    requests send none, and this runs on every replay."""
    lines: list[str] = []
    for name, value in headers:
        if name == b"if-none-match":
            lines.append(value.decode("latin-1"))
    return bool(lines) and matches_if_none_match(field_lines(lines), entry.etag)

"""An in-process shared cache for public, versioned responses (RFC 9111 semantics, in small).

Catalogue, guidance and assessment-definition responses are the same bytes for everyone until
the dataset changes, and they say so: ``Cache-Control: public`` and ``X-Dataset-Version``. This
pure-ASGI layer stores such 200 responses per path and raw query string, and answers repeats
(and ``If-None-Match`` revalidations) without running routing, validation or the endpoint.
An entry is used only while its dataset version is the one the worker currently serves, so a
newly loaded dataset is never hidden behind stale bytes. Errors are never stored.
"""

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.conditional import matches_if_none_match

_VERSION_HEADER = b"x-dataset-version"


@dataclass(frozen=True, slots=True)
class _Entry:
    version: bytes
    etag: str
    headers: list[tuple[bytes, bytes]]
    body: bytes


class PublicResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        current_version: Callable[[], str | None],
        max_entries: int = 4096,
    ) -> None:
        self.app = app
        self._current_version = current_version
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple[str, bytes], _Entry] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        entry = self._entries.get(key)
        current = self._current_version()
        if entry is not None and current is not None and entry.version == current.encode():
            self._entries.move_to_end(key)
            await _replay(entry, scope, send)
            return
        await self.app(scope, receive, self._storing(key, send))

    def _storing(self, key: tuple[str, bytes], send: Send) -> Send:
        start: Message | None = None

        async def store_public_200(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif start is not None and not message.get("more_body", False):
                self._maybe_store(key, start, message.get("body", b""))
            await send(message)

        return store_public_200

    def _maybe_store(self, key: tuple[str, bytes], start: Message, body: bytes) -> None:
        if start["status"] != 200:
            return
        headers: list[tuple[bytes, bytes]] = list(start["headers"])
        found = dict(headers)
        version, etag = found.get(_VERSION_HEADER), found.get(b"etag")
        if not version or not etag or b"public" not in found.get(b"cache-control", b""):
            return
        self._entries[key] = _Entry(version=version, etag=etag.decode(), headers=headers, body=body)
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


async def _replay(entry: _Entry, scope: Scope, send: Send) -> None:
    if_none_match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
    if if_none_match is not None and matches_if_none_match(if_none_match.decode(), entry.etag):
        headers = [
            (k, v) for k, v in entry.headers if k not in (b"content-length", b"content-type")
        ]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
    await send({"type": "http.response.body", "body": entry.body})

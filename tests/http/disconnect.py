"""A POST whose client goes away half way through its body, driven straight through an app."""

from fastapi.testclient import TestClient
from starlette.types import Message


def post_then_disconnect(
    client: TestClient, path: str, part: bytes, headers: list[tuple[bytes, bytes]]
) -> list[Message]:
    """Send ``part`` of a JSON body to ``path`` (with ``headers`` beside the host and content
    type), then disconnect; what the app sent back."""
    incoming: list[Message] = [
        {"type": "http.request", "body": part, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("192.0.2.9", 5000),
        "server": ("testserver", 80),
    }
    client.portal.call(client.app, scope, receive, send)  # type: ignore[union-attr]
    return sent

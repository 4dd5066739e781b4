"""The app's own middleware runs outside FastAPI's layers."""

from fastapi.testclient import TestClient
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.http.application import OuterMiddlewareFastAPI


class Answers:
    """A pure-ASGI layer that answers every request itself, as the response cache does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"answered"})


def test_added_middleware_wraps_fastapis_own_layers() -> None:
    app = OuterMiddlewareFastAPI()
    app.add_middleware(Answers)
    with TestClient(app) as client:
        assert client.get("/anything").text == "answered"
    stack = app.middleware_stack
    assert isinstance(stack, Answers)
    assert isinstance(stack.app, ServerErrorMiddleware)  # FastAPI's outermost, within ours
    assert app.user_middleware  # left as it was for whoever reads it

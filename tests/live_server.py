"""Run an ASGI app on a real loopback socket for tests that need a real client (e.g. a browser).

``serve(app)`` starts ``uvicorn.Server`` in a background thread on ``127.0.0.1`` and a free port
chosen by the OS, waits until it accepts connections, yields the base URL and shuts the server
down on exit. Every wait is bounded, so a server that cannot start fails the test instead of
hanging it.
"""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

LOOPBACK_HOST = "127.0.0.1"


@contextmanager
def serve(
    app: Callable[..., Any],
    *,
    startup_timeout: float = 20.0,
    shutdown_timeout: float = 20.0,
    **config: Any,
) -> Iterator[str]:
    """Serve ``app`` on ``http://127.0.0.1:<free port>`` for the duration of the ``with`` block.

    Extra keyword arguments go to ``uvicorn.Config`` (e.g. ``lifespan="off"``). By default the
    server is quiet (``log_level="warning"``, no access log) and has no WebSocket support, which
    keeps optional WebSocket libraries and their deprecation warnings out of HTTP-only tests.
    """
    settings: dict[str, Any] = {"log_level": "warning", "access_log": False, "ws": "none"}
    settings.update(config)
    server = uvicorn.Server(uvicorn.Config(app, **settings))

    # Bind the socket here rather than passing port=0 to uvicorn: the port is then known before
    # the server starts and no other process can take it in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK_HOST, 0))
        port: int = sock.getsockname()[1]
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn:{port}", daemon=True
        )
        thread.start()
        try:
            _wait_until_started(server, thread, startup_timeout)
            yield f"http://{LOOPBACK_HOST}:{port}"
        finally:
            server.should_exit = True
            thread.join(shutdown_timeout)
            if thread.is_alive():
                server.force_exit = True
                thread.join(shutdown_timeout)
            if thread.is_alive():
                raise RuntimeError(f"uvicorn did not stop within {2 * shutdown_timeout:.0f} s")
    finally:
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited during startup (see the log above)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start within {timeout:.0f} s")
        time.sleep(0.02)

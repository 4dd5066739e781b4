"""A TCP relay on 127.0.0.1 in front of a real server, which a test can slow down or cut.

Tests use it to see what the app does when PostgreSQL or Redis goes away or answers slowly,
without touching the shared servers: cutting the relay closes every relayed connection (they
are lost mid-request) and refuses new ones, exactly what clients see when a server dies;
restoring it accepts connections again on the same port.
"""

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

_CHUNK = 65536


class TcpProxy:
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.reply_delay = 0.0
        """Seconds each chunk from the server waits before it is passed on."""
        self._listener: socket.socket | None = self._listen(0)
        self.port: int = self._listener.getsockname()[1]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)

    def cut(self) -> None:
        """Refuse new connections and drop every open one."""
        with self._lock:
            listener, self._listener = self._listener, None
            open_sockets, self._sockets = self._sockets, []
        for sock in [listener, *open_sockets] if listener else open_sockets:
            _close(sock)

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        with self._lock:
            if self._listener is None:
                self._listener = self._listen(self.port)

    def _listen(self, port: int) -> socket.socket:
        listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._start(self._accept, listener)
        return listener

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _close(client)
                    _close(server)
                    return
                self._sockets += [client, server]
            self._start(self._pump, client, server, False)
            self._start(self._pump, server, client, True)

    def _pump(self, source: socket.socket, sink: socket.socket, from_server: bool) -> None:
        while True:
            try:
                data = source.recv(_CHUNK)
                if not data:
                    break
                if from_server and self.reply_delay:
                    time.sleep(self.reply_delay)
                sink.sendall(data)
            except OSError:
                break
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()

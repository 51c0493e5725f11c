"""A raw-socket HTTP server on 127.0.0.1 that stalls a client by dripping bytes (issue #13, item 1).

Each connection gets the request head read, then ``prefix`` at once, then one piece of ``drip``
every ``every`` seconds until the client hangs up or ``limit`` seconds have passed (so a client
without a whole-request deadline is held ``limit`` seconds, then sees the connection close --
a test against it fails on time instead of hanging forever). The pieces are ``drip(i)`` for
i = 0, 1, 2, ... The forms of issue #13::

    STALLS["header"]     HTTP/1.1 200 OK / X-Slow: aaaa...           (a header that never ends)
    STALLS["status"]     H, T, T, P, /, 1, ... one byte at a time    (a status line that never ends)
    STALLS["102"]        HTTP/1.1 102 Processing, again and again    (informational responses)
    STALLS["chunk-ext"]  chunked body, chunk size line "5;ext=xxx..." (a chunk extension)
    STALLS["trailer"]    chunked body, last chunk, "X-Trailer: yyy..." (a trailer)
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Drip = Callable[[int], bytes]
_STATUS = b"HTTP/1.1 200 OK"
_CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nTransfer-Encoding: chunked\r\n\r\n"


@dataclass(frozen=True)
class Stall:
    prefix: bytes
    drip: Drip


STALLS: dict[str, Stall] = {
    "header": Stall(b"HTTP/1.1 200 OK\r\nX-Slow: ", lambda i: b"a"),
    "status": Stall(b"", lambda i: _STATUS[i : i + 1] if i < len(_STATUS) else b"K"),
    "102": Stall(b"", lambda i: b"HTTP/1.1 102 Processing\r\n\r\n"),
    "chunk-ext": Stall(_CHUNKED + b"5;ext=", lambda i: b"x"),
    "trailer": Stall(_CHUNKED + b"5\r\nhello\r\n0\r\nX-Trailer: ", lambda i: b"y"),
}


class StallServer:
    """``with StallServer(STALLS["header"]) as server: client.fetch(server.url("/feed"))``."""

    def __init__(
        self, stall: Stall, *, every: float = 0.1, limit: float = 15.0, host: str = "127.0.0.1"
    ) -> None:
        self.stall = stall
        self.every = every
        self.limit = limit
        self.connections = 0
        self.hung_up = 0  # connections the client closed before ``limit``
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))  # any 127.x.y.z: separate hosts for watcher's per-host limit
        self.host = host
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self._threads: list[threading.Thread] = []

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> StallServer:
        accept = threading.Thread(target=self._accept, name="stall-accept", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            worker = threading.Thread(target=self._serve, args=(conn,), name="stall-conn", daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
                conn.sendall(self.stall.prefix)
                end = time.monotonic() + self.limit
                i = 0
                while time.monotonic() < end and not self._stop.wait(self.every):
                    conn.sendall(self.stall.drip(i))
                    i += 1
            except OSError:  # the client hung up: what a deadline does
                self.hung_up += 1

"""A real HTTP server on 127.0.0.1 for tests: feeds, pages, redirects, 304s, slow and hostile bodies.

Usage (or take the ``http_server`` fixture from ``tests/conftest_http.py``)::

    with LocalServer() as server:
        server.routes["/feed.xml"] = Route(body=b"<rss .../>", headers={"Content-Type": "application/rss+xml"})
        server.routes["/old"] = Route.redirect("/feed.xml")
        url = server.url("/old")
        ...
        assert server.requests[-1].path == "/feed.xml"

A :class:`Route` is ``status, headers, body`` plus optional behaviours:

* ``etag`` / ``last_modified``: sent as validators; a request whose ``If-None-Match`` or
  ``If-Modified-Since`` matches gets ``304 Not Modified`` with no body;
* ``drip=(chunk_size, delay_seconds)``: the body is written in small pieces with a pause between
  them (the *server* waits; tests never sleep);
* ``body`` may be bytes or a zero-argument callable returning an iterable of byte chunks, so a huge
  body is generated on the fly (see :func:`huge_body`); chunked encoding is used when no
  Content-Length is known;
* :func:`gzip_bomb` builds a small gzip body that inflates to many bytes.

Unknown paths answer 404. ``routes`` may be changed while the server runs (each request reads it).
Every request is logged in ``requests`` as a :class:`Request` (method, path, headers).
"""

from __future__ import annotations

import gzip
import io
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Body = bytes | Callable[[], Iterable[bytes]]


@dataclass
class Route:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = b""
    etag: str | None = None
    last_modified: str | None = None
    drip: tuple[int, float] | None = None

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Route:
        return cls(status=status, headers={"Location": location})

    @classmethod
    def text(cls, body: str | bytes, content_type: str = "text/html; charset=utf-8", **kw: Any) -> Route:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(headers={"Content-Type": content_type}, body=data, **kw)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


def gzip_bomb(inflated_size: int = 50_000_000) -> bytes:
    """A gzip body of about inflated_size/1000 bytes that inflates to ``inflated_size`` zero bytes."""
    chunk = b"\0" * 1_000_000
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        for _ in range(inflated_size // len(chunk)):
            gz.write(chunk)
    return buf.getvalue()


def huge_body(size: int, chunk: int = 64 * 1024) -> Callable[[], Iterable[bytes]]:
    """A body factory yielding ``size`` bytes of ``x`` without holding them in memory."""

    def generate() -> Iterable[bytes]:
        left = size
        while left > 0:
            n = min(chunk, left)
            yield b"x" * n
            left -= n

    return generate


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms Nagle + delayed-ACK stalls between headers and body

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        owner = self.server.owner
        owner.requests.append(Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
        with owner.track_in_flight():
            self._answer(owner)

    def _answer(self, owner: LocalServer) -> None:
        route = owner.routes.get(self.path) or owner.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self._send(404, {"Content-Type": "text/plain"}, b"not found")
        elif self._not_modified(route):
            self._send(304, self._validators(route), b"")
        else:
            self._send(route.status, {**self._validators(route), **route.headers}, route.body, route.drip)

    def _not_modified(self, route: Route) -> bool:
        inm = self.headers.get("If-None-Match")
        if route.etag and inm:
            return route.etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        return bool(route.last_modified and ims and ims.strip() == route.last_modified)

    @staticmethod
    def _validators(route: Route) -> dict[str, str]:
        out = {}
        if route.etag:
            out["ETag"] = route.etag
        if route.last_modified:
            out["Last-Modified"] = route.last_modified
        return out

    def _send(
        self, status: int, headers: dict[str, str], body: Body, drip: tuple[int, float] | None = None
    ) -> None:
        self.send_response(status)
        lowered = {k.lower() for k in headers}
        for name, value in headers.items():
            self.send_header(name, value)
        chunked = callable(body) and "content-length" not in lowered
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not callable(body) and "content-length" not in lowered:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status == 304 or status < 200:
            return
        try:
            self._write_body(body, chunked, drip)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: that's often the test
            self.close_connection = True

    def _write_body(self, body: Body, chunked: bool, drip: tuple[int, float] | None) -> None:
        pieces: Iterable[bytes] = body() if callable(body) else [body]
        if drip:
            size, delay = drip
            pieces = _dripped(pieces, size, delay)
        for piece in pieces:
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
            self.wfile.flush()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


def _dripped(pieces: Iterable[bytes], size: int, delay: float) -> Iterable[bytes]:
    for piece in pieces:
        for i in range(0, len(piece), size):
            yield piece[i : i + size]
            time.sleep(delay)  # the server's drip, not a test sleep


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with a free port; use as a context manager."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests served at once (for concurrency-limit tests)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="test-http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    @contextmanager
    def track_in_flight(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def paths(self) -> list[str]:
        """Paths requested so far, in order."""
        return [r.path for r in self.requests]

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The whole-request deadline of a fetch, enforced where the bytes are read: on the network stream.

httpx/httpcore time-outs are per network operation: a read time-out starts again with every
read, so a server that sends one byte a second (status line, header, ``102 Processing``, chunk
extension, trailer) holds a request for as long as it likes (encode/httpx#1450). Here every
blocking operation of a fetch -- name resolution, connect, TLS handshake, each write and each
read -- gets ``min(its own time-out, what is left of the fetch's budget)``, and an operation
started after the budget is spent fails at once with ``httpcore.ReadTimeout``/``ConnectTimeout``.
So a fetch ends within its budget (plus scheduling noise) whatever the server does.

:class:`Budget` is one fetch's budget; :func:`bounded` makes it current for the calling thread
(a context variable: httpx's sync client runs the whole exchange in the calling thread), and
:class:`DeadlineBackend` is an httpcore network backend that wraps another one and applies the
current budget. A budget also carries a cancel flag: :meth:`DeadlineBackend.abort` sets it and
shuts down every live socket, so a fetch blocked in ``recv`` returns at once (used on SIGTERM).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore


class Cancelled(Exception):
    """Internal: raised inside the connection layer once the fetch was cancelled (shutting down)."""


class Budget:
    """What is left of one fetch's time budget, on an injectable monotonic clock."""

    def __init__(self, seconds: float, *, clock: Callable[[], float], cancel: threading.Event) -> None:
        self.seconds = seconds
        self._clock = clock
        self._deadline = clock() + seconds
        self.cancel = cancel

    def remaining(self) -> float:
        return self._deadline - self._clock()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def cap(self, timeout: float | None, error: type[Exception]) -> float:
        """``timeout`` shortened to what is left; raises ``error`` when nothing is (or when cancelled)."""
        if self.cancel.is_set():
            raise Cancelled("the fetch was cancelled: watcher is stopping")
        left = self.remaining()
        if left <= 0:
            raise error(f"the whole-request deadline of {self.seconds:g}s has passed")
        return left if timeout is None else min(timeout, left)


_current: ContextVar[Budget | None] = ContextVar("watcher_fetch_budget", default=None)


@contextmanager
def bounded(budget: Budget) -> Iterator[Budget]:
    """Makes ``budget`` apply to every network operation this thread does inside the block."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def cap_timeout(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to the current fetch's budget (unchanged outside a fetch)."""
    budget = _current.get()
    return timeout if budget is None else budget.cap(timeout, error)


def call_within(fn: Callable[[], Any], timeout: float | None, what: str) -> Any:
    """Runs a blocking call that has no time-out of its own (``getaddrinfo``) for at most ``timeout`` s.

    The call runs in a daemon thread; when it overruns, the caller gets ``httpcore.ConnectTimeout``
    and the thread is left to finish on its own (its result is dropped).
    """
    if timeout is None:
        return fn()
    result: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            result["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="watcher-resolve", daemon=True).start()
    if not done.wait(max(timeout, 0.0)):
        raise httpcore.ConnectTimeout(f"{what} took longer than {timeout:g}s")
    if "error" in result:
        raise result["error"]
    return result["value"]


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation is bounded by the current fetch's budget."""

    def __init__(self, inner: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._inner = inner
        self._backend = backend
        backend.register(self)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, cap_timeout(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, cap_timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._backend.forget(self)
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        # CPython bounds the whole handshake by the socket time-out (not per read)
        tls = self._inner.start_tls(
            ssl_context, server_hostname, cap_timeout(timeout, httpcore.ConnectTimeout)
        )
        self._backend.forget(self)
        return DeadlineStream(tls, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def shutdown(self) -> None:
        """Wakes a thread blocked on this socket (recv returns EOF); the stream is dead afterwards."""
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already closed or never connected
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain fd, also under TLS


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps an httpcore sync backend: connect bounded by the budget, streams wrapped, abortable."""

    def __init__(self, inner: httpcore.NetworkBackend, cancel: threading.Event) -> None:
        self._inner = inner
        self.cancel = cancel
        self._live: weakref.WeakSet[DeadlineStream] = weakref.WeakSet()
        self._lock = threading.Lock()

    def register(self, stream: DeadlineStream) -> None:
        with self._lock:
            self._live.add(stream)

    def forget(self, stream: DeadlineStream) -> None:
        with self._lock:
            self._live.discard(stream)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, cap_timeout(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        if self.cancel.is_set():  # cancelled while connecting
            stream.close()
            raise Cancelled("the fetch was cancelled: watcher is stopping")
        return DeadlineStream(stream, self)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - watcher fetches only TCP URLs
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's retries are off
        self._inner.sleep(seconds)

    def abort(self) -> None:
        """Cancels every fetch now and from now on: the flag is set and every live socket shut down."""
        self.cancel.set()
        with self._lock:
            live = list(self._live)
        for stream in live:
            stream.shutdown()


def current_budget() -> Budget | None:
    """The budget of the fetch running in this thread, if any (for resolvers and tests)."""
    return _current.get()

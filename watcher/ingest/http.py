"""One HTTP client policy for feeds and pages: every network byte watcher reads passes here.

Policy, in order of a fetch:

* only ``http``/``https`` URLs; redirects are followed by hand (at most 5) so every hop is checked;
* the private-address guard (in :mod:`watcher.ingest.addresses`): the host is resolved once, *every*
  address is checked, and the socket connects to a checked address (no second lookup, so DNS
  rebinding cannot swap it) -- see :class:`~watcher.ingest.addresses.GuardedBackend`; literal IPs in URLs
  are checked here before any connection;
* at most 2 requests in flight per host (thread-safe), a real User-Agent, conditional GET
  (``If-None-Match`` / ``If-Modified-Since``; a 304 is ``Fetched(content=None)``);
* a whole-request deadline per fetch (``timeout`` seconds for connect, every redirect hop, headers,
  informational responses and body together), enforced on the network stream by
  :mod:`watcher.ingest.deadlines`: a server dripping a status line, a header, ``102 Processing``, a chunk
  extension or a trailer one byte a second cannot hold a fetch past it; :meth:`HttpClient.abort`
  cancels every fetch at once (``watcher run`` on SIGTERM);
* a size cap on the body as read and as decompressed (we decode gzip/deflate ourselves with a
  bounded inflater, so a gzip bomb is refused after ``max_bytes`` of output, not after it filled RAM);
* ``Retry-After`` (seconds or HTTP date) and ``Cache-Control: max-age`` parsed into :class:`Fetched`.

Failures raise :class:`~watcher.errors.FetchError` with ``kind`` a :class:`~watcher.errors.FetchErrorKind`
(``network | timeout | status | too_large | refused | redirects | decode``); a cancelled fetch raises
:class:`~watcher.errors.FetchCancelled`. No httpx object leaves this module. Limits: a custom
``transport=`` (tests) bypasses the connect-time address check, and with a transport that is not
built by :func:`guarded_transport` the deadline is checked between body chunks only.
``is_public_address``, ``guarded_transport`` and ``system_resolver`` are re-exported from
:mod:`watcher.ingest.addresses` so ``from watcher.ingest.http import ...`` keeps working.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from watcher import __version__
from watcher.errors import FetchCancelled, FetchError, FetchErrorKind
from watcher.ingest.addresses import (
    AddressRefused,
    GuardedBackend,
    Resolver,
    transport_on,
)
from watcher.ingest.addresses import (
    guarded_transport as guarded_transport,  # re-exported
)
from watcher.ingest.addresses import (
    is_public_address as is_public_address,  # re-exported
)
from watcher.ingest.addresses import (
    system_resolver as system_resolver,  # re-exported
)
from watcher.ingest.deadlines import Budget, Cancelled, DeadlineBackend, bounded
from watcher.types import Fetched

USER_AGENT = f"watcher/{__version__} (self-hosted news monitoring bot; python-httpx)"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 5
PER_HOST_LIMIT = 2
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


# --------------------------------------------------------------------------- header parsing


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date (past dates give 0)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_max_age(value: str | None) -> float | None:
    """``max-age`` seconds from a Cache-Control value (``no-cache``/``no-store`` give 0)."""
    if not value:
        return None
    if re.search(r"(?i)\bno-(cache|store)\b", value):
        return 0.0
    match = re.search(r"(?i)(?<![-\w])max-age\s*=\s*\"?(\d+)", value)
    return float(match.group(1)) if match else None


# --------------------------------------------------------------------------- body reading


class _TooLarge(Exception):
    pass


class _BodyReader:
    """Accumulates a body, inflating gzip/deflate itself, never holding more than ``limit`` bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        coding = content_encoding.strip().lower()
        if coding in ("", "identity"):
            self._inflater = None
        elif coding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise ValueError(f"unsupported Content-Encoding {content_encoding!r}")

    def feed(self, chunk: bytes) -> None:
        if self._inflater is None:
            self._append(chunk)
            return
        data = chunk
        while data:
            out = self._inflater.decompress(data, self._limit - self._size + 1)
            self._append(out)
            data = self._inflater.unconsumed_tail

    def _append(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise _TooLarge
        self._parts.append(data)

    def body(self) -> bytes:
        if self._inflater is not None:
            self._append(self._inflater.flush())
        return b"".join(self._parts)


# --------------------------------------------------------------------------- client


class _HostLimiter:
    """At most ``limit`` requests in flight per host; thread-safe."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    @contextmanager
    def slot(self, host: str, timeout: float) -> Iterator[None]:
        with self._lock:
            sem = self._slots.setdefault(host, threading.BoundedSemaphore(self._limit))
        if not sem.acquire(timeout=max(timeout, 0.0)):
            raise httpx.PoolTimeout(f"waited too long for a free slot on {host}")
        try:
            yield
        finally:
            sem.release()


@contextmanager
def _translated(url: str) -> Iterator[None]:
    """Turns httpx/httpcore/guard errors into FetchError with the right kind, cause chained."""
    try:
        yield
    except AddressRefused as exc:
        raise FetchError(
            f"refused: {exc}; set WATCHER_ALLOW_PRIVATE_NETWORKS=true to allow",
            url=url,
            kind=FetchErrorKind.REFUSED,
        ) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(
            f"timed out ({type(exc).__name__}); the server is slow or unreachable",
            url=url,
            kind=FetchErrorKind.TIMEOUT,
        ) from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FetchError(f"not a fetchable URL: {exc}", url=url, kind=FetchErrorKind.REFUSED) from exc
    except httpx.HTTPError as exc:
        raise FetchError(
            f"network error: {type(exc).__name__}: {exc}", url=url, kind=FetchErrorKind.NETWORK
        ) from exc


DRAIN_LIMIT = 64 * 1024  # a 304, redirect or error body up to this is read so its connection is reused


def _drain(response: httpx.Response, limit: int = DRAIN_LIMIT) -> None:
    """Reads a response we do not keep (a 304, a redirect, an error page) to its end, so httpcore
    returns the kept-alive connection to the pool: closing it unread discards the connection, and
    the next fetch from that host pays a new TCP connect (and a TLS handshake). A body over
    ``limit`` is not worth reading: the connection is dropped as before. Runs under the fetch's
    deadline like every other read."""
    read = 0
    try:
        for chunk in response.iter_raw():
            read += len(chunk)
            if read > limit:
                return
    except httpx.HTTPError:
        return  # the close that follows drops the connection, as before


class HttpClient:
    """The fetcher the pipeline uses for feeds and pages. Thread-safe; close() when done."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_bytes: int = 5_000_000,
        allow_private_networks: bool = False,
        max_redirects: int = MAX_REDIRECTS,
        per_host_limit: int = PER_HOST_LIMIT,
        user_agent: str = USER_AGENT,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._allow_private = allow_private_networks
        self._max_redirects = max_redirects
        self._limiter = _HostLimiter(per_host_limit)
        self._clock = clock
        self._now = now
        self._cancel = threading.Event()
        self._backend: DeadlineBackend | None = None
        if transport is None:
            guard = GuardedBackend(allow_private=allow_private_networks, resolver=resolver)
            self._backend = DeadlineBackend(guard, self._cancel)
            transport = transport_on(self._backend)
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> HttpClient:
        """Built from :class:`watcher.config.Settings` (http_timeout, max_page_bytes, allow_private_networks)."""
        params: dict[str, Any] = {
            "timeout": settings.http_timeout,
            "max_bytes": settings.max_page_bytes,
            "allow_private_networks": settings.allow_private_networks,
        }
        params.update(overrides)
        return cls(**params)

    def close(self) -> None:
        self._client.close()

    def abort(self) -> None:
        """Cancels every fetch in flight (their sockets are shut down) and every later one.

        Thread-safe; used when ``watcher run`` stops. The fetches raise :class:`FetchCancelled`."""
        self._cancel.set()
        if self._backend is not None:
            self._backend.abort()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = HTML_ACCEPT,
    ) -> Fetched:
        """GETs ``url`` under the policy above. Validators are sent on the first hop only."""
        budget = Budget(self._timeout, clock=self._clock, cancel=self._cancel)
        try:
            with bounded(budget):
                return self._fetch(url, budget, etag, last_modified, accept)
        except (FetchError, Cancelled) as exc:
            if self._cancel.is_set():
                raise FetchCancelled(url=url) from exc
            if (
                isinstance(exc, FetchError)
                and exc.kind in (FetchErrorKind.TIMEOUT, FetchErrorKind.NETWORK)
                and budget.expired()
            ):
                raise FetchError(
                    f"no complete response within {self._timeout:g}s (WATCHER_HTTP_TIMEOUT bounds connect, "
                    "headers and body together); the server is too slow or stalling",
                    url=url,
                    kind=FetchErrorKind.TIMEOUT,
                ) from exc
            raise

    def _fetch(
        self, url: str, budget: Budget, etag: str | None, last_modified: str | None, accept: str
    ) -> Fetched:
        if self._cancel.is_set():
            raise Cancelled("watcher is stopping")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(self._max_redirects + 1):
            host = self._check_url(current)
            with _translated(current), self._limiter.slot(host, budget.remaining()):
                response = self._client.send(
                    self._client.build_request("GET", current, headers=headers), stream=True
                )
                try:
                    location = response.headers.get("location")
                    if response.status_code not in _REDIRECT_CODES or not location:
                        return self._finish(url, current, response, budget, etag, last_modified)
                    _drain(response)
                finally:
                    response.close()
            current = urljoin(current, location.strip())
            headers = {"Accept": accept}
        raise FetchError(
            f"more than {self._max_redirects} redirects; check the URL in a browser",
            url=url,
            kind=FetchErrorKind.REDIRECTS,
        )

    def _check_url(self, url: str) -> str:
        """Scheme and literal-IP checks before connecting; returns the lowercased host."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise FetchError(
                "only http(s) URLs with a host can be fetched", url=url, kind=FetchErrorKind.REFUSED
            )
        host = parts.hostname.lower()
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return host  # a name: checked on its resolved addresses at connect time
        if not self._allow_private and not is_public_address(host):
            raise FetchError(
                f"refused: {host} is not a public address; set WATCHER_ALLOW_PRIVATE_NETWORKS=true to allow",
                url=url,
                kind=FetchErrorKind.REFUSED,
            )
        return host

    def _finish(
        self,
        url: str,
        current: str,
        response: httpx.Response,
        budget: Budget,
        etag: str | None,
        last_modified: str | None,
    ) -> Fetched:
        headers = response.headers
        retry_after = parse_retry_after(headers.get("retry-after"), now=self._now())
        status = response.status_code
        if status >= 300:
            _drain(response)  # read (a 304 has no body) so the kept-alive connection is reused
        if status == 304:
            return Fetched(
                url=url,
                status=304,
                content=None,
                content_type=headers.get("content-type"),
                etag=headers.get("etag") or etag,
                last_modified=headers.get("last-modified") or last_modified,
                final_url=current,
                retry_after=retry_after,
                max_age=parse_max_age(headers.get("cache-control")),
            )
        if status >= 300:
            raise FetchError(
                f"HTTP {status} {response.reason_phrase}",
                url=url,
                kind=FetchErrorKind.STATUS,
                status=status,
                retry_after=retry_after,
            )
        body = self._read_body(current, response, budget)
        return Fetched(
            url=url,
            status=status,
            content=body,
            content_type=headers.get("content-type"),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            final_url=current,
            retry_after=retry_after,
            max_age=parse_max_age(headers.get("cache-control")),
        )

    def _read_body(self, url: str, response: httpx.Response, budget: Budget) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchError(
                f"body of {declared} bytes is over the {self._max_bytes}-byte cap (WATCHER_MAX_PAGE_BYTES)",
                url=url,
                kind=FetchErrorKind.TOO_LARGE,
            )
        try:
            reader = _BodyReader(response.headers.get("content-encoding", ""), self._max_bytes)
            for chunk in response.iter_raw():
                if budget.expired():  # also checked on every read when the transport is ours
                    raise FetchError(
                        f"body not received within {self._timeout:g}s (WATCHER_HTTP_TIMEOUT)",
                        url=url,
                        kind=FetchErrorKind.TIMEOUT,
                    )
                reader.feed(chunk)
            return reader.body()
        except _TooLarge as exc:
            raise FetchError(
                f"body is over the {self._max_bytes}-byte cap (WATCHER_MAX_PAGE_BYTES), after decompression",
                url=url,
                kind=FetchErrorKind.TOO_LARGE,
            ) from exc
        except (ValueError, zlib.error) as exc:
            raise FetchError(f"cannot decode the body: {exc}", url=url, kind=FetchErrorKind.DECODE) from exc

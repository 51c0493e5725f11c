"""The private-address guard: which addresses watcher may connect to, checked at connect time.

Holds :func:`is_public_address` (refuses loopback, RFC 1918, link-local, CGNAT, reserved and
documentation ranges, multicast, ULA, and IPv6 addresses embedding such an IPv4), the resolver
(:func:`system_resolver`, injectable as a :data:`Resolver`), and :class:`GuardedBackend` /
:func:`guarded_transport`: the host is resolved once, *every* address is checked, and the socket
connects to a checked address (no second lookup, so DNS rebinding cannot swap it). A refusal raises
:class:`AddressRefused`, which :mod:`watcher.ingest.http` turns into ``FetchError(kind="refused")``.
Name resolution runs under the connect time-out (``getaddrinfo`` has none of its own; see
:func:`watcher.ingest.deadlines.call_within`), and the transport's backend is wrapped in a
:class:`~watcher.ingest.deadlines.DeadlineBackend`, so a fetch's whole-request budget bounds every step.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from watcher.ingest.deadlines import DeadlineBackend, call_within, cap_timeout

Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> [ip, ...]``: how the guard resolves names (injectable for tests)."""


class AddressRefused(Exception):
    """Internal: raised inside the connection layer; becomes FetchError(kind="refused")."""


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible)."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in net for net in _NAT64) or ip in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public_address(address: str) -> bool:
    """True when ``address`` is a globally routable unicast address (v4 or v6).

    Refused: loopback, RFC 1918, link-local (incl. 169.254.169.254), CGNAT 100.64/10,
    documentation/benchmark/reserved ranges, multicast, unspecified, ULA, and any IPv6 address
    whose embedded IPv4 (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64, ``::a.b.c.d``) is not public.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return all(is_public_address(str(v4)) for v4 in _embedded_ipv4(ip))
    return True


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses ``getaddrinfo`` gives for ``host`` (order kept, duplicates dropped)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.SyncBackend):
    """An httpcore network backend that resolves, checks every address, then connects to a checked IP.

    TLS still verifies the certificate against the URL's host name (httpcore passes it as the
    server name), so pinning the IP does not weaken HTTPS.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        policy: Callable[[str], bool] = is_public_address,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._policy = policy

    def addresses(self, host: str, port: int, timeout: float | None = None) -> list[str]:
        """The checked addresses to try; raises AddressRefused if any resolved address is private.

        Resolution is bounded by ``timeout`` (``getaddrinfo`` has none of its own)."""
        try:
            if _is_literal(host):  # nothing to look up: no helper thread
                found = self._resolver(host, port)
            else:
                found = call_within(lambda: self._resolver(host, port), timeout, f"resolving {host}")
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not found:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        if not self._allow_private:
            bad = [a for a in found if not self._policy(a)]
            if bad:
                raise AddressRefused(f"{host} resolves to a non-public address ({', '.join(bad)})")
        return found

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in self.addresses(host, port, timeout):
            try:  # each attempt gets what is left of the fetch's budget
                wait = cap_timeout(timeout, httpcore.ConnectTimeout)
                return super().connect_tcp(address, port, wait, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the next checked address
                error = exc
        assert error is not None
        raise error


def guarded_transport(
    *,
    allow_private: bool = False,
    resolver: Resolver = system_resolver,
    policy: Callable[[str], bool] = is_public_address,
    cancel: threading.Event | None = None,
) -> httpx.BaseTransport:
    """httpx's own transport on a :class:`GuardedBackend` under a :class:`DeadlineBackend`.

    ``policy`` says which resolved addresses are acceptable (tests pass a narrower one); setting
    ``cancel`` makes every fetch on this transport fail at its next network operation.
    """
    guard = GuardedBackend(allow_private=allow_private, resolver=resolver, policy=policy)
    return transport_on(DeadlineBackend(guard, cancel or threading.Event()))


_TLS: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    """The verifying TLS context every transport shares: each context holds its own copy of the CA
    bundle (~1 MB), and a transport made two (httpx's pool and ours) before."""
    global _TLS
    if _TLS is None:  # two threads may both make one: harmless, one is kept
        _TLS = httpx.create_ssl_context(trust_env=False)
    return _TLS


def transport_on(backend: httpcore.NetworkBackend) -> httpx.BaseTransport:
    """httpx's own transport with its connection pool rebuilt on ``backend``.

    httpx 0.28 has no public ``network_backend`` argument, so the pool (the private ``_pool``
    attribute, stable since httpx 0.18) is replaced; ``tests/test_http.py`` pins this.
    """
    context = _tls_context()
    transport = httpx.HTTPTransport(verify=context, trust_env=False, retries=0)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=backend,
    )
    return transport

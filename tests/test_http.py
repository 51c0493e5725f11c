"""watcher.ingest.http against a real loopback server (protocol) and httpx.MockTransport (error mapping)."""

from __future__ import annotations

import gzip
import ipaddress
import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.httpserver import LocalServer, Route, gzip_bomb, huge_body
from watcher.errors import FetchError
from watcher.ingest.http import (
    FEED_ACCEPT,
    USER_AGENT,
    HttpClient,
    guarded_transport,
    is_public_address,
    parse_max_age,
    parse_retry_after,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def fetch_error(call: Callable[[], object]) -> FetchError:
    with pytest.raises(FetchError) as info:
        call()
    return info.value


# --------------------------------------------------------------------------- basics


def test_fetch_returns_body_headers_and_validators(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/feed"] = Route.text(
        "<rss/>", "application/rss+xml", etag='"v1"', last_modified="Wed, 21 Oct 2015 07:28:00 GMT"
    )
    fetched = http_client.fetch(http_server.url("/feed"), accept=FEED_ACCEPT)
    assert fetched.status == 200 and fetched.content == b"<rss/>"
    assert fetched.content_type == "application/rss+xml"
    assert fetched.etag == '"v1"' and fetched.last_modified == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert fetched.final_url == http_server.url("/feed")
    sent = http_server.requests[-1].headers
    assert sent["user-agent"] == USER_AGENT and USER_AGENT.startswith("watcher/")
    assert sent["accept"] == FEED_ACCEPT


def test_conditional_get_by_etag_gives_304_value(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/feed"] = Route.text("<rss/>", etag='"v1"')
    first = http_client.fetch(http_server.url("/feed"))
    again = http_client.fetch(http_server.url("/feed"), etag=first.etag)
    assert again.status == 304 and again.content is None and again.etag == '"v1"'
    assert http_server.requests[-1].headers["if-none-match"] == '"v1"'


def test_conditional_get_by_last_modified(http_server: LocalServer, http_client: HttpClient) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    http_server.routes["/feed"] = Route.text("<rss/>", last_modified=stamp)
    again = http_client.fetch(http_server.url("/feed"), last_modified=stamp)
    assert again.content is None and again.last_modified == stamp
    changed = http_client.fetch(http_server.url("/feed"), last_modified="Thu, 01 Jan 2015 00:00:00 GMT")
    assert changed.content == b"<rss/>"


def test_gzip_body_is_decoded(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/z"] = Route(
        headers={"Content-Encoding": "gzip"}, body=gzip.compress(b"hello " * 1000)
    )
    assert http_client.fetch(http_server.url("/z")).content == b"hello " * 1000


def test_deflate_body_is_decoded(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/z"] = Route(
        headers={"Content-Encoding": "deflate"}, body=zlib.compress(b"abc" * 500)
    )
    assert http_client.fetch(http_server.url("/z")).content == b"abc" * 500


# --------------------------------------------------------------------------- redirects


def test_redirects_are_followed_and_final_url_kept(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/a"] = Route.redirect("/b", 301)
    http_server.routes["/b"] = Route.redirect(http_server.url("/c"), 307)
    http_server.routes["/c"] = Route.text("done")
    fetched = http_client.fetch(http_server.url("/a"), etag='"x"')
    assert fetched.content == b"done" and fetched.url == http_server.url("/a")
    assert fetched.final_url == http_server.url("/c")
    assert http_server.paths() == ["/a", "/b", "/c"]
    assert "if-none-match" not in http_server.requests[-1].headers  # validators: first hop only


def test_more_than_five_redirects_fail(http_server: LocalServer, http_client: HttpClient) -> None:
    for i in range(7):
        http_server.routes[f"/r{i}"] = Route.redirect(f"/r{i + 1}")
    http_server.routes["/r7"] = Route.text("end")
    err = fetch_error(lambda: http_client.fetch(http_server.url("/r0")))
    assert err.kind == "redirects" and len(http_server.requests) == 6


def test_redirect_loop_fails(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/loop"] = Route.redirect("/loop")
    assert fetch_error(lambda: http_client.fetch(http_server.url("/loop"))).kind == "redirects"


def test_redirect_to_non_http_scheme_is_refused(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/a"] = Route.redirect("file:///etc/passwd")
    assert fetch_error(lambda: http_client.fetch(http_server.url("/a"))).kind == "refused"


# --------------------------------------------------------------------------- private-address guard


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "not-an-ip",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
        "64:ff9b::808:808",
        "172.32.0.1",
        "100.128.0.1",
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


@given(st.ip_addresses(v=4))
def test_ipv4_mapped_ipv6_gets_the_same_verdict(ip: ipaddress.IPv4Address) -> None:
    assert is_public_address(f"::ffff:{ip}") == is_public_address(str(ip))


def test_literal_loopback_is_refused_before_connecting(http_server: LocalServer) -> None:
    http_server.routes["/"] = Route.text("secret")
    with HttpClient() as client:
        for host in ("127.0.0.1", "[::ffff:127.0.0.1]", "169.254.169.254"):
            err = fetch_error(partial(client.fetch, f"http://{host}:{http_server.port}/"))
            assert err.kind == "refused" and "WATCHER_ALLOW_PRIVATE_NETWORKS" in str(err)
    assert http_server.requests == []


def test_name_resolving_to_loopback_is_refused(http_server: LocalServer) -> None:
    http_server.routes["/"] = Route.text("secret")
    with HttpClient() as client:
        err = fetch_error(lambda: client.fetch(http_server.url("/", host="localhost")))
    assert err.kind == "refused" and "localhost resolves to a non-public address" in str(err)
    assert http_server.requests == []


def test_allow_private_networks_lets_loopback_through(http_server: LocalServer) -> None:
    http_server.routes["/"] = Route.text("ok")
    with HttpClient(allow_private_networks=True) as client:
        assert client.fetch(http_server.url("/", host="localhost")).content == b"ok"


def _pretend_loopback_is_public(address: str) -> bool:
    return address == "127.0.0.1"


def test_connects_to_the_checked_address_without_a_second_lookup(http_server: LocalServer) -> None:
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    http_server.routes["/"] = Route.text("pinned")
    transport = guarded_transport(resolver=resolver, policy=_pretend_loopback_is_public)
    with HttpClient(transport=transport) as client:  # "news.test" exists in no DNS: only our answer is used
        assert client.fetch(http_server.url("/", host="news.test")).content == b"pinned"
    assert lookups == ["news.test"]
    assert http_server.requests[0].headers["host"] == f"news.test:{http_server.port}"


def test_any_private_answer_refuses_the_host(http_server: LocalServer) -> None:
    transport = guarded_transport(
        resolver=lambda h, p: ["127.0.0.1", "10.0.0.7"], policy=_pretend_loopback_is_public
    )
    with HttpClient(transport=transport) as client:
        err = fetch_error(lambda: client.fetch(http_server.url("/", host="mixed.test")))
    assert err.kind == "refused" and "10.0.0.7" in str(err)
    assert http_server.requests == []


def test_every_redirect_hop_is_checked(http_server: LocalServer) -> None:
    answers = {"news.test": ["127.0.0.1"], "internal.test": ["192.168.0.10"]}
    http_server.routes["/go"] = Route.redirect(f"http://internal.test:{http_server.port}/admin")
    transport = guarded_transport(resolver=lambda h, p: answers[h], policy=_pretend_loopback_is_public)
    with HttpClient(transport=transport) as client:
        err = fetch_error(lambda: client.fetch(http_server.url("/go", host="news.test")))
    assert err.kind == "refused" and "internal.test" in str(err)
    assert http_server.paths() == ["/go"]


def test_unresolvable_name_is_a_network_error() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with HttpClient(transport=guarded_transport(resolver=resolver)) as client:
        err = fetch_error(lambda: client.fetch("http://nowhere.invalid/"))
    assert err.kind == "network" and isinstance(err.__cause__, httpx.ConnectError)


# --------------------------------------------------------------------------- size and time caps


def test_declared_length_over_cap_is_refused(http_server: LocalServer) -> None:
    http_server.routes["/big"] = Route(body=b"x" * 5000)
    with HttpClient(allow_private_networks=True, max_bytes=1024) as client:
        err = fetch_error(lambda: client.fetch(http_server.url("/big")))
    assert err.kind == "too_large" and "WATCHER_MAX_PAGE_BYTES" in str(err)


def test_streamed_body_over_cap_stops_reading(http_server: LocalServer) -> None:
    http_server.routes["/huge"] = Route(body=huge_body(200_000_000))  # chunked, no Content-Length
    with HttpClient(allow_private_networks=True, max_bytes=100_000) as client:
        assert fetch_error(lambda: client.fetch(http_server.url("/huge"))).kind == "too_large"


def test_gzip_bomb_is_refused_by_decompressed_size(http_server: LocalServer) -> None:
    bomb = gzip_bomb(20_000_000)
    assert len(bomb) < 100_000
    http_server.routes["/bomb"] = Route(headers={"Content-Encoding": "gzip"}, body=bomb)
    with HttpClient(allow_private_networks=True, max_bytes=1_000_000) as client:
        err = fetch_error(lambda: client.fetch(http_server.url("/bomb")))
    assert err.kind == "too_large" and "after decompression" in str(err)


def test_slow_drip_hits_the_total_deadline(http_server: LocalServer) -> None:
    ticks = iter(range(10_000))  # a clock that advances one second per look

    http_server.routes["/drip"] = Route(body=b"x" * 400, drip=(1, 0.005))
    with HttpClient(allow_private_networks=True, timeout=5.0, clock=lambda: float(next(ticks))) as client:
        err = fetch_error(lambda: client.fetch(http_server.url("/drip")))
    assert err.kind == "timeout" and "WATCHER_HTTP_TIMEOUT" in str(err)


def test_per_host_concurrency_is_at_most_two(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/slow"] = Route(body=b"x" * 20, drip=(1, 0.002))
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            assert http_client.fetch(http_server.url("/slow")).content == b"x" * 20
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(http_server.requests) == 6
    assert http_server.max_in_flight <= 2


# --------------------------------------------------------------------------- status, Retry-After, max-age


def test_error_status_carries_retry_after(http_server: LocalServer) -> None:
    http_server.routes["/busy"] = Route(status=503, headers={"Retry-After": "120"})
    http_server.routes["/limited"] = Route(
        status=429, headers={"Retry-After": "Fri, 02 Jan 2026 03:05:05 GMT"}
    )
    http_server.routes["/gone"] = Route(status=404)
    with HttpClient(allow_private_networks=True, now=lambda: NOW) as client:
        busy = fetch_error(lambda: client.fetch(http_server.url("/busy")))
        limited = fetch_error(lambda: client.fetch(http_server.url("/limited")))
        gone = fetch_error(lambda: client.fetch(http_server.url("/gone")))
    assert (busy.kind, busy.status, busy.retry_after) == ("status", 503, 120.0)
    assert (limited.status, limited.retry_after) == (429, 60.0)
    assert (gone.status, gone.retry_after) == (404, None)


def test_max_age_is_parsed_into_fetched(http_server: LocalServer, http_client: HttpClient) -> None:
    http_server.routes["/f"] = Route(headers={"Cache-Control": "public, max-age=600"}, body=b"x")
    assert http_client.fetch(http_server.url("/f")).max_age == 600.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("30", 30.0),
        (" 0 ", 0.0),
        ("Fri, 02 Jan 2026 03:06:05 GMT", 120.0),
        ("Thu, 01 Jan 2026 00:00:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("public", None),
        ("max-age=60", 60.0),
        ("s-maxage=5, max-age=30", 30.0),
        ('max-age="15"', 15.0),
        ("no-store", 0.0),
        ("private, no-cache, max-age=60", 0.0),
    ],
)
def test_parse_max_age(value: str | None, expected: float | None) -> None:
    assert parse_max_age(value) == expected


# --------------------------------------------------------------------------- error mapping (MockTransport)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("refused"), "network"),
        (httpx.ReadError("reset"), "network"),
        (httpx.RemoteProtocolError("bad"), "network"),
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ReadTimeout("slow"), "timeout"),
    ],
)
def test_transport_errors_become_fetch_errors(exc: Exception, kind: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with HttpClient(transport=httpx.MockTransport(handler)) as client:
        err = fetch_error(lambda: client.fetch("https://news.example/a"))
    assert err.kind == kind and err.__cause__ is exc and err.url == "https://news.example/a"


def test_unsupported_content_encoding_is_a_decode_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "br"}, content=b"\x1b\x00")

    with HttpClient(transport=httpx.MockTransport(handler)) as client:
        assert fetch_error(lambda: client.fetch("https://news.example/a")).kind == "decode"


@pytest.mark.parametrize(
    "url", ["ftp://news.example/a", "file:///etc/passwd", "javascript:alert(1)", "http:///x"]
)
def test_non_http_urls_are_refused(url: str) -> None:
    with HttpClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        assert fetch_error(lambda: client.fetch(url)).kind == "refused"


def test_from_settings_uses_the_settings_values() -> None:
    class FakeSettings:  # a Settings-like value object: only the three fields are read
        http_timeout = 3.0
        max_page_bytes = 2048
        allow_private_networks = False

    body = b"y" * 4096

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    with HttpClient.from_settings(FakeSettings(), transport=httpx.MockTransport(handler)) as client:
        assert fetch_error(lambda: client.fetch("https://news.example/")).kind == "too_large"


class _CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        type(self).connections += 1
        super().setup()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/feed"):
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/feed-after-redirect")
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"moved ...")
        else:
            self.send_response(404)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"not found")


def test_304_redirect_and_error_responses_leave_the_connection_for_the_next_fetch() -> None:
    """Issue 14: a 304 was closed unread, which threw the kept-alive connection away (one TCP connect
    per feed). Drained, the connection is reused: 30 fetches, one connection."""
    handler: type[_CountingHandler] = type("Handler", (_CountingHandler,), {"connections": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with HttpClient(allow_private_networks=True, per_host_limit=1) as client:
            for i in range(10):
                assert client.fetch(f"{base}/feed{i}", etag='"v1"').status == 304
            for _ in range(10):
                assert client.fetch(f"{base}/moved", etag='"v1"').status == 304
            for _ in range(10):
                with pytest.raises(FetchError):
                    client.fetch(f"{base}/missing")
    finally:
        server.shutdown()
        server.server_close()
    assert handler.connections == 1

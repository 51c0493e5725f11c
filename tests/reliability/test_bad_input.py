"""Bad input through the whole pipeline (Watcher.poll_once against a local web server).

Every hostile feed or page gives a recorded error for that feed/item (or a partial article) and
the rest of the cycle goes on: the good feed polled in the same cycle is always fully processed.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from tests.botapi import BotApiServer
from tests.httpserver import LocalServer, Route, gzip_bomb, huge_body
from tests.stallserver import STALLS, StallServer
from watcher.app.root import Watcher
from watcher.ingest.feed_parser import default_parser
from watcher.ingest.http import HttpClient
from watcher.ingest.worker import STARTUP_TIMEOUT
from watcher.store.schema import ArticleRow, EntryRow, FeedRow

if TYPE_CHECKING:
    from tests.reliability.conftest import Kit, Ledger

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CHAT = 6161
MAX_BYTES = 300_000
GOOD = ["Brightwater", "Castlerock", "Dunmore"]


def loopback_only(host: str, port: int) -> list[str]:
    """The guard's resolver in these tests: loopback answers, every other name fails at once."""
    if host == "localhost":
        return ["127.0.0.1"]
    if host.startswith("127."):  # loopback literals (the stall servers use several)
        return [host]
    raise OSError(f"no network in tests: {host}")


def rss(items: list[tuple[str, str, str]], encoding: str = "utf-8") -> str:
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{summary}</description></item>"
        for title, link, summary in items
    )
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>t</title>'
            f"<link>http://x</link><description>d</description>{body}</channel></rss>")  # fmt: skip


def article(company: str, *, title: str | None = None, charset: str = "utf-8", extra: str = "") -> str:
    return (
        f'<html><head><meta charset="{charset}"><title>{title or company}</title></head><body><article>'
        f"<h1>{title or f'OpenAI signs deal with {company}'}</h1>"
        f"<p>OpenAI has signed a $4 billion agreement with {company} Ltd to rent computing capacity over "
        f"the next five years, the companies said on Monday.{extra}</p>"
        f"<p>{company} is a cloud provider based in Europe. The contract starts next year and covers data "
        f"centres in three countries, according to a statement from the company.</p>"
        f"<p>Microsoft remains OpenAI's largest investor and a close partner of the company.</p>"
        f"</article></body></html>"
    )


def good_feed(server: LocalServer) -> None:
    items = []
    for name in GOOD:
        server.routes[f"/good/{name}.html"] = Route.text(article(f"{name} Cloud"))
        items.append((f"OpenAI signs deal with {name} Cloud", server.url(f"/good/{name}.html"),
                      f"OpenAI signed a deal with {name} Cloud."))  # fmt: skip
    server.routes["/good.xml"] = Route.text(rss(items), "application/rss+xml")


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer() as server:
        good_feed(server)
        yield server


@pytest.fixture
def api() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        yield server


@pytest.fixture
def make(
    sqlite_url: str, tmp_path: Path, api: BotApiServer, kit: type[Kit]
) -> Iterator[Callable[[dict[str, str]], Watcher]]:
    http = HttpClient(timeout=2, max_bytes=MAX_BYTES, allow_private_networks=True, resolver=loopback_only)
    with kit.telegram_watchers(sqlite_url, tmp_path, api, chat=CHAT, now=T0, http=http, http_timeout=2,
                           max_page_bytes=MAX_BYTES) as factory:  # fmt: skip
        yield factory


def feed_rows(w: Watcher) -> dict[str, FeedRow]:
    return {row.name: row for row in w.store.feed_rows()}


def assert_good_feed_processed(w: Watcher, api: BotApiServer, ledger: Ledger, kit: type[Kit]) -> None:
    good_id = feed_rows(w)["good"].id
    with w.store.session() as s:
        entries = s.scalars(select(EntryRow).where(EntryRow.feed_id == good_id)).all()
    seen = {name: sum(1 for e in entries if name in e.title and e.processed_at) for name in GOOD}
    ledger.count(seen, GOOD)
    texts = [m.text for m in api.sent_to(CHAT)]
    names = [f"{name} Cloud" for name in GOOD]
    ledger.count(kit.per_name(texts, names), names)


def test_every_feed_of_the_shared_corpus_in_one_cycle(
    site: LocalServer,
    make: Callable[[dict[str, str]], Watcher],
    api: BotApiServer,
    ledger: Ledger,
    kit: type[Kit],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = kit.shared_path("corpus", "feeds")
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix in (".xml", ".json", ".rss", ".atom")
    )
    assert len(files) > 100
    feeds = {"good": site.url("/good.xml")}
    for i, path in enumerate(files):
        route = f"/corpus/{i}"
        # read in place (never copied); served as bytes with a neutral type: the parser must cope
        site.routes[route] = Route(headers={"Content-Type": "application/xml"}, body=path.read_bytes())
        feeds[f"corpus-{i}"] = site.url(route)
    w = make(feeds)
    ledger.inject("bad-input:corpus-feed", len(files))
    report, drained = w.poll_once()
    assert report.feeds_polled == len(files) + 1
    rows = feed_rows(w)
    assert all(r.last_success_at or r.last_error for r in rows.values())  # each feed judged, none left
    assert report.entries_seen > 500  # the corpus was really parsed
    assert_good_feed_processed(w, api, ledger, kit)
    assert drained is not None and drained.pending == 0


def encoded_feeds(site: LocalServer) -> dict[str, tuple[str, str]]:
    """Odd encodings: (feed name, expected text in the stored article)."""
    # a feed declared utf-8 whose bytes are latin-1
    site.routes["/enc/latin1.html"] = Route.text(article("Latincafe Cloud"))
    body = rss([("OpenAI and Latincafé Cloud sign a deal", site.url("/enc/latin1.html"), "Café au lait")])
    site.routes["/latin1.xml"] = Route(headers={"Content-Type": "application/rss+xml; charset=utf-8"},
                                       body=body.encode("latin-1"))  # fmt: skip
    # a windows-1252 page (curly quotes, euro sign), declared in its meta tag only
    page = article("Quotewell Cloud", charset="windows-1252", extra=" \u201cA \u20ac4bn deal\u201d, it said.")
    site.routes["/enc/cp1252.html"] = Route(headers={"Content-Type": "text/html"}, body=page.encode("cp1252"))
    # a UTF-16 page with a BOM (and no charset in the header)
    page16 = article("Sixteenbit Cloud", charset="utf-16", extra=" Zürich office.")
    site.routes["/enc/utf16.html"] = Route(headers={"Content-Type": "text/html"},
                                           body=codecs.BOM_UTF16_LE + page16.encode("utf-16-le"))  # fmt: skip
    items = [
        (
            "OpenAI signs deal with Quotewell Cloud",
            site.url("/enc/cp1252.html"),
            "OpenAI and Quotewell Cloud.",
        ),
        (
            "OpenAI signs deal with Sixteenbit Cloud",
            site.url("/enc/utf16.html"),
            "OpenAI and Sixteenbit Cloud.",
        ),
    ]
    site.routes["/pages.xml"] = Route.text(rss(items), "application/rss+xml")
    return {"latin1": ("latin1", "Latinca"), "pages": ("pages", "\u201cA \u20ac4bn deal\u201d")}


def hostile_feeds(site: LocalServer) -> dict[str, str]:
    base = site.url("").rstrip("/")
    site.routes["/huge.xml"] = Route(headers={"Content-Type": "application/rss+xml"},
                                     body=huge_body(MAX_BYTES * 3))  # fmt: skip
    site.routes["/drip.xml"] = Route(headers={"Content-Type": "application/rss+xml"},
                                     body=huge_body(10**9), drip=(256, 0.25))  # endless, slow  # fmt: skip
    site.routes["/bomb.xml"] = Route(headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
                                     body=gzip_bomb(20_000_000))  # fmt: skip
    site.routes["/loop1.xml"] = Route.redirect("/loop2.xml")
    site.routes["/loop2.xml"] = Route.redirect("/loop1.xml")
    site.routes["/odd/doc.pdf"] = Route(headers={"Content-Type": "application/pdf"},
                                        body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF")  # fmt: skip
    site.routes["/odd/img.png"] = Route(headers={"Content-Type": "image/png"},
                                        body=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)  # fmt: skip
    site.routes["/odd/data.json"] = Route(headers={"Content-Type": "application/json"},
                                          body=json.dumps({"title": "OpenAI", "n": [1, 2]}).encode())  # fmt: skip
    items = [
        ("OpenAI deal with Pdfco Cloud", f"{base}/odd/doc.pdf", "OpenAI signed a deal with Pdfco Cloud."),
        ("OpenAI deal with Imageco Cloud", f"{base}/odd/img.png", "OpenAI signed a deal with Imageco Cloud."),
        ("OpenAI deal with Jsonco Cloud", f"{base}/odd/data.json", "OpenAI signed a deal with Jsonco Cloud."),
    ]
    site.routes["/odd.xml"] = Route.text(rss(items), "application/rss+xml")
    return {
        "huge": site.url("/huge.xml"),
        "drip": site.url("/drip.xml"),
        "bomb": site.url("/bomb.xml"),
        "loop": site.url("/loop1.xml"),
        "odd": site.url("/odd.xml"),
    }


def test_hostile_feeds_and_pages_fail_alone_and_the_cycle_goes_on(
    site: LocalServer,
    make: Callable[[dict[str, str]], Watcher],
    api: BotApiServer,
    ledger: Ledger,
    kit: type[Kit],
    caplog: pytest.LogCaptureFixture,
) -> None:
    hostile = hostile_feeds(site)
    expected = encoded_feeds(site)
    feeds = {"good": site.url("/good.xml"), **hostile, "latin1": site.url("/latin1.xml"),
             "pages": site.url("/pages.xml")}  # fmt: skip
    w = make(feeds)
    ledger.inject("bad-input:hostile", 5 + 3 + 3)
    report, _ = w.poll_once()
    rows = feed_rows(w)
    # each hostile feed: a clear error of the right kind, recorded on that feed
    assert rows["huge"].last_error_kind == "too_large", rows["huge"].last_error
    assert rows["bomb"].last_error_kind == "too_large", rows["bomb"].last_error
    assert rows["drip"].last_error_kind == "timeout", rows["drip"].last_error
    assert rows["loop"].last_error_kind == "redirects", rows["loop"].last_error
    for name in ("huge", "bomb", "drip", "loop"):
        assert f"feed {name} failed" in caplog.text
    # a PDF, an image and JSON behind feed links: partial articles from the feed's summaries
    with w.store.session() as s:
        odd = s.scalars(select(EntryRow).where(EntryRow.feed_id == rows["odd"].id)).all()
        texts = {a.url.rsplit("/", 1)[-1]: a for a in s.scalars(select(ArticleRow))}
    assert len(odd) == 3 and all(e.processed_at for e in odd)
    for name in ("doc.pdf", "img.png", "data.json"):
        assert texts[name].partial and "OpenAI signed a deal" in texts[name].text, texts[name].text
    # odd encodings decoded, not mangled
    assert rows["latin1"].last_error is None
    with w.store.session() as s:
        latin = s.scalars(select(EntryRow).where(EntryRow.feed_id == rows["latin1"].id)).all()
    assert len(latin) == 1 and "Latincaf\u00e9" in latin[0].title, [e.title for e in latin]
    assert expected["pages"][1] in texts["cp1252.html"].text, texts["cp1252.html"].text
    assert "Sixteenbit Cloud" in texts["utf16.html"].text and "Z\u00fcrich" in texts["utf16.html"].text
    assert_good_feed_processed(w, api, ledger, kit)


def test_stalling_feeds_and_pages_fail_alone_within_the_deadline(
    site: LocalServer,
    make: Callable[[dict[str, str]], Watcher],
    api: BotApiServer,
    ledger: Ledger,
    kit: type[Kit],
) -> None:
    """Issue #13, item 1: each stall form (a header, a status line byte by byte, 102 Processing again
    and again, a chunk extension, a trailer) dripped every 0.1 s against a 2 s whole-request deadline,
    as a feed and as an article page; the good feed in the same cycle is processed and alerted once."""
    with contextlib.ExitStack() as stack:
        # one loopback address each: watcher allows 2 fetches in flight per host, and stalls on one
        # host would starve that host's other feeds (same host: their wait counts against the deadline)
        servers = {
            form: stack.enter_context(StallServer(stall, host=f"127.0.0.{10 + i}"))
            for i, (form, stall) in enumerate(STALLS.items())
        }
        feeds = {"good": site.url("/good.xml")} | {
            f"stall-{f}": s.url("/feed.xml") for f, s in servers.items()
        }
        page = stack.enter_context(StallServer(STALLS["header"], host="127.0.0.20"))
        site.routes["/stalled-page.xml"] = Route.text(
            rss(
                [("OpenAI signs deal with Slowpage Cloud", page.url("/a.html"), "OpenAI and Slowpage Cloud.")]
            ),
            "application/rss+xml",
        )
        feeds["stalled-page"] = site.url("/stalled-page.xml")
        w = make(feeds)
        ledger.inject("stall:feed", len(servers))
        ledger.inject("stall:page", 1)
        started = time.monotonic()
        report, _ = w.poll_once()
        elapsed = time.monotonic() - started
    rows = feed_rows(w)
    for form in STALLS:
        assert rows[f"stall-{form}"].last_error_kind == "timeout", (form, rows[f"stall-{form}"].last_error)
        assert "WATCHER_HTTP_TIMEOUT" in (rows[f"stall-{form}"].last_error or "")
    assert rows["stalled-page"].last_error is None and report.errors_by_kind.get("page_timeout") == 1
    with w.store.session() as s:
        slow = s.scalar(select(ArticleRow).where(ArticleRow.url == page.url("/a.html")))
    assert slow is not None and slow.partial  # the page gave up, the feed's summary stood in
    # feeds are polled in parallel: the cycle lasts about one deadline (2 s), not one per stall
    assert elapsed < 2 * 2 + 6, f"cycle took {elapsed:.1f}s"
    assert_good_feed_processed(w, api, ledger, kit)


def test_a_feed_that_parses_past_its_budget_fails_alone(
    site: LocalServer,
    sqlite_url: str,
    tmp_path: Path,
    api: BotApiServer,
    ledger: Ledger,
    kit: type[Kit],
) -> None:
    """feedparser has no timeout: a feed within the size cap whose parsing outlasts WATCHER_PARSE_TIMEOUT
    (a worker process, killed on the overrun) fails with a clear error; the good feed in the same cycle
    is processed and alerted once, and the next feed the worker gets is parsed by a fresh one."""
    items = "".join(
        f"<item><title>Item {i}</title><link>{site.url(f'/n{i}.html')}</link><guid>n{i}</guid></item>"
        for i in range(2900)  # ~0.5 s of feedparser here, 280 KB: within the size cap
    )
    slow = f'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>{items}</channel></rss>'
    assert len(slow) < MAX_BYTES
    site.routes["/slow.xml"] = Route.text(slow, "application/rss+xml")
    parser = default_parser()
    parser.start()  # ready before the cycle: the feeds of a cycle's first moments are parsed in-process
    assert parser._channel is not None and parser._channel.worker.ready(STARTUP_TIMEOUT)
    http = HttpClient(timeout=2, max_bytes=MAX_BYTES, allow_private_networks=True, resolver=loopback_only)
    with kit.telegram_watchers(sqlite_url, tmp_path, api, chat=CHAT, now=T0, http=http, http_timeout=2,
                               max_page_bytes=MAX_BYTES, parse_timeout=0.15) as factory:  # fmt: skip
        w = factory({"good": site.url("/good.xml"), "slow": site.url("/slow.xml")})
        ledger.inject("bad-input:slow-parse", 1)
        report, _ = w.poll_once()
        rows = feed_rows(w)
        assert rows["slow"].last_error_kind == "parse", rows["slow"].last_error
        assert "parsing took longer than 0.15s" in (rows["slow"].last_error or "")
        assert "WATCHER_PARSE_TIMEOUT" in (rows["slow"].last_error or "")
        assert report.errors_by_kind.get("parse") == 1
        assert_good_feed_processed(w, api, ledger, kit)


HOSTILE_TITLE = '<script>alert(1)</script> OpenAI signs deal with Evilcorp Cloud </b> & "Co" <i>'


def test_hostile_titles_arrive_escaped_in_telegram_and_in_the_digest(
    site: LocalServer,
    make: Callable[[dict[str, str]], Watcher],
    api: BotApiServer,
    ledger: Ledger,
    kit: type[Kit],
) -> None:
    import html

    escaped = html.escape(HOSTILE_TITLE)
    site.routes["/evil.html"] = Route.text(article("Evilcorp Cloud", title=escaped))
    feed = rss([(html.escape(escaped), site.url("/evil.html"), html.escape(escaped))])  # text, not markup
    site.routes["/evil.xml"] = Route.text(feed, "application/rss+xml")
    w = make({"good": site.url("/good.xml"), "evil": site.url("/evil.xml")})
    ledger.inject("bad-input:hostile-title")
    w.outbox.summary_threshold = 100  # one message per alert
    w.poll_once()
    calls = [c for c in api.calls_to("sendMessage") if "Evilcorp" in str(c.params.get("text"))]
    assert len(calls) == 1, "sent once, as HTML that Telegram accepted (no plain-text fallback)"
    assert str(calls[0].params.get("parse_mode")).upper() == "HTML"
    assert "<script>" not in calls[0].params["text"] and "&lt;script&gt;" in calls[0].params["text"]
    (message,) = [m for m in api.sent_to(CHAT) if "Evilcorp" in m.text]
    assert "<script>alert(1)</script>" in message.text and "</b> &" in message.text  # what the analyst reads
    _, text, digest_html = w.digest.preview(T0 + (datetime(2026, 11, 24, tzinfo=UTC) - T0))
    assert "Evilcorp" in digest_html and "<script>alert(1)" not in digest_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in digest_html
    assert "</b> &" not in digest_html and "&lt;/b&gt; &amp;" in digest_html
    assert_good_feed_processed(w, api, ledger, kit)

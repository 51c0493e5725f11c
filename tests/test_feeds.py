"""watcher.ingest.feeds: feeds.yaml, OPML, parse_feed over bytes, link unwrapping, relevance; corpus feeds served locally."""

from __future__ import annotations

import base64
import csv
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.httpserver import LocalServer, Route
from watcher.errors import ConfigError, FeedParseError
from watcher.ingest.feeds import (
    export_opml,
    import_opml,
    is_relevant,
    load_feeds,
    parse_feed,
    parse_interval,
    plain_text,
    save_feeds,
    unwrap_news_link,
)
from watcher.ingest.http import FEED_ACCEPT, HttpClient
from watcher.types import FeedSource, Fetched

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tech</title><link>https://news.example/</link>
<item><title>Microsoft &amp; OpenAI &lt;b&gt;sign&lt;/b&gt; deal</title>
  <link>https://news.example/a?utm_source=rss</link><guid isPermaLink="false">item-1</guid>
  <description>&lt;p&gt;The &lt;script&gt;alert(1)&lt;/script&gt;companies said &amp;amp; more&lt;/p&gt;</description>
  <pubDate>Tue, 28 Oct 2025 13:00:00 +0100</pubDate></item>
<item><title>No guid here</title><link>https://news.example/b?fbclid=zzz#top</link></item>
<item><title>Neither guid nor link</title><description>just text</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2025-01-01T00:00:00Z</updated>
<entry><title type="html">Caf\u00e9 &lt;i&gt;news&lt;/i&gt;</title><id>urn:e1</id>
<link rel="alternate" href="/posts/1"/><updated>2025-11-02T10:00:00-05:00</updated>
<summary type="text">5 &lt; 6 &amp; x</summary></entry></feed>""".encode()


def fetched(
    body: bytes, content_type: str | None = "application/rss+xml", url: str = "https://news.example/feed"
) -> Fetched:
    return Fetched(url=url, status=200, content=body, content_type=content_type, final_url=url)


# --------------------------------------------------------------------------- parse_feed


def test_rss_entries_are_plain_typed_values() -> None:
    first, second, third = parse_feed(fetched(RSS), "tech")
    assert first.feed == "tech" and first.entry_id == "item-1"
    assert first.title == "Microsoft & OpenAI sign deal"
    assert first.summary == "The companies said & more"
    assert first.link == "https://news.example/a?utm_source=rss"
    assert first.published == datetime(2025, 10, 28, 12, 0, tzinfo=UTC)
    assert second.entry_id == "https://news.example/b" and second.published is None
    assert third.entry_id.startswith("sha256:") and third.link is None


def test_atom_relative_links_resolve_against_the_final_url() -> None:
    (entry,) = parse_feed(fetched(ATOM, "application/atom+xml", "https://blog.example/feed/atom"), "blog")
    assert entry.link == "https://blog.example/posts/1"
    assert entry.title == "Café news"
    assert entry.summary == "5 < 6 & x"  # text/plain content is kept literally, not tag-stripped
    assert entry.published == datetime(2025, 11, 2, 15, 0, tzinfo=UTC)


def test_http_charset_is_used_for_undeclared_bytes() -> None:
    body = '<rss version="2.0"><channel><item><title>Caf\u00e9</title><guid>1</guid></item></channel></rss>'
    (entry,) = parse_feed(fetched(body.encode("latin-1"), "text/xml; charset=iso-8859-1"), "x")
    assert entry.title == "Café"


def test_recovers_entries_from_ill_formed_feed() -> None:
    body = b"\n" + RSS.replace(b"<channel>", b"<channel><junk>&nbsp;</junk>", 1)
    assert len(parse_feed(fetched(body), "x")) == 3


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<!doctype html><html><body><h1>Not a feed</h1></body></html>",
        b'{"version": "x"}',
        b"/etc/passwd",
    ],
)
def test_non_feeds_raise_feed_parse_error(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="not an RSS/Atom feed"):
        parse_feed(fetched(body, "text/html"), "x")


def test_not_modified_is_not_parsed() -> None:
    with pytest.raises(FeedParseError, match="304"):
        parse_feed(Fetched(url="https://x.example/f", status=304, content=None), "x")


def test_hostile_title_html_becomes_plain_text() -> None:
    body = (
        b'<rss version="2.0"><channel><item><guid>1</guid><title>&lt;img src=x onerror=alert(1)&gt;Deal'
        b"&lt;script&gt;steal()&lt;/script&gt;</title></item></channel></rss>"
    )
    (entry,) = parse_feed(fetched(body), "x")
    assert entry.title == "Deal"


@pytest.mark.parametrize(
    ("value", "is_html", "expected"),
    [
        ("<p>a</p><p>b</p>", True, "a b"),
        ("AT&amp;T &lt;3", True, "AT&T <3"),
        ("<style>x{}</style>keep", True, "keep"),
        ("x &amp; y", False, "x & y"),
        ("  many\n\t spaces ", True, "many spaces"),
    ],
)
def test_plain_text(value: str, is_html: bool, expected: str) -> None:
    assert plain_text(value, is_html) == expected


# --------------------------------------------------------------------------- news redirects


def _google_news_id(url: str) -> str:
    raw = url.encode()
    return (
        base64.urlsafe_b64encode(b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01\x00")
        .decode()
        .rstrip("=")
    )


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://pub.example/a%3Fx%3D1&ct=ga",
            "https://pub.example/a?x=1",
        ),
        ("https://www.google.com/url?q=https://pub.example/q&sa=U", "https://pub.example/q"),
        (
            "http://www.bing.com/news/apiclick.aspx?ref=FexRss&url=https%3a%2f%2fpub.example%2fb.html&c=1",
            "https://pub.example/b.html",
        ),
        (
            f"https://news.google.com/rss/articles/{_google_news_id('https://pub.example/story-1')}?oc=5",
            "https://pub.example/story-1",
        ),
        (
            "https://news.google.com/rss/articles/CBMiAU_yqLOpaqueNewStyleId?oc=5",
            "https://news.google.com/rss/articles/CBMiAU_yqLOpaqueNewStyleId?oc=5",
        ),
        (
            "https://www.google.com/search?q=https://pub.example/",
            "https://www.google.com/search?q=https://pub.example/",
        ),
        (
            "https://pub.example/a?url=https://other.example/",
            "https://pub.example/a?url=https://other.example/",
        ),
        ("not a url", "not a url"),
    ],
)
def test_unwrap_news_link(link: str, expected: str) -> None:
    assert unwrap_news_link(link) == expected


def test_google_news_entry_link_is_the_publisher_url() -> None:
    target = "https://www.publisher.example/tech/openai-deal"
    link = f"https://news.google.com/rss/articles/{_google_news_id(target)}?oc=5"
    body = (
        f'<rss version="2.0"><channel><item><title>Deal - Publisher</title><link>{link}</link>'
        f'<guid isPermaLink="false">123</guid><source url="https://www.publisher.example">Publisher</source>'
        f"</item></channel></rss>"
    ).encode()
    (entry,) = parse_feed(fetched(body), "gn")
    assert entry.link == target and entry.entry_id == "123"


# --------------------------------------------------------------------------- relevance

ALIASES = ["Microsoft", "MSFT", "Azure", "OpenAI", "ChatGPT maker", "x.AI"]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["Microsoft signs deal"], True),
        ([None, "", "The ChatGPT maker raised money"], True),
        (["OpenAI's new model"], True),
        (["(MSFT) shares"], True),
        (["Microsofties rejoice", "openai lowercase", "Azurebird"], False),
        (["Deal with x.AI announced"], True),
        (["Nothing relevant", "at all"], False),
    ],
)
def test_is_relevant(parts: list[str | None], expected: bool) -> None:
    assert is_relevant(parts, ALIASES) is expected
    assert is_relevant(parts, lambda: ALIASES) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("xfoo Microsoft", True),  # the longer name is inside a word, the shorter one inside it is not
        ("xfoo Microsoftx", False),
        ("_Microsoft", False),
        ("éMicrosoft", False),
        ("Microsoft_", False),
        ("—Microsoft", True),
        ("foo Microsoftly foo Microsoft", True),
    ],
)
def test_a_name_counts_only_at_the_start_of_a_word(text: str, expected: bool) -> None:
    assert is_relevant([text], ["foo Microsoft", "Microsoft"]) is expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Microsoft", "Micro", "soft", "OpenAI", "AI", "x.AI", " ", "_", "é", "-"]),
        max_size=8,
    ),
    st.lists(st.sampled_from(["Microsoft", "soft", "AI", "x.AI", "Micro soft"]), min_size=1, max_size=3),
)
def test_is_relevant_agrees_with_a_lookbehind_regex(pieces: list[str], names: list[str]) -> None:
    """The match without a lookbehind (faster) says what ``(?<!\\w)(?:names)(?!\\w)`` says."""
    text = "".join(pieces)
    ordered = sorted(set(names), key=len, reverse=True)
    reference = re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(n) for n in ordered)})(?!\w)")
    assert is_relevant([text], names) is bool(reference.search(text))


# --------------------------------------------------------------------------- feeds.yaml and OPML


def test_feeds_yaml_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    feeds = [
        FeedSource("OpenAI", "https://openai.com/news/rss.xml", interval=900, tags=("openai",)),
        FeedSource("Off", "https://off.example/feed", enabled=False),
    ]
    save_feeds(path, feeds)
    assert load_feeds(path) == feeds


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            "feeds:\n  - name: A\n    url: ftp://x/y\n",
            r"feeds\[0\] \(A\): url must be an absolute http\(s\) URL",
        ),
        ("feeds:\n  - url: https://x.example/\n", r"feeds\[0\]: name must be a non-empty string"),
        ("feeds:\n  - name: A\n    url: https://x.example/\n    interval: 5\n", "at least 60 seconds"),
        ("feeds:\n  - name: A\n    url: https://x.example/\n    colour: red\n", "unknown keys"),
        (
            "feeds:\n  - name: A\n    url: https://x.example/\n  - name: a\n    url: https://y.example/\n",
            "twice",
        ),
        (
            "feeds:\n  - name: A\n    url: https://x.example/\n  - name: B\n    url: https://X.example\n",
            "repeats",
        ),
        ("feeds: {a: 1}\n", "'feeds:' list"),
        ("feeds: [\n", "line 2: not valid YAML"),
        (
            "feed:\n  - name: A\n    url: https://x.example/\n",
            r"line 1: unknown key 'feed' \(did you mean 'feeds'",
        ),
    ],
)
def test_feeds_yaml_errors_name_file_and_entry(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=message) as info:
        load_feeds(path)
    assert str(path) in str(info.value)


def test_missing_feeds_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="WATCHER_FEEDS_FILE"):
        load_feeds(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("value", "seconds"), [(900, 900), ("900", 900), ("15m", 900), ("2h", 7200), ("1d", 86400)]
)
def test_parse_interval(value: object, seconds: int) -> None:
    assert parse_interval(value) == seconds


def test_the_shipped_feeds_file_is_valid() -> None:
    feeds = load_feeds(Path(__file__).resolve().parents[1] / "config" / "feeds.yaml")
    assert len(feeds) >= 8
    assert any("openai.com" in f.url for f in feeds) and any("news.google.com" in f.url for f in feeds)


OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>subs</title></head><body>
<outline text="AI"><outline type="rss" text="OpenAI" xmlUrl="https://openai.com/news/rss.xml"/>
  <outline text="Press"><outline type="rss" title="Verge" text="v" xmlUrl="https://www.theverge.com/rss/index.xml"
   category="tech"/></outline></outline>
<outline type="rss" xmlUrl="https://blogs.microsoft.com/feed/"/></body></opml>"""


def test_opml_import_keeps_folders_as_tags() -> None:
    feeds = import_opml(OPML)
    assert [(f.name, f.tags) for f in feeds] == [
        ("OpenAI", ("AI",)),
        ("Verge", ("AI", "Press", "tech")),
        ("blogs.microsoft.com", ()),
    ]


def test_opml_export_import_round_trip() -> None:
    feeds = [
        FeedSource("A & B", "https://a.example/f?x=1&y=2", tags=("t1", "t2")),
        FeedSource("C", "https://c.example/"),
    ]
    assert import_opml(export_opml(feeds)) == feeds


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<opml><body><outline xmlUrl='https://x.example/&lol2;'/></body></opml>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><opml><body>&e;</body></opml>',
        b"<html><body>not opml</body></html>",
        b"<opml><body><outline",
    ],
)
def test_hostile_or_invalid_opml_is_refused(body: bytes) -> None:
    with pytest.raises(ConfigError, match="OPML"):
        import_opml(body)


# --------------------------------------------------------------------------- corpus: every feed served locally


def _corpus_files() -> list[tuple[str, dict[str, str]]]:
    """(relative path, response headers) for every corpus feed; skips where the corpus is absent."""
    if not CORPUS.is_dir():
        pytest.skip(
            f"{CORPUS} not present: the shared corpus is only beside the project on the team's machines"
        )
    out: list[tuple[str, dict[str, str]]] = []
    with open(CORPUS / "feedparser" / "INDEX.tsv", encoding="utf-8") as index:
        for row in csv.DictReader(index, delimiter="\t"):
            headers = {"Content-Type": "text/xml"}
            for line in filter(None, (row.get("http_headers") or "").split(" | ")):
                name, _, value = line.partition(":")
                if name.strip() and value.strip():
                    headers[name.strip()] = value.strip()
            out.append((f"feedparser/{row['file']}", headers))
    out += [
        (f"real/{p.name}", {"Content-Type": "application/xml"})
        for p in sorted((CORPUS / "real").iterdir())
        if p.suffix in (".xml", ".json")
    ]
    return out


@pytest.mark.shared
def test_every_corpus_feed_parses_or_fails_cleanly(http_server: LocalServer) -> None:
    files = _corpus_files()
    for rel, headers in files:
        http_server.routes["/" + rel] = Route(headers=headers, body=(CORPUS / rel).read_bytes())
    outcomes: dict[str, int | str] = {}
    with HttpClient(allow_private_networks=True, max_bytes=5_000_000) as client:
        for rel, _ in files:
            page = client.fetch(http_server.url("/" + rel), accept=FEED_ACCEPT)
            try:
                outcomes[rel] = len(parse_feed(page, rel))
            except FeedParseError as exc:
                outcomes[rel] = f"FeedParseError: {exc}"
    assert len(outcomes) == len(files) >= 190
    with open(CORPUS / "real" / "ORIGIN.tsv", encoding="utf-8") as origin:
        for row in csv.DictReader(origin, delimiter="\t"):
            expected = int(row["entries"]) if row["feedparser_6.0.14_version"] else "FeedParseError"
            got = outcomes[f"real/{row['file']}"]
            assert (got if isinstance(got, int) else "FeedParseError") == expected, row["file"]


def test_fetch_all_is_read_from_feeds_yaml_and_written_back() -> None:
    from watcher.ingest.feeds import feed_from_mapping, feed_to_mapping

    src = feed_from_mapping({"name": "newsroom", "url": "https://corp.example/rss", "fetch": "all"})
    assert src.fetch_all and feed_to_mapping(src)["fetch"] == "all"
    assert not feed_from_mapping({"name": "n", "url": "https://corp.example/rss"}).fetch_all
    with pytest.raises(ValueError, match="fetch must be 'all'"):
        feed_from_mapping({"name": "n", "url": "https://corp.example/rss", "fetch": "everything"})


def test_worth_fetching_reads_title_summary_categories_and_feed_tags() -> None:
    from watcher.ingest.feeds import worth_fetching
    from watcher.types import FeedEntry

    def entry(**kw: Any) -> FeedEntry:
        base: dict[str, Any] = {
            "feed": "f",
            "entry_id": "1",
            "link": "https://x.example/a",
            "title": "Quarterly results",
            "summary": "Sales rose.",
            "published": None,
        }
        return FeedEntry(**{**base, **kw})

    assert not worth_fetching(entry(), ["OpenAI"])
    assert worth_fetching(entry(title="OpenAI results"), ["OpenAI"])
    assert worth_fetching(entry(summary="a deal with OpenAI."), ["OpenAI"])
    assert worth_fetching(entry(categories=("AI", "OpenAI")), ["OpenAI"])
    assert worth_fetching(entry(), ["OpenAI"], feed_tags=("OpenAI",))
    assert worth_fetching(entry(link=None), ["OpenAI"])  # no page: the summary is the article


def test_item_categories_are_parsed() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title>'
        b"<link>https://x.example/a</link><category>OpenAI</category><category>Cloud</category></item>"
        b"</channel></rss>"
    )
    fetched = Fetched(
        url="https://x.example/rss", status=200, content=body, content_type="application/rss+xml"
    )
    (entry,) = parse_feed(fetched, "f")
    assert entry.categories == ("OpenAI", "Cloud")

"""Feeds: the feed list (config/feeds.yaml, OPML), feed parsing over fetched bytes, and the relevance filter.

feedparser only ever sees bytes we fetched (wrapped in a stream: given bytes or a str it may read
a local file or fetch a URL itself); no feedparser dict leaves this module. OPML is parsed with
``defusedxml`` (DTDs and entity declarations refused).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeET
import feedparser
import yaml
from defusedxml import DefusedXmlException

from watcher.cleantext import clean, clean_fields, drop_bad_charrefs
from watcher.errors import ConfigError, FeedParseError
from watcher.ingest.stories import canonical_url, content_hash
from watcher.types import FeedEntry, FeedSource, Fetched
from watcher.yamlfile import parse_yaml, reject_unknown_keys

MIN_INTERVAL = 60
_FEED_KEYS = {"name", "url", "interval", "tags", "enabled", "fetch"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# --------------------------------------------------------------------------- feeds.yaml


def parse_interval(value: Any) -> int:
    """Seconds from ``900``, ``"900"``, ``"15m"``, ``"2h"`` or ``"1d"``; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("expected seconds or a duration like 15m")
    if isinstance(value, int):
        seconds = value
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration (use seconds, or e.g. 15m, 2h)")
        seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < MIN_INTERVAL:
        raise ValueError(f"interval must be at least {MIN_INTERVAL} seconds")
    return seconds


def _check_url(url: Any) -> str:
    if (
        not isinstance(url, str)
        or urlsplit(url.strip()).scheme not in ("http", "https")
        or not urlsplit(url.strip()).hostname
    ):
        raise ValueError(f"url must be an absolute http(s) URL, got {url!r}")
    return url.strip()


def feed_from_mapping(raw: Any) -> FeedSource:
    """One feeds.yaml entry -> FeedSource; raises ValueError naming the bad field."""
    if not isinstance(raw, dict):
        raise ValueError("each feed must be a mapping with at least name and url")
    unknown = set(raw) - _FEED_KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} (allowed: {sorted(_FEED_KEYS)})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name must be a non-empty string")
    tags = raw.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise ValueError("tags must be a list of strings")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError("enabled must be true or false")
    interval = raw.get("interval")
    fetch = raw.get("fetch", "relevant")
    if fetch not in ("all", "relevant"):
        raise ValueError(
            f"fetch must be 'all' (every entry's page) or 'relevant' (the default), got {fetch!r}"
        )
    return FeedSource(
        name=name.strip(),
        url=_check_url(raw.get("url")),
        interval=None if interval is None else parse_interval(interval),
        enabled=enabled,
        tags=tuple(dict.fromkeys(t.strip() for t in tags)),
        fetch_all=fetch == "all",
    )


def feed_to_mapping(feed: FeedSource) -> dict[str, Any]:
    out: dict[str, Any] = {"name": feed.name, "url": feed.url}
    if feed.interval is not None:
        out["interval"] = feed.interval
    if feed.tags:
        out["tags"] = list(feed.tags)
    if not feed.enabled:
        out["enabled"] = False
    if feed.fetch_all:
        out["fetch"] = "all"
    return out


def validate_feeds(feeds: Sequence[FeedSource], where: str) -> None:
    """Names and URLs must be unique (names case-insensitively)."""
    seen_names: set[str] = set()
    seen_urls: set[str] = set()
    for feed in feeds:
        if feed.name.casefold() in seen_names:
            raise ConfigError(f"{where}: feed name {feed.name!r} appears twice; names must be unique")
        if canonical_url(feed.url) in seen_urls:
            raise ConfigError(f"{where}: feed {feed.name!r} repeats the URL {feed.url}")
        seen_names.add(feed.name.casefold())
        seen_urls.add(canonical_url(feed.url))


def load_feeds(path: Path | str) -> list[FeedSource]:
    """The feeds in a feeds.yaml (``feeds:`` a list); every problem is a ConfigError naming file and entry."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such feeds file (set WATCHER_FEEDS_FILE or create it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the feeds file: {exc}") from exc
    data = parse_yaml(path, text)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("feeds", []), list):
        raise ConfigError(f"{path}: expected a mapping with a 'feeds:' list")
    reject_unknown_keys(path, text, data, ["feeds"])
    feeds = []
    for i, raw in enumerate(data.get("feeds") or []):
        try:
            feeds.append(feed_from_mapping(raw))
        except ValueError as exc:
            label = raw.get("name") if isinstance(raw, dict) else None
            raise ConfigError(f"{path}: feeds[{i}]{f' ({label})' if label else ''}: {exc}") from None
    validate_feeds(feeds, str(path))
    return feeds


def save_feeds(path: Path | str, feeds: Sequence[FeedSource]) -> None:
    """Writes feeds.yaml atomically (comments in the old file are not kept)."""
    path = Path(path)
    validate_feeds(feeds, str(path))
    text = "# Feeds watcher polls; edit by hand or with `watcher feeds add/remove`.\n" + yaml.safe_dump(
        {"feeds": [feed_to_mapping(f) for f in feeds]}, sort_keys=False, allow_unicode=True
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- OPML


def import_opml(data: bytes, where: str = "OPML") -> list[FeedSource]:
    """Feeds from an OPML document: every outline with an ``xmlUrl``; enclosing outlines become tags."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ElementTree.ParseError) as exc:
        raise ConfigError(f"{where}: not a usable OPML file ({type(exc).__name__}: {exc})") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError(f"{where}: not an OPML file (no <opml><body>)")
    feeds: list[FeedSource] = []
    _collect_outlines(body, (), feeds, where)
    return feeds


def _collect_outlines(body: Any, tags: tuple[str, ...], out: list[FeedSource], where: str) -> None:
    """Walks the outlines in document order without recursion (a 5,000-deep nesting is fine)."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(o, tags) for o in reversed(body.findall("outline"))]
    while stack:
        outline, tags = stack.pop()
        label = (outline.get("title") or outline.get("text") or "").strip()
        url = outline.get("xmlUrl")
        if url:
            out.append(_outline_feed(outline, label, url, tags, where))
        else:
            inner = tags + ((label,) if label else ())
            stack.extend((o, inner) for o in reversed(outline.findall("outline")))


def _outline_feed(outline: Any, label: str, url: str, tags: tuple[str, ...], where: str) -> FeedSource:
    extra = tuple(
        t.strip() for t in (outline.get("category") or "").replace("/", ",").split(",") if t.strip()
    )
    try:
        return FeedSource(
            name=label or urlsplit(url).hostname or url,
            url=_check_url(url),
            tags=tuple(dict.fromkeys(tags + extra)),
        )
    except ValueError as exc:
        raise ConfigError(f"{where}: outline {label or url!r}: {exc}") from None


def export_opml(feeds: Sequence[FeedSource], title: str = "watcher feeds") -> bytes:
    """An OPML 2.0 document with one ``type="rss"`` outline per feed (tags as ``category``)."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.tags:
            attrs["category"] = ",".join(feed.tags)
        ElementTree.SubElement(body, "outline", attrs)
    ElementTree.indent(root)
    data: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)  # typeshed: Any
    return data + b"\n"


# --------------------------------------------------------------------------- parsing


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(value: str, is_html: bool = True) -> str:
    """Tags stripped (script/style dropped), entities unescaped, whitespace collapsed."""
    if "<" not in value and "&" not in value:  # plain already (most titles): no parser to run
        return " ".join(value.split())
    if is_html:
        parser = _TextOnly()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    else:
        value = html.unescape(value)
    return " ".join(value.split())


_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _detail_text(entry: Any, key: str) -> str:
    """Plain text of a title/summary. feedparser's text/plain guess is overridden when the value
    holds tags anyway (escaped HTML in an RSS title is common, and can be hostile)."""
    value = entry.get(key) or ""
    detail = entry.get(f"{key}_detail") or {}
    is_html = detail.get("type", "text/html") != "text/plain" or _TAG.search(value) is not None
    return plain_text(value, is_html=is_html)


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                year, month, day, hour, minute, second = parsed[:6]
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


_GOOGLE_NEWS_PATH = re.compile(r"/(?:__i/)?(?:rss/)?(?:rd/)?articles/([A-Za-z0-9_-]+)")


def _google_news_target(article_id: str) -> str | None:
    """The publisher URL inside an old-style Google News article id (base64 protobuf), or None."""
    try:
        data = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(data) > 4 and data[:3] == b"\x08\x13\x22":
        length, shift, i = 0, 0, 3
        while i < len(data):
            length |= (data[i] & 0x7F) << shift
            shift += 7
            i += 1
            if not data[i - 1] & 0x80:
                break
        candidate = data[i : i + length].decode("utf-8", errors="replace")
    else:
        match = re.search(rb"https?://[\x21-\x7e]+", data)
        candidate = match.group(0).decode("ascii") if match else ""
    return candidate if re.match(r"https?://[^/\s]+\.[^/\s]+", candidate) else None


def _is_redirector(link: str) -> bool:
    try:
        host = (urlsplit(link).hostname or "").lower()
    except ValueError:
        return False
    return re.search(r"(^|\.)(google|bing)\.[a-z.]+$", host) is not None


def unwrap_news_link(link: str) -> str:
    """The publisher URL behind a Google News / Google Alerts / Bing News redirect, else ``link``."""
    if not _is_redirector(link):
        return link
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    query = parse_qs(parts.query)
    keys = ("url", "u") + (("q",) if parts.path == "/url" else ())
    for key in keys:
        for value in query.get(key, []):
            if re.match(r"https?://", value, re.I):
                return value
    match = _GOOGLE_NEWS_PATH.search(parts.path)
    if host == "news.google.com" and match:
        return _google_news_target(match.group(1)) or link
    return link


def _entry_link(entry: Any) -> str | None:
    link = entry.get("feedburner_origlink") or entry.get("link")
    if not link:
        return None
    unwrapped = unwrap_news_link(link)
    if unwrapped != link or not _is_redirector(link):
        return unwrapped
    for alt in entry.get("links") or []:  # another alternate link that is not a redirect
        href = alt.get("href")
        if href and href != link and alt.get("rel", "alternate") == "alternate" and not _is_redirector(href):
            return str(href)
    return str(link)


MAX_IDENTITY = 1000  # the length of entries.identity: a longer id is stored as its hash


def _entry_id(entry: Any, link: str | None, title: str, summary: str) -> str:
    guid = clean((entry.get("id") or "").strip())
    identity = guid or (canonical_url(link) if link else "sha256:" + content_hash(title + "\n" + summary))
    if len(identity) > MAX_IDENTITY:  # kept whole it would be clipped by the store and never match again
        return "sha256:" + hashlib.sha256(identity.encode("utf-8")).hexdigest()
    return identity


def parse_feed(fetched: Fetched, feed_name: str) -> list[FeedEntry]:
    """Entries of a fetched RSS/Atom/RDF feed, parsed in this process (:class:`watcher.ingest.feed_parser.FeedParser`
    parses in a worker process under a time budget). Raises FeedParseError when the body is not a feed
    (no detected version and no entries: an HTML page, an empty body, JSON Feed on feedparser 6.0)."""
    url = fetched.final_url or fetched.url
    if fetched.content is None:
        raise FeedParseError("nothing to parse: the feed was not modified (304)", url=url)
    return parse_body(fetched.content, fetched.content_type, url, feed_name)


def parse_body(content: bytes, content_type: str | None, url: str, feed_name: str) -> list[FeedEntry]:
    """:func:`parse_feed` over a feed's bytes, its Content-Type and its (final) URL: what the feed
    parsing worker runs."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        body = drop_bad_charrefs(content)  # one `&#xD800;` must not cost the feed's other entries
        # entry links and ids are still made absolute; the links inside summaries are left as written
        # (watcher reads summaries as text): a third of feedparser's time on a typical feed. No HTML
        # sanitising either (14% of what is left): titles and summaries become plain text here
        # (plain_text drops script and style with their content, which the sanitiser left as text
        # in 2 of the 190 corpus feeds) and are escaped wherever they are shown
        result = feedparser.parse(
            io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as exc:  # feedparser should not raise; a hostile body still must not crash a cycle
        raise FeedParseError(f"feedparser failed: {type(exc).__name__}: {exc}", url=url) from exc
    if not result.get("version") and not result.entries:
        cause = result.get("bozo_exception")
        why = f" ({type(cause).__name__}: {cause})" if cause else ""
        raise FeedParseError(f"not an RSS/Atom feed{why}; check the feed URL in a browser", url=url)
    return [clean_fields(_to_entry(e, feed_name)) for e in result.entries]


def _to_entry(entry: Any, feed_name: str) -> FeedEntry:
    title = _detail_text(entry, "title")
    summary = _detail_text(entry, "summary")
    link = _entry_link(entry)
    return FeedEntry(
        feed=feed_name,
        entry_id=_entry_id(entry, link, title, summary),
        link=link,
        title=title,
        summary=summary,
        published=_published(entry),
        categories=_categories(entry),
    )


def _categories(entry: Any) -> tuple[str, ...]:
    """The item's ``<category>``/``<atom:category>``/``dc:subject`` terms (labels when given)."""
    out: list[str] = []
    for tag in entry.get("tags") or ():
        for key in ("term", "label"):
            value = tag.get(key) if hasattr(tag, "get") else None
            if isinstance(value, str) and value.strip():
                out.append(value.strip())
    return tuple(dict.fromkeys(out))


# --------------------------------------------------------------------------- relevance

_ALIAS_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _alias_pattern(aliases: tuple[str, ...]) -> re.Pattern[str]:
    pattern = _ALIAS_PATTERNS.get(aliases)
    if pattern is None:
        ordered = sorted({a.strip() for a in aliases if a.strip()}, key=len, reverse=True)
        alternation = "|".join(re.escape(a) for a in ordered) or r"(?!x)x"
        # no lookbehind: in front of an alternation it costs re its fast scan for the alternatives'
        # first characters (4x slower); :func:`_names_any` checks the character before a match
        pattern = re.compile(rf"(?:{alternation})(?!\w)")
        _ALIAS_PATTERNS[aliases] = pattern
    return pattern


def worth_fetching(entry: FeedEntry, tracked_aliases: Iterable[str], feed_tags: Iterable[str] = ()) -> bool:
    """Whether an entry's page is worth fetching, from what the feed already says: its title, summary
    and categories, and the feed's own tags from feeds.yaml, name a tracked company (issue 14).
    An entry without a link has no page: its summary is its article, so it is always taken."""
    if not entry.link:
        return True
    return is_relevant((entry.title, entry.summary, *entry.categories, *feed_tags), tracked_aliases)


def is_relevant(
    text_parts: Iterable[str | None], tracked_aliases: Iterable[str] | Callable[[], Iterable[str]]
) -> bool:
    """True when any text part names a tracked company or alias as a whole word.

    Matching is case-sensitive, as config/entities.yaml specifies ("Azure", not "azure");
    ``tracked_aliases`` may be the names themselves or a function returning them.
    """
    aliases = tracked_aliases() if callable(tracked_aliases) else tracked_aliases
    pattern = _ALIAS_PATTERNS.get(aliases) if isinstance(aliases, tuple) else None  # the poll's own tuple
    if pattern is None:
        pattern = _alias_pattern(tuple(sorted(set(aliases))))
        if isinstance(aliases, tuple):
            _ALIAS_PATTERNS[aliases] = pattern
    return any(part and _names_any(pattern, part) for part in text_parts)


def _names_any(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``pattern`` (an alternation of names) matches ``text`` at the start of a word."""
    pos = 0
    while match := pattern.search(text, pos):
        start = match.start()
        before = text[start - 1] if start else " "
        if not (before.isalnum() or before == "_"):  # not inside a word: what (?<!\w) would say
            return True
        pos = start + 1  # a shorter name may still start a word inside this match
    return False

"""Reading one article for `watcher diff`: a .txt file, an HTML page (file or URL).

A .txt article is: a headline line, a "Published: YYYY-MM-DD" line, then the body. An HTML
page goes through trafilatura (given the bytes, never a URL; comments dropped). A URL is
fetched through :class:`watcher.ingest.http.HttpClient` (httpx, with a timeout and a size cap).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from watcher.errors import ExtractionError, WatcherError

ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
_PUBLISHED = re.compile(r"^\s*Published:\s*(\d{4}-\d{2}-\d{2})\s*$", re.I)
_SENTENCE_END = re.compile(r"[.!?:\"”’)]\s*$")
PAYWALL = re.compile(
    r"\b(?:subscribe to (?:continue|read)|this (?:content|article) is (?:exclusive )?for (?:our )?subscribers|sign in to read|to continue reading)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class ArticleText:
    source: str  # the path or URL as given
    title: str
    text: str
    published: date | None
    partial: bool = False


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_txt(source: str, raw: str) -> ArticleText:
    """Headline line, optional "Published:" line, body."""
    lines = raw.replace("\r\n", "\n").split("\n")
    title = lines[0].strip() if lines else ""
    rest = lines[1:]
    published = None
    if rest and (m := _PUBLISHED.match(rest[0])):
        published = _date(m.group(1))
        rest = rest[1:]
    body = "\n".join(rest).strip("\n")
    return ArticleText(source, title, body, published, partial=_looks_partial(body))


def _looks_partial(body: str) -> bool:
    return len(body.split()) < 80 and bool(PAYWALL.search(body))


def _drop_link_lines(text: str, title: str) -> str:
    """Drops short lines that do not end a sentence (sidebar links, section labels, the
    repeated headline); a page's body paragraphs end with punctuation."""
    kept = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped == title.strip():
            continue
        if len(stripped.split()) < 20 and not _SENTENCE_END.search(stripped):
            continue
        kept.append(stripped)
    return "\n".join(kept)


def parse_html(source: str, content: bytes | str) -> ArticleText:
    """Main text of a web page, through the pipeline's own extractor (watcher.ingest.extract: trafilatura
    with comments excluded, our metadata and title cleaning), run in-process; then short lines
    that end no sentence (sidebar links, section labels) are dropped."""
    from watcher.ingest.extract import Extractor  # local: only HTML inputs pay for the import

    url = source if is_url(source) else None
    try:
        doc = Extractor(isolated=False).run(content, url=url, timeout=None)
    except ExtractionError:
        raise
    except Exception as exc:  # trafilatura raises assorted lxml/ValueError types
        raise ExtractionError(f"cannot extract the article text: {exc}", url=url) from exc
    if doc is None or not (doc.text or "").strip():
        raise ExtractionError("no article text found in the page", url=url)
    title = (doc.title or "").strip()
    text = _drop_link_lines(doc.text, title)
    return ArticleText(source, title, text, _date(doc.date), partial=_looks_partial(text))


def read_path(path: Path) -> ArticleText:
    """Reads a .txt or .html article file; refuses a folder without articles, an empty file and a
    binary one with a reason."""
    if path.is_dir():
        raise WatcherError(f"no {'/'.join(ARTICLE_SUFFIXES)} articles in this folder")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WatcherError("no such file") from None
    except OSError as exc:
        raise WatcherError(f"cannot read the file: {exc.strerror}") from exc
    if not data.strip():
        raise WatcherError("the file is empty")
    if looks_binary(data):
        raise WatcherError("not a text or HTML file (binary content); give a .txt or .html article")
    if path.suffix.lower() in (".html", ".htm"):
        return parse_html(str(path), data)
    return parse_txt(str(path), data.decode("utf-8", errors="replace"))


def looks_binary(data: bytes) -> bool:
    """NUL bytes, or mostly undecodable, in the first 8 KiB: an image, a PDF, an archive."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    text = head.decode("utf-8", errors="replace")
    return text.count("\ufffd") > max(8, len(text) // 10)


def fetcher(settings: Any) -> Callable[[str], ArticleText]:
    """``fetch_url`` with the HTTP policy of the settings (time-out, size cap, private networks)."""

    def fetch(url: str) -> ArticleText:
        return fetch_url(
            url,
            timeout=settings.http_timeout,
            max_bytes=settings.max_page_bytes,
            allow_private_networks=settings.allow_private_networks,
        )

    return fetch


def fetch_url(
    url: str, *, timeout: float = 20.0, max_bytes: int = 5_000_000, allow_private_networks: bool = False
) -> ArticleText:
    """Fetches a page through watcher's HTTP policy and extracts it."""
    from watcher.ingest.http import HttpClient  # local: paths need no HTTP stack

    with HttpClient(
        timeout=timeout, max_bytes=max_bytes, allow_private_networks=allow_private_networks
    ) as client:
        fetched = client.fetch(url)
    if not fetched.content:
        raise ExtractionError(f"empty response (HTTP {fetched.status})", url=url)
    if (fetched.content_type or "").startswith("text/plain"):
        return parse_txt(url, fetched.content.decode("utf-8", errors="replace"))
    return parse_html(url, fetched.content)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def expand_sources(sources: Iterable[str]) -> list[str]:
    """Folders become their .txt/.html files, sorted (a folder without any stays, to be refused
    by :func:`read_source`); paths and URLs stay as given."""
    out: list[str] = []
    for source in sources:
        path = Path(source)
        if not _has_scheme(source) and path.is_dir():
            found = [
                str(p) for p in sorted(path.iterdir()) if p.suffix.lower() in ARTICLE_SUFFIXES and p.is_file()
            ]
            out.extend(found or [source])
        else:
            out.append(source)
    return out


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _has_scheme(source: str) -> bool:
    return bool(_SCHEME.match(source))


def read_source(source: str, *, fetch: Callable[[str], ArticleText] = fetch_url) -> ArticleText:
    """One article from a path, a file:// URL or an http(s) URL; other schemes are refused."""
    if source.startswith("file://"):
        return read_path(Path(source[len("file://") :]))
    if is_url(source):
        return fetch(source)
    if m := _SCHEME.match(source):
        raise WatcherError(f"unsupported URL scheme {m.group(1)}:// (give an http(s) URL or a file path)")
    return read_path(Path(source))

"""Reading one article for `watcher diff`: a .txt file, an HTML page (file or URL).

A .txt article is: a headline line, a "Published: YYYY-MM-DD" line, then the body. An HTML
page goes through trafilatura (given the bytes, never a URL; comments dropped). A URL is
fetched through :class:`watcher.http.HttpClient` (httpx, with a timeout and a size cap).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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
    """Main text of a web page, through the pipeline's own extractor (watcher.extract: trafilatura
    with comments excluded, our metadata and title cleaning), run in-process; then short lines
    that end no sentence (sidebar links, section labels) are dropped."""
    from watcher.extract import Extractor  # local: only HTML inputs pay for the import

    try:
        doc = Extractor(isolated=False).run(content, url=source if is_url(source) else None, timeout=None)
    except ExtractionError:
        raise
    except Exception as exc:  # trafilatura raises assorted lxml/ValueError types
        raise ExtractionError(f"cannot extract the article text: {exc}", url=source) from exc
    if doc is None or not (doc.text or "").strip():
        raise ExtractionError("no article text found in the page", url=source)
    title = (doc.title or "").strip()
    text = _drop_link_lines(doc.text, title)
    return ArticleText(source, title, text, _date(doc.date), partial=_looks_partial(text))


def read_path(path: Path) -> ArticleText:
    """Reads a .txt or .html article file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WatcherError(f"cannot read {path}: {exc.strerror}") from exc
    if path.suffix.lower() in (".html", ".htm"):
        return parse_html(str(path), data)
    return parse_txt(str(path), data.decode("utf-8", errors="replace"))


def fetch_url(url: str, *, timeout: float = 20.0) -> ArticleText:
    """Fetches a page through watcher's HTTP policy and extracts it."""
    from watcher.http import HttpClient  # local: paths need no HTTP stack

    with HttpClient(timeout=timeout) as client:
        fetched = client.fetch(url)
    if not fetched.content:
        raise ExtractionError(f"empty response (HTTP {fetched.status})", url=url)
    if (fetched.content_type or "").startswith("text/plain"):
        return parse_txt(url, fetched.content.decode("utf-8", errors="replace"))
    return parse_html(url, fetched.content)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def expand_sources(sources: Iterable[str]) -> list[str]:
    """Folders become their .txt/.html files, sorted; paths and URLs stay as given."""
    out: list[str] = []
    for source in sources:
        path = Path(source)
        if not is_url(source) and path.is_dir():
            out.extend(
                str(p) for p in sorted(path.iterdir()) if p.suffix.lower() in ARTICLE_SUFFIXES and p.is_file()
            )
        else:
            out.append(source)
    return out


def read_source(source: str, *, fetch: Callable[[str], ArticleText] = fetch_url) -> ArticleText:
    """One article from a path or a URL."""
    if source.startswith("file://"):
        return read_path(Path(source[len("file://") :]))
    if is_url(source):
        return fetch(source)
    return read_path(Path(source))

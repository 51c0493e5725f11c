"""One page's text and metadata through trafilatura: the extraction itself, in whichever process runs it.

:func:`decode_html` (BOM, HTTP charset, ``<meta charset>``, UTF-8), :func:`page_metadata` (title,
canonical URL, site name and date from meta tags, :func:`clean_title`), :func:`extract_page` (decode,
parse once, our metadata, trafilatura's main-text extraction on that tree) returning an
:class:`Extracted` of plain values, and :func:`reset_caches`. No process handling and no time budget
here: :mod:`watcher.ingest.extract` calls this in-process or through its worker process
(:mod:`watcher.ingest.worker`), and both import it, so neither imports the other's internals.
No trafilatura object leaves this module.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any

RESET_EVERY = 100  # pages between two trafilatura cache resets (in-process and in the worker)

_LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp819"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True, slots=True)
class Extracted:
    """A page's main text and metadata: plain values only (they cross the worker's pipe)."""

    text: str
    title: str
    date: str
    url: str
    sitename: str


# --------------------------------------------------------------------------- decoding


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"""(?i)charset\s*=\s*["']?([^\s;"']+)""", content_type)
    return match.group(1) if match else None


def _try_decode(content: bytes, label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = "cp1252" if label in _LATIN1_LABELS else label  # as browsers do (WHATWG)
    try:
        return content.decode(codecs.lookup(label).name)
    except (LookupError, UnicodeDecodeError):
        return None


def decode_html(content: bytes, content_type: str | None = None) -> str | bytes:
    """BOM, then the HTTP charset, then ``<meta charset>``, then strict UTF-8; else the bytes
    unchanged, for trafilatura's own detection."""
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, errors="replace")
    for label in (_charset_from_content_type(content_type), _meta_charset(content), "utf-8"):
        text = _try_decode(content, label)
        if text is not None:
            return text
    return content


def _meta_charset(content: bytes) -> str | None:
    match = _META_CHARSET.search(content[:8192])
    return match.group(1).decode("ascii") if match else None


# --------------------------------------------------------------------------- the extraction call


_META_XPATHS: dict[str, tuple[str, ...]] = {
    "title": (
        '//meta[@property="og:title"]/@content',
        '//meta[@name="twitter:title"]/@content',
        "//title/text()",
        "//h1//text()",
    ),
    "url": ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'),
    "sitename": ('//meta[@property="og:site_name"]/@content', '//meta[@name="application-name"]/@content'),
    "date": (
        '//meta[@property="article:published_time"]/@content',
        '//meta[@property="og:published_time"]/@content',
        '//meta[@itemprop="datePublished"]/@content',
        '//meta[@name="date" or @name="pubdate" or @name="publish-date" or @name="parsely-pub-date" '
        'or @name="sailthru.date" or @name="dc.date" or @name="DC.date.issued" or @name="article.published"]'
        "/@content",
        "//time[@datetime][1]/@datetime",
    ),
}
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"(\d{4}-\d{2}-\d{2})')
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _first(tree: Any, paths: tuple[str, ...]) -> str:
    for path in paths:
        for value in tree.xpath(path):
            text = " ".join(str(value).split())
            if text:
                return text
    return ""


_TITLE_SEPARATORS = re.compile(r"\s+(?:\||–|—|-|::|·)\s+")


def clean_title(title: str, sitename: str = "", h1: str = "") -> str:
    """The headline without the site's name: "Deal signed | Daily News" -> "Deal signed".

    The page's own <h1> wins when the title starts with it; otherwise a last separated segment
    is dropped when it is the site name or a short label (at most four words) after a longer
    headline.
    """
    title = " ".join(title.split())
    h1 = " ".join(h1.split())
    if h1 and len(h1.split()) >= 3 and title.startswith(h1):
        return h1
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        last = parts[-1]
        head = title[: title.rfind(last)].rstrip(" |–—-:·")
        if (sitename and last.lower() == sitename.lower()) or (
            len(last.split()) <= 4 and len(head.split()) >= 3
        ):
            return head
    return title


def page_metadata(tree: Any) -> dict[str, str]:
    """Title, canonical URL, site name and publication date from meta tags: a few XPath lookups,
    about a quarter of the cost of trafilatura's own metadata pass (which also hunts authors,
    categories and licences that watcher does not use)."""
    meta = {key: _first(tree, paths) for key, paths in _META_XPATHS.items()}
    meta["title"] = clean_title(meta["title"], meta["sitename"], _first(tree, ("//h1//text()",)))
    if not _ISO_DATE.match(meta["date"]):
        scripts = " ".join(tree.xpath('//script[@type="application/ld+json"]/text()'))
        found = _JSONLD_DATE.search(scripts)
        meta["date"] = found.group(1) if found else ""
    return meta


def extract_page(content: str | bytes, content_type: str | None, url: str | None) -> Extracted | None:
    """Decode, parse once, read our metadata, then trafilatura's main-text extraction on that tree."""
    from trafilatura import bare_extraction
    from trafilatura.utils import load_html

    html = decode_html(content, content_type) if isinstance(content, bytes) else content
    tree = load_html(html)
    if tree is None:
        return None
    meta = page_metadata(tree)
    drop_comment_sections(tree)
    doc: Any = bare_extraction(tree, url=url, include_comments=False)
    if doc is None or not doc.text:
        return None
    return Extracted(
        text=doc.text, title=meta["title"], date=meta["date"], url=meta["url"], sitename=meta["sitename"]
    )


#: an element that holds readers' comments, by its id or class ("reader-comments", "comment-list", "disqus_thread")
_COMMENTS = re.compile(
    r"(?:^|[\s_-])(?:comments?|commentlist|comment-list|discussion|disqus|replies)(?:$|[\s_-])", re.I
)


def drop_comment_sections(tree: Any) -> None:
    """Removes readers' comment sections, which trafilatura keeps when they are marked up as
    articles; an element holding most of the page's text is never one (a wrapper named oddly)."""
    found = [
        el
        for el in tree.xpath("//*[@id or @class]")
        if el.tag not in ("body", "html") and _COMMENTS.search(f"{el.get('id', '')} {el.get('class', '')}")
    ]
    if not found:
        return
    body = tree.find(".//body")
    total = len(body.text_content()) if body is not None else 0
    for el in found:
        parent = el.getparent()
        if parent is not None and len(el.text_content()) < 0.5 * total:
            parent.remove(el)


def reset_caches() -> None:
    """Empties trafilatura's module-level caches (called every :data:`RESET_EVERY` pages so memory stays
    flat)."""
    from trafilatura.meta import reset_caches as reset

    reset()

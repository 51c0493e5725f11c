"""watcher.ingest.extract: our own small pages, the worker's time budget, and the shared page corpus."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.errors import ExtractionError
from watcher.ingest.extract import (
    Extractor,
    choose_canonical,
    decode_html,
    extract_article,
    extract_articles,
    extract_text_from_html,
    is_wall,
)
from watcher.ingest.stories import content_hash
from watcher.ingest.worker import Worker
from watcher.types import Fetched

PAGES = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "pages"

PARAGRAPHS = "\n".join(
    f"<p>Paragraph {i}: Microsoft and OpenAI agreed on new terms for their partnership, under which the "
    f"software company keeps access to the models and the start-up commits to more Azure spending.</p>"
    for i in range(8)
)


def page(body: str = PARAGRAPHS, head: str = "", title: str = "Deal struck") -> str:
    return (
        f"<!doctype html><html><head><title>{title} | The Paper</title>{head}</head><body>"
        f"<nav><a href='/'>Home</a><a href='/tech'>Tech</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Contact us. Privacy policy.</footer></body></html>"
    )


ARTICLE_HEAD = (
    '<link rel="canonical" href="https://www.paper.example/tech/deal?utm_source=twitter&id=7#comments">'
    '<meta property="og:site_name" content="The Paper">'
    '<meta property="og:title" content="Microsoft and OpenAI strike a deal">'
    '<meta property="article:published_time" content="2025-10-28T09:30:00+00:00">'
)


@pytest.fixture(scope="module")
def extractor() -> Iterator[Extractor]:
    """One isolated worker for the module (start-up costs about a second)."""
    ex = Extractor()
    yield ex
    ex.close()


def fetched(
    html: str | bytes,
    content_type: str | None = "text/html; charset=utf-8",
    url: str = "https://paper.example/tech/deal?utm_medium=rss",
) -> Fetched:
    body = html.encode("utf-8") if isinstance(html, str) else html
    return Fetched(url=url, status=200, content=body, content_type=content_type, final_url=url)


def test_article_fields(extractor: Extractor) -> None:
    art = extract_article(
        fetched(page(head=ARTICLE_HEAD)), timeout=30, max_bytes=1_000_000, extractor=extractor
    )
    assert "Paragraph 7: Microsoft and OpenAI agreed" in art.text and "Privacy policy" not in art.text
    assert art.title == "Microsoft and OpenAI strike a deal"
    assert art.canonical_url == "https://www.paper.example/tech/deal?id=7"
    assert art.url == "https://paper.example/tech/deal?utm_medium=rss"
    assert art.published == datetime(2025, 10, 28, tzinfo=UTC)
    assert art.site == "The Paper" and not art.partial
    assert art.content_hash == content_hash(art.text)


def test_inline_extractor_gives_the_same_article(extractor: Extractor) -> None:
    html = fetched(page(head=ARTICLE_HEAD))
    isolated = extract_article(html, timeout=30, max_bytes=1_000_000, extractor=extractor)
    inline = extract_article(html, timeout=30, max_bytes=1_000_000, extractor=Extractor(isolated=False))
    assert inline == isolated


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("https://evil.example/elsewhere", "https://paper.example/a"),  # another site: ignored
        ("/relative", "https://paper.example/a"),
        (None, "https://paper.example/a"),
        ("https://amp.paper.example/a?fbclid=1", "https://amp.paper.example/a"),
    ],
)
def test_choose_canonical(declared: str | None, expected: str) -> None:
    assert choose_canonical("https://paper.example/a?utm_source=x", declared) == expected


def test_short_page_is_partial_and_falls_back_to_summary(extractor: Extractor) -> None:
    short = page("<p>Microsoft and OpenAI signed a deal.</p><p>More soon.</p>")
    summary = "Microsoft and OpenAI signed a deal worth billions, the companies said on Tuesday, ending months of talks."
    art = extract_article(
        fetched(short),
        fallback_title="Feed title",
        fallback_summary=summary,
        timeout=30,
        max_bytes=1_000_000,
        extractor=extractor,
    )
    assert art.partial and art.text == summary


@pytest.mark.parametrize(
    "wall",
    [
        "<p>We use cookies to improve your experience. Please accept cookies to continue reading this site.</p>",
        "<p>This article is only available to subscribers. Subscribe to continue reading.</p>"
        "<p>Already a subscriber? Sign in to read.</p>",
        "<p>Please verify you are a human before you continue to the page you asked for.</p>",
    ],
)
def test_walls_are_partial_and_replaced_by_the_summary(extractor: Extractor, wall: str) -> None:
    art = extract_article(
        fetched(page(wall)),
        fallback_summary="Feed summary of the story.",
        timeout=30,
        max_bytes=1_000_000,
        extractor=extractor,
    )
    assert art.partial and art.text == "Feed summary of the story."


def test_is_wall_needs_a_short_text() -> None:
    assert is_wall("Subscribe to continue reading.")
    assert not is_wall("Subscribe to continue reading. " + "Real article text. " * 200)
    assert not is_wall("An ordinary short paragraph.")


def test_legacy_charset_from_meta(extractor: Extractor) -> None:
    html = page(
        PARAGRAPHS + "<p>Caf\u00e9 cr\u00e8me \u2013 \u201cquoted\u201d</p>",
        head='<meta charset="iso-8859-1">',
    ).encode("cp1252")
    art = extract_article(fetched(html, "text/html"), timeout=30, max_bytes=1_000_000, extractor=extractor)
    assert "Café crème – “quoted”" in art.text


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("Caf\u00e9".encode("utf-16"), None, "Café"),
        ("<meta charset='windows-1252'>Caf\u00e9".encode("cp1252"), "text/html", "Café"),
        ("<meta charset='utf-8'>Caf\u00e9".encode("latin-1"), "text/html; charset=iso-8859-1", "Café"),
        ("Caf\u00e9".encode(), "text/html; charset=bogus-charset", "Café"),
    ],
)
def test_decode_html_order(body: bytes, content_type: str | None, expected: str) -> None:
    decoded = decode_html(body, content_type)
    assert isinstance(decoded, str) and decoded.endswith(expected)


def test_undecodable_bytes_are_left_to_trafilatura() -> None:
    assert isinstance(decode_html(b"<p>\xe9\xff\xfa</p>", "text/html"), bytes)


@pytest.mark.parametrize(
    ("fetch", "message"),
    [
        (Fetched(url="https://x.example/", status=304, content=None), "304"),
        (
            Fetched(
                url="https://x.example/f.pdf", status=200, content=b"%PDF-1.4", content_type="application/pdf"
            ),
            "not an HTML page",
        ),
        (
            Fetched(url="https://x.example/", status=200, content=b"x" * 2048, content_type="text/html"),
            "over the 1024-byte cap",
        ),
        (
            Fetched(url="https://x.example/", status=200, content=b"<html><body></body></html>"),
            "no article text",
        ),
    ],
)
def test_unusable_pages_raise(extractor: Extractor, fetch: Fetched, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract_article(fetch, timeout=30, max_bytes=1024, extractor=extractor)


def test_overrun_is_stopped_and_the_worker_replaced(extractor: Extractor) -> None:
    # ~4 MB of nested markup takes trafilatura seconds: far beyond a 10 ms budget
    heavy = page("".join(f"<div><p>{'word ' * 40}{i}</p>" for i in range(20_000)) + "</div>" * 20_000)
    extract_article(fetched(page()), timeout=30, max_bytes=10_000_000, extractor=extractor)
    before = extractor.worker_pid
    with pytest.raises(ExtractionError, match="WATCHER_EXTRACT_TIMEOUT"):
        extract_article(fetched(heavy), timeout=0.01, max_bytes=10_000_000, extractor=extractor)
    assert extractor.worker_pid is None  # killed
    art = extract_article(fetched(page()), timeout=30, max_bytes=10_000_000, extractor=extractor)
    assert "Paragraph 3" in art.text and extractor.worker_pid not in (None, before)


def test_worker_is_recycled_after_its_quota() -> None:
    ex = Extractor(recycle_after=2)
    try:
        pids = []
        for _ in range(3):
            extract_article(fetched(page()), timeout=30, max_bytes=1_000_000, extractor=ex)
            pids.append(ex.worker_pid)
        assert pids[0] == pids[1] != pids[2]
    finally:
        ex.close()


def test_many_pages_come_back_in_order_past_an_overrun() -> None:
    """extract_articles pipelines pages through one worker: results in input order (items without a
    page and refused pages in their place), an overrun stopped at its own budget, the worker replaced,
    and the pages queued behind the overrun extracted by the new one."""
    ex = Extractor()
    try:
        heavy = page("".join(f"<p>{'word ' * 40}{i}</p>" for i in range(50_000)))  # ~20 s of trafilatura
        items = [
            ("a", fetched(page(f"<p>Page A.</p>{PARAGRAPHS}")), "", ""),
            ("none", None, "", ""),
            ("304", Fetched(url="https://x.example/", status=304, content=None), "", ""),
            ("heavy", fetched(heavy), "", ""),
            *[(f"b{i}", fetched(page(f"<p>Page B{i}.</p>{PARAGRAPHS}")), "", "") for i in range(4)],
        ]
        out = list(extract_articles(items, timeout=2.0, max_bytes=50_000_000, extractor=ex))
        assert [key for key, _ in out] == [key for key, *_ in items]
        got = dict(out)
        assert got["none"] is None
        assert isinstance(got["304"], ExtractionError) and "304" in str(got["304"])
        assert isinstance(got["heavy"], ExtractionError) and "WATCHER_EXTRACT_TIMEOUT" in str(got["heavy"])
        for key in ("a", "b0", "b1", "b2", "b3"):
            art = got[key]
            assert not isinstance(art, ExtractionError) and art is not None
            assert f"Page {key.upper()}." in art.text and "Paragraph 7" in art.text
    finally:
        ex.close()


def test_replies_waiting_in_the_pipe_are_each_seen() -> None:
    """Several replies already in the pipe: each is read by its own receive, none hides in a read-ahead
    buffer where select() cannot see it (which would look like an overrun)."""
    worker = Worker()
    try:
        for i in range(3):
            assert worker.send((page(f"<p>Page {i}.</p>{PARAGRAPHS}"), None, None))
        first = worker.receive(time.monotonic() + 30)
        time.sleep(1.0)  # let the other two replies arrive before reading on
        rest = [worker.receive(time.monotonic()) for _ in range(2)]  # no wait: they are there
        assert [r[0] for r in (first, *rest)] == ["ok", "ok", "ok"]
        assert [r[1].text.count("Page 2.") for r in (first, *rest)] == [0, 0, 1]
    finally:
        worker.stop()


def test_an_abandoned_batch_leaves_no_stale_replies() -> None:
    ex = Extractor()
    try:
        items = [(i, fetched(page(f"<p>Page {i}.</p>{PARAGRAPHS}")), "", "") for i in range(5)]
        batch = extract_articles(items, timeout=30, max_bytes=1_000_000, extractor=ex)
        first = next(batch)
        batch.close()  # pages 1.. were queued in the worker: it is dropped, not read from later
        art = extract_article(
            fetched(page("<p>Alone.</p>" + PARAGRAPHS)), timeout=30, max_bytes=1_000_000, extractor=ex
        )
        assert first[0] == 0 and "Alone." in art.text
    finally:
        ex.close()


def test_extract_text_from_html_str_and_bytes() -> None:
    assert "Paragraph 5" in extract_text_from_html(page())
    assert "Paragraph 5" in extract_text_from_html(page().encode("utf-8"), url="https://x.example/")
    assert extract_text_from_html("<html><body></body></html>") == ""


# --------------------------------------------------------------------------- corpus


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.shared
def test_corpus_snippets_at_least_as_good_as_trafilatura_defaults(extractor: Extractor) -> None:
    if not PAGES.is_dir():
        pytest.skip(
            f"{PAGES} not present: the shared corpus is only beside the project on the team's machines"
        )
    expectations = json.loads((PAGES / "expectations.json").read_text(encoding="utf-8"))
    baseline = json.loads((PAGES / "baseline_trafilatura_2.3.1.json").read_text(encoding="utf-8"))["summary"][
        "default"
    ]
    found = leaked = must_total = must_not_total = 0
    for name, exp in expectations.items():
        url = exp.get("url") or f"https://corpus.example/{name}"
        try:
            text = extract_article(
                fetched((PAGES / name).read_bytes(), "text/html", url),
                timeout=60,
                max_bytes=20_000_000,
                extractor=extractor,
            ).text
        except ExtractionError:
            text = ""
        found += sum(_norm(s) in _norm(text) for s in exp["must"])
        leaked += sum(_norm(s) in _norm(text) for s in exp["must_not"])
        must_total += len(exp["must"])
        must_not_total += len(exp["must_not"])
    assert (must_total, must_not_total) == (baseline["must_total"], baseline["must_not_total"])
    assert found >= baseline["must_found"], (
        f"must-snippets {found}/{must_total} < trafilatura's {baseline['must_found']}"
    )
    assert leaked <= baseline["must_not_leaked"], (
        f"leaked {leaked}/{must_not_total} > {baseline['must_not_leaked']}"
    )


def test_readers_comments_marked_up_as_articles_are_not_article_text() -> None:
    body = " ".join(["Acme Cloud signed a five-year lease with Borealis Data for GPU capacity."] * 12)
    html = (
        f"<html><body><main><h1>Acme leases GPUs</h1><p>{body}</p></main>"
        '<section id="reader-comments"><h3>Reader comments</h3>'
        '<article class="c"><b>dave77</b><p>Quasar Labs is about to sign with Acme too, trust me.</p></article>'
        "</section></body></html>"
    )
    text = extract_text_from_html(html)
    assert "Borealis Data" in text and "Quasar Labs" not in text

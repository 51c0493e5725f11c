"""Article text from fetched HTML with trafilatura, under a size cap and a real time budget.

Holds :class:`Extractor` (where and under which budget a page is extracted), :func:`default_extractor`
and the article assembly (:func:`extract_article`, :func:`extract_text_from_html`). The extraction
itself (decoding, our metadata pass, the trafilatura call) is :mod:`watcher.ingest.pagetext`, which
the worker process imports too.

trafilatura has neither a timeout nor a size cap, and a pathological page can keep lxml busy in C
code where no Python thread can be interrupted. So by default extraction runs in a **worker
process** (:mod:`watcher.ingest.worker`: a plain ``python -c`` subprocess speaking length-prefixed
pickle frames) that is killed and replaced when a page exceeds its budget (POSIX only). The worker
is started once, reports ready after its imports (start-up never counts against a page), calls
``trafilatura.meta.reset_caches()`` every :data:`~watcher.ingest.pagetext.RESET_EVERY` pages, and is
replaced after :data:`RECYCLE_AFTER` pages so memory stays flat. :meth:`Extractor.run_many` (and
:func:`extract_articles`, which ``watcher backfill --dir`` uses) pipelines pages: a few wait in the
worker while the caller stores the last one, each under its own budget counted from when the worker
started it, so the worker never idles between pages. Figures: docs/performance.md.

``Extractor(isolated=False)`` runs in-process without a time budget (for trusted local files, e.g.
``watcher diff page.html``); :func:`extract_text_from_html` uses that unless given a ``timeout``.
No trafilatura object leaves :mod:`watcher.ingest.pagetext`.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from watcher.cleantext import clean, clean_fields
from watcher.errors import ExtractionError
from watcher.ingest.pagetext import RESET_EVERY, Extracted, decode_html, extract_page, reset_caches
from watcher.ingest.stories import canonical_url, content_hash, site_of
from watcher.ingest.worker import Job, ProcessWide, Worker
from watcher.types import Article, Fetched

MIN_TEXT_CHARS = 400  # less extracted text than this: a stub, teaser or wall -> partial
WALL_MAX_CHARS = 1500  # a wall phrase only marks a page partial when the text is this short
RECYCLE_AFTER = 2000
PAGES_AHEAD = 2  # pages queued in the worker beyond the one it works on, in run_many

_WALL = re.compile(
    r"(?i)\b(?:subscribe (?:now )?to (?:continue|keep reading|read|unlock|access)"
    r"|(?:sign|log) ?in to (?:continue|keep reading|read|access)"
    r"|(?:accept|allow|agree to)(?: all)? (?:the use of )?cookies"
    r"|already a (?:subscriber|member)"
    r"|(?:this|the) (?:article|content|story) is (?:only )?(?:available|reserved|exclusive) (?:to|for) "
    r"(?:subscribers|members)"
    r"|create a free account to (?:continue|read)"
    r"|you(?:'ve| have) (?:reached|used) (?:your|all of your) (?:free |monthly )*(?:article|story) limit"
    r"|(?:enable|turn on) javascript (?:and cookies )?to continue"
    r"|verify (?:that )?you are (?:a )?human|are you a robot)"
)
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
__all__ = [
    "Extracted",
    "Extractor",
    "choose_canonical",
    "decode_html",
    "default_extractor",
    "extract_article",
    "extract_articles",
    "extract_text_from_html",
    "is_wall",
]


class Extractor:
    """Runs trafilatura in a worker process with a per-page time budget. Thread-safe."""

    def __init__(self, *, isolated: bool = True, recycle_after: int = RECYCLE_AFTER) -> None:
        self._isolated = isolated
        self._recycle_after = recycle_after
        self._lock = threading.Lock()
        self._worker: Worker | None = None
        self._inline_jobs = 0

    def run(
        self,
        content: str | bytes,
        *,
        content_type: str | None = None,
        url: str | None = None,
        timeout: float | None = None,
    ) -> Extracted | None:
        """The page's text and metadata (None when it has no main text); bytes are decoded with
        :func:`decode_html`. Raises ExtractionError on an overrun of ``timeout`` or a crash."""
        if not self._isolated or timeout is None:
            return self._run_inline(content, content_type, url)
        with self._lock:
            worker = self._ready_worker()
            status, value = worker.run((content, content_type, url), timeout)
            if status != "ok" or not worker.alive:
                self._worker = None
        result = self._result(status, value, timeout, url)
        if isinstance(result, ExtractionError):
            raise result
        return result

    def run_many(
        self, jobs: Iterable[Job], *, timeout: float | None, ahead: int = PAGES_AHEAD
    ) -> Iterator[Extracted | None | ExtractionError]:
        """:meth:`run` over ``jobs`` ((content, content type, URL) each), in order, one result or
        ExtractionError per job, pipelined: up to ``ahead`` further pages wait in the worker while the
        caller handles a result, so the worker is never idle between pages and the hand-off costs no
        round trip. Each page keeps its own budget of ``timeout`` seconds, counted from when the worker
        started it; an overrun or a crash kills the worker, and the pages queued behind go to a fresh
        one. The worker is held (other threads' :meth:`run` waits) until the iteration ends."""
        if not self._isolated or timeout is None:
            for content, content_type, url in jobs:
                try:
                    yield self._run_inline(content, content_type, url)
                except ExtractionError as exc:
                    yield exc
            return
        source = iter(jobs)
        first = next(source, None)
        if first is None:
            return  # nothing to extract: no worker started
        source = itertools.chain([first], source)
        queued: deque[tuple[Job, float]] = deque()  # sent to the worker (with when), not answered yet
        worker: Worker | None = None
        started = 0.0  # when the worker began the oldest queued page (as far as we know)
        with self._lock:
            try:
                while True:
                    if worker is None or (not queued and worker.jobs >= self._recycle_after):
                        worker, started = self._ready_worker(), 0.0
                        queued = deque((job, 0.0) for job, _ in queued)  # the last worker's unanswered pages
                        if not self._send_queued(worker, queued):
                            worker = self._worker = None
                            yield self._result(
                                "error", "the extraction worker died", timeout, queued.popleft()[0][2]
                            )
                            continue
                    while len(queued) <= ahead and worker.jobs < self._recycle_after:
                        job: Job | None = next(source, None)
                        if job is None:
                            break
                        queued.append((job, time.monotonic()))
                        if not worker.send(job):
                            break
                    if not queued:
                        return
                    (job, sent) = queued.popleft()
                    status, value, finished = worker.receive(max(sent, started) + timeout)
                    started = finished
                    if status != "ok" or not worker.alive:
                        if worker.alive:
                            worker.kill()  # the pages queued behind go to a fresh worker
                        worker = self._worker = None
                    yield self._result(status, value, timeout, job[2])
            finally:
                if queued and self._worker is not None:  # abandoned with pages in the worker: drop it
                    self._worker.kill()
                    self._worker = None

    @staticmethod
    def _send_queued(worker: Worker, queued: deque[tuple[Job, float]]) -> bool:
        for i, (job, _) in enumerate(queued):
            if not worker.send(job):
                return False
            queued[i] = (job, time.monotonic())
        return True

    @staticmethod
    def _result(
        status: str, value: Any, timeout: float, url: str | None
    ) -> Extracted | None | ExtractionError:
        where = url or "<html>"
        if status == "timeout":
            return ExtractionError(
                f"extraction took longer than {timeout:g}s and was stopped (WATCHER_EXTRACT_TIMEOUT)",
                url=where,
            )
        if status == "error":
            return ExtractionError(f"extraction failed: {value}", url=where)
        return value  # type: ignore[no-any-return]  # an unpickled frame, so Any

    def _ready_worker(self) -> Worker:
        if self._worker is not None and (self._worker.jobs >= self._recycle_after or not self._worker.alive):
            self._worker.stop()
            self._worker = None
        if self._worker is None:
            self._worker = Worker()
        return self._worker

    def _run_inline(
        self, content: str | bytes, content_type: str | None, url: str | None
    ) -> Extracted | None:
        try:
            result = extract_page(content, content_type, url)
        except Exception as exc:  # trafilatura/lxml raise many types on hostile input
            raise ExtractionError(
                f"extraction failed: {type(exc).__name__}: {exc}", url=url or "<html>"
            ) from exc
        self._inline_jobs += 1
        if self._inline_jobs % RESET_EVERY == 0:
            reset_caches()
        return result

    @property
    def worker_pid(self) -> int | None:
        """The pid of the current worker process (None when none runs): for tests and diagnostics."""
        return self._worker.pid if self._worker is not None else None

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None


#: the process-wide isolated extractor, created on first use and closed at exit
default_extractor = ProcessWide(Extractor)


# --------------------------------------------------------------------------- articles


def is_wall(text: str) -> bool:
    """A consent wall, paywall or bot check rather than an article (short text with a wall phrase)."""
    return len(text) < WALL_MAX_CHARS and _WALL.search(text) is not None


def _same_site(a: str, b: str) -> bool:
    sa, sb = site_of(a), site_of(b)
    if not sa or not sb:
        return False
    return sa == sb or sa.endswith("." + sb) or sb.endswith("." + sa)


def choose_canonical(page_url: str, declared: str | None) -> str:
    """The page's rel=canonical/og:url when it is an absolute URL on the same site, else the page URL;
    normalised by :func:`watcher.ingest.stories.canonical_url`."""
    if declared and declared.startswith(("http://", "https://")) and _same_site(page_url, declared):
        return canonical_url(declared)
    return canonical_url(page_url)


def _published(date: str) -> datetime | None:
    try:
        return datetime.strptime(date[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _check_input(fetched: Fetched, max_bytes: int) -> bytes:
    url = fetched.final_url or fetched.url
    if fetched.content is None:
        raise ExtractionError("nothing to extract: the page was not modified (304)", url=url)
    ctype = (fetched.content_type or "text/html").split(";", 1)[0].strip().lower()
    if ctype and ctype not in _HTML_TYPES:
        raise ExtractionError(f"not an HTML page (Content-Type {ctype})", url=url)
    if len(fetched.content) > max_bytes:
        raise ExtractionError(
            f"page of {len(fetched.content)} bytes is over the {max_bytes}-byte cap (WATCHER_MAX_PAGE_BYTES)",
            url=url,
        )
    return fetched.content


def extract_article(
    fetched: Fetched,
    *,
    fallback_title: str = "",
    fallback_summary: str = "",
    timeout: float,
    max_bytes: int,
    extractor: Extractor | None = None,
) -> Article:
    """The article in ``fetched``: text, title, date, site, canonical URL and content hash.

    ``partial=True`` when the page yields under 400 characters or is a consent/pay/bot wall; the text
    is then the feed summary when that says more. Raises ExtractionError for a 304, a non-HTML page,
    a page over ``max_bytes``, an overrun of ``timeout`` seconds, or a page with no text and no summary.
    """
    content = _check_input(fetched, max_bytes)
    found = (extractor or default_extractor()).run(
        content, content_type=fetched.content_type, url=fetched.final_url or fetched.url, timeout=timeout
    )
    return _article(fetched, found, fallback_title, fallback_summary)


def _article(
    fetched: Fetched, found: Extracted | None, fallback_title: str, fallback_summary: str
) -> Article:
    url = fetched.final_url or fetched.url
    text = clean(found.text if found else "").strip()  # hashed below: cleaned first
    wall = is_wall(text)
    partial = wall or len(text) < MIN_TEXT_CHARS
    summary = clean(fallback_summary).strip()
    if partial and (wall or len(summary) > len(text)) and summary:
        text = summary
    if not text:
        raise ExtractionError("no article text on the page and no feed summary to fall back on", url=url)
    article = Article(
        url=url,
        canonical_url=choose_canonical(url, found.url if found else None),
        title=((found.title if found else "") or fallback_title).strip(),
        text=text,
        published=_published(found.date) if found and found.date else None,
        site=(found.sitename if found and found.sitename else None) or site_of(url),
        content_hash=content_hash(text),
        partial=partial,
    )
    return clean_fields(article)


T = TypeVar("T")


def extract_articles(
    items: Iterable[tuple[T, Fetched | None, str, str]],
    *,
    timeout: float,
    max_bytes: int,
    extractor: Extractor | None = None,
) -> Generator[tuple[T, Article | ExtractionError | None], None, None]:
    """:func:`extract_article` over many pages, pipelined through :meth:`Extractor.run_many` (the
    worker extracts the next pages while the caller stores this one), in order.

    ``items`` are (key, fetched page or None, fallback title, fallback summary); each comes back as
    (key, its Article, or the ExtractionError :func:`extract_article` would raise, or None for an item
    without a page). Items are read lazily, a few pages ahead of the results."""
    waiting: deque[tuple[T, Fetched | None, str, str, ExtractionError | None]] = deque()

    def jobs() -> Iterator[Job]:
        for key, fetched, title, summary in items:
            if fetched is None:
                waiting.append((key, None, title, summary, None))
                continue
            try:
                content = _check_input(fetched, max_bytes)
            except ExtractionError as exc:
                waiting.append((key, fetched, title, summary, exc))
                continue
            waiting.append((key, fetched, title, summary, None))
            yield (content, fetched.content_type, fetched.final_url or fetched.url)

    def settled() -> Iterator[tuple[T, Article | ExtractionError | None]]:
        """The items before the next page to extract: no page, or refused before extraction."""
        while waiting and (waiting[0][1] is None or waiting[0][4] is not None):
            key, _, _, _, error = waiting.popleft()
            yield key, error

    for found in (extractor or default_extractor()).run_many(jobs(), timeout=timeout):
        yield from settled()
        key, fetched, title, summary, _ = waiting.popleft()
        assert fetched is not None
        if isinstance(found, ExtractionError):
            yield key, found
            continue
        try:
            yield key, _article(fetched, found, title, summary)
        except ExtractionError as exc:
            yield key, exc
    yield from settled()


def extract_text_from_html(html: str | bytes, url: str | None = None, *, timeout: float | None = None) -> str:
    """Main text of an HTML document ('' when none). In-process unless ``timeout`` is given."""
    extractor = default_extractor() if timeout is not None else Extractor(isolated=False)
    found = extractor.run(html, url=url, timeout=timeout)
    return found.text if found else ""

"""One poll cycle: due feeds -> entries -> articles -> stories -> findings -> outbox.

No business rules live here: fetching policy is in :mod:`watcher.ingest.http`, parsing in
:mod:`watcher.ingest.feeds`, extraction in :mod:`watcher.ingest.extract`, clustering in
:mod:`watcher.ingest.stories`, judgement in the differ, persistence and idempotence in the store.
A failure of one feed or entry is recorded and the cycle goes on; an exception we do not
know is a bug and propagates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from watcher.cleantext import clean_fields
from watcher.errors import (
    ExtractionError,
    FeedParseError,
    FetchError,
    StorageError,
    WatcherError,
)
from watcher.ingest import extract, feeds, stories
from watcher.ingest.feed_parser import FeedParser, default_parser
from watcher.ingest.http import FEED_ACCEPT, HttpClient
from watcher.reports import Problem, ProblemKind, Report, report_lines
from watcher.store import Store
from watcher.store.article_ops import STORY_WINDOW, AlertPolicy
from watcher.store.feed_ops import FeedState, SeenEntry
from watcher.text import plural
from watcher.types import Article, Claim, FeedEntry, Fetched, Finding

__all__ = ["CycleReport", "EntryResult", "EntryStatus", "Pipeline", "report_lines"]

if TYPE_CHECKING:
    from watcher.baseline.facts import Baseline

log = logging.getLogger(__name__)


class Analyser(Protocol):
    """Claims and findings of one article against the current baseline (the differ)."""

    baseline: Baseline  # replaced when a finding is confirmed into the baseline

    @property
    def version(self) -> str: ...

    def analyse(self, article: Article) -> tuple[list[Claim], list[Finding]]: ...


class FailureNotifier(Protocol):
    def feed_failing(self, feed: FeedState, error: str) -> None: ...


@dataclass
class CycleReport(Report):
    """What one poll cycle did (the counters), and the problems of its feeds and entries."""

    feeds_polled: int = 0
    not_modified: int = 0
    feeds_failed: int = 0
    entries_seen: int = 0
    entries_new: int = 0
    entries_irrelevant: int = 0
    entries_not_fetched: int = 0
    entries_deferred: int = 0
    entries_failed: int = 0
    articles: int = 0
    partial: int = 0
    findings: int = 0
    alerts_queued: int = 0

    def tally(self, result: EntryResult) -> None:
        """Counts what became of one entry and takes its problems."""
        self.problems += result.problems
        self.entries_irrelevant += int(result.irrelevant)
        if result.status is EntryStatus.FAILED:
            self.entries_failed += 1
        elif result.status is not EntryStatus.NOT_MODIFIED:
            self.articles += 1
            self.partial += int(result.status is EntryStatus.PARTIAL)
            self.findings += result.findings
            self.alerts_queued += result.alerts

    def headline(self) -> str:
        return (
            f"{plural(self.feeds_polled, 'feed')} polled ({self.not_modified} not modified, "
            f"{self.feeds_failed} failed), {plural(self.entries_new, 'new entry', 'new entries')}"
            + (f" ({self.entries_deferred} more deferred to later cycles)" if self.entries_deferred else "")
            + (f", {self.entries_not_fetched} not fetched (irrelevant)" if self.entries_not_fetched else "")
            + (f", {self.entries_failed} failed" if self.entries_failed else "")
            + f", {plural(self.articles, 'article')} ({self.partial} partial), "
            f"{plural(self.findings, 'finding')}, {plural(self.alerts_queued, 'alert')} queued "
            f"in {self.duration:.1f}s"
        )


class EntryStatus(StrEnum):
    """What became of one entry."""

    OK = "ok"  # stored from its page
    NOT_MODIFIED = "not_modified"  # processed before and unchanged: nothing done (backfill's skipped items)
    PARTIAL = "partial"  # stored from the feed's own text (no page, or a page that could not be had or read)
    FAILED = "failed"  # not stored: recorded with its error and retried next cycle


@dataclass(frozen=True)
class EntryResult:
    """The value :meth:`Pipeline.process_entry` returns instead of raising an expected failure.

    ``kind``: for FAILED why (``ENTRY``: the database refused the write; in a backfill also ``UNREADABLE`` or
    ``EXTRACT``); for PARTIAL the stage that fell back to the feed's text (``PAGE_*``, ``EXTRACT``), None when
    the entry has no link or the page itself gave only part of an article. ``problems`` go to the report."""

    status: EntryStatus
    kind: ProblemKind | None = None
    problems: tuple[Problem, ...] = ()
    irrelevant: bool = False  # no tracked company in the title, summary or text: not analysed
    findings: int = 0
    alerts: int = 0

    @classmethod
    def failed(cls, problem: Problem) -> EntryResult:
        return cls(EntryStatus.FAILED, problem.kind, (problem,))


NOT_MODIFIED = EntryResult(EntryStatus.NOT_MODIFIED)


def entry_hash(entry: FeedEntry) -> str:
    """What tells an edited feed item from the one we processed."""
    return hashlib.sha256(f"{entry.link}\n{entry.title}\n{entry.summary}".encode()).hexdigest()[:32]


def newest_first(
    pending: list[tuple[FeedEntry, str]], limit: int | None
) -> tuple[list[tuple[FeedEntry, str]], int]:
    """The ``limit`` newest of the entries to process, and how many wait (pure).

    Newest by ``published``; undated entries keep the feed's order after the dated ones (feeds
    list newest first). ``limit=None`` takes them all (backfill)."""
    if limit is None or len(pending) <= limit:
        return pending, 0
    dated = [(p[0].published, p) for p in pending if p[0].published is not None]
    dated.sort(key=lambda pair: pair[0], reverse=True)
    ordered = [p for _, p in dated] + [p for p in pending if p[0].published is None]
    return ordered[:limit], len(pending) - limit


class StoryClaim:
    """A new story being written: threads whose copy of it arrives meanwhile wait for its id."""

    def __init__(self, placeholder: int) -> None:
        self.placeholder = placeholder
        self.story_id: int | None = None
        self.done = threading.Event()


SEEN_BATCH = 1000  # entries not fetched written per statement in a cycle (memory held: ~1 MB)
CLAIM_WAIT = 60.0  # seconds a copy waits for the story a concurrent write is making (then stores alone)


class StoryClusterer:
    """The stories of recent articles, in memory: LSH bands over the MinHash sketches
    (:class:`watcher.ingest.stories.StoryIndex`, a bounded cost per lookup), seeded from the store's
    window (STORY_WINDOW) at the start of each cycle and shared by the cycle's threads.

    No lock is held around a write: :meth:`claim` looks a sketch up and, when it matches no story,
    files it under a placeholder (a :class:`StoryClaim`) in the same short step; the thread then
    writes its article and :meth:`settle` puts the story id in place of the placeholder. A copy
    looked up meanwhile finds the placeholder and waits for that one write only, so the two still
    make one story, and unrelated articles are stored side by side."""

    def __init__(self, seed: list[tuple[int, bytes, str]]) -> None:
        self._index = stories.StoryIndex()  # the window: seeded anew each cycle
        self._lock = threading.Lock()  # held for index lookups and updates only (microseconds)
        self._claims: dict[int, StoryClaim] = {}  # placeholder (negative) -> claim
        self._next_placeholder = -1
        for story_id, fp, url in seed:
            self._index.add(stories.Fingerprint.from_bytes(fp), url, story_id=story_id)

    def find(self, fp: stories.Fingerprint, url: str) -> int | None:
        """The story id of ``fp``'s story, waiting for one being written."""
        return self._lookup(fp, url, reserve=False)[0]

    def claim(self, fp: stories.Fingerprint, url: str) -> tuple[int | None, StoryClaim | None]:
        """``(story id, None)`` when ``fp`` joins a known story; ``(None, claim)`` when it starts one
        (then :meth:`settle` must follow the write, whatever happens to it)."""
        return self._lookup(fp, url, reserve=True)

    def _lookup(
        self, fp: stories.Fingerprint, url: str, *, reserve: bool
    ) -> tuple[int | None, StoryClaim | None]:
        with self._lock:
            found = self._index.find(fp, url)
            if found is None or found >= 0:
                if found is None and reserve:
                    claim = StoryClaim(self._next_placeholder)
                    self._next_placeholder -= 1
                    self._claims[claim.placeholder] = claim
                    self._index.add(fp, url, story_id=claim.placeholder)
                    return None, claim
                return found, None
            pending = self._claims[found]
        pending.done.wait(CLAIM_WAIT)  # the copy's story is being written by another thread
        return pending.story_id, None

    def settle(self, claim: StoryClaim, story_id: int | None) -> None:
        """The write behind ``claim`` is over: its story id (None when it failed)."""
        claim.story_id = story_id
        claim.done.set()

    def add(self, fp: stories.Fingerprint, url: str, story_id: int) -> None:
        with self._lock:
            self._index.add(fp, url, story_id=story_id)


@dataclass
class Pipeline:
    store: Store
    http: HttpClient
    analyser: Analyser
    policy: AlertPolicy
    tracked_names: tuple[str, ...]
    owner: str
    poll_interval: timedelta
    extract_timeout: float = 10.0
    parse_timeout: float = 60.0
    max_bytes: int = 5_000_000
    failure_threshold: int = 5
    max_new_entries: int | None = 50
    workers: int = 8
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())
    notifier: FailureNotifier | None = None
    parser: FeedParser = field(default_factory=default_parser)
    _fetch_all: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _not_modified: list[tuple[int, datetime]] | None = field(default=None, init=False, repr=False)
    _not_modified_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _fetched: list[tuple[int, str | None, str | None, datetime]] | None = field(
        default=None, init=False, repr=False
    )
    _deferred_before: dict[int, int] = field(default_factory=dict, init=False, repr=False)
    _seen: list[tuple[int, SeenEntry]] | None = field(default=None, init=False, repr=False)
    _stories: StoryClusterer | None = field(default=None, init=False, repr=False)
    _stories_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def stories(self) -> StoryClusterer:
        """The story index, seeded from the store's recent articles on first use."""
        with self._stories_lock:
            if self._stories is None:
                since = self.clock() - STORY_WINDOW
                self._stories = StoryClusterer(self.store.recent_fingerprints(since))
            return self._stories

    def poll_cycle(self) -> CycleReport:
        """Polls every due feed once (leased, so other instances skip them).

        A feed's or an entry's expected failure is in the report. Anything else a feed's poll raises (a
        bug, a lost database, a stop) is raised once every feed of the cycle is done: see :func:`_gathered`."""
        started = time.monotonic()
        with self._stories_lock:
            self._stories = None  # re-seeded, so articles other instances stored are seen
        claimed = self.store.claim_due_feeds(self.clock(), self.owner, lease=self._lease())
        report = CycleReport()
        if claimed:
            self.parser.start()  # not waited for: feeds are parsed here until it is ready
            self._fetch_all = frozenset(self.store.fetch_all_feeds())
            self._not_modified = []  # the cycle's 304s, written in one statement at its end
            self._fetched = []  # and its feeds fetched whole, in another
            self._seen = []  # and the entries it did not fetch, SEEN_BATCH at a time (the rest first)
            self._deferred_before = self.store.entries_deferred()
            try:
                with ThreadPoolExecutor(max_workers=min(self.workers, len(claimed))) as pool:
                    parts = [pool.submit(self._poll_feed_safely, feed) for feed in claimed]
                _gathered(parts, report)
            finally:
                with self._not_modified_lock:
                    done, self._not_modified = self._not_modified, None
                    fetched, self._fetched = self._fetched, None
                    seen, self._seen = self._seen, None
                # the entries first: a feed's new ETag is kept only once its entries are recorded
                with self.store.write_lock():
                    self.store.record_entries_seen_many(seen or [], self.clock())
                self.store.record_feeds_not_modified(done or [], self.clock())
                self.store.record_feeds_fetched(fetched or [], self.clock())
        report.duration = time.monotonic() - started
        return report

    def _lease(self) -> timedelta:
        return max(timedelta(minutes=10), self.poll_interval)

    def _poll_feed_safely(self, feed: FeedState) -> CycleReport:
        report = CycleReport()
        try:
            self.poll_feed(feed, report)
        except BaseException:
            self.store.release_feed(feed.id, self.owner)
            raise
        return report

    def poll_feed(self, feed: FeedState, report: CycleReport) -> None:
        interval = timedelta(seconds=feed.interval_s) if feed.interval_s else self.poll_interval
        report.feeds_polled += 1
        try:
            fetched = self.http.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified, accept=FEED_ACCEPT
            )
            entries = (
                []
                if fetched.content is None
                else self.parser.parse(fetched, feed.name, timeout=self.parse_timeout)
            )
        except (FetchError, FeedParseError) as exc:
            kind = ProblemKind.feed(exc.kind) if isinstance(exc, FetchError) else ProblemKind.PARSE
            self._feed_failed(
                feed,
                kind,
                str(exc),
                interval,
                report,
                exc.retry_after if isinstance(exc, FetchError) else None,
            )
            return
        if fetched.content is None:
            report.not_modified += 1
            with self._not_modified_lock:
                if self._not_modified is not None:
                    self._not_modified.append((feed.id, self._next_poll(fetched, interval)))
                    return
        else:
            deferred = self.process_entries(
                feed.id,
                entries,
                report,
                limit=self.max_new_entries,
                fetch_all=feed.name in self._fetch_all,
                feed_tags=feed.tags,
            )
            if deferred or self._deferred_before.get(feed.id):  # a count to keep or to clear
                self.store.record_entries_deferred(feed.id, deferred, self.clock())
            if deferred:  # no validators kept: the next fetch gets the whole feed, not a 304
                log.info("feed %s: %d new entries deferred to later cycles", feed.name, deferred)
                fetched = dataclasses.replace(fetched, etag=None, last_modified=None)
            with self._not_modified_lock:
                if self._fetched is not None:
                    next_poll = self._next_poll(fetched, interval)
                    self._fetched.append((feed.id, fetched.etag, fetched.last_modified, next_poll))
                    return
        self.store.record_feed_success(feed.id, fetched, self.clock(), self._next_poll(fetched, interval))

    def _next_poll(self, fetched: Fetched, interval: timedelta) -> datetime:
        wait = interval
        for hint in (fetched.retry_after, fetched.max_age):
            if hint is not None:
                wait = max(wait, min(timedelta(seconds=hint), timedelta(days=1)))
        return self.clock() + wait

    def _feed_failed(
        self,
        feed: FeedState,
        kind: ProblemKind,
        message: str,
        interval: timedelta,
        report: CycleReport,
        retry_after: float | None,
    ) -> None:
        log.warning("feed %s failed (%s): %s", feed.name, kind.value, message)
        report.feeds_failed += 1
        report.problem(feed.name, kind, message)
        state = self.store.record_feed_failure(
            feed.id, kind.value, message, self.clock(), interval, retry_after
        )
        if (
            state.consecutive_failures >= self.failure_threshold
            and not state.failure_notified
            and self.notifier
        ):
            self.notifier.feed_failing(state, message)
            self.store.mark_failure_notified(feed.id)

    def process_entries(
        self,
        feed_id: int,
        entries: list[FeedEntry],
        report: CycleReport,
        *,
        source: str = "feed",
        policy: AlertPolicy | None = None,
        limit: int | None = None,
        fetch_all: bool = False,
        feed_tags: tuple[str, ...] = (),
    ) -> int:
        """Processes the entries not processed before (new identities, or edited ones), at most
        ``limit`` of them, newest first; returns how many were left for a later cycle.

        Unless ``fetch_all``, what the feed says decides first (:func:`watcher.ingest.feeds.worth_fetching`):
        an entry whose title, summary and categories name no tracked company is recorded as seen,
        all of a feed's such entries in one statement, and its page is not fetched. With
        ``fetch_all`` (a feed marked `fetch: all`, and backfill) entries only seen before are
        fetched now."""
        report.entries_seen += len(entries)
        done = self.store.processed_identities(
            feed_id, [e.entry_id for e in entries], include_seen=not fetch_all
        )
        pending = [(e, h) for e in entries if done.get(e.entry_id) != (h := entry_hash(e))]
        if not fetch_all:
            pending = self._skip_unfetched(feed_id, pending, feed_tags, report)
        chosen, deferred = newest_first(pending, limit)
        report.entries_deferred += deferred
        for entry, h in chosen:
            report.entries_new += 1
            report.tally(self.process_entry(feed_id, entry, h, source=source, policy=policy))
        return deferred

    def _skip_unfetched(
        self,
        feed_id: int,
        pending: list[tuple[FeedEntry, str]],
        feed_tags: tuple[str, ...],
        report: CycleReport,
    ) -> list[tuple[FeedEntry, str]]:
        """The pending entries worth fetching; the others are recorded as seen in one statement."""
        wanted: list[tuple[FeedEntry, str]] = []
        seen: list[SeenEntry] = []
        for entry, h in pending:
            if feeds.worth_fetching(entry, self.tracked_names, feed_tags):
                wanted.append((entry, h))
            else:
                entry = clean_fields(entry)
                seen.append(SeenEntry(entry.entry_id, entry.link, entry.title, entry.published, h))
        if seen:
            full: list[tuple[int, SeenEntry]] = []
            with self._not_modified_lock:
                batch = self._seen
                if batch is not None:  # in a cycle: written with other feeds' in one statement
                    batch.extend((feed_id, e) for e in seen)
                    if len(batch) >= SEEN_BATCH:  # bounded: memory stays flat however many feeds
                        full, self._seen = batch, []
            if batch is not None:
                if full:
                    with self.store.write_lock():
                        self.store.record_entries_seen_many(full, self.clock())
                report.entries_not_fetched += len(seen)
                return wanted
            try:
                with self.store.write_lock():
                    self.store.record_entries_seen(feed_id, seen, self.clock())
            except StorageError as exc:
                if exc.transient:
                    raise
                log.error("could not record %d entries not fetched: %s", len(seen), exc)
                report.problem(
                    pending[0][0].feed, ProblemKind.ENTRY, f"{len(seen)} entries not fetched: {exc}"
                )
                return wanted
            report.entries_not_fetched += len(seen)
        return wanted

    def process_entry(
        self,
        feed_id: int,
        entry: FeedEntry,
        h: str,
        *,
        source: str,
        page: Fetched | None = None,
        article: Article | None = None,
        policy: AlertPolicy | None = None,
    ) -> EntryResult:
        """Fetches, extracts, analyses and stores one entry, and says what became of it.

        Only the expected failures are caught, as values: a page that cannot be fetched (``FetchError``) or
        read (``ExtractionError``) makes the entry PARTIAL, stored from the feed's own text; a write the
        database refuses (``StorageError``, not transient) makes it FAILED, recorded and retried next cycle.
        A lost database (a transient ``StorageError``), a cancelled fetch and any other exception -- a bug:
        ``TypeError``, ``KeyError``, ... -- propagate and stop the cycle, with a note naming the entry.
        Text from outside is cleaned here (NUL, lone surrogates: :mod:`watcher.cleantext`)."""
        try:
            return self._process_entry(feed_id, clean_fields(entry), h, source, page, article, policy)
        except Exception as exc:
            if not isinstance(exc, WatcherError):  # a bug: the traceback says where, the note what
                exc.add_note(
                    f"watcher: raised processing entry {entry.link or entry.entry_id} of feed {entry.feed}"
                )
            raise

    def _process_entry(
        self,
        feed_id: int,
        entry: FeedEntry,
        h: str,
        source: str,
        page: Fetched | None,
        article: Article | None,
        policy: AlertPolicy | None,
    ) -> EntryResult:
        fallback: Problem | None = None
        if article is None:
            article, fallback = self._article(entry, page)
        article = clean_fields(article)
        relevant = feeds.is_relevant((entry.title, entry.summary, article.text), self.tracked_names)
        if not relevant:
            claims: list[Claim] = []
            findings: list[Finding] = []
        else:
            claims, findings = self.analyser.analyse(article)
        sketch = stories.fingerprint(article.text) if article.text else None
        clusterer = self.stories()
        hint, claim = clusterer.claim(sketch, article.canonical_url) if sketch is not None else (None, None)
        stored = None
        try:
            with self.store.write_lock():  # SQLite only: one writer at a time
                stored = self.store.store_processed_entry(
                    feed_id=feed_id,
                    identity=entry.entry_id,
                    entry_hash=h,
                    link=entry.link,
                    title=entry.title,
                    published=entry.published,
                    article=article,
                    fingerprint=sketch.to_bytes() if sketch is not None else None,
                    story_hint=hint,
                    claims=claims,
                    findings=findings,
                    baseline_version=self.analyser.version,
                    policy=policy or self.policy,
                    now=self.clock(),
                    source=source,
                )
        except StorageError as exc:
            if exc.transient:  # the whole cycle's work waits for the database, not this entry
                raise
            return self._entry_failed(feed_id, entry, exc, not relevant)
        finally:
            story_id = stored.story_id if stored is not None else None
            if claim is not None:
                clusterer.settle(claim, story_id)
            if sketch is not None and story_id is not None:
                clusterer.add(sketch, article.canonical_url, story_id)
        return EntryResult(
            EntryStatus.PARTIAL if article.partial else EntryStatus.OK,
            kind=fallback.kind if fallback is not None else None,
            problems=(fallback,) if fallback is not None else (),
            irrelevant=not relevant,
            findings=stored.new_findings,
            alerts=stored.new_deliveries,
        )

    def _entry_failed(
        self, feed_id: int, entry: FeedEntry, exc: StorageError, irrelevant: bool
    ) -> EntryResult:
        """Records an entry whose write the database refused (retried next cycle)."""
        item = entry.link or entry.entry_id
        log.error("entry %s of feed %s not stored: %s", item, entry.feed, exc)
        problem = Problem.of(item, ProblemKind.ENTRY, f"{type(exc).__name__}: {exc}")
        try:
            self.store.record_entry_error(
                feed_id=feed_id,
                identity=entry.entry_id,
                link=entry.link,
                title=entry.title,
                error=str(exc),
                now=self.clock(),
            )
        except StorageError as again:
            if again.transient:
                raise
            log.error("could not record the failure of entry %s either: %s", entry.entry_id, again)
        return dataclasses.replace(EntryResult.failed(problem), irrelevant=irrelevant)

    def _article(self, entry: FeedEntry, page: Fetched | None) -> tuple[Article, Problem | None]:
        """The entry's article, from its page; from the feed's own text when there is no page to fetch, or
        it cannot be fetched or read (then with the problem that made it so)."""
        if page is None:
            if not entry.link:
                return self._summary_article(entry), None
            try:
                page = self.http.fetch(entry.link)
            except FetchError as exc:
                log.info("page %s not fetched (%s): using the feed's summary", entry.link, exc)
                return self._summary_article(entry), Problem.of(
                    entry.link, ProblemKind.page(exc.kind), str(exc)
                )
        try:
            article = extract.extract_article(
                page,
                fallback_title=entry.title,
                fallback_summary=entry.summary,
                timeout=self.extract_timeout,
                max_bytes=self.max_bytes,
            )
        except ExtractionError as exc:
            where = entry.link or page.url
            return self._summary_article(entry), Problem.of(where, ProblemKind.EXTRACT, str(exc))
        return article, None

    def _summary_article(self, entry: FeedEntry) -> Article:
        url = entry.link or f"urn:entry:{entry.entry_id}"
        text = entry.summary or entry.title
        return Article(
            url=url,
            canonical_url=stories.canonical_url(url) if entry.link else url,
            title=entry.title,
            text=text,
            published=entry.published,
            site=stories.site_of(url) if entry.link else None,
            content_hash=stories.content_hash(text),
            partial=True,
        )


def _gathered(parts: list[Future[CycleReport]], report: CycleReport) -> None:
    """Adds the report of every feed whose poll finished. When some raised, raises once all are done: a
    bug first (any exception that is not a :class:`WatcherError`; the other bugs are logged with their
    tracebacks, so none is lost), else the first error (a lost database, a stop)."""
    raised: list[BaseException] = []
    for part in parts:
        exc = part.exception()
        if exc is None:
            report.add(part.result())
        else:
            raised.append(exc)
    if not raised:
        return
    bugs = [exc for exc in raised if not isinstance(exc, WatcherError)]
    for other in bugs[1:]:
        log.error("another feed's poll failed in the same cycle: %r", other, exc_info=other)
    raise bugs[0] if bugs else raised[0]

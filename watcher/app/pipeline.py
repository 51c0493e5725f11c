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
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from watcher.cleantext import clean_fields
from watcher.errors import (
    ExtractionError,
    FeedParseError,
    FetchCancelled,
    FetchError,
    StorageError,
    WatcherError,
)
from watcher.ingest import extract, feeds, stories
from watcher.ingest.http import FEED_ACCEPT, HttpClient
from watcher.logs import mask_url_passwords
from watcher.store import Store
from watcher.store.article_ops import STORY_WINDOW, AlertPolicy
from watcher.store.feed_ops import FeedState, SeenEntry
from watcher.types import Article, Claim, FeedEntry, Fetched, Finding

log = logging.getLogger(__name__)
MAX_ENTRY_ATTEMPTS = 3


class Analyser(Protocol):
    """Claims and findings of one article against the current baseline (the differ)."""

    @property
    def version(self) -> str: ...

    def analyse(self, article: Article) -> tuple[list[Claim], list[Finding]]: ...


class FailureNotifier(Protocol):
    def feed_failing(self, feed: FeedState, error: str) -> None: ...


@dataclass
class CycleReport:
    feeds_polled: int = 0
    not_modified: int = 0
    feeds_failed: int = 0
    entries_seen: int = 0
    entries_new: int = 0
    entries_irrelevant: int = 0
    entries_not_fetched: int = 0
    entries_deferred: int = 0
    articles: int = 0
    partial: int = 0
    findings: int = 0
    alerts_queued: int = 0
    errors: list[str] = field(default_factory=list)
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0

    def add(self, other: CycleReport) -> None:
        for name in (
            "feeds_polled",
            "not_modified",
            "feeds_failed",
            "entries_seen",
            "entries_new",
            "entries_irrelevant",
            "entries_not_fetched",
            "entries_deferred",
            "articles",
            "partial",
            "findings",
            "alerts_queued",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors
        for kind, n in other.errors_by_kind.items():
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + n

    def error(self, kind: str, message: str) -> None:
        self.errors.append(mask_url_passwords(message))  # shown by `poll` and kept in --json output
        self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1


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
    max_bytes: int = 5_000_000
    failure_threshold: int = 5
    max_new_entries: int | None = 50
    workers: int = 8
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())
    notifier: FailureNotifier | None = None
    _fetch_all: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _not_modified: list[tuple[int, datetime]] | None = field(default=None, init=False, repr=False)
    _not_modified_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _fetched: list[tuple[int, str | None, str | None, datetime]] | None = field(
        default=None, init=False, repr=False
    )
    _deferred_before: dict[int, int] = field(default_factory=dict, init=False, repr=False)
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
        """Polls every due feed once (leased, so other instances skip them)."""
        started = time.monotonic()
        with self._stories_lock:
            self._stories = None  # re-seeded, so articles other instances stored are seen
        claimed = self.store.claim_due_feeds(self.clock(), self.owner, lease=self._lease())
        report = CycleReport()
        if claimed:
            self._fetch_all = frozenset(self.store.fetch_all_feeds())
            self._not_modified = []  # the cycle's 304s, written in one statement at its end
            self._fetched = []  # and its feeds fetched whole, in another
            self._deferred_before = self.store.entries_deferred()
            try:
                with ThreadPoolExecutor(max_workers=min(self.workers, len(claimed))) as pool:
                    for part in pool.map(self._poll_feed_safely, claimed):
                        report.add(part)
            finally:
                with self._not_modified_lock:
                    done, self._not_modified = self._not_modified, None
                    fetched, self._fetched = self._fetched, None
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
            entries = [] if fetched.content is None else feeds.parse_feed(fetched, feed.name)
        except (FetchError, FeedParseError) as exc:
            kind = exc.kind if isinstance(exc, FetchError) else "parse"
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
        kind: str,
        message: str,
        interval: timedelta,
        report: CycleReport,
        retry_after: float | None,
    ) -> None:
        log.warning("feed %s failed (%s): %s", feed.name, kind, message)
        report.feeds_failed += 1
        report.error(kind, f"{feed.name}: {message}")
        state = self.store.record_feed_failure(feed.id, kind, message, self.clock(), interval, retry_after)
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
            self.process_entry(feed_id, entry, h, report, source=source, policy=policy)
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
            try:
                with self.store.write_lock():
                    self.store.record_entries_seen(feed_id, seen, self.clock())
            except StorageError as exc:
                if exc.transient:
                    raise
                log.error("could not record %d entries not fetched: %s", len(seen), exc)
                report.error("entry", f"entries not fetched: {exc}")
                return wanted
            report.entries_not_fetched += len(seen)
        return wanted

    def process_entry(
        self,
        feed_id: int,
        entry: FeedEntry,
        h: str,
        report: CycleReport,
        *,
        source: str,
        page: Fetched | None = None,
        article: Article | None = None,
        policy: AlertPolicy | None = None,
    ) -> None:
        """Fetches, extracts, analyses and stores one entry; a failure is recorded, not raised.

        Text from outside is cleaned here (NUL, lone surrogates: :mod:`watcher.cleantext`); a write the
        database refuses is this entry's failure too. Only a lost database stops the cycle."""
        entry = clean_fields(entry)
        try:
            article = article or self._article(entry, report, page)
        except FetchCancelled:
            raise  # stopping: the entry stays unprocessed for the next cycle
        except Exception as exc:  # noqa: BLE001 - one entry's failure never stops the cycle
            if self._entry_failed(feed_id, entry, exc, report) < MAX_ENTRY_ATTEMPTS:
                return
            article = self._summary_article(entry)
        article = clean_fields(article)
        relevant = feeds.is_relevant((entry.title, entry.summary, article.text), self.tracked_names)
        if not relevant:
            report.entries_irrelevant += 1
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
            self._entry_failed(feed_id, entry, exc, report)
            return
        finally:
            story_id = stored.story_id if stored is not None else None
            if claim is not None:
                clusterer.settle(claim, story_id)
            if sketch is not None and story_id is not None:
                clusterer.add(sketch, article.canonical_url, story_id)
        report.articles += 1
        report.partial += int(article.partial)
        report.findings += stored.new_findings
        report.alerts_queued += stored.new_deliveries

    def _entry_failed(self, feed_id: int, entry: FeedEntry, exc: Exception, report: CycleReport) -> int:
        """Records one entry's failure (retried next cycle); returns its attempts so far."""
        log.error(
            "entry %s of feed %s failed: %s: %s",
            entry.link or entry.entry_id,
            entry.feed,
            type(exc).__name__,
            exc,
            exc_info=not isinstance(exc, WatcherError),
        )
        report.error("entry", f"{entry.link or entry.entry_id}: {type(exc).__name__}: {exc}")
        try:
            return self.store.record_entry_error(
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
            return 0

    def _article(self, entry: FeedEntry, report: CycleReport, page: Fetched | None) -> Article:
        if page is None:
            if not entry.link:
                return self._summary_article(entry)
            try:
                page = self.http.fetch(entry.link)
            except FetchError as exc:
                log.info("page %s not fetched (%s): using the feed's summary", entry.link, exc)
                report.error(f"page_{exc.kind}", str(exc))
                return self._summary_article(entry)
        try:
            return extract.extract_article(
                page,
                fallback_title=entry.title,
                fallback_summary=entry.summary,
                timeout=self.extract_timeout,
                max_bytes=self.max_bytes,
            )
        except ExtractionError as exc:
            report.error("extract", str(exc))
            return self._summary_article(entry)

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


def report_lines(report: CycleReport) -> Iterable[str]:
    from watcher.text import plural

    yield (
        f"{plural(report.feeds_polled, 'feed')} polled ({report.not_modified} not modified, "
        f"{report.feeds_failed} failed), {plural(report.entries_new, 'new entry', 'new entries')}"
        + (f" ({report.entries_deferred} more deferred to later cycles)" if report.entries_deferred else "")
        + (f", {report.entries_not_fetched} not fetched (irrelevant)" if report.entries_not_fetched else "")
        + f", {plural(report.articles, 'article')} ({report.partial} partial), "
        f"{plural(report.findings, 'finding')}, {plural(report.alerts_queued, 'alert')} queued "
        f"in {report.duration:.1f}s"
    )
    for err in report.errors[:20]:
        yield f"  error: {err}"
    if len(report.errors) > 20:
        yield f"  ... and {plural(len(report.errors) - 20, 'more error')}"

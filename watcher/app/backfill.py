"""History: backfill from a folder of saved pages, a file of URLs or the feeds; re-diff stored articles.

Backfills are resumable: each item's identity is recorded in the same transaction as its
article and findings, so a second run skips what the first one stored. Backfilled findings
go to the digest; instant alerts only with ``alert=True``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.app.pipeline import NOT_MODIFIED, CycleReport, EntryResult, EntryStatus
from watcher.errors import ExtractionError, FeedParseError, FetchError, WatcherError
from watcher.ingest import extract, stories
from watcher.ingest.articles_io import looks_binary, parse_txt
from watcher.ingest.http import FEED_ACCEPT
from watcher.reports import Problem, ProblemKind, Report
from watcher.store.article_ops import AlertPolicy
from watcher.store.outbox_ops import finding_from_row
from watcher.store.schema import FindingRow
from watcher.text import plural
from watcher.types import Article, FeedEntry, FeedSource, Fetched

if TYPE_CHECKING:
    from rich.progress import Progress

    from watcher.app.root import Watcher

log = logging.getLogger(__name__)
PAGE_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt"}


@dataclass
class BackfillReport(Report):
    """What a backfill did, and the problems of its items (files, URLs, feeds)."""

    articles: int = 0
    skipped: int = 0  # stored before: a backfill resumes
    partial: int = 0
    findings: int = 0
    alerts_queued: int = 0
    failed: int = 0  # items refused, unreadable or refused by the database: not stored

    def tally(self, result: EntryResult) -> None:
        """Counts what became of one item and takes its problems."""
        self.problems += result.problems
        if result.status is EntryStatus.NOT_MODIFIED:
            self.skipped += 1
        elif result.status is EntryStatus.FAILED:
            self.failed += 1
        else:
            self.articles += 1
            self.partial += int(result.status is EntryStatus.PARTIAL)
            self.findings += result.findings
            self.alerts_queued += result.alerts

    def headline(self) -> str:
        return (
            f"{plural(self.articles, 'article')} stored ({self.skipped} already there, "
            f"{self.partial} partial), {self.failed} failed, {plural(self.findings, 'finding')}, "
            f"{plural(len(self.problems), 'error')}"
        )


def _progress(enabled: bool) -> Progress:
    # imported here: rich (and the pygments it brings) is ~8 MB a polling process never needs
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    return Bar(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
        console=Console(stderr=True),
    )


def _pseudo_feed(w: Watcher, name: str, url: str) -> int:
    return w.store.ensure_feed(FeedSource(name=name, url=url, enabled=False))


def saved_files(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES | TEXT_SUFFIXES
    )


def backfill_dir(
    w: Watcher, directory: Path, *, since: datetime | None = None, alert: bool = False, progress: bool = True
) -> BackfillReport:
    """Every saved page (.html) or article text (.txt) below ``directory``."""
    files = saved_files(directory)
    feed_id = _pseudo_feed(w, "backfill:files", directory.resolve().as_uri())
    identities = {f"file:{p.resolve()}": p for p in files}
    done = w.store.processed_identities(feed_id, list(identities))
    report = BackfillReport()
    policy = w.alert_policy(alert=alert)
    started = time.monotonic()
    with _progress(progress) as bar:
        task = bar.add_task(f"backfill {directory.name}", total=len(files))
        for (path, h, entry), outcome in _read_files(w, identities, done):
            bar.advance(task)
            report.tally(_backfilled(w, feed_id, path, h, entry, outcome, since, policy))
    report.duration = time.monotonic() - started
    return report


def _backfilled(
    w: Watcher,
    feed_id: int,
    path: Path,
    h: str,
    entry: FeedEntry | None,
    outcome: Article | WatcherError | None,
    since: datetime | None,
    policy: AlertPolicy,
) -> EntryResult:
    """What became of one saved file, its article read (or refused) by :func:`_read_files`."""
    if isinstance(outcome, ExtractionError):
        return EntryResult.failed(Problem.of(str(path), ProblemKind.EXTRACT, str(outcome)))
    if isinstance(outcome, WatcherError):
        return EntryResult.failed(Problem.of(str(path), ProblemKind.UNREADABLE, str(outcome)))
    if entry is None or outcome is None:  # stored before, unchanged
        return NOT_MODIFIED
    if since and entry.published and entry.published < since:
        return NOT_MODIFIED
    return w.pipeline.process_entry(
        feed_id, entry, h, source="backfill", page=None, article=outcome, policy=policy
    )


_Key = tuple[Path, str, FeedEntry | None]


def _read_files(
    w: Watcher, identities: dict[str, Path], done: dict[str, str | None]
) -> Iterator[tuple[_Key, Article | WatcherError | None]]:
    """Each file's (path, content hash, entry) and its article (or the error that refused it, or None
    when it was stored before unchanged), in order; the saved pages go through
    :func:`watcher.ingest.extract.extract_articles`, so the worker extracts the next pages while the
    caller stores this one. A saved page without article text is refused, not stored as a stub."""
    ready: dict[int, tuple[_Key, Article | WatcherError | None]] = {}

    def items() -> Iterator[tuple[int, Fetched | None, str, str]]:
        for n, (identity, path) in enumerate(identities.items()):
            try:
                content = path.read_bytes()
            except OSError as exc:  # gone or unreadable since the folder was listed
                ready[n] = ((path, "", None), Unreadable(f"cannot read: {exc.strerror}"))
                yield n, None, "", ""
                continue
            h = hashlib.sha256(content).hexdigest()[:32]
            if done.get(identity) == h:
                ready[n] = ((path, h, None), None)
                yield n, None, "", ""
                continue
            try:
                entry, page, article = _file_item(path, identity, content)
            except WatcherError as exc:
                ready[n] = ((path, h, None), exc)
                yield n, None, "", ""
                continue
            ready[n] = ((path, h, entry), article)
            yield n, page, entry.title, ""

    pages = extract.extract_articles(
        items(), timeout=w.settings.extract_timeout, max_bytes=w.settings.max_page_bytes
    )
    for n, extracted in pages:
        key, outcome = ready.pop(n)
        yield key, extracted if extracted is not None else outcome


class Unreadable(WatcherError):
    """A saved file that is empty or binary: not an article."""


def _file_item(path: Path, identity: str, content: bytes) -> tuple[FeedEntry, Fetched | None, Article | None]:
    uri = path.resolve().as_uri()
    if not content.strip():
        raise Unreadable("the file is empty")
    if looks_binary(content):
        raise Unreadable("not a text or HTML file (binary content)")
    if path.suffix.lower() in TEXT_SUFFIXES:
        parsed = parse_txt(str(path), content.decode("utf-8", errors="replace"))
        published = (
            datetime(parsed.published.year, parsed.published.month, parsed.published.day, tzinfo=UTC)
            if parsed.published
            else None
        )
        article = Article(
            url=uri,
            canonical_url=uri,
            title=parsed.title,
            text=parsed.text,
            published=published,
            site=None,
            content_hash=stories.content_hash(parsed.text),
            partial=parsed.partial,
        )
        entry = FeedEntry(
            feed="backfill:files",
            entry_id=identity,
            link=article.url,
            title=article.title,
            summary="",
            published=article.published,
        )
        return entry, None, article
    page = Fetched(url=uri, status=200, content=content, content_type="text/html", final_url=uri)
    entry = FeedEntry(
        feed="backfill:files", entry_id=identity, link=uri, title=path.stem, summary="", published=None
    )
    return entry, page, None


def backfill_urls(
    w: Watcher, urls_file: Path, *, since: datetime | None = None, alert: bool = False, progress: bool = True
) -> BackfillReport:
    """Each URL in a file (one a line, '#' comments allowed), fetched under the HTTP policy."""
    urls = [
        u.strip()
        for u in urls_file.read_text(encoding="utf-8").splitlines()
        if u.strip() and not u.lstrip().startswith("#")
    ]
    feed_id = _pseudo_feed(w, "backfill:urls", urls_file.resolve().as_uri())
    done = w.store.processed_identities(feed_id, urls)
    report = BackfillReport()
    started = time.monotonic()
    with _progress(progress) as bar:
        task = bar.add_task(f"backfill {urls_file.name}", total=len(urls))
        for url in urls:
            if url in done:
                report.tally(NOT_MODIFIED)
            else:
                entry = FeedEntry(
                    feed="backfill:urls", entry_id=url, link=url, title="", summary="", published=None
                )
                report.tally(
                    w.pipeline.process_entry(
                        feed_id, entry, url, source="backfill", policy=w.alert_policy(alert=alert)
                    )
                )
            bar.advance(task)
    report.duration = time.monotonic() - started
    return report


def backfill_feeds(w: Watcher, *, since: datetime | None = None, alert: bool = False) -> BackfillReport:
    """Everything the configured feeds still list (unconditional fetch), published since ``since``."""
    w.sync_feeds()
    report = BackfillReport()
    started = time.monotonic()
    for row in w.store.feed_rows():
        if not row.enabled:
            continue
        try:
            fetched = w.http.fetch(row.url, accept=FEED_ACCEPT)
            entries = w.pipeline.parser.parse(fetched, row.name, timeout=w.settings.parse_timeout)
        except (FetchError, FeedParseError) as exc:
            kind = ProblemKind.feed(exc.kind) if isinstance(exc, FetchError) else ProblemKind.PARSE
            report.problem(row.name, kind, str(exc))
            continue
        wanted = [e for e in entries if not (since and e.published and e.published < since)]
        cycle = CycleReport()
        w.pipeline.process_entries(  # every page, also of entries a poll only recorded as seen
            row.id, wanted, cycle, source="backfill", policy=w.alert_policy(alert=alert), fetch_all=True
        )
        report.skipped += cycle.entries_seen - cycle.entries_new
        report.failed += cycle.entries_failed
        report.add(cycle)  # articles, partial, findings, alerts_queued and the problems
    report.duration = time.monotonic() - started
    return report


def _change(kind: str, f: FindingRow, url: str) -> dict[str, Any]:
    finding = finding_from_row(f)
    return {
        "change": kind,
        "kind": str(finding.kind),
        "parties": list(finding.parties),
        "attribute": finding.attribute,
        "baseline_fact": finding.baseline_fact,
        "new_value": finding.new_value,
        "evidence": finding.evidence,
        "url": url,
    }


def rediff_all(w: Watcher, *, alert: bool = False, progress: bool = True) -> list[dict[str, Any]]:
    """Re-runs the differ over every stored article; returns the findings that appeared or disappeared."""
    rows = w.store.article_rows()
    policy = w.alert_policy(alert=alert)
    changes: list[dict[str, Any]] = []
    with _progress(progress) as bar:
        task = bar.add_task("rediff", total=len(rows))
        for row in rows:
            before = {f.signature: f for f in w.store.active_findings(row.id)}
            article = Article(
                url=row.url,
                canonical_url=row.canonical_url,
                title=row.title,
                text=row.text,
                published=row.published,
                site=row.site,
                content_hash=row.content_hash,
                partial=row.partial,
            )
            claims, found = w.pipeline.analyser.analyse(article)
            w.store.rediff_article(row.id, claims, found, w.pipeline.analyser.version, policy, w.clock())
            after = {f.signature: f for f in w.store.active_findings(row.id)}
            changes += [_change("appeared", f, row.url) for s, f in after.items() if s not in before]
            changes += [_change("disappeared", f, row.url) for s, f in before.items() if s not in after]
            bar.advance(task)
    return changes

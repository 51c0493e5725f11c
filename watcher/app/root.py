"""The composition root: :func:`make_watcher` wires real adapters; tests swap any of them.

:class:`Watcher` is what the CLI and the scheduler call: one poll cycle, draining the
outbox, the digest, backfills and re-diffs. No business rule lives here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watcher import __version__
from watcher.app.metrics import Metrics
from watcher.app.pipeline import CycleReport, Pipeline
from watcher.app.queries import confirmed_facts
from watcher.baseline.facts import Baseline, load_baseline
from watcher.config import Settings
from watcher.differ import analyse
from watcher.differ.entities import EntityIndex, load_entities
from watcher.errors import ConfigError, WatcherError
from watcher.ingest import feeds
from watcher.ingest.http import HttpClient
from watcher.notify.channels import ConsoleChannel, ConsoleDigestSink, EmailDigestSink, TelegramChannel
from watcher.notify.digest import DigestService
from watcher.notify.outbox import Channel, DrainReport, Outbox, send_lease
from watcher.notify.render import MAX_ALERT_PARTS
from watcher.store import Store, open_store
from watcher.store.article_ops import AlertPolicy
from watcher.store.feed_ops import FeedState
from watcher.types import Article, Claim, Fact, Finding

log = logging.getLogger(__name__)
FEEDS_STAMP_KEY = "feeds_file:stamp"  # state key: path, mtime, size and sha256 of the feeds file last synced


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class DifferAnalyser:
    """The pipeline's view of the differ: claims and findings of one article."""

    baseline: Baseline
    entities: EntityIndex

    @property
    def version(self) -> str:
        return self.baseline.version

    def analyse(self, article: Article) -> tuple[list[Claim], list[Finding]]:
        year = article.published.year if article.published else None
        result = analyse(
            article.text,
            self.baseline,
            self.entities,
            title=article.title,
            partial=article.partial,
            reference_year=year,
        )
        return list(result.claims), list(result.findings)


def tracked_names(entities: EntityIndex) -> tuple[str, ...]:
    """Tracked companies and all their aliases: what makes an entry relevant."""
    tracked = entities.tracked or frozenset({"Microsoft", "OpenAI"})
    names = set(tracked) | {alias for alias, canon in entities.aliases.items() if canon in tracked}
    return tuple(sorted(names, key=len, reverse=True))


@dataclass
class Watcher:
    settings: Settings
    store: Store
    http: HttpClient
    entities: EntityIndex
    baseline: Baseline
    pipeline: Pipeline
    outbox: Outbox
    digest: DigestService
    channels: dict[str, Channel]
    clock: Callable[[], datetime]
    owner: str
    metrics: Metrics = field(default_factory=Metrics)
    _feeds_stamp: tuple[int, int] | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def poll_once(
        self, *, deliver: bool = True, deadline: float | None = None
    ) -> tuple[CycleReport, DrainReport | None]:
        """One cycle over the due feeds, then the alerts it queued (retried for ``deadline`` seconds,
        by default WATCHER_DELIVERY_DEADLINE)."""
        self.sync_feeds()
        report = self.pipeline.poll_cycle()
        self.metrics.observe_cycle(report, at=self.clock())
        self.store.set_state(
            "last_poll",
            {"at": self.clock().isoformat(), "duration": report.duration, "errors": len(report.errors)},
        )
        wait = self.settings.delivery_deadline if deadline is None else deadline
        drained = self.deliver(wait) if deliver else None
        return report, drained

    def accept_fact(self, fact: Fact) -> None:
        """Adds a fact an analyst confirmed to the baseline this watcher compares with, at once."""
        self.baseline = Baseline.from_facts([*self.baseline.facts, fact], path=self.baseline.path)
        self.pipeline.analyser.baseline = self.baseline

    def sync_feeds(self) -> None:
        """Makes the database's feed list match WATCHER_FEEDS_FILE; a missing file or a folder is an error
        (polling on with the feeds stored earlier would hide that the configured list is not read)."""
        path = Path(self.settings.feeds_file)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise ConfigError(
                f"WATCHER_FEEDS_FILE: {path} {what}; point it at the feeds YAML "
                "(see config/feeds.yaml, or create it with `watcher feeds add`)"
            )
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self._feeds_stamp:  # unchanged file since this process synced it: nothing to do
            return
        content = path.read_bytes()
        persisted = {
            "path": str(path.resolve()),
            "mtime_ns": info.st_mtime_ns,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "version": __version__,  # a new watcher may read the same file differently
        }
        # the stamp of the last sync is kept in the database, so a one-shot run (`poll --once`, cron)
        # with an unchanged file skips the YAML parse and the upsert too (issue 14); the same bytes
        # are the same feeds, whatever the mtime says
        old = self.store.get_state(FEEDS_STAMP_KEY)
        if old != persisted:
            if not (
                isinstance(old, dict)
                and all(old.get(k) == persisted[k] for k in ("path", "sha256", "version"))
            ):
                self.store.sync_feeds(feeds.load_feeds(path))
            self.store.set_state(FEEDS_STAMP_KEY, persisted)
        self._feeds_stamp = stamp

    def deliver(self, deadline: float = 0.0) -> DrainReport:
        report = self.outbox.drain(deadline)
        self.metrics.observe_drain(report)
        return report

    def cancel_fetches(self) -> None:
        """Cancels every fetch in flight and later (stopping): the poll cycle ends at once and its
        unfinished feeds and entries are left for the next start. Thread-safe."""
        self.http.abort()

    def alert_policy(self, *, alert: bool = True) -> AlertPolicy:
        return self.pipeline.policy if alert else AlertPolicy(self.pipeline.policy.targets, enabled=False)

    def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception:  # noqa: BLE001 - closing is best effort
                log.debug("closing failed", exc_info=True)


@dataclass
class ChannelNotifier:
    """Tells the analyst once when a feed keeps failing (after N consecutive failures)."""

    channels: dict[str, Channel]
    targets: tuple[tuple[str, str], ...]

    def feed_failing(self, feed: FeedState, error: str) -> None:
        text = (
            f"⚠️ Feed '{feed.name}' has failed {feed.consecutive_failures} times in a row; watcher keeps "
            f"retrying with back-off (at most daily).\nLast error: {error}\n{feed.url}"
        )
        for channel_name, target in self.targets:
            channel = self.channels.get(channel_name)
            if channel is None:
                continue
            try:
                channel.notice(target, text)
            except WatcherError as exc:
                log.warning("could not send the feed-failure notice to %s:%s: %s", channel_name, target, exc)


def fact_origins(get_baseline: Callable[[], Baseline], seeds_dir: Path) -> Callable[[str | None], str | None]:
    """fact id -> where the fact comes from in words ('the seed of 2025-10-15'), for alerts and the digest.
    Seed dates are read once from the seeds' sidecars; a missing folder only loses the dates."""
    from watcher.baseline.seeds import load_seeds
    from watcher.notify.items import fact_origin

    dates: dict[str, str] = {}
    loaded: list[bool] = []

    def seed_date(name: str) -> str | None:
        if not loaded:
            loaded.append(True)
            try:
                seeds = load_seeds(seeds_dir)
            except WatcherError as exc:
                log.info("seed dates not shown: %s", exc)
                seeds = {}
            dates.update({n: seed.published.isoformat() for n, seed in seeds.items() if seed.published})
        return dates.get(name)

    def origin(fact_id: str | None) -> str | None:
        return fact_origin(get_baseline().get(fact_id), seed_date) if fact_id else None

    return origin


def instance_id(settings: Settings) -> str:
    return settings.instance_id or f"{socket.gethostname()}:{os.getpid()}"


def alert_targets(settings: Settings) -> tuple[tuple[str, str], ...]:
    """Telegram chats when configured, else the console (so defaults show what would be sent)."""
    if settings.telegram_enabled:
        return tuple(("telegram", str(chat)) for chat in settings.telegram_chat_ids)
    return (("console", "-"),)


def make_channels(settings: Settings, *, stream: Any = None) -> dict[str, Channel]:
    channels: dict[str, Channel] = {"console": ConsoleChannel(stream or sys.stdout)}
    if settings.telegram_enabled and settings.telegram_token is not None:
        channels["telegram"] = TelegramChannel.from_settings(settings)
    return channels


def make_watcher(
    settings: Settings,
    *,
    store: Store | None = None,
    http: HttpClient | None = None,
    clock: Callable[[], datetime] = utcnow,
    channels: dict[str, Channel] | None = None,
    digest_sink: Any = None,
    stream: Any = None,
) -> Watcher:
    """Builds a Watcher from settings; any part may be passed in instead (tests do)."""
    store = store or open_store(settings.database_url)
    http = http or HttpClient.from_settings(settings)
    entities = load_entities(settings.entities_file)
    curated = load_baseline(settings.baseline_file)
    store.record_baseline_version(
        curated.version, Path(settings.baseline_file).read_text(encoding="utf-8"), source="file"
    )
    baseline = Baseline.from_facts([*curated.facts, *confirmed_facts(store)], path=curated.path)
    owner = instance_id(settings)
    channels = channels if channels is not None else make_channels(settings, stream=stream)
    policy = AlertPolicy(targets=alert_targets(settings), min_confidence=settings.alert_min_confidence)
    pipeline = Pipeline(
        store=store,
        http=http,
        analyser=DifferAnalyser(baseline, entities),
        policy=policy,
        tracked_names=tracked_names(entities),
        owner=owner,
        poll_interval=timedelta(seconds=settings.poll_interval),
        extract_timeout=settings.extract_timeout,
        parse_timeout=settings.parse_timeout,
        max_bytes=settings.max_page_bytes,
        max_new_entries=settings.max_new_entries_per_feed,
        clock=clock,
    )
    pipeline.notifier = ChannelNotifier(channels, policy.targets)
    lease = send_lease(settings.http_timeout, MAX_ALERT_PARTS)
    outbox = Outbox(store=store, channels=channels, owner=owner, clock=clock, lease=lease)
    if digest_sink is None:
        digest_sink = (
            EmailDigestSink.from_settings(settings)
            if settings.email_enabled
            else ConsoleDigestSink(stream or sys.stdout)
        )
    digest = DigestService(
        store=store,
        sink=digest_sink,
        digest_time=settings.digest_time,
        tz=settings.tz,
        owner=owner,
        clock=clock,
        baseline_changes=store.baseline_changes,
    )
    closers: list[Callable[[], None]] = [store.close, http.close]
    closers += [c.close for c in channels.values() if hasattr(c, "close")]
    w = Watcher(
        settings=settings,
        store=store,
        http=http,
        entities=entities,
        baseline=baseline,
        pipeline=pipeline,
        outbox=outbox,
        digest=digest,
        channels=channels,
        clock=clock,
        owner=owner,
        metrics=Metrics(started_at=clock()),
        _closers=closers,
    )
    outbox.origin_of = digest.origin_of = fact_origins(lambda: w.baseline, Path(settings.seeds_dir))
    return w

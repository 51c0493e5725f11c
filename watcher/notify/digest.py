"""The daily digest: which period it covers, what it says, sending it once.

A scheduled digest covers the findings first seen since the previous digest's end (or the
last 24 h) up to the scheduled slot: today's ``WATCHER_DIGEST_TIME`` in ``WATCHER_TIMEZONE``.
The period end is unique in the store, so a period is never sent twice, even by two
instances; a slot missed while watcher was down is sent once when it comes back
(:meth:`DigestService.send_due` at start-up and on schedule).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from watcher.errors import DeliveryError
from watcher.logs import mask_url_passwords
from watcher.notify.items import group_records
from watcher.notify.landscape import LANDSCAPE_DAYS
from watcher.notify.render import AlertView, DigestView, render_digest, view_of_item
from watcher.store import Store
from watcher.types import FLAG_KINDS, FindingKind

log = logging.getLogger(__name__)


class DigestSink(Protocol):
    """Where a digest goes: email, or the console when no SMTP host is configured."""

    def send_digest(self, subject: str, text: str, html: str, *, message_id: str) -> str: ...


FIRST_START_KEY = "digest_first_start"


def latest_slot(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The most recent digest time at or before ``now`` (aware UTC in, aware out)."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), at, tzinfo=tz)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), at, tzinfo=tz)
    return slot.astimezone(now.tzinfo)


@dataclass
class DigestService:
    store: Store
    sink: DigestSink
    digest_time: time
    tz: ZoneInfo
    owner: str
    clock: Callable[[], datetime]
    baseline_changes: Callable[[datetime, datetime], list[tuple[str, str | None, str, str | None]]] = (
        lambda start, end: []
    )
    origin_of: Callable[[str | None], str | None] = lambda fact_id: None  # 'the seed of 2025-10-15'

    def period_for(self, end: datetime) -> tuple[datetime, datetime]:
        last = self.store.last_digest_end()
        start = last if last is not None and last < end else end - timedelta(hours=24)
        return start, end

    def items(
        self, start: datetime, end: datetime, kinds: tuple[str, ...] = (), *, with_text: bool = True
    ) -> list[AlertView]:
        """One view per story and fact first seen in [start, end), oldest first, with all its sources."""
        records = self.store.finding_records(since=start, until=end, kinds=kinds, with_text=with_text)
        grouped = [i for i in group_records(records) if start <= i.first_seen < end]
        grouped.sort(key=lambda i: (i.first_seen, i.id))
        return [view_of_item(i, self.origin_of(i.finding.baseline_fact)) for i in grouped]

    def build(self, start: datetime, end: datetime) -> DigestView:
        flagged: list[AlertView] = []
        confirmations: list[AlertView] = []
        updates: list[AlertView] = []
        for view in self.items(start, end):
            kind = view.finding.kind
            target = (
                flagged
                if kind in FLAG_KINDS
                else confirmations
                if kind == FindingKind.CONFIRMATION
                else updates
            )
            target.append(view)
        landscape = self.items(end - timedelta(days=LANDSCAPE_DAYS), end, kinds=(str(FindingKind.NEW_DEAL),),
                               with_text=False)  # fmt: skip
        failing = [
            (f.name, mask_url_passwords(f.url), mask_url_passwords(f.last_error or ""), f.last_success_at)
            for f in self.store.failing_feeds()
        ]
        polled = any(
            f.enabled and (f.last_success_at is not None or f.consecutive_failures > 0)
            for f in self.store.feed_rows()
        )
        return DigestView(
            period_start=start,
            period_end=end,
            timezone=str(self.tz),
            flagged=flagged,
            confirmations=confirmations,
            updates=updates,
            baseline_changes=list(self.baseline_changes(start, end)),
            failing_feeds=failing,
            generated_at=self.clock(),
            landscape=landscape,
            feeds_checked=polled or bool(failing),
        )

    def preview(self, end: datetime | None = None) -> tuple[str, str, str]:
        start, end = self.period_for(end or self.clock())
        return render_digest(self.build(start, end))

    def send_due(self) -> bool:
        """Sends the digest of the latest slot if it has not gone out; True when sent now."""
        now = self.clock()
        slot = latest_slot(now, self.digest_time, self.tz)
        last = self.store.last_digest_end()
        if last is not None and last >= slot:
            return False
        if last is None and slot < self._first_start(now):
            log.info(
                "first run: no digest for the time before watcher started; the first one goes out at %s",
                (slot + timedelta(days=1)).isoformat(timespec="minutes"),
            )
            return False
        return self._send(slot)

    def _first_start(self, now: datetime) -> datetime:
        """When this database first asked for a due digest (recorded on that first call)."""
        raw = self.store.get_state(FIRST_START_KEY)
        if isinstance(raw, str):
            try:
                return datetime.fromisoformat(raw)
            except ValueError:
                pass
        self.store.set_state(FIRST_START_KEY, now.isoformat())
        return now

    def send_now(self) -> bool:
        """Sends a digest for the findings since the previous one, up to now."""
        return self._send(self.clock())

    def _send(self, end: datetime) -> bool:
        start, end = self.period_for(end)
        now = self.clock()
        digest_id = self.store.claim_digest(start, end, self.owner, now, lease=timedelta(minutes=10))
        if digest_id is None:
            log.info("digest for the period ending %s already sent or being sent", end.isoformat())
            return False
        subject, text, html = render_digest(self.build(start, end))
        message_id = f"<digest-{end.strftime('%Y%m%dT%H%M%SZ')}@watcher>"
        try:
            remote = self.sink.send_digest(subject, text, html, message_id=message_id)
        except DeliveryError as exc:
            log.error("digest for the period ending %s not sent: %s", end.isoformat(), exc)
            self.store.mark_digest_failed(digest_id, str(exc))
            raise
        self.store.mark_digest_sent(digest_id, remote, self.clock())
        return True

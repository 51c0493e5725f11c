"""Store operations on the outbox (deliveries) and on digest periods.

A sender claims due deliveries with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so
two instances never send the same row; a crashed instance's lease expires and the row is
taken over. Every claim gets its own lease token (``<owner>#<random>`` in ``lease_owner``),
so two drains of one instance are told apart too. The holder renews the lease right before
each send (:meth:`OutboxOps.renew_leases`); every outcome (sent, retry, failed, ...) is
written only while the token still matches, so a sender whose lease was taken over never
overwrites the new holder's work. A delivery is one of: pending (to send), sent (``remote_id`` kept; ``needs_edit``
when more sources joined the story), failed (permanent error, shown by `watcher status`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watcher.store.base import StoreBase
from watcher.store.schema import ArticleRow, DeliveryRow, DigestRow, FindingRow
from watcher.types import Finding, FindingKind


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A claimed outbox row with everything needed to render its message."""

    id: int
    finding_id: int
    channel: str
    target: str
    attempts: int
    remote_id: str | None
    is_edit: bool
    finding: Finding
    title: str
    url: str
    site: str | None
    published: datetime | None
    sources: int
    story_id: int | None = None
    signature: str = ""
    lease: str = ""  # the claim's lease token: outcomes are written only while it still holds


def lease_token(owner: str) -> str:
    """A fresh token for one claim: the instance's id plus a random part."""
    return f"{owner[:180]}#{uuid.uuid4().hex[:16]}"


def finding_from_row(row: FindingRow) -> Finding:
    return Finding(
        kind=FindingKind(row.kind),
        parties=tuple(row.parties),
        attribute=row.attribute,
        baseline_fact=row.baseline_fact,
        baseline_value=row.baseline_value,
        new_value=row.new_value,
        evidence=row.evidence,
        confidence=row.confidence,
        explanation=row.explanation,
        baseline_sentence=row.baseline_sentence,
        status=row.deal_status,
    )


_DELIVERIES = cast(Table, DeliveryRow.__table__)  # queue_alerts writes through Core


def queue_alerts(
    s: Session,
    story_id: int | None,
    findings: Sequence[tuple[int, str]],
    targets: Sequence[tuple[str, str]],
    now: datetime,
) -> tuple[int, int]:
    """(queued, edited): one outbox row per new (finding id, signature) and (channel, target); a story
    that already alerted on that signature gets an edit of the sent alert instead. At most three
    statements (the prior rows, one UPDATE for the edits, one multi-row INSERT ... ON CONFLICT DO
    NOTHING, so a row another instance queued first is skipped: one alert is enough)."""
    if not findings or not targets:
        return 0, 0
    keys = {f"{story_id}:{signature}": finding_id for finding_id, signature in findings}
    wanted = set(targets)
    prior = [
        (row_id, status, (channel, target, key))
        for row_id, status, channel, target, key in s.execute(
            select(_DELIVERIES.c.id, _DELIVERIES.c.status, _DELIVERIES.c.channel, _DELIVERIES.c.target,
                   _DELIVERIES.c.story_key).where(_DELIVERIES.c.story_key.in_(list(keys)))
        )
        if (channel, target) in wanted
    ]  # fmt: skip
    taken = {where for _, _, where in prior}
    edits = [row_id for row_id, status, _ in prior if status == "sent"]
    if edits:
        s.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id.in_(edits))
            .values(needs_edit=True, next_attempt_at=now)
        )
    rows = [
        {"finding_id": finding_id, "story_key": key, "channel": channel, "target": target,
         "status": "pending", "next_attempt_at": now, "created_at": now}
        for key, finding_id in keys.items()
        for channel, target in targets
        if (channel, target, key) not in taken
    ]  # fmt: skip
    if not rows:
        return 0, len(edits)
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    queued = s.execute(
        insert(_DELIVERIES)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["channel", "target", "story_key"])
        .returning(_DELIVERIES.c.id)
    ).all()
    return len(queued), len(edits)


_DUE = or_(
    and_(DeliveryRow.status == "pending"),
    and_(DeliveryRow.status == "sent", DeliveryRow.needs_edit.is_(True)),
)


class OutboxOps(StoreBase):
    """Mixed into :class:`watcher.store.Store`."""

    def claim_deliveries(
        self, now: datetime, owner: str, lease: timedelta, limit: int = 100, channel: str | None = None
    ) -> list[DeliveryJob]:
        with self.session() as s:
            q = (
                select(DeliveryRow)
                .where(_DUE)
                .where(or_(DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now))
                .where(or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now))
                .order_by(DeliveryRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            if channel is not None:
                q = q.where(DeliveryRow.channel == channel)
            rows = list(s.scalars(q))
            token = lease_token(owner)
            jobs = []
            for row in rows:
                row.lease_owner, row.lease_until = token, now + lease
                jobs.append(self._job(s, row, token))
            return jobs

    def renew_leases(self, ids: Sequence[int], lease: str, until: datetime) -> set[int]:
        """Extends the lease on those rows still held under ``lease`` and still due; returns their ids.

        A row missing from the answer was taken over (its lease ran out and another sender claimed
        it) or finished by someone else: the caller must not send it.
        """
        if not ids:
            return set()
        with self.session() as s:
            result = s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(list(ids)), DeliveryRow.lease_owner == lease, _DUE)
                .values(lease_until=until)
                .returning(DeliveryRow.id)
            )
            return {row_id for (row_id,) in result.all()}

    def _job(self, s: Session, row: DeliveryRow, token: str) -> DeliveryJob:
        f = s.get_one(FindingRow, row.finding_id)
        art = s.get_one(ArticleRow, f.article_id)
        sources = (
            s.scalar(
                select(func.count(func.distinct(FindingRow.article_id))).where(
                    FindingRow.story_id == f.story_id,
                    FindingRow.signature == f.signature,
                    FindingRow.status != "retracted",
                )
            )
            or 1
        )
        return DeliveryJob(
            id=row.id,
            finding_id=f.id,
            channel=row.channel,
            target=row.target,
            attempts=row.attempts,
            remote_id=row.remote_id,
            is_edit=row.status == "sent" and row.needs_edit,
            finding=finding_from_row(f),
            title=art.title,
            url=art.url,
            site=art.site,
            published=art.published,
            sources=sources,
            story_id=f.story_id,
            signature=f.signature,
            lease=token,
        )

    def pending_deliveries(self, now: datetime) -> int:
        """Rows still to send (or edit), whatever their next attempt time."""
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(DeliveryRow).where(_DUE)) or 0

    def next_delivery_at(self, now: datetime | None = None) -> datetime | None:
        """When the next due row may be tried; with ``now``, rows another sender holds are left out
        (their holder finishes them: waiting for its lease to run out would only spin)."""
        q = select(func.min(DeliveryRow.next_attempt_at)).where(_DUE)
        if now is not None:
            q = q.where(or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now))
        with self.session() as s:
            return s.scalar(q)

    def mark_sent(self, delivery_id: int, lease: str, remote_id: str, sources: int, now: datetime) -> bool:
        """Records a send; only while ``lease`` still holds the row. False when the lease was lost."""
        return bool(self.mark_sent_many([(delivery_id, sources)], lease, remote_id, now))

    def mark_sent_many(
        self, rows: Sequence[tuple[int, int]], lease: str, remote_id: str, now: datetime
    ) -> list[int]:
        """Records one send (an alert, or a summary naming several rows) in ONE transaction.

        ``rows`` are (delivery id, sources shown). Only rows still held under ``lease`` are
        marked; the ids marked are returned (a summary's rows all commit together or not at all).
        """
        marked: list[int] = []
        with self.session() as s:
            for delivery_id, sources in rows:
                result = s.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id == delivery_id, DeliveryRow.lease_owner == lease)
                    .values(
                        status="sent",
                        remote_id=remote_id,
                        sent_at=func.coalesce(DeliveryRow.sent_at, now),
                        sources_sent=sources,
                        needs_edit=False,
                        error=None,
                        attempts=DeliveryRow.attempts + 1,
                        lease_owner=None,
                        lease_until=None,
                    )
                    .returning(DeliveryRow.id)
                    .execution_options(synchronize_session=False)
                )
                marked += [row_id for (row_id,) in result.all()]
        return marked

    def _held(self, s: Session, delivery_id: int, lease: str | None) -> DeliveryRow | None:
        """The row, locked, if ``lease`` (when given) still holds it."""
        q = select(DeliveryRow).where(DeliveryRow.id == delivery_id).with_for_update()
        if lease is not None:
            q = q.where(DeliveryRow.lease_owner == lease)
        row: DeliveryRow | None = s.scalar(q)
        return row

    def mark_retry(
        self, delivery_id: int, error: str, retry_at: datetime, *, lease: str | None = None
    ) -> None:
        """A transient failure: try again at ``retry_at``."""
        with self.session() as s:
            row = self._held(s, delivery_id, lease)
            if row is None:
                return
            row.attempts += 1
            row.error, row.next_attempt_at = error[:2000], retry_at
            row.lease_owner = row.lease_until = None

    def postpone(self, delivery_id: int, until: datetime, reason: str, *, lease: str | None = None) -> None:
        """Not an attempt: the row waits (mute, channel not configured) and keeps its attempt count."""
        with self.session() as s:
            row = self._held(s, delivery_id, lease)
            if row is None:
                return
            row.next_attempt_at, row.error = until, reason
            row.lease_owner = row.lease_until = None

    def mark_uncertain(self, delivery_id: int, error: str, *, lease: str | None = None) -> None:
        """Sent, but no answer came back: not retried automatically (see resend_uncertain)."""
        with self.session() as s:
            row = self._held(s, delivery_id, lease)
            if row is None:
                return
            row.attempts += 1
            if row.status != "sent":
                row.status = "uncertain"
            else:  # an edit that timed out: the alert itself went out
                row.needs_edit = False
            row.error = error[:2000]
            row.lease_owner = row.lease_until = None

    def resend_uncertain(self, now: datetime) -> int:
        """Puts uncertain deliveries back in the queue (an operator's decision); returns how many."""
        with self.session() as s:
            result = s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.status == "uncertain")
                .values(status="pending", next_attempt_at=now)
                .returning(DeliveryRow.id)
            )
            return len(result.all())

    def record_partial(self, delivery_id: int, remote_ids: str, *, lease: str | None = None) -> None:
        """Parts of a long message that went out before a failure; a retry resumes after them."""
        with self.session() as s:
            row = self._held(s, delivery_id, lease)
            if row is not None:
                row.remote_id = remote_ids

    def mark_failed(self, delivery_id: int, error: str, *, lease: str | None = None) -> None:
        """A permanent failure (bad chat id, bot blocked): no more retries; shown by status."""
        with self.session() as s:
            row = self._held(s, delivery_id, lease)
            if row is None:
                return
            row.attempts += 1
            if row.status == "sent":  # a failed edit leaves the sent alert as it was
                row.needs_edit, row.error = False, error[:2000]
            else:
                row.status, row.error = "failed", error[:2000]
            row.lease_owner = row.lease_until = None

    def delivery_counts(self) -> dict[str, int]:
        with self.session() as s:
            return {
                status: n
                for status, n in s.execute(
                    select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
                )
            }

    def failed_deliveries(self, limit: int = 20) -> list[DeliveryRow]:
        with self.session() as s:
            return list(
                s.scalars(
                    select(DeliveryRow)
                    .where(DeliveryRow.status.in_(("failed", "uncertain")))
                    .order_by(DeliveryRow.id.desc())
                    .limit(limit)
                )
            )

    # -- digests --------------------------------------------------------------------------
    def last_digest_end(self) -> datetime | None:
        with self.session() as s:
            return s.scalar(select(func.max(DigestRow.period_end)).where(DigestRow.status == "sent"))

    def claim_digest(
        self, start: datetime, end: datetime, owner: str, now: datetime, lease: timedelta
    ) -> int | None:
        """Claims the digest for a period; None when it was sent or another instance holds it."""
        with self.session() as s:
            row = s.scalar(
                select(DigestRow).where(DigestRow.period_end == end).with_for_update(skip_locked=True)
            )
            if row is None:
                try:
                    with s.begin_nested():
                        row = DigestRow(period_start=start, period_end=end, created_at=now)
                        s.add(row)
                except IntegrityError:
                    return None
            elif row.status == "sent" or (row.lease_until is not None and row.lease_until >= now):
                return None
            row.status, row.lease_owner, row.lease_until = "sending", owner, now + lease
            s.flush()
            return row.id

    def mark_digest_sent(self, digest_id: int, message_id: str, now: datetime) -> None:
        with self.session() as s:
            row = s.get_one(DigestRow, digest_id)
            row.status, row.message_id, row.sent_at = "sent", message_id, now
            row.attempts += 1
            row.lease_owner = row.lease_until = None

    def mark_digest_failed(self, digest_id: int, error: str) -> None:
        with self.session() as s:
            row = s.get_one(DigestRow, digest_id)
            row.status, row.error = "failed", error[:2000]
            row.attempts += 1
            row.lease_owner = row.lease_until = None

    def findings_between(self, start: datetime, end: datetime) -> list[tuple[FindingRow, ArticleRow]]:
        """Active findings first seen in [start, end), with their articles."""
        with self.session() as s:
            return list(
                s.execute(
                    select(FindingRow, ArticleRow)
                    .join(ArticleRow, ArticleRow.id == FindingRow.article_id)
                    .where(
                        FindingRow.first_seen_at >= start,
                        FindingRow.first_seen_at < end,
                        FindingRow.status.in_(("active", "confirmed")),
                    )
                    .order_by(FindingRow.first_seen_at)
                ).all()
            )

"""Store operations on the outbox (deliveries) and on digest periods.

A sender claims due deliveries with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so
two instances never send the same row; a crashed instance's lease expires and the row is
taken over. A delivery is one of: pending (to send), sent (``remote_id`` kept; ``needs_edit``
when more sources joined the story), failed (permanent error, shown by `watcher status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

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


_DUE = or_(
    and_(DeliveryRow.status == "pending"),
    and_(DeliveryRow.status == "sent", DeliveryRow.needs_edit.is_(True)),
)


class OutboxOps:
    """Mixed into :class:`watcher.store.Store`."""

    def claim_deliveries(
        self, now: datetime, owner: str, lease: timedelta, limit: int = 100, channel: str | None = None
    ) -> list[DeliveryJob]:
        with self.session() as s:  # type: ignore[attr-defined]
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
            jobs = []
            for row in rows:
                row.lease_owner, row.lease_until = owner, now + lease
                jobs.append(self._job(s, row))
            return jobs

    def _job(self, s, row: DeliveryRow) -> DeliveryJob:  # type: ignore[no-untyped-def]
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
        )

    def pending_deliveries(self, now: datetime) -> int:
        """Rows still to send (or edit), whatever their next attempt time."""
        with self.session() as s:  # type: ignore[attr-defined]
            return s.scalar(select(func.count()).select_from(DeliveryRow).where(_DUE)) or 0

    def next_delivery_at(self) -> datetime | None:
        with self.session() as s:  # type: ignore[attr-defined]
            return s.scalar(select(func.min(DeliveryRow.next_attempt_at)).where(_DUE))

    def mark_sent(self, delivery_id: int, owner: str, remote_id: str, sources: int, now: datetime) -> None:
        with self.session() as s:  # type: ignore[attr-defined]
            row = s.get_one(DeliveryRow, delivery_id)
            row.status, row.remote_id, row.sent_at = "sent", remote_id, row.sent_at or now
            row.sources_sent, row.needs_edit, row.error = sources, False, None
            row.attempts += 1
            row.lease_owner = row.lease_until = None

    def mark_retry(self, delivery_id: int, error: str, retry_at: datetime) -> None:
        """A transient failure: try again at ``retry_at``."""
        with self.session() as s:  # type: ignore[attr-defined]
            row = s.get_one(DeliveryRow, delivery_id)
            row.attempts += 1
            row.error, row.next_attempt_at = error[:2000], retry_at
            row.lease_owner = row.lease_until = None

    def postpone(self, delivery_id: int, until: datetime, reason: str) -> None:
        """Not an attempt: the row waits (mute, channel not configured) and keeps its attempt count."""
        with self.session() as s:  # type: ignore[attr-defined]
            row = s.get_one(DeliveryRow, delivery_id)
            row.next_attempt_at, row.error = until, reason
            row.lease_owner = row.lease_until = None

    def mark_uncertain(self, delivery_id: int, error: str) -> None:
        """Sent, but no answer came back: not retried automatically (see resend_uncertain)."""
        with self.session() as s:  # type: ignore[attr-defined]
            row = s.get_one(DeliveryRow, delivery_id)
            row.attempts += 1
            if row.status != "sent":
                row.status = "uncertain"
            else:  # an edit that timed out: the alert itself went out
                row.needs_edit = False
            row.error = error[:2000]
            row.lease_owner = row.lease_until = None

    def resend_uncertain(self, now: datetime) -> int:
        """Puts uncertain deliveries back in the queue (an operator's decision); returns how many."""
        from sqlalchemy import update

        with self.session() as s:  # type: ignore[attr-defined]
            result = s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.status == "uncertain")
                .values(status="pending", next_attempt_at=now)
                .returning(DeliveryRow.id)
            )
            return len(result.all())

    def record_partial(self, delivery_id: int, remote_ids: str) -> None:
        """Parts of a long message that went out before a failure; a retry resumes after them."""
        with self.session() as s:  # type: ignore[attr-defined]
            s.get_one(DeliveryRow, delivery_id).remote_id = remote_ids

    def mark_failed(self, delivery_id: int, error: str) -> None:
        """A permanent failure (bad chat id, bot blocked): no more retries; shown by status."""
        with self.session() as s:  # type: ignore[attr-defined]
            row = s.get_one(DeliveryRow, delivery_id)
            row.attempts += 1
            if row.status == "sent":  # a failed edit leaves the sent alert as it was
                row.needs_edit, row.error = False, error[:2000]
            else:
                row.status, row.error = "failed", error[:2000]
            row.lease_owner = row.lease_until = None

    def delivery_counts(self) -> dict[str, int]:
        with self.session() as s:  # type: ignore[attr-defined]
            return {
                status: n
                for status, n in s.execute(
                    select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
                )
            }

    def failed_deliveries(self, limit: int = 20) -> list[DeliveryRow]:
        with self.session() as s:  # type: ignore[attr-defined]
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
        with self.session() as s:  # type: ignore[attr-defined]
            return s.scalar(select(func.max(DigestRow.period_end)).where(DigestRow.status == "sent"))

    def claim_digest(
        self, start: datetime, end: datetime, owner: str, now: datetime, lease: timedelta
    ) -> int | None:
        """Claims the digest for a period; None when it was sent or another instance holds it."""
        with self.session() as s:  # type: ignore[attr-defined]
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
        with self.session() as s:  # type: ignore[attr-defined]
            row = s.get_one(DigestRow, digest_id)
            row.status, row.message_id, row.sent_at = "sent", message_id, now
            row.attempts += 1
            row.lease_owner = row.lease_until = None

    def mark_digest_failed(self, digest_id: int, error: str) -> None:
        with self.session() as s:  # type: ignore[attr-defined]
            row = s.get_one(DigestRow, digest_id)
            row.status, row.error = "failed", error[:2000]
            row.attempts += 1
            row.lease_owner = row.lease_until = None

    def findings_between(self, start: datetime, end: datetime) -> list[tuple[FindingRow, ArticleRow]]:
        """Active findings first seen in [start, end), with their articles."""
        with self.session() as s:  # type: ignore[attr-defined]
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

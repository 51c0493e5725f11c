"""The database schema (SQLAlchemy 2 typed ORM). Changes go through Alembic migrations.

Times are stored as naive UTC and read back as aware UTC (:class:`UTCDateTime`), so the
same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from watcher.cleantext import clean


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class CleanString(TypeDecorator[str]):
    """A VARCHAR that stores text from outside safely on every backend: NUL and lone surrogates
    dropped (:func:`watcher.cleantext.clean`) and the value clipped to the column's length, so a
    hostile feed can never make a write fail (PostgreSQL refuses both and enforces the length)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        value = clean(value)
        length = getattr(self.impl_instance, "length", None)
        return value[:length] if length and len(value) > length else value


class CleanText(TypeDecorator[str]):
    """A TEXT column with NUL and lone surrogates dropped on write (see :class:`CleanString`)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else clean(value)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class FeedRow(Base):
    """A feed with its HTTP validators, error state and polling lease."""

    __tablename__ = "feeds"
    __table_args__ = (Index("ix_feeds_due", "enabled", "next_poll_at"),)  # claim_due_feeds
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(CleanString(200), unique=True)
    url: Mapped[str] = mapped_column(CleanString(2000))
    interval_s: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    etag: Mapped[str | None] = mapped_column(CleanString(500))
    last_modified: Mapped[str | None] = mapped_column(CleanString(100))
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(CleanText)
    last_error_kind: Mapped[str | None] = mapped_column(CleanString(50))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failure_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(CleanString(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntryRow(Base):
    """An identity seen in a feed; kept after it drops out of the feed."""

    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("feed_id", "identity", name="uq_entries_feed_identity"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    identity: Mapped[str] = mapped_column(CleanString(1000))
    link: Mapped[str | None] = mapped_column(CleanString(2000))
    title: Mapped[str] = mapped_column(CleanText, default="")
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str | None] = mapped_column(CleanString(64))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(CleanText)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class StoryRow(Base):
    """Syndicated copies and updates of one story."""

    __tablename__ = "stories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(CleanText, default="")
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleRow(Base):
    """One article per canonical URL (unique: the same link in several feeds is one row)."""

    __tablename__ = "articles"
    __table_args__ = (Index("uq_articles_canonical_url", "canonical_url", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(CleanString(2000))
    canonical_url: Mapped[str] = mapped_column(CleanString(2000))
    title: Mapped[str] = mapped_column(CleanText, default="")
    text: Mapped[str] = mapped_column(CleanText, default="")
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    site: Mapped[str | None] = mapped_column(CleanString(300))
    content_hash: Mapped[str] = mapped_column(CleanString(64), index=True)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"), index=True)
    baseline_version: Mapped[str | None] = mapped_column(CleanString(64))
    source: Mapped[str] = mapped_column(CleanString(50), default="feed")  # feed | backfill | demo
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # the story window
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClaimRow(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(CleanString(50))
    attribute: Mapped[str] = mapped_column(CleanString(100))
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    value_type: Mapped[str | None] = mapped_column(CleanString(20))
    amount: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(CleanText)
    qualifier: Mapped[str | None] = mapped_column(CleanString(20))
    hedge: Mapped[str] = mapped_column(CleanString(20))
    evidence: Mapped[str] = mapped_column(CleanText)
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    historical: Mapped[bool] = mapped_column(Boolean, default=False)


class FindingRow(Base):
    """A finding of one article; ``signature`` identifies 'the same finding' across a story's articles."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("article_id", "signature", name="uq_findings_article_signature"),
        Index("ix_findings_story_signature", "story_id", "signature"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    signature: Mapped[str] = mapped_column(CleanString(64))
    kind: Mapped[str] = mapped_column(CleanString(20), index=True)
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    attribute: Mapped[str] = mapped_column(CleanString(100))
    baseline_fact: Mapped[str | None] = mapped_column(CleanString(200))
    baseline_value: Mapped[str | None] = mapped_column(CleanText)
    baseline_sentence: Mapped[str | None] = mapped_column(CleanText)
    new_value: Mapped[str | None] = mapped_column(CleanText)
    evidence: Mapped[str] = mapped_column(CleanText)
    confidence: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(CleanText, default="")
    baseline_version: Mapped[str | None] = mapped_column(CleanString(64))
    status: Mapped[str] = mapped_column(
        CleanString(20), default="active"
    )  # active|retracted|dismissed|confirmed
    deal_status: Mapped[str | None] = mapped_column(
        CleanString(60)
    )  # Finding.status: "signed", "in talks, reported"
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DeliveryRow(Base):
    """The outbox: one row per alert per channel target, created with the finding."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("channel", "target", "story_key", name="uq_deliveries_channel_target_story"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    story_key: Mapped[str] = mapped_column(CleanString(120))  # story id + finding signature
    channel: Mapped[str] = mapped_column(CleanString(20))  # telegram | console
    target: Mapped[str] = mapped_column(CleanString(100))  # chat id, or "-" for the console
    status: Mapped[str] = mapped_column(
        CleanString(20), default="pending"
    )  # pending|sending|sent|failed|held
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_id: Mapped[str | None] = mapped_column(CleanString(200))
    error: Mapped[str | None] = mapped_column(CleanText)
    sources_sent: Mapped[int] = mapped_column(Integer, default=0)
    needs_edit: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(CleanString(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestRow(Base):
    """One digest period; unique per period end so it is never sent twice."""

    __tablename__ = "digests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime, unique=True)
    status: Mapped[str] = mapped_column(CleanString(20), default="pending")  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(CleanString(300))
    error: Mapped[str | None] = mapped_column(CleanText)
    lease_owner: Mapped[str | None] = mapped_column(CleanString(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BaselineVersionRow(Base):
    """A version of the baseline fact set (from the file, or after a confirmed alert)."""

    __tablename__ = "baseline_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(CleanString(64), unique=True)
    source: Mapped[str] = mapped_column(CleanString(50))  # file | confirmed
    facts_yaml: Mapped[str] = mapped_column(CleanText)
    note: Mapped[str] = mapped_column(CleanText, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StateRow(Base):
    """Small named values: mute-until, last digest period, scheduler heartbeat."""

    __tablename__ = "state"
    key: Mapped[str] = mapped_column(CleanString(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Store operations on entries, articles, stories, claims and findings.

:meth:`ArticleOps.store_processed_entry` is the pipeline's one write per entry: the entry
is marked processed in the SAME transaction that stores its article, claims, findings and
the outbox rows for its alerts, so a crash mid-cycle loses nothing and repeats nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watcher.store.schema import ArticleRow, ClaimRow, DeliveryRow, EntryRow, FindingRow, StoryRow
from watcher.types import Article, Claim, Finding

STORY_WINDOW = timedelta(days=21)


def finding_signature(f: Finding) -> str:
    """What makes two findings 'the same finding' across outlets of one story."""
    key = "|".join(
        [str(f.kind), ",".join(sorted(f.parties)), f.attribute, f.baseline_fact or "", f.new_value or ""]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """Which findings go to the outbox, and to which channel targets."""

    targets: tuple[tuple[str, str], ...]  # (channel, target)
    min_confidence: float = 0.5
    enabled: bool = True  # False for a backfill without --alert

    def wants(self, f: Finding) -> bool:
        from watcher.types import FLAG_KINDS

        return self.enabled and f.kind in FLAG_KINDS and f.confidence >= self.min_confidence


@dataclass(frozen=True, slots=True)
class StoredEntry:
    article_id: int
    story_id: int
    new_findings: int
    retracted_findings: int
    new_deliveries: int
    edited_deliveries: int
    new_article: bool


class ArticleOps:
    """Mixed into :class:`watcher.store.Store`."""

    def store_processed_entry(
        self,
        *,
        feed_id: int,
        identity: str,
        entry_hash: str | None = None,
        link: str | None,
        title: str,
        published: datetime | None,
        article: Article,
        fingerprint: bytes | None,
        story_hint: int | None = None,
        claims: Sequence[Claim],
        findings: Sequence[Finding],
        baseline_version: str,
        policy: AlertPolicy,
        now: datetime,
        source: str = "feed",
    ) -> StoredEntry:
        with self.session() as s, s.no_autoflush:  # type: ignore[attr-defined]
            entry = s.scalar(
                select(EntryRow).where(EntryRow.feed_id == feed_id, EntryRow.identity == identity)
            )
            if entry is None:
                entry = EntryRow(feed_id=feed_id, identity=identity, first_seen_at=now)
                s.add(entry)
            art, new_article = _upsert_article(s, article, fingerprint, baseline_version, now, source)
            if art.story_id is None:
                art.story_id = _find_or_make_story(s, art, fingerprint, now, story_hint)
            _replace_claims(s, art.id, claims)
            counts = _apply_findings(s, art, findings, baseline_version, policy, now, new_article)
            entry.link, entry.title, entry.published = link, title, published
            entry.content_hash, entry.article_id = entry_hash or article.content_hash, art.id
            entry.processed_at, entry.error = now, None
            return StoredEntry(art.id, art.story_id, *counts, new_article=new_article)

    def record_entry_error(
        self, *, feed_id: int, identity: str, link: str | None, title: str, error: str, now: datetime
    ) -> int:
        """An entry that failed (e.g. its page could not be had): remembered, retried next cycle."""
        with self.session() as s:  # type: ignore[attr-defined]
            entry = s.scalar(
                select(EntryRow).where(EntryRow.feed_id == feed_id, EntryRow.identity == identity)
            )
            if entry is None:
                entry = EntryRow(feed_id=feed_id, identity=identity, first_seen_at=now, attempts=0)
                s.add(entry)
            entry.link, entry.title, entry.error = link, title, error[:2000]
            entry.attempts = (entry.attempts or 0) + 1
            return entry.attempts

    def rediff_article(
        self,
        article_id: int,
        claims: Sequence[Claim],
        findings: Sequence[Finding],
        baseline_version: str,
        policy: AlertPolicy,
        now: datetime,
    ) -> StoredEntry:
        """Replaces an article's claims and findings after the baseline changed."""
        with self.session() as s:  # type: ignore[attr-defined]
            art = s.get_one(ArticleRow, article_id)
            _replace_claims(s, art.id, claims)
            counts = _apply_findings(s, art, findings, baseline_version, policy, now, new_article=False)
            art.baseline_version = baseline_version
            return StoredEntry(art.id, art.story_id or 0, *counts, new_article=False)

    def article_rows(self, since: datetime | None = None) -> list[ArticleRow]:
        with self.session() as s:  # type: ignore[attr-defined]
            q = select(ArticleRow).order_by(ArticleRow.id)
            if since is not None:
                q = q.where(ArticleRow.fetched_at >= since)
            return list(s.scalars(q))

    def recent_fingerprints(self, since: datetime) -> list[tuple[int, bytes, str]]:
        """(story id, fingerprint, canonical URL) of articles fetched since ``since``, oldest first."""
        with self.session() as s:  # type: ignore[attr-defined]
            rows = s.execute(  # sorted here: an ORDER BY id makes SQLite scan by id, not the fetched_at index
                select(ArticleRow.id, ArticleRow.story_id, ArticleRow.fingerprint, ArticleRow.canonical_url).where(
                    ArticleRow.fetched_at >= since,
                    ArticleRow.fingerprint.is_not(None),
                    ArticleRow.story_id.is_not(None),
                )
            ).all()
            rows.sort(key=lambda row: row[0])
            return [(int(sid), bytes(fp), url) for _, sid, fp, url in rows if sid is not None and fp is not None]

    def active_findings(self, article_id: int) -> list[FindingRow]:
        with self.session() as s:  # type: ignore[attr-defined]
            return list(
                s.scalars(
                    select(FindingRow).where(
                        FindingRow.article_id == article_id, FindingRow.status != "retracted"
                    )
                )
            )

    def baseline_changes(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str | None, str, str | None]]:
        """Facts accepted into the baseline in [start, end): (fact id, old, new, provenance)."""
        import yaml

        from watcher.store.schema import BaselineVersionRow

        out: list[tuple[str, str | None, str, str | None]] = []
        with self.session() as s:  # type: ignore[attr-defined]
            rows = s.scalars(
                select(BaselineVersionRow).where(
                    BaselineVersionRow.source == "confirmed",
                    BaselineVersionRow.created_at >= start,
                    BaselineVersionRow.created_at < end,
                )
            )
            for row in rows:
                for fact in (yaml.safe_load(row.facts_yaml) or {}).get("facts", []):
                    value = (
                        f"{fact.get('value')} ({fact.get('attribute')}, {', '.join(fact.get('parties', []))})"
                    )
                    out.append((fact["id"], None, value, f"{fact.get('seed')}: {fact.get('sentence')}"))
        return out

    def sources_for(self, story_id: int, signature: str) -> int:
        """How many articles of a story carry a finding (corroboration)."""
        with self.session() as s:  # type: ignore[attr-defined]
            return _sources(s, story_id, signature)


def _sources(s: Session, story_id: int | None, signature: str) -> int:
    return (
        s.scalar(
            select(func.count(func.distinct(FindingRow.article_id))).where(
                FindingRow.story_id == story_id,
                FindingRow.signature == signature,
                FindingRow.status != "retracted",
            )
        )
        or 0
    )


def _upsert_article(
    s: Session, a: Article, fingerprint: bytes | None, version: str, now: datetime, source: str
) -> tuple[ArticleRow, bool]:
    """The article's row, made or updated; race-safe on both databases.

    ``articles.canonical_url`` is unique: a missing row is inserted with ON CONFLICT DO NOTHING
    (the poll thread or instance that loses the race gets no row back and reads the winner's), and
    the row is then read FOR UPDATE, so two transactions storing the same article take turns
    (PostgreSQL; SQLite has one writer at a time anyway) and the second sees the first's findings."""
    row = _article_for_update(s, a.canonical_url)
    new = False
    if row is None:
        stmt = (
            _insert(s, ArticleRow)
            .values(url=a.url, canonical_url=a.canonical_url, title=a.title, text=a.text,
                    content_hash=a.content_hash, partial=a.partial, source=source, fetched_at=now,
                    updated_at=now)  # fmt: skip
            .on_conflict_do_nothing(index_elements=["canonical_url"])
            .returning(ArticleRow.id)
        )
        new = s.execute(stmt).first() is not None
        row = _article_for_update(s, a.canonical_url)
        if row is None:  # pragma: no cover - the row was inserted by us or by the winner of the race
            raise RuntimeError(f"article {a.canonical_url} neither inserted nor found")
    row.title, row.text, row.published, row.site = a.title, a.text, a.published, a.site
    row.content_hash, row.partial, row.fingerprint = a.content_hash, a.partial, fingerprint
    row.baseline_version, row.updated_at = version, now
    s.flush()
    return row, new


def _article_for_update(s: Session, canonical: str) -> ArticleRow | None:
    return s.scalar(
        select(ArticleRow)
        .where(ArticleRow.canonical_url == canonical)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _insert(s: Session, table: Any) -> Any:
    """An INSERT with ON CONFLICT for the session's database (SQLite or PostgreSQL)."""
    return pg_insert(table) if s.get_bind().dialect.name == "postgresql" else sqlite_insert(table)


# One application-wide key for pg_advisory_xact_lock: story assignment takes turns across
# transactions and instances, so two copies of one story stored at once join one story.
STORY_LOCK_KEY = 0x57A7C4E5


def _lock_stories(s: Session) -> None:
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK_KEY})


def _find_or_make_story(
    s: Session, art: ArticleRow, fingerprint: bytes | None, now: datetime, hint: int | None = None
) -> int:
    """The story an article joins: the caller's hint (the pipeline's in-memory MinHash index,
    :class:`watcher.app.pipeline.StoryClusterer`), else another article with the same text, else a new story.
    Taken under the story lock (held to commit), so a concurrent copy is seen, not made a second story."""
    if hint is not None and s.get(StoryRow, hint) is not None:
        return hint
    _lock_stories(s)
    same_hash = s.scalar(
        select(ArticleRow.story_id)
        .where(
            ArticleRow.content_hash == art.content_hash,
            ArticleRow.id != art.id,
            ArticleRow.story_id.is_not(None),
        )
        .limit(1)
    )
    if same_hash is not None:
        return same_hash
    story = StoryRow(title=art.title, fingerprint=fingerprint, first_seen_at=now, updated_at=now)
    s.add(story)
    s.flush()
    return story.id


def _replace_claims(s: Session, article_id: int, claims: Sequence[Claim]) -> None:
    """The article's claims, replaced in two statements (one DELETE, one executemany INSERT)."""
    s.execute(delete(ClaimRow).where(ClaimRow.article_id == article_id))
    if not claims:
        return
    rows = []
    for c in claims:
        v = c.value
        rows.append(
            {
                "article_id": article_id,
                "kind": c.kind,
                "attribute": c.attribute,
                "parties": list(c.parties),
                "value_type": str(v.type) if v else None,
                "amount": v.amount if v else None,
                "value_text": v.text if v else None,
                "qualifier": str(v.qualifier) if v else None,
                "hedge": str(c.hedge),
                "evidence": c.evidence,
                "span_start": c.span.start,
                "span_end": c.span.end,
                "historical": c.historical,
            }
        )
    s.execute(insert(ClaimRow), rows)


def _apply_findings(
    s: Session,
    art: ArticleRow,
    findings: Sequence[Finding],
    version: str,
    policy: AlertPolicy,
    now: datetime,
    new_article: bool,
) -> tuple[int, int, int, int]:
    """Inserts new findings, retracts vanished ones, and queues/edits alerts. Returns counts."""
    existing = {r.signature: r for r in s.scalars(select(FindingRow).where(FindingRow.article_id == art.id))}
    wanted: dict[str, Finding] = {}
    for f in findings:
        wanted.setdefault(finding_signature(f), f)
    retracted = 0
    for sig, row in existing.items():
        if sig not in wanted and row.status == "active":
            row.status, retracted = "retracted", retracted + 1
    new_findings = new_deliveries = edited = 0
    for sig, f in wanted.items():
        prior = existing.get(sig)
        if prior is not None:
            if prior.status == "retracted":
                prior.status = "active"
            prior.deal_status = f.status
            continue
        row = _finding_row(art, sig, f, version, now)
        s.add(row)
        s.flush()
        new_findings += 1
        if policy.wants(f):
            n, e = _queue_alerts(s, row, policy, now)
            new_deliveries, edited = new_deliveries + n, edited + e
    return new_findings, retracted, new_deliveries, edited


def _finding_row(art: ArticleRow, sig: str, f: Finding, version: str, now: datetime) -> FindingRow:
    return FindingRow(
        article_id=art.id,
        story_id=art.story_id,
        signature=sig,
        kind=str(f.kind),
        parties=list(f.parties),
        attribute=f.attribute,
        baseline_fact=f.baseline_fact,
        baseline_value=f.baseline_value,
        baseline_sentence=f.baseline_sentence,
        new_value=f.new_value,
        evidence=f.evidence,
        confidence=f.confidence,
        explanation=f.explanation,
        deal_status=f.status,
        baseline_version=version,
        first_seen_at=now,
    )


def _queue_alerts(s: Session, finding: FindingRow, policy: AlertPolicy, now: datetime) -> tuple[int, int]:
    """One outbox row per target; a story that already alerted on this finding gets an edit instead."""
    story_key = f"{finding.story_id}:{finding.signature}"
    created = edited = 0
    for channel, target in policy.targets:
        prior = s.scalar(
            select(DeliveryRow).where(
                DeliveryRow.channel == channel,
                DeliveryRow.target == target,
                DeliveryRow.story_key == story_key,
            )
        )
        if prior is not None:
            if prior.status == "sent":
                prior.needs_edit, prior.next_attempt_at = True, now
                edited += 1
            continue
        try:
            with s.begin_nested():
                s.add(
                    DeliveryRow(
                        finding_id=finding.id,
                        story_key=story_key,
                        channel=channel,
                        target=target,
                        status="pending",
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
            created += 1
        except IntegrityError:  # another instance queued it first: one alert is enough
            continue
    return created, edited

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
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watcher.store.base import StoreBase
from watcher.store.outbox_ops import queue_alerts
from watcher.store.schema import ArticleRow, ClaimRow, EntryRow, FindingRow, StoryRow
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


class ArticleOps(StoreBase):
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
        with self.session() as s:
            article_id, story_id, new_article = _upsert_article(
                s, article, fingerprint, baseline_version, now, source, story_hint
            )
            if story_id is None:  # a new article whose hint named no story is not asked about it again
                hint = None if new_article else story_hint
                story_id = _find_or_make_story(s, article_id, article, fingerprint, now, hint)
                s.execute(update(_ARTICLES).where(_ARTICLES.c.id == article_id).values(story_id=story_id))
            _replace_claims(s, article_id, claims, had_claims=not new_article)
            counts = _apply_findings(
                s, article_id, story_id, findings, baseline_version, policy, now, new_article=new_article
            )
            _upsert_entry(
                s,
                {"feed_id": feed_id, "identity": identity},
                {
                    "link": link,
                    "title": title,
                    "published": published,
                    "content_hash": entry_hash or article.content_hash,
                    "article_id": article_id,
                    "processed_at": now,
                    "error": None,
                },  # fmt: skip
                now,
            )
            return StoredEntry(article_id, story_id, *counts, new_article=new_article)

    def record_entry_error(
        self, *, feed_id: int, identity: str, link: str | None, title: str, error: str, now: datetime
    ) -> int:
        """An entry that failed (e.g. its page could not be had): remembered, retried next cycle."""
        with self.session() as s:
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
        with self.session() as s:
            story_id = s.execute(
                update(_ARTICLES)
                .where(_ARTICLES.c.id == article_id)
                .values(baseline_version=baseline_version)
                .returning(_ARTICLES.c.story_id)
            ).one()[0]
            _replace_claims(s, article_id, claims)
            counts = _apply_findings(
                s, article_id, story_id, findings, baseline_version, policy, now, new_article=False
            )
            return StoredEntry(article_id, story_id or 0, *counts, new_article=False)

    def article_rows(self, since: datetime | None = None) -> list[ArticleRow]:
        with self.session() as s:
            q = select(ArticleRow).order_by(ArticleRow.id)
            if since is not None:
                q = q.where(ArticleRow.fetched_at >= since)
            return list(s.scalars(q))

    def recent_fingerprints(self, since: datetime) -> list[tuple[int, bytes, str]]:
        """(story id, fingerprint, canonical URL) of articles fetched since ``since``, oldest first."""
        with self.session() as s:
            rows = s.execute(  # sorted here: an ORDER BY id makes SQLite scan by id, not the fetched_at index
                select(
                    ArticleRow.id, ArticleRow.story_id, ArticleRow.fingerprint, ArticleRow.canonical_url
                ).where(
                    ArticleRow.fetched_at >= since,
                    ArticleRow.fingerprint.is_not(None),
                    ArticleRow.story_id.is_not(None),
                )
            ).all()
            ordered = sorted(rows, key=lambda row: row[0])
            return [
                (int(sid), bytes(fp), url)
                for _, sid, fp, url in ordered
                if sid is not None and fp is not None
            ]

    def active_findings(self, article_id: int) -> list[FindingRow]:
        with self.session() as s:
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
        with self.session() as s:
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
        with self.session() as s:
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


# The tables behind the rows: the write path below is Core DML on them (no ORM bulk-persistence layer,
# no objects loaded or refreshed), with ORM-free column expressions so the statements stay Core.
_ARTICLES = cast(Table, ArticleRow.__table__)
_CLAIMS = cast(Table, ClaimRow.__table__)
_ENTRIES = cast(Table, EntryRow.__table__)
_FINDINGS = cast(Table, FindingRow.__table__)
_STORIES = cast(Table, StoryRow.__table__)


def _upsert_article(
    s: Session,
    a: Article,
    fingerprint: bytes | None,
    version: str,
    now: datetime,
    source: str,
    story_hint: int | None,
) -> tuple[int, int | None, bool]:
    """(article id, its story id or None, new?): the article's row made or updated; race-safe on both
    databases, one statement for a new article and two for a known one.

    ``articles.canonical_url`` is unique: the row is inserted with ON CONFLICT DO NOTHING (a new
    article takes the story of ``story_hint`` when that story exists); the transaction that loses the
    race, or finds the article already there, updates the row instead, and that UPDATE locks it
    (PostgreSQL; SQLite has one writer at a time anyway), so two transactions storing the same article
    take turns and the second sees the first's findings."""
    fields = {
        "title": a.title, "text": a.text, "published": a.published, "site": a.site,
        "content_hash": a.content_hash, "partial": a.partial, "fingerprint": fingerprint,
        "baseline_version": version, "updated_at": now,
    }  # fmt: skip
    hinted = select(_STORIES.c.id).where(_STORIES.c.id == bindparam("hint")).scalar_subquery()
    inserted = (
        s.execute(  # the values as parameters: the statement's shape, and so its compiled form, repeats
            _insert(s, _ARTICLES)
            .values(story_id=hinted)
            .on_conflict_do_nothing(index_elements=["canonical_url"])
            .returning(_ARTICLES.c.id, _ARTICLES.c.story_id),
            {
                "url": a.url,
                "canonical_url": a.canonical_url,
                "source": source,
                "fetched_at": now,
                "hint": story_hint,
                **fields,
            },  # fmt: skip
        ).first()
    )
    if inserted is not None:
        return inserted[0], inserted[1], True
    updated = s.execute(
        update(_ARTICLES)
        .where(_ARTICLES.c.canonical_url == a.canonical_url)
        .values(**fields)
        .returning(_ARTICLES.c.id, _ARTICLES.c.story_id)
    ).first()
    if updated is None:  # pragma: no cover - the row was inserted by us or by the winner of the race
        raise RuntimeError(f"article {a.canonical_url} neither inserted nor found")
    return updated[0], updated[1], False


def _upsert_entry(s: Session, key: dict[str, Any], fields: dict[str, Any], now: datetime) -> None:
    """The entry's row (unique on feed and identity) inserted or updated in one statement."""
    stmt = _insert(s, _ENTRIES)
    s.execute(
        stmt.on_conflict_do_update(index_elements=list(key), set_={k: stmt.excluded[k] for k in fields}),
        {**key, **fields, "first_seen_at": now},
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
    s: Session, article_id: int, a: Article, fingerprint: bytes | None, now: datetime, hint: int | None = None
) -> int:
    """The story an article joins: the caller's hint (the pipeline's in-memory MinHash index,
    :class:`watcher.app.pipeline.StoryClusterer`), else another article with the same text, else a new story.
    Taken under the story lock (held to commit), so a concurrent copy is seen, not made a second story."""
    if hint is not None and s.scalar(select(_STORIES.c.id).where(_STORIES.c.id == hint)) is not None:
        return hint
    _lock_stories(s)
    same_hash = s.scalar(
        select(_ARTICLES.c.story_id)
        .where(
            _ARTICLES.c.content_hash == a.content_hash,
            _ARTICLES.c.id != article_id,
            _ARTICLES.c.story_id.is_not(None),
        )
        .limit(1)
    )
    if same_hash is not None:
        return int(same_hash)
    return int(
        s.execute(
            insert(_STORIES)
            .values(title=a.title, fingerprint=fingerprint, first_seen_at=now, updated_at=now)
            .returning(_STORIES.c.id)
        ).scalar_one()
    )


def _replace_claims(s: Session, article_id: int, claims: Sequence[Claim], *, had_claims: bool = True) -> None:
    """The article's claims, replaced in at most two statements (one DELETE unless the article is new,
    one executemany INSERT)."""
    if had_claims:
        s.execute(delete(_CLAIMS).where(_CLAIMS.c.article_id == article_id))
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
    s.execute(insert(_CLAIMS), rows)


def _apply_findings(
    s: Session,
    article_id: int,
    story_id: int | None,
    findings: Sequence[Finding],
    version: str,
    policy: AlertPolicy,
    now: datetime,
    *,
    new_article: bool,
) -> tuple[int, int, int, int]:
    """Inserts new findings (one executemany), retracts vanished ones and revives or updates the others
    (a Core UPDATE per change, none when nothing changed), and queues/edits alerts. Returns counts."""
    wanted: dict[str, Finding] = {}
    for f in findings:
        wanted.setdefault(finding_signature(f), f)
    existing = {} if new_article else {
        sig: (fid, status, deal_status)
        for fid, sig, status, deal_status in s.execute(
            select(_FINDINGS.c.id, _FINDINGS.c.signature, _FINDINGS.c.status, _FINDINGS.c.deal_status)
            .where(_FINDINGS.c.article_id == article_id)
        )
    }  # fmt: skip
    retract = [fid for sig, (fid, status, _) in existing.items() if sig not in wanted and status == "active"]
    if retract:
        s.execute(update(_FINDINGS).where(_FINDINGS.c.id.in_(retract)).values(status="retracted"))
    for sig, (fid, status, deal_status) in existing.items():
        again = wanted.get(sig)
        if again is None:
            continue
        changes: dict[str, Any] = {"status": "active"} if status == "retracted" else {}
        if deal_status != again.status:
            changes["deal_status"] = again.status
        if changes:
            s.execute(update(_FINDINGS).where(_FINDINGS.c.id == fid).values(**changes))
    fresh = [(sig, f) for sig, f in wanted.items() if sig not in existing]
    if not fresh:
        return 0, len(retract), 0, 0
    rows = [_finding_values(article_id, story_id, sig, f, version, now) for sig, f in fresh]
    ids = s.scalars(insert(_FINDINGS).returning(_FINDINGS.c.id, sort_by_parameter_order=True), rows).all()
    alerted = [(fid, sig) for fid, (sig, f) in zip(ids, fresh, strict=True) if policy.wants(f)]
    new_deliveries, edited = queue_alerts(s, story_id, alerted, policy.targets, now)
    return len(fresh), len(retract), new_deliveries, edited


def _finding_values(
    article_id: int, story_id: int | None, sig: str, f: Finding, version: str, now: datetime
) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "story_id": story_id,
        "signature": sig,
        "kind": str(f.kind),
        "parties": list(f.parties),
        "attribute": f.attribute,
        "baseline_fact": f.baseline_fact,
        "baseline_value": f.baseline_value,
        "baseline_sentence": f.baseline_sentence,
        "new_value": f.new_value,
        "evidence": f.evidence,
        "confidence": f.confidence,
        "explanation": f.explanation,
        "deal_status": f.status,
        "baseline_version": version,
        "status": "active",
        "first_seen_at": now,
    }

"""Read views for people: findings with their articles and outlets, as plain records.

:meth:`ReadOps.finding_records` feeds :func:`watcher.notify.items.group_records`, which makes
one item per story and fact for the digest, `watcher findings`, alerts and the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, select, update

from watcher.store.base import StoreBase
from watcher.store.outbox_ops import finding_from_row
from watcher.store.schema import ArticleRow, BaselineVersionRow, EntryRow, FeedRow, FindingRow
from watcher.types import FindingRecord

SHOWN = ("active", "confirmed")  # review states a person sees by default
NOT_RETRACTED = ("active", "confirmed", "dismissed")


class ReadOps(StoreBase):
    """Mixed into :class:`watcher.store.Store`."""

    def finding_records(
        self,
        *,
        kinds: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        reviews: Sequence[str] = SHOWN,
        limit: int | None = None,
        with_text: bool = True,
    ) -> list[FindingRecord]:
        """Findings first seen in [since, until) (newest first, at most ``limit``), with their article,
        outlet and feed name, plus the other sources of the same (story, signature) groups whenever
        those were seen, so that each item lists all its sources.

        ``with_text`` loads the article text, which picking the evidence sentence needs; lists that
        show no evidence leave it out."""
        q = _records_query(with_text).where(FindingRow.status.in_(list(reviews)))
        if kinds:
            q = q.where(FindingRow.kind.in_(list(kinds)))
        if since is not None:
            q = q.where(FindingRow.first_seen_at >= since)
        if until is not None:
            q = q.where(FindingRow.first_seen_at < until)
        q = q.order_by(FindingRow.first_seen_at.desc(), FindingRow.id.desc())
        with self.session() as s:
            found = [_record(row) for row in s.execute(q.limit(limit) if limit else q)]
            keys = {(r.story_id, r.signature) for r in found if r.story_id is not None}
            if keys:
                have = {r.finding_id for r in found}
                more = s.execute(
                    _records_query(with_text).where(
                        FindingRow.story_id.in_({sid for sid, _ in keys}),
                        FindingRow.status.in_(list(reviews)),
                    )
                )
                found += [
                    r
                    for r in map(_record, more)
                    if r.finding_id not in have and (r.story_id, r.signature) in keys
                ]
        return found

    def story_sources(self, story_id: int | None, signature: str) -> list[FindingRecord]:
        """Every source of one story's finding (not retracted), oldest first: an alert's outlets."""
        if story_id is None:
            return []
        q = _records_query(True).where(
            FindingRow.story_id == story_id,
            FindingRow.signature == signature,
            FindingRow.status.in_(NOT_RETRACTED),
        )
        with self.session() as s:
            return [_record(row) for row in s.execute(q.order_by(FindingRow.first_seen_at, FindingRow.id))]

    def finding_record(self, finding_id: int) -> FindingRecord | None:
        """One finding with its article (any review state but retracted)."""
        q = _records_query(True).where(FindingRow.id == finding_id, FindingRow.status.in_(NOT_RETRACTED))
        with self.session() as s:
            row = s.execute(q).first()
            return _record(row) if row is not None else None

    def set_review(self, finding_id: int, review: str) -> bool:
        """Marks a finding confirmed or dismissed (not a retracted one); False when there is none."""
        stmt = (
            update(FindingRow)
            .where(FindingRow.id == finding_id, FindingRow.status.in_(NOT_RETRACTED))
            .values(status=review)
            .returning(FindingRow.id)
        )
        with self.session() as s:
            return s.execute(stmt).first() is not None

    def findings_by_kind(self) -> dict[str, int]:
        """How many findings of each kind are stored (every review state), for metrics."""
        q = select(FindingRow.kind, func.count()).group_by(FindingRow.kind)
        with self.session() as s:
            return {kind: n for kind, n in s.execute(q)}

    def baseline_versions(
        self, *, source: str | None = None, limit: int | None = None
    ) -> list[BaselineVersion]:
        """Stored baseline versions, newest first, optionally only those of one source."""
        q = select(BaselineVersionRow).order_by(BaselineVersionRow.id.desc())
        if source is not None:
            q = q.where(BaselineVersionRow.source == source)
        with self.session() as s:
            return [
                BaselineVersion(r.version, r.source, r.note, r.created_at, r.facts_yaml)
                for r in s.scalars(q.limit(limit) if limit else q)
            ]


@dataclass(frozen=True, slots=True)
class BaselineVersion:
    """One stored version of the baseline: the file's, or one fact accepted from an alert."""

    version: str
    source: str  # file | confirmed
    note: str
    created_at: datetime
    facts_yaml: str  # the facts in the baseline file's form (for source 'confirmed')


def _records_query(with_text: bool) -> Select[Any]:
    """Findings joined with the article columns a record needs and the name of a feed that listed it."""
    feed_of = (
        select(EntryRow.article_id, func.min(FeedRow.name).label("feed"))
        .join(FeedRow, FeedRow.id == EntryRow.feed_id)
        .where(EntryRow.article_id.is_not(None))
        .group_by(EntryRow.article_id)
        .subquery()
    )
    text = ArticleRow.text if with_text else literal("").label("text")
    return (
        select(
            FindingRow,
            ArticleRow.title,
            ArticleRow.url,
            ArticleRow.site,
            ArticleRow.published,
            text,
            feed_of.c.feed,
        )  # fmt: skip
        .join(ArticleRow, ArticleRow.id == FindingRow.article_id)
        .outerjoin(feed_of, feed_of.c.article_id == ArticleRow.id)
    )


def _record(row: Any) -> FindingRecord:
    f: FindingRow = row[0]
    return FindingRecord(
        finding_id=f.id,
        story_id=f.story_id,
        signature=f.signature,
        finding=finding_from_row(f),
        review=f.status,
        first_seen=f.first_seen_at,
        title=row.title,
        url=row.url,
        site=row.site,
        published=row.published,
        text=row.text or "",
        feed=row.feed,
    )

"""Read views for people: findings with their articles and outlets, as plain records.

:meth:`ReadOps.finding_records` feeds :func:`watcher.notify.items.group_records`, which makes
one item per story and fact for the digest, `watcher findings`, alerts and the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from watcher.notify.items import FindingRecord
from watcher.store.outbox_ops import finding_from_row
from watcher.store.schema import ArticleRow, EntryRow, FeedRow, FindingRow

SHOWN = ("active", "confirmed")  # review states a person sees by default


class ReadOps:
    """Mixed into :class:`watcher.store.Store`."""

    def finding_records(
        self,
        *,
        kinds: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        reviews: Sequence[str] = SHOWN,
        story_keys: Sequence[tuple[int | None, str]] = (),
        limit: int | None = None,
    ) -> list[FindingRecord]:
        """Findings (newest first) with their article, outlet and feed name.

        ``story_keys`` widens the result to every source of those (story, signature) groups,
        whenever they were seen, so an item lists all its sources."""
        feed_of = _feed_names()
        q = (
            select(FindingRow, ArticleRow, feed_of.c.feed)
            .join(ArticleRow, ArticleRow.id == FindingRow.article_id)
            .outerjoin(feed_of, feed_of.c.article_id == ArticleRow.id)
            .where(FindingRow.status.in_(list(reviews)))
            .order_by(FindingRow.first_seen_at.desc(), FindingRow.id.desc())
        )
        if kinds:
            q = q.where(FindingRow.kind.in_(list(kinds)))
        if since is not None:
            q = q.where(FindingRow.first_seen_at >= since)
        if until is not None:
            q = q.where(FindingRow.first_seen_at < until)
        with self.session() as s:  # type: ignore[attr-defined]
            rows = s.execute(q.limit(limit) if limit else q).all()
            found = [_record(f, a, feed) for f, a, feed in rows]
            keys = {(r.story_id, r.signature) for r in found} | set(story_keys)
            story_ids = {sid for sid, _ in keys if sid is not None}
            if story_ids:  # the other sources of the same groups, seen before `since` or beyond the limit
                have = {r.finding_id for r in found}
                more = s.execute(
                    select(FindingRow, ArticleRow, feed_of.c.feed)
                    .join(ArticleRow, ArticleRow.id == FindingRow.article_id)
                    .outerjoin(feed_of, feed_of.c.article_id == ArticleRow.id)
                    .where(FindingRow.story_id.in_(story_ids), FindingRow.status.in_(list(reviews)))
                ).all()
                found += [
                    _record(f, a, feed)
                    for f, a, feed in more
                    if f.id not in have and (f.story_id, f.signature) in keys
                ]
        return found

    def story_sources(self, story_id: int | None, signature: str) -> list[FindingRecord]:
        """Every source of one story's finding (not retracted), for an alert's list of outlets."""
        if story_id is None:
            return []
        feed_of = _feed_names()
        with self.session() as s:  # type: ignore[attr-defined]
            rows = s.execute(
                select(FindingRow, ArticleRow, feed_of.c.feed)
                .join(ArticleRow, ArticleRow.id == FindingRow.article_id)
                .outerjoin(feed_of, feed_of.c.article_id == ArticleRow.id)
                .where(
                    FindingRow.story_id == story_id,
                    FindingRow.signature == signature,
                    FindingRow.status != "retracted",
                )
                .order_by(FindingRow.first_seen_at, FindingRow.id)
            ).all()
            return [_record(f, a, feed) for f, a, feed in rows]


def _feed_names():  # type: ignore[no-untyped-def]
    """article id -> the name of a feed that listed it (the first by name)."""
    return (
        select(EntryRow.article_id, func.min(FeedRow.name).label("feed"))
        .join(FeedRow, FeedRow.id == EntryRow.feed_id)
        .where(EntryRow.article_id.is_not(None))
        .group_by(EntryRow.article_id)
        .subquery()
    )


def _record(f: FindingRow, a: ArticleRow, feed: str | None) -> FindingRecord:
    return FindingRecord(
        finding_id=f.id,
        story_id=f.story_id,
        signature=f.signature,
        finding=finding_from_row(f),
        review=f.status,
        first_seen=f.first_seen_at,
        title=a.title,
        url=a.url,
        site=a.site,
        published=a.published,
        text=a.text,
        feed=feed,
    )

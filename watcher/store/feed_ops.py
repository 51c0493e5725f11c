"""Store operations on feeds: config sync, leased claiming of due feeds, fetch outcomes.

Claiming uses row leases: a feed is due when enabled, its ``next_poll_at`` has passed and no
live lease holds it. On PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP
LOCKED`` so two instances never claim the same feed; an expired lease (a crashed instance)
is taken over. SQLite serialises writers, which gives the same guarantee for one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, Update, bindparam, or_, select, update

from watcher.logs import mask_url_passwords
from watcher.store.base import StoreBase
from watcher.store.schema import EntryRow, FeedRow, StateRow
from watcher.types import FeedSource, Fetched

MAX_BACKOFF = timedelta(days=1)
FETCH_ALL_KEY = "feeds:fetch_all"  # state key: names of the feeds marked `fetch: all` in the feeds file
_DEFERRED = "entries_deferred:"  # state key prefix: new entries a feed's last cycle left for later


@dataclass(frozen=True, slots=True)
class SeenEntry:
    """An entry recorded as seen without fetching its page."""

    identity: str
    link: str | None
    title: str
    published: datetime | None
    entry_hash: str


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a poll needs to know about a claimed feed."""

    id: int
    name: str
    url: str
    interval_s: int | None
    etag: str | None
    last_modified: str | None
    consecutive_failures: int
    failure_notified: bool
    tags: tuple[str, ...] = ()


def _state(row: FeedRow) -> FeedState:
    return FeedState(
        row.id,
        row.name,
        row.url,
        row.interval_s,
        row.etag,
        row.last_modified,
        row.consecutive_failures,
        row.failure_notified,
        tuple(row.tags or ()),
    )


def backoff(failures: int, base: timedelta) -> timedelta:
    """Exponential back-off after ``failures`` consecutive failures, capped at a day."""
    return min(base * (1 << max(failures - 1, 0)), MAX_BACKOFF)


class FeedOps(StoreBase):
    """Mixed into :class:`watcher.store.Store`."""

    def sync_feeds(self, sources: list[FeedSource]) -> None:
        """Makes the feeds table match the feeds file (by name); removed feeds are disabled, not deleted."""
        self._insert_feeds(sources)  # new names first (one statement), safe when instances race
        with self.session() as s:
            rows = {r.name: r for r in s.scalars(select(FeedRow).with_for_update())}
            for src in sources:
                row = rows.pop(src.name)
                if row.url != src.url:  # a new URL starts with fresh validators and error state
                    row.url, row.etag, row.last_modified = src.url, None, None
                    row.consecutive_failures, row.next_poll_at = 0, None
                if (row.interval_s, row.enabled, row.tags) != (src.interval, src.enabled, list(src.tags)):
                    row.interval_s, row.enabled, row.tags = src.interval, src.enabled, list(src.tags)
            for row in rows.values():
                if row.enabled and not row.name.startswith("backfill:"):
                    row.enabled = False
        fetch_all = sorted(src.name for src in sources if src.fetch_all)
        if fetch_all != self.fetch_all_feeds():
            self.set_state(FETCH_ALL_KEY, fetch_all)

    def fetch_all_feeds(self) -> list[str]:
        """Names of the feeds whose every entry is fetched (`fetch: all`), as of the last sync."""
        value = self.get_state(FETCH_ALL_KEY, [])
        return [str(v) for v in value] if isinstance(value, list) else []

    def record_entries_seen(self, feed_id: int, seen: list[SeenEntry], now: datetime) -> None:
        """Entries whose pages were not fetched (the feed showed them irrelevant), in one statement:
        identity, link, title, time and entry hash, marked processed with no article, story or
        claims. An edited entry (a new hash) is looked at again; ``backfill`` fetches them."""
        self.record_entries_seen_many([(feed_id, e) for e in seen], now)

    def record_entries_seen_many(self, seen: list[tuple[int, SeenEntry]], now: datetime) -> None:
        """:meth:`record_entries_seen` for the entries of many feeds (a poll cycle's), in one statement."""
        if not seen:
            return
        rows = [
            {
                "feed_id": feed_id,
                "identity": e.identity,
                "link": e.link,
                "title": e.title,
                "published": e.published,
                "content_hash": e.entry_hash,
                "first_seen_at": now,
                "processed_at": now,
                "attempts": 0,
            }
            for feed_id, e in seen
        ]
        stmt = self.insert(EntryRow.__table__)  # Core: no ORM bulk work per row
        stmt = stmt.on_conflict_do_update(
            index_elements=["feed_id", "identity"],
            set_={
                "link": stmt.excluded.link,
                "title": stmt.excluded.title,
                "published": stmt.excluded.published,
                "content_hash": stmt.excluded.content_hash,
                "processed_at": stmt.excluded.processed_at,
            },
        )
        with self.connection() as conn:
            conn.execute(stmt, rows)

    def _insert_feeds(self, sources: list[FeedSource]) -> None:
        """Adds a feed row for each source unless one with its name exists (ON CONFLICT DO NOTHING),
        all in one executemany."""
        if not sources:
            return
        now = datetime.now(UTC)
        rows = [
            {
                "name": src.name,
                "url": src.url,
                "interval_s": src.interval,
                "enabled": src.enabled,
                "tags": list(src.tags),
                "consecutive_failures": 0,
                "failure_notified": False,
                "created_at": now,
            }
            for src in sources
        ]
        stmt = self.insert(FeedRow.__table__).on_conflict_do_nothing(index_elements=["name"])
        with self.session() as s:
            s.connection().execute(stmt, rows)

    def ensure_feed(self, src: FeedSource) -> int:
        """The id of a feed row by name, created if missing (backfills use disabled pseudo-feeds)."""
        self._insert_feeds([src])
        with self.session() as s:
            return s.scalar(select(FeedRow.id).where(FeedRow.name == src.name)) or 0

    def claim_due_feeds(
        self, now: datetime, owner: str, lease: timedelta, limit: int = 10_000
    ) -> list[FeedState]:
        """Leases the due feeds to ``owner``; nobody else polls them until the lease ends."""
        with self.session() as s:
            query = (
                select(FeedRow)
                .where(FeedRow.enabled.is_(True))
                .where(or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= now))
                .where(or_(FeedRow.lease_until.is_(None), FeedRow.lease_until < now))
                .order_by(FeedRow.next_poll_at.is_not(None), FeedRow.next_poll_at, FeedRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            rows = list(s.scalars(query))
            for row in rows:
                row.lease_owner, row.lease_until = owner, now + lease
            return [_state(r) for r in rows]

    def release_feed(self, feed_id: int, owner: str) -> None:
        with self.session() as s:
            s.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id, FeedRow.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def record_feed_success(
        self, feed_id: int, fetched: Fetched, now: datetime, next_poll_at: datetime
    ) -> None:
        """A fetch that worked (200 or 304): validators kept, error state cleared, lease released."""
        with self.session() as s:
            row = s.get_one(FeedRow, feed_id)
            if fetched.content is not None:
                row.etag, row.last_modified = fetched.etag, fetched.last_modified
            row.last_fetch_at = row.last_success_at = now
            row.consecutive_failures, row.failure_notified = 0, False
            row.last_error = row.last_error_kind = None
            row.next_poll_at = next_poll_at
            row.lease_owner = row.lease_until = None

    def record_feeds_not_modified(self, done: list[tuple[int, datetime]], now: datetime) -> None:
        """Many 304s in one statement (an executemany of one UPDATE): for each ``(feed id, next poll)``
        what :meth:`record_feed_success` does for a 304 (validators kept, error state cleared, lease
        released), without one transaction per feed."""
        if not done:
            return
        stmt = _successes(now)
        with self.session() as s:
            s.connection().execute(stmt, [{"b_id": fid, "b_next": at} for fid, at in done])

    def record_feeds_fetched(
        self, done: list[tuple[int, str | None, str | None, datetime]], now: datetime
    ) -> None:
        """Many feeds fetched whole (200) in one executemany: for each ``(feed id, ETag,
        Last-Modified, next poll)`` what :meth:`record_feed_success` does for a 200 (the new
        validators kept, error state cleared, lease released)."""
        if not done:
            return
        table = cast(Table, FeedRow.__table__)
        stmt = _successes(now).values(
            etag=bindparam("b_etag", type_=table.c.etag.type),
            last_modified=bindparam("b_last_modified", type_=table.c.last_modified.type),
        )
        rows = [
            {"b_id": fid, "b_etag": etag, "b_last_modified": lm, "b_next": at} for fid, etag, lm, at in done
        ]
        with self.session() as s:
            s.connection().execute(stmt, rows)

    def record_feed_failure(
        self,
        feed_id: int,
        kind: str,
        message: str,
        now: datetime,
        base_interval: timedelta,
        retry_after: float | None = None,
    ) -> FeedState:
        """A failed fetch or parse: error kept, back-off doubled (capped at a day), lease released."""
        with self.session() as s:
            row = s.get_one(FeedRow, feed_id)
            row.consecutive_failures += 1
            row.last_fetch_at = row.last_error_at = now
            row.last_error, row.last_error_kind = mask_url_passwords(message)[:2000], kind
            wait = backoff(row.consecutive_failures, base_interval)
            if retry_after is not None:
                wait = max(wait, min(timedelta(seconds=retry_after), MAX_BACKOFF))
            row.next_poll_at = now + wait
            row.lease_owner = row.lease_until = None
            return _state(row)

    def record_entries_deferred(self, feed_id: int, count: int, now: datetime) -> None:
        """How many new entries the feed's last fetch left for later cycles (the per-cycle bound)."""
        self.set_state(f"{_DEFERRED}{feed_id}", count, now=now)

    def entries_deferred(self) -> dict[int, int]:
        """Feed id -> new entries waiting for a later cycle (feeds with none are left out)."""
        with self.session() as s:
            rows = s.execute(select(StateRow.key, StateRow.value).where(StateRow.key.startswith(_DEFERRED)))
            found = {int(key.removeprefix(_DEFERRED)): value for key, value in rows}
        return {feed_id: int(n) for feed_id, n in found.items() if n}

    def mark_failure_notified(self, feed_id: int) -> None:
        with self.session() as s:
            s.get_one(FeedRow, feed_id).failure_notified = True

    def feed_rows(self) -> list[FeedRow]:
        """All feeds (detached rows), for status and digests."""
        with self.session() as s:
            return list(s.scalars(select(FeedRow).order_by(FeedRow.name)))

    def failing_feeds(self) -> list[FeedRow]:
        with self.session() as s:
            return list(
                s.scalars(
                    select(FeedRow)
                    .where(FeedRow.enabled.is_(True), FeedRow.consecutive_failures > 0)
                    .order_by(FeedRow.name)
                )
            )

    def processed_identities(
        self, feed_id: int, identities: list[str], *, include_seen: bool = True
    ) -> dict[str, str | None]:
        """Of these entry identities, those already processed, with their stored content hash.
        ``include_seen=False`` leaves out entries only recorded as seen (no article: not fetched)."""
        if not identities:
            return {}
        found: dict[str, str | None] = {}
        stmt = _PROCESSED[include_seen]
        with self.connection() as conn:  # Core, one cached statement: a poll asks this once per feed
            for i in range(0, len(identities), 500):
                rows = conn.execute(stmt, {"b_feed": feed_id, "b_ids": identities[i : i + 500]})
                found.update({identity: h for identity, h in rows})
        return found


def _processed(include_seen: bool) -> Select[Any]:
    """The processed entries of a feed among some identities (``b_feed``, ``b_ids`` expanding)."""
    table = cast(Table, EntryRow.__table__)
    return select(table.c.identity, table.c.content_hash).where(
        table.c.feed_id == bindparam("b_feed"),
        table.c.identity.in_(bindparam("b_ids", expanding=True)),
        table.c.processed_at.is_not(None),
        *(() if include_seen else (table.c.article_id.is_not(None),)),
    )


_PROCESSED = {True: _processed(True), False: _processed(False)}


def _successes(now: datetime) -> Update:
    """One UPDATE for an executemany of feed successes (``b_id``, ``b_next`` bound per row): what
    :meth:`FeedOps.record_feed_success` writes, error state cleared and lease released."""
    table = cast(Table, FeedRow.__table__)
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            last_fetch_at=now,
            last_success_at=now,
            consecutive_failures=0,
            failure_notified=False,
            last_error=None,
            last_error_kind=None,
            next_poll_at=bindparam("b_next", type_=table.c.next_poll_at.type),
            lease_owner=None,
            lease_until=None,
        )
    )

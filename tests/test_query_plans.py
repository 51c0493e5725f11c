"""Every lookup of the poll cycle's hot path is served by an index, on SQLite and on PostgreSQL (issue 14).

The statements are the store's own: they are captured while the store does what a cycle does
(claim the due feeds, look up seen entries, record entries not fetched, store an article with its
story, seed the story index, record 304s and a success), then each SELECT/UPDATE/DELETE is
explained: SQLite's ``EXPLAIN QUERY PLAN`` must not ``SCAN`` a big table, PostgreSQL's ``EXPLAIN``
(with sequential scans discouraged, so the planner takes any usable index even on a small table)
must not show a ``Seq Scan`` of one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from tests.factories import store_article
from watcher.store import Store
from watcher.store.feed_ops import SeenEntry
from watcher.types import Article, FeedSource, Fetched

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
BIG_TABLES = {"feeds", "entries", "articles", "stories", "claims", "findings", "deliveries"}


@contextmanager
def captured(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """The (SQL, first parameter set) of every statement the engine runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def hook(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        seen.append((statement, parameters[0] if executemany and parameters else parameters))

    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", hook)


def _article(n: int) -> Article:
    url = f"https://news.example/{n}"
    return Article(
        url=url, canonical_url=url, title=f"OpenAI story {n}", text=f"OpenAI text {n}", published=T0,
        site="news.example", content_hash=f"h{n}",
    )  # fmt: skip


def hot_path(store: Any) -> list[tuple[str, Any]]:
    """What one poll cycle asks of the store, on a database with some history."""
    store.sync_feeds([FeedSource(name=f"f{i}", url=f"http://127.0.0.1/f{i}.xml") for i in range(3)])
    for n in range(3):
        store_article(store, _article(n), [], now=T0)
    fid = next(r.id for r in store.feed_rows() if r.name == "f0")
    seen = [SeenEntry(f"id{n}", f"https://news.example/seen{n}", "t", T0, "h") for n in range(3)]
    with captured(store.engine) as statements:
        claimed = store.claim_due_feeds(T0, "me", lease=timedelta(minutes=10))
        assert claimed
        store.processed_identities(fid, ["id0", "id9"], include_seen=False)
        store.processed_identities(fid, ["id0", "id9"])
        store.record_entries_seen(fid, seen, T0)
        store.recent_fingerprints(T0 - timedelta(days=3))
        store_article(store, _article(10), [], now=T0)
        store_article(store, _article(10), [], now=T0 + timedelta(minutes=1))  # the same page again
        store.record_feeds_not_modified([(claimed[1].id, T0 + timedelta(hours=1))], T0)
        fetched = Fetched(url="http://127.0.0.1/f0.xml", status=200, content=b"<rss/>", etag='"e"')
        store.record_feed_success(fid, fetched, T0, T0 + timedelta(hours=1))
    return [
        (sql, params) for sql, params in statements if re.match(r"\s*(SELECT|UPDATE|DELETE)\b", sql, re.I)
    ]


def full_scans(store: Any, statements: list[tuple[str, Any]]) -> list[str]:
    """The big tables each statement reads without an index, as ``table: SQL``."""
    found: list[str] = []
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        if store.dialect == "postgresql":
            cur.execute("SET enable_seqscan = off")
        for sql, params in statements:
            if store.dialect == "sqlite":
                cur.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = [str(row[3]) for row in cur.fetchall()]
                scans = [m.group(1) for line in plan if (m := re.match(r"SCAN (\w+)$", line))]
            else:
                cur.execute("EXPLAIN " + sql, params)
                plan = [str(row[0]) for row in cur.fetchall()]
                scans = [m.group(1) for line in plan if (m := re.search(r"Seq Scan on (\w+)", line))]
            found += [f"{table}: {' '.join(sql.split())}" for table in scans if table in BIG_TABLES]
    finally:
        raw.rollback()
        raw.close()
    return found


def test_hot_path_lookups_use_an_index(store: Store) -> None:
    statements = hot_path(store)
    assert len(statements) >= 10  # the capture saw the cycle's reads and updates
    assert full_scans(store, statements) == []


def test_the_check_sees_a_full_scan(store: Store) -> None:
    """A lookup by an unindexed column is reported (the check is not vacuous)."""
    store_article(store, _article(1), [], now=T0)
    with captured(store.engine) as statements, store.session() as s:
        from sqlalchemy import select

        from watcher.store.schema import ArticleRow

        s.execute(select(ArticleRow.id).where(ArticleRow.title == "x")).all()
    scans = full_scans(
        store, [(sql, p) for sql, p in statements if sql.lstrip().upper().startswith("SELECT")]
    )
    assert scans and scans[0].startswith("articles:")

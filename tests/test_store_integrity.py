"""Issue 13, items 2 and 3 at the store: text cleaning, database errors as StorageError, and
migration 0002 (articles unique by canonical URL, existing duplicates merged)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, inspect, select, text

from watcher.cleantext import clean, clean_fields, drop_bad_charrefs
from watcher.errors import StorageError
from watcher.store import Store, db, open_store
from watcher.store.schema import (
    ArticleRow,
    ClaimRow,
    DeliveryRow,
    EntryRow,
    FeedRow,
    FindingRow,
    StoryRow,
)
from watcher.types import FeedEntry

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

# --------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize(
    ("raw", "clean_text"),
    [
        ("plain ascii", "plain ascii"),
        ("nul\x00 inside\x00", "nul inside"),
        ("lone \ud800high and \udfffl\u00f6w", "lone high and l\u00f6w"),
        ("Z\u00fcrich \u20ac4bn \U0001f600", "Z\u00fcrich \u20ac4bn \U0001f600"),  # real characters stay
    ],
)
def test_clean_drops_nul_and_lone_surrogates_only(raw: str, clean_text: str) -> None:
    assert clean(raw) == clean_text


@given(st.text())
def test_clean_is_idempotent_and_always_encodable(value: str) -> None:
    once = clean(value)
    assert clean(once) == once
    assert "\x00" not in once
    once.encode("utf-8")  # no lone surrogate left: every driver can send it


def test_clean_fields_cleans_str_and_tuple_fields_of_a_dataclass() -> None:
    entry = FeedEntry(
        feed="f\x00", entry_id="id\ud800", link=None, title="t\x00", summary="s", published=None
    )
    assert clean_fields(entry) == FeedEntry(feed="f", entry_id="id", link=None, title="t", summary="s",
                                            published=None)  # fmt: skip
    same = FeedEntry(feed="f", entry_id="i", link="l", title="t", summary="s", published=None)
    assert clean_fields(same) is same


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        (b"a&#0;b", b"ab"),
        (b"a&#xD800;&#xdfff;&#55296;&#x0000d800;b", b"ab"),
        (b"a&#x110000;b", b"ab"),
        (b"a&#65;&#x20AC;&amp;&#x1F600;b", b"a&#65;&#x20AC;&amp;&#x1F600;b"),  # valid references stay
        (b"\x00a\x00b", b"\x00a\x00b"),  # raw NULs stay: half of every UTF-16 character
    ],
)
def test_drop_bad_charrefs(raw: bytes, cleaned: bytes) -> None:
    assert drop_bad_charrefs(raw) == cleaned


def test_the_store_cleans_and_clips_what_it_writes(store: Store) -> None:
    """The defensive pass: even a caller that skipped the boundary cannot make a write fail."""
    with store.session() as s:
        s.add(FeedRow(name="n\x00ame", url="https://x.example/" + "p" * 3000, last_error="bad\x00 \ud800!"))
    with store.session() as s:
        row = s.scalars(select(FeedRow)).one()
    assert row.name == "name" and row.last_error == "bad !" and len(row.url) == 2000


# --------------------------------------------------------------------------- errors


def test_every_database_error_family_is_a_storage_error(store: Store) -> None:
    with pytest.raises(StorageError, match="watcher db upgrade") as missing, store.session() as s:
        s.execute(text("SELECT * FROM no_such_table"))  # ProgrammingError (OperationalError on SQLite)
    assert "no_such_table" in str(missing.value)
    with store.session() as s:
        s.add(FeedRow(name="twice", url="https://x.example/a"))
    with pytest.raises(StorageError, match="refused a statement") as dup, store.session() as s:
        s.add(FeedRow(name="twice", url="https://x.example/b"))  # IntegrityError
    assert dup.value.transient is False and dup.value.__cause__ is not None


def test_a_value_postgres_cannot_store_is_a_storage_error(pg_url: str) -> None:
    store = open_store(pg_url, auto_upgrade=True)
    try:
        with pytest.raises(StorageError, match="refused a statement") as bad, store.session() as s:
            s.execute(text("SELECT CAST('not a number' AS integer)"))  # DataError
        assert not bad.value.transient and "InvalidTextRepresentation" in str(bad.value)
    finally:
        store.close()


# --------------------------------------------------------------------------- migration 0002


def _seed_duplicates(store: Store) -> dict[str, int]:
    """At revision 0001: three rows for one URL (as the racing poll threads made them), one for another."""
    url = "https://news.example/deal"
    with store.session() as s:
        feed = FeedRow(name="f", url="https://feeds.example/f")
        stories = [StoryRow(title=f"s{i}", first_seen_at=T0, updated_at=T0) for i in range(3)]
        s.add_all([feed, *stories])
        s.flush()
        arts = [ArticleRow(url=url, canonical_url=url, title="Deal", text="t", content_hash="h",
                           story_id=stories[i].id, fetched_at=T0, updated_at=T0) for i in range(3)]  # fmt: skip
        other = ArticleRow(url="https://news.example/other", canonical_url="https://news.example/other",
                           title="Other", text="o", content_hash="o", fetched_at=T0, updated_at=T0)  # fmt: skip
        s.add_all([*arts, other])
        s.flush()
        for i, art in enumerate(arts):
            s.add(EntryRow(feed_id=feed.id, identity=f"e{i}", article_id=art.id, first_seen_at=T0))
        for art, n in ((arts[0], 2), (arts[1], 1)):  # the third has no claims
            for _ in range(n):
                s.add(ClaimRow(article_id=art.id, kind="deal", attribute="a", hedge="none", evidence="e",
                               span_start=0, span_end=1))  # fmt: skip

        def finding(art: ArticleRow, sig: str) -> SimpleNamespace:
            # a Core insert of revision 0001's columns (the ORM row has later ones, e.g. 0003's deal_status)
            new_id = s.execute(
                insert(FindingRow).values(article_id=art.id, story_id=art.story_id, signature=sig, kind="new_deal",
                                          attribute="a", evidence="e", confidence=0.9, first_seen_at=T0)
                .returning(FindingRow.id)
            ).scalar_one()  # fmt: skip
            return SimpleNamespace(id=new_id, story_id=art.story_id, signature=sig)

        def delivery(f: SimpleNamespace, status: str) -> None:
            s.add(DeliveryRow(finding_id=f.id, story_key=f"{f.story_id}:{f.signature}", channel="telegram",
                              target="1", status=status, created_at=T0))  # fmt: skip

        x0, x1, y1, x2 = (
            finding(arts[0], "X"),
            finding(arts[1], "X"),
            finding(arts[1], "Y"),
            finding(arts[2], "X"),
        )
        delivery(x0, "sent")  # the first alert went out ...
        delivery(x1, "sent")  # ... and, before the fix, a second one for the same deal
        delivery(x2, "pending")  # a third was still queued: dropped, it would alert the deal again
        delivery(y1, "pending")  # a finding only the duplicate has: kept, moved to the kept row
        return {"keep": arts[0].id, "story": stories[0].id, "x0": x0.id, "y1": y1.id, "other": other.id}


def test_migration_0002_merges_duplicate_articles_then_makes_the_url_unique(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0001")
    store = Store(engine)
    try:
        ids = _seed_duplicates(store)
        db.upgrade(engine)
        with store.session() as s:
            arts = s.execute(select(ArticleRow.id, ArticleRow.canonical_url).order_by(ArticleRow.id)).all()
            entries = set(s.scalars(select(EntryRow.article_id)))
            claims = list(s.scalars(select(ClaimRow.article_id)))
            findings = {f.signature: f for f in s.scalars(select(FindingRow))}
            deliveries = s.execute(select(DeliveryRow.finding_id, DeliveryRow.status)).all()
        assert [a.id for a in arts] == [ids["keep"], ids["other"]]
        assert entries == {ids["keep"]}  # every entry points at the kept row
        assert claims == [ids["keep"], ids["keep"]]  # the kept row's own analysis
        assert set(findings) == {"X", "Y"} and findings["X"].id == ids["x0"] and findings["Y"].id == ids["y1"]
        assert all(f.article_id == ids["keep"] and f.story_id == ids["story"] for f in findings.values())
        assert sorted(deliveries) == sorted(
            [(ids["x0"], "sent"), (ids["x0"], "sent"), (ids["y1"], "pending")]
        )
        indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("articles")}
        assert indexes["uq_articles_canonical_url"]["unique"] and "ix_articles_canonical_url" not in indexes
        with pytest.raises(StorageError, match="refused a statement"), store.session() as s:
            s.add(ArticleRow(url="u", canonical_url="https://news.example/deal", content_hash="h"))
        db.downgrade(engine, "0001")
        indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("articles")}
        assert "ix_articles_canonical_url" in indexes and "uq_articles_canonical_url" not in indexes
    finally:
        engine.dispose()

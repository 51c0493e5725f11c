from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select

from watcher.errors import StorageError
from watcher.store import Store, db, open_store
from watcher.store.schema import FeedRow

TABLES = {
    "feeds",
    "entries",
    "stories",
    "articles",
    "claims",
    "findings",
    "deliveries",
    "digests",
    "baseline_versions",
    "state",
    "alembic_version",
}


def test_migrations_create_the_schema(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert db.current_revision(engine) == db.head_revision() == db.newest_migration()
    assert db.at_newest_migration(engine)
    db.downgrade(engine, "base")
    assert not db.at_newest_migration(engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_datetimes_come_back_aware_utc(store: Store) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with store.session() as s:
        s.add(FeedRow(name="f", url="http://x/feed", next_poll_at=when, tags=["a"]))
    with store.session() as s:
        row = s.scalars(select(FeedRow)).one()
        assert row.next_poll_at == when and row.next_poll_at.tzinfo is not None
        assert row.tags == ["a"]


def test_state_and_counts(store: Store) -> None:
    store.set_state("mute_until", "2026-01-01T00:00:00+00:00")
    store.set_state("mute_until", None)
    assert store.get_state("mute_until", "x") is None
    assert store.get_state("nothing", 3) == 3
    assert store.counts()["feeds"] == 0
    assert store.record_baseline_version("v1", "facts: []", source="file")
    assert not store.record_baseline_version("v1", "facts: []", source="file")


def test_postgres_needs_explicit_upgrade(pg_url: str) -> None:
    with pytest.raises(StorageError, match="watcher db upgrade"):
        open_store(pg_url)
    open_store(pg_url, auto_upgrade=True).close()
    open_store(pg_url).close()


def test_sqlite_is_upgraded_automatically(sqlite_url: str) -> None:
    s = open_store(sqlite_url)
    assert s.ping()
    s.close()


def test_unreachable_database_is_a_storage_error() -> None:
    with pytest.raises(StorageError) as err:
        open_store("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none")
    assert "hunter2" not in str(err.value)


def test_migration_0003_adds_and_removes_the_deal_status(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0003")
    assert "deal_status" in {c["name"] for c in inspect(engine).get_columns("findings")}
    db.downgrade(engine, "0001")
    assert "deal_status" not in {c["name"] for c in inspect(engine).get_columns("findings")}
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()

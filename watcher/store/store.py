"""The Store: a database handle with methods named for what they do.

Area-specific operations live beside it as mixins (:mod:`~watcher.store.feed_ops`,
:mod:`~watcher.store.article_ops`, :mod:`~watcher.store.outbox_ops`); this module holds the
handle and what every area shares.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from watcher.errors import StorageError
from watcher.store import db
from watcher.store.article_ops import ArticleOps
from watcher.store.base import StoreBase
from watcher.store.feed_ops import FeedOps
from watcher.store.outbox_ops import OutboxOps
from watcher.store.read_ops import ReadOps
from watcher.store.schema import (
    ArticleRow,
    BaselineVersionRow,
    DeliveryRow,
    EntryRow,
    FeedRow,
    FindingRow,
    StateRow,
    StoryRow,
    utcnow,
)

log = logging.getLogger(__name__)


class Store(FeedOps, ArticleOps, OutboxOps, ReadOps, StoreBase):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = db.session_factory(engine)
        self._sqlite_writer = threading.Lock()

    def write_lock(self) -> AbstractContextManager[object]:
        """Held by the poll's threads around their bigger writes: on SQLite a lock (the file takes
        one writer at a time, and threads queued here hand over at once where SQLite's busy handler
        sleeps and retries), on PostgreSQL nothing (its writers run side by side)."""
        return self._sqlite_writer if self.dialect == "sqlite" else nullcontext()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            if isinstance(exc, SQLAlchemyError):  # every database error family becomes our own error
                raise self._storage_error(exc) from exc
            raise
        finally:
            session.close()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One transaction on a Core connection, without the ORM session's cost per use."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise self._storage_error(exc) from exc

    def _storage_error(self, exc: SQLAlchemyError) -> StorageError:
        """A database error as a :class:`StorageError` that says what happened and what to do."""
        where = db._safe(str(self.engine.url))
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        detail = f"{type(cause).__name__}: {' '.join(str(cause).split())[:300]}"
        invalidated = isinstance(exc, DBAPIError) and exc.connection_invalidated
        if invalidated or (isinstance(exc, OperationalError) and self.dialect != "sqlite"):
            return StorageError(
                f"lost the database {where} mid-transaction ({detail}); nothing of it was saved "
                "and the work is retried on the next cycle",
                transient=True,
            )
        if isinstance(exc, OperationalError):  # SQLite: locked, disk full, missing table...
            return StorageError(
                f"the database {where} failed mid-transaction ({detail}); nothing of it was saved and the "
                "work is retried on the next cycle (if it names a missing table, run `watcher db upgrade`; "
                "if it says locked, another process holds the file)",
                transient=True,
            )
        return StorageError(
            f"the database {where} refused a statement ({detail}); nothing of that transaction was "
            "saved. If it names a value or a constraint, the item in hand is recorded as failed and "
            "the rest go on; if it repeats, report it with this message (run `watcher db upgrade` "
            "if it names a missing table or column)"
        )

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def close(self) -> None:
        self.engine.dispose()

    # -- small shared state -------------------------------------------------------------
    def get_state(self, key: str, default: Any = None) -> Any:
        with self.session() as s:
            row = s.get(StateRow, key)
            return row.value if row is not None else default

    def insert(self, table: Any) -> Any:
        """An INSERT that supports ON CONFLICT on this database (SQLite and PostgreSQL)."""
        if self.dialect == "postgresql":
            return pg_insert(table)
        return sqlite_insert(table)

    def set_state(self, key: str, value: Any, *, now: datetime | None = None) -> None:
        when = now or utcnow()
        stmt = self.insert(StateRow).values(key=key, value=value, updated_at=when)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        with self.session() as s:
            s.execute(stmt)

    def record_baseline_version(self, version: str, facts_yaml: str, *, source: str, note: str = "") -> bool:
        """Stores a baseline version once (safe when instances race); True when it was new."""
        stmt = (
            self.insert(BaselineVersionRow)
            .values(version=version, facts_yaml=facts_yaml, source=source, note=note, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["version"])
            .returning(BaselineVersionRow.id)
        )
        with self.session() as s:
            return s.execute(stmt).first() is not None

    def counts(self) -> dict[str, int]:
        """Row counts per table, for `watcher status` and metrics."""
        tables = {
            "feeds": FeedRow,
            "entries": EntryRow,
            "articles": ArticleRow,
            "stories": StoryRow,
            "findings": FindingRow,
            "deliveries": DeliveryRow,
        }
        with self.session() as s:
            return {
                name: s.scalar(select(func.count()).select_from(model)) or 0 for name, model in tables.items()
            }


def open_store(url: str, *, auto_upgrade: bool | None = None) -> Store:
    """Opens the database. SQLite is migrated automatically; PostgreSQL must be at head
    (run `watcher db upgrade`) unless ``auto_upgrade`` is True."""
    engine = db.make_engine(url)
    if auto_upgrade is None:
        auto_upgrade = engine.dialect.name == "sqlite"
    try:
        if auto_upgrade:
            db.upgrade(engine)
        elif not db.at_newest_migration(engine):
            current, head = db.current_revision(engine), db.head_revision()
            if current != head:
                raise StorageError(
                    f"database schema is at {current or 'nothing'}, code needs {head}: run `watcher db upgrade`"
                )
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the database {db._safe(url)}: {exc}") from exc
    return Store(engine)

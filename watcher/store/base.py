"""What every area of the store shares, typed: the base of the store's area mixins.

:class:`~watcher.store.store.Store` implements it (the engine, one transaction per ``session()``,
the dialect's INSERT, the small key/value state); the mixins (:mod:`~watcher.store.feed_ops`,
:mod:`~watcher.store.article_ops`, :mod:`~watcher.store.outbox_ops`, :mod:`~watcher.store.read_ops`)
subclass it so that what they use of ``self`` is declared once, with its type.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


class StoreBase:
    engine: Engine

    @property
    def dialect(self) -> str:
        """The database's dialect name: ``sqlite`` or ``postgresql``."""
        raise NotImplementedError

    def session(self) -> AbstractContextManager[Session]:
        """One transaction: committed on success, rolled back on any error."""
        raise NotImplementedError

    def connection(self) -> AbstractContextManager[Connection]:
        """One transaction on a Core connection (no ORM session: for the hot path's plain statements),
        committed on success, rolled back on any error; errors as :meth:`session`'s."""
        raise NotImplementedError

    def insert(self, table: Any) -> Any:
        """An INSERT that supports ON CONFLICT on this database (SQLite and PostgreSQL)."""
        raise NotImplementedError

    def get_state(self, key: str, default: Any = None) -> Any:
        raise NotImplementedError

    def set_state(self, key: str, value: Any, *, now: datetime | None = None) -> None:
        raise NotImplementedError

"""Persistence: SQLAlchemy tables, migrations and the :class:`Store`."""

from watcher.store.store import Store, open_store

__all__ = ["Store", "open_store"]

"""What every command gets as ``click.Context.obj``: a typed factory of the Watcher it works with.

The `cli` group puts a :class:`WatcherFactory` there; commands open their Watcher through
:func:`opened`, which yields the real :class:`~watcher.app.root.Watcher` type. A test can hand its
own factory: ``CliRunner().invoke(cli, args, obj=WatcherFactory(build=...))``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # heavy imports happen inside the command that needs them
    from watcher.app.root import Watcher
    from watcher.config import Settings

NO_DATABASE_HINT = "run `watcher poll --once` or `watcher run` first"


def missing_database(url: str) -> str | None:
    """The path of a SQLite database file that does not exist yet (None when it exists, or for
    other databases, which are never created by opening them)."""
    from watcher.paths import sqlite_file

    path = sqlite_file(url)
    return None if path is None or path.exists() else str(path)


@dataclass(frozen=True, slots=True)
class WatcherFactory:
    """Builds a command's Watcher from the settings in effect; ``build`` defaults to ``make_watcher``."""

    build: Callable[[Settings], Watcher] | None = None

    @contextmanager
    def opened(self, *, read_only: bool = False, **overrides: object) -> Iterator[Watcher]:
        """A Watcher built from settings, closed afterwards. ``read_only``: a command that only reads
        (status, findings, digest --preview) never creates the database or its folder; when the SQLite
        file does not exist it fails with NoDatabaseError instead."""
        from watcher.app.root import make_watcher
        from watcher.config import load_settings
        from watcher.errors import NoDatabaseError

        settings = load_settings(**overrides)
        if read_only:
            path = missing_database(settings.database_url)
            if path is not None:
                from watcher.store.db import check_sqlite_folder

                check_sqlite_folder(
                    settings.database_url, create=False
                )  # a folder that is not there is an error
                raise NoDatabaseError(f"no database yet at {path}; {NO_DATABASE_HINT}")
        w = (self.build or make_watcher)(settings)
        try:
            yield w
        finally:
            w.close()


def factory() -> WatcherFactory:
    """The current command's factory (``ctx.obj``; a default one when the command runs on its own)."""
    return click.get_current_context().ensure_object(WatcherFactory)


def opened(*, read_only: bool = False, **overrides: object) -> AbstractContextManager[Watcher]:
    """The current command's Watcher (see :meth:`WatcherFactory.opened`)."""
    return factory().opened(read_only=read_only, **overrides)

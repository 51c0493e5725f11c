"""`watcher db`: schema migrations."""

from __future__ import annotations

import click

from watcher.cli.base import cli


@cli.group("db")
def db_group() -> None:
    """Database schema: upgrade, current revision."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
def db_upgrade(revision: str) -> None:
    """Apply migrations to WATCHER_DATABASE_URL (SQLite is upgraded automatically by other commands)."""
    from watcher.config import load_settings
    from watcher.store import db

    settings = load_settings()
    engine = db.make_engine(settings.database_url)
    db.upgrade(engine, revision)
    click.echo(f"database at revision {db.current_revision(engine)}")


@db_group.command("current")
def db_current() -> None:
    """Print the database's current and the code's head revision."""
    from watcher.config import load_settings
    from watcher.store import db

    engine = db.make_engine(load_settings().database_url)
    click.echo(f"current: {db.current_revision(engine) or 'none'}  head: {db.head_revision()}")

"""Engine creation and migrations: the one place that knows database URLs.

Alembic (about 10 MB and 0.2 s of imports) is imported only when a migration runs or a revision is
asked for: opening a database already at the newest revision reads ``alembic_version`` directly.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from watcher.errors import StorageError
from watcher.paths import DISTRIBUTION, user_data_dir

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def check_sqlite_folder(url: str, *, create: bool = True) -> None:
    """The default data folder is created (unless ``create`` is False: read-only commands); any other
    SQLite file's folder must exist (a typo in WATCHER_DATABASE_URL is an error, not a new directory tree)."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return
    folder = Path(url.removeprefix("sqlite:///").split("?", 1)[0]).parent
    if folder.is_dir():
        return
    if folder == user_data_dir():
        if not create:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the folder {folder} for the SQLite database {_safe(url)} "
                f"({exc.strerror or exc}): point WATCHER_DATABASE_URL at a writable place"
            ) from exc
        return
    raise StorageError(
        f"cannot use WATCHER_DATABASE_URL {_safe(url)}: the folder {folder} does not exist (create it first)"
    )


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; SQLite gets WAL and foreign keys on (and the default data
    folder created)."""
    check_sqlite_folder(url)
    try:
        # a SQLite file cannot drop a connection: no ping before each checkout (one statement per transaction)
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), future=True)
    except ModuleNotFoundError as exc:
        hint = f"; install it with: pip install '{DISTRIBUTION}[postgres]'" if exc.name == "psycopg" else ""
        raise StorageError(
            f"cannot use WATCHER_DATABASE_URL {_safe(url)}: the database driver {exc.name} is not installed{hint}"
        ) from exc
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StorageError(f"cannot use WATCHER_DATABASE_URL {_safe(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(
        "PRAGMA synchronous=NORMAL"
    )  # safe with WAL: a crash loses no committed data, only power loss might
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - any unparsable URL is shown as a placeholder
        return "<unparsable URL>"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Applies migrations up to ``revision``."""
    if revision == "head" and at_newest_migration(engine):
        return
    from alembic import command

    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database {_safe(str(engine.url))}: {exc.orig}") from exc


def downgrade(engine: Engine, revision: str) -> None:
    """Reverts migrations down to ``revision`` ("base" removes every table)."""
    from alembic import command

    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database {_safe(str(engine.url))}: {exc.orig}") from exc


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database {_safe(str(engine.url))}: {exc.orig}") from exc


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def newest_migration() -> str:
    """The head revision without alembic: the migration files are named by their revision ids
    (``0004_hot_path_indexes.py`` is revision ``0004``), each revising the one before
    (tests/test_store.py checks this against alembic's own head)."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def at_newest_migration(engine: Engine) -> bool:
    """Whether the database's ``alembic_version`` is the newest migration (False when it cannot
    be read: no table yet, or no database; the migration then runs or says what is wrong)."""
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:
        return False
    return found == [newest_migration()]


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)

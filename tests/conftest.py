"""Shared fixtures: a clean WATCHER_* environment, and databases on SQLite and PostgreSQL.

PostgreSQL tests run where WATCHER_TEST_POSTGRES_URL is set (CI sets it); each test gets a
fresh database on that server, dropped afterwards. Without it they skip with a reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from watcher.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_ENV = "WATCHER_TEST_POSTGRES_URL"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a clean skip where it is absent (a user's clone has none)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"{path} not present: the shared corpus is only beside the project on the team's machines"
        )
    return path


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the developer's own WATCHER_* settings nor their user data folder, and run
    from the repo root."""
    for name in list(os.environ):
        if name.startswith("WATCHER_") and name != PG_ENV:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.chdir(ROOT)


def _new_pg_database(server_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"watcher_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(server_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"{PG_ENV} not set: PostgreSQL tests run in CI (see .ci/run)")
    name, url = _new_pg_database(server)
    try:
        yield url
    finally:
        _drop_pg_database(server, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'watcher.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'watcher.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    from watcher.store import open_store

    s = open_store(db_url, auto_upgrade=True)
    yield s
    s.close()


from tests.conftest_http import http_client, http_server  # noqa: E402,F401  (real loopback HTTP server)
from tests.conftest_notify import botapi, smtp_server, smtp_server_factory, telegram_sender  # noqa: E402,F401
from tests.conftest_web import dashboard_watcher  # noqa: E402,F401  (a Watcher with stories for the dashboard)

"""The database "restarts" during a cycle (PostgreSQL): every backend of the test database is
terminated from a separate connection while the cycle runs (the shared server itself is never
restarted). A second cycle must then finish the work: every entry processed exactly once, every
alert delivered once (the engine uses ``pool_pre_ping``, so dead pooled connections are replaced).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.botapi import BotApiServer
from tests.httpserver import LocalServer, Route
from tests.reliability.deal_pages import COMPANIES as ALL_COMPANIES
from tests.reliability.deal_pages import article_page as deal_page
from watcher.app.root import Watcher, make_watcher
from watcher.config import load_settings
from watcher.errors import StorageError
from watcher.notify.channels import TelegramChannel
from watcher.notify.telegram import ChatPacer, TelegramSender
from watcher.store import open_store
from watcher.types import Article, Claim, Finding

if TYPE_CHECKING:
    from tests.reliability.conftest import Kit, Ledger

pytestmark = pytest.mark.postgres
CHAT = 5151
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
COMPANIES = ALL_COMPANIES[:6]


def article_page(i: int) -> str:
    return deal_page(i, f"{COMPANIES[i]} Cloud")


def feed_xml(base: str, items: Iterable[int]) -> str:
    entries = "".join(
        f"<item><title>OpenAI signs deal {i}</title><link>{base}/a{i}.html</link><guid>g{i}</guid>"
        f"<description>OpenAI signed a deal with {COMPANIES[i]} Cloud.</description></item>"
        for i in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{entries}</channel></rss>'


def terminate_others(url: str) -> int:
    """Kills every other session on this database, as a server restart would; returns how many."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer() as server:
        base = server.url("").rstrip("/")
        for i in range(len(COMPANIES)):
            server.routes[f"/a{i}.html"] = Route.text(article_page(i))
        server.routes["/feed0.xml"] = Route.text(feed_xml(base, range(3)), "application/rss+xml")
        server.routes["/feed1.xml"] = Route.text(feed_xml(base, range(3, 6)), "application/rss+xml")
        yield server


@pytest.fixture
def api() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        yield server


@pytest.fixture
def make(
    pg_url: str, tmp_path: Path, site: LocalServer, api: BotApiServer
) -> Iterator[Callable[[], Watcher]]:
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        yaml.safe_dump({"feeds": [{"name": f"feed{i}", "url": site.url(f"/feed{i}.xml")} for i in (0, 1)]})
    )
    made: list[Watcher] = []

    def factory() -> Watcher:
        settings = load_settings(database_url=pg_url, feeds_file=feeds_file, allow_private_networks=True,
                                 delivery_deadline=0, telegram_token=api.token, telegram_chat_ids=(CHAT,),
                                 telegram_api_url=api.url)  # fmt: skip
        sender = TelegramSender(api.token, api_url=api.url, timeout=5, pacer=ChatPacer(0))
        w = make_watcher(settings, store=open_store(pg_url, auto_upgrade=True), clock=lambda: T0,
                         channels={"telegram": TelegramChannel(sender)})  # fmt: skip
        made.append(w)
        return w

    yield factory
    for w in made:
        w.close()


def assert_exactly_once(w: Watcher, api: BotApiServer, ledger: Ledger, kit: type[Kit]) -> None:
    with w.store.session() as s:
        entries = s.execute(text("SELECT identity, processed_at IS NOT NULL FROM entries")).all()
        articles = s.execute(text("SELECT count(*) FROM articles")).scalar_one()
    processed = {identity: 0 for identity in (f"g{i}" for i in range(len(COMPANIES)))}
    for identity, done in entries:  # an entry row per identity (the guid, made absolute); processed once
        key = identity.rsplit("/", 1)[-1]
        processed[key] = processed.get(key, 0) + int(done)
    ledger.count(processed, list(processed))
    assert articles == len(COMPANIES)
    texts = [m.text for m in api.sent_to(CHAT)]
    names = [f"{c} Cloud" for c in COMPANIES]
    ledger.count(kit.per_name(texts, names), names)
    assert w.store.delivery_counts() == {"sent": len(COMPANIES)}


def run_cycle(w: Watcher) -> StorageError | None:
    """One cycle; the lost connection may escape it, translated (the process would log it and go on).

    A raw SQLAlchemy/psycopg error escaping is a bug (errors are translated at the boundary): it
    fails the test.
    """
    try:
        w.poll_once()
    except StorageError as exc:
        assert "lost the database" in str(exc)
        return exc
    return None


def test_sessions_killed_mid_cycle_then_a_second_cycle_loses_and_repeats_nothing(
    make: Callable[[], Watcher], pg_url: str, api: BotApiServer, ledger: Ledger, kit: type[Kit]
) -> None:
    w = make()
    real = w.pipeline.analyser.analyse
    calls = {"n": 0, "killed": 0}
    lock = threading.Lock()

    def analyse_then_kill(article: Article) -> tuple[list[Claim], list[Finding]]:
        result = real(article)
        with lock:
            calls["n"] += 1
            if calls["n"] == 2:  # after the 2nd article: the database "restarts"
                calls["killed"] = terminate_others(pg_url)
        return result

    w.pipeline.analyser.analyse = analyse_then_kill  # type: ignore[method-assign]  # a fault for this instance
    ledger.inject("db:terminate-backends")
    run_cycle(w)
    assert calls["killed"] >= 1  # the fault really hit live sessions
    w.pipeline.analyser.analyse = real  # type: ignore[method-assign]  # the fault removed again
    error = run_cycle(w)
    assert error is None, error
    assert_exactly_once(w, api, ledger, kit)


def test_sessions_killed_while_a_page_is_served(
    make: Callable[[], Watcher],
    pg_url: str,
    site: LocalServer,
    api: BotApiServer,
    ledger: Ledger,
    kit: type[Kit],
) -> None:
    """Injected from the web server: the kill happens while the pipeline waits for page 4."""
    killed: list[int] = []

    def body() -> Iterable[bytes]:
        killed.append(terminate_others(pg_url))
        yield article_page(4).encode()

    site.routes["/a4.html"] = Route(headers={"Content-Type": "text/html; charset=utf-8"}, body=body)
    w = make()
    ledger.inject("db:terminate-backends")
    run_cycle(w)
    assert killed and killed[0] >= 1
    error = run_cycle(w)
    assert error is None, error
    assert_exactly_once(w, api, ledger, kit)


def test_sessions_killed_during_delivery(
    make: Callable[[], Watcher], pg_url: str, api: BotApiServer, ledger: Ledger, kit: type[Kit]
) -> None:
    """Killed between two sends of one drain: the alerts sent are marked, the rest go next time."""
    w = make()
    w.outbox.summary_threshold = 100  # one message per alert, so the kill falls between sends
    w.poll_once(deliver=False)
    channel = w.channels["telegram"]
    real_send = channel.send
    sends = {"n": 0}

    def send_then_kill(*args: Any, **kw: Any) -> str:
        remote = real_send(*args, **kw)
        sends["n"] += 1
        if sends["n"] == 2:
            assert terminate_others(pg_url) >= 0
        return remote

    channel.send = send_then_kill  # type: ignore[method-assign]  # a fault for this channel only
    ledger.inject("db:terminate-backends")
    with contextlib.suppress(StorageError):  # the drain may stop on the dead connection; the rows stay
        w.deliver()
    channel.send = real_send  # type: ignore[method-assign]  # the fault removed again
    w.deliver()
    assert_exactly_once(w, api, ledger, kit)

"""Security through the pipeline: the private-address guard, XML entities, bot commands from
strangers, and secrets kept out of logs and error messages."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from sqlalchemy import select

from tests.botapi import BotApiServer
from tests.httpserver import LocalServer, Route
from watcher.app.root import Watcher, make_watcher
from watcher.config import load_settings
from watcher.errors import DeliveryError, FetchError, StorageError
from watcher.ingest.http import HttpClient, guarded_transport
from watcher.logs import JsonFormatter, RedactingFormatter
from watcher.notify.channels import ConsoleChannel
from watcher.notify.email import EmailSender
from watcher.notify.telegram import ChatPacer, TelegramSender
from watcher.notify.telegram_commands import TelegramCommands
from watcher.store import open_store
from watcher.store.schema import EntryRow

if TYPE_CHECKING:
    from tests.reliability.conftest import Ledger

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TOKEN = "987654321:AAH-s3cr3t-b0t-t0ken-do-not-log-XYZ"
PASSWORD = "smtp-pa55-do-not-log"
DB_PASSWORD = "db-pa55-do-not-log"


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer() as server:
        server.routes["/feed.xml"] = Route.text("<rss/>", "application/rss+xml")
        yield server


def watcher_for(
    sqlite_url: str, tmp_path: Path, feeds: dict[str, str], *, allow_private: bool = False
) -> Watcher:
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(yaml.safe_dump({"feeds": [{"name": n, "url": u} for n, u in feeds.items()]}))
    settings = load_settings(database_url=sqlite_url, feeds_file=feeds_file, delivery_deadline=0,
                             allow_private_networks=allow_private, http_timeout=2)  # fmt: skip
    out = io.StringIO()
    return make_watcher(settings, store=open_store(sqlite_url, auto_upgrade=True), clock=lambda: T0,
                        channels={"console": ConsoleChannel(out)}, stream=out)  # fmt: skip


def test_non_public_addresses_are_refused_through_the_pipeline(
    sqlite_url: str, tmp_path: Path, site: LocalServer, ledger: Ledger
) -> None:
    port = site.port
    hosts = ["127.0.0.1", "10.0.0.8", "192.168.1.1", "172.16.0.1", "169.254.169.254", "100.64.0.1",
             "0.0.0.0", "240.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "[fd00::1]", "localhost"]  # fmt: skip
    feeds = {f"h{i}": f"http://{h}:{port}/feed.xml" for i, h in enumerate(hosts)}
    w = watcher_for(sqlite_url, tmp_path, feeds)
    ledger.inject("security:private-address", len(hosts))
    try:
        report, _ = w.poll_once()
        rows = {r.name: r for r in w.store.feed_rows()}
    finally:
        w.close()
    assert report.feeds_polled == len(hosts)
    refused = [n for n, r in rows.items() if r.last_error_kind == "refused"]
    assert sorted(refused) == sorted(feeds), {n: (r.last_error_kind, r.last_error) for n, r in rows.items()}
    assert site.requests == []  # nothing fetched
    ledger.outcome(items=len(hosts), lost=0, duplicated=len(site.requests))


def test_a_redirect_to_loopback_is_refused_on_the_hop(site: LocalServer, ledger: Ledger) -> None:
    """A public-looking name redirects to 127.0.0.1: the hop is checked (resolver injected)."""
    site.routes["/go"] = Route.redirect(f"http://127.0.0.1:{site.port}/feed.xml")
    answers = {"news.example": ["127.0.0.1"]}  # our own server, pretending to be public
    policy_calls: list[str] = []

    def policy(address: str) -> bool:
        policy_calls.append(address)
        return len(policy_calls) == 1  # only the first hop's answer passes as public

    transport = guarded_transport(resolver=lambda h, p: answers.get(h, [h]), policy=policy)
    ledger.inject("security:redirect-to-loopback")
    with HttpClient(transport=transport) as client, pytest.raises(FetchError) as err:
        client.fetch(f"http://news.example:{site.port}/go")
    assert err.value.kind == "refused"
    assert [r.path for r in site.requests] == ["/go"]  # the target was never requested


def test_xml_external_entities_are_never_expanded(
    sqlite_url: str, tmp_path: Path, site: LocalServer, ledger: Ledger
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-XXE-7f3a")
    feed = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            '<rss version="2.0"><channel><title>t &xxe;</title><item><title>OpenAI news &xxe;</title>'
            f"<link>http://127.0.0.1:{site.port}/none</link><description>about &xxe; OpenAI</description>"
            "</item></channel></rss>")  # fmt: skip
    site.routes["/xxe.xml"] = Route.text(feed, "application/rss+xml")
    w = watcher_for(sqlite_url, tmp_path, {"xxe": site.url("/xxe.xml")}, allow_private=True)
    ledger.inject("security:xxe")
    try:
        w.poll_once()
        with w.store.session() as s:
            stored = [f"{e.title} {e.error}" for e in s.scalars(select(EntryRow))]
            stored += [str(r) for r in s.execute(select(EntryRow.title)).all()]
        from watcher.store.schema import ArticleRow

        with w.store.session() as s:
            stored += [f"{a.title} {a.text}" for a in s.scalars(select(ArticleRow))]
    finally:
        w.close()
    assert not any("MARKER-XXE" in x for x in stored), stored


def test_commands_from_chats_not_allowed_get_no_answer(ledger: Ledger) -> None:
    class Handler:
        def __getattr__(self, name: str) -> Callable[..., str]:
            return lambda *a: f"answer to {name}"

    with BotApiServer() as api:
        sender = TelegramSender(api.token, api_url=api.url, timeout=5, pacer=ChatPacer(0))
        try:
            commands = TelegramCommands(sender, Handler(), allowed_chat_ids=[111])
            api.push_command(999, "/status")
            api.push_callback(999, "confirm:1")
            api.push_command(111, "/status")
            ledger.inject("security:foreign-chat-command", 2)
            assert commands.poll_once() == 3
        finally:
            sender.close()
        assert [m.chat_id for m in api.messages] == [111]
        assert api.calls_to("answerCallbackQuery") == []


def test_secrets_are_absent_from_logs_and_error_messages(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, ledger: Ledger
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    # a bot token rejected by the API
    with (
        BotApiServer() as api,
        TelegramSender(TOKEN, api_url=api.url, timeout=2, pacer=ChatPacer(0)) as sender,
        pytest.raises(DeliveryError) as tg,
    ):
        sender.send(1, "hi", plain_fallback="hi")
        texts.append(str(tg.value))
    # an SMTP login that cannot work (nothing listens)
    from tests.smtpserver import free_port

    email = EmailSender("127.0.0.1", free_port(), user="u", password=PASSWORD, starttls=False, timeout=1)
    with pytest.raises(DeliveryError) as em:
        email.send(["a@example.org"], "s", "t", "<p>t</p>")
    texts.append(str(em.value))
    # a database URL with a password that cannot be reached
    with pytest.raises(StorageError) as st:
        open_store(f"postgresql+psycopg://watcher:{DB_PASSWORD}@127.0.0.1:1/watcher", auto_upgrade=True)
    texts.append(str(st.value))
    ledger.inject("security:secret-in-error", 3)
    # log records that carry them get redacted by both formatters
    record = logging.LogRecord("t", logging.ERROR, __file__, 1,
                               "calling https://api.telegram.org/bot%s/sendMessage and %s", (TOKEN, f"postgresql://w:{DB_PASSWORD}@h/db"), None)  # fmt: skip
    texts += [RedactingFormatter("%(message)s").format(record), JsonFormatter().format(record)]
    # every record logged meanwhile, as watcher's handlers write them (python-telegram-bot itself logs
    # "Set Bot API URL: .../bot<token>" at DEBUG: only the redaction keeps it out of the log)
    for formatter in (RedactingFormatter("%(name)s %(message)s"), JsonFormatter()):
        texts += [formatter.format(r) for r in caplog.records]
    leaks = [t for t in texts for secret in (TOKEN, PASSWORD, DB_PASSWORD) if secret in t]
    assert leaks == []
    ledger.outcome(items=len(texts), lost=0, duplicated=len(leaks))

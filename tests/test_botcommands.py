"""The bot's commands and buttons, answered through python-telegram-bot against the Bot API imitation."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.botapi import BotApiServer
from tests.factories import store_article
from watcher.app.botcommands import BotHandler
from watcher.app.queries import confirmed_facts
from watcher.app.root import Watcher, make_watcher
from watcher.config import load_settings
from watcher.notify.channels import ConsoleChannel
from watcher.notify.telegram import TelegramSender
from watcher.notify.telegram_commands import TelegramCommands
from watcher.store.schema import FindingRow
from watcher.types import Article, Finding, FindingKind

ALLOWED, STRANGER = 1001, 666
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(db_url: str) -> Iterator[Watcher]:
    from watcher.store import open_store

    w = make_watcher(
        load_settings(database_url=db_url),
        store=open_store(db_url, auto_upgrade=True),
        channels={"console": ConsoleChannel(io.StringIO())},
        clock=lambda: T0,
    )
    finding = Finding(
        FindingKind.NEW_DEAL,
        ("OpenAI", "Acme Cloud"),
        "compute_deal",
        None,
        None,
        "$9.7 billion",
        "OpenAI signed a $9.7bn contract with Acme Cloud Ltd.",
        0.9,
        "new deal",
    )
    art = Article(
        "https://news.example/acme", "https://news.example/acme", "OpenAI and Acme", "t", T0, None, "h"
    )
    store_article(w.store, art, [finding])
    yield w
    w.close()


@pytest.fixture
def commands(app: Watcher, botapi: BotApiServer) -> Iterator[TelegramCommands]:
    sender = TelegramSender(botapi.token, api_url=botapi.url, timeout=5)
    listener = TelegramCommands(sender, BotHandler(app), [ALLOWED], poll_timeout=0)
    yield listener
    sender.close()


def finding_id(app: Watcher) -> int:
    with app.store.session() as s:
        return s.scalars(select(FindingRow.id)).one()


def test_commands_from_an_allowed_chat_are_answered(
    app: Watcher, commands: TelegramCommands, botapi: BotApiServer
) -> None:
    botapi.push_command(ALLOWED, "/status")
    botapi.push_command(ALLOWED, "/latest 3")
    botapi.push_command(ALLOWED, "/mute 2")
    commands.poll_once()
    texts = [m.text for m in botapi.sent_to(ALLOWED)]
    assert any("baseline" in t and "findings" in t for t in texts)
    assert any("Acme Cloud" in t and "https://news.example/acme" in t for t in texts)
    assert any("muted until" in t.lower() for t in texts)
    assert app.store.get_state("mute_until").startswith("2026-11-23T11:00")


def test_a_chat_not_allowed_gets_nothing(
    app: Watcher,
    commands: TelegramCommands,
    botapi: BotApiServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    botapi.push_command(STRANGER, "/status")
    botapi.push_callback(STRANGER, f"dismiss:{finding_id(app)}")
    commands.poll_once()
    assert botapi.sent_to(STRANGER) == [] and botapi.calls_to("answerCallbackQuery") == []
    assert any(str(STRANGER) in r.getMessage() for r in caplog.records)
    with app.store.session() as s:
        assert s.scalars(select(FindingRow.status)).one() == "active"


def test_confirmed_accepts_the_fact_into_a_new_baseline_version(
    app: Watcher,
    commands: TelegramCommands,
    botapi: BotApiServer,
) -> None:
    fid = finding_id(app)
    before = app.baseline.version
    botapi.push_callback(ALLOWED, f"confirm:{fid}")
    commands.poll_once()
    assert botapi.calls_to("answerCallbackQuery")
    (fact,) = confirmed_facts(app.store)
    assert fact.parties == ("OpenAI", "Acme Cloud") and fact.value.amount == pytest.approx(9.7e9)
    assert (
        fact.provenance.seed == "https://news.example/acme" and "Acme Cloud Ltd" in fact.provenance.sentence
    )
    assert app.baseline.version != before and app.baseline.get(fact.id) is not None
    # the next article repeating the deal confirms it instead of flagging it again
    claims, findings = app.pipeline.analyser.analyse(
        Article(
            "https://other.example/x",
            "https://other.example/x",
            "Acme",
            "OpenAI signed a $9.7 billion contract with Acme Cloud Ltd to rent servers, the companies said.",
            T0,
            None,
            "h2",
        )
    )
    assert not any(f.kind == FindingKind.NEW_DEAL and "Acme Cloud" in f.parties for f in findings)


def test_dismiss_marks_a_false_alert(app: Watcher, commands: TelegramCommands, botapi: BotApiServer) -> None:
    botapi.push_callback(ALLOWED, f"dismiss:{finding_id(app)}")
    commands.poll_once()
    with app.store.session() as s:
        assert s.scalars(select(FindingRow.status)).one() == "dismissed"


def test_only_admins_may_confirm_when_admin_ids_are_set(app: Watcher, botapi: BotApiServer) -> None:
    """Issue 13 (8): in a group chat on the allow-list any member could press Confirm and change the
    baseline. With WATCHER_TELEGRAM_ADMIN_IDS set, a member who is not an admin gets a polite refusal
    and nothing changes; an admin's press works. The setting is read and passed by start_listener."""
    group, admin, member = -1001, 7, 8
    settings = load_settings(database_url="sqlite://", telegram_admin_ids="7, 9")
    assert settings.telegram_admin_ids == (7, 9)
    sender = TelegramSender(botapi.token, api_url=botapi.url, timeout=5)
    listener = TelegramCommands(sender, BotHandler(app), [group], poll_timeout=0,
                                admin_ids=settings.telegram_admin_ids)  # fmt: skip
    try:
        fid = finding_id(app)
        refused = botapi.push_callback(group, f"confirm:{fid}", user_id=member)
        listener.poll_once()
        assert confirmed_facts(app.store) == []
        (answer,) = botapi.calls_to("answerCallbackQuery")
        assert (
            answer.params["callback_query_id"] == refused
            and "only the watcher's admins" in answer.params["text"]
        )
        botapi.push_callback(group, f"confirm:{fid}", user_id=admin)
        listener.poll_once()
        assert len(confirmed_facts(app.store)) == 1
    finally:
        sender.close()


def test_without_admin_ids_any_member_of_an_allowed_chat_may_confirm(
    app: Watcher, botapi: BotApiServer
) -> None:
    """Unset WATCHER_TELEGRAM_ADMIN_IDS keeps the old behaviour (documented in README)."""
    sender = TelegramSender(botapi.token, api_url=botapi.url, timeout=5)
    listener = TelegramCommands(sender, BotHandler(app), [-1001], poll_timeout=0,
                                admin_ids=load_settings(database_url="sqlite://").telegram_admin_ids or None)  # fmt: skip
    try:
        botapi.push_callback(-1001, f"confirm:{finding_id(app)}", user_id=8)
        listener.poll_once()
        assert len(confirmed_facts(app.store)) == 1
    finally:
        sender.close()

"""Fixtures for the delivery adapters: a fake Bot API, a local SMTP server, a sender.

The lead imports these into tests/conftest.py::

    from tests.conftest_notify import botapi, smtp_server, smtp_server_factory, telegram_sender  # noqa: F401

(see tests/botapi.py and tests/smtpserver.py for what the servers can do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.botapi import BotApiServer
from tests.smtpserver import SmtpServer
from watcher.notify.telegram import ChatPacer, TelegramSender


@pytest.fixture
def botapi() -> Iterator[BotApiServer]:
    """A running fake Telegram Bot API; ``botapi.url`` is the api_url, ``botapi.token`` the token."""
    with BotApiServer() as server:
        yield server


@pytest.fixture
def telegram_sender(botapi: BotApiServer) -> Iterator[TelegramSender]:
    """A TelegramSender talking to ``botapi``, without pacing and with a 5 s timeout."""
    sender = TelegramSender(botapi.token, api_url=botapi.url, timeout=5, pacer=ChatPacer(0))
    yield sender
    sender.close()


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SmtpServer]]:
    """Starts SmtpServer(**kwargs) (users=..., tls=...) and stops it after the test."""
    started: list[SmtpServer] = []

    def make(**kwargs: Any) -> SmtpServer:
        server = SmtpServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: Callable[..., SmtpServer]) -> SmtpServer:
    """A running local SMTP server without AUTH or TLS that captures ``.messages``."""
    return smtp_server_factory()

"""Channels the outbox sends through, and the digest's sinks: thin adapters over the senders."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from watcher.notify.console import ConsoleSink
from watcher.notify.render import (
    AlertView,
    render_alert_html,
    render_alert_text,
    render_summary_html,
    render_summary_text,
)
from watcher.types import FindingKind


def alert_buttons(finding_id: int, view: AlertView) -> list[tuple[str, str]]:
    """Inline buttons under a flag: accept it into the baseline, or mark it a false alert."""
    if view.finding.kind not in (FindingKind.NEW_DEAL, FindingKind.CONTRADICTION):
        return []
    return [("✅ Confirmed", f"confirm:{finding_id}"), ("✖ Dismiss", f"dismiss:{finding_id}")]


class TelegramChannel:
    """Alerts as HTML messages to Telegram chats (python-telegram-bot, behind TelegramSender)."""

    name = "telegram"

    def __init__(self, sender: Any) -> None:
        self.sender = sender

    @classmethod
    def from_settings(cls, settings: Any) -> TelegramChannel:
        from watcher.notify.telegram import TelegramSender

        token = settings.telegram_token.get_secret_value()
        return cls(TelegramSender(token, api_url=settings.telegram_api_url, timeout=settings.http_timeout))

    def send(self, target: str, view: AlertView, *, finding_id: int, resume: str | None) -> str:
        done = [int(i) for i in resume.split(",")] if resume else []
        ids = self.sender.send(
            int(target),
            render_alert_html(view),
            plain_fallback=render_alert_text(view),
            reply_markup_buttons=alert_buttons(finding_id, view),
            start_part=len(done),
        )
        return ",".join(str(i) for i in [*done, *ids])

    def send_summary(self, target: str, views: Sequence[AlertView]) -> str:
        ids = self.sender.send(
            int(target), render_summary_html(views), plain_fallback=render_summary_text(views)
        )
        return ",".join(str(i) for i in ids)

    def edit(self, target: str, remote_id: str, view: AlertView, *, finding_id: int) -> None:
        first = int(remote_id.split(",")[0])
        self.sender.edit(
            int(target),
            first,
            render_alert_html(view),
            plain_fallback=render_alert_text(view),
            reply_markup_buttons=alert_buttons(finding_id, view),
        )

    def notice(self, target: str, text: str) -> None:
        self.sender.send_text(int(target), text)

    def close(self) -> None:
        self.sender.close()


class ConsoleChannel:
    """Alerts printed as plain text (through ConsoleSink): the default when no Telegram bot is configured."""

    name = "console"

    def __init__(self, stream: TextIO) -> None:
        self.sink = ConsoleSink(stream)
        self._sent = itertools.count(1)

    def _remote_id(self) -> str:
        return f"console-{datetime.now(UTC):%Y%m%dT%H%M%S}-{next(self._sent)}"

    def send(self, target: str, view: AlertView, *, finding_id: int, resume: str | None) -> str:
        self.sink.alert(view)
        return self._remote_id()

    def send_summary(self, target: str, views: Sequence[AlertView]) -> str:
        self.sink.summary(views)
        return self._remote_id()

    def edit(self, target: str, remote_id: str, view: AlertView, *, finding_id: int) -> None:
        self.sink.write(
            f"(update to {remote_id}) {view.sources} sources now carry this:\n{render_alert_text(view)}"
        )

    def notice(self, target: str, text: str) -> None:
        self.sink.write(text)


class EmailDigestSink:
    """The digest as a multipart email over SMTP."""

    def __init__(self, sender: Any, to: Sequence[str]) -> None:
        self.sender, self.to = sender, list(to)

    @classmethod
    def from_settings(cls, settings: Any) -> EmailDigestSink:
        from watcher.notify.email import EmailSender

        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        sender = EmailSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
            from_addr=settings.digest_from,
        )
        return cls(sender, settings.digest_to)

    def send_digest(self, subject: str, text: str, html: str, *, message_id: str) -> str:
        return str(self.sender.send(self.to, subject, text, html, message_id=message_id))


class ConsoleDigestSink:
    """The digest's text part printed (through ConsoleSink): the default when no SMTP host is configured."""

    def __init__(self, stream: TextIO) -> None:
        self.sink = ConsoleSink(stream)

    def send_digest(self, subject: str, text: str, html: str, *, message_id: str) -> str:
        self.sink.digest(subject, text)
        return message_id

"""EmailSender against a local aiosmtpd server: multipart mail, stable Message-ID, error classes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from tests.smtpserver import SmtpServer, free_port
from watcher.errors import DeliveryError
from watcher.notify.email import EmailSender, stable_message_id

# aiosmtpd's own AUTH code trips its own deprecation warning
pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")
PASSWORD = "pa55-word-never-shown"
HTML = '<p>Deal &lt;script&gt; <a href="https://x.example/a">link</a></p>'


def sender(server: SmtpServer, **changes: object) -> EmailSender:
    kwargs: dict[str, Any] = dict(host=server.host, port=server.port, user=None, password=None, starttls=False,
                                     timeout=5.0, from_addr="watcher <watcher@example.org>")  # fmt: skip
    kwargs.update(changes)
    return EmailSender(**kwargs)


def failure(mail: EmailSender, to: list[str] | None = None) -> DeliveryError:
    with pytest.raises(DeliveryError) as info:
        mail.send(to or ["analyst@example.com"], "subject", "text", HTML)
    assert PASSWORD not in str(info.value) and info.value.channel == "email"
    return info.value


def test_sends_multipart_alternative_text_and_html(smtp_server: SmtpServer) -> None:
    header = sender(smtp_server).send(["a@example.com", "b@example.com"], "watcher digest: 1 new deal ✓",
                                      "plain body", HTML, message_id="digest-2026-11-02")  # fmt: skip
    (captured,) = smtp_server.messages
    assert captured.rcpt_tos == ["a@example.com", "b@example.com"]
    assert (
        captured.mail_from == "watcher <watcher@example.org>" or captured.mail_from == "watcher@example.org"
    )
    msg = captured.message
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content().strip() == "plain body" and html.get_content().strip() == HTML
    assert msg["Subject"] == "watcher digest: 1 new deal ✓"
    assert msg["Message-ID"] == header == stable_message_id("digest-2026-11-02", "watcher@example.org")
    assert header.endswith("@example.org>")


def test_message_id_is_stable_per_key() -> None:
    a = stable_message_id("digest-2026-11-02", "w@example.org")
    assert a == stable_message_id("digest-2026-11-02", "w@example.org")
    assert a != stable_message_id("digest-2026-11-03", "w@example.org")
    assert stable_message_id("a/b c", "x") != stable_message_id("a-b-c", "x")  # sanitised but still distinct
    assert stable_message_id("a/b c", "x").endswith("@localhost>")


def test_login_and_wrong_password(smtp_server_factory: Callable[..., SmtpServer]) -> None:
    server = smtp_server_factory(users={"watcher": PASSWORD})
    sender(server, user="watcher", password=PASSWORD).send(["a@example.com"], "s", "t", HTML)
    assert server.logins == ["watcher"] and len(server.messages) == 1
    error = failure(sender(server, user="watcher", password=PASSWORD + "x"))
    assert error.permanent and "WATCHER_SMTP_USER/PASSWORD" in str(error)


@pytest.mark.parametrize("user", ["watcher", "wätcher"])
def test_a_non_ascii_password_logs_in(smtp_server_factory: Callable[..., SmtpServer], user: str) -> None:
    """Issue 13 (6): smtplib encodes AUTH as ASCII, so 'pässwörd €' raised UnicodeEncodeError (a raw
    traceback); now it is sent as UTF-8 (RFC 4616) and the login works; a wrong one is refused cleanly."""
    server = smtp_server_factory(users={user: "pässwörd €"})
    sender(server, user=user, password="pässwörd €").send(["a@example.com"], "s", "t", HTML)
    assert server.logins == [user] and len(server.messages) == 1
    error = failure(sender(server, user=user, password="pässwörd £"))
    assert error.permanent and "WATCHER_SMTP_USER/PASSWORD" in str(error) and "pässwörd" not in str(error)


def test_starttls_with_a_trusted_certificate(smtp_server_factory: Callable[..., SmtpServer]) -> None:
    server = smtp_server_factory(tls=True, users={"watcher": PASSWORD})
    mail = sender(
        server, starttls=True, user="watcher", password=PASSWORD, ssl_context=server.client_context()
    )
    mail.send(["a@example.com"], "s", "t", HTML)
    assert server.logins == ["watcher"]
    assert failure(sender(server, starttls=True)).permanent  # the default context does not trust it


def test_starttls_wanted_but_not_offered_is_permanent(smtp_server: SmtpServer) -> None:
    error = failure(sender(smtp_server, starttls=True))
    assert error.permanent and "WATCHER_SMTP_STARTTLS" in str(error)


def test_refused_recipient_is_permanent(smtp_server: SmtpServer) -> None:
    smtp_server.refuse = {"nobody@example.com"}
    error = failure(sender(smtp_server), ["nobody@example.com"])
    assert error.permanent and "550" in str(error) and "WATCHER_DIGEST_TO" in str(error)


def test_partly_refused_recipients_still_deliver(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.refuse = {"nobody@example.com"}
    with caplog.at_level(logging.WARNING, logger="watcher.notify.email"):
        sender(smtp_server).send(["nobody@example.com", "a@example.com"], "s", "t", HTML)
    assert smtp_server.messages[0].rcpt_tos == ["a@example.com"]
    assert "nobody@example.com" in caplog.text


@pytest.mark.parametrize(
    ("stage", "fault"),
    [("MAIL", "421 4.3.2 Service shutting down"), ("RCPT", "450 4.2.0 Mailbox busy"),
     ("DATA", "451 4.3.0 Try again later"), ("DATA", SmtpServer.DROP)],
)  # fmt: skip
def test_temporary_failures_are_transient(smtp_server: SmtpServer, stage: str, fault: str) -> None:
    smtp_server.fail(stage, fault)
    assert not failure(sender(smtp_server)).permanent
    sender(smtp_server).send(["a@example.com"], "s", "t", HTML)  # the next attempt goes through
    assert len(smtp_server.messages) == 1


def test_permanent_data_rejection(smtp_server: SmtpServer) -> None:
    smtp_server.fail("DATA", "554 5.7.1 Message rejected as spam")
    assert failure(sender(smtp_server)).permanent


def test_slow_server_times_out_as_transient(smtp_server: SmtpServer) -> None:
    smtp_server.fail("DATA", SmtpServer.slow(3))
    assert not failure(sender(smtp_server, timeout=0.3)).permanent


def test_connection_refused_is_transient() -> None:
    mail = EmailSender("127.0.0.1", free_port(), "u", PASSWORD, starttls=False, timeout=2)
    error = failure(mail)
    assert not error.permanent and "connection refused" in str(error)


def test_no_recipients_is_a_configuration_error(smtp_server: SmtpServer) -> None:
    with pytest.raises(DeliveryError) as info:
        sender(smtp_server).send([], "s", "t", HTML)
    assert info.value.permanent and smtp_server.messages == []

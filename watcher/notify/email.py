"""Email delivery: one multipart/alternative (text + HTML) message over SMTP.

Errors become :class:`~watcher.errors.DeliveryError`: 5xx answers (a refused recipient or
sender, failed login, a server without STARTTLS/AUTH, a bad certificate) are permanent;
4xx answers, refused connections, timeouts and disconnects are transient. The password
never appears in an error message.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from watcher.errors import DeliveryError

log = logging.getLogger(__name__)
CHANNEL = "email"


def stable_message_id(key: str, from_addr: str) -> str:
    """A Message-ID that is the same for the same ``key`` (so a resent digest is recognisable)."""
    address = parseaddr(from_addr)[1]
    domain = re.sub(r"[^A-Za-z0-9.\-]", "", address.rpartition("@")[2]) if "@" in address else ""
    safe = re.sub(r"[^A-Za-z0-9.\-]", "-", key)[:64].strip(".-") or "message"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<watcher.{safe}.{digest}@{domain or 'localhost'}>"


def build_message(
    from_addr: str, to: list[str], subject: str, text: str, html: str, message_id: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """``smtp.login``, except that a non-ASCII user or password works too.

    smtplib encodes AUTH answers as ASCII (CPython issue 73936, "smtplib doesn't handle unicode
    passwords"), so a password like "pässwörd" raised UnicodeEncodeError. RFC 4616 (PLAIN) and
    the LOGIN convention carry UTF-8: for such credentials we send AUTH PLAIN (or LOGIN when the
    server offers only that) with UTF-8 bytes ourselves.
    """
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    offered = smtp.esmtp_features["auth"].upper().split()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    if "PLAIN" in offered or "LOGIN" not in offered:
        code, resp = smtp.docmd("AUTH", "PLAIN " + b64(b"\0" + user.encode() + b"\0" + password.encode()))
    else:
        code, resp = smtp.docmd("AUTH", "LOGIN " + b64(user.encode()))
        if code == 334:
            code, resp = smtp.docmd(b64(password.encode()))
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, resp)


class EmailSender:
    """Sends mail through one SMTP server; a new connection per message."""

    def __init__(self, host: str, port: int = 587, user: str | None = None, password: str | None = None,
                 starttls: bool = True, timeout: float = 30.0, from_addr: str = "watcher@localhost", *,
                 ssl_context: ssl.SSLContext | None = None) -> None:  # fmt: skip
        self.host, self.port, self.user = host, port, user
        self._password = password
        self.starttls, self.timeout, self.from_addr = starttls, timeout, from_addr
        self._ssl_context = ssl_context

    def send(
        self, to: list[str], subject: str, text: str, html: str, *, message_id: str | None = None
    ) -> str:
        """Sends one message to ``to``; returns its Message-ID header.

        ``message_id`` is the caller's key (e.g. "digest-2026-11-02"): the same key gives
        the same Message-ID. Recipients the server refuses while others are accepted are
        logged at WARNING (the message went out; retrying would duplicate it).
        """
        if not to:
            raise DeliveryError("no recipients: set WATCHER_DIGEST_TO", channel=CHANNEL, permanent=True)
        header_id = (
            stable_message_id(message_id, self.from_addr) if message_id else make_msgid(domain="watcher")
        )
        msg = build_message(self.from_addr, to, subject, text, html, header_id)
        try:
            refused = self._deliver(msg, to)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._translate(exc) from None
        if refused:
            log.warning(
                "email: %s refused %s (delivered to the others)", self.host, ", ".join(sorted(refused))
            )
        return header_id

    def _deliver(self, msg: EmailMessage, to: list[str]) -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                login(smtp, self.user, self._password or "")
            return smtp.send_message(msg, from_addr=self.from_addr, to_addrs=to)

    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _translate(self, exc: BaseException) -> DeliveryError:
        permanent, reason = _classify(exc)
        message = f"sending via {self._where()} failed: {reason}"
        if self._password:
            message = message.replace(self._password, "***")
        return DeliveryError(message, channel=CHANNEL, permanent=permanent)


def _reply(code: int, text: bytes | str) -> str:
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(body.split())}"[:300]


def _classify(exc: BaseException) -> tuple[bool, str]:
    """(permanent, reason) for an SMTP or socket error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        answers = "; ".join(f"{addr}: {_reply(c, t)}" for addr, (c, t) in exc.recipients.items())
        return all(c >= 500 for c in codes), f"all recipients refused ({answers}): check WATCHER_DIGEST_TO"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            exc.smtp_code >= 500,
            f"login refused ({_reply(exc.smtp_code, exc.smtp_error)}): check WATCHER_SMTP_USER/PASSWORD",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (
            True,
            f"the server does not support this ({exc}): check WATCHER_SMTP_STARTTLS and the login settings",
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return exc.smtp_code >= 500, f"sender {exc.sender} refused ({_reply(exc.smtp_code, exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500, f"server answered {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return True, f"TLS certificate not trusted ({exc.verify_message})"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return False, f"the server closed the connection ({exc})"
    if isinstance(exc, TimeoutError):
        return False, "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return False, "connection refused"
    return False, f"{type(exc).__name__}: {exc}"

"""A local SMTP server (aiosmtpd) that captures mail and misbehaves on request.

Use the ``smtp_server`` fixture from ``tests/conftest_notify.py``, or::

    with SmtpServer(users={"watcher": "s3cret"}) as smtp:      # 127.0.0.1, a free port
        EmailSender(smtp.host, smtp.port, "watcher", "s3cret", starttls=False, ...)
        smtp.messages[0].message["Subject"]                    # parsed email.message.EmailMessage

Faults:

* ``smtp.refuse = {"bad@example.com"}``: RCPT for those addresses gets ``550 5.1.1``.
* ``smtp.fail("MAIL", "421 4.3.2 Service shutting down")``: the next MAIL (or RCPT/DATA)
  gets that reply instead of 250; ``smtp.fail("DATA", SmtpServer.DROP)`` closes the
  connection without answering the end of DATA; ``smtp.fail("DATA", SmtpServer.slow(2))``
  answers late (for client timeouts).
* ``users={...}`` turns AUTH on (PLAIN/LOGIN without TLS); a wrong login gets 535.
* ``tls=True`` offers STARTTLS with a fresh self-signed certificate (needs ``openssl``);
  ``smtp.client_context()`` is an SSLContext that trusts it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (aiosmtpd cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass(frozen=True)
class _Slow:
    seconds: float


class SmtpServer:
    """See the module docstring."""

    DROP = "drop"

    def __init__(self, *, users: dict[str, str] | None = None, tls: bool = False, host: str = "127.0.0.1"):
        self.host, self.port = host, free_port(host)
        self.messages: list[Captured] = []
        self.refuse: set[str] = set()
        self.logins: list[str] = []
        self._users = users
        self._faults: dict[str, list[str | _Slow]] = {}
        self._lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory() if tls else None
        kwargs: dict[str, Any] = {"hostname": host, "port": self.port, "auth_require_tls": False}
        if users is not None:
            kwargs["authenticator"] = self._authenticate
        if self._tmp is not None:
            kwargs["tls_context"] = self._server_context(Path(self._tmp.name))
        self._controller = Controller(self, **kwargs)

    @staticmethod
    def slow(seconds: float) -> _Slow:
        return _Slow(seconds)

    def fail(self, stage: str, fault: str | _Slow) -> None:
        with self._lock:
            self._faults.setdefault(stage.upper(), []).append(fault)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client_context(self) -> ssl.SSLContext:
        """A client SSLContext that trusts this server's self-signed certificate."""
        assert self._tmp is not None, "start the server with tls=True"
        context = ssl.create_default_context(cafile=str(Path(self._tmp.name) / "cert.pem"))
        return context

    # -- aiosmtpd hooks --------------------------------------------------------------

    def _take(self, stage: str) -> str | _Slow | None:
        with self._lock:
            queue = self._faults.get(stage)
            return queue.pop(0) if queue else None

    async def _fault(self, server: Any, stage: str) -> str | None:
        fault = self._take(stage)
        if isinstance(fault, _Slow):
            await asyncio.sleep(fault.seconds)
            return None
        if fault == self.DROP:
            server.transport.abort()
            return "250 OK (never seen: the connection is gone)"
        return fault

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:  # noqa: N802
        fault = await self._fault(server, "MAIL")
        if fault:
            return fault
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:  # noqa: N802
        fault = await self._fault(server, "RCPT")
        if fault:
            return fault
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        fault = await self._fault(server, "DATA")
        if fault:
            return fault
        with self._lock:
            self.messages.append(
                Captured(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and self._users is not None:
            user, password = data.login.decode(), data.password.decode()
            if self._users.get(user) == password:
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @staticmethod
    def _server_context(directory: Path) -> ssl.SSLContext:
        cert, key = directory / "cert.pem", directory / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        return context

"""Who may use the dashboard, and what a state-changing request must carry.

- Listening on a loopback address needs no token; beyond loopback ``WATCHER_WEB_TOKEN`` is
  required (checked at start-up). With a token every page asks for it: a login form that sets
  a signed session cookie, or an ``Authorization: Bearer <token>`` header.
- Every POST carries the session's CSRF token in a form field; a POST without it, or with
  another session's, is refused with 403.
"""

from __future__ import annotations

import hmac
import secrets

from watcher.config import is_loopback_host
from watcher.errors import ConfigError

CSRF_FIELD = "csrf_token"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    return is_loopback_host(host)


def check_exposure(host: str, token: str | None) -> None:
    """Refuses to listen beyond loopback without a token."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"the dashboard would listen on {host} without a token: set WATCHER_WEB_TOKEN "
            "(a long random string) or listen on 127.0.0.1"
        )


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; False when either is missing."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def bearer(header: str | None) -> str | None:
    """The token of an 'Authorization: Bearer <token>' header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)

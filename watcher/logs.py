"""Logging set-up: plain text on stderr by default, one JSON object per line when asked."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

_SECRET_PATTERNS = [
    re.compile(r"(bot)\d{5,}:[A-Za-z0-9_-]{20,}"),  # Telegram bot tokens in URLs
    re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b"),  # bare Telegram tokens
    re.compile(r"(://[^:/@\s]*:)[^@\s/?#]+(@)"),  # passwords in URLs (userinfo has no / ? #)
]
_URL_PASSWORD = _SECRET_PATTERNS[2]


def mask_url_passwords(text: str) -> str:
    """``https://user:secret@host/`` becomes ``https://user:***@host/`` wherever it occurs in ``text``."""
    return _URL_PASSWORD.sub(r"\1***\2", text)


def redact(text: str) -> str:
    """Removes things that look like secrets (bot tokens, URL passwords) from a log line."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups == 2:
            text = pattern.sub(r"\1***\2", text)
        elif pattern.groups == 1:
            text = pattern.sub(r"\1***", text)
        else:
            text = pattern.sub("***", text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TEXT_DATEFMT = "%Y-%m-%d %H:%M:%S"
# libraries whose failures watcher reports itself (an extraction error names the page)
_SILENCED = ("trafilatura", "htmldate", "courlan", "justext")


def setup_logging(
    level: int = logging.WARNING, *, json_lines: bool | None = None, libraries: int | None = None
) -> None:
    """Configures logging on stderr: watcher's own loggers at ``level``, other libraries at
    ``libraries`` (default: warnings and above; extraction libraries only critical ones, since
    watcher reports what they failed on). WATCHER_LOG_FORMAT=json selects JSON lines; text lines
    carry a timestamp."""
    if json_lines is None:
        json_lines = os.environ.get("WATCHER_LOG_FORMAT", "").lower() == "json"
    if libraries is None:
        libraries = max(level, logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else RedactingFormatter(TEXT_FORMAT, TEXT_DATEFMT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(libraries)
    logging.getLogger("watcher").setLevel(level)
    for noisy in (
        "httpx",
        "httpcore",
        "telegram",
        "apscheduler",
        "alembic",
        "tzlocal",
        "asyncio",
        "werkzeug",
    ):
        logging.getLogger(noisy).setLevel(libraries)
    for name in _SILENCED:
        logging.getLogger(name).setLevel(libraries if libraries <= logging.DEBUG else logging.CRITICAL)

"""The console sink: alerts and digests as plain text on a stream (no channel configured)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from watcher.notify.render import AlertView, render_alert_text, render_summary_text

CHANNEL = "console"
RULE = "─" * 60


class ConsoleSink:
    """Writes plain-text alerts and digests to ``stream`` (default: stdout), one block each.

    Thread-safe: each block is written and flushed under one lock so blocks never interleave.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    def alert(self, view: AlertView) -> None:
        self.write(render_alert_text(view))

    def summary(self, views: Sequence[AlertView]) -> None:
        self.write(render_summary_text(views))

    def digest(self, subject: str, text: str) -> None:
        self.write(f"Subject: {subject}\n\n{text.rstrip()}")

    def write(self, text: str) -> None:
        """Writes one block of text between rules."""
        with self._lock:
            self.stream.write(f"{RULE}\n{text.rstrip()}\n")
            self.stream.flush()

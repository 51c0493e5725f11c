"""The console sink prints plain text: article text raw (not HTML-escaped), blocks never interleaved."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime

from watcher.notify.console import RULE, ConsoleSink
from watcher.notify.render import AlertView
from watcher.types import Finding, FindingKind

HOSTILE = '<script>alert("x")</script> & </b>'


def view(n: int = 1) -> AlertView:
    finding = Finding(FindingKind.CONTRADICTION, ("Microsoft", "OpenAI"), "stake", "msft-stake", "49%", "27%",
                      f"Evidence {HOSTILE}", 0.7, "", "Microsoft holds 49%.")  # fmt: skip
    return AlertView(finding, f"Title {n} {HOSTILE}", f"https://x.example/{n}", "x.example", 2,
                     datetime(2026, 11, 2, tzinfo=UTC))  # fmt: skip


def test_alert_is_plain_text() -> None:
    out = io.StringIO()
    ConsoleSink(out).alert(view())
    text = out.getvalue()
    assert text.startswith(RULE + "\n⚠️ CONTRADICTION: Microsoft & OpenAI")
    assert f"Title 1 {HOSTILE}" in text and f"Evidence {HOSTILE}" in text and "&amp;" not in text
    assert "Microsoft holds 49%." in text and "https://x.example/1" in text


def test_summary_and_digest() -> None:
    out = io.StringIO()
    sink = ConsoleSink(out)
    sink.summary([view(1), view(2)])
    sink.digest("watcher digest 2026-11-02: nothing new", "Nothing new today.\n\n")
    text = out.getvalue()
    assert "2 new findings (2 contradictions)" in text
    assert "Subject: watcher digest 2026-11-02: nothing new\n\nNothing new today.\n" in text


def test_blocks_from_threads_do_not_interleave() -> None:
    out = io.StringIO()
    sink = ConsoleSink(out)
    threads = [threading.Thread(target=sink.write, args=(f"line {n}\n" * 50,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    blocks = out.getvalue().split(RULE + "\n")[1:]
    assert len(blocks) == 10
    assert all(len(set(block.splitlines())) == 1 for block in blocks)

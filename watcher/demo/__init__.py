"""`watcher demo`: the whole pipeline on bundled sample data, with no network and no tokens.

A local web server (127.0.0.1, a free port) serves a sample feed and its pages from
``watcher/demo/site`` (fictional articles written for this demo); watcher polls it once into a
temporary SQLite database, prints the alerts and the digest to the console, and exits.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

import yaml

from watcher.text import plural

SITE = Path(__file__).parent / "site"


class _Handler(SimpleHTTPRequestHandler):
    base = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?")[0] == "/feed.xml":
            body = (SITE / "feed.xml").read_text(encoding="utf-8").replace("{base}", self.base).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@contextmanager
def serve_site(directory: Path = SITE) -> Iterator[str]:
    """Serves the sample site on 127.0.0.1; yields its base URL."""
    handler = partial(_Handler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Handler.base = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def run_demo(*, keep: bool = False, stream: TextIO | None = None) -> dict[str, int]:
    """Runs one poll cycle and a digest over the sample site; returns counts for tests."""
    out = stream or sys.stdout
    workdir = Path(tempfile.mkdtemp(prefix="watcher-demo-"))
    try:
        counts, alerts = _demo_cycle(workdir, out)
    except BaseException:
        if not keep:  # a failed demo leaves nothing behind either
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    where = f"database kept at {workdir / 'demo.db'}" if keep else "temporary database removed"
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    out.write(
        f"\nDemo done: {plural(counts['articles'], 'article')}, {plural(counts['findings'], 'finding')}, "
        f"{plural(alerts, 'alert')} shown; {where}.\n"
    )
    if keep:
        out.write(
            f"Look around: WATCHER_DATABASE_URL=sqlite:///{workdir / 'demo.db'} watcher findings "
            "(or status, digest --preview).\n"
        )
    else:
        out.write("Next: `watcher demo --keep` keeps the database to look around; `watcher init` writes editable "
                  "copies of the feeds and baseline.\n")  # fmt: skip
    return counts


def _demo_cycle(workdir: Path, out: TextIO) -> tuple[dict[str, int], int]:
    from watcher.app.root import make_watcher
    from watcher.config import load_settings
    from watcher.reports import report_lines

    with serve_site() as base:
        feeds_file = workdir / "feeds.yaml"
        feeds_file.write_text(
            yaml.safe_dump({"feeds": [{"name": "Demo Tech Daily", "url": f"{base}/feed.xml"}]})
        )
        settings = load_settings(
            database_url=f"sqlite:///{workdir / 'demo.db'}",
            feeds_file=feeds_file,
            allow_private_networks=True,
            telegram_token=None,
            telegram_chat_ids=(),
            smtp_host=None,
            delivery_deadline=0,
        )
        w = make_watcher(settings, stream=out)
        try:
            out.write(f"watcher demo: polling {base}/feed.xml (sample data, fictional articles)\n")
            report, drained = w.poll_once()
            for line in report_lines(report):
                out.write(line + "\n")
            w.digest.send_now()
            counts = w.store.counts()
        finally:
            w.close()
    return counts, (drained.sent + drained.summarised if drained else 0)

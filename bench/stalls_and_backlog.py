"""Time bounds of issue #13 items 1 and 7: stalled fetches and a feed of 50,000 entries.

    .venv/bin/python bench/stalls_and_backlog.py [--timeout 10] [--entries 50000]

1. ``watcher poll --once`` (a real process, fresh SQLite) with WATCHER_HTTP_TIMEOUT=``--timeout``
   against five feeds, one per stall form of ``tests/stallserver.py`` (a header, a status line byte
   by byte, ``102 Processing`` again and again, a chunk extension, a trailer; a piece every 0.1 s,
   for up to 300 s), each on its own loopback address: wall time of the process and the error kind
   recorded per feed. Before the whole-request deadline this took as long as the servers dripped
   (issue #13 measured 165 s against a 10 s timeout).
2. ``Watcher.poll_once()`` in-process over one feed of ``--entries`` entries (a tests/httpserver.py
   LocalServer; each entry links to a small page): wall time of the cycle, pages fetched, entries
   processed and deferred, with the default WATCHER_MAX_NEW_ENTRIES_PER_FEED (50). Before the bound
   the cycle fetched every page (issue #13: 50,000 pages, 276-397 s).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import yaml
from _common import ROOT, T0, Clock, load_test_module, local_server, machine, open_fresh_store, settings


def stalled_poll(timeout: float) -> None:
    stalls = load_test_module("stallserver")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        servers = {
            form: stack.enter_context(stalls.StallServer(stall, limit=300, host=f"127.0.0.{10 + i}"))
            for i, (form, stall) in enumerate(stalls.STALLS.items())
        }
        feeds = Path(tmp) / "feeds.yaml"
        feeds.write_text(
            yaml.safe_dump({"feeds": [{"name": f, "url": s.url("/feed.xml")} for f, s in servers.items()]})
        )
        db = Path(tmp) / "w.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
        env.update({"WATCHER_DATABASE_URL": f"sqlite:///{db}", "WATCHER_FEEDS_FILE": str(feeds),
                    "WATCHER_ALLOW_PRIVATE_NETWORKS": "true", "WATCHER_HTTP_TIMEOUT": f"{timeout:g}",
                    "WATCHER_DELIVERY_DEADLINE": "0",
                    "WATCHER_BASELINE_FILE": str(ROOT / "baseline" / "facts.yaml"),
                    "WATCHER_ENTITIES_FILE": str(ROOT / "config" / "entities.yaml")})  # fmt: skip
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "watcher", "poll", "--once"], env=env, cwd=tmp,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        wall = time.monotonic() - started
        with sqlite3.connect(db) as conn:
            kinds = dict(conn.execute("SELECT name, last_error_kind FROM feeds").fetchall())
    print(
        f"1. poll --once, 5 stalled feeds, WATCHER_HTTP_TIMEOUT={timeout:g}: {wall:.1f} s wall, exit {proc.returncode}"
    )
    for form in servers:
        print(f"   {form:10} -> {kinds.get(form)}")


def big_feed(base: str, n: int) -> bytes:
    items = "".join(
        f"<item><title>Note {i}</title><link>{base}/p{i}.html</link><guid>g{i}</guid>"
        f"<pubDate>{format_datetime(T0 - timedelta(minutes=n - i))}</pubDate></item>"
        for i in range(n)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title><link>{base}</link>'
            f"<description>d</description>{items}</channel></rss>").encode()  # fmt: skip


def backlog_poll(entries: int) -> None:
    from watcher.app.root import make_watcher
    from watcher.notify.channels import ConsoleChannel

    httpserver = load_test_module("httpserver")
    server = local_server()
    with server, tempfile.TemporaryDirectory() as tmp:
        base = server.url("").rstrip("/")
        body = big_feed(base, entries)
        server.routes["/big.xml"] = httpserver.Route.text(body, "application/rss+xml")
        page = httpserver.Route.text("<html><body><p>A note about the weather.</p></body></html>")
        for i in range(entries):
            server.routes[f"/p{i}.html"] = page
        feeds = Path(tmp) / "feeds.yaml"
        feeds.write_text(yaml.safe_dump({"feeds": [{"name": "big", "url": server.url("/big.xml")}]}))
        url = f"sqlite:///{Path(tmp) / 'w.db'}"
        out = io.StringIO()
        w = make_watcher(settings(url, feeds_file=feeds, max_page_bytes=len(body) + 1024),
                         store=open_fresh_store(url), clock=Clock(), channels={"console": ConsoleChannel(out)},
                         stream=out)  # fmt: skip
        try:
            started = time.monotonic()
            report, _ = w.poll_once()
            wall = time.monotonic() - started
        finally:
            w.close()
        pages = sum(1 for r in server.requests if r.path.startswith("/p"))
    print(f"2. one feed of {entries} entries ({len(body) / 1e6:.1f} MB), one poll_once: {wall:.1f} s wall, "
          f"{pages} pages fetched, {report.entries_new} processed, {report.entries_deferred} deferred")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="WATCHER_HTTP_TIMEOUT for part 1")
    parser.add_argument("--entries", type=int, default=50_000, help="entries of the big feed in part 2")
    args = parser.parse_args()
    print(machine())
    stalled_poll(args.timeout)
    backlog_poll(args.entries)


if __name__ == "__main__":
    main()

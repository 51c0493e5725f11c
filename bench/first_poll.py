"""A full first poll and a one-shot all-304 poll over N loopback feeds of 20 items (issue #14).

    .venv/bin/python bench/first_poll.py [--feeds 100] [--items 20]

The feeds (RSS, ETag) and every page they link to are served by tests/httpserver.py in a separate
process (its CPU is not counted), which also counts TCP connections accepted. 2% of the items are
about an OpenAI compute deal (title and page: relevant, a ``new_deal`` finding each); the others are
ordinary tech news whose titles, summaries and pages name no tracked company.

1. first poll: ``Watcher.poll_once()`` on a fresh SQLite database (sync of the feeds file, poll with
   8 threads, delivery to a console channel): wall time, pages requested, articles stored, TCP
   connections, peak RSS of this process so far;
2. all-304 one-shot poll, an hour later, by a *new* Watcher on the same database (what
   ``watcher poll --once`` from cron does): the feeds-file sync and the poll timed apart, TCP
   connections opened by the poll.

To compare with another tree (the code before a change), run the same script with
``--tree PATH``: that tree's ``watcher`` package is imported instead of this one.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ITEM_WORDS = (
    "phone camera battery review update release game console studio sales forecast streaming show season "
    "bike car charger startup funding round app store privacy browser laptop chip keyboard screen football"
).split()


def _feed(base: str, f: int, items: int, summary_words: int = 30) -> str:
    """RSS of ``items`` items; ``summary_words`` words per ordinary item's summary (30: ~6 KB a feed of
    20; 135: ~22 KB, issue 14's feeds)."""
    out = []
    for i in range(items):
        n = f * items + i
        if n % 50 == 0:
            title, summary, path = (
                f"OpenAI signs compute deal with Cloudco {n} Systems",
                "A compute deal.",
                f"/deal{n}.html",
            )
        else:
            rng = random.Random(n)
            title = " ".join(rng.choice(ITEM_WORDS) for _ in range(7)).capitalize()
            summary = " ".join(rng.choice(ITEM_WORDS) for _ in range(summary_words)).capitalize() + "."
            path = f"/news{n}.html"
        out.append(
            f"<item><title>{title}</title><link>{base}{path}</link><guid>g{n}</guid>"
            f"<description>{summary}</description><pubDate>Mon, 23 Nov 2026 07:00:00 GMT</pubDate></item>"
        )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>feed {f}</title><link>{base}/</link>'
        f"<description>d</description>{''.join(out)}</channel></rss>"
    )


def _news_page(n: int) -> str:
    rng = random.Random(n)
    paras = "".join(
        f"<p>{' '.join(rng.choice(ITEM_WORDS) for _ in range(60)).capitalize()}.</p>" for _ in range(5)
    )
    return f"<!doctype html><html><head><title>News {n}</title></head><body><article><h1>News {n}</h1>{paras}</article></body></html>"


def _serve(
    feeds: int, items: int, port_out: Any, connections: Any, ready: Any, summary_words: int = 30
) -> None:
    from _common import deal_page, httpserver

    mod = httpserver()
    original_setup = mod._Handler.setup

    def setup(self: Any) -> None:
        with connections.get_lock():
            connections.value += 1
        original_setup(self)

    mod._Handler.setup = setup
    server = mod.LocalServer()
    base = server.url("").rstrip("/")
    for f in range(feeds):
        server.routes[f"/feed{f}.xml"] = mod.Route.text(
            _feed(base, f, items, summary_words), "application/rss+xml", etag=f'"f{f}"'
        )
        for i in range(items):
            n = f * items + i
            if n % 50 == 0:
                server.routes[f"/deal{n}.html"] = mod.Route.text(deal_page(n))
            else:
                server.routes[f"/news{n}.html"] = mod.Route.text(_news_page(n))
    server.start()
    port_out.value = server.port
    ready.set()
    while True:
        time.sleep(3600)


def sync_only(feeds: int, make_watcher: Any, settings: Any, clock_type: Any) -> None:
    """The feeds-file sync of ``feeds`` feeds: the first (an empty database), then the one a new
    one-shot process does with the file unchanged (median of 5 new Watchers)."""
    from watcher.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        feeds_file = Path(tmp) / "feeds.yaml"
        feeds_file.write_text(
            yaml.safe_dump(
                {
                    "feeds": [
                        {"name": f"feed{f}", "url": f"https://f{f}.example/rss", "tags": ["news"]}
                        for f in range(feeds)
                    ]
                }
            )
        )
        url = f"sqlite:///{tmp}/w.db"
        times = []
        for _ in range(6):
            w = make_watcher(
                settings(url, feeds_file=feeds_file), store=open_store(url, auto_upgrade=True), clock=clock_type(),
                stream=io.StringIO(),
            )  # fmt: skip
            t = time.perf_counter()
            w.sync_feeds()
            times.append(time.perf_counter() - t)
            w.close()
    print(f"feeds-file sync of {feeds} feeds: first {times[0]:.3f} s; one-shot, file unchanged: median "
          f"{sorted(times[1:])[2]:.3f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--tree", type=Path, help="import watcher from this tree instead")
    parser.add_argument(
        "--sync-only", action="store_true", help="only time the feeds-file sync: first, then by a new Watcher"
    )
    args = parser.parse_args()
    from _common import Clock, console_watcher, print_machine, settings, table, write_feeds_file

    if args.tree:  # after _common, which puts this tree first on sys.path
        sys.path.insert(0, str(args.tree.resolve()))

    import watcher
    from watcher.app.root import make_watcher

    print_machine()
    print(f"watcher imported from {Path(watcher.__file__).parent}")
    if args.sync_only:
        sync_only(args.feeds, make_watcher, settings, Clock)
        return
    ctx = multiprocessing.get_context("fork")
    port, connections, ready = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Event()
    proc = ctx.Process(target=_serve, args=(args.feeds, args.items, port, connections, ready), daemon=True)
    proc.start()
    ready.wait(120)
    base = f"http://127.0.0.1:{port.value}"
    rows: list[list[object]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            feeds_file = write_feeds_file(Path(tmp) / "feeds.yaml", base, args.feeds)
            url = f"sqlite:///{tmp}/w.db"
            clock = Clock()
            w = console_watcher(url, feeds_file, clock)
            c0 = connections.value
            t = time.perf_counter()
            report, _ = w.poll_once()
            first = time.perf_counter() - t
            rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            c1 = connections.value
            w.close()
            clock.advance(hours=1)
            w2 = console_watcher(url, feeds_file, clock)
            t = time.perf_counter()
            w2.sync_feeds()
            sync = time.perf_counter() - t
            t = time.perf_counter()
            report2, _ = w2.poll_once()
            second = time.perf_counter() - t
            c2 = connections.value
            w2.close()
            rows.append(
                [
                    args.feeds,
                    args.feeds * args.items,
                    f"{first:.2f}",
                    report.articles,
                    getattr(report, "entries_not_fetched", 0),
                    report.findings,
                    c1 - c0,
                    f"{rss1:.0f}",
                    f"{sync:.3f}",
                    f"{second:.2f}",
                    f"{report2.not_modified}/{report2.feeds_polled}",
                    c2 - c1,
                ]
            )
    finally:
        proc.kill()
    print(
        table(
            rows,
            [
                "feeds",
                "entries",
                "first poll s",
                "articles",
                "not fetched",
                "findings",
                "connections",
                "peak RSS MB",
                "304 run: sync s",
                "304 run: poll s",
                "304/polled",
                "304 connections",
            ],
        )
    )


if __name__ == "__main__":
    main()

"""Alert latency: from a poll that sees a new feed entry to the Telegram sendMessage call (issue #6).

    .venv/bin/python bench/alert_latency.py [--repeat 30] [--database-url URL]

A tests/httpserver.py LocalServer serves one RSS feed and its pages; a tests/botapi.py
BotApiServer stands in for Telegram. The Watcher is built with
``make_watcher(..., channels={"telegram": TelegramChannel(TelegramSender(api.token,
api_url=api.url, pacer=ChatPacer(0)))})`` on a fresh temporary SQLite file (or ``--database-url``,
an existing database), with ``telegram_chat_ids`` set so findings are queued for that chat.

Each repetition adds one new entry to the feed (new ETag; a new ~2 KB page about an OpenAI deal
with a new partner, so it is relevant, yields a ``new_deal`` finding and is its own story), moves
the clock past the poll interval, and times ``w.poll_once()`` from its start to the moment the
BotApiServer receives ``sendMessage`` (``time.monotonic()`` recorded in a wrapper around its
handler). A first repetition warms up (extraction worker start, first Bot API connection) and is
not counted. The Bot API imitation answers with two writes (headers, then body), which with
Nagle's algorithm and delayed ACKs stalls each answer ~40 ms on loopback (Telegram does not): the
script turns Nagle off on its sockets (``--keep-nagle`` to leave it on). The figure is the pipeline's own latency: in production the poll interval
(WATCHER_POLL_INTERVAL, default 900 s) adds on average half an interval before the poll sees it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml
from _common import (
    Clock,
    botapi,
    deal_page,
    load,
    local_server,
    median,
    percentile,
    print_machine,
    settings,
    table,
)

CHAT = 4242


class Feed:
    """One RSS feed on a LocalServer that gains one item per repetition."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.items: list[int] = []
        self.route = sys.modules["httpserver"].Route

    def add_item(self, n: int) -> None:
        self.items.append(n)
        self.server.routes[f"/story/{n}.html"] = self.route.text(deal_page(10_000 + n))
        when = format_datetime(Clock().now)
        items = "".join(
            f"<item><title>OpenAI signs compute deal {i}</title><link>{self.server.url(f'/story/{i}.html')}</link>"
            f"<guid>story-{i}</guid><pubDate>{when}</pubDate><description>Deal news {i}.</description></item>"
            for i in reversed(self.items[-20:])
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Latency feed</title>'
            f"<link>{self.server.url('/')}</link><description>bench</description>{items}</channel></rss>"
        )
        self.server.routes["/feed.xml"] = self.route.text(
            body, "application/rss+xml; charset=utf-8", etag=f'"n{n}"'
        )


def arrivals(api: Any) -> list[float]:
    """Wraps the Bot API's handler: returns the list that sendMessage arrival times are appended to."""
    seen: list[float] = []
    real = api.handle

    def handle(token: str, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage":
            seen.append(time.monotonic())
        return real(token, method, params)

    api.handle = handle
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])  # fmt: skip
    parser.add_argument("--repeat", type=int, default=30, help="timed repetitions (default 30)")
    parser.add_argument(
        "--database-url", help="an existing, empty database (default: a temporary SQLite file)"
    )
    parser.add_argument("--keep-nagle", action="store_true",
                        help="leave Nagle's algorithm on in the Bot API imitation (adds ~40 ms per answer)")  # fmt: skip
    args = parser.parse_args(argv)

    from watcher.app.root import make_watcher
    from watcher.notify.channels import TelegramChannel
    from watcher.notify.telegram import ChatPacer, TelegramSender
    from watcher.store import open_store

    print_machine()
    api = botapi().BotApiServer()
    if not args.keep_nagle:  # its handler writes headers and body separately: Nagle + delayed ACK = ~40 ms
        api._server.RequestHandlerClass.disable_nagle_algorithm = True
    api.start()
    server = local_server().start()
    feed = Feed(server)
    sent = arrivals(api)
    totals, to_send, polls, returns = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="watcher-latency-") as tmp:
        feeds_file = Path(tmp) / "feeds.yaml"
        feeds_file.write_text(
            yaml.safe_dump({"feeds": [{"name": "latency", "url": server.url("/feed.xml")}]})
        )
        url = args.database_url or f"sqlite:///{Path(tmp) / 'watcher.db'}"
        conf = settings(url, feeds_file=feeds_file, telegram_token=api.token, telegram_chat_ids=str(CHAT),
                        telegram_api_url=api.url)  # fmt: skip
        channel = TelegramChannel(TelegramSender(api.token, api_url=api.url, pacer=ChatPacer(0)))
        clock = Clock()
        w = make_watcher(
            conf, store=open_store(url, auto_upgrade=True), clock=clock, channels={"telegram": channel}
        )
        try:
            for n in range(args.repeat + 1):
                feed.add_item(n)
                clock.advance(seconds=conf.poll_interval + 1)
                before = len(sent)
                t0 = time.monotonic()
                report, drained = w.poll_once()
                t1 = time.monotonic()
                if report.entries_new != 1 or len(sent) != before + 1:
                    raise SystemExit(f"repetition {n}: {report.entries_new} new entries, "
                                     f"{len(sent) - before} sendMessage calls; errors {report.errors}")  # fmt: skip
                if n == 0:
                    continue  # warm-up
                totals.append(sent[-1] - t0)
                polls.append(report.duration)
                to_send.append(sent[-1] - t0 - report.duration)
                returns.append(t1 - t0)
        finally:
            w.close()
            server.stop()
            api.stop()

    def ms(values: list[float]) -> list[str]:
        return [f"{median(values) * 1000:.1f}", f"{percentile(values, 95) * 1000:.1f}",
                f"{min(values) * 1000:.1f}", f"{max(values) * 1000:.1f}"]  # fmt: skip

    print()
    print(table([
        ["poll_once start -> sendMessage received", *ms(totals)],
        ["  of which the poll cycle (fetch, extract, differ, store)", *ms(polls)],
        ["  of which sync, outbox claim, render, PTB -> Bot API", *ms(to_send)],
        ["poll_once start -> return", *ms(returns)],
    ], ["per new entry (" + str(len(totals)) + " repetitions)", "median ms", "p95 ms", "min ms", "max ms"]))  # fmt: skip
    print(f"\nload average {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

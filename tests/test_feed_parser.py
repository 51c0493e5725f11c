"""Feeds parsed in the worker process under a time budget (watcher.ingest.feed_parser)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_feeds import ATOM, RSS, fetched
from watcher.errors import FeedParseError
from watcher.ingest.feed_parser import FeedParser
from watcher.ingest.feeds import parse_feed
from watcher.ingest.worker import STARTUP_TIMEOUT


@pytest.fixture
def parser() -> Iterator[FeedParser]:
    p = FeedParser()
    yield p
    p.close()


def _ready(p: FeedParser) -> None:
    """Starts the worker and waits until it said ready, so the next parse goes to it."""
    p.start()
    assert p._channel is not None and p._channel.worker.ready(STARTUP_TIMEOUT)


def _big_feed(items: int) -> bytes:
    item = "<item><title>t{i}</title><link>https://x.example/{i}</link><description>{d}</description></item>"
    body = "".join(item.format(i=i, d="word " * 200) for i in range(items))
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>{body}</channel></rss>'.encode()
    )


@pytest.mark.parametrize("body", [RSS, ATOM])
def test_the_worker_parses_what_this_process_parses(parser: FeedParser, body: bytes) -> None:
    _ready(parser)
    got = parser.parse(fetched(body), "tech", timeout=30)
    assert parser.worker_jobs == 1  # parsed over there
    assert got == parse_feed(fetched(body), "tech") and got


def test_a_body_that_is_not_a_feed_is_one_error_and_the_worker_lives_on(parser: FeedParser) -> None:
    _ready(parser)
    pid = parser.worker_pid
    html = fetched(b"<!doctype html><html><body><h1>Not a feed</h1></body></html>", "text/html")
    with pytest.raises(FeedParseError, match=r"^not an RSS/Atom feed.*\(https://news\.example/feed\)$"):
        parser.parse(html, "x", timeout=30)
    assert parser.parse(fetched(RSS), "x", timeout=30)
    assert parser.worker_pid == pid


def test_a_feed_over_its_budget_is_stopped_and_the_next_gets_a_fresh_worker(parser: FeedParser) -> None:
    _ready(parser)
    pid = parser.worker_pid
    with pytest.raises(FeedParseError, match="parsing took longer than 0.01s and was stopped"):
        parser.parse(fetched(_big_feed(3000)), "big", timeout=0.01)
    assert parser.parse(fetched(RSS), "x", timeout=30)  # parsed here while the new worker starts
    _ready(parser)
    assert parser.worker_pid not in (None, pid)
    assert parser.parse(fetched(ATOM), "x", timeout=30)
    assert parser.worker_jobs == 1


def test_feeds_are_parsed_here_until_the_worker_is_ready(parser: FeedParser) -> None:
    parser.start()  # a Python process takes far longer than this parse to import feedparser
    assert parser.parse(fetched(RSS), "x", timeout=30) == parse_feed(fetched(RSS), "x")
    assert parser.worker_jobs == 0
    _ready(parser)
    parser.parse(fetched(RSS), "x", timeout=30)
    assert parser.worker_jobs == 1


def test_a_worker_that_cannot_start_leaves_parsing_here(
    parser: FeedParser, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the worker's command exits at once, silent
    caplog.set_level(logging.WARNING)
    parser.start()
    assert parser._channel is not None and not parser._channel.worker.ready(STARTUP_TIMEOUT)
    for _ in range(3):
        assert parser.parse(fetched(RSS), "x", timeout=30) == parse_feed(fetched(RSS), "x")
    assert parser.worker_pid is None
    assert [r.message for r in caplog.records].count(
        "the feed parsing worker did not start: feeds are parsed in this process"
    ) == 1


def test_no_budget_or_not_isolated_parses_here() -> None:
    here = FeedParser(isolated=False)
    here.start()
    assert here.parse(fetched(RSS), "x", timeout=30) and here.worker_pid is None
    elsewhere = FeedParser()
    try:
        assert elsewhere.parse(fetched(RSS), "x", timeout=None) and elsewhere.worker_pid is None
    finally:
        elsewhere.close()


def test_a_spent_worker_is_replaced() -> None:
    p = FeedParser(recycle_after=2)
    try:
        _ready(p)
        first = p.worker_pid
        p.parse(fetched(RSS), "x", timeout=30)
        p.parse(fetched(RSS), "x", timeout=30)
        _ready(p)
        assert p.worker_pid not in (None, first)
    finally:
        p.close()


def test_feeds_from_many_threads_are_queued_in_the_worker_and_each_gets_its_own(parser: FeedParser) -> None:
    _ready(parser)
    bodies = [RSS.replace(b"item-1", f"item-{n}".encode()) for n in range(24)]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda body: parser.parse(fetched(body), "x", timeout=30), bodies))
    assert [entries[0].entry_id for entries in got] == [f"item-{n}" for n in range(24)]
    assert parser.worker_jobs == 24


def test_the_feeds_queued_behind_an_overrun_are_parsed_here(parser: FeedParser) -> None:
    _ready(parser)
    with ThreadPoolExecutor(6) as pool:
        big = pool.submit(parser.parse, fetched(_big_feed(3000)), "big", timeout=0.05)
        while parser.worker_jobs < 1:
            time.sleep(0.001)
        small = [pool.submit(parser.parse, fetched(RSS), "x", timeout=30) for _ in range(5)]
        with pytest.raises(FeedParseError, match="parsing took longer than 0.05s"):
            big.result()
        assert all(f.result() == parse_feed(fetched(RSS), "x") for f in small)
    _ready(parser)  # a fresh worker
    assert parser.parse(fetched(ATOM), "x", timeout=30) and parser.worker_jobs == 1


def test_close_does_not_wait_long_for_a_slow_feed_which_is_then_parsed_here() -> None:
    p = FeedParser()
    _ready(p)
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(p.parse, fetched(_big_feed(3000)), "big", timeout=60)
        while p.worker_jobs < 1:
            time.sleep(0.001)
        started = time.monotonic()
        p.close(wait=0.05)
        closed_in = time.monotonic() - started
        assert len(slow.result()) == 3000  # the worker was killed under it: parsed by its own thread
    assert closed_in < 5 and p.worker_pid is None

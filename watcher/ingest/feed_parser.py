"""A feed's entries parsed in a worker process, under a time budget: :class:`FeedParser`.

feedparser has no timeout and is pure Python: parsing is the largest part of a first poll's CPU,
and in the polling process it holds the GIL the fetching threads need (docs/performance.md). So a
poll parses feeds in a worker process (:mod:`watcher.ingest.worker`, task ``"parse"``), which runs on
another core and is killed and replaced when a feed overruns its budget.

The polling threads' feeds are pipelined: each thread sends its feed and waits for its own reply,
which a reader thread hands over as the worker's replies come back in order, so the worker works
through a queue instead of waiting a round trip (and a GIL hand-over) between feeds. Each feed's
budget counts from when the worker started it. On an overrun the worker is killed; the feeds queued
behind the one that overran are parsed in this process instead (they did nothing wrong).

The worker is started without waiting for it (:meth:`FeedParser.start`, at the start of a cycle):
until it says ready, feeds are parsed in this process, so its start-up costs a poll nothing; if it
cannot start, feeds are parsed here for good (logged once). ``FeedParser(isolated=False)`` always
parses in this process. Whatever the parsing code raises in the worker (a bug included) comes back
as a FeedParseError naming the exception's type: that feed fails alone, as a hostile feed does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from watcher.errors import FeedParseError
from watcher.ingest.feeds import parse_feed
from watcher.ingest.worker import ProcessWide, Worker
from watcher.types import FeedEntry, Fetched

log = logging.getLogger(__name__)

RECYCLE_AFTER = 5000  # feeds parsed by one worker before a fresh one replaces it (memory stays flat)
_INLINE = "inline"  # a reply that says: parse it here (the worker was lost with this feed queued)


@dataclass(eq=False)
class _Pending:
    """A feed sent to the worker, waiting for its reply."""

    timeout: float
    sent: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    reply: tuple[str, Any] = (_INLINE, None)


@dataclass(eq=False)
class _Channel:
    """One worker, the feeds sent to it in order, and the thread that hands out its replies."""

    worker: Worker
    queue: deque[_Pending] = field(default_factory=deque)
    wakeup: threading.Condition = field(default_factory=threading.Condition)
    closed: bool = False
    reader: threading.Thread | None = None


class FeedParser:
    """Parses fetched feeds in a worker process with a per-feed time budget. Thread-safe."""

    def __init__(self, *, isolated: bool = True, recycle_after: int = RECYCLE_AFTER) -> None:
        self._isolated = isolated
        self._recycle_after = recycle_after
        self._lock = threading.Lock()
        self._channel: _Channel | None = None
        self._broken = False  # a worker did not start: parse here from then on

    def start(self) -> None:
        """Starts the worker if none runs, without waiting for it to be ready."""
        if self._isolated:
            with self._lock:
                self._current()

    def parse(self, fetched: Fetched, feed_name: str, *, timeout: float | None) -> list[FeedEntry]:
        """The feed's entries (:func:`watcher.ingest.feeds.parse_feed`); in the worker when it is ready
        and ``timeout`` is given, else here. Raises FeedParseError for a body that is not a feed, an
        overrun of ``timeout`` (the worker is then killed) or a worker that died with it."""
        url = fetched.final_url or fetched.url
        if fetched.content is None or not self._isolated or timeout is None:
            return parse_feed(fetched, feed_name)
        pending: _Pending | None = None
        with self._lock:
            channel = self._current()
            if channel is not None and channel.worker.ready():
                pending = _Pending(timeout)
                with channel.wakeup:
                    if channel.worker.send((fetched.content, fetched.content_type, url, feed_name)):
                        channel.queue.append(pending)
                        channel.wakeup.notify()
                    else:
                        pending = None
        if pending is None:  # no worker ready: parsed here
            return parse_feed(fetched, feed_name)
        pending.done.wait()
        status, value = pending.reply
        if status == _INLINE:
            return parse_feed(fetched, feed_name)
        if status == "timeout":
            raise FeedParseError(
                f"parsing took longer than {timeout:g}s and was stopped (WATCHER_PARSE_TIMEOUT)", url=url
            )
        if status == "error":
            raise FeedParseError(str(value), url=url)
        return value  # type: ignore[no-any-return]  # the worker's reply is unpickled, so Any

    def _current(self) -> _Channel | None:
        """The worker's channel (started if none runs, replaced when spent or dead); None once a worker
        failed to start. Called with the lock held."""
        channel = self._channel
        if channel is not None and (channel.worker.jobs >= self._recycle_after or not channel.worker.alive):
            self._retire(channel)  # the feeds still queued in it are answered before it stops
            if not channel.worker.jobs and not channel.worker.ready():
                log.warning("the feed parsing worker did not start: feeds are parsed in this process")
                self._broken = True
            channel = self._channel = None
        if channel is None and not self._broken:
            try:
                worker = Worker("parse", wait=False)
            except OSError as exc:
                log.warning(
                    "the feed parsing worker did not start (%s): feeds are parsed in this process", exc
                )
                self._broken = True
                return None
            channel = self._channel = _Channel(worker)
            channel.reader = threading.Thread(
                target=self._hand_out, args=(channel,), daemon=True, name="feed-parse-replies"
            )
            channel.reader.start()
        return channel

    @staticmethod
    def _retire(channel: _Channel) -> None:
        with channel.wakeup:
            channel.closed = True  # the reader stops the worker once its queue is empty
            channel.wakeup.notify()

    def _hand_out(self, channel: _Channel) -> None:
        """The reader thread of one worker: each reply to the feed that waits for it, in order."""
        worker, started = channel.worker, 0.0
        while True:
            with channel.wakeup:
                while not channel.queue and not channel.closed:
                    channel.wakeup.wait()
                if not channel.queue:  # retired and answered everything
                    break
                head = channel.queue[0]
            status, value, finished = worker.receive(max(head.sent, started) + head.timeout)
            started = finished
            with channel.wakeup:
                channel.queue.popleft()
                stopped = channel.closed and status == "error" and not worker.alive  # by close()
            head.reply = (_INLINE, None) if stopped else (status, value)
            head.done.set()
            if not worker.alive:  # killed on an overrun, or died: the feeds behind are parsed at home
                break
        worker.stop()
        with channel.wakeup:
            channel.closed = True
            left, channel.queue = list(channel.queue), deque()
        for pending in left:
            pending.done.set()  # reply stays _INLINE

    @property
    def worker_pid(self) -> int | None:
        """The pid of the current worker process (None when none runs): for tests and diagnostics."""
        channel = self._channel
        return channel.worker.pid if channel is not None and channel.worker.alive else None

    @property
    def worker_jobs(self) -> int:
        """Feeds sent to the current worker (0 when none runs): for tests and diagnostics."""
        return self._channel.worker.jobs if self._channel is not None else 0

    def close(self, wait: float = 5.0) -> None:
        """Stops the worker once the feeds sent to it are answered, waiting up to ``wait`` seconds for
        that; then it is killed (the feeds still waiting are parsed by their threads)."""
        with self._lock:
            channel, self._channel = self._channel, None
        if channel is not None:
            self._retire(channel)
            if channel.reader is not None and channel.reader is not threading.current_thread():
                channel.reader.join(wait)
                if channel.reader.is_alive():
                    channel.worker.kill()
                    channel.reader.join()


#: the process-wide isolated feed parser, created on first use and closed at exit
default_parser = ProcessWide(FeedParser)

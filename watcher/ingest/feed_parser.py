"""A feed's entries parsed in a worker process, under a time budget: :class:`FeedParser`.

feedparser has no timeout and is pure Python: parsing is the largest part of a first poll's CPU,
and in the polling process it holds the GIL the fetching threads need (docs/performance.md). So a
poll parses feeds in a worker process (:mod:`watcher.ingest.worker`, task ``"parse"``), which runs on
another core and is killed and replaced when a feed overruns its budget. The worker is started
without waiting for it (:meth:`FeedParser.start`, at the start of a cycle): until it says ready,
feeds are parsed in this process, so its start-up costs a poll nothing. ``FeedParser(isolated=False)``
always parses in this process.
"""

from __future__ import annotations

import atexit
import logging
import threading

from watcher.errors import FeedParseError
from watcher.ingest.feeds import parse_feed
from watcher.ingest.worker import Worker
from watcher.types import FeedEntry, Fetched

log = logging.getLogger(__name__)

RECYCLE_AFTER = 5000  # feeds parsed by one worker before a fresh one replaces it (memory stays flat)


class FeedParser:
    """Parses fetched feeds in a worker process with a per-feed time budget. Thread-safe."""

    def __init__(self, *, isolated: bool = True, recycle_after: int = RECYCLE_AFTER) -> None:
        self._isolated = isolated
        self._recycle_after = recycle_after
        self._lock = threading.Lock()
        self._worker: Worker | None = None
        self._broken = False  # a worker did not start: parse here from then on

    def start(self) -> None:
        """Starts the worker if none runs, without waiting for it to be ready."""
        if self._isolated:
            with self._lock:
                self._current()

    def parse(self, fetched: Fetched, feed_name: str, *, timeout: float | None) -> list[FeedEntry]:
        """The feed's entries (:func:`watcher.ingest.feeds.parse_feed`); in the worker when it is ready
        and ``timeout`` is given, else here. Raises FeedParseError for a body that is not a feed, an
        overrun of ``timeout`` (the worker is then killed) or a worker that died."""
        url = fetched.final_url or fetched.url
        if fetched.content is None or not self._isolated or timeout is None:
            return parse_feed(fetched, feed_name)
        with self._lock:
            worker = self._current()
            if worker is None or not worker.ready():
                worker = None  # not ready yet (or not startable): parsed here, below, without the lock
            else:
                status, value = worker.run((fetched.content, fetched.content_type, url, feed_name), timeout)
                if not worker.alive:
                    self._worker = None
        if worker is None:
            return parse_feed(fetched, feed_name)
        if status == "timeout":
            raise FeedParseError(
                f"parsing took longer than {timeout:g}s and was stopped (WATCHER_PARSE_TIMEOUT)", url=url
            )
        if status == "error":
            raise FeedParseError(str(value), url=url)
        return value  # type: ignore[no-any-return]  # the worker's reply is unpickled, so Any

    def _current(self) -> Worker | None:
        """The worker (started if none runs, replaced when spent or dead); None once one failed to start.
        Called with the lock held."""
        worker = self._worker
        if worker is not None and (worker.jobs >= self._recycle_after or not worker.alive):
            if worker.alive:
                worker.stop()
            elif worker.jobs == 0 and not worker.ready():
                log.warning("the feed parsing worker did not start: feeds are parsed in this process")
                self._broken = True
            worker = self._worker = None
        if worker is None and not self._broken:
            try:
                worker = self._worker = Worker("parse", wait=False)
            except OSError as exc:
                log.warning(
                    "the feed parsing worker did not start (%s): feeds are parsed in this process", exc
                )
                self._broken = True
        return worker

    @property
    def worker_pid(self) -> int | None:
        """The pid of the current worker process (None when none runs): for tests and diagnostics."""
        return self._worker.pid if self._worker is not None else None

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None


_default: FeedParser | None = None
_default_lock = threading.Lock()


def default_parser() -> FeedParser:
    """The process-wide isolated feed parser, created on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = FeedParser()
            atexit.register(_default.close)
        return _default

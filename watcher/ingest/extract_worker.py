"""The extraction worker process: the isolated time budget behind :class:`watcher.ingest.extract.Extractor`.

trafilatura has no timeout, and a pathological page can keep lxml busy in C code where no Python
thread can be interrupted. So isolated extraction runs in a child process -- a plain
``python -c "from watcher.ingest.extract_worker import worker_main; worker_main()"`` subprocess (no fork
of a threaded parent, no re-import of ``__main__``) speaking length-prefixed pickle frames over its
stdin/stdout (:func:`_write_frame` / :func:`_read_frame`). :class:`Worker` starts the child, waits
for its "ready" frame (start-up never counts against a page, up to :data:`STARTUP_TIMEOUT`), sends
pages (one at a time, or several ahead: the child reads them on a thread as they come and works
through them in order) and waits for each reply with ``select`` on the pipe (POSIX only); on an
overrun it kills the child, and :class:`~watcher.ingest.extract.Extractor` starts a fresh one.
:func:`worker_main` is the child's loop; it calls the extraction in :mod:`watcher.ingest.pagetext`
(which the parent's :mod:`watcher.ingest.extract` imports too: no import cycle).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

Job = tuple[str | bytes, str | None, str | None]  # (page, its Content-Type, its URL)

STARTUP_TIMEOUT = 120.0


def _write_frame(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:  # an unbuffered pipe may take part of it at a time
        view = view[stream.write(view) or 0 :]
    stream.flush()


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("the extraction worker closed its pipe")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(stream: IO[bytes]) -> Any:
    size = int.from_bytes(_read_exact(stream, 8), "big")
    return pickle.loads(_read_exact(stream, size))  # noqa: S301 - frames come from our own child process


def _read_jobs(stdin: IO[bytes], jobs: queue.SimpleQueue[Any]) -> None:  # pragma: no cover - child
    """The child's reader thread: every frame into ``jobs`` as soon as it arrives (None at EOF), so the
    parent's writes never wait for an extraction to end (the pipe cannot deadlock when the parent has
    sent the next pages while this child writes a large result)."""
    while True:
        try:
            jobs.put(_read_frame(stdin))
        except (EOFError, OSError, pickle.UnpicklingError):
            jobs.put(None)
            return


def worker_main() -> None:  # pragma: no cover - runs in the child process
    """The child's loop: frames of (html, content type, url) on stdin, in order; frames of (status,
    value, finished) on stdout, ``finished`` being ``time.monotonic()`` when the page was done (the
    clock is system-wide: the parent dates the start of the next page with it)."""
    import signal
    import threading

    import trafilatura  # noqa: F401 - import before saying ready

    from watcher.ingest.pagetext import RESET_EVERY, extract_page, reset_caches

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business; EOF ends us

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.Thread(target=_read_jobs, args=(stdin, jobs), daemon=True).start()
    _write_frame(stdout, "ready")
    done = 0
    while (job := jobs.get()) is not None:
        content, content_type, url = job
        try:
            reply: tuple[str, Any] = ("ok", extract_page(content, content_type, url))
        except Exception as exc:  # noqa: BLE001 - reported to the parent as a value
            reply = ("error", f"{type(exc).__name__}: {exc}")
        _write_frame(stdout, (*reply, time.monotonic()))
        done += 1
        if done % RESET_EVERY == 0:
            reset_caches()


class Worker:
    """One child process (``python -c ...worker_main()``, pipes for frames); killed on an overrun.

    A plain subprocess rather than multiprocessing: no re-import of the parent's ``__main__``, no
    fork of a threaded process.
    """

    def __init__(self) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from watcher.ingest.extract_worker import worker_main; worker_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=0,  # unbuffered: a reply read ahead into a buffer would be invisible to select()
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        self.jobs = 0
        if not self._wait(STARTUP_TIMEOUT) or self._receive() != "ready":
            self.kill()
            raise RuntimeError("the extraction worker did not start")

    def _wait(self, timeout: float) -> bool:
        readable, _, _ = select.select([self._stdout], [], [], timeout)
        return bool(readable)

    def _receive(self) -> Any:
        try:
            return _read_frame(self._stdout)
        except (EOFError, pickle.UnpicklingError):
            return None

    def send(self, job: Job) -> bool:
        """Queues one page in the child (which works through them in order); False when it is gone."""
        self.jobs += 1
        try:
            _write_frame(self._stdin, job)
        except OSError:
            self.kill()
            return False
        return True

    def receive(self, deadline: float) -> tuple[str, Any, float]:
        """The reply to the oldest page sent: ('ok', result, finished) | ('error', message, finished) |
        ('timeout', None, now) when none came by ``deadline`` (``time.monotonic()``; the child is then
        killed) | ('error', "...died", now) when the child died."""
        if self._stdout.closed:  # killed while a page was being sent
            return ("error", "the extraction worker died", time.monotonic())
        if not self._wait(max(0.0, deadline - time.monotonic())):
            self.kill()
            return ("timeout", None, time.monotonic())
        reply = self._receive()
        if reply is None:  # the child died (e.g. out of memory)
            self.kill()
            return ("error", "the extraction worker died", time.monotonic())
        return reply  # type: ignore[no-any-return]  # an unpickled frame, so Any

    def run(self, job: Job, timeout: float) -> tuple[str, Any]:
        """One page: ('ok', result) | ('error', message) | ('timeout', None)."""
        if not self.send(job):
            return ("error", "the extraction worker died")
        status, value, _ = self.receive(time.monotonic() + timeout)
        return status, value

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    @property
    def pid(self) -> int:
        return self._process.pid

    def kill(self) -> None:
        self._process.kill()
        self._process.wait(5)
        self._close_pipes()

    def _close_pipes(self) -> None:
        for stream in (self._stdin, self._stdout):
            with contextlib.suppress(OSError):
                stream.close()

    def stop(self) -> None:
        self._close_pipes()  # EOF on stdin ends the loop
        try:
            self._process.wait(2)
        except subprocess.TimeoutExpired:
            self.kill()

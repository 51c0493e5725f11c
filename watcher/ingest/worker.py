"""The worker processes: the isolated time budget behind page extraction and feed parsing.

trafilatura has no timeout, and a pathological page can keep lxml busy in C code where no Python
thread can be interrupted; feedparser has none either, and a feed is parsed by pure-Python code that
holds the parent's GIL (the largest part of a first poll's CPU: docs/performance.md). So both run in
child processes -- plain ``python -c "from watcher.ingest.worker import worker_main; worker_main(TASK)"``
subprocesses (no fork of a threaded parent, no re-import of ``__main__``) speaking length-prefixed
pickle frames over their stdin/stdout (:func:`_write_frame` / :func:`_read_frame`). A task is
``"extract"`` (a page's text: :func:`watcher.ingest.pagetext.extract_page`, used by
:class:`watcher.ingest.extract.Extractor`) or ``"parse"`` (a feed's entries:
:func:`watcher.ingest.feeds.parse_body`, used by :class:`watcher.ingest.feeds.FeedParser`).

:class:`Worker` starts the child and waits for its "ready" frame (start-up never counts against a
job, up to :data:`STARTUP_TIMEOUT`; ``wait=False`` returns at once and :meth:`Worker.ready` says
when it is), sends jobs (one at a time, or several ahead: the child reads them on a thread as they
come and works through them in order) and waits for each reply with ``select`` on the pipe (POSIX
only); on an overrun it kills the child, and its owner starts a fresh one. :func:`worker_main` is the
child's loop.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class ProcessWide(Generic[C]):
    """One ``make()`` for the whole process, made on first call (threads that need it at once wait
    for the one being made) and closed at exit: the default extractor and feed parser. ``current``
    is it, or None before the first call (a benchmark may put another in its place)."""

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self.current: C | None = None

    def __call__(self) -> C:
        with self._lock:
            if self.current is None:
                self.current = self._make()
                atexit.register(self.current.close)
            return self.current


Job = tuple[str | bytes, str | None, str | None]  # a page: (page, its Content-Type, its URL)
TASKS = {"extract": "extraction", "parse": "feed parsing"}  # task: its name in messages

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
            raise EOFError("the worker closed its pipe")
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


def _extract_handler() -> Callable[[Any], Any]:  # pragma: no cover - runs in the child process
    import trafilatura  # noqa: F401 - imported before saying ready

    from watcher.ingest.pagetext import RESET_EVERY, extract_page, reset_caches

    done = 0

    def handle(job: Job) -> Any:
        nonlocal done
        try:
            return extract_page(*job)
        finally:
            done += 1
            if done % RESET_EVERY == 0:
                reset_caches()

    return handle


def _parse_handler() -> Callable[[Any], Any]:  # pragma: no cover - runs in the child process
    from watcher.ingest.feeds import parse_body

    return lambda job: parse_body(*job)


def worker_main(task: str = "extract") -> None:  # pragma: no cover - runs in the child process
    """The child's loop: job frames on stdin, in order (for ``"extract"`` (html, content type, url), for
    ``"parse"`` the arguments of :func:`watcher.ingest.feeds.parse_body`); frames of (status, value,
    finished) on stdout, ``finished`` being ``time.monotonic()`` when the job was done (the clock is
    system-wide: the parent dates the start of the next job with it)."""
    import signal
    import threading

    handle = _extract_handler() if task == "extract" else _parse_handler()

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business; EOF ends us

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.Thread(target=_read_jobs, args=(stdin, jobs), daemon=True).start()
    try:
        _write_frame(stdout, "ready")
        while (job := jobs.get()) is not None:
            try:
                reply: tuple[str, Any] = ("ok", handle(job))
            except Exception as exc:  # noqa: BLE001 - reported to the parent as a value
                reason = getattr(exc, "reason", None)  # our own errors' message, without the URL it adds
                reply = ("error", reason if isinstance(reason, str) else f"{type(exc).__name__}: {exc}")
            _write_frame(stdout, (*reply, time.monotonic()))
    except BrokenPipeError:  # the parent stopped listening (it closed or was killed): nothing to say
        return


class Worker:
    """One child process (``python -c ...worker_main(task)``, pipes for frames); killed on an overrun.

    A plain subprocess rather than multiprocessing: no re-import of the parent's ``__main__``, no
    fork of a threaded process. ``wait=False`` returns without waiting for the child's "ready": its
    owner asks :meth:`ready` before sending (and does the work itself meanwhile).
    """

    def __init__(self, task: str = "extract", *, wait: bool = True) -> None:
        if task not in TASKS:
            raise ValueError(f"unknown worker task {task!r}: one of {', '.join(TASKS)}")
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from watcher.ingest.worker import worker_main; worker_main({task!r})"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=0,  # unbuffered: a reply read ahead into a buffer would be invisible to select()
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        self.jobs = 0
        self.task, self.name = task, TASKS[task]
        self._started = time.monotonic()
        self._ready = False
        if wait and not self.ready(STARTUP_TIMEOUT):
            raise RuntimeError(f"the {self.name} worker did not start")

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether the child said "ready" (waiting up to ``timeout`` seconds for it). A child that died,
        or was not ready within :data:`STARTUP_TIMEOUT` of its start, is killed: False from then on."""
        if self._ready:
            return True
        if self._stdout.closed:
            return False
        if not self._wait(timeout):
            if time.monotonic() - self._started > STARTUP_TIMEOUT:
                self.kill()
            return False
        self._ready = self._receive() == "ready"
        if not self._ready:
            self.kill()
        return self._ready

    def _wait(self, timeout: float) -> bool:
        readable, _, _ = select.select([self._stdout], [], [], timeout)
        return bool(readable)

    def _receive(self) -> Any:
        try:
            return _read_frame(self._stdout)
        except (EOFError, pickle.UnpicklingError):
            return None

    def send(self, job: tuple[Any, ...]) -> bool:
        """Queues one job in the child (which works through them in order); False when it is gone (or
        did not start: a child not ready yet is waited for first)."""
        if not self.ready(STARTUP_TIMEOUT):
            return False
        self.jobs += 1
        try:
            _write_frame(self._stdin, job)
        except OSError:
            self.kill()
            return False
        return True

    def receive(self, deadline: float) -> tuple[str, Any, float]:
        """The reply to the oldest job sent: ('ok', result, finished) | ('error', message, finished) |
        ('timeout', None, now) when none came by ``deadline`` (``time.monotonic()``; the child is then
        killed) | ('error', "...died", now) when the child died."""
        if self._stdout.closed:  # killed while a job was being sent
            return ("error", f"the {self.name} worker died", time.monotonic())
        if not self._wait(max(0.0, deadline - time.monotonic())):
            self.kill()
            return ("timeout", None, time.monotonic())
        reply = self._receive()
        if reply is None:  # the child died (e.g. out of memory)
            self.kill()
            return ("error", f"the {self.name} worker died", time.monotonic())
        return reply  # type: ignore[no-any-return]  # an unpickled frame, so Any

    def run(self, job: tuple[Any, ...], timeout: float) -> tuple[str, Any]:
        """One job: ('ok', result) | ('error', message) | ('timeout', None)."""
        if not self.send(job):
            return ("error", f"the {self.name} worker died")
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

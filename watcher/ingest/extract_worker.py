"""The extraction worker process: the isolated time budget behind :class:`watcher.ingest.extract.Extractor`.

trafilatura has no timeout, and a pathological page can keep lxml busy in C code where no Python
thread can be interrupted. So isolated extraction runs in a child process -- a plain
``python -c "from watcher.ingest.extract_worker import worker_main; worker_main()"`` subprocess (no fork
of a threaded parent, no re-import of ``__main__``) speaking length-prefixed pickle frames over its
stdin/stdout (:func:`_write_frame` / :func:`_read_frame`). :class:`Worker` starts the child, waits
for its "ready" frame (start-up never counts against a page, up to :data:`STARTUP_TIMEOUT`), sends
one page at a time and waits with ``select`` on the pipe (POSIX only); on an overrun it kills the
child, and :class:`~watcher.ingest.extract.Extractor` starts a fresh one for the next page.
:func:`worker_main` is the child's loop; it calls the extraction in :mod:`watcher.ingest.pagetext`
(which the parent's :mod:`watcher.ingest.extract` imports too: no import cycle).
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

STARTUP_TIMEOUT = 120.0


def _write_frame(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("the extraction worker closed its pipe")
    data = stream.read(int.from_bytes(head, "big"))
    return pickle.loads(data)  # noqa: S301 - frames come from our own child process


def worker_main() -> None:  # pragma: no cover - runs in the child process
    """The child's loop: frames of (html, url) on stdin, frames of (status, value) on stdout."""
    import signal

    import trafilatura  # noqa: F401 - import before saying ready

    from watcher.ingest.pagetext import RESET_EVERY, extract_page, reset_caches

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business; EOF ends us

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    _write_frame(stdout, "ready")
    done = 0
    while True:
        try:
            job = _read_frame(stdin)
        except EOFError:
            return
        content, content_type, url = job
        try:
            _write_frame(stdout, ("ok", extract_page(content, content_type, url)))
        except Exception as exc:  # noqa: BLE001 - reported to the parent as a value
            _write_frame(stdout, ("error", f"{type(exc).__name__}: {exc}"))
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

    def run(self, job: tuple[str | bytes, str | None, str | None], timeout: float) -> tuple[str, Any]:
        """('ok', result) | ('error', message) | ('timeout', None)."""
        self.jobs += 1
        try:
            _write_frame(self._stdin, job)
        except OSError:
            self.kill()
            return ("error", "the extraction worker died")
        if not self._wait(timeout):
            self.kill()
            return ("timeout", None)
        reply = self._receive()
        if reply is None:  # the child died (e.g. out of memory)
            self.kill()
            return ("error", "the extraction worker died")
        return reply  # type: ignore[no-any-return]

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
            try:
                stream.close()
            except OSError:
                pass

    def stop(self) -> None:
        self._close_pipes()  # EOF on stdin ends the loop
        try:
            self._process.wait(2)
        except subprocess.TimeoutExpired:
            self.kill()

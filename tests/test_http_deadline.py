"""The whole-request deadline of watcher.ingest.http (issue #13, item 1) against stalling loopback servers.

Each stall form drips a byte (or a ``102 Processing``) every 0.1 s, well inside the per-read
time-out, for 15 s; the fetch's budget is 1 s. Without a whole-request deadline the fetch is
held the full 15 s; with it, it fails with ``kind == "timeout"`` after about 1 s. The bound
asserted is deadline + 3 s (2 noisy cores).
"""

from __future__ import annotations

import threading
import time

import httpcore
import pytest

from tests.stallserver import STALLS, StallServer
from watcher.errors import FetchCancelled, FetchError
from watcher.ingest.deadlines import Budget, bounded, call_within, cap_timeout
from watcher.ingest.http import HttpClient

DEADLINE = 1.0
MARGIN = 3.0


def timed_failure(client: HttpClient, url: str) -> tuple[FetchError, float]:
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        client.fetch(url)
    return info.value, time.monotonic() - started


@pytest.mark.parametrize("form", sorted(STALLS))
def test_a_stalling_server_cannot_hold_a_fetch_past_its_deadline(form: str) -> None:
    with (
        StallServer(STALLS[form]) as server,
        HttpClient(timeout=DEADLINE, allow_private_networks=True) as client,
    ):
        err, elapsed = timed_failure(client, server.url("/feed.xml"))
    assert err.kind == "timeout", err
    assert "WATCHER_HTTP_TIMEOUT" in str(err)
    assert DEADLINE * 0.8 <= elapsed < DEADLINE + MARGIN, f"{form}: {elapsed:.1f}s"


def test_name_resolution_counts_against_the_deadline() -> None:
    release = threading.Event()

    def hanging_resolver(host: str, port: int) -> list[str]:
        release.wait(30)  # getaddrinfo has no time-out of its own
        return ["93.184.216.34"]

    try:
        with HttpClient(timeout=DEADLINE, resolver=hanging_resolver) as client:
            err, elapsed = timed_failure(client, "http://slow-dns.example/feed.xml")
    finally:
        release.set()
    assert err.kind == "timeout" and elapsed < DEADLINE + MARGIN


def test_abort_cancels_a_fetch_blocked_in_recv_and_every_later_one() -> None:
    """What `watcher run` does on SIGTERM: the blocked fetch returns at once, not at its deadline."""
    outcome: list[BaseException] = []
    with (
        StallServer(STALLS["header"], limit=30) as server,
        HttpClient(timeout=60, allow_private_networks=True) as client,
    ):

        def fetch() -> None:
            try:
                client.fetch(server.url("/feed.xml"))
            except BaseException as exc:  # noqa: BLE001 - inspected below
                outcome.append(exc)

        worker = threading.Thread(target=fetch)
        worker.start()
        end = time.monotonic() + 10
        while server.connections == 0 and time.monotonic() < end:
            time.sleep(0.02)
        time.sleep(0.3)  # let the client block in recv
        started = time.monotonic()
        client.abort()
        worker.join(timeout=10)
        stopped = time.monotonic() - started
        assert not worker.is_alive() and stopped < 3, stopped
        assert len(outcome) == 1 and isinstance(outcome[0], FetchCancelled), outcome
        with pytest.raises(FetchCancelled):
            client.fetch(server.url("/again"))
        assert server.connections == 1  # the later fetch never connected


def test_budget_caps_each_wait_and_refuses_once_spent() -> None:
    now = [100.0]
    budget = Budget(5.0, clock=lambda: now[0], cancel=threading.Event())
    assert cap_timeout(20.0, httpcore.ReadTimeout) == 20.0  # outside a fetch: unchanged
    with bounded(budget):
        assert cap_timeout(20.0, httpcore.ReadTimeout) == 5.0
        assert cap_timeout(None, httpcore.ReadTimeout) == 5.0
        now[0] += 4.0
        assert cap_timeout(20.0, httpcore.ReadTimeout) == pytest.approx(1.0)
        assert cap_timeout(0.5, httpcore.ReadTimeout) == 0.5
        now[0] += 1.0
        with pytest.raises(httpcore.ReadTimeout, match="whole-request deadline of 5s"):
            cap_timeout(20.0, httpcore.ReadTimeout)


def test_call_within_gives_up_on_a_call_that_overruns() -> None:
    release = threading.Event()
    try:
        with pytest.raises(httpcore.ConnectTimeout, match="resolving x"):
            call_within(lambda: release.wait(30), 0.2, "resolving x")
    finally:
        release.set()
    assert call_within(lambda: 42, 1.0, "quick") == 42
    with pytest.raises(OSError, match="boom"):
        call_within(lambda: (_ for _ in ()).throw(OSError("boom")), 1.0, "failing")

"""`/healthz` and `/metrics` for `watcher run` (WATCHER_HEALTH_PORT).

/healthz answers 200 when the database is reachable, the scheduler is running and a poll cycle
finished within the last two poll intervals (counted from the start while none has finished
yet), else 503, with a JSON body saying which check failed. A poll held up by anything (the
fetch deadline bounds each fetch, but not a cycle of many) turns it 503 after two intervals. /metrics is Prometheus text: this process's counters (feeds polled, fetch
errors by kind, poll cycle duration, deliveries, scheduled jobs that failed by job and kind -- error or
bug) and gauges read from the database (articles, findings by kind, deliveries by status). A poll
cycle that fails (a bug, a lost database) is no finished poll: /healthz shows it as ``last_failure``
at once and turns 503 when no cycle has finished for two intervals.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from watcher.store import Store

if TYPE_CHECKING:
    from watcher.app.root import Watcher

log = logging.getLogger(__name__)


class StoreCollector(Collector):
    """Gauges read from the database at scrape time (shared by all instances)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.store.counts()
        for table in ("feeds", "articles", "stories"):
            yield GaugeMetricFamily(f"watcher_{table}", f"Rows in {table}", value=counts[table])
        findings = GaugeMetricFamily("watcher_findings", "Findings by kind", labels=["kind"])
        for kind, n in self.store.findings_by_kind().items():
            findings.add_metric([kind], n)
        yield findings
        deliveries = GaugeMetricFamily(
            "watcher_deliveries_by_status", "Outbox rows by status", labels=["status"]
        )
        for status, n in self.store.delivery_counts().items():
            deliveries.add_metric([status], n)
        yield deliveries
        failing = sum(1 for f in self.store.failing_feeds())
        yield GaugeMetricFamily(
            "watcher_feeds_failing", "Enabled feeds whose last fetch failed", value=failing
        )


def health(w: Watcher, scheduler: Any, *, now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    """The checks of /healthz; ``now`` defaults to the Watcher's clock (tests inject one)."""
    now = now or w.clock()
    checks: dict[str, Any] = {
        "database": w.store.ping(),
        "scheduler": bool(getattr(scheduler, "running", False)),
    }
    last = w.metrics.last_poll_ok
    limit = 2 * w.settings.poll_interval
    age = (now - last).total_seconds() if last else None
    waited = (now - w.metrics.started_at).total_seconds()
    checks["last_poll_age_seconds"] = age
    checks["poll_limit_seconds"] = limit
    checks["poll_recent"] = age is not None and age <= limit
    checks["starting"] = last is None and waited <= limit  # the first cycle gets the same two intervals
    checks["last_failure"] = (
        w.metrics.last_failure
    )  # informative: a failed poll shows as poll_recent turning false
    ok = checks["database"] and checks["scheduler"] and (checks["poll_recent"] or checks["starting"])
    return ok, checks


def make_handler(w: Watcher, scheduler: Any) -> type[BaseHTTPRequestHandler]:
    registry = w.metrics.registry
    registry.register(StoreCollector(w.store))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/healthz":
                ok, checks = health(w, scheduler)
                self._reply(200 if ok else 503, "application/json", json.dumps({"ok": ok, **checks}).encode())
            elif self.path == "/metrics":
                try:
                    body = generate_latest(registry)
                except Exception as exc:  # noqa: BLE001 - the database may be down
                    self._reply(503, "text/plain", f"metrics unavailable: {type(exc).__name__}\n".encode())
                    return
                self._reply(200, "text/plain; version=0.0.4; charset=utf-8", body)
            else:
                self._reply(404, "text/plain", b"not found\n")

        def _reply(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("health: " + format, *args)

    return Handler


def start_health_server(w: Watcher, scheduler: Any, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serves /healthz and /metrics on WATCHER_HEALTH_PORT in a daemon thread."""
    server = ThreadingHTTPServer((host, w.settings.health_port), make_handler(w, scheduler))
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    log.info("health and metrics on http://%s:%s/", host, server.server_address[1])
    return server

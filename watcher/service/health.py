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
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from watcher.errors import WatcherError
from watcher.logs import mask_url_passwords
from watcher.store.schema import FindingRow

if TYPE_CHECKING:
    from watcher.app.root import Watcher

log = logging.getLogger(__name__)


class Metrics:
    """This process's counters, in their own registry (no global state)."""

    def __init__(self, started_at: datetime | None = None) -> None:
        self.started_at = started_at or datetime.now(UTC)
        self.registry = CollectorRegistry()
        self.feeds_polled = Counter("watcher_feeds_polled", "Feed fetches attempted", registry=self.registry)
        self.fetch_errors = Counter(
            "watcher_fetch_errors", "Fetch and parse errors by kind", ["kind"], registry=self.registry
        )
        self.entries = Counter(
            "watcher_entries_new", "New or edited feed entries processed", registry=self.registry
        )
        self.cycle = Histogram(
            "watcher_poll_cycle_seconds",
            "Poll cycle duration",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
            registry=self.registry,
        )
        self.deliveries = Counter(
            "watcher_deliveries", "Delivery attempts by outcome", ["outcome"], registry=self.registry
        )
        self.job_failures = Counter(
            "watcher_job_failures",
            "Scheduled jobs (poll, deliver, digest) that raised: kind=error (a watcher error, e.g. the database "
            "went away) or kind=bug (any other exception; logged with its traceback)",
            ["job", "kind"],
            registry=self.registry,
        )
        self.last_poll_ok: datetime | None = None
        self.last_failure: dict[str, Any] | None = None

    def observe_cycle(self, report: Any, at: datetime | None = None) -> None:
        self.feeds_polled.inc(report.feeds_polled)
        self.entries.inc(report.entries_new)
        for kind, n in report.errors_by_kind.items():
            self.fetch_errors.labels(kind=kind).inc(n)
        self.cycle.observe(report.duration)
        self.last_poll_ok = at or datetime.now(UTC)

    def observe_failure(self, job: str, exc: BaseException, at: datetime | None = None) -> None:
        """A scheduled job that raised (the scheduler goes on); /healthz shows the last one."""
        bug = not isinstance(exc, WatcherError)
        self.job_failures.labels(job=job, kind="bug" if bug else "error").inc()
        self.last_failure = {
            "job": job,
            "at": (at or datetime.now(UTC)).isoformat(),
            "error": mask_url_passwords(f"{type(exc).__name__}: {exc}"),
            "bug": bug,
        }

    def observe_drain(self, report: Any) -> None:
        for outcome in ("sent", "edited", "summarised", "retried", "failed"):
            self.deliveries.labels(outcome=outcome).inc(getattr(report, outcome))


class StoreCollector(Collector):
    """Gauges read from the database at scrape time (shared by all instances)."""

    def __init__(self, w: Watcher) -> None:
        self.w = w

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.w.store.counts()
        for table in ("feeds", "articles", "stories"):
            yield GaugeMetricFamily(f"watcher_{table}", f"Rows in {table}", value=counts[table])
        findings = GaugeMetricFamily("watcher_findings", "Findings by kind", labels=["kind"])
        with self.w.store.session() as s:
            for kind, n in s.execute(select(FindingRow.kind, func.count()).group_by(FindingRow.kind)):
                findings.add_metric([kind], n)
        yield findings
        deliveries = GaugeMetricFamily(
            "watcher_deliveries_by_status", "Outbox rows by status", labels=["status"]
        )
        for status, n in self.w.store.delivery_counts().items():
            deliveries.add_metric([status], n)
        yield deliveries
        failing = sum(1 for f in self.w.store.failing_feeds())
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
    registry.register(StoreCollector(w))

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

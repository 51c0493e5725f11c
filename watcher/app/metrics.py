"""This process's Prometheus counters (served on /metrics by :mod:`watcher.service.health`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from watcher.errors import WatcherError
from watcher.logs import mask_url_passwords


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

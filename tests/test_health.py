"""/healthz and /metrics served by `watcher run`, and logs without secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.httpserver import LocalServer, Route
from watcher.app.root import Watcher, make_watcher
from watcher.config import load_settings
from watcher.logs import JsonFormatter, RedactingFormatter, redact
from watcher.notify.channels import ConsoleChannel
from watcher.service.health import start_health_server

SITE = Path(__file__).resolve().parents[1] / "watcher" / "demo" / "site"


class Sched:
    running = True


@pytest.fixture
def watcher_app(sqlite_url: str, tmp_path: Path, http_server: LocalServer) -> Iterator[Watcher]:
    base = http_server.url("").rstrip("/")
    http_server.routes["/feed.xml"] = Route.text(
        (SITE / "feed.xml").read_text().replace("{base}", base), "application/rss+xml"
    )
    for page in SITE.glob("*.html"):
        http_server.routes[f"/{page.name}"] = Route.text(page.read_bytes())
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(yaml.safe_dump({"feeds": [{"name": "demo", "url": http_server.url("/feed.xml")}]}))
    w = make_watcher(
        load_settings(
            database_url=sqlite_url, feeds_file=feeds, allow_private_networks=True, delivery_deadline=0
        ),
        channels={"console": ConsoleChannel(io.StringIO())},
    )
    yield w
    w.close()


def test_healthz_reports_each_check(watcher_app: Watcher) -> None:
    sched = Sched()
    server = start_health_server(watcher_app, sched)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        first = httpx.get(f"{url}/healthz")
        assert first.status_code == 200 and first.json()["database"] is True  # not polled yet: starting up
        watcher_app.poll_once()
        ok = httpx.get(f"{url}/healthz").json()
        assert ok["ok"] and ok["poll_recent"] and ok["last_poll_age_seconds"] < 60
        sched.running = False
        down = httpx.get(f"{url}/healthz")
        assert down.status_code == 503 and down.json()["scheduler"] is False
        assert httpx.get(f"{url}/nope").status_code == 404
    finally:
        server.shutdown()


def test_metrics_are_prometheus_text_with_pipeline_figures(watcher_app: Watcher) -> None:
    server = start_health_server(watcher_app, Sched())
    try:
        watcher_app.poll_once()
        text = httpx.get(f"http://127.0.0.1:{server.server_address[1]}/metrics").text
    finally:
        server.shutdown()
    assert "watcher_feeds_polled_total 1.0" in text
    assert 'watcher_findings{kind="new_deal"}' in text and 'watcher_findings{kind="contradiction"}' in text
    assert 'watcher_deliveries_by_status{status="sent"}' in text
    assert "watcher_poll_cycle_seconds_count 1.0" in text
    assert "watcher_articles 4.0" in text  # the fifth demo item is irrelevant by its feed text: not fetched
    assert 'watcher_deliveries_total{outcome="sent"}' in text


SECRETS = ["123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "postgresql+psycopg://watcher:hunter2@db:5432/w"]


@pytest.mark.parametrize("formatter", [JsonFormatter(), RedactingFormatter("%(message)s")])
def test_logs_never_carry_secrets(formatter: logging.Formatter) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    log = logging.getLogger("watcher.test.secrets")
    log.addHandler(handler)
    try:
        log.error("POST https://api.telegram.org/bot%s/sendMessage failed", SECRETS[0])
        log.error("cannot reach %s", SECRETS[1])
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in out and "hunter2" not in out
    assert "sendMessage" in out and "db:5432" in out
    if isinstance(formatter, JsonFormatter):
        assert all(json.loads(line)["level"] == "error" for line in out.splitlines())


def test_redact_keeps_ordinary_text() -> None:
    assert redact("feed demo failed: HTTP 503 at 10:45:00") == "feed demo failed: HTTP 503 at 10:45:00"


def test_healthz_goes_stale_after_two_poll_intervals_without_a_finished_poll(watcher_app: Watcher) -> None:
    """Issue #13: a poll held up forever used to leave /healthz at ok (no poll ever finished)."""
    from datetime import timedelta

    from watcher.service.health import health

    w, sched = watcher_app, Sched()
    interval = timedelta(seconds=w.settings.poll_interval)
    start = w.metrics.started_at
    ok, checks = health(w, sched, now=start + interval)
    assert ok and checks["starting"] and not checks["poll_recent"]  # the first cycle may take its time
    ok, checks = health(w, sched, now=start + 2 * interval + timedelta(seconds=1))
    assert not ok and not checks["starting"] and checks["last_poll_age_seconds"] is None  # never polled
    w.poll_once()
    last = w.metrics.last_poll_ok
    assert last is not None
    ok, checks = health(w, sched, now=last + 2 * interval)
    assert ok and checks["poll_recent"] and checks["poll_limit_seconds"] == 2 * w.settings.poll_interval
    ok, checks = health(w, sched, now=last + 2 * interval + timedelta(seconds=1))
    assert not ok and not checks["poll_recent"]  # the last poll is too old: stalled

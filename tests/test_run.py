"""`watcher run` as a process: polls at once, serves /healthz, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml
from httpserver import LocalServer, Route

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "watcher" / "demo" / "site"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def test_run_polls_serves_health_and_the_dashboard_and_stops_on_sigterm(tmp_path: Path, http_server: LocalServer) -> None:
    base = http_server.url("").rstrip("/")
    http_server.routes["/feed.xml"] = Route.text(
        (SITE / "feed.xml").read_text().replace("{base}", base), "application/rss+xml"
    )
    for page in SITE.glob("*.html"):
        http_server.routes[f"/{page.name}"] = Route.text(page.read_bytes())
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(yaml.safe_dump({"feeds": [{"name": "demo", "url": http_server.url("/feed.xml")}]}))
    port, web_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env.update(
        {
            "WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
            "WATCHER_FEEDS_FILE": str(feeds),
            "WATCHER_ALLOW_PRIVATE_NETWORKS": "true",
            "WATCHER_HEALTH_PORT": str(port),
            "WATCHER_POLL_INTERVAL": "600",
            "WATCHER_WEB_PORT": str(web_port),
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "watcher", "run"],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        healthy = wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").json().get("poll_recent"), 60
        )
        assert healthy, "watcher run never reported a successful poll"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert "watcher_feeds_polled_total 1.0" in metrics
        dashboard = httpx.get(f"http://127.0.0.1:{web_port}/findings?period=all")
        assert dashboard.status_code == 200 and "Northwind" in dashboard.text  # the dashboard, served by run
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "NEW DEAL" in out and "northwind.html" in out  # alerts went to the console
    assert "stopping after running jobs finish" in err and "watcher stopped" in err

"""`watcher run` as a process: polls at once, serves /healthz, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

from tests.httpserver import LocalServer, Route

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "watcher" / "demo" / "site"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], object], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def test_run_polls_serves_health_and_the_dashboard_and_stops_on_sigterm(
    tmp_path: Path, http_server: LocalServer
) -> None:
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
    # one info line per cycle saying what ran and when the next one is; text logs carry timestamps
    cycle = next(line for line in err.splitlines() if "poll cycle done" in line)
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} INFO watcher\.service\.scheduler: ", cycle), cycle
    assert "1 feed polled" in cycle and "next poll at" in cycle
    # a fresh database sends no catch-up digest for the day before it was installed
    assert "first run: no digest" in err
    assert "WARNING" not in err, err  # the banner and a requested stop are info


HUNG_JOB = """
import logging
import time
logging.basicConfig(level=logging.INFO)  # the start banner is an info line
from watcher.service import scheduler
from watcher.app.root import make_watcher
from watcher.config import load_settings

w = make_watcher(load_settings())
w.poll_once = lambda **kw: time.sleep(300)  # a job that no cancellation reaches
scheduler.run_forever(w, grace=1.0)
"""


def test_sigterm_abandons_a_job_that_outlives_the_grace(tmp_path: Path) -> None:
    """The safety net behind fetch cancellation: whatever a job is stuck in, the process ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env.update({"WATCHER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
                "WATCHER_FEEDS_FILE": str(tmp_path / "none.yaml")})  # fmt: skip
    log = tmp_path / "stderr.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-c", HUNG_JOB], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.DEVNULL, stderr=sink)  # fmt: skip
        try:
            assert wait_until(lambda: "running: polling every" in log.read_text(), 60), log.read_text()
            time.sleep(0.5)  # the poll job starts at once and sleeps
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            stopped = time.monotonic() - started
        finally:
            if proc.poll() is None:
                proc.kill()
    err = log.read_text()
    assert proc.returncode == 1, err
    assert "exiting without them" in err and stopped < 1.0 + 5, (stopped, err)

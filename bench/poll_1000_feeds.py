"""A poll cycle over 1,000 feeds served from loopback: wall time and peak memory (issue #6).

    .venv/bin/python bench/poll_1000_feeds.py [--feeds 1000] [--hosts 50] [--changed 10]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

What one run does, in a fresh child process (so peak-memory figures are its own):

1. serves ``--feeds`` RSS feeds from tests/httpserver.py LocalServers, either all on one host
   (127.0.0.1) or spread over ``--hosts`` loopback addresses (127.0.0.2, 127.0.0.3, ...: watcher
   allows 2 requests in flight per host, and the pipeline polls with 8 threads);
2. cycle 1 loads validators: every feed answers 200 with an ETag; ``--changed`` of them list
   ``--old-items`` items with small pages (fetched and stored), the others list none;
3. the clock moves on an hour, and cycle 2 is the one measured: the ``--changed`` feeds get a new
   ETag and ``--new-items`` new items each (small pages mentioning OpenAI, so they are analysed and
   alerted to a console channel); every other feed answers 304 Not Modified;
4. cycle 3 repeats cycle 2's shape under tracemalloc (Python allocations only; slower, so its
   time is not reported).

Each cycle is ``Watcher.poll_once()`` (feeds-file sync, poll, delivery) on a Watcher built with
``make_watcher(load_settings(...feeds_file=<temp yaml of the feeds>...))``: the figures include the
sync of the 1,000-feed file into the database and the delivery of the queued alerts.
The feeds are served by a separate site process (so the servers' CPU and memory are not counted).
Peak memory is ``ru_maxrss`` of the measuring process and, separately, the extraction worker's
VmHWM; "cpu s" is the process CPU time of cycle 2 (all threads) against its wall time.

It runs single-host and many-host on a fresh temporary SQLite file, and on PostgreSQL too when
``--database-url`` names a server (a database is made with createdb and dropped afterwards).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml
from _common import (
    Clock,
    deal_page,
    httpserver,
    load,
    local_server,
    pg_create,
    pg_drop,
    print_machine,
    settings,
    table,
)

GOAL_SECONDS = 10.0
GOAL_MB = 200.0
_STAGES = ("fetch", "record_feed_success", "process_entry", "claim")


@dataclass
class Site:
    """The feeds and pages: which server each feed lives on, and what it lists in each cycle."""

    servers: list[Any]
    n_feeds: int
    changed: set[int]
    old_items: int
    new_items: int
    feed_urls: list[str] = field(default_factory=list)

    def start(self) -> None:
        for server in self.servers:
            server.start()
        for i in range(self.n_feeds):
            server = self.servers[i % len(self.servers)]
            self.feed_urls.append(server.url(f"/feed/{i}.xml", host=server._server.server_address[0]))

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def publish(self, cycle: int) -> None:
        """Routes for ``cycle``: unchanged feeds keep ETag "v1"; changed ones list their new items."""
        route = httpserver().Route
        for i in range(self.n_feeds):
            server = self.servers[i % len(self.servers)]
            if i not in self.changed:
                if cycle == 1:
                    server.routes[f"/feed/{i}.xml"] = _rss_route(route, self._rss(i, []), '"v1"')
                continue
            items = [(i, 0, k) for k in range(self.old_items)]
            items += [(i, c, k) for c in range(2, cycle + 1) for k in range(self.new_items)]
            for feed, c, k in items:
                server.routes[self._page_path(feed, c, k)] = route.text(self._page(feed, c, k))
            server.routes[f"/feed/{i}.xml"] = _rss_route(route, self._rss(i, items), f'"c{cycle}"')

    @staticmethod
    def _page_path(feed: int, cycle: int, k: int) -> str:
        return f"/story/{feed}-{cycle}-{k}.html"

    @staticmethod
    def _page(feed: int, cycle: int, k: int) -> str:
        return deal_page(feed * 100 + cycle * 10 + k)

    def _rss(self, feed: int, items: list[tuple[int, int, int]]) -> str:
        server = self.servers[feed % len(self.servers)]
        host = server._server.server_address[0]
        when = format_datetime(Clock().now)
        entries = "".join(
            f"<item><title>OpenAI signs compute deal {f}-{c}-{k}</title>"
            f"<link>{server.url(self._page_path(f, c, k), host=host)}</link><guid>{f}-{c}-{k}</guid>"
            f"<pubDate>{when}</pubDate><description>OpenAI deal news {f}-{c}-{k}.</description></item>"
            for f, c, k in items
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {feed}</title>'
            f"<link>{server.url('/', host=host)}</link><description>bench feed</description>{entries}"
            "</channel></rss>"
        )


def _rss_route(route: Any, body: str, etag: str) -> Any:
    return route.text(body, "application/rss+xml; charset=utf-8", etag=etag)


# --------------------------------------------------------------------------- one measured run (child)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_hwm_mb() -> float:
    from watcher.ingest.extract import default_extractor

    pid = default_extractor().worker_pid
    if pid is None:
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def serve(args: argparse.Namespace) -> None:
    """The site process: prints the feed URLs as JSON, then obeys ``publish N`` / ``stats`` lines on stdin."""
    hosts = (
        ["127.0.0.1"]
        if args.hosts == 1
        else [f"127.0.{2 + i // 250}.{2 + i % 250}" for i in range(args.hosts)]
    )
    step = max(1, args.feeds // max(args.changed, 1))
    site = Site([local_server(h) for h in hosts], args.feeds, set(range(0, args.feeds, step)[: args.changed]),
                args.old_items, args.new_items)  # fmt: skip
    site.start()
    try:
        print(json.dumps(site.feed_urls), flush=True)
        for line in sys.stdin:
            command = line.split()
            if command[:1] == ["publish"]:
                site.publish(int(command[1]))
                print("ok", flush=True)
            elif command[:1] == ["stats"]:
                stats = {"max_in_flight": max(s.max_in_flight for s in site.servers),
                         "requests": sum(len(s.requests) for s in site.servers)}  # fmt: skip
                print(json.dumps(stats), flush=True)
    finally:
        site.stop()


class SiteProcess:
    """The feeds and pages, served by a child process so their CPU and memory are not counted."""

    def __init__(self, args: argparse.Namespace) -> None:
        cmd = [sys.executable, __file__, "--serve", *_shape_args(args, args.hosts)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.feed_urls: list[str] = json.loads(self._ask(None))

    def _ask(self, command: str | None) -> str:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        if command is not None:
            self._proc.stdin.write(command + "\n")
            self._proc.stdin.flush()
        answer = self._proc.stdout.readline()
        if not answer:
            raise RuntimeError("the site process ended")
        return answer

    def publish(self, cycle: int) -> None:
        self._ask(f"publish {cycle}")

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = json.loads(self._ask("stats"))
        return stats

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(10)


class ThreadSeconds:
    """Time spent inside wrapped calls, summed over the pipeline's threads."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrap(self, name: str, fn: Any) -> Any:
        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                with self._lock:
                    self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0

        return timed


def instrument(w: Any, spent: ThreadSeconds) -> None:
    w.sync_feeds = spent.wrap("sync_feeds", w.sync_feeds)
    w.http.fetch = spent.wrap("fetch", w.http.fetch)
    w.store.claim_due_feeds = spent.wrap("claim", w.store.claim_due_feeds)
    w.store.record_feed_success = spent.wrap("record_feed_success", w.store.record_feed_success)
    w.pipeline.process_entry = spent.wrap("process_entry", w.pipeline.process_entry)


def run_once(args: argparse.Namespace) -> dict[str, Any]:
    """Starts the site process and a Watcher, runs three cycles, returns the figures as a dict."""
    from watcher.app.root import make_watcher
    from watcher.notify.channels import ConsoleChannel
    from watcher.store import open_store

    site = SiteProcess(args)
    tmp = Path(tempfile.mkdtemp(prefix="watcher-poll-bench-"))
    try:
        feeds_file = tmp / "feeds.yaml"
        feeds = [{"name": f"feed {i:04d}", "url": url} for i, url in enumerate(site.feed_urls)]
        feeds_file.write_text(yaml.safe_dump({"feeds": feeds}), encoding="utf-8")
        url = args.database_url or f"sqlite:///{tmp / 'watcher.db'}"
        clock = Clock()
        out = io.StringIO()
        w = make_watcher(settings(url, feeds_file=feeds_file), store=open_store(url, auto_upgrade=True),
                         clock=clock, channels={"console": ConsoleChannel(out)}, stream=out)  # fmt: skip
        spent = ThreadSeconds()
        instrument(w, spent)
        result: dict[str, Any] = {"rss_setup_mb": rss_mb()}
        try:
            for cycle in (1, 2, 3):
                site.publish(cycle)
                if cycle > 1:
                    clock.advance(hours=1)
                if cycle == 3:
                    tracemalloc.start()
                spent.seconds.clear()
                t0, cpu0 = time.perf_counter(), time.process_time()
                report, drained = w.poll_once()
                wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                if cycle == 3:
                    result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
                    tracemalloc.stop()
                sync = spent.seconds.get("sync_feeds", 0.0)
                result[f"cycle{cycle}"] = {
                    "wall_s": wall, "cpu_s": cpu, "sync_s": sync, "poll_s": report.duration,
                    "deliver_s": wall - sync - report.duration, "polled": report.feeds_polled,
                    "not_modified": report.not_modified, "failed": report.feeds_failed,
                    "new_entries": report.entries_new, "articles": report.articles,
                    "alerts": report.alerts_queued, "sent": drained.sent if drained else 0,
                    "errors": report.errors[:3], "rss_mb": rss_mb(), "thread_s": dict(spent.seconds),
                }  # fmt: skip
            result["worker_hwm_mb"] = worker_hwm_mb()
            result.update(site.stats())
        finally:
            w.close()
    finally:
        site.close()
        for path in sorted(tmp.iterdir(), reverse=True):
            path.unlink()
        tmp.rmdir()
    return result


def _shape_args(args: argparse.Namespace, hosts: int) -> list[str]:
    return ["--feeds", str(args.feeds), "--hosts", str(hosts), "--changed", str(args.changed),
            "--old-items", str(args.old_items), "--new-items", str(args.new_items)]  # fmt: skip


# --------------------------------------------------------------------------- orchestration (parent)


def child(args: argparse.Namespace, hosts: int, database_url: str | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", *_shape_args(args, hosts)]
    if database_url:
        cmd += ["--database-url", database_url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"run failed ({' '.join(cmd)}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])  # fmt: skip
    parser.add_argument("--feeds", type=int, default=1000, help="number of feeds (default 1000)")
    parser.add_argument(
        "--hosts", type=int, default=50, help="loopback hosts of the many-host run (default 50)"
    )
    parser.add_argument(
        "--changed", type=int, default=10, help="feeds with new items in cycle 2 (default 10)"
    )
    parser.add_argument("--old-items", type=int, default=3, help="items a changed feed lists in cycle 1")
    parser.add_argument("--new-items", type=int, default=1, help="new items per changed feed per cycle")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (…/postgres): also run there")
    parser.add_argument("--only", choices=("single", "many"), help="run one host layout only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        serve(args)
        return 0
    if args.child:
        print(json.dumps(run_once(args)))
        return 0

    print_machine()
    layouts = [("single", 1), ("many", args.hosts)]
    layouts = [x for x in layouts if args.only in (None, x[0])]
    runs: list[tuple[str, str, dict[str, Any]]] = []
    for name, hosts in layouts:
        print(f"{name}-host, SQLite ...", flush=True)
        runs.append((f"{hosts} host{'s' * (hosts > 1)}", "sqlite", child(args, hosts, None)))
        if args.database_url:
            db = f"watcher_bench_{os.getpid()}_{name}"
            print(f"{name}-host, PostgreSQL ({db}) ...", flush=True)
            try:
                runs.append((f"{hosts} host{'s' * (hosts > 1)}", "postgresql",
                             child(args, hosts, pg_create(args.database_url, db))))  # fmt: skip
            finally:
                pg_drop(args.database_url, db)

    rows, spent = [], []
    for layout, db, r in runs:
        c1, c2 = r["cycle1"], r["cycle2"]
        peak = max(c2["rss_mb"], r["cycle3"]["rss_mb"])
        rows.append([layout, db, f"{c1['wall_s']:.2f}", f"{c2['wall_s']:.2f}", f"{c2['cpu_s']:.2f}", f"{c2['sync_s']:.2f}",
                     f"{c2['poll_s']:.2f}", f"{c2['deliver_s']:.2f}", f"{c2['not_modified']}/{c2['polled']}",
                     c2["new_entries"], c2["alerts"], f"{r['rss_setup_mb']:.0f}", f"{peak:.0f}",
                     f"{r['tracemalloc_peak_mb']:.1f}", f"{r['worker_hwm_mb']:.0f}"])  # fmt: skip
        spent.append(
            [layout, db, *(f"{c2['thread_s'].get(k, 0.0):.2f}" for k in _STAGES), r["max_in_flight"]]
        )
        errors = c2["errors"] or r["cycle1"]["errors"]
        if errors:
            print(f"  errors ({layout}, {db}): {errors}")
    print()
    print(table(rows, ["layout", "db", "cycle1 s", "cycle2 s", "cpu s", "sync s", "poll s", "deliver s", "304/polled",
                       "new", "alerts", "rss0 MB", "peak MB", "tracemalloc MB", "worker MB"]))  # fmt: skip
    print("\ncycle 2, seconds inside each call summed over the 8 poll threads (wall x 8 is the budget):")
    print(table(spent, ["layout", "db", *_STAGES, "max in flight/host"]))
    worst_s = max(r["cycle2"]["wall_s"] for _, _, r in runs)
    worst_mb = max(max(r["cycle2"]["rss_mb"], r["cycle3"]["rss_mb"]) for _, _, r in runs)
    print(f"\ngoal: cycle 2 < {GOAL_SECONDS:g} s ({'met' if worst_s < GOAL_SECONDS else 'MISSED'}: worst "
          f"{worst_s:.2f} s), peak RSS < {GOAL_MB:g} MB ({'met' if worst_mb < GOAL_MB else 'MISSED'}: worst "
          f"{worst_mb:.0f} MB, plus the extraction worker); load average {load()}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

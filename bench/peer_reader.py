"""watcher against lemon24/reader on the same loopback feeds: first poll, all-304 poll, peak RSS (issue #14).

    python3 -m venv bench-venv && bench-venv/bin/pip install -e '.[bench]'   # reader: benchmark-only
    bench-venv/bin/python bench/peer_reader.py [--feeds 100 1000] [--growth 100 300 1000] [--rounds 1] [--tree PATH]

One server process (tests/httpserver.py, as in bench/first_poll.py) serves N RSS feeds of 20 items,
about 22 KB each, with an ETag (a matching If-None-Match gets 304), and every page the items link to;
2% of the items are about an OpenAI compute deal (title and page), the others name no tracked company.

Run it from a virtualenv with watcher's runtime dependencies and the ``bench`` extra only (not the
``test`` extra: selenium brings trio, which httpcore imports when present, +14 MB per process).

Each measurement runs in its own fresh subprocess (so its peak RSS is its own), on a fresh SQLite
database, 8 workers on every side, the sides alternated within a round:

* **watcher**: the database schema made beforehand by another process (as ``watcher db upgrade`` or
  any earlier run does: migrating imports alembic, once in a database's life), then
  ``Watcher.poll_once()`` (feeds-file sync, poll, the relevant pages fetched and extracted
  by the extraction worker, findings, a console channel), then a *new* Watcher on the same database an
  hour later (what ``watcher poll --once`` from cron does): every feed answers 304;
* **reader**: ``make_reader(db)`` and ``add_feed`` for each feed (not timed), then
  ``update_feeds(workers=8, scheduled=False)`` (timed), and again (every feed answers 304; timed).

Peak RSS is ``getrusage(RUSAGE_SELF).ru_maxrss`` of the side's process at its end (imports included);
watcher's two worker processes (extraction, feed parsing) are printed apart, each its own peak
(``VmHWM`` read before they are stopped). ``--growth`` sizes are run for watcher only (first poll), to show how its time grows;
sizes also in ``--feeds`` reuse those runs. ``--tree PATH`` imports watcher from another tree (the
code before a change), the reader side is unchanged.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ITEMS = 20
SUMMARY_WORDS = 135  # ~22 KB feeds of 20 items, as measured in issue 14
WORKERS = 8


def _rss() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _peak_of(pid: int | None) -> float:
    """A live process's peak RSS in MB (VmHWM), 0 when there is none."""
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def side_watcher(base: str, feeds: int, tree: Path | None, tmp: str) -> dict[str, Any]:
    from _common import Clock, console_watcher, write_feeds_file

    if tree:
        sys.path.insert(0, str(tree.resolve()))
    feeds_file = write_feeds_file(Path(tmp) / "feeds.yaml", base, feeds)
    url = f"sqlite:///{tmp}/w.db"  # made by run_side beforehand
    clock = Clock()
    w = console_watcher(url, feeds_file, clock)
    t = time.perf_counter()
    report, _ = w.poll_once()
    first = time.perf_counter() - t
    rss_first = _rss()[0]
    w.close()
    clock.advance(hours=1)
    w2 = console_watcher(url, feeds_file, clock)
    t = time.perf_counter()
    report2, _ = w2.poll_once()
    second = time.perf_counter() - t
    w2.close()
    from watcher.ingest import extract

    try:
        parser: Any = importlib.import_module("watcher.ingest.feed_parser").default_parser()
    except ImportError:  # a --tree from before feeds were parsed in a worker
        parser = None
    workers = {  # each worker's own peak (RUSAGE_CHILDREN would give only the larger one)
        "rss_extract": _peak_of(extract.default_extractor().worker_pid),
        "rss_parse": _peak_of(parser.worker_pid) if parser is not None else 0.0,
    }
    extract.default_extractor().close()
    if parser is not None:
        parser.close()
    own, children = _rss()
    return {
        "first": first,
        "second": second,
        "rss_first": rss_first,
        "rss": own,
        "rss_children": children,
        **workers,
        "entries": report.entries_seen,
        "articles": report.articles,
        "findings": report.findings,
        "not_modified": report2.not_modified,
        "polled": report2.feeds_polled,
        "errors": len(report.errors) + len(report2.errors),
    }


def side_reader(base: str, feeds: int) -> dict[str, Any]:
    from reader import make_reader

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        r = make_reader(f"{tmp}/r.sqlite")
        for f in range(feeds):
            r.add_feed(f"{base}/feed{f}.xml")
        setup = time.perf_counter() - t
        t = time.perf_counter()
        r.update_feeds(workers=WORKERS, scheduled=False)
        first = time.perf_counter() - t
        rss_first = _rss()[0]
        entries = r.get_entry_counts().total
        t = time.perf_counter()
        r.update_feeds(workers=WORKERS, scheduled=False)
        second = time.perf_counter() - t
        errors = sum(1 for feed in r.get_feeds() if feed.last_exception)
        r.close()
    own, children = _rss()
    return {
        "first": first,
        "second": second,
        "rss_first": rss_first,
        "rss": own,
        "rss_children": children,
        "entries": entries,
        "errors": errors,
        "setup": setup,
    }


def run_side(side: str, base: str, feeds: int, tree: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--side",
            side,
            "--base",
            base,
            "--n",
            str(feeds),
        ]
        cmd += ["--dir", tmp] + (["--tree", str(tree)] if tree else [])
        if side == "watcher":
            # the schema is made beforehand by another process (as `watcher db upgrade` or any earlier
            # run does): migrating loads alembic, mako and pygments (~25 MB), once in a database's life
            code = (f"import sys; sys.path.insert(0, {str(tree or HERE.parent)!r}); from watcher.store import "
                    f"open_store; open_store('sqlite:///{tmp}/w.db', auto_upgrade=True).close()")  # fmt: skip
            subprocess.run([sys.executable, "-c", code], check=True)
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} at {feeds} feeds failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = os.getloadavg()[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--feeds", type=int, nargs="+", default=[100, 1000], help="sizes compared with reader"
    )
    parser.add_argument("--growth", type=int, nargs="*", default=[100, 300, 1000], help="watcher-only sizes")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tree", type=Path, help="import watcher from this tree instead")
    parser.add_argument("--side", choices=("watcher", "reader"), help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    if args.side:
        result = (
            side_watcher(args.base, args.n, args.tree, args.dir)
            if args.side == "watcher"
            else side_reader(args.base, args.n)
        )
        print(json.dumps(result))
        return

    import first_poll
    from _common import median, print_machine, table

    try:
        import reader
    except ImportError:
        raise SystemExit("reader is not installed: .venv/bin/pip install -e '.[bench]'") from None
    print_machine()
    print(f"reader {reader.__version__}; watcher from {args.tree or HERE.parent}")
    largest = max(args.feeds + args.growth)
    ctx = multiprocessing.get_context("fork")
    port, connections, ready = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Event()
    server = ctx.Process(
        target=first_poll._serve, args=(largest, ITEMS, port, connections, ready, SUMMARY_WORDS), daemon=True
    )
    server.start()
    ready.wait(300)
    base = f"http://127.0.0.1:{port.value}"
    size = len(first_poll._feed(base, 1, ITEMS, SUMMARY_WORDS).encode())
    print(f"feeds of {ITEMS} items, {size / 1024:.1f} KB each; {WORKERS} workers on every side")
    peer_rows: list[list[object]] = []
    growth: dict[int, list[float]] = {}
    try:
        for rnd in range(args.rounds):
            for n in args.feeds:
                sides = ("watcher", "reader") if rnd % 2 == 0 else ("reader", "watcher")
                res = {side: run_side(side, base, n, args.tree) for side in sides}
                w, r = res["watcher"], res["reader"]
                growth.setdefault(n, []).append(w["first"])
                peer_rows.append([
                    rnd + 1, n, f"{w['first']:.2f}", f"{r['first']:.2f}", f"{w['first'] / r['first']:.2f}",
                    f"{w['second']:.2f}", f"{r['second']:.2f}", f"{w['second'] / r['second']:.2f}",
                    f"{w['rss']:.1f}", f"{w['rss_extract']:.1f} / {w['rss_parse']:.1f}", f"{r['rss']:.1f}",
                    f"{w['articles']}/{w['entries']}", f"{w['not_modified']}/{w['polled']}", r["entries"],
                    w["errors"] + r["errors"], f"{(w['load'] + r['load']) / 2:.1f}",
                ])  # fmt: skip
                print(table(peer_rows[-1:], PEER_HEADER).splitlines()[-1], flush=True)
            for n in args.growth:
                if n not in args.feeds:
                    growth.setdefault(n, []).append(run_side("watcher", base, n, args.tree)["first"])
    finally:
        server.kill()
    print()
    print(table(peer_rows, PEER_HEADER))
    if args.rounds > 1:  # the ratios of one size over the rounds: a 1 s poll on a shared VM jitters
        print()
        summary = []
        for n in args.feeds:
            first = [float(str(row[4])) for row in peer_rows if row[1] == n]
            second = [float(str(row[7])) for row in peer_rows if row[1] == n]
            summary.append([n, len(first), f"{median(first):.2f}", f"{max(first):.2f}", f"{median(second):.2f}",
                            f"{max(second):.2f}"])  # fmt: skip
        print(table(summary, ["feeds", "rounds", "first poll ratio: median", "worst", "304 ratio: median",
                              "worst"]))  # fmt: skip
    if growth:
        print()
        sizes = sorted(growth)
        rows = []
        for n in sizes:
            best = min(growth[n])
            rows.append([n, n * ITEMS, f"{best:.2f}", f"{best / n * 1000:.1f}",
                         f"{best / min(growth[sizes[0]]):.2f}x for {n / sizes[0]:.0f}x the feeds"])  # fmt: skip
        print(table(rows, ["feeds", "entries", "watcher first poll s (best)", "ms/feed", "growth"]))


PEER_HEADER = [
    "round", "feeds", "first: watcher s", "reader s", "ratio", "304: watcher s", "reader s", "ratio",
    "RSS watcher MB", "+ workers MB (extract / parse)", "RSS reader MB", "articles/entries", "304/polled", "reader entries",
    "errors", "load",
]  # fmt: skip


if __name__ == "__main__":
    main()

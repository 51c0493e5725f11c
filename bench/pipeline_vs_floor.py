"""The whole backfill pipeline per page against a bare trafilatura loop over the same files (issue #6).

    .venv/bin/python bench/pipeline_vs_floor.py [--rounds 5] [--profile] [--cli] [--pages DIR ...]

Pages: every ``*.html`` in ../shared/corpus/pages and ../shared/corpus/dev/articles (read in place:
the script links them into a temporary folder, nothing is copied), or a generated set when
those are absent (``--generate N`` forces that). Each round runs, on the same files:

* floor: ``trafilatura.extract(html_bytes)`` with its defaults, one file after the other;
* watcher's extraction call in-process: ``watcher.ingest.pagetext.extract_page`` (decode, our meta
  tags, ``bare_extraction(include_comments=False)``), i.e. what the extraction worker runs;
* the pipeline: ``watcher.app.backfill.backfill_dir`` **in-process** on a fresh temporary SQLite
  database (the same code ``watcher backfill --dir`` runs), with timers around its stages:
  extraction (through the worker process, as in production), the differ (claims and matching),
  the store's one-transaction write, and the rest (file reading, hashing, relevance, and the
  MinHash sketch and in-memory story index, which are also shown on their own).

Both sides are warmed up once before the timed rounds (the warm-up also starts the extraction
worker). Rounds alternate floor and pipeline; the ratio is the median of the per-round ratios
(robust to load drifting on a shared machine), all in this one process.
``--cli`` also times ``watcher backfill --dir`` as a subprocess (start-up included).
``--processes`` adds the side-by-side process measurement: ``watcher diff --json`` over the same
pages (one process, start-up included) against a fresh interpreter running the bare
``trafilatura.extract`` loop over the same files, alternated for ``--rounds`` rounds (goal <=
:data:`PROCESS_GOAL_RATIO`). ``--processes-only`` skips the in-process rounds.
``--profile`` runs one more backfill under cProfile with the extractor in-process and prints
the top functions by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import ROOT, SHARED, load, median, open_fresh_store, print_machine, settings, table

GOAL_RATIO = 1.2
PROCESS_GOAL_RATIO = 1.3
DEFAULT_DIRS = (SHARED / "corpus" / "pages", SHARED / "corpus" / "dev" / "articles")

_PARAGRAPHS = (
    "Microsoft and OpenAI said on {day} that they had signed a new agreement covering cloud capacity "
    "worth ${bn} billion over {years} years, according to people familiar with the matter.",
    "The deal gives OpenAI access to {gw} gigawatts of data-centre power in {place}, the companies said "
    "in a joint statement. Analysts said the terms were broadly in line with earlier reports.",
    "Microsoft holds a stake of about {pct}% in OpenAI's for-profit arm, and the partnership runs "
    "through {year}, according to the filing published on Tuesday.",
    "Shares of Microsoft rose 1.2% in early trading. A spokesperson for OpenAI declined to comment "
    "further on the financial terms of the arrangement beyond the statement.",
)


def generated_pages(directory: Path, n: int) -> list[Path]:
    """``n`` synthetic news pages (boilerplate, navigation, comments and an article body)."""
    paths = []
    places = ("Texas", "Wisconsin", "Norway", "Abu Dhabi", "Ohio")
    for i in range(n):
        values = {"day": "Monday", "bn": 5 + i % 40, "years": 3 + i % 6, "gw": 1 + i % 5,
                  "place": places[i % len(places)], "pct": 20 + i % 30, "year": 2030 + i % 8}  # fmt: skip
        body = "".join(f"<p>{p.format(**values)}</p>\n" for p in _PARAGRAPHS * (2 + i % 4))
        nav = "".join(f'<li><a href="/s{k}">Section {k}</a></li>' for k in range(40))
        comments = "".join(f'<div class="comment"><p>Reader {k}: interesting.</p></div>' for k in range(15))
        html = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>Deal {i} | Example News</title>"
            f'<meta property="og:title" content="Microsoft and OpenAI deal {i}">'
            f'<meta property="article:published_time" content="2026-10-{1 + i % 28:02d}T08:00:00Z">'
            f"</head><body><nav><ul>{nav}</ul></nav><main><article><h1>Microsoft and OpenAI deal {i}</h1>"
            f"{body}</article><section id='comments'>{comments}</section></main>"
            f"<footer>{'<p>Copyright Example News. All rights reserved.</p>' * 5}</footer></body></html>"
        )
        path = directory / f"generated-{i:03d}.html"
        path.write_text(html, encoding="utf-8")
        paths.append(path)
    return paths


def link_pages(sources: list[Path], into: Path) -> list[Path]:
    """Symlinks to the .html files of ``sources`` in ``into`` (backfill_dir reads them in place)."""
    links = []
    for source in sources:
        for i, page in enumerate(sorted(source.glob("*.html"))):
            link = into / f"{source.name}-{i:03d}-{page.name}"
            link.symlink_to(page.resolve())
            links.append(link)
    return links


# --------------------------------------------------------------------------- the two sides


def floor_pass(paths: list[Path], cpu: list[float] | None = None) -> float:
    import trafilatura

    c0, t0 = time.process_time(), time.perf_counter()
    for path in paths:
        trafilatura.extract(path.read_bytes())
    if cpu is not None:
        cpu.append(time.process_time() - c0)
    return time.perf_counter() - t0


def worker_cpu() -> float:
    """CPU seconds used so far by the default extractor's worker process (0 when none runs)."""
    from watcher.ingest.extract import default_extractor

    pid = default_extractor().worker_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watcher_extract_pass(paths: list[Path]) -> float:
    try:
        from watcher.ingest.pagetext import extract_page
    except ImportError:  # a tree before the split (to measure "before" with this script)
        from watcher.ingest.extract import _extract_page as extract_page  # type: ignore[attr-defined,no-redef]  # only in old trees

    t0 = time.perf_counter()
    for path in paths:
        extract_page(path.read_bytes(), "text/html", path.resolve().as_uri())
    return time.perf_counter() - t0


class StageTimer:
    """Wraps callables so the time spent inside each is summed per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - t0

        return timed

    def wrap_iter(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Like :meth:`wrap` for a function returning an iterator: the time of each step is summed."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            it = iter(fn(*args, **kwargs))
            while True:
                t0 = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    self.seconds[stage] += time.perf_counter() - t0
                yield item

        return timed


@contextmanager
def patched_stages(timer: StageTimer) -> Iterator[None]:
    """Times the extraction (watcher.ingest.extract.extract_article and extract_articles, which backfill
    and the pipeline call through the module: with the pipelined worker, the time spent waiting for it) and the differ (watcher.app.root's ``analyse``: claims and matching), restored after."""
    from unittest import mock

    import watcher.app.root as app
    import watcher.ingest.extract as extract
    from watcher.differ import analyse

    patches = [
        mock.patch.object(extract, "extract_article", timer.wrap("extraction", extract.extract_article)),
        mock.patch.object(app, "analyse", timer.wrap("differ", analyse)),
    ]
    if hasattr(extract, "extract_articles"):  # absent before the pipelined extraction
        patches.append(
            mock.patch.object(
                extract, "extract_articles", timer.wrap_iter("extraction", extract.extract_articles)
            )
        )
    for p in patches:
        p.start()
    try:
        yield
    finally:
        for p in patches:
            p.stop()


@contextmanager
def patched_stories(w: Any, timer: StageTimer) -> Iterator[None]:
    """Times the MinHash sketch (watcher.ingest.stories.fingerprint) and the pipeline's in-memory story
    index (seeding from the store, find, add)."""
    import watcher.ingest.stories as stories

    saved = stories.fingerprint
    stories.fingerprint = timer.wrap("fingerprint", saved)
    real = getattr(w.pipeline, "stories", None)
    if real is not None:
        seen: dict[int, Any] = {}

        def clusterer() -> Any:
            found = timer.wrap("story index", real)()
            if id(found) not in seen:
                found.find = timer.wrap("story index", found.find)
                found.add = timer.wrap("story index", found.add)
                seen[id(found)] = found
            return found

        w.pipeline.stories = clusterer
    try:
        yield
    finally:
        stories.fingerprint = saved


def pipeline_pass(
    pages_dir: Path, workdir: Path, tag: str, cpu: list[float] | None = None
) -> tuple[float, dict[str, float], Any]:
    """backfill_dir over ``pages_dir`` on a fresh SQLite file; (seconds, stage seconds, report); the CPU
    seconds of this process and of the extraction worker are appended to ``cpu``."""
    from watcher.app.backfill import backfill_dir
    from watcher.app.root import make_watcher

    url = f"sqlite:///{workdir / f'backfill-{tag}.db'}"
    w = make_watcher(settings(url), store=open_fresh_store(url), channels={})
    timer = StageTimer()
    w.store.store_processed_entry = timer.wrap("store", w.store.store_processed_entry)  # type: ignore[method-assign]  # a timing wrapper on this instance only
    try:
        with patched_stages(timer), patched_stories(w, timer):
            c0, w0, t0 = time.process_time(), worker_cpu(), time.perf_counter()
            report = backfill_dir(w, pages_dir, progress=False)
            total = time.perf_counter() - t0
            if cpu is not None:
                cpu.append(time.process_time() - c0 + worker_cpu() - w0)
    finally:
        w.close()
    return total, dict(timer.seconds), report


def cli_pass(pages_dir: Path, workdir: Path) -> float:
    env = dict(os.environ)
    env.update({
        "WATCHER_DATABASE_URL": f"sqlite:///{workdir / 'cli.db'}",
        "WATCHER_BASELINE_FILE": str(ROOT / "baseline" / "facts.yaml"),
        "WATCHER_ENTITIES_FILE": str(ROOT / "config" / "entities.yaml"),
    })  # fmt: skip
    exe = Path(sys.executable).with_name("watcher")
    t0 = time.perf_counter()
    subprocess.run([str(exe), "backfill", "--dir", str(pages_dir), "--json"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - t0


_FLOOR_LOOP = (
    "import sys, time, trafilatura\n"
    "for name in sys.argv[1:]:\n"
    "    with open(name, 'rb') as f:\n"
    "        trafilatura.extract(f.read())\n"
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of the child, the finished process) of one subprocess."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True)
    return time.perf_counter() - t0, _children_cpu() - cpu0, done


def floor_process(paths: list[Path]) -> tuple[float, float]:
    """A fresh interpreter: import trafilatura, then the bare extract loop over ``paths``: (wall, CPU)."""
    wall, cpu, done = _timed_run([sys.executable, "-c", _FLOOR_LOOP, *map(str, paths)])
    if done.returncode:
        raise SystemExit(f"the bare loop failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return wall, cpu


def diff_process(pages_dir: Path) -> tuple[float, float]:
    """``watcher diff --json`` over the folder of pages: one process, start-up included: (wall, CPU)."""
    env = dict(os.environ)
    env.update({
        "WATCHER_BASELINE_FILE": str(ROOT / "baseline" / "facts.yaml"),
        "WATCHER_ENTITIES_FILE": str(ROOT / "config" / "entities.yaml"),
    })  # fmt: skip
    exe = Path(sys.executable).with_name("watcher")
    wall, cpu, done = _timed_run([str(exe), "diff", "--json", str(pages_dir)], env)
    failed = [
        line for line in done.stderr.decode(errors="replace").splitlines() if line.startswith("watcher:")
    ]
    if done.returncode not in (0, 1) or len(failed) > 1:  # 1: an input failed (reported), the others ran
        raise SystemExit(f"watcher diff failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return wall, cpu


def processes_side_by_side(
    paths: list[Path], pages_dir: Path, rounds: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Alternating rounds of the two processes (the order flips every round); (wall, CPU) per run."""
    floors, diffs = [], []
    floor_process(paths)  # warm the page cache and the .pyc files of both sides
    diff_process(pages_dir)
    for r in range(rounds):
        if r % 2:
            diffs.append(diff_process(pages_dir))
            floors.append(floor_process(paths))
        else:
            floors.append(floor_process(paths))
            diffs.append(diff_process(pages_dir))
        (fw, fc), (dw, dc) = floors[-1], diffs[-1]
        print(f"process round {r + 1}: bare loop {fw:.2f} s ({fc:.2f} s CPU), watcher diff {dw:.2f} s "
              f"({dc:.2f} s CPU): ratio {dw / fw:.2f} wall, {dc / fc:.2f} CPU; load {load()}", flush=True)  # fmt: skip
    return floors, diffs


def profile_pass(pages_dir: Path, workdir: Path, top: int) -> str:
    """One backfill under cProfile with the extractor in-process (so trafilatura shows up)."""
    import watcher.ingest.extract as extract
    from watcher.app.backfill import backfill_dir
    from watcher.app.root import make_watcher

    url = f"sqlite:///{workdir / 'profile.db'}"
    w = make_watcher(settings(url), store=open_fresh_store(url), channels={})
    saved = extract.default_extractor.current
    extract.default_extractor.current = extract.Extractor(isolated=False)
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        backfill_dir(w, pages_dir, progress=False)
        profiler.disable()
    finally:
        extract.default_extractor.current = saved
        w.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --------------------------------------------------------------------------- main


def print_processes(n: int, floors: list[tuple[float, float]], diffs: list[tuple[float, float]]) -> None:
    rows: list[list[object]] = []
    ratios = {}
    for i, what in enumerate(("wall", "CPU")):
        ratio = median([d[i] / f[i] for f, d in zip(floors, diffs, strict=True)])
        ratios[what] = ratio
        rows.append(
            [
                f"bare loop, fresh interpreter ({what})",
                f"{median([f[i] for f in floors]) * 1000 / n:.2f}",
                "1.00",
            ]
        )
        rows.append([f"`watcher diff --json`, one process ({what})", f"{median([d[i] for d in diffs]) * 1000 / n:.2f}",
                     f"{ratio:.2f}"])  # fmt: skip
    print()
    print(table(rows, ["processes side by side (start-up included)", "ms/page", "x floor"]))
    for what, ratio in ratios.items():
        verdict = "met" if ratio <= PROCESS_GOAL_RATIO else "MISSED"
        print(
            f"ratio watcher diff/bare loop ({what}) = {ratio:.2f} (goal <= {PROCESS_GOAL_RATIO}: {verdict})"
        )
    print(f"load average {load()}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])  # fmt: skip
    parser.add_argument("--pages", type=Path, action="append", help="folder of *.html (repeatable); "
                        "default: ../shared/corpus/pages and ../shared/corpus/dev/articles")  # fmt: skip
    parser.add_argument("--generate", type=int, default=0, metavar="N", help="use N generated pages instead")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per side (default 5)")
    parser.add_argument(
        "--cli", action="store_true", help="also time `watcher backfill --dir` as a subprocess"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile one backfill (extractor in-process)"
    )
    parser.add_argument(
        "--processes",
        action="store_true",
        help="also the side-by-side processes: `watcher diff --json` against a fresh bare loop",
    )
    parser.add_argument(
        "--processes-only", action="store_true", help="only the side-by-side processes (no in-process rounds)"
    )
    parser.add_argument("--top", type=int, default=25, help="rows of the profile to print (default 25)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="watcher-bench-") as tmp:
        work = Path(tmp)
        pages_dir = work / "pages"
        pages_dir.mkdir()
        sources = [d for d in (args.pages or DEFAULT_DIRS) if d.is_dir()]
        if args.generate or not sources:
            gen = work / "generated"
            gen.mkdir()
            generated_pages(gen, args.generate or 60)
            sources = [gen]
        paths = link_pages(sources, pages_dir)
        size = sum(p.stat().st_size for p in paths)
        print(f"pages: {len(paths)} from {', '.join(str(s) for s in sources)} ({size / 1e6:.1f} MB)")
        print_machine()

        if args.processes or args.processes_only:
            proc_floors, proc_diffs = processes_side_by_side(paths, pages_dir, args.rounds)
            print_processes(len(paths), proc_floors, proc_diffs)
        if args.processes_only:
            return 0

        print("warming up (both sides once; starts the extraction worker) ...", flush=True)
        floor_pass(paths)
        watcher_extract_pass(paths)
        _, _, report = pipeline_pass(pages_dir, work, "warm")
        print(f"backfill: {report.articles} articles, {report.partial} partial, {report.findings} findings, "
              f"{len(report.errors)} errors")  # fmt: skip

        floors, inlines, totals, ratios = [], [], [], []
        floor_cpu: list[float] = []
        pipeline_cpu: list[float] = []
        stages: dict[str, list[float]] = defaultdict(list)
        for r in range(args.rounds):
            floors.append(floor_pass(paths, floor_cpu))
            inlines.append(watcher_extract_pass(paths))
            total, seconds, _ = pipeline_pass(pages_dir, work, f"r{r}", pipeline_cpu)
            totals.append(total)
            for stage in ("extraction", "differ", "store"):
                stages[stage].append(seconds.get(stage, 0.0))
            for stage in ("fingerprint", "story index"):
                stages[stage].append(seconds.get(stage, 0.0))
            stages["other"].append(
                total - sum(seconds.get(k, 0.0) for k in ("extraction", "differ", "store"))
            )
            ratios.append(total / floors[-1])
            print(f"round {r + 1}: floor {floors[-1]:.2f} s ({floor_cpu[-1]:.2f} s CPU), pipeline {total:.2f} s "
                  f"({pipeline_cpu[-1]:.2f} s CPU with the worker's): ratio {total / floors[-1]:.2f} wall, "
                  f"{pipeline_cpu[-1] / floor_cpu[-1]:.2f} CPU; load {load()}", flush=True)  # fmt: skip
        cli_s = cli_pass(pages_dir, work) if args.cli else None
        profile = profile_pass(pages_dir, work, args.top) if args.profile else None

    n = len(paths)
    floor_ms, total_ms = median(floors) * 1000 / n, median(totals) * 1000 / n
    ratio = median(ratios)
    rows: list[list[object]] = [
        ["floor: trafilatura.extract(html) defaults", f"{floor_ms:.2f}", "1.00"],
        [
            "watcher's extract_page in-process",
            f"{median(inlines) * 1000 / n:.2f}",
            f"{median(inlines) / median(floors):.2f}",
        ],  # fmt: skip
        ["pipeline: backfill_dir (in-process, SQLite)", f"{total_ms:.2f}", f"{ratio:.2f}"],
    ]
    for stage in ("extraction", "differ", "store", "other", "fingerprint", "story index"):
        ms = median(stages[stage]) * 1000 / n
        label = (
            f"    (in other) {stage}" if stage in ("fingerprint", "story index") else f"  of which {stage}"
        )
        rows.append([label, f"{ms:.2f}", f"{ms / floor_ms:.2f}"])
    if cli_s is not None:
        rows.append(["`watcher backfill --dir` subprocess (with start-up)", f"{cli_s * 1000 / n:.2f}",
                     f"{cli_s * 1000 / n / floor_ms:.2f}"])  # fmt: skip
    print()
    print(table(rows, ["per page (median of rounds)", "ms/page", "x floor"]))
    verdict = "met" if ratio <= GOAL_RATIO else "MISSED"
    print(f"\nratio pipeline/floor = {ratio:.2f} (goal <= {GOAL_RATIO}: {verdict}); "
          f"differ (claims+matching) {median(stages['differ']) / median(totals):.0%} "
          f"of the pipeline, store {median(stages['store']) / median(totals):.0%}")  # fmt: skip
    cpu_ratio = median([p / f for p, f in zip(pipeline_cpu, floor_cpu, strict=True)])
    print(f"ratio pipeline/floor in CPU seconds (with the worker's) = {cpu_ratio:.2f} "
          f"(goal <= {GOAL_RATIO}: {'met' if cpu_ratio <= GOAL_RATIO else 'MISSED'})")  # fmt: skip
    print(f"per-round ratios: {', '.join(f'{r:.2f}' for r in ratios)}; load average {load()}")
    if profile:
        print("\n" + profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())

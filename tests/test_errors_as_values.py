"""Errors as values, bugs as bugs (issue 12).

An entry's expected failure (its page cannot be fetched or read, the database refuses its write) is a value:
an :class:`EntryResult` and a typed problem in the cycle's report, and the cycle goes on. Anything else (a
programming error) is not swallowed: it stops the cycle, `poll --once` and `backfill` exit 70 with the
traceback logged, and under `watcher run` it is logged with its traceback and counted while the scheduler
goes on.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from tests.httpserver import LocalServer, Route
from watcher.app.metrics import Metrics
from watcher.app.pipeline import CycleReport, EntryResult, EntryStatus
from watcher.app.root import Watcher, make_watcher
from watcher.cli import EXIT_BUG, cli
from watcher.config import load_settings
from watcher.errors import ExtractionError, FetchErrorKind, StorageError
from watcher.ingest import extract, stories
from watcher.notify.channels import ConsoleChannel
from watcher.notify.outbox import DrainReport
from watcher.reports import Problem, ProblemKind, report_lines
from watcher.service.scheduler import guarded
from watcher.store.schema import EntryRow, FeedRow
from watcher.types import Article

SITE = Path(__file__).resolve().parents[1] / "watcher" / "demo" / "site"
TARGET = "term.html"  # the entry whose processing a test breaks


@pytest.fixture
def site(http_server: LocalServer) -> LocalServer:
    base = http_server.url("").rstrip("/")
    http_server.routes["/feed.xml"] = Route.text(
        (SITE / "feed.xml").read_text().replace("{base}", base), "application/rss+xml"
    )
    for page in SITE.glob("*.html"):
        http_server.routes[f"/{page.name}"] = Route.text(page.read_bytes())
    return http_server


@pytest.fixture
def feeds_file(tmp_path: Path, site: LocalServer) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump({"feeds": [{"name": "demo", "url": site.url("/feed.xml")}]}))
    return path


@pytest.fixture
def make(sqlite_url: str, feeds_file: Path) -> Iterator[Callable[[], Watcher]]:
    made: list[Watcher] = []

    def factory() -> Watcher:
        settings = load_settings(
            database_url=sqlite_url, feeds_file=feeds_file, allow_private_networks=True, delivery_deadline=0
        )
        w = make_watcher(settings, channels={"console": ConsoleChannel(io.StringIO())}, stream=io.StringIO())
        made.append(w)
        return w

    yield factory
    for w in made:
        w.close()


def spy_results(w: Watcher, monkeypatch: pytest.MonkeyPatch) -> dict[str, EntryResult]:
    """The EntryResult of each entry the pipeline processes, by link."""
    results: dict[str, EntryResult] = {}
    real = w.pipeline.process_entry

    def spy(feed_id: int, entry: Any, h: str, **kw: Any) -> EntryResult:
        results[entry.link] = result = real(feed_id, entry, h, **kw)
        return result

    monkeypatch.setattr(w.pipeline, "process_entry", spy)
    return results


def entry_rows(w: Watcher) -> list[EntryRow]:
    with w.store.session() as s:
        return list(s.scalars(select(EntryRow)))


# --- a bug is not swallowed --------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["extraction", "analysis"])
def test_a_programming_error_inside_one_entry_fails_the_cycle_loudly(
    make: Callable[[], Watcher], monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    """Before: a TypeError raised while fetching or extracting was caught with every other exception,
    recorded as the entry's error and retried each cycle, and the cycle reported success."""
    w = make()
    real_extract, real_analyse = extract.extract_article, w.pipeline.analyser.analyse

    def broken_extract(page: Any, **kw: Any) -> Article:
        if page.url.endswith(TARGET):
            raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")
        return real_extract(page, **kw)

    def broken_analyse(article: Article) -> Any:
        if article.url.endswith(TARGET):
            raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")
        return real_analyse(article)

    if stage == "extraction":
        monkeypatch.setattr(extract, "extract_article", broken_extract)
    else:
        monkeypatch.setattr(w.pipeline.analyser, "analyse", broken_analyse)
    with pytest.raises(TypeError) as caught:
        w.poll_once()
    assert any(TARGET in note and "demo" in note for note in getattr(caught.value, "__notes__", []))
    # not turned into the entry's error, nor retried as one: nothing recorded against the entry
    assert not [e for e in entry_rows(w) if e.error or e.attempts]
    with w.store.session() as s:
        (feed,) = s.scalars(select(FeedRow))
    assert feed.lease_owner is None and feed.consecutive_failures == 0  # released for the next cycle
    # the bug fixed, the next cycle does the rest: nothing lost
    monkeypatch.setattr(extract, "extract_article", real_extract)
    monkeypatch.setattr(w.pipeline.analyser, "analyse", real_analyse)
    report, _ = w.poll_once()
    assert report.entries_failed == 0 and not report.problems
    assert any(e.link and e.link.endswith(TARGET) and e.processed_at for e in entry_rows(w))


def test_a_bug_in_one_feed_lets_the_other_feeds_finish_before_the_cycle_fails(
    make: Callable[[], Watcher], feeds_file: Path, site: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.routes["/other.xml"] = site.routes["/feed.xml"]  # the same items, as another feed's entries
    feeds = [{"name": "demo", "url": site.url("/feed.xml")}, {"name": "other", "url": site.url("/other.xml")}]
    feeds_file.write_text(yaml.safe_dump({"feeds": feeds}))
    w = make()
    real = w.pipeline._article

    def broken(entry: Any, page: Any) -> Any:
        if entry.feed == "demo":
            raise KeyError("sketch")
        return real(entry, page)

    monkeypatch.setattr(w.pipeline, "_article", broken)
    with pytest.raises(KeyError):
        w.poll_once()
    with w.store.session() as s:
        ids = {row.name: row.id for row in s.scalars(select(FeedRow))}
    done = {ids["demo"]: 0, ids["other"]: 0}
    for e in entry_rows(w):
        done[e.feed_id] += e.article_id is not None
    assert done == {ids["demo"]: 0, ids["other"]: 4}  # the other feed's 4 articles stored in the same cycle


@pytest.mark.parametrize(
    ("break_it", "status", "kind"),
    [
        ("page_404", EntryStatus.PARTIAL, ProblemKind.PAGE_STATUS),
        ("extraction", EntryStatus.PARTIAL, ProblemKind.EXTRACT),
        ("storage", EntryStatus.FAILED, ProblemKind.ENTRY),
    ],
)
def test_an_expected_error_fails_only_its_entry(
    make: Callable[[], Watcher],
    site: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    break_it: str,
    status: EntryStatus,
    kind: ProblemKind,
) -> None:
    w = make()
    if break_it == "page_404":
        site.routes[f"/{TARGET}"] = Route(status=404)
    elif break_it == "extraction":
        real_extract = extract.extract_article

        def failing(page: Any, **kw: Any) -> Article:
            if page.url.endswith(TARGET):
                raise ExtractionError("extraction failed: worker died", url=page.url)
            return real_extract(page, **kw)

        monkeypatch.setattr(extract, "extract_article", failing)
    else:
        real_store = w.store.store_processed_entry

        def refusing(**kw: Any) -> Any:
            if (kw["link"] or "").endswith(TARGET):
                raise StorageError("the database refused a statement: value too long")
            return real_store(**kw)

        monkeypatch.setattr(w.store, "store_processed_entry", refusing)
    results = spy_results(w, monkeypatch)
    report, _ = w.poll_once()
    (target,) = [r for link, r in results.items() if link.endswith(TARGET)]
    assert (target.status, target.kind) == (status, kind)
    assert [p.kind for p in target.problems] == [kind]
    others = [r for link, r in results.items() if not link.endswith(TARGET)]
    assert others and all(r.status is EntryStatus.OK and not r.problems for r in others)
    assert report.errors_by_kind == {kind.value: 1}
    assert report.entries_failed == int(status is EntryStatus.FAILED)
    assert report.articles == len(results) - report.entries_failed
    failed = [e for e in entry_rows(w) if e.error]
    assert len(failed) == int(status is EntryStatus.FAILED)  # a failed entry is recorded, retried next cycle


# --- the CLI and the service --------------------------------------------------------------------


@pytest.fixture
def env(sqlite_url: str, feeds_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WATCHER_FEEDS_FILE", str(feeds_file))
    monkeypatch.setenv("WATCHER_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("WATCHER_DELIVERY_DEADLINE", "0")


def break_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> Any:
        raise AttributeError("'NoneType' object has no attribute 'shingles'")

    monkeypatch.setattr(stories, "fingerprint", broken)


def test_poll_once_exits_70_with_the_traceback_logged(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    break_fingerprint(monkeypatch)
    result = CliRunner().invoke(cli, ["poll", "--once"])
    assert result.exit_code == EXIT_BUG == 70, result.output
    assert "Traceback" in result.stderr and "AttributeError: 'NoneType' object" in result.stderr
    assert "a bug in watcher" in result.stderr and "raised processing entry" in result.stderr
    assert "feed polled" not in result.stdout  # no report of a cycle that did not finish


def test_backfill_exits_70_with_the_traceback_logged(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = tmp_path / "saved"
    shutil.copytree(SITE, pages, ignore=shutil.ignore_patterns("*.xml"))
    break_fingerprint(monkeypatch)
    result = CliRunner().invoke(cli, ["backfill", "--dir", str(pages), "--json"])
    assert result.exit_code == EXIT_BUG, result.output
    assert "Traceback" in result.stderr and "AttributeError" in result.stderr


def test_backfill_counts_a_refused_write_as_failed_and_exits_1(
    env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watcher.store import Store

    pages = tmp_path / "saved"
    shutil.copytree(SITE, pages, ignore=shutil.ignore_patterns("*.xml"))
    real = Store.store_processed_entry

    def refusing(self: Store, **kw: Any) -> Any:
        if (kw["link"] or "").endswith(TARGET):
            raise StorageError("the database refused a statement: check constraint")
        return real(self, **kw)

    monkeypatch.setattr(Store, "store_processed_entry", refusing)
    result = CliRunner().invoke(cli, ["backfill", "--dir", str(pages), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["failed"] == 1 and report["articles"] == len(list(SITE.glob("*.html"))) - 1
    (problem,) = report["problems"]
    assert problem["kind"] == "entry" and problem["item"].endswith(TARGET)
    assert report["errors"] == [f"{problem['item']}: {problem['message']}"]


class FakeStore:
    def __init__(self) -> None:
        self.beats: list[Any] = []

    def set_state(self, key: str, value: Any) -> None:
        self.beats.append(value)


def test_the_service_logs_and_counts_a_failed_cycle_and_keeps_going(caplog: pytest.LogCaptureFixture) -> None:
    w = SimpleNamespace(metrics=Metrics(), store=FakeStore(), owner="test")
    calls: list[int] = []

    def cycle() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise TypeError("a bug")
        raise StorageError("the database went away", transient=True)

    job = guarded("poll", cycle, w)  # type: ignore[arg-type]  # a stand-in with only what guarded() touches
    with caplog.at_level(logging.INFO, logger="watcher"):
        job()  # does not raise: the scheduler runs it again at its next time
        job()
    bug, error = [r for r in caplog.records if r.name == "watcher.service.scheduler"]
    assert bug.levelno == logging.ERROR and bug.exc_info is not None and "bug" in bug.getMessage()
    assert error.levelno == logging.ERROR and error.exc_info is None  # an expected error: one line
    registry = w.metrics.registry
    assert registry.get_sample_value("watcher_job_failures_total", {"job": "poll", "kind": "bug"}) == 1
    assert registry.get_sample_value("watcher_job_failures_total", {"job": "poll", "kind": "error"}) == 1
    assert w.metrics.last_failure is not None and w.metrics.last_failure["bug"] is False
    assert "went away" in w.metrics.last_failure["error"]
    assert w.metrics.last_poll_ok is None  # a failed cycle is no finished poll: /healthz turns 503 in time
    assert len(w.store.beats) == 2  # the heartbeat is recorded all the same


# --- one report shape -------------------------------------------------------------------------


def test_every_fetch_error_kind_has_a_feed_and_a_page_problem_kind_with_the_same_label() -> None:
    for kind in FetchErrorKind:
        assert ProblemKind.feed(kind).value == kind.value
        assert ProblemKind.page(kind).value == f"page_{kind.value}"
    assert f"{FetchErrorKind.TOO_LARGE}" == "too_large"  # printed and stored as before it was an enum


def test_reports_share_one_shape_and_one_rendering() -> None:
    cycle = CycleReport(feeds_polled=2, articles=1)
    part = CycleReport(feeds_polled=1, feeds_failed=1)
    part.problem("demo", ProblemKind.STATUS, "HTTP 503 (https://user:secret@example.org/feed)")
    cycle.add(part)
    drain = DrainReport(sent=1, retried=1)
    drain.problem("telegram:99", ProblemKind.DELIVERY_RETRY, "429 Too Many Requests")
    assert cycle.feeds_polled == 3 and cycle.feeds_failed == 1
    assert cycle.problems == [
        Problem("demo", ProblemKind.STATUS, "HTTP 503 (https://user:***@example.org/feed)")
    ]
    for report in (cycle, drain):
        data = report.as_json()
        assert set(report.counters()) <= set(data)
        assert {"duration", "errors", "errors_by_kind", "problems"} <= set(data)
        (problem,) = data["problems"]
        assert data["errors"] == [f"{problem['item']}: {problem['message']}"]
        assert data["errors_by_kind"] == {problem["kind"]: 1}
        json.dumps(data)
        lines = list(report_lines(report))
        assert lines[0] == report.headline() and lines[1] == f"  error: {report.problems[0]}"
    many = DrainReport()
    for i in range(25):
        many.problem(f"telegram:{i}", ProblemKind.DELIVERY_FAILED, "chat not found")
    lines = list(report_lines(many))
    assert len(lines) == 1 + 20 + 1 and lines[-1] == "  ... and 5 more errors"

"""The per-cycle bound on a feed's new entries (issue #13, item 7): newest first, the rest deferred.

Before it, a feed of 50,000 entries fetched 50,000 pages in one cycle. Now a cycle takes at most
WATCHER_MAX_NEW_ENTRIES_PER_FEED of them (newest first); the others wait for the next cycles
(the feed is then fetched without validators, so a 304 cannot hide them) or for `backfill --feeds`,
and `watcher status` shows the backlog.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from tests.httpserver import LocalServer, Route
from watcher.app.backfill import backfill_feeds
from watcher.app.pipeline import newest_first
from watcher.app.queries import status_report
from watcher.app.root import Watcher, make_watcher
from watcher.cli import cli
from watcher.config import load_settings
from watcher.errors import ConfigError
from watcher.notify.channels import ConsoleChannel
from watcher.store import open_store
from watcher.store.schema import EntryRow
from watcher.types import FeedEntry

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ENTRIES = 45
CAP = 20


def big_feed(base: str, n: int) -> str:
    """``n`` items, listed oldest first (so the bound must sort, not just take the head)."""
    items = "".join(
        f"<item><title>Item {i}</title><link>{base}/p{i}.html</link><guid>g{i}</guid>"
        f"<pubDate>{format_datetime(T0 - timedelta(hours=n - i))}</pubDate>"
        f"<description>A note about the weather, number {i}.</description></item>"
        for i in range(n)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title><link>{base}</link>'
            f"<description>d</description>{items}</channel></rss>")  # fmt: skip


@pytest.fixture
def site(http_server: LocalServer) -> LocalServer:
    base = http_server.url("").rstrip("/")
    http_server.routes["/big.xml"] = Route.text(big_feed(base, ENTRIES), "application/rss+xml", etag='"v1"')
    for i in range(ENTRIES):
        http_server.routes[f"/p{i}.html"] = Route.text(f"<html><body><p>Weather note {i}.</p></body></html>")
    return http_server


@pytest.fixture
def feeds_file(tmp_path: Path, site: LocalServer) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump({"feeds": [{"name": "big", "url": site.url("/big.xml"), "fetch": "all"}]}))
    return path


class Clock:
    now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def watcher(db_url: str, feeds_file: Path) -> Iterator[tuple[Watcher, Clock]]:
    clock = Clock()
    settings = load_settings(database_url=db_url, feeds_file=feeds_file, allow_private_networks=True,
                             delivery_deadline=0, max_new_entries_per_feed=CAP)  # fmt: skip
    out = io.StringIO()
    w = make_watcher(settings, store=open_store(db_url, auto_upgrade=True), clock=clock,
                     channels={"console": ConsoleChannel(out)}, stream=out)  # fmt: skip
    yield w, clock
    w.close()


def processed(w: Watcher) -> set[int]:
    with w.store.session() as s:
        titles = s.scalars(select(EntryRow.title).where(EntryRow.processed_at.is_not(None))).all()
    return {int(t.split()[-1]) for t in titles}


def page_fetches(site: LocalServer) -> int:
    return sum(1 for r in site.requests if r.path.startswith("/p"))


def test_a_cycle_takes_the_newest_entries_up_to_the_bound_and_the_rest_follow(
    watcher: tuple[Watcher, Clock], site: LocalServer
) -> None:
    w, clock = watcher
    report, _ = w.poll_once()
    assert report.entries_new == CAP and report.entries_deferred == ENTRIES - CAP
    assert page_fetches(site) == CAP  # before the bound: one page per entry, all in this cycle
    assert processed(w) == set(range(ENTRIES - CAP, ENTRIES))  # the newest ones
    (feed,) = status_report(w.store, instance=w.owner, baseline_version=w.baseline.version)["feeds"]
    assert feed["entries_deferred"] == ENTRIES - CAP
    assert feed["last_error"] is None  # a backlog is not an error
    seen = [processed(w)]
    while len(seen[-1]) < ENTRIES:
        clock.now += timedelta(seconds=w.settings.poll_interval)
        report, _ = w.poll_once()
        assert report.not_modified == 0  # no validators were kept while entries wait: never a 304
        assert report.entries_new <= CAP
        seen.append(processed(w))
        assert len(seen) < 10
    assert len(seen) == 3 and page_fetches(site) == ENTRIES  # 20 + 20 + 5, each page once
    assert (
        status_report(w.store, instance=w.owner, baseline_version=w.baseline.version)["feeds"][0][
            "entries_deferred"
        ]
        == 0
    )
    clock.now += timedelta(seconds=w.settings.poll_interval)
    assert w.poll_once()[0].not_modified == 1  # all done: conditional GET again


def test_backfill_takes_the_deferred_entries_at_once(
    watcher: tuple[Watcher, Clock], site: LocalServer
) -> None:
    w, _ = watcher
    w.poll_once()
    report = backfill_feeds(w)
    assert report.skipped == CAP and report.articles == ENTRIES - CAP
    assert processed(w) == set(range(ENTRIES))


def test_status_shows_the_backlog(
    db_url: str, feeds_file: Path, site: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {"DATABASE_URL": db_url, "FEEDS_FILE": str(feeds_file), "ALLOW_PRIVATE_NETWORKS": "true",
                       "DELIVERY_DEADLINE": "0", "MAX_NEW_ENTRIES_PER_FEED": str(CAP)}.items():  # fmt: skip
        monkeypatch.setenv(f"WATCHER_{key}", value)
    runner = CliRunner()
    if db_url.startswith("postgresql"):
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    polled = runner.invoke(cli, ["poll", "--once"])
    assert f"({ENTRIES - CAP} more deferred to later cycles)" in polled.output, polled.output
    shown = runner.invoke(cli, ["--table", "status"], env={"COLUMNS": "250"})
    assert f"{ENTRIES - CAP} entries deferred" in shown.output, shown.output
    piped = runner.invoke(cli, ["status", "--all"]).output.splitlines()  # tab-separated: a column
    header, row = piped[0].split("\t"), piped[1].split("\t")
    assert row[header.index("entries_deferred")] == str(ENTRIES - CAP)
    data = json.loads(runner.invoke(cli, ["status", "--json"]).output)
    assert data["feeds"][0]["entries_deferred"] == ENTRIES - CAP


def entry(i: int, published: datetime | None) -> tuple[FeedEntry, str]:
    return FeedEntry(
        feed="f", entry_id=f"e{i}", link=None, title=f"t{i}", summary="", published=published
    ), f"h{i}"


def test_newest_first_sorts_dated_entries_and_keeps_undated_ones_in_feed_order() -> None:
    pending = [entry(0, T0), entry(1, None), entry(2, T0 + timedelta(hours=2)), entry(3, None),
               entry(4, T0 + timedelta(hours=1))]  # fmt: skip
    chosen, deferred = newest_first(pending, 3)
    assert [e.entry_id for e, _ in chosen] == ["e2", "e4", "e0"] and deferred == 2
    chosen, deferred = newest_first(pending, 4)
    assert [e.entry_id for e, _ in chosen] == ["e2", "e4", "e0", "e1"] and deferred == 1
    assert newest_first(pending, None) == (pending, 0)
    assert newest_first(pending, 5) == (pending, 0)


@pytest.mark.parametrize("value", ["0", "-5", "abc", "100001", "2.5"])
def test_the_bound_is_validated(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_MAX_NEW_ENTRIES_PER_FEED", value)
    with pytest.raises(ConfigError, match="WATCHER_MAX_NEW_ENTRIES_PER_FEED"):
        load_settings()


def test_the_bound_defaults_to_fifty() -> None:
    assert load_settings().max_new_entries_per_feed == 50

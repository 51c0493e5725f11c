"""The pipeline end to end against a real local web server (feeds + pages) and a real database."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from tests.httpserver import LocalServer, Route
from watcher.app.root import Watcher, make_watcher
from watcher.config import load_settings
from watcher.notify.channels import ConsoleChannel
from watcher.store.schema import ArticleRow, DeliveryRow, EntryRow, FindingRow
from watcher.types import Article, Claim, FeedSource, Finding

SITE = Path(__file__).resolve().parents[1] / "watcher" / "demo" / "site"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def publish_site(server: LocalServer, pages: list[str] | None = None, etag: str | None = '"v1"') -> None:
    names = pages or sorted(p.name for p in SITE.glob("*.html"))
    feed = (SITE / "feed.xml").read_text().replace("{base}", server.url("").rstrip("/"))
    server.routes["/feed.xml"] = Route.text(feed, "application/rss+xml; charset=utf-8", etag=etag)
    for name in names:
        server.routes[f"/{name}"] = Route.text((SITE / name).read_bytes())


@pytest.fixture
def site(http_server: LocalServer) -> LocalServer:
    publish_site(http_server)
    return http_server


@pytest.fixture
def make(db_url: str, tmp_path: Path, site: LocalServer) -> Iterator[Callable[..., Watcher]]:
    made: list[Watcher] = []
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(yaml.safe_dump({"feeds": [{"name": "demo", "url": site.url("/feed.xml")}]}))

    def factory(clock: Clock | None = None, **overrides: object) -> Watcher:
        settings = load_settings(
            database_url=db_url,
            feeds_file=feeds_file,
            allow_private_networks=True,
            delivery_deadline=0,
            **overrides,
        )
        out = io.StringIO()
        from watcher.store import open_store

        w = make_watcher(
            settings,
            store=open_store(db_url, auto_upgrade=True),
            clock=clock or Clock(),
            channels={"console": ConsoleChannel(out)},
            stream=out,
        )
        w.out = out  # type: ignore[attr-defined]  # the test's console output, kept on the instance
        made.append(w)
        return w

    yield factory
    for w in made:
        w.close()


def flags(w: Watcher) -> list[FindingRow]:
    with w.store.session() as s:
        return list(s.scalars(select(FindingRow).where(FindingRow.kind.in_(["new_deal", "contradiction"]))))


def test_a_poll_turns_entries_into_articles_findings_and_alerts(make: Callable[..., Watcher]) -> None:
    w = make()
    report, drained = w.poll_once()
    assert report.feeds_polled == 1 and report.feeds_failed == 0
    # the console-maker item names no tracked company in the feed: seen, its page not fetched (issue 14)
    assert report.entries_new == 4 and report.articles == 4 and report.entries_not_fetched == 1
    with w.store.session() as s:
        from watcher.store.schema import EntryRow

        games = s.scalar(select(EntryRow).where(EntryRow.link.like("%games.html")))
        assert games is not None and games.processed_at is not None and games.article_id is None
        assert (
            games.title == "Console maker raises its sales forecast"
            and games.link is not None
            and games.link.endswith("/games.html")
        )
        assert s.scalar(select(ArticleRow).where(ArticleRow.url.like("%games.html"))) is None
    found = flags(w)
    kinds = {(f.kind, tuple(sorted(f.parties))) for f in found}
    assert ("new_deal", ("Northwind Cloud", "OpenAI")) in kinds
    assert any(f.kind == "contradiction" and f.baseline_fact == "msft-openai-partnership-term" for f in found)
    # each article's claims are kept with their evidence (rediff and the analyst's drill-down read them)
    with w.store.session() as s:
        from watcher.store.schema import ClaimRow

        deal = s.scalars(select(ClaimRow).where(ClaimRow.attribute == "compute_deal")).first()
        assert deal is not None and deal.amount == 12e9 and "Northwind" in deal.evidence
    # the explainer restates baseline facts: confirmations, never flags
    with w.store.session() as s:
        recap = s.scalar(select(ArticleRow).where(ArticleRow.url.like("%recap.html")))
        assert recap is not None
        recap_kinds = set(s.scalars(select(FindingRow.kind).where(FindingRow.article_id == recap.id)))
    assert recap_kinds <= {"confirmation", "update"} and "confirmation" in recap_kinds
    # alerts went to the console with their evidence and link
    out = w.out.getvalue()  # type: ignore[attr-defined]  # the test's console output, kept on the instance
    assert "Northwind" in out and "/northwind" in out and "2034" in out
    assert drained is not None and drained.pending == 0


def test_syndicated_copies_are_one_story_and_one_alert(make: Callable[..., Watcher]) -> None:
    w = make()
    w.poll_once()
    with w.store.session() as s:
        stories = {a.url.rsplit("/", 1)[-1]: a.story_id for a in s.scalars(select(ArticleRow))}
        northwind_alerts = [
            d
            for d in s.scalars(select(DeliveryRow))
            if "Northwind" in str(s.get_one(FindingRow, d.finding_id).parties)
        ]
    assert stories["northwind.html"] == stories["northwind-syndicated.html"]
    assert len({stories[n] for n in stories}) == 3  # the irrelevant games item is not fetched, no story
    (alert,) = northwind_alerts  # one alert for the story, not one per outlet
    assert alert.status == "sent" and alert.sources_sent == 2


def test_a_second_poll_is_conditional_and_sends_nothing(
    make: Callable[..., Watcher], site: LocalServer
) -> None:
    clock = Clock()
    w = make(clock)
    w.poll_once()
    sent_before = w.out.getvalue()  # type: ignore[attr-defined]  # the test's console output, kept on the instance
    counts = w.store.counts()
    clock.advance(hours=1)
    report, drained = w.poll_once()
    assert report.not_modified == 1 and report.entries_new == 0
    feed_requests = [r for r in site.requests if r.path == "/feed.xml"]
    assert feed_requests[-1].headers.get("if-none-match") == '"v1"'
    assert w.store.counts() == counts
    assert w.out.getvalue() == sent_before  # type: ignore[attr-defined]  # the test's console output, kept on the instance
    # the feed changes its validator but not its items: fetched again, still nothing new
    publish_site(site, etag='"v2"')
    clock.advance(hours=1)
    report, _ = w.poll_once()
    assert report.not_modified == 0 and report.entries_new == 0
    assert w.store.counts() == counts


def test_an_interrupted_cycle_loses_nothing_and_repeats_nothing(make: Callable[..., Watcher]) -> None:
    clock = Clock()
    w = make(clock)
    real = w.pipeline.analyser.analyse
    calls = {"n": 0}

    def dying(article: Article) -> tuple[list[Claim], list[Finding]]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed mid-cycle")
        return real(article)

    w.pipeline.analyser.analyse = dying  # type: ignore[method-assign]  # a fault injected into this instance
    with pytest.raises(KeyboardInterrupt):
        w.poll_once()
    with w.store.session() as s:
        processed_first = s.scalars(select(EntryRow).where(EntryRow.processed_at.is_not(None))).all()
    assert 1 <= len(processed_first) < 5
    w.pipeline.analyser.analyse = real  # type: ignore[method-assign]  # the fault removed again
    # a restarted instance takes the feed over (its lease was released) and finishes the rest
    w2 = make(clock)
    report, _ = w2.poll_once()
    assert report.entries_new == 5 - len(processed_first)
    with w2.store.session() as s:
        entries = s.scalars(select(EntryRow)).all()
        deliveries = s.scalars(select(DeliveryRow)).all()
    assert len(entries) == 5 and all(e.processed_at for e in entries)
    assert len(deliveries) == len({(d.channel, d.target, d.story_key) for d in deliveries})
    assert all(d.status == "sent" for d in deliveries)


def test_an_edited_article_is_rediffed_and_alerts_only_on_change(
    make: Callable[..., Watcher], site: LocalServer
) -> None:
    clock = Clock()
    w = make(clock)
    w.poll_once()
    flagged_before = len(flags(w))
    deliveries_before = w.store.counts()["deliveries"]
    # the term article is edited: same claim, more words, and its feed summary changes
    page = (SITE / "term.html").read_text().replace("Analysts said", "Several analysts said")
    site.routes["/term.html"] = Route.text(page)
    body = site.routes["/feed.xml"].body
    assert isinstance(body, bytes)
    feed = body.decode().replace("four years longer", "four years longer (updated)")
    site.routes["/feed.xml"] = Route.text(feed, "application/rss+xml", etag='"v3"')
    clock.advance(hours=1)
    report, _ = w.poll_once()
    assert report.entries_new == 1
    assert len(flags(w)) == flagged_before
    assert w.store.counts()["deliveries"] == deliveries_before


def test_a_failing_feed_backs_off_and_is_reported(make: Callable[..., Watcher], site: LocalServer) -> None:
    clock = Clock()
    w = make(clock)
    site.routes["/feed.xml"] = Route(status=503, headers={"Retry-After": "120"})
    report, _ = w.poll_once()
    assert report.feeds_failed == 1 and "503" in report.errors[0]
    (row,) = [r for r in w.store.feed_rows() if r.name == "demo"]
    assert row.consecutive_failures == 1 and row.last_error_kind == "status"
    clock.advance(seconds=60)
    assert w.poll_once()[0].feeds_polled == 0  # backing off
    clock.advance(hours=1)
    site.routes["/feed.xml"] = Route.text("<html><body>not a feed</body></html>")
    report, _ = w.poll_once()
    assert report.feeds_failed == 1 and report.errors_by_kind == {"parse": 1}
    (row,) = [r for r in w.store.feed_rows() if r.name == "demo"]
    assert row.consecutive_failures == 2 and row.next_poll_at is not None
    assert row.next_poll_at > clock.now + timedelta(minutes=15)


def test_a_page_that_cannot_be_had_falls_back_to_the_summary(
    make: Callable[..., Watcher], site: LocalServer
) -> None:
    site.routes["/term.html"] = Route(status=404)
    w = make()
    w.poll_once()
    with w.store.session() as s:
        term = s.scalar(select(ArticleRow).where(ArticleRow.url.like("%term.html")))
        assert term is not None and term.partial
        kinds = set(s.scalars(select(FindingRow.kind).where(FindingRow.article_id == term.id)))
    assert "contradiction" not in kinds  # a partial text never contradicts on its own


def test_a_feed_failing_n_times_is_told_once(make: Callable[..., Watcher], site: LocalServer) -> None:
    clock = Clock()
    w = make(clock)
    site.routes["/feed.xml"] = Route(status=500)
    for _ in range(7):
        w.poll_once()
        clock.advance(days=1)
    out = w.out.getvalue()  # type: ignore[attr-defined]  # the test's console output, kept on the instance
    assert out.count("has failed 5 times in a row") == 1
    assert "HTTP 500" in out
    (row,) = [r for r in w.store.feed_rows() if r.name == "demo"]
    assert row.consecutive_failures == 7 and row.failure_notified


def test_an_irrelevant_entry_is_seen_not_fetched_and_backfill_fetches_it(
    make: Callable[..., Watcher], site: LocalServer
) -> None:
    """Issue 14: what the feed says decides the fetch; backfill can still fetch what a poll skipped."""
    w = make()
    w.poll_once()
    assert "/games.html" not in site.paths() and "/northwind.html" in site.paths()
    from watcher.app.backfill import backfill_feeds

    report = backfill_feeds(w)
    assert "/games.html" in site.paths()
    assert report.articles == 1 and report.skipped == 4  # only the entry no poll had fetched
    with w.store.session() as s:
        games = s.scalar(select(ArticleRow).where(ArticleRow.url.like("%games.html")))
        assert games is not None and games.story_id is not None


def test_a_feed_marked_fetch_all_fetches_every_entry(
    make: Callable[..., Watcher], site: LocalServer, tmp_path: Path
) -> None:
    (tmp_path / "feeds.yaml").write_text(
        yaml.safe_dump({"feeds": [{"name": "demo", "url": site.url("/feed.xml"), "fetch": "all"}]})
    )
    w = make()
    report, _ = w.poll_once()
    assert "/games.html" in site.paths()
    assert report.articles == 5 and report.entries_not_fetched == 0


def test_an_entry_edited_to_name_a_tracked_company_is_fetched_then(
    make: Callable[..., Watcher], site: LocalServer
) -> None:
    clock = Clock()
    w = make(clock)
    w.poll_once()
    feed = site.routes["/feed.xml"].body
    assert isinstance(feed, bytes | str)
    text = feed.decode() if isinstance(feed, bytes) else feed
    site.routes["/feed.xml"] = Route.text(
        text.replace(
            "Console maker raises its sales forecast", "Console maker raises its forecast on an OpenAI deal"
        ),
        "application/rss+xml; charset=utf-8",
        etag='"v2"',
    )
    clock.advance(hours=2)
    report, _ = w.poll_once()
    assert "/games.html" in site.paths()
    assert report.articles == 1 and report.entries_not_fetched == 0


def test_one_shot_runs_skip_the_feeds_file_when_it_did_not_change(
    make: Callable[..., Watcher], site: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: the feeds-file stamp is kept in the database, so a new process (`poll --once`) with an
    unchanged file neither parses it nor upserts the feeds; a changed file is synced."""
    from watcher.ingest import feeds as feeds_module

    loads: list[Path] = []
    real = feeds_module.load_feeds

    def counted(p: Path) -> list[FeedSource]:
        loads.append(Path(p))
        return real(p)

    monkeypatch.setattr(feeds_module, "load_feeds", counted)
    make().sync_feeds()
    assert len(loads) == 1
    make().sync_feeds()  # a second one-shot process on the same database
    assert len(loads) == 1
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.touch()  # a new mtime, the same bytes: still the same feeds
    make().sync_feeds()
    assert len(loads) == 1
    feeds_file.write_text(
        yaml.safe_dump(
            {
                "feeds": [
                    {"name": "demo", "url": site.url("/feed.xml")},
                    {"name": "b", "url": site.url("/b.xml")},
                ]
            }
        )
    )
    w = make()
    w.sync_feeds()
    assert len(loads) == 2 and {r.name for r in w.store.feed_rows()} == {"demo", "b"}

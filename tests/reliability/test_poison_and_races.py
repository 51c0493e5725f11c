"""Poison text and racing writers (issue 13, items 2 and 3), on SQLite and on PostgreSQL.

- One NUL (``&#0;`` or a raw 0x00) in a feed entry used to fail every poll on PostgreSQL with a raw
  ``DataError``; one lone surrogate (``&#xD800;``) made the whole feed a parse error. Text from
  outside is now cleaned where it enters and again by the store; a write the database still refuses
  is recorded against that entry and the rest go on.
- The same links in several feeds, polled by the cycle's threads, used to be stored once per feed
  and alerted once per feed on PostgreSQL (27-38 rows for 10 URLs, the first deal alerted 4 times).
  Articles are now unique by canonical URL, inserted race-safe, and stories assigned under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select, text

from tests.botapi import BotApiServer
from tests.httpserver import LocalServer, Route
from tests.reliability.deal_pages import COMPANIES, article_page
from watcher.app.root import Watcher
from watcher.store import Store, open_store
from watcher.store.article_ops import AlertPolicy
from watcher.store.schema import ArticleRow, DeliveryRow, EntryRow, FeedRow, StoryRow
from watcher.types import Article, Finding, FindingKind

if TYPE_CHECKING:
    from tests.reliability.conftest import Kit, Ledger

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CHAT = 7171
LINKS = 10
FEEDS = 4


def rss(items: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'


def item(title: str, link: str, summary: str = "", guid: str | None = None) -> str:
    return (f"<item><title>{title}</title><link>{link}</link><guid>{guid or link}</guid>"
            f"<description>{summary}</description></item>")  # fmt: skip


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer() as server:
        for i in range(len(COMPANIES)):
            server.routes[f"/a{i}.html"] = Route.text(article_page(i, f"{COMPANIES[i]} Cloud"))
        yield server


@pytest.fixture
def api() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        yield server


@pytest.fixture
def make(
    db_url: str, tmp_path: Path, api: BotApiServer, kit: type[Kit]
) -> Iterator[Callable[[dict[str, str]], Watcher]]:
    with kit.telegram_watchers(db_url, tmp_path, api, chat=CHAT, now=T0) as build:

        def factory(feeds: dict[str, str]) -> Watcher:
            w = build(feeds)
            w.outbox.summary_threshold = 100  # one message per alert: messages are counted per deal
            return w

        yield factory


def alerts_per_company(api: BotApiServer, companies: list[str]) -> dict[str, int]:
    texts = [m.text for m in api.sent_to(CHAT)]
    return {c: sum(f"{c} Cloud" in t for t in texts) for c in companies}


# --------------------------------------------------------------------------- item 2: poison text


POISONS = {  # name: (title of the poisoned entry, its summary, its guid)
    "nul-charref": ("OpenAI signs deal&#0; with {c} Cloud", "NUL&#0; as a reference", None),
    "nul-byte": ("OpenAI signs deal\x00 with {c} Cloud", "a raw\x00 NUL byte", None),
    "lone-surrogate": ("OpenAI &#xD800;signs deal with {c} Cloud", "&#xDFFF;&#55296;&#x110000;", None),
    "overlong-identity": ("OpenAI signs deal with {c} Cloud", "x", "g" * 1500),  # clipped, not refused
}


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_one_poisoned_entry_costs_nothing_but_its_bad_characters(
    poison: str,
    make: Callable[[dict[str, str]], Watcher],
    site: LocalServer,
    api: BotApiServer,
    ledger: Ledger,
) -> None:
    """Before: a raw DataError and exit 1 on every poll (NUL, PostgreSQL), or the whole feed a parse
    error (surrogate, both databases), or a DataError (identity over 1000 characters, PostgreSQL)."""
    base = site.url("").rstrip("/")
    title, summary, guid = POISONS[poison]
    items = item(title.format(c=COMPANIES[0]), f"{base}/a0.html", summary, guid=guid)
    items += "".join(
        item(f"OpenAI signs deal with {COMPANIES[i]} Cloud", f"{base}/a{i}.html") for i in (1, 2)
    )
    site.routes["/poison.xml"] = Route.text(rss(items), "application/rss+xml")
    site.routes["/good.xml"] = Route.text(rss(item("OpenAI deal", f"{base}/a3.html")), "application/rss+xml")
    ledger.inject(f"input:{poison}")
    w = make({"poison": site.url("/poison.xml"), "good": site.url("/good.xml")})
    report, _ = w.poll_once(deliver=True, deadline=5)
    assert report.feeds_failed == 0 and not report.errors, report.errors
    with w.store.session() as s:  # every feed due again at once: the second cycle must repeat nothing
        for feed in s.scalars(select(FeedRow)):
            feed.next_poll_at, feed.etag, feed.last_modified = None, None, None
    again, _ = w.poll_once(deliver=True, deadline=5)
    assert again.feeds_polled == 2 and again.entries_new == 0
    with w.store.session() as s:
        entries = s.scalars(select(EntryRow)).all()
        stored = [e.title for e in entries] + [e.identity for e in entries]
        stored += list(s.scalars(select(ArticleRow.title))) + list(s.scalars(select(ArticleRow.text)))
    assert len(entries) == 4 and all(e.processed_at is not None and e.error is None for e in entries)
    assert not any("\x00" in t or any("\ud800" <= ch <= "\udfff" for ch in t) for t in stored)
    assert f"OpenAI signs deal with {COMPANIES[0]} Cloud" in stored  # only the bad characters went
    companies = COMPANIES[:4]
    ledger.count(alerts_per_company(api, companies), companies)


def _refuse_articles_titled(store: Store, word: str) -> None:
    """A trigger that makes the database itself refuse one article (the last line of defence)."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                              f"IF NEW.title LIKE '%{word}%' THEN RAISE EXCEPTION 'refused: %', NEW.title; "
                              "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))  # fmt: skip
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON articles "
                              "FOR EACH ROW EXECUTE FUNCTION refuse()"))  # fmt: skip
        else:
            conn.execute(text(f"CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.title LIKE '%{word}%' "
                              "BEGIN SELECT RAISE(ABORT, 'refused'); END"))  # fmt: skip


def test_a_write_the_database_refuses_fails_that_entry_alone(
    make: Callable[[dict[str, str]], Watcher], site: LocalServer, api: BotApiServer, ledger: Ledger
) -> None:
    base = site.url("").rstrip("/")
    site.routes["/poison.xml"] = Route.text(rss("".join(item(f"OpenAI deal {i}", f"{base}/a{i}.html")
                                                        for i in range(4))), "application/rss+xml")  # fmt: skip
    site.routes["/a1.html"] = Route.text(article_page(1, f"{COMPANIES[1]} Cloud").replace(
        "OpenAI deal 1</title>", "OpenAI deal 1 Refusenik</title>"))  # fmt: skip
    w = make({"poison": site.url("/poison.xml")})
    _refuse_articles_titled(w.store, "Refusenik")
    ledger.inject("db:refused-write")
    report, _ = w.poll_once(deliver=True, deadline=5)  # before: a raw IntegrityError/InternalError
    assert report.articles == 3
    assert any("refused a statement" in e for e in report.errors), report.errors
    with w.store.session() as s:
        refused = s.scalar(select(EntryRow).where(EntryRow.link == f"{base}/a1.html"))
        done = s.scalar(select(func.count()).select_from(EntryRow).where(EntryRow.processed_at.is_not(None)))
    assert (
        refused is not None
        and refused.processed_at is None
        and "refused a statement" in (refused.error or "")
    )
    assert done == 3
    companies = [COMPANIES[i] for i in (0, 2, 3)]
    ledger.count(alerts_per_company(api, companies), companies)
    assert alerts_per_company(api, [COMPANIES[1]]) == {COMPANIES[1]: 0}


# --------------------------------------------------------------------------- item 3: shared links


def test_the_same_links_in_several_feeds_are_one_article_and_one_alert_each(
    make: Callable[[dict[str, str]], Watcher], site: LocalServer, api: BotApiServer, ledger: Ledger
) -> None:
    base = site.url("").rstrip("/")
    for f in range(FEEDS):  # each feed its own guids and link decorations; the pages are the same
        items = "".join(item(f"OpenAI signs deal {i}", f"{base}/a{i}.html?utm_source=feed{f}",
                             f"OpenAI signed a deal with {COMPANIES[i]} Cloud.", guid=f"feed{f}-{i}")
                        for i in range(LINKS))  # fmt: skip
        site.routes[f"/feed{f}.xml"] = Route.text(rss(items), "application/rss+xml")
    w = make({f"feed{f}": site.url(f"/feed{f}.xml") for f in range(FEEDS)})
    assert w.pipeline.workers >= FEEDS  # the feeds really are polled by parallel threads
    ledger.inject("race:shared-links", FEEDS * LINKS)
    report, _ = w.poll_once(deliver=True, deadline=5)
    assert report.feeds_polled == FEEDS and not report.errors, report.errors
    with w.store.session() as s:
        urls = list(s.scalars(select(ArticleRow.canonical_url)))
        entries = s.scalar(
            select(func.count()).select_from(EntryRow).where(EntryRow.processed_at.is_not(None))
        )
    assert entries == FEEDS * LINKS  # every feed's entry recorded, pointing at the shared article
    assert sorted(urls) == sorted(set(urls)) and len(urls) == LINKS
    companies = COMPANIES[:LINKS]
    ledger.count(alerts_per_company(api, companies), companies)


def _deal(i: int) -> Finding:
    return Finding(kind=FindingKind.NEW_DEAL, parties=("OpenAI", f"Racer{i}"), attribute="compute_deal",
                   baseline_fact=None, baseline_value=None, new_value="$5 billion",
                   evidence=f"OpenAI signed a $5 billion deal with Racer{i}.", confidence=0.9,
                   explanation="new")  # fmt: skip


def test_instances_storing_one_article_at_once_make_one_row_one_story_one_alert(
    db_url: str, ledger: Ledger
) -> None:
    """No pipeline lock to help: separate stores (as separate instances) write the same URL at once."""
    writers = 6
    stores = [open_store(db_url, auto_upgrade=True) for _ in range(writers)]
    try:
        with stores[0].session() as s:
            feeds = [FeedRow(name=f"f{i}", url=f"https://feeds.example/{i}") for i in range(writers)]
            s.add_all(feeds)
            s.flush()
            feed_ids = [f.id for f in feeds]
        policy = AlertPolicy((("telegram", str(CHAT)),))
        rounds = 5
        errors: list[BaseException] = []
        ledger.inject("race:instances", writers * rounds)
        for r in range(rounds):
            url = f"https://news.example/story-{r}"
            art = Article(url=url, canonical_url=url, title=f"Deal {r}", text=f"OpenAI deal {r} text",
                          published=T0, site="news.example", content_hash=f"h{r}")  # fmt: skip
            barrier = threading.Barrier(writers)

            def write(i: int, art: Article = art, barrier: threading.Barrier = barrier, r: int = r) -> None:
                try:
                    barrier.wait(timeout=10)
                    stores[i].store_processed_entry(
                        feed_id=feed_ids[i], identity=f"{r}-{i}", link=art.url, title=art.title,
                        published=T0, article=art, fingerprint=None, claims=[], findings=[_deal(r)],
                        baseline_version="v", policy=policy, now=T0)  # fmt: skip
                except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                    errors.append(exc)

            threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not errors, errors
        with stores[0].session() as s:
            articles = list(s.scalars(select(ArticleRow.canonical_url)))
            stories = s.scalar(select(func.count()).select_from(StoryRow))
            deliveries = s.execute(select(DeliveryRow.story_key)).scalars().all()
        per_url = {f"https://news.example/story-{r}": articles.count(f"https://news.example/story-{r}")
                   for r in range(rounds)}  # fmt: skip
        ledger.count(per_url, list(per_url))
        assert stories == rounds
        ledger.outcome(items=rounds, lost=rounds - len(set(deliveries)), duplicated=len(deliveries) - rounds)
    finally:
        for st in stores:
            st.close()

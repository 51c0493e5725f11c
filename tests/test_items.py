"""One item per story and fact, and its wording: grouping, evidence, reasons, outlets, the landscape."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.factories import store_article
from watcher.app.queries import list_findings
from watcher.notify.digest import DigestService
from watcher.notify.items import (
    fact_origin,
    group_records,
    outlet_name,
    pick_evidence,
    reason,
)
from watcher.notify.landscape import deal_bars, summary_rows, text_table
from watcher.notify.render import AlertView, render_digest, view_of_item
from watcher.store import Store
from watcher.types import (
    Article,
    Fact,
    Finding,
    FindingKind,
    FindingRecord,
    Hedge,
    Provenance,
    Value,
    ValueType,
)

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TITLE = "OpenAI signs $5bn compute deal with Acme Cloud"
TEXT = (
    f"{TITLE}\n\nSan Francisco, Monday. OpenAI said on Monday it had signed a $5 billion agreement with "
    "Acme Cloud for GPU capacity over five years. Acme Cloud shares rose 4%."
)


def deal(**changes: object) -> Finding:
    values: dict[str, Any] = dict(
        kind=FindingKind.NEW_DEAL, parties=("OpenAI", "Acme Cloud"), attribute="compute_deal", baseline_fact=None,
        baseline_value=None, new_value="$5 billion", evidence=TITLE, confidence=0.9, explanation="x",
        status="signed",
    )  # fmt: skip
    values.update(changes)
    return Finding(**values)


def record(fid: int, story: int | None, url: str, seen: datetime, **changes: object) -> FindingRecord:
    values: dict[str, Any] = dict(
        finding_id=fid, story_id=story, signature="sig", finding=deal(), review="active", first_seen=seen,
        title=TITLE, url=url, site=None, published=None, text=TEXT, feed=None,
    )  # fmt: skip
    values.update(changes)
    return FindingRecord(**values)


def test_two_outlets_of_one_story_are_one_item_with_both_sources_oldest_first() -> None:
    recs = [
        record(2, 7, "https://b.example/x", T + timedelta(hours=1), site="B News"),
        record(1, 7, "https://www.a.example/x", T),
        record(3, 8, "https://c.example/y", T),  # another story: another item
    ]
    items = group_records(recs)
    assert len(items) == 2
    first = items[0]
    assert first.id == 1 and [s.outlet for s in first.sources] == ["a.example", "B News"]
    assert first.first_seen == T and first.last_seen == T + timedelta(hours=1)


def test_a_confirmed_source_makes_the_item_confirmed() -> None:
    items = group_records(
        [record(1, 7, "https://a/x", T), record(2, 7, "https://b/x", T, review="confirmed")]
    )
    assert items[0].review == "confirmed"


@pytest.mark.parametrize(
    ("site", "feed", "url", "expected"),
    [
        ("Reuters", "reuters-feed", "https://reuters.com/a", "Reuters"),
        (None, "The Register", "https://www.theregister.com/a", "The Register"),
        (None, "backfill:urls", "https://www.theregister.com/a", "theregister.com"),
        (None, None, "file:///tmp/saved/term%20page.html", "saved page term page.html"),
        ("127.0.0.1", "demo", "http://127.0.0.1:8000/a.html", "demo"),  # an address is no name
    ],
)
def test_outlets_have_names_never_unknown(
    site: str | None, feed: str | None, url: str, expected: str
) -> None:
    assert outlet_name(site, feed, url) == expected


def test_evidence_is_the_sentence_that_carries_the_claim_not_the_headline() -> None:
    chosen = pick_evidence(deal(), TITLE, TEXT)
    assert chosen.startswith("OpenAI said on Monday it had signed a $5 billion agreement with Acme Cloud")
    # the headline stays when the body has no sentence with the parties
    assert pick_evidence(deal(), TITLE, f"{TITLE}\n\nShares rose.") == TITLE
    # evidence that is not the headline is kept as the differ chose it
    assert (
        pick_evidence(deal(evidence="Acme Cloud will host OpenAI."), TITLE, TEXT)
        == "Acme Cloud will host OpenAI."
    )


def test_reasons_are_plain_words_without_internal_ids() -> None:
    fact = Fact("msft-openai-partnership-term", ("Microsoft", "OpenAI"), "partnership_term",
                Value(ValueType.YEAR, 2030), Hedge.STATED, Provenance("003_b0919efdfb13f3fe.txt", "..."))  # fmt: skip
    origin = fact_origin(fact, {"003_b0919efdfb13f3fe.txt": "2025-10-28"}.get)
    contradiction = deal(kind=FindingKind.CONTRADICTION, parties=("Microsoft", "OpenAI"),
                         attribute="partnership_term", baseline_fact=fact.id, baseline_value="2030",
                         new_value="2034", status=None)  # fmt: skip
    why = reason(contradiction, origin)
    assert why == (
        "The article puts the partnership's end at 2034; the baseline, from the seed of 2025-10-28, says 2030."
    )
    assert fact.id not in why
    assert reason(deal()) == (
        "The baseline has no compute deal between OpenAI and Acme Cloud; "
        "the article reports one worth $5 billion, signed."
    )
    confirmed = Fact("confirmed-12", ("A", "B"), "stake", Value(ValueType.PERCENT, 10), Hedge.STATED,
                     Provenance("https://news.example/a", "s"))  # fmt: skip
    assert fact_origin(confirmed) == "an alert confirmed from news.example"


def test_landscape_bars_put_the_largest_deal_first_and_mark_the_period() -> None:
    views = [
        view_of_item(group_records([record(1, 1, "https://a/1", T - timedelta(days=30))])[0]),
        view_of_item(
            group_records(
                [
                    record(
                        2,
                        2,
                        "https://a/2",
                        T,
                        finding=deal(new_value="$300 billion", parties=("OpenAI", "Oracle")),
                    )
                ]
            )[0]
        ),  # fmt: skip
        view_of_item(group_records([record(3, 3, "https://a/3", T, finding=deal(new_value=None))])[0]),
    ]
    bars = deal_bars(views, period_start=T - timedelta(days=1))
    assert [b.label for b in bars] == ["OpenAI & Oracle", "OpenAI & Acme Cloud", "OpenAI & Acme Cloud"]
    assert [b.pct for b in bars] == [100, 2, 2] and [b.in_period for b in bars] == [True, False, True]
    assert bars[2].value == "value not stated"
    lines = text_table(summary_rows(views))
    assert lines[0].split() == ["kind", "parties", "value", "status", "sources"]
    assert "OpenAI & Oracle" in lines[3] and "signed" in lines[3]


class Clock:
    def __call__(self) -> datetime:
        return T + timedelta(hours=3)


def syndicated(store: Store) -> None:
    for n, (url, site) in enumerate([("https://a.example/deal", "A Wire"), ("https://b.example/copy", None)]):
        art = Article(url, url, TITLE, TEXT, T, site, "same-text-hash")
        store_article(store, art, [deal()], now=T + timedelta(minutes=n))


def test_syndicated_copies_give_one_digest_item_and_one_findings_row_with_two_sources(store: Store) -> None:
    syndicated(store)
    service = DigestService(store=store, sink=None, digest_time=time(7), tz=ZoneInfo("UTC"), owner="t",  # type: ignore[arg-type]  # build() sends nothing: no sink
                            clock=Clock())  # fmt: skip
    view = service.build(T - timedelta(hours=1), T + timedelta(hours=2))
    assert len(view.flagged) == 1 and view.flagged[0].count == 2
    subject, text, markup = render_digest(view)
    assert "1 new deal" in subject
    assert (
        "A Wire" in text and "test-articles" in text and "unknown site" not in text + markup
    )  # site, else feed
    assert "AT A GLANCE" in text and text.index("AT A GLANCE") < text.index("NEW DEALS AND CONTRADICTIONS")
    assert "OpenAI said on Monday it had signed a $5 billion agreement" in text  # not the headline
    rows = list_findings(store)
    assert len(rows) == 1 and [s["outlet"] for s in rows[0]["sources"]] == ["A Wire", "test-articles"]
    assert rows[0]["deal_status"] == "signed"  # stored (migration 0003) and read back


def test_alert_lists_every_source_of_its_story(store: Store) -> None:
    from watcher.notify.outbox import view_of
    from watcher.store.article_ops import AlertPolicy

    policy = AlertPolicy((("console", "-"),))
    for n, url in enumerate(["https://a.example/deal", "https://b.example/copy"]):
        store_article(store, Article(url, url, TITLE, TEXT, T, url[8:17], "h"), [deal()], policy=policy,
                      now=T + timedelta(minutes=n))  # fmt: skip
    (job,) = store.claim_deliveries(T + timedelta(hours=1), "me", timedelta(minutes=1))
    view: AlertView = view_of(job, store, origin=None)
    assert view.count == 2 and [s.outlet for s in view.all_sources] == ["a.example", "b.example"]

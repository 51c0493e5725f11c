"""Rendering: alerts (Telegram HTML + text), burst summaries and the digest email."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.botapi import parse_telegram_html
from watcher.notify.render import (
    AlertView,
    DigestView,
    render_alert_html,
    render_alert_text,
    render_digest,
    render_summary_html,
    render_summary_text,
    safe_url,
)
from watcher.notify.split import split_telegram_html
from watcher.types import Finding, FindingKind, Provenance

HOSTILE = 'Deal <script>alert("x")</script> & </b><i> "quoted" &amp;'
T = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)


def finding(kind: FindingKind = FindingKind.NEW_DEAL, **changes: object) -> Finding:
    values: dict[str, Any] = dict(
        kind=kind, parties=("Microsoft", "OpenAI"), attribute="compute_deal", baseline_fact=None,
        baseline_value=None, new_value="$250 billion", evidence=f"Evidence: {HOSTILE}", confidence=0.8,
        explanation="", baseline_sentence=None,
    )  # fmt: skip
    if kind == FindingKind.CONTRADICTION:
        values.update(attribute="stake", baseline_fact="msft-openai-stake", baseline_value="49%", new_value="27%",
                      baseline_sentence=f"Seed: {HOSTILE}", explanation="27% differs from 49%")  # fmt: skip
    values.update(changes)
    return Finding(**values)


def view(kind: FindingKind = FindingKind.NEW_DEAL, n: int = 1, **changes: object) -> AlertView:
    return AlertView(finding(kind, **changes), title=f"Headline {n}: {HOSTILE}",
                     url=f"https://news.example.com/story-{n}?a=1&b=2", site="news.example.com", sources=3,
                     published=T)  # fmt: skip


# -- Telegram alerts ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FindingKind))
def test_alert_html_is_valid_telegram_html_with_everything_escaped(kind: FindingKind) -> None:
    markup = render_alert_html(view(kind))
    shown = parse_telegram_html(markup)  # the fake's parser: raises on any bad tag
    assert f"Headline 1: {HOSTILE}" in shown
    assert f"Evidence: {HOSTILE}" in shown
    assert "<script>" not in markup and "</b><i>" not in markup
    assert set(re.findall(r"</?([a-z-]+)", markup)) <= {"b", "i", "code", "blockquote", "a"}


def test_new_deal_alert_content() -> None:
    shown = parse_telegram_html(render_alert_html(view()))
    assert shown.startswith("🆕 NEW DEAL: Microsoft & OpenAI\nCompute deal: $250 billion")
    assert "news.example.com" in shown and "3 sources" in shown
    markup = render_alert_html(view())
    assert 'href="https://news.example.com/story-1?a=1&amp;b=2"' in markup  # the title is the link
    assert "https://news.example.com/story-1" not in shown  # no raw URL printed
    assert "2026-11-02 14:05 UTC" in shown
    assert "The baseline has no compute deal between Microsoft and OpenAI" in shown


def test_contradiction_alert_shows_the_baseline_fact_and_its_seed_sentence() -> None:
    markup = render_alert_html(view(FindingKind.CONTRADICTION))
    shown = parse_telegram_html(markup)
    assert shown.startswith("⚠️ CONTRADICTION: Microsoft & OpenAI\nStake: 27% (baseline: 49%)")
    assert "Baseline: 49%" in shown
    assert f"Seed: {HOSTILE}" in shown
    assert "msft-openai-stake" not in shown  # no internal ids for people
    assert "The article puts the stake at 27%; the baseline says 49%." in shown


def test_alert_text_is_the_same_content_unescaped() -> None:
    text = render_alert_text(view(FindingKind.CONTRADICTION))
    assert f"Headline 1: {HOSTILE}" in text and f"Seed: {HOSTILE}" in text
    assert "https://news.example.com/story-1?a=1&b=2" in text and "3 sources" in text
    assert "&amp;" not in text.replace(HOSTILE, "")


def test_only_http_urls_become_links() -> None:
    markup = render_alert_html(AlertView(finding(), "t", 'javascript:alert("x")', None, 1, None))
    assert "<a " not in markup and "javascript:alert(&quot;" not in markup
    assert 'javascript:alert("x")' in parse_telegram_html(markup)
    assert "1 source" in parse_telegram_html(markup)
    assert safe_url('https://x.example/"><script>') == 'https://x.example/"><script>'
    quoted = render_alert_html(AlertView(finding(), "t", 'https://x.example/"><b>', None, 1, None))
    assert 'href="https://x.example/&quot;&gt;&lt;b&gt;"' in quoted
    parse_telegram_html(quoted)


def test_summary_of_a_burst_is_one_valid_message_split_by_finding() -> None:
    views = [view(FindingKind.NEW_DEAL, n) for n in range(40)] + [view(FindingKind.CONTRADICTION, 99)]
    markup = render_summary_html(views)
    assert parse_telegram_html(markup).startswith("🔔 41 new findings (40 new deals, 1 contradiction)")
    parts = split_telegram_html(markup, 1000)
    assert len(parts) > 1
    for part in parts:
        parse_telegram_html(part)
        assert part.startswith(("🔔", "🆕", "⚠️"))  # cut between findings, not inside one
    assert "Headline 7" in render_summary_text(
        views
    ) and "https://news.example.com/story-7" in render_summary_text(views)


# -- the digest ------------------------------------------------------------------------------


def digest_view(**changes: object) -> DigestView:
    values: dict[str, Any] = dict(
        period_start=T - timedelta(days=1), period_end=T, timezone="Europe/Berlin",
        flagged=[view(FindingKind.NEW_DEAL, 1), view(FindingKind.CONTRADICTION, 2), view(FindingKind.NEW_DEAL, 3)],
        confirmations=[view(FindingKind.CONFIRMATION, 4)], updates=[view(FindingKind.UPDATE, 5)],
        baseline_changes=[("msft-openai-stake", "49%", "27%", Provenance("https://x.example/a", "Holds 27%.")),
                          ("oracle-deal", None, "$300 billion", f"seed {HOSTILE}")],
        failing_feeds=[("Blog <b>", "https://blog.example.org/feed", f"HTTP 503 {HOSTILE}", T - timedelta(hours=5))],
        generated_at=T,
    )  # fmt: skip
    values.update(changes)
    return DigestView(**values)


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self.hrefs.extend(v or "" for k, v in attrs if k == "href")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(markup: str) -> _Html:
    parser = _Html()
    parser.feed(markup)
    return parser


def test_digest_subject_counts_flags() -> None:
    subject, _, _ = render_digest(digest_view())
    assert subject == "watcher digest 2026-11-02: 2 new deals, 1 contradiction, 1 failing feed"


def test_digest_links_every_flagged_article_in_both_parts() -> None:
    _, text, markup = render_digest(digest_view())
    page = parse_html(markup)
    for n in (1, 2, 3):
        url = f"https://news.example.com/story-{n}?a=1&b=2"
        assert url in text
        assert url in page.hrefs
    assert text.index("NEW DEALS AND CONTRADICTIONS") < text.index("CONFIRMATIONS") < text.index("UPDATES")
    assert text.index("UPDATES") < text.index("WHAT THE BASELINE NOW SAYS") < text.index("FEED HEALTH")


def test_digest_shows_evidence_baseline_and_changes() -> None:
    _, text, markup = render_digest(digest_view())
    shown = "".join(parse_html(markup).text)
    for part in (text, shown):
        assert f"Evidence: {HOSTILE}" in part
        assert f"Seed: {HOSTILE}" in part
        assert "msft-openai-stake" in part and "27%" in part
        assert "oracle-deal" in part and "$300 billion" in part
        assert "Blog <b>" in part and f"HTTP 503 {HOSTILE}" in part
        assert "2026-11-02 15:05 CET" in part  # shown in the digest's time zone


def test_digest_html_escapes_article_text_and_is_mail_safe() -> None:
    _, _, markup = render_digest(digest_view())
    page = parse_html(markup)
    assert "script" not in page.tags and "<script" not in markup
    assert not {"style", "link", "img", "iframe", "object", "form"} & set(page.tags)
    assert not [v for k, v in page.attrs if k in ("src", "srcset", "background")]
    assert all(h.startswith("https://") for h in page.hrefs)
    assert "table" in page.tags and 'style="' in markup


def test_empty_digest_says_nothing_new_and_still_lists_failing_feeds() -> None:
    subject, text, markup = render_digest(
        digest_view(flagged=[], confirmations=[], updates=[], baseline_changes=[])
    )
    assert subject == "watcher digest 2026-11-02: 1 failing feed"
    for part in (text, "".join(parse_html(markup).text)):
        assert "Nothing new today" in part
        assert "Blog <b>" in part
    assert "NEW DEALS" not in text and "CONFIRMATIONS" not in text


def test_quiet_digest_with_healthy_feeds() -> None:
    subject, text, _ = render_digest(
        digest_view(flagged=[], confirmations=[], updates=[], baseline_changes=[], failing_feeds=[])
    )
    assert subject == "watcher digest 2026-11-02: nothing new"
    assert "All feeds are fetching normally." in text


# -- bounds on one story's sources (issue-13 bounds applied to one item per story) ---------


def test_a_story_with_many_long_sources_is_one_bounded_alert() -> None:
    from watcher.notify.items import Source
    from watcher.notify.render import FIELD_LIMITS, MAX_ALERT_SOURCES

    outlets = tuple(
        Source(f"Outlet {i} " + "o" * 5_000, f"Title {i} " + "t" * 50_000, f"https://news{i}.example/x", T, T,
               "Evidence " + "e" * 50_000, i + 1)
        for i in range(12)
    )  # fmt: skip
    v = AlertView(finding(), title=outlets[0].title, url=outlets[0].url, site=outlets[0].outlet, sources=12,
                  published=T, outlets=outlets, origin="o" * 10_000)  # fmt: skip
    markup = render_alert_html(v)
    shown = parse_telegram_html(markup)
    assert len(shown) < 4096  # one Telegram message
    assert "12 sources" in shown and f"and {12 - MAX_ALERT_SOURCES} more sources" in shown
    assert shown.count("https://") == 0 and markup.count('href="https://news') == MAX_ALERT_SOURCES + 1
    assert all(len(line) <= FIELD_LIMITS["evidence"] + 4 for line in shown.splitlines())
    text = render_alert_text(v)
    assert len(text) < 4096 and f"and {12 - MAX_ALERT_SOURCES} more sources" in text

"""A Watcher with a small story set for the dashboard tests: two syndicated copies of one deal
(with a hostile headline), and a contradiction of the baseline's partnership term."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.factories import store_article
from watcher.app.root import Watcher, make_watcher
from watcher.config import load_settings
from watcher.notify.channels import ConsoleChannel
from watcher.types import Article, Finding, FindingKind

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = 'Deal <script>alert("x")</script> & </b><i> "quoted" &amp;'
DEAL_TEXT = (
    "OpenAI signs with Acme Cloud\n\nOpenAI signed a $9.7 billion contract with Acme Cloud Ltd to rent GPU "
    "servers, the companies said on Monday. Acme Cloud shares rose."
)
TERM_TEXT = (
    "Microsoft and OpenAI extend their partnership\n\nMicrosoft and OpenAI said their partnership agreement "
    "now runs through 2034, four years longer than before."
)


def deal() -> Finding:
    return Finding(FindingKind.NEW_DEAL, ("OpenAI", "Acme Cloud"), "compute_deal", None, None, "$9.7 billion",
                   "OpenAI signs with Acme Cloud", 0.9, "new deal", status="signed")  # fmt: skip


def contradiction() -> Finding:
    return Finding(FindingKind.CONTRADICTION, ("Microsoft", "OpenAI"), "partnership_term",
                   "msft-openai-partnership-term", "through 2030", "through 2034",
                   "Microsoft and OpenAI said their partnership agreement now runs through 2034, four years "
                   "longer than before.", 0.8,
                   "partnership_term: article says 2034, baseline msft-openai-partnership-term says 2030",
                   baseline_sentence="The partnership runs through 2030.")  # fmt: skip


@pytest.fixture
def dashboard_watcher(db_url: str) -> Iterator[Watcher]:
    from watcher.store import open_store

    w = make_watcher(load_settings(database_url=db_url, web_port=0), store=open_store(db_url, auto_upgrade=True),
                     channels={"console": ConsoleChannel(io.StringIO())}, clock=lambda: T0)  # fmt: skip
    for n, (url, site) in enumerate(
        [("https://wire.example/acme", "Wire"), ("https://copy.example/acme", None)]
    ):
        art = Article(url, url, f"{HOSTILE} OpenAI signs with Acme Cloud", DEAL_TEXT, T0, site, "same-hash")
        store_article(w.store, art, [deal()], now=T0.replace(minute=n))
    term = Article("https://news.example/term", "https://news.example/term", "Partnership to 2034", TERM_TEXT,
                   T0, "News Example", "term-hash")  # fmt: skip
    store_article(w.store, term, [contradiction()], now=T0.replace(minute=5))
    yield w
    w.close()

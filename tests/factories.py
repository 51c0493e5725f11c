"""Builders shared by tests: an article with its findings stored as the pipeline would store it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from watcher.store import Store
from watcher.store.article_ops import AlertPolicy, StoredEntry
from watcher.types import Article, FeedSource, Finding

DIGEST_ONLY = AlertPolicy((), enabled=False)


def store_article(
    store: Store,
    article: Article,
    findings: Sequence[Finding],
    *,
    policy: AlertPolicy = DIGEST_ONLY,
    now: datetime | None = None,
) -> StoredEntry:
    """Stores ``article`` and its findings as one processed entry of a test feed (outbox rows per ``policy``)."""
    feed = store.ensure_feed(FeedSource("test-articles", "http://test.invalid/feed", enabled=False))
    when = now or article.published
    assert when is not None, "give the article a published time or pass now="
    return store.store_processed_entry(
        feed_id=feed,
        identity=article.url,
        link=article.url,
        title=article.title,
        published=article.published,
        article=article,
        fingerprint=None,
        claims=[],
        findings=list(findings),
        baseline_version="v",
        policy=policy,
        now=when,
    )

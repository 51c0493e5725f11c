"""Store operations on SQLite and PostgreSQL: leases, idempotent writes, the outbox."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from watcher.store import Store, open_store
from watcher.store.article_ops import AlertPolicy, StoredEntry
from watcher.store.feed_ops import MAX_BACKOFF, backoff
from watcher.types import Article, FeedSource, Fetched, Finding, FindingKind

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
POLICY = AlertPolicy(targets=(("telegram", "42"), ("console", "-")), min_confidence=0.5)


def finding(
    kind: FindingKind = FindingKind.NEW_DEAL, value: str = "$9.7 billion", conf: float = 0.9
) -> Finding:
    return Finding(
        kind=kind,
        parties=("OpenAI", "Acme Cloud"),
        attribute="compute_deal",
        baseline_fact=None,
        baseline_value=None,
        new_value=value,
        evidence="OpenAI signed a $9.7bn deal with Acme Cloud.",
        confidence=conf,
        explanation="no such deal in the baseline",
    )


def article(url: str, text: str = "OpenAI signed a $9.7bn deal with Acme Cloud.", h: str = "h1") -> Article:
    return Article(
        url=url,
        canonical_url=url,
        title="OpenAI and Acme",
        text=text,
        published=T0,
        site="example.org",
        content_hash=h,
    )


def store_entry(
    store: Store,
    feed_id: int,
    identity: str,
    art: Article,
    findings: list[Finding],
    story: int | None = None,
    policy: AlertPolicy = POLICY,
    now: datetime = T0,
) -> StoredEntry:
    return store.store_processed_entry(
        feed_id=feed_id,
        identity=identity,
        link=art.url,
        title=art.title,
        published=art.published,
        article=art,
        fingerprint=None,
        story_hint=story,
        claims=[],
        findings=findings,
        baseline_version="v1",
        policy=policy,
        now=now,
    )


def feed_id(store: Store, name: str = "f1") -> int:
    store.sync_feeds([FeedSource(name=name, url=f"http://127.0.0.1/{name}.xml")])
    return next(r.id for r in store.feed_rows() if r.name == name)


def test_sync_feeds_adds_updates_and_disables(store: Store) -> None:
    store.sync_feeds([FeedSource("a", "http://x/a"), FeedSource("b", "http://x/b", interval=60, tags=("t",))])
    store.sync_feeds([FeedSource("b", "http://x/b2")])
    rows = {r.name: r for r in store.feed_rows()}
    assert rows["a"].enabled is False
    assert rows["b"].url == "http://x/b2" and rows["b"].interval_s is None and rows["b"].tags == []


def test_a_claimed_feed_is_not_claimed_again_until_its_lease_ends(store: Store) -> None:
    fid = feed_id(store)
    assert [f.id for f in store.claim_due_feeds(T0, "one", LEASE)] == [fid]
    assert store.claim_due_feeds(T0 + timedelta(seconds=1), "two", LEASE) == []
    # the first instance crashed: its lease expires and another takes over
    assert [f.id for f in store.claim_due_feeds(T0 + LEASE + timedelta(seconds=1), "two", LEASE)] == [fid]


def test_success_sets_next_poll_and_failure_backs_off(store: Store) -> None:
    fid = feed_id(store)
    store.claim_due_feeds(T0, "me", LEASE)
    store.record_feed_success(
        fid, Fetched("u", 200, b"x", etag='"e1"', last_modified="Mon"), T0, T0 + timedelta(minutes=15)
    )
    assert store.claim_due_feeds(T0 + timedelta(minutes=10), "me", LEASE) == []
    (state,) = store.claim_due_feeds(T0 + timedelta(minutes=15), "me", LEASE)
    assert state.etag == '"e1"' and state.last_modified == "Mon"
    first = store.record_feed_failure(fid, "status", "HTTP 503", T0, timedelta(minutes=15))
    second = store.record_feed_failure(fid, "status", "HTTP 503", T0, timedelta(minutes=15))
    assert (first.consecutive_failures, second.consecutive_failures) == (1, 2)
    row = next(r for r in store.feed_rows() if r.id == fid)
    assert row.next_poll_at == T0 + timedelta(minutes=30) and row.last_error == "HTTP 503"
    # a 304 keeps the validators it had
    store.record_feed_success(fid, Fetched("u", 304, None), T0, T0)
    row = next(r for r in store.feed_rows() if r.id == fid)
    assert row.etag == '"e1"' and row.consecutive_failures == 0


def test_backoff_is_exponential_and_capped() -> None:
    base = timedelta(minutes=15)
    assert [backoff(n, base) for n in (1, 2, 3)] == [base, base * 2, base * 4]
    assert backoff(30, base) == MAX_BACKOFF


def test_storing_an_entry_queues_one_alert_per_target_once(store: Store) -> None:
    fid = feed_id(store)
    r1 = store_entry(store, fid, "guid-1", article("http://n/1"), [finding()])
    assert (r1.new_findings, r1.new_deliveries) == (1, 2)
    assert store.processed_identities(fid, ["guid-1", "guid-2"]) == {"guid-1": "h1"}
    # the same entry again (a re-run after a crash, a re-published item): nothing new
    r2 = store_entry(store, fid, "guid-1", article("http://n/1"), [finding()])
    assert (r2.new_findings, r2.new_deliveries) == (0, 0)
    assert store.counts()["deliveries"] == 2 and store.counts()["articles"] == 1


def test_low_confidence_and_confirmations_do_not_alert(store: Store) -> None:
    fid = feed_id(store)
    r = store_entry(
        store,
        fid,
        "g",
        article("http://n/1"),
        [finding(conf=0.2), finding(kind=FindingKind.CONFIRMATION, value="x")],
    )
    assert (r.new_findings, r.new_deliveries) == (2, 0)
    r = store_entry(
        store,
        fid,
        "g2",
        article("http://n/2", h="h2"),
        [finding(value="$1")],
        policy=AlertPolicy(POLICY.targets, enabled=False),
    )
    assert (r.new_findings, r.new_deliveries) == (1, 0)


def test_a_second_outlet_adds_a_source_instead_of_a_new_alert(store: Store) -> None:
    fid = feed_id(store)
    first = store_entry(store, fid, "a", article("http://one/x", h="h1"), [finding()])
    jobs = store.claim_deliveries(T0, "me", LEASE)
    assert len(jobs) == 2 and all(j.sources == 1 and not j.is_edit for j in jobs)
    for j in jobs:
        store.mark_sent(j.id, j.lease, f"m{j.id}", j.sources, T0)
    r = store_entry(
        store,
        fid,
        "b",
        article("http://two/y", text="Syndicated copy", h="h2"),
        [finding()],
        story=first.story_id,
    )
    assert r.story_id and (r.new_deliveries, r.edited_deliveries) == (0, 2)
    edits = store.claim_deliveries(T0, "me", LEASE)
    assert len(edits) == 2 and all(j.is_edit and j.sources == 2 and j.remote_id for j in edits)


def test_an_edited_article_alerts_only_on_changed_findings(store: Store) -> None:
    fid = feed_id(store)
    store_entry(store, fid, "a", article("http://one/x"), [finding()])
    r = store_entry(
        store, fid, "a", article("http://one/x", text="edited", h="h9"), [finding(), finding(value="$10bn")]
    )
    assert (r.new_findings, r.new_deliveries, r.retracted_findings) == (1, 2, 0)
    r = store_entry(store, fid, "a", article("http://one/x", text="again", h="h10"), [finding(value="$10bn")])
    assert (r.new_findings, r.retracted_findings) == (0, 1)


def test_delivery_leases_retries_and_permanent_failures(store: Store) -> None:
    fid = feed_id(store)
    store_entry(store, fid, "a", article("http://one/x"), [finding()])
    jobs = store.claim_deliveries(T0, "one", LEASE)
    assert len(jobs) == 2 and store.claim_deliveries(T0, "two", LEASE) == []
    tg = next(j for j in jobs if j.channel == "telegram")
    con = next(j for j in jobs if j.channel == "console")
    store.mark_retry(tg.id, "429", T0 + timedelta(seconds=30))
    store.mark_failed(con.id, "chat not found")
    assert store.claim_deliveries(T0 + timedelta(seconds=29), "two", LEASE) == []
    (again,) = store.claim_deliveries(T0 + timedelta(seconds=30), "two", LEASE)
    assert again.id == tg.id and again.attempts == 1
    assert store.mark_sent(again.id, again.lease, "555", 1, T0)
    assert store.delivery_counts() == {"sent": 1, "failed": 1}
    assert store.pending_deliveries(T0) == 0


def test_digest_period_is_claimed_once(store: Store) -> None:
    start, end = T0 - timedelta(days=1), T0
    d = store.claim_digest(start, end, "one", T0, LEASE)
    assert d is not None
    assert store.claim_digest(start, end, "two", T0, LEASE) is None  # leased
    store.mark_digest_failed(d, "SMTP down")
    d2 = store.claim_digest(start, end, "two", T0, LEASE)
    assert d2 == d
    store.mark_digest_sent(d, "<id@x>", T0)
    assert store.claim_digest(start, end, "three", T0 + LEASE * 3, LEASE) is None
    assert store.last_digest_end() == end


@pytest.mark.postgres
def test_two_instances_claim_disjoint_feeds_on_postgres(pg_url: str) -> None:
    setup = open_store(pg_url, auto_upgrade=True)
    setup.sync_feeds([FeedSource(f"f{i}", f"http://x/{i}") for i in range(60)])
    setup.close()
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        s = open_store(pg_url)
        barrier.wait()
        got: list[int] = []
        for _ in range(10):
            got += [f.id for f in s.claim_due_feeds(T0, name, LEASE, limit=3)]
        claimed[name] = got
        s.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = [i for ids in claimed.values() for i in ids]
    assert len(all_ids) == len(set(all_ids)) == 60


def test_only_the_lease_holder_marks_a_delivery_sent(store: Store) -> None:
    """Issue 13 (4): a sender whose lease ran out and was taken over marks nothing, renews nothing."""
    fid = feed_id(store)
    store_entry(store, fid, "a", article("http://one/x"), [finding()])
    first = store.claim_deliveries(T0, "me", LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    second = store.claim_deliveries(later, "me", LEASE)  # the same instance, another drain
    assert {j.id for j in first} == {j.id for j in second} and first[0].lease != second[0].lease
    ids = [j.id for j in first]
    assert store.renew_leases(ids, first[0].lease, later + LEASE) == set()
    assert store.mark_sent(first[0].id, first[0].lease, "m1", 1, later) is False
    store.mark_retry(first[1].id, "late answer", later, lease=first[1].lease)  # ignored: not the holder
    assert store.delivery_counts() == {"pending": 2}
    assert store.renew_leases(ids, second[0].lease, later + LEASE) == set(ids)
    assert store.mark_sent_many([(j.id, 1) for j in second], second[0].lease, "m2", later) == ids
    assert store.delivery_counts() == {"sent": 2}
    assert store.renew_leases(ids, second[0].lease, later + LEASE) == set()  # finished: nothing to renew


def test_many_304s_are_recorded_in_one_statement(store: Store) -> None:
    """Issue 14: a cycle's not-modified feeds are written with one executemany, not a transaction each;
    the outcome is what record_feed_success gives a 304."""
    from sqlalchemy import event

    ids = [store.ensure_feed(FeedSource(name=f"f{i}", url=f"https://f{i}.example/rss")) for i in range(5)]
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    store.claim_due_feeds(now, "me", lease=timedelta(minutes=10))
    store.record_feed_failure(ids[0], "network", "down", now, timedelta(minutes=15), None)
    statements: list[str] = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listener)
    try:
        store.record_feeds_not_modified([(fid, now + timedelta(minutes=i)) for i, fid in enumerate(ids)], now)
    finally:
        event.remove(store.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1
    rows = {r.id: r for r in store.feed_rows()}
    for i, fid in enumerate(ids):
        row = rows[fid]
        assert row.consecutive_failures == 0 and row.last_error is None and row.lease_owner is None
        assert row.next_poll_at == now + timedelta(minutes=i) and row.last_success_at == now


def test_a_cycles_entries_not_fetched_are_one_statement_for_all_feeds(store: Store) -> None:
    from sqlalchemy import event, func, select

    from watcher.store.feed_ops import SeenEntry
    from watcher.store.schema import EntryRow

    store.sync_feeds([FeedSource(name=f"f{n}", url=f"https://example.org/{n}.xml") for n in range(3)])
    ids = [f.id for f in store.feed_rows()]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    seen = [
        (fid, SeenEntry(f"e{k}", f"https://example.org/{fid}/{k}", f"item {k}", now, "h"))
        for fid in ids
        for k in range(4)
    ]
    inserts: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ENTRIES"):
            inserts.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        store.record_entries_seen_many(seen, now)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(EntryRow)) == 12
    assert store.processed_identities(ids[1], ["e0", "e3", "e9"]).keys() == {"e0", "e3"}

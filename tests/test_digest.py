"""The daily digest: its period, sending once per period, catch-up, and a quiet day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.factories import store_article
from tests.smtpserver import SmtpServer
from watcher.notify.channels import EmailDigestSink
from watcher.notify.digest import FIRST_START_KEY, DigestService, DigestSink, latest_slot
from watcher.notify.email import EmailSender
from watcher.store import Store
from watcher.types import Article, FeedSource, Fetched, Finding, FindingKind

BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, str]] = []

    def send_digest(self, subject: str, text: str, html: str, *, message_id: str) -> str:
        self.sent.append((subject, text, html, message_id))
        return message_id


def service(store: Store, clock: Clock, sink: DigestSink, *, fresh: bool = False) -> DigestService:
    """A digest service; unless ``fresh``, of an instance that has been running since 2026-01-01."""
    if not fresh:
        store.set_state(FIRST_START_KEY, datetime(2026, 1, 1, tzinfo=UTC).isoformat())
    return DigestService(store=store, sink=sink, digest_time=time(7, 30), tz=BERLIN, owner="me", clock=clock)


def add_finding(store: Store, when: datetime, url: str, kind: FindingKind = FindingKind.NEW_DEAL) -> None:
    f = Finding(
        kind,
        ("OpenAI", "Acme Cloud"),
        "compute_deal",
        None,
        None,
        "$5 billion",
        "OpenAI signed a $5bn deal with Acme Cloud.",
        0.9,
        "new",
    )
    art = Article(url, url, "OpenAI & Acme", "t", when, "x.example", url)
    store_article(store, art, [f])


def test_latest_slot_is_local_time_in_the_configured_zone() -> None:
    # 07:30 in Berlin is 06:30 UTC in winter, 05:30 UTC in summer
    assert latest_slot(datetime(2026, 1, 10, 6, 29, tzinfo=UTC), time(7, 30), BERLIN) == datetime(
        2026, 1, 9, 6, 30, tzinfo=UTC
    )
    assert latest_slot(datetime(2026, 1, 10, 6, 30, tzinfo=UTC), time(7, 30), BERLIN) == datetime(
        2026, 1, 10, 6, 30, tzinfo=UTC
    )
    assert latest_slot(datetime(2026, 7, 10, 12, 0, tzinfo=UTC), time(7, 30), BERLIN) == datetime(
        2026, 7, 10, 5, 30, tzinfo=UTC
    )


def test_a_period_is_sent_once_and_the_next_starts_where_it_ended(store: Store) -> None:
    clock, sink = Clock(datetime(2026, 1, 10, 8, 0, tzinfo=UTC)), Sink()
    add_finding(store, datetime(2026, 1, 9, 12, 0, tzinfo=UTC), "https://a.example/1")
    d = service(store, clock, sink)
    assert d.send_due() is True
    assert d.send_due() is False  # same slot: never twice
    assert len(sink.sent) == 1 and "https://a.example/1" in sink.sent[0][2]
    clock.now += timedelta(days=1)
    add_finding(store, datetime(2026, 1, 10, 20, 0, tzinfo=UTC), "https://a.example/2")
    assert d.send_due() is True
    second = sink.sent[1][2]
    assert "https://a.example/2" in second and "https://a.example/1" not in second


def test_digests_missed_while_down_go_out_once_covering_the_gap(store: Store) -> None:
    clock, sink = Clock(datetime(2026, 1, 10, 8, 0, tzinfo=UTC)), Sink()
    d = service(store, clock, sink)
    assert d.send_due()
    add_finding(store, datetime(2026, 1, 11, 9, 0, tzinfo=UTC), "https://a.example/day1")
    add_finding(store, datetime(2026, 1, 12, 9, 0, tzinfo=UTC), "https://a.example/day2")
    clock.now = datetime(2026, 1, 13, 9, 0, tzinfo=UTC)  # watcher was down for three slots
    assert d.send_due() is True and d.send_due() is False
    assert len(sink.sent) == 2
    assert "https://a.example/day1" in sink.sent[1][2] and "https://a.example/day2" in sink.sent[1][2]


def test_a_quiet_day_still_sends_a_short_digest_naming_failing_feeds(store: Store) -> None:
    store.sync_feeds([FeedSource("Broken feed", "https://broken.example/rss")])
    fid = next(r.id for r in store.feed_rows() if r.name == "Broken feed")
    now = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    store.record_feed_failure(fid, "status", "HTTP 503 Service Unavailable", now, timedelta(minutes=15))
    sink = Sink()
    assert service(store, Clock(now), sink).send_due()
    subject, text, html, _ = sink.sent[0]
    assert "failing feed" in subject and "nothing new" in text.lower()
    assert "Broken feed" in text and "HTTP 503" in text and "Broken feed" in html


def test_the_digest_arrives_by_smtp_as_text_and_html(store: Store, smtp_server: SmtpServer) -> None:
    add_finding(store, datetime(2026, 1, 9, 12, 0, tzinfo=UTC), "https://a.example/<b>&x")
    sender = EmailSender(
        smtp_server.host,
        smtp_server.port,
        None,
        None,
        starttls=False,
        timeout=10,
        from_addr="watcher@example.org",
    )
    d = service(
        store, Clock(datetime(2026, 1, 10, 8, 0, tzinfo=UTC)), EmailDigestSink(sender, ["a@example.org"])
    )
    assert d.send_due()
    (mail,) = smtp_server.messages
    msg = mail.message
    assert msg["To"] == "a@example.org" and "digest-20260110T063000Z" in msg["Message-ID"]
    kinds = [p.get_content_type() for p in msg.walk() if not p.is_multipart()]
    assert kinds == ["text/plain", "text/html"]
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert "<script" not in html.lower() and "&lt;b&gt;" in html


def test_a_fresh_database_sends_no_catch_up_digest_for_the_day_before(store: Store) -> None:
    clock = Clock(datetime(2026, 1, 10, 8, 0, tzinfo=UTC))  # installed after today's 07:30 slot
    sink = Sink()
    d = service(store, clock, sink, fresh=True)
    assert not d.send_due() and sink.sent == []
    clock.now = datetime(2026, 1, 10, 20, 0, tzinfo=UTC)  # restarted the same day: still nothing
    assert not d.send_due()
    clock.now = datetime(2026, 1, 11, 6, 31, tzinfo=UTC)  # the first slot after installation
    assert d.send_due() and len(sink.sent) == 1


def test_feed_health_is_claimed_only_after_a_poll(store: Store) -> None:
    store.sync_feeds([FeedSource("Never polled", "https://quiet.example/rss")])
    d = service(store, Clock(datetime(2026, 1, 10, 8, 0, tzinfo=UTC)), Sink())
    _subject, text, html = d.preview()
    assert "All feeds are fetching normally" not in text and "All feeds are fetching normally" not in html
    assert "No feed has been polled yet" in text
    fid = next(r.id for r in store.feed_rows())
    at = datetime(2026, 1, 10, 7, 0, tzinfo=UTC)
    fetched = Fetched(url="https://quiet.example/rss", status=304, content=None)
    store.record_feed_success(fid, fetched, at, at + timedelta(minutes=15))
    _subject, text, _html = d.preview()
    assert "All feeds are fetching normally" in text

"""The outbox through python-telegram-bot against a local Bot API imitation: every alert exactly once."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.botapi import BotApiServer, Fault
from tests.factories import store_article
from watcher.notify.channels import ConsoleChannel, TelegramChannel
from watcher.notify.outbox import DrainReport, Outbox, retry_delay
from watcher.notify.render import AlertView
from watcher.notify.telegram import TelegramSender
from watcher.store import Store
from watcher.store.article_ops import AlertPolicy
from watcher.types import Article, Finding, FindingKind

CHAT = 4242
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class FakeTime:
    """The outbox's clock and sleep: sleeping moves the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = T0
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def api(botapi: BotApiServer) -> BotApiServer:
    """The Bot API imitation (tests/conftest_notify.py)."""
    return botapi


@pytest.fixture
def sender(telegram_sender: TelegramSender) -> TelegramSender:
    """A sender on ``api`` without pacing (tests/conftest_notify.py)."""
    return telegram_sender


def queue(
    store: Store,
    n: int = 1,
    *,
    title: str = "OpenAI and Acme Cloud sign a deal",
    url_prefix: str = "https://news.example/a",
    value: str = "$9.7 billion",
    story_text: str | None = None,
    now: datetime = T0,
) -> None:
    for i in range(n):
        finding = Finding(
            kind=FindingKind.NEW_DEAL,
            parties=("OpenAI", f"Acme {i}"),
            attribute="compute_deal",
            baseline_fact=None,
            baseline_value=None,
            new_value=value,
            evidence=f"OpenAI signed a {value} contract with Acme {i} Ltd.",
            confidence=0.9,
            explanation="no such deal in the baseline",
        )
        url = f"{url_prefix}{i}"
        art = Article(
            url=url,
            canonical_url=url,
            title=title,
            text=story_text or f"text {i}",
            published=now,
            site="news.example",
            content_hash=f"h{story_text}" if story_text else f"h{url}",  # the same text: one story
        )
        store_article(store, art, [finding], policy=AlertPolicy((("telegram", str(CHAT)),)), now=now)


def outbox(store: Store, sender: TelegramSender, t: FakeTime, **kw: Any) -> Outbox:
    return Outbox(
        store=store,
        channels={"telegram": TelegramChannel(sender)},
        owner="me",
        clock=t.clock,
        sleep=t.sleep,
        **kw,
    )


def test_alert_carries_evidence_and_link_and_buttons(
    store: Store, api: BotApiServer, sender: TelegramSender
) -> None:
    queue(store)
    report = outbox(store, sender, FakeTime()).drain()
    assert (report.sent, report.pending) == (1, 0)
    (msg,) = api.sent_to(CHAT)
    assert "NEW DEAL" in msg.text and "Acme 0" in msg.text
    assert "OpenAI signed a $9.7 billion contract with Acme 0 Ltd." in msg.text
    assert 'href="https://news.example/a0"' in msg.raw  # the title is the link
    (call,) = api.calls_to("sendMessage")
    assert "confirm:" in str(call.params.get("reply_markup")) and "dismiss:" in str(
        call.params.get("reply_markup")
    )


@pytest.mark.parametrize(
    "fault", [Fault.flood(7), Fault.server_error(502), Fault.drop()], ids=["429", "502", "dropped"]
)
def test_transient_faults_are_retried_and_arrive_once(
    store: Store,
    api: BotApiServer,
    sender: TelegramSender,
    fault: Fault,
) -> None:
    queue(store)
    t = FakeTime()
    api.fail("sendMessage", fault, fault)
    report = outbox(store, sender, t).drain(deadline=60)
    assert report.sent == 1 and report.retried == 2 and report.pending == 0
    assert len(api.sent_to(CHAT)) == 1
    if fault.status == 429:
        assert t.slept[0] == pytest.approx(7.2)  # exactly retry_after (plus the loop's 0.2 s margin)


def test_without_a_deadline_a_transient_failure_stays_queued(
    store: Store, api: BotApiServer, sender: TelegramSender
) -> None:
    queue(store)
    t = FakeTime()
    api.fail("sendMessage", Fault.server_error(500))
    report = outbox(store, sender, t).drain(deadline=0)
    assert report.sent == 0 and report.pending == 1
    t.now += timedelta(minutes=1)
    assert outbox(store, sender, t).drain().sent == 1
    assert len(api.sent_to(CHAT)) == 1


def test_a_permanent_error_stops_retrying_and_is_recorded(
    store: Store, api: BotApiServer, sender: TelegramSender
) -> None:
    queue(store)
    api.fail("sendMessage", Fault.blocked())
    report = outbox(store, sender, FakeTime()).drain(deadline=60)
    assert report.failed == 1 and report.pending == 0
    assert len(api.calls_to("sendMessage")) == 1
    (row,) = store.failed_deliveries()
    assert "blocked" in (row.error or "")


def test_a_burst_becomes_one_summary_message(store: Store, api: BotApiServer, sender: TelegramSender) -> None:
    queue(store, 8)
    report = outbox(store, sender, FakeTime(), summary_threshold=5).drain()
    assert report.summarised == 8 and report.pending == 0
    (msg,) = api.sent_to(CHAT)
    for i in range(8):
        assert f"Acme {i}" in msg.text


def test_a_second_source_edits_the_alert(store: Store, api: BotApiServer, sender: TelegramSender) -> None:
    t = FakeTime()
    queue(store, 1, url_prefix="https://one.example/x", story_text="same story")
    outbox(store, sender, t).drain()
    queue(store, 1, url_prefix="https://two.example/y", story_text="same story")
    report = outbox(store, sender, t).drain()
    assert report.edited == 1 and report.sent == 0
    (msg,) = api.sent_to(CHAT)
    assert "2 sources" in msg.text


def test_hostile_headline_arrives_escaped(store: Store, api: BotApiServer, sender: TelegramSender) -> None:
    queue(store, title='<script>alert(1)</script> </b> Fish & "Chips"')
    outbox(store, sender, FakeTime()).drain()
    (call,) = api.calls_to("sendMessage")
    assert "<script>" not in call.params["text"] and "&lt;script&gt;" in call.params["text"]
    (msg,) = api.sent_to(CHAT)
    assert '<script>alert(1)</script> </b> Fish & "Chips"' in msg.text  # what the analyst reads


def test_muted_alerts_wait_and_are_sent_after(
    store: Store, api: BotApiServer, sender: TelegramSender
) -> None:
    t = FakeTime()
    store.set_state("mute_until", (T0 + timedelta(hours=2)).isoformat())
    queue(store)
    assert outbox(store, sender, t).drain().pending == 1
    assert api.sent_to(CHAT) == []
    t.now += timedelta(hours=2, seconds=1)
    assert outbox(store, sender, t).drain().sent == 1


def test_a_failure_mid_long_message_resumes_without_resending_sent_parts(
    store: Store, api: BotApiServer
) -> None:
    from watcher.notify.telegram import ChatPacer
    from watcher.store.schema import FindingRow

    queue(store)
    with store.session() as s:  # a long evidence sentence and short messages: the alert needs three parts
        s.query(FindingRow).update({"evidence": "OpenAI signed a contract with Acme. " * 30})
    api.fail("sendMessage", Fault.slow(0), Fault.server_error(500))  # part 1 goes out, part 2 fails once
    with TelegramSender(api.token, api_url=api.url, timeout=5, pacer=ChatPacer(0), limit=600) as short:
        report = outbox(store, short, FakeTime()).drain(deadline=60)
    assert report.pending == 0 and report.retried == 1
    texts = [m.text for m in api.sent_to(CHAT)]
    assert len(texts) == 3  # parts 1, 2, 3: part 1 was not sent again
    assert "".join(texts).count("OpenAI signed a contract with Acme.") == 30


def test_console_channel_when_no_bot_is_configured(store: Store) -> None:
    from watcher.store.article_ops import AlertPolicy as P

    f = Finding(
        kind=FindingKind.CONTRADICTION,
        parties=("Microsoft", "OpenAI"),
        attribute="partnership_term",
        baseline_fact="msft-openai-partnership-term",
        baseline_value="through 2030",
        new_value="through 2034",
        evidence="The agreement now runs through 2034.",
        confidence=0.9,
        explanation="another end year",
        baseline_sentence="Microsoft’s partnership agreement runs through 2030",
    )
    art = Article(
        url="https://n/1",
        canonical_url="https://n/1",
        title="Term",
        text="t",
        published=T0,
        site=None,
        content_hash="h",
    )
    store_article(store, art, [f], policy=P((("console", "-"),)))
    out = io.StringIO()
    t = FakeTime()
    report = Outbox(
        store=store, channels={"console": ConsoleChannel(out)}, owner="me", clock=t.clock, sleep=t.sleep
    ).drain()
    assert report.sent == 1
    text = out.getvalue()
    assert "CONTRADICTION" in text and "through 2034" in text and "https://n/1" in text
    assert "runs through 2030" in text  # the baseline fact's seed sentence


def test_retry_delay_honours_retry_after_and_backs_off() -> None:
    assert retry_delay(0, 13) == timedelta(seconds=13)
    assert [retry_delay(a, None).total_seconds() for a in (0, 1, 2)] == [2, 4, 8]
    assert retry_delay(50, None) == timedelta(minutes=30)


# -- issue 13: leases that outlast a slow send, bounded alerts, summaries marked at once ---------


class SlowChannel:
    """TelegramChannel whose every send takes ``seconds`` on the outbox's fake clock; ``during`` runs
    once mid-way (after the clock moved), as a second drain of the same instance would under `watcher run`."""

    def __init__(
        self, inner: TelegramChannel, t: FakeTime, seconds: float, during: Callable[[], object] | None
    ) -> None:
        self.inner, self.t, self.seconds, self.during = inner, t, seconds, during
        self.name = inner.name

    def _tick(self) -> None:
        self.t.now += timedelta(seconds=self.seconds)
        if self.during is not None and self.t.now >= T0 + timedelta(seconds=130):
            during, self.during = self.during, None
            during()

    def send(self, target: str, view: AlertView, *, finding_id: int, resume: str | None) -> str:
        remote = self.inner.send(target, view, finding_id=finding_id, resume=resume)
        self._tick()
        return remote

    def send_summary(self, target: str, views: Sequence[AlertView]) -> str:
        remote = self.inner.send_summary(target, views)
        self._tick()
        return remote

    def edit(self, target: str, remote_id: str, view: AlertView, *, finding_id: int) -> None:
        self.inner.edit(target, remote_id, view, finding_id=finding_id)

    def notice(self, target: str, text: str) -> None:
        self.inner.notice(target, text)


def test_a_slow_bot_api_does_not_let_a_second_drain_send_again(
    store: Store, api: BotApiServer, sender: TelegramSender
) -> None:
    """Issue 13 (4): 50 s per send, 4 alerts claimed at once under a 2 min lease; a second drain of
    the same instance runs at 150 s. Before: rows 3 and 4 went out twice (their lease ran out while
    they waited in the first drain's batch). Now each row's lease is renewed right before its send,
    and a row taken over by the other drain is skipped: every alert once."""
    queue(store, 4)
    t = FakeTime()
    second: list[DrainReport] = []
    inner = TelegramChannel(sender)
    first = Outbox(store=store, channels={}, owner="me", clock=t.clock, sleep=t.sleep)
    other = Outbox(store=store, channels={"telegram": inner}, owner="me", clock=t.clock, sleep=t.sleep)
    first.channels["telegram"] = SlowChannel(inner, t, 50, lambda: second.append(other.drain()))
    report = first.drain()
    assert second and second[0].sent >= 1  # the second drain really ran and took over what had expired
    finding_ids = [m.text.split("Acme ")[1].split()[0] for m in api.sent_to(CHAT)]
    assert sorted(finding_ids) == ["0", "1", "2", "3"]
    assert report.sent + second[0].sent == 4
    assert store.delivery_counts() == {"sent": 4} and store.pending_deliveries(t.now) == 0


def test_a_600_kb_headline_is_one_message_with_the_title_cut(
    store: Store, api: BotApiServer, sender: TelegramSender
) -> None:
    """Issue 13 (4): a 600 KB headline became one alert of 294 messages; now one message."""
    queue(store, title="Enormous headline " * 33_000)
    report = outbox(store, sender, FakeTime()).drain()
    assert report.sent == 1
    (msg,) = api.sent_to(CHAT)
    (title,) = [line for line in msg.text.splitlines() if line.startswith("Enormous headline")]
    assert title.endswith("…") and len(title) <= 300
    assert len(msg.text) < 4096
    assert (
        'href="https://news.example/a0"' in msg.raw
    )  # the link survives the cut (the cut title is the link)


def test_a_summary_is_marked_sent_in_one_transaction(
    store: Store, api: BotApiServer, sender: TelegramSender
) -> None:
    """Issue 13 (5): the process dies right after the first commit that follows a summary of 20.
    Before: one row was marked, 19 stayed leased and went out again in a second summary. Now the 20
    rows commit together with the message id: all sent, and nothing goes out again."""
    from contextlib import contextmanager

    queue(store, 20)
    t = FakeTime()
    real_session = store.session
    dead: list[bool] = []

    @contextmanager
    def dying_session() -> Iterator[Session]:
        if dead:
            raise SystemExit("killed")  # the process is gone: nothing after this point runs
        with real_session() as s:
            yield s
        if api.calls_to("sendMessage"):
            dead.append(True)  # the first commit after the summary went out

    store.session = dying_session  # type: ignore[method-assign]  # a fault injected into this store only
    with pytest.raises(SystemExit):
        outbox(store, sender, t).drain()
    store.session = real_session  # type: ignore[method-assign]  # the fault removed again
    assert len(api.sent_to(CHAT)) == 1
    assert store.delivery_counts() == {"sent": 20}
    t.now += timedelta(minutes=10)  # every lease long gone
    assert outbox(store, sender, t).drain().summarised == 0
    (msg,) = api.sent_to(CHAT)
    assert all(f"Acme {i}" in msg.text for i in range(20))


def test_a_drain_does_not_wait_for_rows_another_drain_holds(
    store: Store, api: BotApiServer, sender: TelegramSender
) -> None:
    """Found with issue 13 (4): a drain polled (0.2 s sleeps) until another drain's lease ran out,
    then took the row over. Rows another sender holds are its business: return at once."""
    queue(store, 1)
    t = FakeTime()
    store.claim_deliveries(t.now, "someone", timedelta(minutes=2))
    report = outbox(store, sender, t).drain(deadline=600)
    assert t.slept == [] and report.pending == 1 and api.calls_to("sendMessage") == []

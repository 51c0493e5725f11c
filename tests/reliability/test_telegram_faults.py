"""Telegram faults through the real Outbox + TelegramChannel + TelegramSender + BotApiServer.

On both databases (``store`` runs on SQLite and PostgreSQL). Each case ends with every alert
counted in the chat exactly once and no delivery row left pending.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.botapi import BotApiServer, Fault
from watcher.notify.channels import TelegramChannel
from watcher.notify.outbox import Outbox
from watcher.notify.telegram import ChatPacer, TelegramSender
from watcher.store import Store

if TYPE_CHECKING:
    from tests.reliability.conftest import FakeTime, Kit, Ledger

CHAT = 4242  # conftest.CHAT
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # conftest.T0
SENDER_TIMEOUT = 0.3  # seconds; Fault.slow(SLOW) outlasts it
SLOW = 0.8


@pytest.fixture
def api() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        yield server


@pytest.fixture
def sender(api: BotApiServer) -> Iterator[TelegramSender]:
    s = TelegramSender(api.token, api_url=api.url, timeout=SENDER_TIMEOUT, pacer=ChatPacer(0))
    yield s
    s.close()


def outbox(store: Store, sender: TelegramSender, t: FakeTime, **kw: Any) -> Outbox:
    return Outbox(store=store, channels={"telegram": TelegramChannel(sender)}, owner="rel",
                  clock=t.clock, sleep=t.sleep, **kw)  # fmt: skip


def settle(api: BotApiServer, expected: int) -> None:
    """Lets a late (slow) call finish: it may still store a message after the client gave up.

    Returns as soon as more than ``expected`` messages exist (the failure shows at once), else
    after the slow handler's delay has surely passed.
    """
    api.wait_for(lambda: len(api.sent_to(CHAT)) > expected, timeout=SLOW + 0.5)


def check_exactly_once(
    store: Store, api: BotApiServer, names: list[str], ledger: Ledger, kit: type[Kit]
) -> None:
    texts = [m.text for m in api.sent_to(CHAT)]
    ledger.count(kit.per_name(texts, names), names)
    counts = store.delivery_counts()
    assert counts == {"sent": len(names)}, counts  # nothing pending, sending or failed
    assert store.pending_deliveries(T0 + timedelta(days=365)) == 0


def test_429_retry_after_is_honoured_exactly(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    names = kit.queue_alerts(store, 1)
    t = kit.FakeTime()
    api.fail("sendMessage", Fault.flood(7))
    ledger.inject("telegram:429")
    assert outbox(store, sender, t).drain().pending == 1
    t.advance(seconds=6.999)  # not a moment early
    report = outbox(store, sender, t).drain()
    assert report.sent == 0 and len(api.calls_to("sendMessage")) == 1
    t.advance(seconds=0.001)  # exactly retry_after later
    assert outbox(store, sender, t).drain().sent == 1
    check_exactly_once(store, api, names, ledger, kit)


def test_429_inside_a_deadline_sleeps_exactly_retry_after(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    names = kit.queue_alerts(store, 1)
    t = kit.FakeTime()
    api.fail("sendMessage", Fault.flood(11), Fault.flood(3))
    ledger.inject("telegram:429", 2)
    report = outbox(store, sender, t).drain(deadline=60)
    assert report.retried == 2 and report.sent == 1
    assert t.slept == [pytest.approx(11.2), pytest.approx(3.2)]  # retry_after plus the loop's 0.2 s margin
    check_exactly_once(store, api, names, ledger, kit)


@pytest.mark.parametrize(
    "fault",
    [Fault.server_error(500), Fault.server_error(502), Fault.drop()],
    ids=["500", "502", "dropped"],
)
def test_server_errors_and_dropped_connections_back_off_and_arrive_once(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit], fault: Fault
) -> None:
    names = kit.queue_alerts(store, 1)
    t = kit.FakeTime()
    api.fail("sendMessage", fault, fault, fault)  # the alert fails three times in a row
    ledger.inject(f"telegram:{fault.status or fault.kind}", 3)
    report = outbox(store, sender, t, summary_threshold=100).drain(deadline=120)
    assert report.retried == 3 and report.pending == 0
    assert t.slept == [pytest.approx(2.2), pytest.approx(4.2), pytest.approx(8.2)]  # exponential back-off
    check_exactly_once(store, api, names, ledger, kit)


def test_a_time_out_after_sending_is_held_not_resent(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    """A read time-out: Telegram got the request and answered too late. Resending would show the
    alert twice, so the row is held as 'uncertain' (listed by status; the digest carries the finding)."""
    names = kit.queue_alerts(store, 2)
    t = kit.FakeTime()
    api.fail("sendMessage", Fault.slow(SLOW))
    ledger.inject("telegram:timeout")
    report = outbox(store, sender, t, summary_threshold=100).drain(deadline=120)
    assert report.uncertain == 1 and report.retried == 0 and report.pending == 0
    settle(api, len(names))
    texts = [m.text for m in api.sent_to(CHAT)]
    ledger.count(kit.per_name(texts, names), names)  # each alert arrived once: none lost, none twice
    assert store.delivery_counts() == {"sent": len(names) - 1, "uncertain": 1}
    (held,) = store.failed_deliveries()
    assert held.status == "uncertain" and "timed out" in (held.error or "").lower()
    # the operator may still decide to resend it
    assert store.resend_uncertain(t.clock()) == 1 and store.pending_deliveries(t.clock()) == 1


BURST = [
    Fault.flood(2),
    Fault.server_error(500),
    Fault.drop(),
    Fault.server_error(502),
    Fault.flood(1),
    Fault.drop(),
    Fault.server_error(500),
    Fault.parse_error(),  # our HTML refused once: resent as plain text, still one message
]


def test_a_burst_of_mixed_faults_loses_and_repeats_nothing(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    names = kit.queue_alerts(store, 6)
    t = kit.FakeTime()
    api.fail("sendMessage", *BURST)
    for f in BURST:
        ledger.inject(f"telegram:{f.status or f.kind}")
    report = outbox(store, sender, t, summary_threshold=100).drain(deadline=600)
    assert report.pending == 0 and report.failed == 0
    assert report.retried == len(BURST) - 1  # every fault but the parse error was retried
    assert len(api.calls_to("sendMessage")) == len(names) + len(BURST)
    check_exactly_once(store, api, names, ledger, kit)


def test_a_burst_summary_survives_faults_and_covers_every_alert_once(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    names = kit.queue_alerts(store, 8)
    t = kit.FakeTime()
    faults = [Fault.flood(4), Fault.server_error(502), Fault.drop(), Fault.server_error(500)]
    api.fail("sendMessage", *faults)
    ledger.inject("telegram:burst-summary", len(faults))
    report = outbox(store, sender, t, summary_threshold=5).drain(deadline=600)
    assert report.summarised == len(names) and report.pending == 0
    (message,) = api.sent_to(CHAT)  # one summary message, sent once
    check_exactly_once(store, api, names, ledger, kit)
    assert all(name in message.text for name in names)


def test_faults_across_restarts_of_the_outbox_lose_and_repeat_nothing(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    """No deadline (a scheduler tick each time): the rows wait in the store between drains."""
    names = kit.queue_alerts(store, 4)
    t = kit.FakeTime()
    faults = [Fault.server_error(502), Fault.flood(30), Fault.drop(), Fault.server_error(500)]
    api.fail("sendMessage", *faults)
    ledger.inject("telegram:between-drains", len(faults))
    for _ in range(10):
        outbox(store, sender, t, summary_threshold=100).drain()
        t.advance(seconds=31)
    check_exactly_once(store, api, names, ledger, kit)

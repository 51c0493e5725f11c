"""Issue 13 (4, 5): the outbox under a slow Bot API, with several drains of one instance, and a
crash right after a summary went out; plus alerts too large for one message.

Real Outbox + TelegramChannel + TelegramSender + BotApiServer, on SQLite and PostgreSQL. Each case
ends with every alert in its chat exactly once and every row ``sent``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session

from tests.botapi import BotApiServer, Fault
from watcher.notify.channels import TelegramChannel
from watcher.notify.outbox import Outbox
from watcher.notify.telegram import ChatPacer, TelegramSender
from watcher.store import Store

if TYPE_CHECKING:
    from tests.reliability.conftest import Kit, Ledger

CHATS = (101, 102, 103, 104)
SLOW = 0.6  # seconds per sendMessage: four of them outlast the lease below
LEASE = timedelta(seconds=1.5)  # longer than one send, shorter than a claimed batch


@pytest.fixture
def api() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        yield server


@pytest.fixture
def sender(api: BotApiServer) -> Iterator[TelegramSender]:
    s = TelegramSender(api.token, api_url=api.url, timeout=5, pacer=ChatPacer(0))
    yield s
    s.close()


def real_clock() -> datetime:
    return datetime.now(UTC)


def test_a_slow_bot_api_with_concurrent_drains_sends_each_alert_once(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    """The probe's case: a Bot API answering slowly, four chats, four alerts, drains every 0.3 s beside
    the one at work (as `watcher run`'s poll and deliver jobs do). Before: the rows waiting in the
    first drain's batch lost their lease and went out twice."""
    names: list[str] = []
    for i, chat in enumerate(CHATS):
        names += kit.queue_alerts(store, 1, chat=chat, first=i, now=real_clock())
    api.fail("sendMessage", *[Fault.slow(SLOW)] * 12)
    ledger.inject("telegram:slow answer", len(CHATS))

    def drain() -> None:
        Outbox(store=store, channels={"telegram": TelegramChannel(sender)}, owner="rel", clock=real_clock,
               lease=LEASE).drain()  # fmt: skip

    first = threading.Thread(target=drain)
    first.start()
    others = 0
    while first.is_alive():
        time.sleep(0.3)
        drain()
        others += 1
    first.join()
    drain()
    texts = [m.text for m in api.messages]
    ledger.count(kit.per_name(texts, names), names)
    assert others >= 3  # the other drains really ran (and returned) while the first one worked
    for i, chat in enumerate(CHATS):
        assert [kit.vendor(i) in m.text for m in api.sent_to(chat)] == [True]
    assert store.delivery_counts() == {"sent": len(names)}


def test_a_crash_right_after_a_summary_resends_nothing(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    """The process dies at the first commit after a summary of 20 went out. Before: one row was
    marked per transaction, so the rest went out again (3 of 20 in the probe's SIGKILL trial). Now
    all 20 are marked in one transaction with the message id."""
    names = kit.queue_alerts(store, 20)
    t = kit.FakeTime()
    real_session, dead = store.session, list[bool]()

    @contextmanager
    def dying_session() -> Iterator[Session]:
        if dead:
            raise SystemExit("SIGKILL")
        with real_session() as s:
            yield s
        if api.calls_to("sendMessage"):
            dead.append(True)

    store.session = dying_session  # type: ignore[method-assign]  # a fault injected into this store only
    ledger.inject("process killed after a summary")
    with pytest.raises(SystemExit):
        Outbox(store=store, channels={"telegram": TelegramChannel(sender)}, owner="rel", clock=t.clock,
               sleep=t.sleep).drain()  # fmt: skip
    store.session = real_session  # type: ignore[method-assign]  # the fault removed again
    t.advance(minutes=30)  # every lease long gone; the next process drains
    Outbox(store=store, channels={"telegram": TelegramChannel(sender)}, owner="rel2", clock=t.clock,
           sleep=t.sleep).drain()  # fmt: skip
    ledger.count(kit.per_name([m.text for m in api.sent_to(kit.CHAT)], names), names)
    assert len(api.sent_to(kit.CHAT)) == 1 and store.delivery_counts() == {"sent": 20}


def test_huge_headline_and_evidence_make_one_message(
    store: Store, api: BotApiServer, sender: TelegramSender, ledger: Ledger, kit: type[Kit]
) -> None:
    """A 600 KB headline (the probe's alert of 294 messages) and a 600 KB evidence sentence."""
    from watcher.store.schema import FindingRow

    names = kit.queue_alerts(store, 2, title="Enormous headline " * 33_000)
    with store.session() as s:
        s.query(FindingRow).update({"evidence": "OpenAI signed a contract. " * 24_000})
    ledger.inject("600 KB headline and evidence", 2)
    t = kit.FakeTime()
    report = Outbox(store=store, channels={"telegram": TelegramChannel(sender)}, owner="rel", clock=t.clock,
                    sleep=t.sleep).drain()  # fmt: skip
    assert report.sent == 2 and len(api.calls_to("sendMessage")) == 2
    ledger.count(kit.per_name([m.text for m in api.sent_to(kit.CHAT)], names), names)

"""SMTP faults through DigestService + EmailDigestSink + EmailSender against a local aiosmtpd server.

Each case: the digest of a period fails while the fault lasts (permanent faults are recorded as
such), is sent exactly once after the fault clears (``send_due`` again), and never twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.smtpserver import SmtpServer
from watcher.errors import DeliveryError
from watcher.notify.channels import EmailDigestSink
from watcher.notify.digest import FIRST_START_KEY, DigestService
from watcher.notify.email import EmailSender
from watcher.store import Store
from watcher.store.schema import DigestRow

if TYPE_CHECKING:
    from tests.reliability.conftest import Kit, Ledger

TO = "analyst@example.org"
CLIENT_TIMEOUT = 1.0  # seconds; a stall of STALL outlasts it (generous: CI machines are busy)
STALL = 3.0
DAY1 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a digest slot (07:00 UTC)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def service(store: Store, smtp: SmtpServer, clock: Callable[[], datetime]) -> DigestService:
    # an instance running since long before: the first-run rule (no catch-up digest) does not apply
    store.set_state(FIRST_START_KEY, datetime(2000, 1, 1, tzinfo=UTC).isoformat())
    sender = EmailSender(smtp.host, smtp.port, starttls=False, timeout=CLIENT_TIMEOUT,
                         from_addr="watcher@example.org")  # fmt: skip
    return DigestService(store=store, sink=EmailDigestSink(sender, [TO]), digest_time=time(7, 0),
                         tz=ZoneInfo("UTC"), owner="rel", clock=clock)  # fmt: skip


def digest_rows(store: Store) -> list[DigestRow]:
    with store.session() as s:
        return list(s.scalars(select(DigestRow).order_by(DigestRow.period_end)))


def bodies(smtp: SmtpServer) -> list[str]:
    """The digests' text parts without the landscape chart, which shows the last 90 days' deals on
    purpose (a deal of an earlier digest there is context, not a second delivery)."""
    out = []
    for captured in smtp.messages:
        text = captured.message.get_body(preferencelist=("plain",))
        assert text is not None
        out.append(re.sub(r"DEALS OF THE LAST \d+ DAYS.*?\r?\n\r?\n", "", text.get_content(), flags=re.S))
    return out


def fail_then_recover(
    store: Store, smtp: SmtpServer, kit: type[Kit], ledger: Ledger, *, permanent: bool, kind: str
) -> None:
    """The shared second half: one failed attempt recorded, then exactly one digest after it clears."""
    t = kit.FakeTime(DAY1 + timedelta(minutes=5))
    names = kit.queue_alerts(store, 3, now=DAY1 - timedelta(hours=3))
    digest = service(store, smtp, t)
    ledger.inject(f"smtp:{kind}")
    with pytest.raises(DeliveryError) as err:
        digest.send_due()
    assert err.value.permanent is permanent, err.value
    (row,) = digest_rows(store)
    assert row.status == "failed" and row.error and row.period_end == DAY1  # recorded, visible in status
    assert smtp.messages == []
    smtp.refuse.clear()  # the fault clears (other faults were one-shot)
    t.advance(minutes=10)
    assert digest.send_due() is True
    assert digest.send_due() is False  # never twice
    t.advance(hours=2)
    assert digest.send_due() is False
    ledger.count(kit.per_name(bodies(smtp), names), names)
    assert len(smtp.messages) == 1
    (row,) = digest_rows(store)
    assert row.status == "sent" and row.attempts == 2


def test_all_recipients_refused_550_is_permanent_and_recorded(
    sqlite_store: Store, smtp: SmtpServer, kit: type[Kit], ledger: Ledger
) -> None:
    smtp.refuse = {TO}
    fail_then_recover(sqlite_store, smtp, kit, ledger, permanent=True, kind="rcpt-550")


def test_message_rejected_554_is_permanent_and_recorded(
    store: Store, smtp: SmtpServer, kit: type[Kit], ledger: Ledger
) -> None:
    smtp.fail("DATA", "554 5.7.1 Message rejected as spam")
    fail_then_recover(store, smtp, kit, ledger, permanent=True, kind="data-554")


def test_421_temporary_failure_is_transient(
    store: Store, smtp: SmtpServer, kit: type[Kit], ledger: Ledger
) -> None:
    smtp.fail("MAIL", "421 4.3.2 Service shutting down, try later")
    fail_then_recover(store, smtp, kit, ledger, permanent=False, kind="mail-421")


def test_disconnect_mid_message_is_transient(
    sqlite_store: Store, smtp: SmtpServer, kit: type[Kit], ledger: Ledger
) -> None:
    smtp.fail("DATA", SmtpServer.DROP)
    fail_then_recover(sqlite_store, smtp, kit, ledger, permanent=False, kind="disconnect")


@pytest.mark.parametrize("stage", ["MAIL", "DATA"])
def test_a_stalled_server_times_out_and_is_transient(
    sqlite_store: Store, smtp: SmtpServer, kit: type[Kit], ledger: Ledger, stage: str
) -> None:
    smtp.fail(stage, SmtpServer.slow(STALL))
    fail_then_recover(sqlite_store, smtp, kit, ledger, permanent=False, kind=f"stall-{stage.lower()}")


def test_a_refused_connection_is_transient(sqlite_store: Store, kit: type[Kit], ledger: Ledger) -> None:
    """The SMTP server is down altogether (nothing listens), then comes up on the same port."""
    down = SmtpServer()  # not started: its port refuses connections
    t = kit.FakeTime(DAY1 + timedelta(minutes=1))
    names = kit.queue_alerts(sqlite_store, 2, now=DAY1 - timedelta(hours=1))
    digest = service(sqlite_store, down, t)
    ledger.inject("smtp:connection-refused")
    with pytest.raises(DeliveryError) as err:
        digest.send_due()
    assert not err.value.permanent and "refused" in str(err.value)
    with down:
        assert digest.send_due() is True and digest.send_due() is False
    ledger.count(kit.per_name(bodies(down), names), names)


def test_a_digest_missed_while_down_goes_out_once_covering_the_whole_gap(
    store: Store, smtp: SmtpServer, kit: type[Kit], ledger: Ledger
) -> None:
    t = kit.FakeTime(DAY1 + timedelta(minutes=1))
    before = kit.queue_alerts(store, 2, now=DAY1 - timedelta(hours=2))  # in day 1's digest
    digest = service(store, smtp, t)
    assert digest.send_due() is True
    # down for three days: each day's slot fails (421), findings keep arriving
    gap: list[str] = []
    for day in (1, 2, 3):
        slot = DAY1 + timedelta(days=day)
        gap += kit.queue_alerts(store, 2, now=slot - timedelta(hours=5), first=10 * day)
        t.now = slot + timedelta(minutes=1)
        if day < 3:
            smtp.fail("MAIL", "421 4.3.2 Service shutting down, try later")
            ledger.inject("smtp:down-421")
            with pytest.raises(DeliveryError):
                digest.send_due()
    # ... and on day 4 the host was asleep past the slot too: back at 09:30, the server works again
    gap += kit.queue_alerts(store, 1, now=DAY1 + timedelta(days=3, hours=2), first=90)
    t.now = DAY1 + timedelta(days=4, hours=2, minutes=30)
    assert digest.send_due() is True
    assert digest.send_due() is False
    first, second = bodies(smtp)
    assert len(smtp.messages) == 2
    ledger.count(kit.per_name([first, second], before + gap), before + gap)  # each finding in one digest
    assert all(name in second for name in gap)  # the catch-up digest covers the whole gap
    sent = [r for r in digest_rows(store) if r.status == "sent"]
    assert [(r.period_start, r.period_end) for r in sent] == [
        (DAY1 - timedelta(hours=24), DAY1),
        (DAY1, DAY1 + timedelta(days=4)),
    ]

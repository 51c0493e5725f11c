"""What the Telegram bot answers: /status, /latest, /digest, /mute, and the alert buttons.

"Confirmed" accepts a flagged finding into the baseline as a new version (the article as
provenance); "Dismiss" marks a false alert, which feeds the evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from watcher.app.queries import list_findings, status_report
from watcher.baseline.confirmed import fact_from_finding
from watcher.baseline.facts import Baseline, dump_facts
from watcher.notify.digest import DigestService
from watcher.store import Store
from watcher.types import Fact

log = logging.getLogger(__name__)


class BotServices(Protocol):
    """What the bot's commands use of a running watcher (:class:`watcher.app.root.Watcher` is one)."""

    @property
    def store(self) -> Store: ...

    @property
    def baseline(self) -> Baseline: ...

    @property
    def digest(self) -> DigestService: ...

    @property
    def owner(self) -> str: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    def accept_fact(self, fact: Fact) -> None: ...


class BotHandler:
    """Implements watcher.notify.telegram_commands.CommandHandler over a running watcher."""

    def __init__(self, w: BotServices) -> None:
        self.w = w

    def status(self) -> str:
        data = status_report(self.w.store, instance=self.w.owner, baseline_version=self.w.baseline.version)
        failing = [f for f in data["feeds"] if f["consecutive_failures"]]
        lines = [
            f"watcher {data['instance']} — baseline {data['baseline_version']}",
            "counts: " + ", ".join(f"{k} {v}" for k, v in data["counts"].items()),
            "deliveries: " + (", ".join(f"{k} {v}" for k, v in data["deliveries"].items()) or "none"),
            f"feeds failing: {len(failing)}",
        ]
        lines += [f"  {f['name']}: {f['last_error']}" for f in failing[:10]]
        if data["muted_until"]:
            lines.append(f"muted until {data['muted_until']}")
        return "\n".join(lines)

    def latest(self, n: int) -> str:
        rows = list_findings(self.w.store, kinds=("new_deal", "contradiction"), limit=max(1, min(n, 20)))
        if not rows:
            return "No flagged findings yet."
        return "\n\n".join(
            f"#{r['id']} {r['kind'].replace('_', ' ').upper()} {' & '.join(r['parties'])}: "
            f"{r['attribute'].replace('_', ' ')} {r['new_value'] or ''}"
            + (f" ({r['deal_status']})" if r["deal_status"] else "")
            + f"\n“{r['evidence']}”\n"
            + "\n".join(f"{s['outlet']}: {s['url']}" for s in r["sources"])
            for r in rows
        )

    def digest(self) -> str:
        _subject, text, _html = self.w.digest.preview()
        return text

    def mute(self, hours: float) -> str:
        until = self.w.clock() + timedelta(hours=hours)
        self.w.store.set_state("mute_until", until.isoformat() if hours > 0 else None)
        return (
            f"Alerts muted until {until:%Y-%m-%d %H:%M} UTC; they are kept and sent after."
            if hours > 0
            else "Alerts unmuted."
        )

    def confirm(self, finding_id: int) -> str:
        record = self.w.store.finding_record(finding_id)
        if record is None:
            return f"No finding #{finding_id}."
        if record.review == "confirmed":  # a second press (or the other of Telegram and the dashboard)
            return f"Finding #{finding_id} is already in the baseline as confirmed-{finding_id}."
        fact = fact_from_finding(finding_id, record.finding, record.url, record.title)
        self.w.store.set_review(finding_id, "confirmed")
        self.w.store.record_baseline_version(
            fact.id, dump_facts([fact]), source="confirmed", note=f"finding {finding_id}"
        )
        self.w.accept_fact(fact)
        log.warning("finding %s confirmed into the baseline as %s", finding_id, fact.id)
        return f"Accepted into the baseline as {fact.id} ({fact.value.display()})."

    def dismiss(self, finding_id: int) -> str:
        if not self.w.store.set_review(finding_id, "dismissed"):
            return f"No finding #{finding_id}."
        return f"Finding #{finding_id} dismissed as a false alert."

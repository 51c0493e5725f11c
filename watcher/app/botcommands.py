"""What the Telegram bot answers: /status, /latest, /digest, /mute, and the alert buttons.

"Confirmed" accepts a flagged finding into the baseline as a new version (the article as
provenance); "Dismiss" marks a false alert, which feeds the evaluation.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import yaml

from watcher.app.queries import list_findings, status_report
from watcher.baseline.facts import Baseline, FactModel, dump_facts
from watcher.differ.attributes import ATTRIBUTES
from watcher.differ.quantities import parse_value
from watcher.store.outbox_ops import finding_from_row
from watcher.store.schema import ArticleRow, BaselineVersionRow, FindingRow
from watcher.types import Fact, Hedge, Provenance, Value, ValueType

if TYPE_CHECKING:
    from watcher.app.root import Watcher

log = logging.getLogger(__name__)


def confirmed_facts(w_store: Any) -> list[Fact]:
    """Facts accepted from alerts, stored as baseline versions with source 'confirmed'."""
    from sqlalchemy import select

    facts: list[Fact] = []
    with w_store.session() as s:
        for row in s.scalars(
            select(BaselineVersionRow)
            .where(BaselineVersionRow.source == "confirmed")
            .order_by(BaselineVersionRow.id)
        ):
            for raw in (yaml.safe_load(row.facts_yaml) or {}).get("facts", []):
                facts.append(FactModel.model_validate(raw).to_fact())
    return facts


def fact_from_finding(finding_id: int, frow: FindingRow, arow: ArticleRow) -> Fact:
    """The fact an analyst confirmed: the finding's parties and value, the article as provenance."""
    f = finding_from_row(frow)
    attribute, expected = f.attribute, ATTRIBUTES.get(f.attribute, (ValueType.STATUS, ""))[0]
    parsed = parse_value(f.new_value or "")
    if parsed is not None and parsed.type == expected:
        value = parsed
    elif expected in (ValueType.STATUS, ValueType.TEXT):
        value = Value(expected, text=f.new_value or "yes")
    else:  # a figure we cannot read back: keep what is certain, that the parties have an agreement
        attribute, value = "cloud_agreement", Value(ValueType.STATUS, text="yes")
    return Fact(
        id=f"confirmed-{finding_id}",
        parties=f.parties,
        attribute=attribute,
        value=value,
        hedge=Hedge.STATED,
        provenance=Provenance(seed=arow.url, sentence=f.evidence),
        note=f"confirmed from an alert: {arow.title}",
    )


class BotHandler:
    """Implements watcher.notify.telegram_commands.CommandHandler over a Watcher."""

    def __init__(self, w: Watcher) -> None:
        self.w = w

    def status(self) -> str:
        data = status_report(self.w)
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
        with self.w.store.session() as s:
            frow = s.get(FindingRow, finding_id)
            if frow is None:
                return f"No finding #{finding_id}."
            if frow.status == "confirmed":  # a second press (or the other of Telegram and the dashboard)
                return f"Finding #{finding_id} is already in the baseline as confirmed-{finding_id}."
            arow = s.get_one(ArticleRow, frow.article_id)
            fact = fact_from_finding(finding_id, frow, arow)
            frow.status = "confirmed"
        self.w.store.record_baseline_version(
            fact.id, dump_facts([fact]), source="confirmed", note=f"finding {finding_id}"
        )
        self.w.baseline = Baseline.from_facts([*self.w.baseline.facts, fact], path=self.w.baseline.path)
        self.w.pipeline.analyser.baseline = self.w.baseline
        log.warning("finding %s confirmed into the baseline as %s", finding_id, fact.id)
        return f"Accepted into the baseline as {fact.id} ({fact.value.display()})."

    def dismiss(self, finding_id: int) -> str:
        with self.w.store.session() as s:
            frow = s.get(FindingRow, finding_id)
            if frow is None:
                return f"No finding #{finding_id}."
            frow.status = "dismissed"
        return f"Finding #{finding_id} dismissed as a false alert."


def start_listener(w: Watcher) -> Any:
    """Starts the Telegram command listener when a bot is configured; returns it (or None)."""
    from watcher.notify.channels import TelegramChannel

    channel = w.channels.get("telegram")
    if not isinstance(channel, TelegramChannel):
        return None
    from watcher.notify.telegram_commands import TelegramCommands

    listener = TelegramCommands(
        channel.sender,
        BotHandler(w),
        w.settings.telegram_chat_ids,
        admin_ids=w.settings.telegram_admin_ids or None,
    )
    listener.start()
    return listener

"""The landscape at a glance: a summary table of items and a bar chart of deals.

Both are plain data the templates draw: the digest's HTML draws the bars as table cells with a
width and a background colour (no script, no image: it shows in common mail clients), its text
part prints the table; the dashboard draws the same bars with CSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from watcher.notify.views import AlertView, attribute_label, kind_label, parties_label
from watcher.types import FindingKind, ValueType

LANDSCAPE_DAYS = 90


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the summary table."""

    kind: str
    label: str
    parties: str
    value: str
    status: str
    sources: int


@dataclass(frozen=True, slots=True)
class Bar:
    """One deal in the chart: its parties, value and how long its bar is (percent of the largest)."""

    label: str
    value: str
    status: str
    day: str
    pct: int
    in_period: bool
    amount: float | None


def usd_amount(value: str | None) -> float | None:
    """Dollars in a finding's display value ('$300 billion' -> 3e11); None for other units."""
    if not value:
        return None
    from watcher.differ.quantities import parse_value

    parsed = parse_value(value)
    if parsed is None or parsed.type != ValueType.USD or parsed.amount is None:
        return None
    return parsed.amount


def summary_rows(views: Sequence[AlertView]) -> list[Row]:
    rows = []
    for v in views:
        f = v.finding
        value = f.new_value or "n/a"
        if f.kind == FindingKind.CONTRADICTION and f.baseline_value:
            value += f" (baseline {f.baseline_value})"
        rows.append(
            Row(
                kind=str(f.kind),
                label=kind_label(f.kind)[1].capitalize(),
                parties=parties_label(f),
                value=f"{attribute_label(f.attribute)}: {value}",
                status=f.status or "",
                sources=v.sources,
            )  # fmt: skip
        )
    return rows


def deal_bars(views: Sequence[AlertView], period_start: datetime, limit: int = 12) -> list[Bar]:
    """The new deals among ``views``, largest first (deals without a dollar value last), at most
    ``limit``; bars in the digest's period are marked."""
    deals = [v for v in views if v.finding.kind == FindingKind.NEW_DEAL]
    priced = [(usd_amount(v.finding.new_value), v) for v in deals]
    priced.sort(key=lambda p: (p[0] is None, -(p[0] or 0.0)))
    top = max((a for a, _ in priced if a), default=0.0)
    bars = []
    for amount, v in priced[:limit]:
        seen = v.all_sources[0].first_seen or period_start
        seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
        bars.append(
            Bar(
                label=parties_label(v.finding),
                value=(v.finding.new_value or "") if amount else "value not stated",
                status=v.finding.status or "",
                day=seen.strftime("%Y-%m-%d"),
                pct=max(2, round(100 * amount / top)) if amount and top else 2,
                in_period=seen >= period_start,
                amount=amount,
            )  # fmt: skip
        )
    return bars


def text_table(rows: Sequence[Row], width: int = 100) -> list[str]:
    """The summary table as fixed-width text lines (for the digest's text part)."""
    head = ("kind", "parties", "value", "status", "sources")
    cells = [head] + [(r.label, r.parties, r.value, r.status or "-", str(r.sources)) for r in rows]
    limits = (14, 34, 40, 20, 7)
    cut = [
        tuple(c if len(c) <= n else c[: n - 1] + "…" for c, n in zip(row, limits, strict=True))
        for row in cells
    ]
    widths = [max(len(row[i]) for row in cut) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cut]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return [line[:width] for line in lines]


def text_bars(bars: Sequence[Bar], width: int = 30) -> list[str]:
    """The chart as text: '#####  OpenAI & Oracle  $300 billion (signed, 2026-11-02) *'."""
    out = []
    label_w = min(34, max((len(b.label) for b in bars), default=0))
    for b in bars:
        blocks = "#" * max(1, round(width * b.pct / 100))
        extra = ", ".join(x for x in (b.status, b.day) if x)
        mark = " *" if b.in_period else ""
        out.append(f"{blocks.ljust(width)}  {b.label[:label_w].ljust(label_w)}  {b.value} ({extra}){mark}")
    return out

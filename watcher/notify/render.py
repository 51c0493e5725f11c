"""Rendering of alerts (Telegram HTML and plain text) and of the daily digest (email).

Everything that comes from an article or a feed (headline, evidence, site, URL, error
text) is untrusted and escaped: Telegram HTML with ``html.escape(quote=False)`` for text
(``&lt; &gt; &amp;``, the entities Telegram expects) and a quoted escape for ``href``;
the email HTML through Jinja2 autoescaping. Links are only made for http(s) URLs.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from watcher.notify.items import Source, StoryItem, status_words
from watcher.notify.landscape import LANDSCAPE_DAYS, deal_bars, summary_rows, text_bars, text_table
from watcher.notify.views import AlertView as AlertView
from watcher.notify.views import attribute_label as attribute_label
from watcher.notify.views import kind_label as kind_label
from watcher.notify.views import parties_label as parties_label
from watcher.types import Finding, FindingKind, Provenance


def view_of_item(item: StoryItem, origin: str | None = None) -> AlertView:
    """The AlertView of a grouped item (the first source gives title and link)."""
    first = item.sources[0]
    return AlertView(
        finding=item.finding,
        title=first.title,
        url=first.url,
        site=first.outlet,
        sources=len(item.sources),
        published=first.published,
        outlets=item.sources,
        origin=origin,
        finding_id=item.id,
    )


class BaselineChange(NamedTuple):
    fact_id: str
    old: str | None
    new: str
    provenance: str | Provenance | None


class FailingFeed(NamedTuple):
    name: str
    url: str
    last_error: str
    since: datetime | None


@dataclass(frozen=True, slots=True)
class DigestView:
    """Everything the daily digest shows; plain tuples are accepted for the two lists of rows."""

    period_start: datetime
    period_end: datetime
    timezone: str
    flagged: list[AlertView]
    confirmations: list[AlertView]
    updates: list[AlertView]
    baseline_changes: list[tuple[str, str | None, str, str | Provenance | None]]
    failing_feeds: list[tuple[str, str, str, datetime | None]]
    generated_at: datetime
    landscape: list[AlertView] = field(default_factory=list)  # new deals of the last 90 days
    feeds_checked: bool = True  # False until some feed was polled: then no "all feeds fetching normally"


# -- bounds on one alert ---------------------------------------------------------------
# A headline or an evidence sentence comes from outside and can be any size (a 600 KB
# headline was seen). Each field is cut to these many characters, with an ellipsis, so an
# alert fits in one Telegram message; the sender caps the parts of one message as a last resort.
FIELD_LIMITS = {
    "title": 300,
    "evidence": 1200,
    "baseline_sentence": 500,
    "explanation": 500,
    "value": 200,
    "party": 120,
    "site": 100,
    "url_text": 300,  # the visible text of a link (the href keeps the whole URL)
    "url": 2048,  # a longer URL is shown cut and not linked
}
MAX_PARTIES = 6
MAX_ALERT_SOURCES = 5  # sources listed in one Telegram alert; the rest are counted ("and 3 more")
MAX_ALERT_PARTS = 3  # Telegram messages one alert or summary may become (the sender cuts the rest)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in '…' when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clip_opt(text: str | None, limit: int) -> str | None:
    return None if text is None else clip(text, limit)


def _bounded_source(s: Source) -> Source:
    lim = FIELD_LIMITS
    return replace(s, outlet=clip(s.outlet, lim["site"]), title=clip(s.title, lim["title"]),
                   evidence=clip(s.evidence, lim["evidence"]))  # fmt: skip


def bounded(view: AlertView) -> AlertView:
    """The view with every outside text field truncated to :data:`FIELD_LIMITS` (each source's too)."""
    f, lim = view.finding, FIELD_LIMITS
    parties = tuple(clip(p, lim["party"]) for p in f.parties[:MAX_PARTIES])
    if len(f.parties) > MAX_PARTIES:
        parties += (f"{len(f.parties) - MAX_PARTIES} more",)
    finding = replace(
        f,
        parties=parties,
        attribute=clip(f.attribute, lim["value"]),
        baseline_fact=_clip_opt(f.baseline_fact, lim["value"]),
        baseline_value=_clip_opt(f.baseline_value, lim["value"]),
        new_value=_clip_opt(f.new_value, lim["value"]),
        evidence=clip(f.evidence, lim["evidence"]),
        explanation=clip(f.explanation, lim["explanation"]),
        baseline_sentence=_clip_opt(f.baseline_sentence, lim["baseline_sentence"]),
        status=_clip_opt(f.status, lim["value"]),
    )
    return replace(
        view,
        finding=finding,
        title=clip(view.title, lim["title"]),
        site=_clip_opt(view.site, lim["site"]),
        outlets=tuple(_bounded_source(s) for s in view.outlets),
        origin=_clip_opt(view.origin, lim["value"]),
    )


# -- small shared helpers ------------------------------------------------------------


def tg_escape(text: str) -> str:
    """Escapes text for Telegram HTML: only ``& < >`` (Telegram's own rules)."""
    return html.escape(text, quote=False)


def safe_url(url: str) -> str | None:
    """The URL if it may become a link (http or https with a host), else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def sources_label(count: int) -> str:
    return _plural(count, "source")


def format_time(moment: datetime | None, tz: ZoneInfo | None = None) -> str | None:
    """'2026-11-02 14:05 UTC' (or in ``tz``); naive datetimes are taken as UTC."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = aware.astimezone(tz or UTC)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def change_line(finding: Finding) -> str:
    """'Stake: 27% (baseline: 49%)' or 'Compute deal: $5 billion · signed' in plain text."""
    line = f"{attribute_label(finding.attribute)}: {finding.new_value or 'n/a'}"
    if finding.kind == FindingKind.CONTRADICTION and finding.baseline_value:
        line += f" (baseline: {finding.baseline_value})"
    status = status_words(finding)
    if status and finding.kind != FindingKind.CONTRADICTION:
        line += f" · {status}"
    return line


def source_line(source: Source, tz: ZoneInfo | None = None) -> str:
    """'x.example · first seen 2026-11-02 14:05 UTC' in plain text."""
    when = format_time(source.first_seen, tz)
    return f"{source.outlet} · first seen {when}" if when else source.outlet


# -- Telegram alerts -----------------------------------------------------------------


def _link_html(url: str, text: str | None = None) -> str:
    href = safe_url(url) if len(url) <= FIELD_LIMITS["url"] else None
    label = tg_escape(clip(text if text is not None else url, FIELD_LIMITS["url_text"]))
    return f'<a href="{html.escape(href, quote=True)}">{label}</a>' if href else label


def _baseline_block(view: AlertView, *, markup: bool) -> list[str]:
    f = view.finding
    if not f.baseline_fact:
        return []
    esc = tg_escape if markup else str
    where = f" (from {view.origin})" if view.origin else ""
    lines = [f"Baseline{esc(where)}: {esc(f.baseline_value or 'n/a')}"]
    if f.baseline_sentence:
        quoted = f"“{esc(f.baseline_sentence)}”"
        lines.append(f"<blockquote>{quoted}</blockquote>" if markup else quoted)
    return ["\n".join(lines)]


def _listed_sources(view: AlertView) -> tuple[tuple[Source, ...], int]:
    """The sources an alert lists (at most :data:`MAX_ALERT_SOURCES`) and how many it only counts."""
    sources = view.all_sources
    return sources[:MAX_ALERT_SOURCES], max(len(sources) - MAX_ALERT_SOURCES, 0)


def _sources_html(view: AlertView) -> str:
    sources, rest = _listed_sources(view)
    head = f"📰 <b>{tg_escape(sources_label(view.count))}</b> · confidence {view.finding.confidence:.2f}"
    lines = [
        f"• {tg_escape(s.outlet)}: {_link_html(s.url, s.title)}"
        + ("" if safe_url(s.url) else f" ({tg_escape(clip(s.url, FIELD_LIMITS['url_text']))})")
        + (f" · {tg_escape(format_time(s.first_seen) or '')}" if s.first_seen else "")
        for s in sources
    ]
    if rest:
        lines.append(f"• and {_plural(rest, 'more source')}")
    return "\n".join([head, *lines])


def _sources_text(view: AlertView) -> str:
    sources, rest = _listed_sources(view)
    head = f"📰 {sources_label(view.count)} · confidence {view.finding.confidence:.2f}"
    lines = [f"• {source_line(s)}\n  {s.title}\n  {clip(s.url, FIELD_LIMITS['url'])}" for s in sources]
    if rest:
        lines.append(f"• and {_plural(rest, 'more source')}")
    return "\n".join([head, *lines])


def render_alert_html(view: AlertView) -> str:
    """One finding as a Telegram message in HTML parse mode: the title is the link (fields bounded,
    see :func:`bounded`; at most :data:`MAX_ALERT_SOURCES` sources listed)."""
    view = bounded(view)
    f = view.finding
    emoji, label = kind_label(f.kind)
    head = f"{emoji} <b>{label}</b>: <b>{tg_escape(parties_label(f))}</b>"
    change = f"{tg_escape(attribute_label(f.attribute))}: <b>{tg_escape(f.new_value or 'n/a')}</b>"
    if f.kind == FindingKind.CONTRADICTION and f.baseline_value:
        change += f" (baseline: <b>{tg_escape(f.baseline_value)}</b>)"
    status = status_words(f)
    if status and f.kind != FindingKind.CONTRADICTION:
        change += f" · {tg_escape(status)}"
    blocks = [f"{head}\n{change}", f"<b>{_link_html(view.url, view.title)}</b>"]
    blocks.append(f"<blockquote>“{tg_escape(view.evidence)}”</blockquote>")
    blocks += _baseline_block(view, markup=True)
    blocks.append(f"<i>{tg_escape(view.why)}</i>")
    blocks.append(_sources_html(view))
    return "\n\n".join(blocks)


def render_alert_text(view: AlertView) -> str:
    """The same alert as plain text (the parse-error fallback and the console)."""
    view = bounded(view)
    f = view.finding
    emoji, label = kind_label(f.kind)
    blocks = [f"{emoji} {label}: {parties_label(f)}\n{change_line(f)}", view.title, f"“{view.evidence}”"]
    blocks += _baseline_block(view, markup=False)
    blocks.append(view.why)
    blocks.append(_sources_text(view))
    return "\n\n".join(blocks)


def _summary_counts(views: Sequence[AlertView]) -> str:
    counts: dict[FindingKind, int] = {}
    for v in views:
        counts[v.finding.kind] = counts.get(v.finding.kind, 0) + 1
    return ", ".join(_plural(n, kind_label(k)[1].lower()) for k, n in counts.items())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def render_summary_html(views: Sequence[AlertView]) -> str:
    """One message for a burst of findings: a line pair per finding, blank-line separated."""
    views = [bounded(v) for v in views]
    head = f"🔔 <b>{len(views)} new findings</b> ({tg_escape(_summary_counts(views))})"
    items = []
    for v in views:
        f = v.finding
        emoji, _ = kind_label(f.kind)
        line = f"{emoji} <b>{tg_escape(parties_label(f))}</b>: {tg_escape(change_line(f))}"
        outlets = tg_escape(", ".join(dict.fromkeys(s.outlet for s in v.all_sources)))
        items.append(f"{line}\n{_link_html(v.url, v.title)} · {outlets}")
    return "\n\n".join([head, *items])


def render_summary_text(views: Sequence[AlertView]) -> str:
    """Plain-text variant of :func:`render_summary_html`."""
    views = [bounded(v) for v in views]
    head = f"🔔 {len(views)} new findings ({_summary_counts(views)})"
    items = [
        f"{kind_label(v.finding.kind)[0]} {parties_label(v.finding)}: {change_line(v.finding)}\n"
        f"{v.title} · {clip(v.url, FIELD_LIMITS['url'])}"
        for v in views
    ]
    return "\n\n".join([head, *items])


# -- the daily digest ----------------------------------------------------------------

_ENV = Environment(
    loader=PackageLoader("watcher.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class _Item:
    """An AlertView flattened for the templates (all strings, already formatted)."""

    kind: str
    emoji: str
    label: str
    parties: str
    attribute: str
    new_value: str
    status: str
    baseline_value: str | None
    baseline_sentence: str | None
    origin: str | None
    evidence: str
    why: str
    title: str
    url: str
    href: str | None
    confidence: str
    sources: list[tuple[str, str, str, str | None, str]]  # outlet, title, url, href, first seen


def _item(view: AlertView, tz: ZoneInfo) -> _Item:
    view = bounded(view)
    f = view.finding
    emoji, label = kind_label(f.kind)
    sources = [(s.outlet, s.title, s.url, safe_url(s.url), format_time(s.first_seen, tz) or "")
               for s in view.all_sources]  # fmt: skip
    return _Item(
        kind=str(f.kind), emoji=emoji, label=label, parties=parties_label(f),
        attribute=attribute_label(f.attribute), new_value=f.new_value or "n/a", status=f.status or "",
        baseline_value=f.baseline_value if f.baseline_fact else None,
        baseline_sentence=f.baseline_sentence if f.baseline_fact else None, origin=view.origin,
        evidence=view.evidence, why=view.why, title=view.title, url=view.url, href=safe_url(view.url),
        confidence=f"{f.confidence:.2f}", sources=sources,
    )  # fmt: skip


def _provenance_text(provenance: str | Provenance | None) -> str:
    if isinstance(provenance, Provenance):
        return f"{provenance.seed}: “{provenance.sentence}”" if provenance.sentence else provenance.seed
    return provenance or ""


def digest_subject(view: DigestView) -> str:
    """'watcher digest 2026-11-02: 1 new deal, 2 contradictions' (or 'nothing new')."""
    day = view.period_end.astimezone(ZoneInfo(view.timezone)).strftime("%Y-%m-%d")
    deals = sum(1 for v in view.flagged if v.finding.kind == FindingKind.NEW_DEAL)
    contradictions = len(view.flagged) - deals
    counts = (
        (deals, "new deal"),
        (contradictions, "contradiction"),
        (len(view.failing_feeds), "failing feed"),
    )
    parts = [_plural(n, noun) for n, noun in counts if n]
    return f"watcher digest {day}: " + (", ".join(parts) if parts else "nothing new")


def _context(view: DigestView) -> dict[str, object]:
    tz = ZoneInfo(view.timezone)
    changes = [BaselineChange(*row) for row in view.baseline_changes]
    feeds = [FailingFeed(*row) for row in view.failing_feeds]
    rows = summary_rows([*view.flagged, *view.confirmations, *view.updates])
    bars = deal_bars(view.landscape or view.flagged, view.period_start)
    return {
        "rows": rows,
        "table_text": text_table(rows),
        "bars": bars,
        "bars_text": text_bars(bars),
        "landscape_days": LANDSCAPE_DAYS,
        "subject": digest_subject(view),
        "period": f"{format_time(view.period_start, tz)} – {format_time(view.period_end, tz)}",
        "generated": format_time(view.generated_at, tz),
        "flagged": [_item(v, tz) for v in view.flagged],
        "confirmations": [_item(v, tz) for v in view.confirmations],
        "updates": [_item(v, tz) for v in view.updates],
        "changes": [(c.fact_id, c.old, c.new, _provenance_text(c.provenance)) for c in changes],
        "feeds": [(f.name, f.url, safe_url(f.url), f.last_error, format_time(f.since, tz)) for f in feeds],
        "feeds_checked": view.feeds_checked,
        "empty": not (view.flagged or view.confirmations or view.updates or view.baseline_changes),
    }


def render_digest(view: DigestView) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the daily digest email."""
    context = _context(view)
    text = _ENV.get_template("digest.txt.j2").render(context)
    markup = _ENV.get_template("digest.html.j2").render(context)
    return str(context["subject"]), text, markup

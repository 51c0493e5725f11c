"""Pipeline commands: run, poll, backfill, rediff, findings, status, demo."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from watcher.cli.base import cli
from watcher.cli.context import opened
from watcher.cli.output import WIDE_OPTION, echo_report


def parse_since(value: str | None) -> datetime | None:
    """'2025-10-01', an ISO time, or a span like '7d' / '12h'."""
    if not value:
        return None
    value = value.strip()
    if value[-1:] in ("d", "h") and value[:-1].isdigit():
        n = int(value[:-1])
        return datetime.now(UTC) - (timedelta(days=n) if value[-1] == "d" else timedelta(hours=n))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use a date (2025-10-01), an ISO time, or a span such as 7d or 12h") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cli.command()
def run() -> None:
    """Run watcher: poll feeds on schedule, send alerts, send the daily digest.

    Polls every WATCHER_POLL_INTERVAL seconds (with jitter), retries deliveries, sends the
    digest at WATCHER_DIGEST_TIME in WATCHER_TIMEZONE (and one missed while watcher was down; none
    for the time before its first start), logs one line per cycle with the next poll time, answers
    Telegram commands from the allowed chats. Stops on SIGTERM or Ctrl-C: fetches in flight are
    cancelled (their feeds are polled again on the next start), other running jobs get 5 seconds.
    """
    from watcher.service.scheduler import run_forever

    with opened() as w:
        run_forever(w)


@cli.command()
@click.option("--once", is_flag=True, required=True, help="One cycle over all due feeds, then exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the cycle report as one JSON object.")
@click.option("--no-deliver", is_flag=True, help="Queue alerts but do not send them now.")
def poll(once: bool, as_json: bool, no_deliver: bool) -> None:
    """Poll the feeds that are due, store findings and deliver alerts.

    Deliveries are retried (429 retry_after, 5xx, time-outs) for up to WATCHER_DELIVERY_DEADLINE
    seconds; what remains stays queued for the next run. Exit code 1 when a feed or an entry failed.
    """
    with opened() as w:
        report, drained = w.poll_once(deliver=not no_deliver)
    if as_json:
        data = report.as_json()
        data["delivered"] = drained.as_json() if drained else None
        click.echo(json.dumps(data, default=str))
    else:
        echo_report(report)
        if drained:
            echo_report(drained, prefix="alerts: ")
    if report.feeds_failed or report.entries_failed:
        raise SystemExit(1)


@cli.command()
@click.option(
    "--dir", "directory", type=click.Path(exists=True, file_okay=False), help="A folder of saved pages."
)
@click.option(
    "--urls", "urls_file", type=click.Path(exists=True, dir_okay=False), help="A file of URLs, one a line."
)
@click.option("--feeds", "from_feeds", is_flag=True, help="Everything the configured feeds still list.")
@click.option("--since", help="Only articles published since (2025-10-01, or 30d).")
@click.option(
    "--alert", is_flag=True, help="Also send instant alerts (default: findings go to the digest only)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def backfill(
    directory: str | None,
    urls_file: str | None,
    from_feeds: bool,
    since: str | None,
    alert: bool,
    as_json: bool,
) -> None:
    """Ingest history from the feeds, a file of URLs or a folder of saved pages.

    Resumable: what was stored is skipped on a second run. Backfilled findings are stored and
    shown in the next digest; --alert sends them as instant alerts too. Saved pages that are
    empty, binary or without article text are not stored; exit code 1 when any failed.
    """
    from watcher.app.backfill import backfill_dir, backfill_feeds, backfill_urls

    if sum(bool(x) for x in (directory, urls_file, from_feeds)) != 1:
        raise click.UsageError("give exactly one of --dir, --urls or --feeds")
    when = parse_since(since)
    with opened() as w:
        if directory:
            report = backfill_dir(w, Path(directory), since=when, alert=alert, progress=not as_json)
        elif urls_file:
            report = backfill_urls(w, Path(urls_file), since=when, alert=alert, progress=not as_json)
        else:
            report = backfill_feeds(w, since=when, alert=alert)
        if alert:
            w.deliver(w.settings.delivery_deadline)
    if as_json:
        click.echo(json.dumps(report.as_json(), default=str))
    else:
        echo_report(report)
    if report.failed:
        raise SystemExit(1)


@cli.command()
@click.option("--alert", is_flag=True, help="Send instant alerts for findings that appear.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per change per line.")
def rediff(alert: bool, as_json: bool) -> None:
    """Re-run the differ over stored articles against the current baseline.

    Reports findings that appear and disappear (e.g. after baseline/facts.yaml was edited).
    """
    from watcher.app.backfill import rediff_all

    with opened() as w:
        changes = rediff_all(w, alert=alert, progress=not as_json)
        if alert:
            w.deliver(w.settings.delivery_deadline)
    for change in changes:
        if as_json:
            click.echo(json.dumps(change, ensure_ascii=False))
        else:
            click.echo(
                f"{change['change']:>9}  {change['kind']:<13} {', '.join(change['parties'])}: "
                f"{change['attribute']} {change['new_value'] or ''}  [{change['url']}]"
            )
    if not as_json:
        appeared = sum(c["change"] == "appeared" for c in changes)
        from watcher.text import plural

        click.echo(f"{plural(appeared, 'finding')} appeared, {len(changes) - appeared} disappeared")


@cli.command()
@click.option(
    "--kind",
    type=click.Choice(["new_deal", "contradiction", "confirmation", "update"]),
    multiple=True,
    help="Only these kinds (repeatable).",
)
@click.option("--since", help="First seen since (2025-10-01, or 7d).")
@click.option("--party", help="Only findings naming this company.")
@click.option("--limit", default=50, show_default=True, help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per finding per line.")
@WIDE_OPTION
def findings(
    kind: tuple[str, ...], since: str | None, party: str | None, limit: int, as_json: bool, wide: bool
) -> None:
    """List stored findings, newest first."""
    from watcher.app.queries import list_findings

    with opened(read_only=True) as w:
        rows = list_findings(w.store, kinds=kind, since=parse_since(since), party=party, limit=limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    from watcher.cli.output import is_terminal, print_table, print_tsv

    if not is_terminal():
        print_tsv(
            ["id", "first_seen_at", "kind", "parties", "attribute", "new_value", "baseline_value", "deal_status",
             "review", "sources", "outlets", "url"],
            [
                [
                    r["id"], _iso(r["first_seen_at"]), r["kind"], ", ".join(r["parties"]), r["attribute"],
                    r["new_value"], r["baseline_value"], r["deal_status"], r["status"], len(r["sources"]),
                    ", ".join(dict.fromkeys(s["outlet"] for s in r["sources"])), r["url"],
                ]
                for r in rows
            ],
        )  # fmt: skip
        return
    from watcher.text import ago, plural

    now = datetime.now(UTC)
    columns: list[tuple[str, int, int | None]] = [
        ("id", 2, None),
        ("seen", 6, None),
        ("kind", 13, None),
        ("parties", 12, 30),
        ("value", 12, 32),
        ("status", 6, 20),
        ("sources", 8, None),
    ]
    table_rows = [
        [
            str(r["id"]),
            ago(r["first_seen_at"], now),
            r["kind"],
            ", ".join(r["parties"]),
            _value_cell(r),
            r["deal_status"] or "",
            f"{len(r['sources'])}: " + ", ".join(dict.fromkeys(s["outlet"] for s in r["sources"])),
        ]
        for r in rows
    ]
    print_table(
        f"{plural(len(rows), 'finding')} (one row per story and fact)", columns, table_rows, wide=wide
    )


def _iso(moment: object) -> str:
    """An ISO 8601 time for tab-separated output ('' for none)."""
    if moment is None:
        return ""
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)


def _value_cell(row: dict[str, Any]) -> str:
    """'stake: 27% (baseline 49%)' for a contradiction, 'compute deal: $5 billion' otherwise."""
    value = f"{row['attribute'].replace('_', ' ')}: {row['new_value'] or 'n/a'}"
    if row["kind"] == "contradiction" and row["baseline_value"]:
        value += f" (baseline {row['baseline_value']})"
    return value


def _feed_state(feed: dict[str, Any]) -> str:
    if not feed["enabled"]:
        return "disabled"
    return "failing" if feed["consecutive_failures"] else "ok"


def _feed_rows(feeds: list[dict[str, Any]], now: datetime) -> list[list[str]]:
    from watcher.text import ago

    return [
        [
            str(f["name"]),
            ago(f["last_success_at"], now) if f["enabled"] else "disabled",
            str(f["consecutive_failures"]),
            ago(f["next_poll_at"], now, never="now"),
            " ".join(str(f["last_error"] or "").split()),
        ]
        for f in feeds
    ]


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print status as one JSON object.")
@click.option("--all", "all_feeds", is_flag=True, help="List every feed, not only the failing ones.")
@WIDE_OPTION
def status(as_json: bool, all_feeds: bool, wide: bool) -> None:
    """Summary (feeds ok and failing, last and next poll, deliveries, last digest), then failing feeds.

    In a pipe: only the feed lines, tab-separated (failing feeds, or every feed with --all); use
    --json for the summary. Before the first poll there is no database: status says so and exits 0
    without creating one.

    A feed that brought more than WATCHER_MAX_NEW_ENTRIES_PER_FEED new entries in one cycle shows
    "N entries deferred": the newest were processed, the rest come in the next cycles (or run
    `watcher backfill --feeds` to take them all now)."""
    from watcher.app.queries import status_report
    from watcher.cli.output import console, is_terminal, print_table, print_tsv
    from watcher.errors import NoDatabaseError
    from watcher.text import ago, plural

    try:
        with opened(read_only=True) as w:
            data = status_report(w.store, instance=w.owner, baseline_version=w.baseline.version)
    except NoDatabaseError as exc:  # a fresh install: an answer, not a failure
        click.echo(json.dumps({"database": None, "message": str(exc)}) if as_json else str(exc))
        return
    if as_json:
        click.echo(json.dumps(data, default=str))
        return
    feeds = data["feeds"]
    if not is_terminal():
        print_tsv(
            ["feed", "state", "last_success_at", "consecutive_failures", "next_poll_at", "entries_deferred",
             "last_error", "url"],
            [
                [
                    f["name"], _feed_state(f), _iso(f["last_success_at"]), f["consecutive_failures"],
                    _iso(f["next_poll_at"]), f.get("entries_deferred") or 0, f["last_error"], f["url"],
                ]
                for f in feeds
                if all_feeds or (f["enabled"] and f["consecutive_failures"])
            ],
        )  # fmt: skip
        return
    now = datetime.now(UTC)
    enabled = [f for f in feeds if f["enabled"]]
    failing = [f for f in enabled if f["consecutive_failures"]]
    polled = [f for f in enabled if f["last_success_at"] or f["consecutive_failures"]]
    last_poll = data["last_poll"]
    last_poll_at = last_poll.get("at") if isinstance(last_poll, dict) else last_poll
    next_polls = [f["next_poll_at"] for f in enabled if f["next_poll_at"]]
    next_poll = ago(min(next_polls), now, never="now") if next_polls else "now"
    counts = data["counts"]
    deliveries = ", ".join(f"{v} {k}" for k, v in sorted(data["deliveries"].items())) or "none"
    lines = [
        f"watcher {data['instance']} · {data['database']} · baseline {data['baseline_version']}",
        f"feeds: {len(enabled) - len(failing)} ok, {len(failing)} failing"
        + (f", {len(feeds) - len(enabled)} disabled" if len(feeds) > len(enabled) else "")
        + ("" if polled else " (none polled yet)"),
        f"last poll: {ago(last_poll_at, now)} · next poll: {next_poll}",
        f"stored: {plural(counts.get('articles', 0), 'article')}, "
        f"{plural(counts.get('findings', 0), 'finding')}",
        f"deliveries: {deliveries} · last digest: {ago(data['last_digest'], now)}",
    ]
    for f in feeds:
        if f.get("entries_deferred"):
            lines.append(f"{f['name']}: {f['entries_deferred']} entries deferred to later cycles")
    if data["muted_until"]:
        lines.append(f"alerts muted until {ago(data['muted_until'], now)}")
    for d in data["failed_deliveries"][:10]:
        lines.append(
            f"  {d['status']} {d['channel']}:{d['target']} (finding {d['finding_id']}): {d['error']}"
        )
    out = console()
    for line in lines:
        out.print(line, markup=False, overflow="ellipsis" if not wide else "fold", no_wrap=not wide)
    shown = feeds if all_feeds else failing
    if shown:
        columns: list[tuple[str, int, int | None]] = [
            ("feed", 10, 30),
            ("last ok", 7, None),
            ("fails", 5, None),
            ("next poll", 9, None),
            ("last error", 10, None),
        ]
        title = "Feeds" if all_feeds else "Failing feeds (--all for every feed)"
        print_table(title, columns, _feed_rows(shown, now), wide=wide)


@cli.command()
@click.option("--keep", is_flag=True, help="Keep the demo database (printed) instead of a temporary one.")
def demo(keep: bool) -> None:
    """Run the whole pipeline on bundled sample data, with no network and no tokens.

    Starts a local web server with sample feeds and pages, polls it once into a temporary
    database, prints the alerts and the digest to the console, and exits.
    """
    from watcher.demo import run_demo

    run_demo(keep=keep)

"""Pipeline commands: run, poll, backfill, rediff, findings, status, demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from watcher.cli import cli
from watcher.config import load_settings


@contextmanager
def opened(**overrides: object) -> Iterator[object]:
    """A Watcher built from settings, closed afterwards."""
    from watcher.app import make_watcher

    w = make_watcher(load_settings(**overrides))
    try:
        yield w
    finally:
        w.close()


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
    digest at WATCHER_DIGEST_TIME in WATCHER_TIMEZONE (and a missed one on start), answers
    Telegram commands from the allowed chats. Stops cleanly on SIGTERM or Ctrl-C.
    """
    from watcher.scheduler import run_forever

    with opened() as w:
        run_forever(w)  # type: ignore[arg-type]


@cli.command()
@click.option("--once", is_flag=True, required=True, help="One cycle over all due feeds, then exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the cycle report as one JSON object.")
@click.option("--no-deliver", is_flag=True, help="Queue alerts but do not send them now.")
def poll(once: bool, as_json: bool, no_deliver: bool) -> None:
    """Poll the feeds that are due, store findings and deliver alerts.

    Deliveries are retried (429 retry_after, 5xx, time-outs) for up to WATCHER_DELIVERY_DEADLINE
    seconds; what remains stays queued for the next run. Exit code 1 when a feed failed.
    """
    from watcher.pipeline import report_lines

    with opened() as w:
        report, drained = w.poll_once(deliver=not no_deliver)  # type: ignore[attr-defined]
    if as_json:
        data = {k: v for k, v in vars(report).items()}
        data["delivered"] = vars(drained) if drained else None
        click.echo(json.dumps(data, default=str))
    else:
        for line in report_lines(report):
            click.echo(line)
        if drained:
            click.echo(
                f"alerts: {drained.sent} sent, {drained.edited} edited, {drained.summarised} in summaries, "
                f"{drained.failed} failed, {drained.pending} pending"
            )
    if report.feeds_failed:
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
    shown in the next digest; --alert sends them as instant alerts too.
    """
    from watcher.backfill import backfill_dir, backfill_feeds, backfill_urls

    if sum(bool(x) for x in (directory, urls_file, from_feeds)) != 1:
        raise click.UsageError("give exactly one of --dir, --urls or --feeds")
    when = parse_since(since)
    with opened() as w:
        if directory:
            report = backfill_dir(w, Path(directory), since=when, alert=alert, progress=not as_json)  # type: ignore[arg-type]
        elif urls_file:
            report = backfill_urls(w, Path(urls_file), since=when, alert=alert, progress=not as_json)  # type: ignore[arg-type]
        else:
            report = backfill_feeds(w, since=when, alert=alert)  # type: ignore[arg-type]
        if alert:
            w.deliver(w.settings.delivery_deadline)  # type: ignore[attr-defined]
    if as_json:
        click.echo(json.dumps(vars(report), default=str))
    else:
        click.echo(
            f"{report.articles} articles stored ({report.skipped} already there, {report.partial} partial), "
            f"{report.findings} findings, {len(report.errors)} errors"
        )
        for err in report.errors[:20]:
            click.echo(f"  error: {err}", err=True)


@cli.command()
@click.option("--alert", is_flag=True, help="Send instant alerts for findings that appear.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per change per line.")
def rediff(alert: bool, as_json: bool) -> None:
    """Re-run the differ over stored articles against the current baseline.

    Reports findings that appear and disappear (e.g. after baseline/facts.yaml was edited).
    """
    from watcher.backfill import rediff_all

    with opened() as w:
        changes = rediff_all(w, alert=alert, progress=not as_json)  # type: ignore[arg-type]
        if alert:
            w.deliver(w.settings.delivery_deadline)  # type: ignore[attr-defined]
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
        click.echo(f"{appeared} findings appeared, {len(changes) - appeared} disappeared")


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
def findings(kind: tuple[str, ...], since: str | None, party: str | None, limit: int, as_json: bool) -> None:
    """List stored findings, newest first."""
    from watcher.queries import list_findings

    with opened() as w:
        rows = list_findings(w.store, kinds=kind, since=parse_since(since), party=party, limit=limit)  # type: ignore[attr-defined]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    table = Table(title=f"{len(rows)} findings (one row per story and fact)")
    for col in ("id", "seen", "kind", "parties", "value", "status", "sources"):
        table.add_column(col, overflow="fold")
    for r in rows:
        value = f"{r['attribute'].replace('_', ' ')}: {r['new_value'] or 'n/a'}"
        if r["kind"] == "contradiction" and r["baseline_value"]:
            value += f" (baseline {r['baseline_value']})"
        sources = "\n".join(f"{s['outlet']}: {s['url']}" for s in r["sources"])
        table.add_row(
            str(r["id"]),
            (r["first_seen_at"] or "")[:16],
            r["kind"].replace("_", " "),
            " & ".join(r["parties"]),
            value,
            r["deal_status"] or "",
            f"{len(r['sources'])}\n{sources}",
        )
    Console().print(table)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print status as one JSON object.")
def status(as_json: bool) -> None:
    """Show feeds (last success, last error, next poll), counts, deliveries and the last digest."""
    from watcher.queries import status_report

    with opened() as w:
        data = status_report(w)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(data, default=str))
        return
    console = Console()
    table = Table(title="Feeds")
    for col in ("feed", "enabled", "last success", "failures", "last error", "next poll"):
        table.add_column(col, overflow="fold")
    for f in data["feeds"]:
        table.add_row(
            f["name"],
            "yes" if f["enabled"] else "no",
            f["last_success_at"] or "never",
            str(f["consecutive_failures"]),
            f["last_error"] or "",
            f["next_poll_at"] or "now",
        )
    console.print(table)
    console.print("counts: " + ", ".join(f"{k} {v}" for k, v in data["counts"].items()))
    console.print("deliveries: " + (", ".join(f"{k} {v}" for k, v in data["deliveries"].items()) or "none"))
    for d in data["failed_deliveries"]:
        console.print(
            f"  [red]{d['status']}[/red] {d['channel']}:{d['target']} (finding {d['finding_id']}): {d['error']}"
        )
    console.print(f"last digest: {data['last_digest'] or 'never'}; last poll: {data['last_poll'] or 'never'}")


@cli.command()
@click.option("--keep", is_flag=True, help="Keep the demo database (printed) instead of a temporary one.")
def demo(keep: bool) -> None:
    """Run the whole pipeline on bundled sample data, with no network and no tokens.

    Starts a local web server with sample feeds and pages, polls it once into a temporary
    database, prints the alerts and the digest to the console, and exits.
    """
    from watcher.demo import run_demo

    run_demo(keep=keep)

"""Alert commands: deliver, digest."""

from __future__ import annotations

import json
from pathlib import Path

import click

from watcher.cli.base import cli
from watcher.cli.context import opened
from watcher.cli.output import echo_report


@cli.command()
@click.option(
    "--deadline",
    type=float,
    help="Seconds to keep retrying transient failures (default WATCHER_DELIVERY_DEADLINE).",
)
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="First re-queue alerts whose send timed out after reaching Telegram (they may arrive twice).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def deliver(deadline: float | None, resend_uncertain: bool, as_json: bool) -> None:
    """Drain the alert outbox: send pending Telegram/console alerts.

    Transient failures (429 with its retry_after, 5xx, time-outs, dropped connections) are
    retried until the deadline; what remains stays queued. Exit code 1 if alerts remain.
    """
    with opened() as w:
        if resend_uncertain:
            requeued = w.store.resend_uncertain(w.clock())
            click.echo(f"{requeued} uncertain alerts queued again", err=True)
        report = w.deliver(w.settings.delivery_deadline if deadline is None else deadline)
    if as_json:
        click.echo(json.dumps(report.as_json(), default=str))
    else:
        echo_report(report)
    if report.pending:
        raise SystemExit(1)


@cli.command()
@click.option("--preview", is_flag=True, help="Print the digest (text part) instead of sending it.")
@click.option(
    "--html", "html_out", type=click.Path(dir_okay=False), help="With --preview: write the HTML part here."
)
@click.option("--send", is_flag=True, help="Send the digest of everything since the previous one, now.")
def digest(preview: bool, html_out: str | None, send: bool) -> None:
    """Build the daily email digest: preview it or send it now.

    The digest covers findings first seen since the previous digest (or the last 24 h). It is
    sent by email when WATCHER_SMTP_HOST and WATCHER_DIGEST_TO are set, else printed.
    """
    if preview == send:
        raise click.UsageError("give one of --preview or --send")
    with opened(read_only=preview) as w:
        if preview:
            subject, text, html = w.digest.preview()
            click.echo(f"Subject: {subject}\n\n{text}")
            if html_out:
                Path(html_out).write_text(html, encoding="utf-8")
                click.echo(f"HTML written to {html_out}", err=True)
            return
        sent = w.digest.send_now()
    click.echo("digest sent" if sent else "nothing sent: this period's digest was already sent")

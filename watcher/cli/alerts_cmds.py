"""Alert commands: deliver, digest."""

from __future__ import annotations

import click

from watcher.cli import cli, not_implemented


@cli.command()
def deliver() -> None:
    """Drain the alert outbox: send pending Telegram/console alerts."""
    not_implemented("deliver")


@cli.command()
@click.option("--preview", is_flag=True, help="Print the digest instead of sending it.")
@click.option("--send", is_flag=True, help="Send the digest now.")
def digest(preview: bool, send: bool) -> None:
    """Build the daily email digest: preview it or send it now."""
    not_implemented("digest")

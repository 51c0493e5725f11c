"""Pipeline commands: run, poll, backfill, rediff, findings, status, demo."""

from __future__ import annotations

import click

from watcher.cli import cli, not_implemented


@cli.command()
def run() -> None:
    """Run watcher: poll feeds on schedule, send alerts, send the daily digest."""
    not_implemented("run")


@cli.command()
@click.option("--once", is_flag=True, help="One cycle over all due feeds, then exit.")
def poll(once: bool) -> None:
    """Poll the feeds that are due, store findings and deliver alerts."""
    not_implemented("poll")


@cli.command()
def backfill() -> None:
    """Ingest history from feeds, a file of URLs or a folder of saved pages."""
    not_implemented("backfill")


@cli.command()
def rediff() -> None:
    """Re-run the differ over stored articles against the current baseline."""
    not_implemented("rediff")


@cli.command()
def findings() -> None:
    """List stored findings."""
    not_implemented("findings")


@cli.command()
def status() -> None:
    """Show feeds, counts, deliveries and the last digest."""
    not_implemented("status")


@cli.command()
def demo() -> None:
    """Run the whole pipeline on bundled sample data, with no network and no tokens."""
    not_implemented("demo")

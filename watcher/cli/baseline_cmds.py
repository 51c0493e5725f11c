"""`watcher baseline`: check, show (and build, with the differ)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from watcher.baseline import check_baseline, load_baseline
from watcher.cli import cli
from watcher.config import load_settings


@cli.group()
def baseline() -> None:
    """The curated baseline facts (baseline/facts.yaml): check, show, build."""


def _paths(file: str | None) -> tuple[Path, Path]:
    settings = load_settings()
    return (Path(file) if file else settings.baseline_file), settings.seeds_dir


@baseline.command("check")
@click.option(
    "--file", "file", type=click.Path(dir_okay=False), help="Fact file (default: WATCHER_BASELINE_FILE)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def baseline_check(file: str | None, as_json: bool) -> None:
    """Validate the fact file: schema, unique ids, provenance sentences present in their seeds.

    In-baseline tensions (two facts on the same parties and attribute with different values)
    are reported but do not fail the check. Exit code 1 when there are problems.
    """
    path, seeds_dir = _paths(file)
    report = check_baseline(path, seeds_dir)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": str(path),
                    "facts": report.facts,
                    "ok": report.ok,
                    "problems": report.problems,
                    "tensions": report.tensions,
                }
            )
        )
    else:
        for problem in report.problems:
            click.echo(f"error: {problem}", err=True)
        for tension in report.tensions:
            click.echo(f"tension: {tension}")
        status = "OK" if report.ok else f"FAILED ({len(report.problems)} problem(s))"
        click.echo(f"{path}: {report.facts} facts, {len(report.tensions)} tension(s): {status}")
    if not report.ok:
        raise SystemExit(1)


@baseline.command("show")
@click.option(
    "--file", "file", type=click.Path(dir_okay=False), help="Fact file (default: WATCHER_BASELINE_FILE)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per fact per line.")
@click.option("--sentences", is_flag=True, help="Also show each fact's seed sentence.")
def baseline_show(file: str | None, as_json: bool, sentences: bool) -> None:
    """Print the baseline facts as a table."""
    path, _ = _paths(file)
    facts = load_baseline(path).facts
    if as_json:
        for f in facts:
            click.echo(
                json.dumps(
                    {
                        "id": f.id,
                        "parties": list(f.parties),
                        "attribute": f.attribute,
                        "value": f.value.display(),
                        "hedge": str(f.hedge),
                        "seed": f.provenance.seed,
                        "sentence": f.provenance.sentence,
                    },
                    ensure_ascii=False,
                )
            )
        return
    table = Table(title=f"Baseline: {path} ({len(facts)} facts)", show_lines=sentences)
    for col in ("id", "parties", "attribute", "value", "hedge", "seed"):
        table.add_column(col, overflow="fold")
    if sentences:
        table.add_column("sentence", overflow="fold")
    for f in facts:
        row = [
            f.id,
            ", ".join(f.parties),
            f.attribute,
            f.value.display(),
            str(f.hedge),
            f.provenance.seed[:12],
        ]
        if sentences:
            row.append(f.provenance.sentence)
        table.add_row(*row)
    Console().print(table)

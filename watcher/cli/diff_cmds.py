"""`watcher diff`: claims of articles compared with the baseline."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.cli.base import EXIT_ERROR, cli
from watcher.errors import WatcherError
from watcher.types import Finding, FindingKind

if TYPE_CHECKING:
    from watcher.baseline.facts import Baseline
    from watcher.differ.entities import EntityIndex
    from watcher.ingest.articles_io import ArticleText

log = logging.getLogger(__name__)

_STYLE = {
    FindingKind.NEW_DEAL: "bold green",
    FindingKind.CONTRADICTION: "bold red",
    FindingKind.UPDATE: "yellow",
    FindingKind.CONFIRMATION: "dim",
}


def _report(console: object, source: str, title: str, findings: list[Finding]) -> None:
    from rich.console import Console
    from rich.markup import escape

    assert isinstance(console, Console)
    console.rule(f"[bold]{escape(source)}[/bold]")
    if title:
        console.print(escape(title), style="italic")
    if not findings:
        console.print("  no claims matched the baseline and no new deals", style="dim")
    for f in sorted(findings, key=lambda f: (f.kind is FindingKind.CONFIRMATION, -f.confidence)):
        parties = ", ".join(f.parties)
        head = f"  [{_STYLE[f.kind]}]{f.kind.value.upper()}[/] {escape(parties)} · {escape(f.attribute)} · {f.confidence:.2f}"
        console.print(head)
        console.print(f"    {escape(f.explanation)}")
        if f.baseline_sentence and f.kind is FindingKind.CONTRADICTION:
            console.print(f"    baseline: {escape(f.baseline_sentence)}", style="dim")
        console.print(f"    evidence: {escape(f.evidence)}", style="dim")


def _explain(
    console: object,
    source: str,
    article: ArticleText,
    baseline: Baseline,
    entities: EntityIndex,
    as_json: bool,
) -> None:
    from watcher.differ.explain import explain_article

    year = article.published.year if article.published else None
    reports = explain_article(
        article.text, baseline, entities, title=article.title, partial=article.partial, reference_year=year
    )
    if as_json:
        for r in reports:
            sys.stdout.write(json.dumps({"source": source, **r.to_json()}, ensure_ascii=False) + "\n")
        return
    from rich.console import Console
    from rich.markup import escape

    assert isinstance(console, Console)
    console.rule(f"[bold]{escape(source)}[/bold]")
    for r in reports:
        console.print(escape(r.text), style="italic")
        named = "; ".join(f"{n} ({role})" for n, role in r.mentions)
        console.print(f"  companies: {escape(named) or '-'}", style="dim")
        for c in r.claims:
            cl = c.claim
            value = cl.value.display() if cl.value else "-"
            flags = ", ".join(sorted(str(n) for n in cl.notes if not str(n).startswith("period:")))
            head = f"  claim: {', '.join(cl.parties) or '(no company)'} · {cl.attribute} · {value} · {cl.hedge.value}"
            console.print(escape(head + (f" [{flags}]" if flags else "")))
            for f in c.findings:
                console.print(
                    f"    -> [{_STYLE[f.kind]}]{f.kind.value}[/] {escape(f.explanation)} ({f.confidence:.2f})"
                )
            if not c.findings:
                console.print(f"    -> no finding: {escape(c.reason)}", style="dim")


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per finding per line, nothing else on stdout."
)
@click.option(
    "--explain",
    is_flag=True,
    help="Per sentence: the companies named and what each is there, the claims read, and why each "
    "made a finding or none (with --json: one object per sentence).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    help="Fact file (default: WATCHER_BASELINE_FILE).",
)
@click.option(
    "--entities",
    "entities_file",
    type=click.Path(dir_okay=False),
    help="Entity list (default: WATCHER_ENTITIES_FILE).",
)
def diff(
    sources: tuple[str, ...],
    as_json: bool,
    explain: bool,
    baseline_file: str | None,
    entities_file: str | None,
) -> None:
    """Compare articles (text files, HTML pages, folders of them, or URLs) with the baseline.

    Folders expand to their .txt/.html files, sorted. With --json, stdout carries exactly one
    JSON object per finding (source, kind, parties, attribute, baseline_fact, baseline_value,
    new_value, evidence, confidence); errors go to stderr and the other inputs continue.
    Exit code 1 when any input failed.
    """
    from watcher.baseline.facts import load_baseline
    from watcher.config import load_settings
    from watcher.differ import diff_article
    from watcher.differ.entities import load_entities
    from watcher.ingest.articles_io import expand_sources, fetcher, read_source

    settings = load_settings()
    baseline = load_baseline(Path(baseline_file) if baseline_file else settings.baseline_file)
    entities = load_entities(Path(entities_file) if entities_file else settings.entities_file)
    console = None
    if not as_json:
        from rich.console import Console

        console = Console(highlight=False)
    failed = 0
    for source in expand_sources(sources):
        try:
            article = read_source(source, fetch=fetcher(settings))
            year = article.published.year if article.published else None
            if explain:
                _explain(console, source, article, baseline, entities, as_json)
                continue
            findings = diff_article(
                article.text,
                baseline,
                entities,
                title=article.title,
                partial=article.partial,
                reference_year=year,
            )
        except WatcherError as exc:
            failed += 1
            click.echo(f"watcher: {source}: {exc}", err=True)
            continue
        if as_json:
            for finding in findings:
                sys.stdout.write(json.dumps(finding.to_json(source), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            _report(console, source, article.title, findings)
    if failed:
        raise SystemExit(EXIT_ERROR)

"""`watcher baseline`: check, show (and build, with the differ)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from watcher.cli.base import cli
from watcher.cli.output import WIDE_OPTION


@cli.group()
def baseline() -> None:
    """The curated baseline facts (baseline/facts.yaml): check, show, build."""


def _paths(file: str | None) -> tuple[Path, Path]:
    from watcher.config import load_settings

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
    from watcher.baseline.facts import check_baseline

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
@click.option("--sentences", is_flag=True, help="Also show each fact's seed sentence (implies --wide).")
@WIDE_OPTION
def baseline_show(file: str | None, as_json: bool, sentences: bool, wide: bool) -> None:
    """Print the baseline facts as a table (tab-separated lines in a pipe)."""
    from watcher.baseline.facts import load_baseline

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
    from watcher.cli.output import is_terminal, print_table, print_tsv
    from watcher.text import plural

    if not is_terminal():
        header = ["id", "parties", "attribute", "value", "hedge", "seed"] + (
            ["sentence"] if sentences else []
        )
        print_tsv(
            header,
            [
                [f.id, ", ".join(f.parties), f.attribute, f.value.display(), str(f.hedge), f.provenance.seed]
                + ([f.provenance.sentence] if sentences else [])
                for f in facts
            ],
        )
        return
    columns: list[tuple[str, int, int | None]] = [
        ("id", 16, None),
        ("parties", 10, 30),
        ("attribute", 10, None),
        ("value", 10, 30),
        ("hedge", 8, None),
        ("seed", 3, None),
    ]
    if sentences:
        columns.append(("sentence", 20, None))
    rows = []
    for f in facts:
        row = [f.id, ", ".join(f.parties), f.attribute, f.value.display(), str(f.hedge), f.provenance.seed]
        if sentences:
            row.append(f.provenance.sentence)
        rows.append(row)
    print_table(f"Baseline: {path} ({plural(len(facts), 'fact')})", columns, rows, wide=wide or sentences)


@baseline.command("build")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="Where to write the draft (default: facts.draft.yaml beside the curated file).",
)
@click.option("--force", is_flag=True, help="Allow writing over the curated fact file.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def baseline_build(out: str | None, force: bool, as_json: bool) -> None:
    """Draft a fact file from the seeds with the claim extractor, and compare it with the curated one.

    The draft has the curated file's format (stable ids from parties and attribute, provenance =
    seed file + exact sentence). It never replaces the curated file (WATCHER_BASELINE_FILE)
    unless --force is given. The report lists facts in both (same parties, attribute and
    value), only in the draft and only in the curated file. Exit code 1 on refusal.
    """
    from watcher.baseline.build import build_draft_from_dir, compare_fact_sets
    from watcher.baseline.facts import dump_facts, load_baseline
    from watcher.config import load_settings
    from watcher.differ.entities import load_entities

    settings = load_settings()
    curated_path = settings.baseline_file
    from watcher.paths import is_shipped

    if out is None and is_shipped(curated_path):
        raise click.UsageError(
            "the baseline in use is the one shipped with watcher: give --out for the draft"
        )
    out_path = Path(out) if out else curated_path.with_name("facts.draft.yaml")
    if out_path.resolve() == curated_path.resolve() and not force:
        click.echo(
            f"watcher: refusing to overwrite the curated baseline {curated_path}; use --out or --force",
            err=True,
        )
        raise SystemExit(1)
    draft = build_draft_from_dir(settings.seeds_dir, load_entities(settings.entities_file))
    curated = load_baseline(curated_path).facts if curated_path.exists() else ()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(
        "# Draft facts from `watcher baseline build`: review before use.\n" + dump_facts(draft),
        encoding="utf-8",
    )
    report = compare_fact_sets(draft, curated)
    if as_json:
        click.echo(
            json.dumps(
                {"out": str(out_path), "draft": len(draft), "curated": len(curated), **report.to_json()},
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"wrote {len(draft)} draft facts to {out_path}")
    click.echo(f"in both: {len(report.both)}")
    for d, c in report.both:
        click.echo(f"  = {d.id} ~ {c.id} ({d.value.display()})")
    click.echo(f"only in the draft: {len(report.only_draft)}")
    for f in report.only_draft:
        click.echo(f"  + {f.id}: {', '.join(f.parties)} · {f.attribute} · {f.value.display()}")
    click.echo(f"only in the curated file: {len(report.only_curated)}")
    for f in report.only_curated:
        click.echo(f"  - {f.id}: {', '.join(f.parties)} · {f.attribute} · {f.value.display()}")

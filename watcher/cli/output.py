"""Tables for a terminal, tab-separated lines for a pipe.

On a terminal: one line a row, cut with an ellipsis to the terminal's width; ``wide=True`` folds
long cells over several lines instead of cutting them (the ``--wide`` flag). When stdout is not a
terminal (a pipe, a file), listing commands print plain tab-separated lines, a header line first,
times as ISO 8601. The global ``--table`` / ``--plain`` options force one or the other.
Rich is imported when a table is printed, not when the CLI starts.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from watcher.reports import Report

WIDE_OPTION = click.option("--wide", is_flag=True, help="Show every cell whole (lines may wrap).")


OUTPUT_MODE_KEY = "watcher.output"  # click context meta: "table", "plain" or absent (decide by stdout)


def is_terminal() -> bool:
    """True when listings should be tables: forced by --table / --plain, else whether stdout is a terminal."""
    ctx = click.get_current_context(silent=True)
    mode = ctx.meta.get(OUTPUT_MODE_KEY) if ctx is not None else None
    if mode is not None:
        return bool(mode == "table")
    return _stdout_is_terminal()


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdout
        return False


def _cell(value: object) -> str:
    """One TSV cell: no tabs or line breaks inside, None as empty."""
    return "" if value is None else " ".join(str(value).replace("\t", " ").splitlines())


def print_tsv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Tab-separated lines for a pipe, the header line first."""
    click.echo("\t".join(header))
    for row in rows:
        click.echo("\t".join(_cell(v) for v in row))


def console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


Column = tuple[str, int, int | None]  # header, narrowest width, widest width (None: as long as the cells)


def fit_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Each column's width: its longest cell (capped at its widest), then, when the row is too long
    for ``width``, the columns that have room above their narrowest give way in proportion."""
    natural = []
    for i, (header, narrowest, widest) in enumerate(columns):
        longest = max([len(header), *(len(r[i]) for r in rows)])
        natural.append(max(min(longest, widest or longest), min(narrowest, longest)))
    gaps = 2 * (len(columns) - 1)  # one space of padding on each side between columns
    excess = sum(natural) + gaps - width
    while excess > 0:
        room = [max(0, w - min(c[1], w)) for w, c in zip(natural, columns, strict=True)]
        total = sum(room)
        if total == 0:
            break
        cut = [min(r, max(1, excess * r // total)) if r else 0 for r in room]
        for i, c in enumerate(cut):
            natural[i] -= c
        excess -= sum(cut)
    return natural


def table(
    title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, wide: bool = False
) -> Any:
    """A rich Table of plain-text cells that fits the console's width (unless ``wide``)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    t = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
        collapse_padding=True,
        show_edge=False,
    )
    widths = fit_widths(columns, rows, console().width)
    for (header, _narrowest, _widest), w in zip(columns, widths, strict=True):
        if wide:
            t.add_column(header, overflow="fold")
        else:
            t.add_column(header, no_wrap=True, overflow="ellipsis", width=w)
    for row in rows:
        t.add_row(*(Text(cell) for cell in row))
    return t


def print_table(
    title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, wide: bool = False
) -> None:
    console().print(table(title, columns, rows, wide=wide))


def echo_report(report: Report, *, prefix: str = "") -> None:
    """Any report (a poll cycle, a drain, a backfill) as text on stdout: its headline, then its problems
    (``--json`` prints :meth:`~watcher.reports.Report.as_json`)."""
    from watcher.reports import report_lines

    for line in report_lines(report, prefix=prefix):
        click.echo(line)

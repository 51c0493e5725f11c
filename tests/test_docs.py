"""The README says what the code does: every command and option of `watcher --help`, and every
`WATCHER_*` setting with its default, are documented; nothing documented is gone from the code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time
from pathlib import Path

import click
import pytest
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from watcher.cli import cli
from watcher.config import PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: variables read outside the settings class (before it exists, or by the logging set-up)
ENV_ONLY = {"WATCHER_CONFIG_FILE", "WATCHER_LOG_FORMAT"}


def section(title: str) -> str:
    """The README's text under a `## title` heading, up to the next heading of that level."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every markdown table row in ``text`` (header and rule rows left out)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[-| :]+\|", line.strip()):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:] if rows else rows


def commands(group: click.Group, prefix: str = "watcher") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


def long_options(command: click.Command) -> list[str]:
    """Every option's spellings that start with -- (both halves of --x/--no-x), --help left out."""
    names = []
    for param in command.params:
        if isinstance(param, click.Option):
            names += [n for n in (*param.opts, *param.secondary_opts) if n.startswith("--") and n != "--help"]
    return names


COMMAND_ROWS = [row for row in table_rows(section("Commands")) if row[0].startswith("`watcher ")]


def row_for(path: str) -> list[str] | None:
    """The command table's row naming ``path`` (`watcher feeds list/add/...` names `watcher feeds add`)."""
    *parents, leaf = path.split()
    for row in COMMAND_ROWS:
        words = row[0].strip("`").split()
        if len(words) < len(parents) + 1 or words[: len(parents)] != parents:
            continue
        if leaf in words[len(parents)].split("/"):
            return row
    return None


ALL_COMMANDS = sorted(commands(cli))


def test_the_command_walk_sees_the_whole_cli() -> None:
    names = [path for path, _ in ALL_COMMANDS]
    assert {"watcher run", "watcher diff", "watcher feeds add", "watcher baseline build"} <= set(names)


@pytest.mark.parametrize(("path", "command"), ALL_COMMANDS, ids=[p for p, _ in ALL_COMMANDS])
def test_every_command_has_a_row_with_its_options(path: str, command: click.Command) -> None:
    row = row_for(path)
    assert row is not None, f"README's command table has no row for `{path}`"
    text = " ".join(row)
    missing = [opt for opt in long_options(command) if not re.search(rf"{re.escape(opt)}(?![\w-])", text)]
    assert not missing, f"`{path}`: options missing from its README row: {', '.join(missing)}"


def test_every_row_names_a_command_that_exists() -> None:
    paths = {path for path, _ in ALL_COMMANDS}
    for row in COMMAND_ROWS:
        words = row[0].strip("`").split()
        group = []
        for word in words[1:]:  # the command's words come first: lower-case, '/' between siblings
            if not re.fullmatch(r"[a-z][a-z/-]*", word):
                break
            group.append(word)
        leaves = group[-1].split("/") if group else []
        named = [" ".join(["watcher", *group[:-1], leaf]) for leaf in leaves]
        assert named and all(n in paths for n in named), f"README row names no command of the CLI: {row[0]}"


def test_the_top_level_options_are_described() -> None:
    text = section("Commands")
    for opt in long_options(cli):
        assert opt in text, f"`watcher {opt}` is not described under ## Commands"


# ---------------------------------------------------------------- settings

SETTING_ROWS = {
    row[0].strip("`"): row for row in table_rows(section("Configuration")) if row[0].startswith("`WATCHER_")
}


def shown_default(field: FieldInfo) -> str | None:
    """How the README writes a field's default, or None where it is computed (a path, the data folder)."""
    if field.default_factory is not None:
        return None
    value = field.default
    if value is None or value == () or value is PydanticUndefined:
        return "(unset)"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, time):
        return f"`{value:%H:%M}`"
    return f"`{value}`"


FIELDS = sorted(Settings.model_fields.items())


@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[n for n, _ in FIELDS])
def test_every_setting_is_in_the_table_with_its_default(name: str, field: FieldInfo) -> None:
    variable = PREFIX + name.upper()
    row = SETTING_ROWS.get(variable)
    assert row is not None, f"README's configuration table has no row for {variable}"
    default = shown_default(field)
    if default is not None:
        assert row[1] == default, f"{variable}: README says the default is {row[1]}, the code says {default}"


def test_every_row_of_the_table_is_a_setting() -> None:
    known = {PREFIX + name.upper() for name in Settings.model_fields} | ENV_ONLY
    assert set(SETTING_ROWS) - known == set(), "README documents settings the code does not have"


def test_every_variable_the_code_reads_is_documented() -> None:
    read = set()
    for path in (ROOT / "watcher").rglob("*.py"):
        read |= set(
            re.findall(r"""environ(?:\.get)?[\[(]\s*["'](WATCHER_[A-Z_]+)""", path.read_text("utf-8"))
        )
        read |= {
            PREFIX + m
            for m in re.findall(r"""PREFIX \+ ["']([A-Z][A-Z_]+)["'](?!\.join)""", path.read_text("utf-8"))
        }
    assert read >= {"WATCHER_CONFIG_FILE"}, "the scan found none of the variables it knows are read"
    assert read - set(SETTING_ROWS) == set(), "variables read by the code but missing from README's table"

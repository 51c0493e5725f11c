"""The CLI frame: every product command exists with help, and unbuilt ones fail honestly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from watcher.cli import cli

COMMANDS = [
    "run",
    "poll",
    "deliver",
    "backfill",
    "diff",
    "rediff",
    "digest",
    "feeds",
    "findings",
    "baseline",
    "db",
    "status",
    "demo",
    "web",
]


def _all_commands(
    group: click.Group = cli, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, (*prefix, name))


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", result.output, re.M), name


@pytest.mark.parametrize("path", [p for p, _ in _all_commands()], ids=lambda p: " ".join(p))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.split("\n\n")[1].strip()) > 10  # a real description


def test_every_command_is_in_readme() -> None:
    readme = Path("README.md").read_text()
    for name in COMMANDS:
        assert f"watcher {name}" in readme, name


def test_secrets_are_not_in_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_TELEGRAM_TOKEN", "99999:TOPSECRETTOKENVALUE")
    for path, _ in _all_commands():
        assert "TOPSECRET" not in CliRunner().invoke(cli, [*path, "--help"]).output


def test_baseline_check_fails_on_a_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "facts.yaml"
    bad.write_text(Path("baseline/facts.yaml").read_text().replace("runs through 2030", "runs through 2099"))
    result = CliRunner().invoke(cli, ["baseline", "check", "--file", str(bad)])
    assert result.exit_code == 1
    assert "msft-openai-partnership-term: sentence not found in seed" in result.output
    ok = CliRunner().invoke(cli, ["baseline", "check"])
    assert ok.exit_code == 0 and "OK" in ok.output


def test_baseline_show_prints_every_fact() -> None:
    result = CliRunner().invoke(cli, ["baseline", "show", "--json"])
    assert result.exit_code == 0
    assert (
        len(result.output.strip().splitlines())
        == len(Path("baseline/facts.yaml").read_text().split("- id:")) - 1
    )


def test_library_errors_become_one_line_and_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = CliRunner().invoke(cli, ["baseline", "show", "--file", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 1 and "watcher: error: cannot read baseline file" in missing.output
    assert "Traceback" not in missing.output
    monkeypatch.setenv("WATCHER_TIMEZONE", "Mars/Olympus")
    bad = CliRunner().invoke(cli, ["status"])
    assert bad.exit_code == 1 and "WATCHER_TIMEZONE" in bad.output


def test_verbose_shows_watchers_debug_lines_not_third_party_ones() -> None:
    import logging

    from watcher.logs import setup_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        result = CliRunner().invoke(cli, ["-v", "feeds", "--help"])
        assert result.exit_code == 0
        assert logging.getLogger("watcher.app.pipeline").isEnabledFor(logging.DEBUG)
        for lib in ("tzlocal", "apscheduler", "httpx", "some.other.library"):
            assert not logging.getLogger(lib).isEnabledFor(logging.INFO), lib
        assert not logging.getLogger("trafilatura").isEnabledFor(logging.ERROR)  # watcher reports extraction
        setup_logging(logging.DEBUG, libraries=logging.DEBUG)  # -vv
        assert logging.getLogger("some.other.library").isEnabledFor(logging.DEBUG)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("watcher").setLevel(logging.NOTSET)


def test_counts_in_output_use_the_right_plural() -> None:
    from watcher.app.pipeline import CycleReport, report_lines
    from watcher.text import article, plural

    line = next(iter(report_lines(CycleReport(feeds_polled=1, entries_new=1, articles=2, findings=1))))
    assert line.startswith("1 feed polled") and "1 new entry," in line and "2 articles" in line
    assert "1 finding," in line and "0 alerts queued" in line
    assert plural(0, "finding") == "0 findings" and article("investment") == "an investment"

"""Tables fit a terminal of 80 columns: one line a row, cut with an ellipsis, times to the minute or
relative, no raw Python values; --wide shows every cell whole."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from watcher.cli import cli

LONG_NAME = "A feed with a really rather long name that goes on and on"


@pytest.fixture(scope="module")
def polled_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database after one poll of the demo site plus a feed that fails with a long error."""
    from watcher.app.root import make_watcher
    from watcher.config import load_settings
    from watcher.demo import serve_site

    tmp = tmp_path_factory.mktemp("tables")
    env = {
        "WATCHER_DATABASE_URL": f"sqlite:///{tmp / 'w.db'}",
        "WATCHER_FEEDS_FILE": str(tmp / "feeds.yaml"),
        "WATCHER_ALLOW_PRIVATE_NETWORKS": "true",
        "WATCHER_DELIVERY_DEADLINE": "0",
    }
    with serve_site() as base:
        (tmp / "feeds.yaml").write_text(
            yaml.safe_dump(
                {
                    "feeds": [
                        {"name": "Demo Tech Daily", "url": f"{base}/feed.xml"},
                        {"name": LONG_NAME, "url": f"{base}/missing/feed/with/a/long/path.xml"},
                    ]
                }
            )
        )
        settings = load_settings(
            database_url=env["WATCHER_DATABASE_URL"],
            feeds_file=Path(env["WATCHER_FEEDS_FILE"]),
            allow_private_networks=True,
            delivery_deadline=0,
        )
        w = make_watcher(settings, stream=open("/dev/null", "w"))  # noqa: SIM115
        try:
            w.poll_once(deliver=False)
        finally:
            w.close()
    return env


def render(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str], *, mode: str = "--table"
) -> list[str]:
    """The command's stdout; CliRunner's stdout is no terminal, so tables are forced with --table."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(cli, ["-q", *([mode] if mode else []), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    "args",
    [["status"], ["status", "--all"], ["findings"], ["baseline", "show"], ["feeds", "list"]],
    ids=" ".join,
)
def test_tables_fit_80_columns(
    monkeypatch: pytest.MonkeyPatch, polled_db: dict[str, str], args: list[str]
) -> None:
    lines = render(monkeypatch, polled_db, args)
    assert lines, "nothing printed"
    too_long = [line for line in lines if len(line) > 80]
    assert not too_long, too_long
    text = "\n".join(lines)
    assert "{" not in text  # no raw dict
    assert not re.search(r"\d{2}:\d{2}:\d{2}", text)  # no seconds, let alone microseconds


def test_status_leads_with_a_summary_and_lists_failing_feeds(
    monkeypatch: pytest.MonkeyPatch, polled_db: dict[str, str]
) -> None:
    lines = render(monkeypatch, polled_db, ["status"])
    assert lines[1].startswith("feeds: 1 ok, 1 failing")
    assert any(line.startswith("A feed with a") and "…" in line for line in lines), lines
    assert not any("Demo Tech Daily" in line for line in lines)  # healthy feeds only with --all
    assert any("Demo Tech Daily" in line for line in render(monkeypatch, polled_db, ["status", "--all"]))


def test_findings_rows_are_one_line_each(monkeypatch: pytest.MonkeyPatch, polled_db: dict[str, str]) -> None:
    lines = render(monkeypatch, polled_db, ["findings"])
    count = int(lines[0].split()[0])
    assert count > 0
    rows = [line for line in lines[1:] if re.match(r"^\s*\d+\s", line)]
    assert len(rows) == count


def test_wide_shows_cells_whole(monkeypatch: pytest.MonkeyPatch, polled_db: dict[str, str]) -> None:
    lines = render(monkeypatch, polled_db, ["status", "--wide"])
    assert LONG_NAME.split()[-1] in "\n".join(lines)


LISTINGS = {  # command -> its header line in a pipe
    "status --all": "feed\tstate\tlast_success_at\tconsecutive_failures\tnext_poll_at\tentries_deferred\tlast_error"
    "\turl",
    "findings": "id\tfirst_seen_at\tkind\tparties\tattribute\tnew_value\tbaseline_value\tdeal_status"
    "\treview\tsources\toutlets\turl",
    "baseline show": "id\tparties\tattribute\tvalue\thedge\tseed",
    "feeds list": "name\tenabled\tinterval\ttags\turl",
}


@pytest.mark.parametrize("command", list(LISTINGS))
def test_a_pipe_gets_tab_separated_lines_with_a_header(
    monkeypatch: pytest.MonkeyPatch, polled_db: dict[str, str], command: str
) -> None:
    lines = render(monkeypatch, polled_db, command.split(), mode="")  # CliRunner's stdout is no terminal
    assert lines[0] == LISTINGS[command]
    width = lines[0].count("\t")
    assert len(lines) > 1 and all(line.count("\t") == width for line in lines), lines
    assert not any("…" in line or "─" in line for line in lines)  # nothing cut, no table rules
    forced = render(monkeypatch, polled_db, ["--plain", *command.split()], mode="")
    assert forced == lines


def test_pipe_lines_are_whole_and_iso_timed(
    monkeypatch: pytest.MonkeyPatch, polled_db: dict[str, str]
) -> None:
    rows = [line.split("\t") for line in render(monkeypatch, polled_db, ["status", "--all"], mode="")[1:]]
    by_name = {r[0]: r for r in rows}
    assert by_name[LONG_NAME][1] == "failing" and by_name["Demo Tech Daily"][1] == "ok"
    assert datetime.fromisoformat(by_name["Demo Tech Daily"][2])  # a timestamp, not "4 min ago"
    failing_only = render(monkeypatch, polled_db, ["status"], mode="")
    assert [line.split("\t")[0] for line in failing_only[1:]] == [LONG_NAME]


def test_a_forced_terminal_gets_tables(monkeypatch: pytest.MonkeyPatch, polled_db: dict[str, str]) -> None:
    """A real terminal (stdout.isatty) gets the table without --table."""
    import watcher.cli.output as output

    monkeypatch.setattr(output, "_stdout_is_terminal", lambda: True)
    for command in LISTINGS:
        lines = render(monkeypatch, polled_db, command.split(), mode="")
        assert lines[0] != LISTINGS[command] and not any("\t" in line for line in lines), command
        assert all(len(line) <= 80 for line in lines)


@pytest.mark.parametrize("command", ["status", "findings", "baseline show", "feeds list"])
def test_every_listing_has_json(
    monkeypatch: pytest.MonkeyPatch, polled_db: dict[str, str], command: str
) -> None:
    import json

    lines = render(monkeypatch, polled_db, [*command.split(), "--json"], mode="")
    assert lines and all(isinstance(json.loads(line), dict) for line in lines)

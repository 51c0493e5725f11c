"""Tables fit a terminal of 80 columns: one line a row, cut with an ellipsis, times to the minute or
relative, no raw Python values; --wide shows every cell whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from watcher.cli import cli

LONG_NAME = "A feed with a really rather long name that goes on and on"


@pytest.fixture(scope="module")
def polled_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database after one poll of the demo site plus a feed that fails with a long error."""
    from watcher.app import make_watcher
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


def render(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str]) -> list[str]:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(cli, ["-q", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    "args", [["status"], ["status", "--all"], ["findings"], ["baseline", "show"]], ids=" ".join
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

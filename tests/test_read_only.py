"""Read-only commands (status, findings, digest --preview, baseline show) never create a database
file or folder: before the first poll they say there is no database yet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli


def invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-q", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh install: the default database in an empty user data folder, no WATCHER_DATABASE_URL."""
    monkeypatch.delenv("WATCHER_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)  # no ./data/watcher.db here
    return tmp_path


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*"))


def test_status_says_there_is_no_database_yet_and_exits_0(fresh: Path) -> None:
    code, out, err = invoke(["status"])
    assert code == 0, err
    db = fresh / "xdg" / "watcher" / "watcher.db"
    assert out.strip() == f"no database yet at {db}; run `watcher poll --once` or `watcher run` first"
    assert files_under(fresh) == []
    code, out, _ = invoke(["status", "--json"])
    data = json.loads(out)
    assert code == 0 and data["database"] is None and str(db) in data["message"]
    assert files_under(fresh) == []


@pytest.mark.parametrize(
    "args", [["findings"], ["findings", "--json"], ["digest", "--preview"]], ids=" ".join
)
def test_findings_and_digest_preview_fail_clearly_without_creating_one(fresh: Path, args: list[str]) -> None:
    code, out, err = invoke(args)
    assert code == 1 and out == ""
    assert err.strip() == (
        f"watcher: error: no database yet at {fresh / 'xdg' / 'watcher' / 'watcher.db'}; "
        "run `watcher poll --once` or `watcher run` first"
    )
    assert files_under(fresh) == []


def test_baseline_show_never_touches_a_database(fresh: Path) -> None:
    code, out, err = invoke(["baseline", "show"])
    assert code == 0, err
    assert out.startswith("id\t")
    assert files_under(fresh) == []


def test_an_explicit_sqlite_url_to_a_missing_file_is_not_created(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{fresh / 'elsewhere.db'}")
    code, out, _ = invoke(["status"])
    assert code == 0 and f"no database yet at {fresh / 'elsewhere.db'}" in out
    assert files_under(fresh) == []


def test_after_a_write_the_read_only_commands_read_it(fresh: Path) -> None:
    code, _, err = invoke(["deliver", "--deadline", "0"])  # a writing command creates the database
    assert code == 0, err
    assert (fresh / "xdg" / "watcher" / "watcher.db").is_file()
    code, out, err = invoke(["status"])
    assert code == 0 and out.startswith("feed\t"), out
    code, out, err = invoke(["findings"])
    assert code == 0 and out.splitlines()[0].startswith("id\t")


def test_a_missing_folder_is_still_an_error_for_read_only_commands(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{fresh / 'typo' / 'w.db'}")
    for args in (["status"], ["findings"]):
        code, out, err = invoke(args)
        assert code == 1 and "does not exist" in err and str(fresh / "typo") in err
    assert files_under(fresh) == []

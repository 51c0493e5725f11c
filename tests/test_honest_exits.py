"""Bad input gets one clear line and a non-zero exit, and nothing half-written: `diff` inputs,
`diff URL` under the settings' HTTP policy, `backfill --dir` with broken pages, database paths and
drivers, a failing demo."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.httpserver import LocalServer, Route
from watcher.cli import cli
from watcher.errors import StorageError

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "watcher" / "demo" / "site" / "term.html").read_text(encoding="utf-8")


def invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "empty.html").write_bytes(b"  \n")
    (tmp_path / "blank.html").write_text("<html><body></body></html>")
    (tmp_path / "no-articles").mkdir()
    (tmp_path / "no-articles" / "notes.md").write_text("not an article")
    return tmp_path


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("binary.txt", "binary content"),
        ("empty.txt", "the file is empty"),
        ("empty.html", "the file is empty"),
        ("blank.html", "no article text found in the page"),
        ("no-articles", "articles in this folder"),
        ("ftp://example.org/article.html", "unsupported URL scheme ftp://"),
        ("missing.txt", "no such file"),
    ],
)
def test_diff_refuses_bad_inputs_with_one_line(
    inputs: Path, monkeypatch: pytest.MonkeyPatch, source: str, reason: str
) -> None:
    monkeypatch.chdir(inputs)
    code, out, err = invoke(["-q", "diff", source])
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"watcher: {source}: ") and reason in lines[0]
    assert lines[0].count(source) == 1  # the path once, not twice


def test_diff_url_uses_the_settings_http_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalServer() as server:
        server.routes["/term.html"] = Route.text(PAGE)
        url = server.url("/term.html")
        code, _out, err = invoke(["-q", "diff", "--json", url])
        assert code == 1 and "private" in err.lower()  # loopback refused by default
        monkeypatch.setenv("WATCHER_ALLOW_PRIVATE_NETWORKS", "true")
        code, out, err = invoke(["-q", "diff", "--json", url])
        assert code == 0, err
        assert '"kind"' in out
        monkeypatch.setenv("WATCHER_MAX_PAGE_BYTES", "1024")  # the page is larger than this cap
        code, out, err = invoke(["-q", "diff", "--json", url])
        assert code == 1 and out == ""


def test_backfill_dir_counts_broken_pages_as_failed_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "good.html").write_text(PAGE)
    (pages / "binary.html").write_bytes(bytes(range(256)) * 8)
    (pages / "empty.html").write_bytes(b"")
    (pages / "blank.html").write_text("<html><body></body></html>")
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    code, out, err = invoke(["-q", "backfill", "--dir", str(pages), "--json"])
    assert code == 1
    import json

    report = json.loads(out)
    assert report["articles"] == 1 and report["failed"] == 3
    assert len(report["errors"]) == 3
    code, out, _err = invoke(["-q", "findings", "--json"])
    assert all("good.html" in line for line in out.splitlines())


def test_sqlite_in_a_missing_folder_is_an_error_not_a_new_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{missing / 'x.db'}")
    code, out, err = invoke(["deliver", "--deadline", "0"])  # a command that writes
    assert code == 1
    assert "does not exist" in err and str(missing) in err
    assert not (tmp_path / "nonexistent").exists()


def test_the_default_data_folder_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    code, _out, err = invoke(["-q", "deliver", "--deadline", "0"])  # a command that writes
    assert code == 0, err
    assert (tmp_path / "xdg" / "watcher" / "watcher.db").is_file()


def test_missing_postgres_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from watcher.store.db import make_engine

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg fails as if not installed
    with pytest.raises(StorageError, match=r"pip install 'watcher-deals\[postgres\]'"):
        make_engine("postgresql+psycopg://u@127.0.0.1:1/db")


def test_a_failed_demo_removes_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    import watcher.app.root
    from watcher.demo import run_demo

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def broken(*_a: object, **_k: object) -> object:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(watcher.app.root, "make_watcher", broken)
    with pytest.raises(RuntimeError):
        run_demo(stream=open("/dev/null", "w"))  # noqa: SIM115
    assert list(tmp_path.iterdir()) == []

"""`watcher feeds ...` on a temporary feeds file (WATCHER_FEEDS_FILE)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.ingest.feeds import import_opml, load_feeds, save_feeds
from watcher.types import FeedSource


@pytest.fixture
def feeds_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "feeds.yaml"
    save_feeds(path, [FeedSource("OpenAI News", "https://openai.com/news/rss.xml", tags=("openai",))])
    monkeypatch.setenv("WATCHER_FEEDS_FILE", str(path))
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_plain_and_json(feeds_file: Path) -> None:
    code, out, _ = run("feeds", "list")
    assert code == 0 and "OpenAI News" in out and "https://openai.com/news/rss.xml" in out
    code, out, _ = run("feeds", "list", "--json")
    assert code == 0
    assert json.loads(out.splitlines()[0]) == {
        "name": "OpenAI News",
        "url": "https://openai.com/news/rss.xml",
        "interval": None,
        "enabled": True,
        "tags": ["openai"],
    }


def test_add_then_remove(feeds_file: Path) -> None:
    code, out, _ = run(
        "feeds",
        "add",
        "Verge AI",
        "https://www.theverge.com/rss/ai-artificial-intelligence/index.xml",
        "--interval",
        "30m",
        "--tag",
        "press",
        "--tag",
        "ai",
    )
    assert code == 0 and "added Verge AI" in out
    added = load_feeds(feeds_file)[-1]
    assert (added.name, added.interval, added.tags) == ("Verge AI", 1800, ("press", "ai"))
    code, out, _ = run("feeds", "remove", "verge ai")
    assert code == 0 and [f.name for f in load_feeds(feeds_file)] == ["OpenAI News"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("feeds", "add", "X", "ftp://x.example/feed"), 2, "http(s) URL"),
        (("feeds", "add", "X", "https://x.example/feed", "--interval", "5"), 2, "at least 60 seconds"),
        (("feeds", "add", "openai news", "https://other.example/feed"), 1, "appears twice"),
        (("feeds", "remove", "Nope"), 1, "no feed named 'Nope'"),
    ],
)
def test_bad_input_exits_cleanly(feeds_file: Path, args: tuple[str, ...], code: int, message: str) -> None:
    exit_code, _, err = run(*args)
    assert exit_code == code and message in err
    assert [f.name for f in load_feeds(feeds_file)] == ["OpenAI News"]


def test_opml_export_then_import_skips_duplicates(feeds_file: Path, tmp_path: Path) -> None:
    opml = tmp_path / "out.opml"
    assert run("feeds", "export-opml", str(opml))[0] == 0
    assert [f.url for f in import_opml(opml.read_bytes())] == ["https://openai.com/news/rss.xml"]
    code, out, _ = run("feeds", "export-opml")
    assert code == 0 and out.startswith("<?xml") and 'xmlUrl="https://openai.com/news/rss.xml"' in out

    other = tmp_path / "other.opml"
    other.write_text(
        '<opml version="2.0"><body><outline text="AI">'
        '<outline type="rss" text="OpenAI News" xmlUrl="https://openai.com/news/rss.xml"/>'
        '<outline type="rss" text="MS Blog" xmlUrl="https://blogs.microsoft.com/feed/"/>'
        "</outline></body></opml>"
    )
    code, out, _ = run("feeds", "import-opml", str(other))
    assert code == 0 and "imported 1 feed into" in out and "1 already present" in out
    assert [(f.name, f.tags) for f in load_feeds(feeds_file)][-1] == ("MS Blog", ("AI",))


def test_import_of_hostile_opml_fails_without_changes(feeds_file: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body>&a;</body></opml>')
    code, _, err = run("feeds", "import-opml", str(bomb))
    assert code == 1 and "not a usable OPML file" in err
    assert len(load_feeds(feeds_file)) == 1


def test_add_creates_a_missing_feeds_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "new" / "feeds.yaml"
    monkeypatch.setenv("WATCHER_FEEDS_FILE", str(path))
    assert run("feeds", "add", "A", "https://a.example/feed")[0] == 0
    assert [f.name for f in load_feeds(path)] == ["A"]


def test_every_feeds_command_has_help() -> None:
    for command in ("list", "add", "remove", "import-opml", "export-opml"):
        code, out, _ = run("feeds", command, "--help")
        assert code == 0 and "Usage:" in out

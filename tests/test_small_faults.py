"""Issue 13 (6): small inputs that used to end in a raw traceback, a leaked password or silence.

Each case ends in one clear error naming what to fix and a non-zero exit (or, for the SMTP
password, works: see tests/test_email.py), and each failed on the code before the fix.
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from watcher.cli import cli
from watcher.config import load_settings
from watcher.errors import ConfigError
from watcher.ingest.feeds import import_opml

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def clean_failure(result: Result, *fragments: str) -> str:
    """The command failed with watcher's one-line error (exit 1), not a traceback."""
    shown = "".join(traceback.format_exception(result.exception)) if result.exception else ""
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, (result.output, shown)
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    return result.output


def test_a_5000_deep_opml_nesting_is_read_without_recursion() -> None:
    depth = 5000
    opml = (
        b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
        + b"".join(b'<outline text="f%d">' % i for i in range(depth))
        + b'<outline text="deep" xmlUrl="https://deep.example/feed.xml"/>'
        + b"</outline>" * depth
        + b'<outline text="flat" xmlUrl="https://flat.example/feed.xml"/></body></opml>'
    )
    feeds = import_opml(opml)
    assert [f.name for f in feeds] == ["deep", "flat"]
    assert feeds[0].tags[:2] == ("f0", "f1") and len(feeds[0].tags) == depth


def test_feeds_import_opml_of_a_deep_nesting_works_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHER_FEEDS_FILE", str(tmp_path / "feeds.yaml"))
    deep = tmp_path / "deep.opml"
    deep.write_bytes(
        b'<opml version="2.0"><body>' + b'<outline text="x">' * 5000
        + b'<outline text="deep" xmlUrl="https://deep.example/feed.xml"/>' + b"</outline>" * 5000 + b"</body></opml>"
    )  # fmt: skip
    result = run("feeds", "import-opml", str(deep))
    assert result.exit_code == 0, result.output
    assert "deep" in (tmp_path / "feeds.yaml").read_text()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WATCHER_HTTP_TIMEOUT", "inf"),
        ("WATCHER_DELIVERY_DEADLINE", "inf"),
        ("WATCHER_DELIVERY_DEADLINE", "nan"),
        ("WATCHER_SMTP_TIMEOUT", "inf"),
        ("WATCHER_EXTRACT_TIMEOUT", "nan"),
        ("WATCHER_ALERT_MIN_CONFIDENCE", "nan"),
        ("WATCHER_HTTP_TIMEOUT", "1e300"),
        ("WATCHER_DELIVERY_DEADLINE", "1e12"),
        ("WATCHER_POLL_INTERVAL", "100000000000000000000"),
    ],
)
def test_non_finite_and_absurd_numbers_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()
    clean_failure(run("status"), variable)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"- poll_interval: 60\n- b\n", "expected a mapping"), (b"poll_interval: 60\n# caf\xe9\n", "not UTF-8")],
    ids=["yaml-list", "latin-1"],
)
def test_a_config_file_that_is_not_a_mapping_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, fragment: str
) -> None:
    path = tmp_path / "watcher.yaml"
    path.write_bytes(content)
    monkeypatch.setenv("WATCHER_CONFIG_FILE", str(path))
    with pytest.raises(ConfigError, match=fragment):
        load_settings()
    clean_failure(run("status"), fragment, str(path))


def test_a_non_utf8_baseline_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "facts.yaml"
    path.write_bytes(Path("baseline/facts.yaml").read_bytes() + b"\n# Caf\xe9\n")
    monkeypatch.setenv("WATCHER_BASELINE_FILE", str(path))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    clean_failure(run("baseline", "check"), "not UTF-8", str(path))
    clean_failure(run("deliver", "--deadline", "0"), "not UTF-8")


@pytest.mark.parametrize("command", [("db", "current"), ("db", "upgrade"), ("deliver", "--deadline", "0")])
@pytest.mark.parametrize("path", ["/proc/watcher-test/w.db", "/proc/self/w.db"])
def test_a_sqlite_path_under_proc_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, path: str, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{path}")
    clean_failure(run(*command), "WATCHER_DATABASE_URL" if "watcher-test" in path else "database")


def test_status_on_a_sqlite_path_under_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read-only: a missing folder is the same clear error, a missing file is "no database yet"."""
    monkeypatch.setenv("WATCHER_DATABASE_URL", "sqlite:////proc/watcher-test/w.db")
    clean_failure(run("status"), "WATCHER_DATABASE_URL", "does not exist")
    monkeypatch.setenv("WATCHER_DATABASE_URL", "sqlite:////proc/self/w.db")
    shown = run("status")
    assert shown.exit_code == 0 and shown.output.startswith("no database yet at /proc/self/w.db")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://watcher:hunter2pw@127.0.0.1:1/watcher",  # nothing listens on port 1
        "postgresql+psycopg://watcher:hunter2pw@127.0.0.1:99999/watcher",  # no such port
        "postgresql+psycopg://watcher:hunter2pw@127.0.0.1/x?sslmode=bogus",
    ],
)
def test_db_current_on_a_bad_postgresql_url_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    for command in (("db", "current"), ("db", "upgrade")):
        out = clean_failure(run(*command), "database")
        assert "hunter2pw" not in out


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_a_missing_or_folder_feeds_file_is_an_error_not_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = tmp_path / ("nope.yaml" if kind == "missing" else "feeds.d")
    if kind == "folder":
        path.mkdir()
    monkeypatch.setenv("WATCHER_FEEDS_FILE", str(path))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    out = clean_failure(run("poll", "--once", "--no-deliver"), "WATCHER_FEEDS_FILE", str(path))
    assert ("folder" if kind == "folder" else "does not exist") in out


def test_a_feed_url_password_is_masked_in_status_and_in_the_stored_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine, text

    url = "http://reader:hunter2pw@127.0.0.1:1/private.xml"  # nothing listens: the fetch fails
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - name: private\n    url: {url}\n")
    db = tmp_path / "w.db"
    monkeypatch.setenv("WATCHER_FEEDS_FILE", str(feeds))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("WATCHER_ALLOW_PRIVATE_NETWORKS", "true")
    poll = run("poll", "--once", "--no-deliver")
    assert isinstance(poll.exception, SystemExit) and "1 failed" in poll.output  # that feed failed, cleanly
    assert "hunter2pw" not in poll.output and "reader:***@127.0.0.1" in poll.output
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored_url, error = conn.execute(text("SELECT url, last_error FROM feeds")).one()
    engine.dispose()
    assert stored_url == url  # kept whole: the fetch needs it
    assert error and "hunter2pw" not in error
    for args in (("status",), ("status", "--json")):
        shown = run(*args)
        assert shown.exit_code == 0, shown.output
        assert "hunter2pw" not in shown.output and "private" in shown.output
    assert "hunter2pw" not in run("feeds", "list").output + run("feeds", "list", "--json").output


def test_mask_url_passwords() -> None:
    from watcher.logs import mask_url_passwords

    assert (
        mask_url_passwords("x https://:pw@h/ y ftp://u:p@h:21/a@b")
        == "x https://:***@h/ y ftp://u:***@h:21/a@b"
    )
    assert mask_url_passwords("http://host:8080/path@x") == "http://host:8080/path@x"  # a port is no password

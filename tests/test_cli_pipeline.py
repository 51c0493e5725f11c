"""The product's commands end to end, as an operator runs them, against local servers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.botapi import BotApiServer
from tests.httpserver import LocalServer, Route
from tests.smtpserver import SmtpServer
from watcher.cli import cli

SITE = Path(__file__).resolve().parents[1] / "watcher" / "demo" / "site"
CHAT = 99


def serve_demo(server: LocalServer) -> None:
    base = server.url("").rstrip("/")
    server.routes["/feed.xml"] = Route.text(
        (SITE / "feed.xml").read_text().replace("{base}", base), "application/rss+xml", etag='"1"'
    )
    for page in SITE.glob("*.html"):
        server.routes[f"/{page.name}"] = Route.text(page.read_bytes())


@pytest.fixture
def env(db_url: str, tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    serve_demo(http_server)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(yaml.safe_dump({"feeds": [{"name": "demo", "url": http_server.url("/feed.xml")}]}))
    for key, value in {
        "DATABASE_URL": db_url,
        "FEEDS_FILE": str(feeds),
        "ALLOW_PRIVATE_NETWORKS": "true",
        "DELIVERY_DEADLINE": "10",
    }.items():
        monkeypatch.setenv(f"WATCHER_{key}", value)
    if db_url.startswith("postgresql"):
        assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def test_demo_runs_offline_and_shows_alerts_and_a_digest() -> None:
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert "NEW DEAL" in result.output and "CONTRADICTION" in result.output
    assert "Demo done: 4 articles" in result.output  # the console-maker item is not fetched (irrelevant)


def test_poll_then_digest_send_deliver_links_over_telegram_and_smtp(
    env: Path, botapi: BotApiServer, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHER_TELEGRAM_TOKEN", botapi.token)
    monkeypatch.setenv("WATCHER_TELEGRAM_CHAT_IDS", str(CHAT))
    monkeypatch.setenv("WATCHER_TELEGRAM_API_URL", botapi.url)
    monkeypatch.setenv("WATCHER_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("WATCHER_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("WATCHER_SMTP_STARTTLS", "false")
    monkeypatch.setenv("WATCHER_DIGEST_TO", "analyst@example.org")
    runner = CliRunner()
    poll = runner.invoke(cli, ["poll", "--once"])
    assert poll.exit_code == 0, poll.output
    texts = [m.raw for m in botapi.sent_to(CHAT)]  # links are titles: the URLs are in the hrefs
    assert any("northwind.html" in t for t in texts) and any("term.html" in t for t in texts)
    sent = runner.invoke(cli, ["digest", "--send"])
    assert sent.exit_code == 0 and "digest sent" in sent.output, sent.output
    (mail,) = smtp_server.messages
    msg = mail.message
    parts = {p.get_content_type(): p.get_content() for p in msg.walk() if not p.is_multipart()}
    assert set(parts) == {"text/plain", "text/html"}
    for page in ("northwind.html", "northwind-syndicated.html", "term.html"):  # every flagged article linked
        assert page in parts["text/html"] and page in parts["text/plain"]
    again = runner.invoke(cli, ["poll", "--once"])
    assert again.exit_code == 0
    assert len(botapi.sent_to(CHAT)) == len(texts)  # nothing sent twice


def test_findings_and_status_json(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["poll", "--once", "--json"]).exit_code == 0
    lines = runner.invoke(cli, ["findings", "--json", "--kind", "contradiction"]).output.strip().splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows and all(r["kind"] == "contradiction" for r in rows)
    assert rows[0]["baseline_fact"] == "msft-openai-partnership-term" and rows[0]["url"].endswith("term.html")
    status = json.loads(runner.invoke(cli, ["status", "--json"]).output)
    assert status["feeds"][0]["name"] == "demo" and status["feeds"][0]["consecutive_failures"] == 0
    assert status["counts"]["articles"] == 4  # the fifth item names no tracked company: not fetched


def test_backfill_dir_shows_progress_and_is_resumable(env: Path) -> None:
    pages = env / "saved"
    shutil.copytree(SITE, pages, ignore=shutil.ignore_patterns("*.xml"))
    runner = CliRunner()
    first = runner.invoke(cli, ["backfill", "--dir", str(pages), "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["articles"] == 5 and report["skipped"] == 0
    second = json.loads(runner.invoke(cli, ["backfill", "--dir", str(pages), "--json"]).output)
    assert second["articles"] == 0 and second["skipped"] == 5
    shown = runner.invoke(cli, ["backfill", "--dir", str(pages)])
    assert "backfill saved" in shown.stderr and "5/5" in shown.stderr  # the progress bar, on stderr


def test_rediff_reports_findings_that_appear_after_a_baseline_edit(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["poll", "--once"]).exit_code == 0
    edited = env / "facts.yaml"
    edited.write_text(
        Path("baseline/facts.yaml").read_text().replace("    value: 2030\n", "    value: 2034\n")
    )
    monkeypatch.setenv("WATCHER_BASELINE_FILE", str(edited))
    out = runner.invoke(cli, ["rediff", "--json"])
    assert out.exit_code == 0, out.output
    changes = [json.loads(line) for line in out.output.strip().splitlines()]
    assert any(c["change"] == "disappeared" and c["kind"] == "contradiction" for c in changes)
    assert any(c["change"] == "appeared" and c["kind"] == "confirmation" for c in changes)


def test_backfill_feeds_takes_what_the_feeds_list_once_and_honours_since(env: Path) -> None:
    runner = CliRunner()
    later = json.loads(runner.invoke(cli, ["backfill", "--feeds", "--since", "2026-11-21", "--json"]).output)
    assert later["articles"] == 3  # the items published on the 21st and 22nd
    first = json.loads(runner.invoke(cli, ["backfill", "--feeds", "--json"]).output)
    assert first["articles"] == 2 and first["skipped"] == 3
    again = json.loads(runner.invoke(cli, ["backfill", "--feeds", "--json"]).output)
    assert again["articles"] == 0 and again["skipped"] == 5

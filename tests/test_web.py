"""The dashboard through Flask's test client: pages, filters, Confirm / Dismiss, CSRF, the token."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from watcher.app.backfill import rediff_all
from watcher.app.queries import confirmed_facts
from watcher.app.root import Watcher, make_watcher
from watcher.errors import ConfigError
from watcher.store.schema import FindingRow
from watcher.web.app import WebServer, create_app
from watcher.web.auth import is_loopback

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def client(dashboard_watcher: Watcher) -> FlaskClient:
    return create_app(dashboard_watcher).test_client()


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


def deal_id(client: FlaskClient) -> int:
    page = client.get("/findings?kind=new_deal").get_data(as_text=True)
    (fid,) = re.findall(r'id="item-(\d+)"', page)
    return int(fid)


def test_findings_are_one_row_per_story_and_fact_with_all_sources_escaped(client: FlaskClient) -> None:
    resp = client.get("/findings")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and len(re.findall(r'id="item-\d+"', page)) == 2
    assert "Wire, test-articles" in page  # both outlets of the syndicated story on one row
    assert "<script>" not in page and "&lt;script&gt;alert(" in page
    assert "script-src" not in resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=new_deal", ["OpenAI &amp; Acme Cloud"]),
        ("kind=contradiction", ["Microsoft &amp; OpenAI"]),
        ("company=acme", ["OpenAI &amp; Acme Cloud"]),
        ("company=microsoft", ["Microsoft &amp; OpenAI"]),
        ("status=signed", ["OpenAI &amp; Acme Cloud"]),
        ("status=in+talks", []),
        ("period=1d", ["OpenAI &amp; Acme Cloud", "Microsoft &amp; OpenAI"]),
    ],
)
def test_filters(client: FlaskClient, query: str, expected: list[str]) -> None:
    page = client.get(f"/findings?{query}").get_data(as_text=True)
    shown = re.findall(r"<b>([^<]+)</b></a>", page)
    assert sorted(shown) == sorted(expected)


def test_a_findings_page_puts_evidence_beside_the_baseline(client: FlaskClient) -> None:
    page = client.get("/findings?kind=contradiction").get_data(as_text=True)
    (fid,) = re.findall(r'id="item-(\d+)"', page)
    page = client.get(f"/findings/{fid}").get_data(as_text=True)
    assert "runs through 2034, four years longer" in page  # the article's sentence
    assert "runs through 2030 with Azure API exclusivity" in page  # the baseline's seed sentence
    assert (
        "The article puts the partnership&#39;s end at 2034; the baseline, from the seed of 2025-10-15, says 2030."
        in page
    )
    assert "msft-openai-partnership-term says" not in page  # no internal ids in the reason
    deal = client.get(f"/findings/{deal_id(client)}").get_data(as_text=True)
    assert deal.count('class="card source"') == 2
    assert (
        "OpenAI signed a $9.7 billion contract with Acme Cloud Ltd" in deal
    )  # the body sentence, not the headline
    assert client.get("/findings/99999").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient, dashboard_watcher: Watcher) -> None:
    fid = deal_id(client)
    assert client.post(f"/findings/{fid}/confirm").status_code == 403
    assert client.post(f"/findings/{fid}/confirm", data={"csrf_token": "forged"}).status_code == 403
    assert confirmed_facts(dashboard_watcher.store) == []


def test_confirm_adds_a_baseline_version_the_next_run_uses(
    client: FlaskClient, dashboard_watcher: Watcher
) -> None:
    fid = deal_id(client)
    token = csrf(client, f"/findings/{fid}")
    resp = client.post(f"/findings/{fid}/confirm", data={"csrf_token": token}, follow_redirects=True)
    assert resp.status_code == 200 and "Accepted into the baseline as confirmed-" in resp.get_data(
        as_text=True
    )
    (fact,) = confirmed_facts(dashboard_watcher.store)
    assert fact.parties == ("OpenAI", "Acme Cloud") and fact.provenance.seed == "https://wire.example/acme"
    again = client.post(f"/findings/{fid}/confirm", data={"csrf_token": token}, follow_redirects=True)
    assert "already in the baseline" in again.get_data(as_text=True)  # a second press adds nothing
    assert len(confirmed_facts(dashboard_watcher.store)) == 1
    assert [f.id for f in dashboard_watcher.baseline.facts].count(fact.id) == 1
    fresh = make_watcher(
        dashboard_watcher.settings, store=dashboard_watcher.store
    )  # what `watcher rediff` builds
    assert fresh.baseline.get(fact.id) is not None
    changes = rediff_all(fresh, progress=False)
    assert any(c["change"] == "appeared" and c["kind"] == "confirmation" and "Acme Cloud" in c["parties"]
               for c in changes), changes  # fmt: skip
    versions = client.get("/baseline").get_data(as_text=True)
    assert "confirmed by the analyst" in versions and "the article" in versions


def test_dismiss_hides_the_item_from_the_open_list(client: FlaskClient) -> None:
    fid = deal_id(client)
    token = csrf(client, f"/findings/{fid}")
    resp = client.post(f"/findings/{fid}/dismiss", data={"csrf_token": token}, follow_redirects=True)
    assert "dismissed as a false alert" in resp.get_data(as_text=True)
    assert f'id="item-{fid}"' not in client.get("/findings").get_data(as_text=True)
    assert f'id="item-{fid}"' in client.get("/findings?review=dismissed").get_data(as_text=True)


def test_baseline_feeds_and_landscape_pages(client: FlaskClient, dashboard_watcher: Watcher) -> None:
    baseline = client.get("/baseline").get_data(as_text=True)
    assert "msft-openai-partnership-term" in baseline and "the curated file" in baseline
    assert "Tensions" in baseline
    feeds = client.get("/feeds").get_data(as_text=True)
    assert "test-articles" in feeds and "disabled" in feeds
    landscape = client.get("/landscape").get_data(as_text=True)
    assert (
        "OpenAI &amp; Acme Cloud" in landscape and "$9.7 billion" in landscape and "width:100%" in landscape
    )
    for page in (baseline, feeds, landscape):
        assert "<script" not in page


def test_with_a_token_a_stranger_gets_401_and_the_owner_gets_in(dashboard_watcher: Watcher) -> None:
    app = create_app(dashboard_watcher, token=TOKEN)
    stranger = app.test_client()
    resp = stranger.get("/findings")
    assert resp.status_code == 401 and 'name="token"' in resp.get_data(as_text=True)
    assert stranger.get("/findings", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert stranger.post("/login", data={"token": "wrong", "next": "/findings"}).status_code == 401
    assert app.test_client().get("/findings", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    owner = app.test_client()
    resp = owner.post("/login", data={"token": TOKEN, "next": "/feeds"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/feeds")
    assert owner.get("/findings").status_code == 200
    assert owner.post("/login", data={"token": TOKEN, "next": "//evil.example/"}).headers["Location"] == "/"


def test_listening_beyond_loopback_needs_a_token(dashboard_watcher: Watcher) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    with pytest.raises(ConfigError, match="WATCHER_WEB_TOKEN"):
        WebServer(dashboard_watcher, "0.0.0.0", 0, None)
    server = WebServer(dashboard_watcher, "127.0.0.1", 0, None)
    server._server.server_close()


def test_a_stranger_gets_401_from_the_served_dashboard(dashboard_watcher: Watcher) -> None:
    import httpx

    server = WebServer(dashboard_watcher, "127.0.0.1", 0, TOKEN).start()
    try:
        assert httpx.get(server.url + "findings").status_code == 401
        assert httpx.post(server.url + "findings/1/dismiss").status_code == 401
        owner = httpx.get(server.url + "findings", headers={"Authorization": f"Bearer {TOKEN}"})
        assert owner.status_code == 200 and "OpenAI &amp; Acme Cloud" in owner.text
    finally:
        server.shutdown()
    with dashboard_watcher.store.session() as s:
        assert {row.status for row in s.scalars(select(FindingRow))} == {"active"}


def test_the_cli_loads_flask_only_for_the_web_command() -> None:
    code = "import sys, watcher.cli; assert 'flask' not in sys.modules, 'flask imported at start-up'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_busy_port_leaves_run_without_a_dashboard_not_dead(dashboard_watcher: Watcher, caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    import socket
    from dataclasses import replace

    from watcher.web.app import start_web

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        w = replace(
            dashboard_watcher, settings=dashboard_watcher.settings.model_copy(update={"web_port": port})
        )
        assert start_web(w) is None
    assert any("dashboard not started" in r.getMessage() for r in caplog.records)
    assert start_web(replace(w, settings=w.settings.model_copy(update={"web_port": 0}))) is None  # 0 = off

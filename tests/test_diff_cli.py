"""`watcher diff`: the --json contract, folders, HTML, errors (own example articles)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FIELDS = [
    "source",
    "kind",
    "parties",
    "attribute",
    "baseline_fact",
    "baseline_value",
    "new_value",
    "evidence",
    "confidence",
    "status",
]
DEAL = "Zeta Grid signs deal\nPublished: 2026-02-01\n\nOpenAI signed a $9.7bn contract with Australia's Acme Cloud Ltd on Monday.\n"
TERM = (
    "Rights extended\nPublished: 2026-02-02\n\nMicrosoft's rights to OpenAI's models now run through 2034.\n"
)
HTML = (
    "<html><head><title>Acme deal</title></head><body><nav><a href='/'>Home</a></nav><article><h1>Acme deal</h1>"
    "<p>OpenAI agreed to buy US$4 billion of computing capacity from Borealis Data Centers over five years, the companies said.</p>"
    "<p>The companies did not disclose further terms of the arrangement, which starts next year.</p></article>"
    "<div class='comments'><p>Reader: I bet Microsoft signs a $90bn deal with Quasar Systems next.</p></div></body></html>"
)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text(DEAL)
    (tmp_path / "b.txt").write_text(TERM)
    (tmp_path / "c.html").write_text(HTML)
    (tmp_path / "notes.md").write_text("ignored")
    return tmp_path


def invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["diff", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_json_lines_contract(corpus: Path) -> None:
    code, out, _ = invoke([str(corpus / "a.txt"), str(corpus / "b.txt"), "--json"])
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and all(list(r) == FIELDS for r in rows)
    kinds = {(r["source"], r["kind"]) for r in rows}
    assert (str(corpus / "a.txt"), "new_deal") in kinds and (str(corpus / "b.txt"), "contradiction") in kinds
    term = next(r for r in rows if r["kind"] == "contradiction")
    assert term["baseline_value"] == "2030" and term["new_value"] == "2034" and term["baseline_fact"]


def test_folder_expands_sorted_and_html_drops_comments(corpus: Path) -> None:
    code, out, _ = invoke([str(corpus), "--json"])
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    sources = [r["source"] for r in rows]
    assert sources == sorted(sources)
    assert not any(s.endswith("notes.md") for s in sources)
    html_flags = [r for r in rows if r["source"].endswith("c.html") and r["kind"] == "new_deal"]
    assert [set(r["parties"]) for r in html_flags] == [{"OpenAI", "Borealis Data Centers"}]


def test_one_bad_input_does_not_stop_the_rest(corpus: Path) -> None:
    code, out, err = invoke([str(corpus / "missing.txt"), str(corpus / "a.txt"), "--json"])
    assert code == 1
    assert "missing.txt" in err
    assert all(json.loads(line)["source"].endswith("a.txt") for line in out.splitlines())


def test_readable_report(corpus: Path) -> None:
    code, out, _ = invoke([str(corpus / "b.txt")])
    assert code == 0
    assert "CONTRADICTION" in out and "2034" in out

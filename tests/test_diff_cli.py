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


EXPLAINED = (
    "Acme deal\nPublished: 2026-02-01\n\n"
    "Microsoft signed a $2bn contract with Quasar Cloud for capacity built on Nvidia's processors.\n"
    "In 2019 Microsoft invested $1 billion in OpenAI.\n"
)


def test_explain_says_what_each_company_is_and_why_each_claim_made_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "e.txt"
    path.write_text(EXPLAINED)
    code, out, _ = invoke([str(path), "--explain", "--json"])
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    roles = {m["name"]: m["role"] for m in first["mentions"]}
    assert roles == {"Microsoft": "organisation", "Quasar Cloud": "organisation", "Nvidia": "product maker"}
    (deal,) = [c for c in first["claims"] if c["attribute"] == "compute_deal"]
    assert set(deal["parties"]) == {"Microsoft", "Quasar Cloud"}
    assert deal["findings"] and deal["findings"][0].startswith("new_deal")
    (old,) = second["claims"]
    assert old["history"] is True and old["findings"] == [] and old["reason"]


def test_explain_in_words_fits_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "e.txt"
    path.write_text(EXPLAINED)
    code, out, _ = invoke([str(path), "--explain"])
    assert code == 0
    assert "product maker" in out and "no finding" in out
    assert max(len(line) for line in out.splitlines()) <= 80

"""`watcher baseline build`: a draft from seeds (our own sentences), never over the curated file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.baseline.build import compare_fact_sets, draft_facts, fact_id
from watcher.baseline.seeds import load_seeds
from watcher.cli import cli
from watcher.differ.entities import load_entities

ROOT = Path(__file__).resolve().parents[1]
SEED_TEXT = (
    "Acme news\n\nMicrosoft has invested over $13 billion in OpenAI. "
    "OpenAI signed a $9.7bn contract with Zeta Cloud Ltd on Monday. "
    "OpenAI is projected to become profitable in 2029.\n"
)
CURATED = """version: 1
facts:
  - id: ms-oa-invest
    parties: [Microsoft, OpenAI]
    attribute: investment
    unit: usd
    value: 13_000_000_000
    qualifier: over
    hedge: stated
    seed: s1.txt
    sentence: "Microsoft has invested over $13 billion in OpenAI."
  - id: oa-spend
    parties: [OpenAI]
    attribute: spending
    unit: usd
    value: 115_000_000_000
    seed: s1.txt
    sentence: "Microsoft has invested over $13 billion in OpenAI."
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "s1.txt").write_text(SEED_TEXT, encoding="utf-8")
    (seeds / "s1.meta.yaml").write_text("title: Acme news\npublished: 2026-01-05\n", encoding="utf-8")
    (tmp_path / "facts.yaml").write_text(CURATED, encoding="utf-8")
    monkeypatch.setenv("WATCHER_SEEDS_DIR", str(seeds))
    monkeypatch.setenv("WATCHER_BASELINE_FILE", str(tmp_path / "facts.yaml"))
    monkeypatch.setenv("WATCHER_ENTITIES_FILE", str(ROOT / "config" / "entities.yaml"))
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["baseline", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_draft_facts_have_ids_and_exact_provenance(project: Path) -> None:
    seeds = load_seeds(project / "seeds")
    facts = draft_facts(seeds, load_entities(ROOT / "config" / "entities.yaml"))
    by_attr = {f.attribute: f for f in facts}
    assert by_attr["investment"].id == fact_id(("Microsoft", "OpenAI"), "investment")
    assert by_attr["compute_deal"].parties == ("OpenAI", "Zeta Cloud")
    assert all(seeds[f.provenance.seed].contains(f.provenance.sentence) for f in facts)
    assert len({f.id for f in facts}) == len(facts)


def test_build_writes_a_draft_that_validates(project: Path) -> None:
    out = project / "draft.yaml"
    code, stdout, _ = invoke("build", "--out", str(out), "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report["out"] == str(out) and report["draft"] >= 3
    code, _, _ = invoke("check", "--file", str(out))
    assert code == 0


def test_report_lists_differences(project: Path) -> None:
    code, stdout, _ = invoke("build", "--out", str(project / "draft.yaml"), "--json")
    report = json.loads(stdout)
    assert report["both"] == [{"draft": "microsoft-openai-investment", "curated": "ms-oa-invest"}]
    assert {f["attribute"] for f in report["only_draft"]} >= {"compute_deal", "profitability"}
    assert [f["id"] for f in report["only_curated"]] == ["oa-spend"]
    code, text, _ = invoke("build", "--out", str(project / "draft.yaml"))
    assert "only in the curated file: 1" in text and "oa-spend" in text


def test_refuses_to_overwrite_curated_file_without_force(project: Path) -> None:
    curated = project / "facts.yaml"
    code, stdout, stderr = invoke("build", "--out", str(curated))
    assert code == 1 and "refusing" in stderr and stdout == ""
    assert curated.read_text(encoding="utf-8") == CURATED
    code, _, _ = invoke("build", "--out", str(curated), "--force")
    assert code == 0 and curated.read_text(encoding="utf-8") != CURATED


def test_compare_is_symmetric_in_counts(project: Path) -> None:
    facts = draft_facts(load_seeds(project / "seeds"), load_entities(ROOT / "config" / "entities.yaml"))
    report = compare_fact_sets(facts, facts)
    assert len(report.both) == len(facts) and not report.only_draft and not report.only_curated


def test_the_real_seeds_draft_at_least_24_curated_facts_with_at_most_5_extras() -> None:
    """Text nobody here wrote: the reader's draft of the two seeds against the curated baseline
    (the goal: at least 24 of the 30 with at most 5 extras)."""
    from watcher.baseline.build import build_draft_from_dir
    from watcher.baseline.facts import load_baseline

    entities = load_entities(ROOT / "config" / "entities.yaml")
    draft = build_draft_from_dir(ROOT / "seeds", entities)
    report = compare_fact_sets(draft, load_baseline(ROOT / "baseline" / "facts.yaml").facts)
    assert len(report.both) >= 24, [f.id for f in report.only_curated]
    assert len(report.only_draft) <= 5, [f.id for f in report.only_draft]

"""Regression tests of the differ on our own corpora.

``heldout_like`` and ``heldout_like2`` were written alongside the first reader's rules, and
``corpus3`` was scored once before any rule was changed for it (its first-contact figure is in
docs/differ.md): all three are regression tests now, not evidence of how the reader does on
unseen text. Scored with the shared scorer when present, else with a greedy copy of its matching."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from watcher.baseline.facts import load_baseline
from watcher.differ import diff_article
from watcher.differ.entities import load_entities
from watcher.ingest.articles_io import expand_sources, read_source
from watcher.types import FLAG_KINDS

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "heldout_like"
CORPUS2 = ROOT / "tests" / "data" / "heldout_like2"
CORPUS3 = ROOT / "tests" / "data" / "corpus3"
CORPUS4 = ROOT / "tests" / "data" / "corpus4"
CORPUS5 = ROOT / "tests" / "data" / "corpus5"
CORPUS6 = ROOT / "tests" / "data" / "corpus6"
SCORER = ROOT.parent / "shared" / "eval" / "score.py"


def _findings(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    baseline = load_baseline(ROOT / "baseline" / "facts.yaml")
    entities = load_entities(ROOT / "config" / "entities.yaml")
    rows: list[dict[str, Any]] = []
    for source in expand_sources([str(corpus / "articles")]):
        a = read_source(source)
        year = a.published.year if a.published else None
        for f in diff_article(
            a.text, baseline, entities, title=a.title, partial=a.partial, reference_year=year
        ):
            rows.append(f.to_json(source))
    return rows


def _scorer() -> ModuleType | None:
    if not SCORER.is_file():
        return None
    spec = importlib.util.spec_from_file_location("watcher_eval_score", SCORER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _minimal_f1(labels: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> float:
    """Greedy version of the scorer's matching (parties as sets, keywords in the text)."""
    matched = fp = expected = 0
    for aid, label in labels.items():
        flags = [r for r in rows if Path(str(r["source"])).stem == aid and r["kind"] in FLAG_KINDS]
        expected += len(label["expect"])
        used: set[int] = set()
        for item in label["expect"] + label["allow"]:
            for i, r in enumerate(flags):
                text = " ".join(
                    str(r[k]) for k in ("attribute", "baseline_value", "new_value", "evidence")
                ).lower()
                if i in used or r["kind"] != item["kind"] or not set(item["parties"]) <= set(r["parties"]):
                    continue
                if item.get("keywords") and not any(k.lower() in text for k in item["keywords"]):
                    continue
                used.add(i)
                matched += item in label["expect"]
                break
        fp += len(flags) - len(used)
    p = matched / (matched + fp) if matched + fp else 1.0
    recall = matched / expected if expected else 1.0
    return 2 * p * recall / (p + recall) if p + recall else 0.0


@pytest.mark.parametrize("corpus", [CORPUS, CORPUS2], ids=["heldout_like", "heldout_like2"])
def test_heldout_like_corpus_scores_well(tmp_path: Path, corpus: Path) -> None:
    rows = _findings(corpus)
    scorer = _scorer()
    if scorer is None:
        labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
        assert _minimal_f1(labels, rows) >= 0.8
        return
    out = tmp_path / "findings.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    _, totals = scorer.score(scorer.load_labels(corpus), scorer.load_findings(out))
    assert totals["f1"] >= 0.8, totals
    assert totals["article_recall"] >= 0.8, totals


@pytest.mark.parametrize(
    ("corpus", "floor", "recall", "fallback"),
    [
        (CORPUS3, 0.85, 0.95, 0.8),
        (CORPUS4, 0.75, 0.75, 0.7),
        (CORPUS5, 0.75, 0.65, 0.7),
        (CORPUS6, 0.75, 0.7, 0.75),
    ],
    ids=["corpus3", "corpus4", "corpus5", "corpus6"],
)
def test_blind_corpora_do_not_regress(
    tmp_path: Path, corpus: Path, floor: float, recall: float, fallback: float
) -> None:
    """Our corpora written blind (corpus3: 44 articles in styles neither dev corpus has; corpus4: 20
    written after the reader was built; corpus5: 30 in formats none of the others has; corpus6: 30 in
    other genres: transcripts, threads, filings, translations) at the alert threshold. First contact:
    F1 0.57, 0.65, 0.35 and 0.74 (article recall 0.74, 0.80, 0.36 and 0.77); the floors are what the
    reader reaches now, less a margin."""
    rows = [r for r in _findings(corpus) if float(r["confidence"]) >= 0.5]
    scorer = _scorer()
    if scorer is None:
        labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
        assert _minimal_f1(labels, rows) >= fallback
        return
    out = tmp_path / "findings.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    _, totals = scorer.score(scorer.load_labels(corpus), scorer.load_findings(out))
    assert totals["f1"] >= floor, totals
    assert totals["article_recall"] >= recall, totals


@pytest.mark.parametrize("aid", ["h07", "h08", "h10"])
def test_restatements_denials_rumours_history_are_silent(aid: str) -> None:
    flags = [r for r in _findings() if Path(str(r["source"])).stem == aid and r["kind"] in FLAG_KINDS]
    assert flags == []


@pytest.mark.parametrize("aid", ["k10", "k11", "k12", "k15"])
def test_second_corpus_restatements_rumours_and_unrelated_news_are_silent(aid: str) -> None:
    rows = _findings(CORPUS2)
    flags = [r for r in rows if Path(str(r["source"])).stem == aid and r["kind"] in FLAG_KINDS]
    assert flags == []


@pytest.mark.parametrize(
    ("aid", "fact"), [("k02", "openai-profitability-year"), ("k03", "stargate-project-value")]
)
def test_second_corpus_contradictions_through_descriptions_and_projects(aid: str, fact: str) -> None:
    rows = _findings(CORPUS2)
    found = [r for r in rows if Path(str(r["source"])).stem == aid and r["kind"] == "contradiction"]
    assert [r["baseline_fact"] for r in found] == [fact]


SHARED = ROOT.parent / "shared" / "corpus"


@pytest.mark.parametrize("name", ["dev", "dev2"])
def test_the_shared_dev_corpora_score_at_least_095(tmp_path: Path, name: str) -> None:
    """The team's labelled dev corpora (read in place, never copied): F1 >= 0.95 over all flags and
    over those that alert, article recall 1.0 at the alert threshold."""
    corpus = SHARED / name
    scorer = _scorer()
    if scorer is None or not (corpus / "labels.json").is_file():
        pytest.skip(f"{corpus} or the shared scorer is absent (a user's clone has no ../shared)")
    rows = _findings(corpus)
    out = tmp_path / "findings.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    labels = scorer.load_labels(corpus)
    _, every = scorer.score(labels, scorer.load_findings(out))
    _, alerted = scorer.score(labels, scorer.load_findings(out, min_confidence=0.5))
    assert every["f1"] >= 0.95, every
    assert alerted["f1"] >= 0.95 and alerted["article_recall"] == 1.0, alerted

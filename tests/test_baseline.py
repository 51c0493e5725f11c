from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from watcher.baseline.facts import check_baseline, dump_facts, find_tensions, load_baseline, parse_facts
from watcher.baseline.seeds import load_seeds
from watcher.errors import BaselineError

FACTS = Path("baseline/facts.yaml")
SEEDS = Path("seeds")


def test_curated_baseline_passes_the_check() -> None:
    report = check_baseline(FACTS, SEEDS)
    assert report.ok, report.problems
    assert 25 <= report.facts <= 32


def test_every_provenance_sentence_is_in_its_seed() -> None:
    seeds = load_seeds(SEEDS)
    for fact in load_baseline(FACTS).facts:
        seed = seeds[fact.provenance.seed]
        assert fact.provenance.sentence in seed.text, fact.id


def test_seeds_have_sidecars_marking_them_baseline_sources() -> None:
    seeds = load_seeds(SEEDS)
    assert len(seeds) == 2
    for seed in seeds.values():
        assert seed.title and seed.published is not None
        assert "baseline source" in seed.note.lower()


def test_deal_facts_are_present() -> None:
    b = load_baseline(FACTS)
    pairs = {(frozenset(f.parties), f.attribute) for f in b.facts}
    for parties, attribute in [
        ({"OpenAI", "Oracle"}, "compute_deal"),
        ({"OpenAI", "CoreWeave"}, "compute_deal"),
        ({"Microsoft", "Nebius"}, "compute_deal"),
        ({"Microsoft", "OpenAI"}, "investment"),
        ({"Microsoft", "OpenAI"}, "partnership_term"),
        ({"Microsoft", "OpenAI"}, "exclusivity"),
        ({"Nvidia", "OpenAI"}, "investment"),
    ]:
        assert (frozenset(parties), attribute) in pairs


def test_tensions_are_reported_not_hidden() -> None:
    report = check_baseline(FACTS, SEEDS)
    assert any(
        "msft-openai-investment-total" in t and "since-2019" in t and "compatible" in t
        for t in report.tensions
    )


def _broken(tmp_path: Path, mutate: Callable[[list[dict[str, Any]]], None]) -> Path:
    data = yaml.safe_load(FACTS.read_text())
    mutate(data["facts"])
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000))
    return path


def test_sentence_not_in_seed_fails_with_fact_id(tmp_path: Path) -> None:
    def mutate(facts: list[dict[str, Any]]) -> None:
        facts[3]["sentence"] = "Microsoft bought the Moon for $1."

    report = check_baseline(_broken(tmp_path, mutate), SEEDS)
    assert not report.ok
    assert any("oracle-major-cloud-contracts" in p and "sentence not found" in p for p in report.problems)


def test_duplicate_id_fails_with_both_lines(tmp_path: Path) -> None:
    def mutate(facts: list[dict[str, Any]]) -> None:
        facts[5]["id"] = facts[0]["id"]

    _, problems = parse_facts(_broken(tmp_path, mutate))
    assert len(problems) == 1 and "duplicate id" in problems[0] and "first at line" in problems[0]


def test_schema_error_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(
        "version: 1\nfacts:\n  - id: ok-one\n    parties: [A]\n    attribute: stake\n    unit: percent\n"
        "    value: 27\n    seed: s.txt\n    sentence: x\n"
        "  - id: bad-one\n    parties: [A, B]\n    attribute: investment\n    unit: usd\n"
        "    value: lots\n    seed: s.txt\n    sentence: y\n"
        "  - id: extra-one\n    parties: [A]\n    attribute: stake\n    unit: percent\n"
        "    value: 1\n    seed: s.txt\n    sentence: z\n    colour: blue\n"
    )
    _, problems = parse_facts(path)
    text = "\n".join(problems)
    assert f"{path}:24: extra-one: colour: Extra inputs" in text  # unknown field, at its own line
    assert "bad-one" in text and "needs a number" in text
    assert "ok-one" not in text


def test_unknown_attribute_and_wrong_unit(tmp_path: Path) -> None:
    def mutate(facts: list[dict[str, Any]]) -> None:
        facts[0]["attribute"] = "vibes"
        facts[1]["unit"] = "usd"

    _, problems = parse_facts(_broken(tmp_path, mutate))
    assert any("unknown attribute 'vibes'" in p for p in problems)
    assert any("takes unit gw" in p for p in problems)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text("version: 1\nfacts:\n  - id: [unclosed\n")
    with pytest.raises(BaselineError, match=r"facts.yaml:\d+: not valid YAML"):
        load_baseline(path)


def test_missing_seed_file_is_reported(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "003_b0919efdfb13f3fe.txt").unlink()
    report = check_baseline(FACTS, seeds)
    assert any("seed '003_b0919efdfb13f3fe.txt' not found" in p for p in report.problems)


def test_dump_round_trips(tmp_path: Path) -> None:
    b = load_baseline(FACTS)
    path = tmp_path / "again.yaml"
    path.write_text(dump_facts(b.facts))
    assert load_baseline(path).facts == b.facts


def test_tension_between_incompatible_values() -> None:
    from watcher.types import Fact, Hedge, Provenance, Qualifier, Value, ValueType

    def fact(i: str, amount: float, q: Qualifier) -> Fact:
        return Fact(
            i,
            ("A", "B"),
            "investment",
            Value(ValueType.USD, amount, qualifier=q),
            Hedge.STATED,
            Provenance("s", "x"),
        )

    (t,) = find_tensions([fact("a", 5e9, Qualifier.UP_TO), fact("b", 6e9, Qualifier.OVER)])
    assert "INCOMPATIBLE" in t

from __future__ import annotations

from watcher.differ.consolidate import consolidate, name_variants
from watcher.types import Finding, FindingKind


def f(*parties: str, value: str = "$5 billion", kind: FindingKind = FindingKind.NEW_DEAL) -> Finding:
    return Finding(kind, parties, "compute_deal", None, None, value, "e", 0.9, "x")


def test_short_unknown_names_map_to_the_longer_form() -> None:
    assert name_variants(["Acme", "Acme Cloud", "OpenAI", "Acme Cloud Services"], frozenset({"OpenAI"})) == {
        "Acme": "Acme Cloud Services",
        "Acme Cloud": "Acme Cloud Services",
    }


def test_known_names_are_never_remapped() -> None:
    assert name_variants(["Meta", "Meta Platforms Europe"], frozenset({"Meta"})) == {}


def test_the_same_deal_under_two_names_becomes_one_finding() -> None:
    """One new deal per pair of companies: the first (the differ orders the strongest first)."""
    out = consolidate(
        [f("OpenAI", "Acme"), f("OpenAI", "Acme Cloud"), f("OpenAI", "Acme Cloud", value="$6 billion")],
        frozenset({"OpenAI"}),
    )
    assert [(x.parties, x.new_value) for x in out] == [(("OpenAI", "Acme Cloud"), "$5 billion")]


def test_unrelated_names_sharing_a_first_word_stay_apart() -> None:
    out = consolidate([f("OpenAI", "Blue Owl"), f("OpenAI", "Bluebird")], frozenset({"OpenAI"}))
    assert len(out) == 2

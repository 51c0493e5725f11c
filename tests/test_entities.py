"""Entity list loading, aliases and recognition of unlisted companies (own example sentences)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher.differ.entities import EntityIndex, build_index, load_entities
from watcher.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[1] / "config" / "entities.yaml"


@pytest.fixture(scope="module")
def index() -> EntityIndex:
    return load_entities(CONFIG)


def names(index: EntityIndex, text: str) -> list[str]:
    return [m.name for m in index.find_mentions(text)]


def test_aliases_canonicalise(index: EntityIndex) -> None:
    assert names(index, "Amazon Web Services and AWS") == ["Amazon", "Amazon"]
    assert names(index, "the ChatGPT maker and Redmond") == ["OpenAI", "Microsoft"]
    assert names(index, "Microsoft's Azure") == ["Microsoft", "Microsoft"]
    assert index.tracked == {"Microsoft", "OpenAI"}


def test_hyphenated_compound_names_the_company(index: EntityIndex) -> None:
    assert names(index, "OpenAI-designed accelerators") == ["OpenAI"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vexa signed a $9.7bn contract with Australia's Acme Cloud Ltd.", "Acme Cloud"),
        ("On Monday, data-centre operator Borealis announced a lease.", "Borealis"),
        ("The lab struck a deal with Foo Systems to supply chips.", "Foo Systems"),
        ("Tylenol maker Kenvue agreed the terms.", "Kenvue"),
        ("Orbital Data Centers will build the site.", "Orbital Data Centers"),
    ],
)
def test_unlisted_companies(index: EntityIndex, text: str, expected: str) -> None:
    assert expected in names(index, text)


def test_subject_before_deal_verb(index: EntityIndex) -> None:
    found = names(index, "Lumen Grid, the utility, agreed on Monday to buy Solara.")
    assert "Lumen Grid" in found and "Solara" in found


@pytest.mark.parametrize(
    "text",
    [
        '"It is a trade," said Dana Whitfield, who covers software at the bank.',
        "SEATTLE, Nov 3 - Shares rose on Monday.",
        "In January the company said nothing.",
        "It chose British AI group Nscale.",
    ],
)
def test_not_companies(index: EntityIndex, text: str) -> None:
    found = names(index, text)
    assert all(n not in found for n in ("Dana Whitfield", "SEATTLE", "January", "In", "British"))


def test_person_context(index: EntityIndex) -> None:
    text = "The firm struck a deal with Jane Roe said the filing."
    (m,) = [m for m in index.find_unknown(text) if m.name == "Jane Roe"]
    assert index.is_person_context(text, m)


@given(st.sampled_from(["Microsoft Corporation", "AWS", "Acme Cloud Ltd", "Foo Systems Inc", "Nvidia"]))
def test_canonical_is_idempotent(name: str) -> None:
    index = build_index(
        {
            "entities": {
                "Microsoft": {"aliases": ["Microsoft Corporation"]},
                "Amazon": {"aliases": ["AWS"]},
                "Nvidia": None,
            }
        }
    )
    once = index.canonical(name)
    assert index.canonical(once) == once


def test_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "e.yaml"
    bad.write_text("entities: [1, 2]\n")
    with pytest.raises(ConfigError):
        load_entities(bad)
    with pytest.raises(ConfigError):
        load_entities(tmp_path / "missing.yaml")

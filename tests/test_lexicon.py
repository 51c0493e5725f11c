"""Every entry of the differ's lexicon (watcher/differ/lexicon.yaml) matches its own example
sentences, as Duckling tests its rules: an entry that stops matching what it was written for, or
an entry without an example, fails here."""

from __future__ import annotations

import re

import pytest

from watcher.differ import lexicon as lx

ENTRIES = [
    (section, entry["pattern"], example)
    for section, entries in lx.SECTIONS.items()
    for entry in entries
    for example in (entry.get("examples") or [entry.get("example", "")])
]


def test_every_entry_has_an_example() -> None:
    missing = [
        (section, e["pattern"])
        for section, entries in lx.SECTIONS.items()
        for e in entries
        if not (e.get("example") or e.get("examples"))
    ]
    assert missing == []


@pytest.mark.parametrize(("section", "pattern", "example"), ENTRIES, ids=lambda v: str(v)[:40])
def test_entry_matches_its_example(section: str, pattern: str, example: str) -> None:
    folded = lx.fold(example)
    assert re.search(r"\b(?:" + pattern + r")\b", folded), (section, pattern, example)
    assert re.search(lx.section_pattern(section), folded)


def test_no_entry_names_a_company_or_a_figure() -> None:
    """Lexicons hold general language: no capitalised names, no digits outside repetition counts."""
    for entries in lx.SECTIONS.values():
        for e in entries:
            body = re.sub(r"\{\d+(?:,\d+)?\}|\\.", "", e["pattern"])  # repetition counts, escapes
            assert not re.search(r"\d", body), e["pattern"]
            assert body == body.lower(), e["pattern"]

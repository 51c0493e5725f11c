"""`watcher baseline build`: a draft fact set from the seed documents, and how it differs from
the curated one.

The draft runs the same claim extractor as `watcher diff` over every seed, keeps the claims
whose attribute the baseline knows, and gives each fact a stable id from its parties and
attribute, with the seed file and the exact sentence as provenance. Pure apart from
:func:`build_draft_from_dir`, which reads the seeds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from watcher.baseline.seeds import Seed, load_seeds
from watcher.differ.attributes import ATTRIBUTES
from watcher.differ.claims import extract_claims
from watcher.differ.entities import EntityIndex
from watcher.differ.quantities import compare
from watcher.types import Claim, Fact, Provenance, ValueType


@dataclass(frozen=True, slots=True)
class BuildReport:
    """How a draft fact set differs from the curated one (matched by parties, attribute, value)."""

    both: tuple[tuple[Fact, Fact], ...]  # (draft fact, curated fact)
    only_draft: tuple[Fact, ...]
    only_curated: tuple[Fact, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "both": [{"draft": d.id, "curated": c.id} for d, c in self.both],
            "only_draft": [_fact_json(f) for f in self.only_draft],
            "only_curated": [_fact_json(f) for f in self.only_curated],
        }


def _fact_json(f: Fact) -> dict[str, object]:
    return {"id": f.id, "parties": list(f.parties), "attribute": f.attribute, "value": f.value.display()}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def fact_id(parties: Iterable[str], attribute: str) -> str:
    """A stable id: the parties in order of mention, then the attribute ("microsoft-openai-investment")."""
    return "-".join([_slug(p) for p in parties] + [_slug(attribute)])


def _usable(claim: Claim) -> bool:
    if claim.value is None or not claim.parties or claim.attribute not in ATTRIBUTES:
        return False
    return claim.value.type is ATTRIBUTES[claim.attribute][0]


def _same(a: Fact, b: Fact) -> bool:
    """Same parties (as a set), same attribute and agreeing values (a status word the same word)."""
    if a.value.type in (ValueType.STATUS, ValueType.TEXT):
        agree = a.value.text == b.value.text
    else:
        agree = a.value == b.value or compare(a.value, b.value) is True
    return a.attribute == b.attribute and frozenset(a.parties) == frozenset(b.parties) and agree


def _identical(a: Fact, b: Fact) -> bool:
    """The same statement twice in one seed: same parties, attribute and value ("over $13bn" and
    "over $10bn" are two statements, though compatible; two seeds stating one fact are two facts)."""
    return (
        a.provenance.seed == b.provenance.seed
        and a.attribute == b.attribute
        and frozenset(a.parties) == frozenset(b.parties)
        and a.value == b.value
    )


def draft_facts(seeds: Mapping[str, Seed], entities: EntityIndex) -> list[Fact]:
    """One fact per distinct (parties, attribute, value) the seeds state, in seed and text order."""
    facts: list[Fact] = []
    used: dict[str, int] = {}
    for name, seed in sorted(seeds.items()):
        year = seed.published.year if seed.published else None
        for claim in extract_claims(seed.text, entities, reference_year=year):
            if not _usable(claim) or claim.value is None:
                continue
            parties = claim.frame if len(claim.frame) > 2 else claim.parties  # one fact per deal frame
            base = fact_id(parties, claim.attribute)
            candidate = Fact(
                base,
                parties,
                claim.attribute,
                claim.value,
                claim.hedge,
                Provenance(name, claim.evidence),
            )
            if any(_identical(candidate, f) for f in facts):
                continue
            used[base] = used.get(base, 0) + 1
            fid = base if used[base] == 1 else f"{base}-{used[base]}"
            facts.append(Fact(fid, parties, claim.attribute, claim.value, claim.hedge, candidate.provenance))
    return facts


def compare_fact_sets(draft: Iterable[Fact], curated: Iterable[Fact]) -> BuildReport:
    """Pairs each draft fact with the first unmatched curated fact it agrees with."""
    curated_left = list(curated)
    both: list[tuple[Fact, Fact]] = []
    only_draft: list[Fact] = []
    for fact in draft:
        match = next((c for c in curated_left if _same(fact, c)), None)
        if match is None:
            only_draft.append(fact)
        else:
            curated_left.remove(match)
            both.append((fact, match))
    return BuildReport(tuple(both), tuple(only_draft), tuple(curated_left))


def build_draft_from_dir(seeds_dir: Path, entities: EntityIndex) -> list[Fact]:
    """Reads the seeds folder and drafts its facts."""
    return draft_facts(load_seeds(seeds_dir), entities)

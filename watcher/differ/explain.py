"""Why the differ made, or did not make, each finding: a per-sentence account of an article.

For every sentence the reader looked at: the companies it names and what each is there (a party,
a person, a product's maker, a source ...), the claims read from it (parties, attribute, value,
how firmly it is said) and, for each claim, the finding it made or the reason it made none.
Pure: no I/O; `watcher diff --explain` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.differ.context import Context
from watcher.differ.entities import EntityIndex
from watcher.differ.match import HasFacts, why_no_finding
from watcher.differ.reader import analyse
from watcher.types import Claim, Finding


@dataclass(frozen=True, slots=True)
class ClaimReport:
    claim: Claim
    findings: tuple[Finding, ...]
    reason: str  # why no finding, when ``findings`` is empty

    def to_json(self) -> dict[str, object]:
        c = self.claim
        return {
            "parties": list(c.parties),
            "attribute": c.attribute,
            "value": c.value.display() if c.value else None,
            "hedge": c.hedge.value,
            "flags": sorted(str(n) for n in c.notes),
            "history": c.historical,
            "findings": [f"{f.kind.value}: {f.explanation}" for f in self.findings],
            "reason": self.reason or None,
        }


@dataclass(frozen=True, slots=True)
class SentenceReport:
    text: str
    mentions: tuple[tuple[str, str], ...]  # (company, what it is in the sentence)
    claims: tuple[ClaimReport, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "sentence": self.text,
            "mentions": [{"name": n, "role": r} for n, r in self.mentions],
            "claims": [c.to_json() for c in self.claims],
        }


def explain_article(
    text: str,
    baseline: HasFacts,
    entities: EntityIndex,
    *,
    title: str = "",
    partial: bool = False,
    reference_year: int | None = None,
) -> list[SentenceReport]:
    """The account of every sentence that names a company, in text order."""
    trace: list[Context] = []
    result = analyse(
        text, baseline, entities, title=title, partial=partial, reference_year=reference_year, trace=trace
    )
    claims, findings = result.claims, list(result.findings)
    reports = []
    for ctx in trace:
        mine = [c for c in claims if c.evidence == ctx.text]
        reports.append(
            SentenceReport(
                ctx.text,
                tuple((t.name, t.role.value) for t in ctx.typed),
                tuple(_claim_report(c, findings, baseline, partial) for c in mine),
            )
        )
    return reports


def _claim_report(claim: Claim, findings: list[Finding], baseline: HasFacts, partial: bool) -> ClaimReport:
    made = tuple(
        f
        for f in findings
        if f.evidence == claim.evidence
        and f.attribute == claim.attribute
        and (not claim.parties or set(f.parties) & set(claim.parties))
        and f.new_value == (claim.value.display() if claim.value else None)
    )
    return ClaimReport(claim, made, "" if made else why_no_finding(claim, baseline, partial=partial))

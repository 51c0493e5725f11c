"""The one entry point of the differ: an article's text -> its claims and findings.

`watcher diff`, the pipeline, `rediff` and `baseline build` all read through here, so a
finding means the same thing wherever it is shown. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.differ.claims import extract_claims
from watcher.differ.consolidate import consolidate
from watcher.differ.context import Context
from watcher.differ.entities import EntityIndex
from watcher.differ.match import DEFAULT_TRACKED, HasFacts, diff_claims
from watcher.types import Claim, Finding


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the differ made of one article."""

    claims: tuple[Claim, ...]
    findings: tuple[Finding, ...]


def analyse(
    text: str,
    baseline: HasFacts,
    entities: EntityIndex,
    *,
    title: str = "",
    partial: bool = False,
    reference_year: int | None = None,
    trace: list[Context] | None = None,
) -> Analysis:
    """Claims and findings of one article. ``title`` is the headline, ``reference_year`` the
    publication year (it tells history from news); a partial article (a paywall stub) never
    yields a contradiction. ``trace``, when given, receives every sentence's context (``--explain``)."""
    claims = extract_claims(text, entities, title=title, reference_year=reference_year, trace=trace)
    tracked = entities.tracked or DEFAULT_TRACKED
    findings = diff_claims(claims, baseline, partial=partial, tracked=tracked)
    return Analysis(tuple(claims), tuple(consolidate(findings, entities.canonical_names)))


def diff_article(
    text: str,
    baseline: HasFacts,
    entities: EntityIndex,
    *,
    title: str = "",
    partial: bool = False,
    reference_year: int | None = None,
) -> list[Finding]:
    """The findings of :func:`analyse`."""
    result = analyse(text, baseline, entities, title=title, partial=partial, reference_year=reference_year)
    return list(result.findings)

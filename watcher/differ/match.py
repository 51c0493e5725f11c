"""The differ: an article's claims compared with the baseline facts (pure, deterministic).

Rules, in order, for each claim:

1. Candidate facts have the claim's attribute and parties related to it (the same set, or the
   fact's parties all named in the claim, or a multi-party claim inside a larger fact).
2. A value that agrees with a candidate within the qualifiers is a **confirmation** (an
   **update** when the fact was only reported and the claim states it).
3. A value that conflicts with a fact of exactly the same parties is a **contradiction** when
   the claim is stated or reported, not history, not a quote, not an increment ("by $6.5bn")
   and the article is complete (a paywall stub never contradicts).
4. A deal claim (a commitment verb with two or more companies) that no baseline fact covers is
   a **new_deal**: the pair has no fact of the same kind, or the claim says it is a new or
   additional deal. Deals that involve no tracked company are reported with low confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import combinations
from typing import Protocol

from watcher.differ.claims import FLOWS
from watcher.differ.quantities import compare, find_quantities
from watcher.differ.valuecompare import Period, decode_period, period_in, same_period
from watcher.types import Claim, ClaimFlag, DealStatus, Fact, Finding, FindingKind, Hedge, ValueType

DEFAULT_TRACKED = frozenset({"Microsoft", "OpenAI"})
_FLAG_HEDGES = frozenset({Hedge.STATED, Hedge.REPORTED, Hedge.PLANNED})
#: how firmly a new deal is told -> (status, confidence before the other factors)
_DEAL_HEDGES = {
    Hedge.STATED: (DealStatus.SIGNED, 0.85),
    Hedge.REPORTED: (DealStatus.REPORTED, 0.7),
    Hedge.PLANNED: (DealStatus.PLANNED, 0.8),
    Hedge.TALKS: (DealStatus.TALKS, 0.7),
}
#: attributes whose facts mean "these companies already have a deal of this sort"
_DEAL_FAMILY = frozenset(
    {"compute_deal", "cloud_agreement", "chip_supply", "agreement", "capacity", "investment", "project_value",
     "data_center", "partnership_term", "model_integration", "exclusivity", "preferential_rights", "deal_duration"}
)  # fmt: skip
_MONEY_DEALS = frozenset({"compute_deal", "investment", "project_value"})


class HasFacts(Protocol):
    @property
    def facts(self) -> tuple[Fact, ...]: ...


def _relation(claim_parties: frozenset[str], fact_parties: frozenset[str]) -> str | None:
    if claim_parties == fact_parties:
        return "exact"
    if fact_parties < claim_parties:
        return "super"
    if len(claim_parties) >= 2 and claim_parties < fact_parties:
        return "sub"
    return None


def _finding(
    kind: FindingKind, claim: Claim, parties: Sequence[str], fact: Fact | None, confidence: float, why: str
) -> Finding:
    return Finding(
        kind=kind,
        parties=tuple(parties),
        attribute=claim.attribute,
        baseline_fact=fact.id if fact else None,
        baseline_value=fact.value.display() if fact else None,
        new_value=claim.value.display() if claim.value else None,
        evidence=claim.evidence,
        confidence=max(0.0, min(1.0, confidence)),
        explanation=why,
        baseline_sentence=fact.provenance.sentence if fact else None,
    )


def _can_flag(claim: Claim, partial: bool) -> bool:
    if claim.historical or "quote" in claim.notes or "increment" in claim.notes or partial:
        return False
    if claim.hedge is Hedge.DENIED:
        return (
            claim.value is not None and claim.value.type is ValueType.STATUS and claim.value.text == "denied"
        )
    return claim.hedge in _FLAG_HEDGES


def _comparable_attributes(claim: Claim) -> frozenset[str]:
    """The fact attributes a claim can be compared with: its own, and for what several
    companies spend together ("the programme led by A, B and C will cost ..."), their joint
    project's size."""
    if claim.attribute == "spending" and len(set(claim.parties)) >= 2:
        return frozenset({"spending", "project_value"})
    return frozenset({claim.attribute})


_FACT_PERIODS: dict[tuple[str, str], Period | None] = {}


def _fact_period(fact: Fact) -> Period | None:
    key = (fact.id, fact.provenance.sentence)
    if key not in _FACT_PERIODS:
        text = f"{fact.provenance.sentence} {fact.note}"
        _FACT_PERIODS[key] = period_in(text, months=fact.attribute == "downloads")
    return _FACT_PERIODS[key]


def _same_span(claim: Claim, fact: Fact) -> bool:
    """False when a flow figure covers another period than the fact's ("downloads fell in
    December" against October's; a quarter's spending against total planned spending)."""
    period = decode_period(claim.notes) if fact.attribute in FLOWS else None
    return period is None or same_period(period, _fact_period(fact)) is not False


def _is_agreement(claim: Claim) -> bool:
    """A deal claim that only says a deal exists ("in talks to rent capacity from Oracle"): it
    restates a baseline fact only of exactly its companies, not a part of a larger fact's."""
    return ClaimFlag.DEAL in claim.notes and (claim.value is None or claim.value.type is ValueType.STATUS)


def _compare_with_facts(claim: Claim, facts: Sequence[Fact], partial: bool) -> Finding | None:
    parties = frozenset(claim.parties)
    attributes = _comparable_attributes(claim)
    candidates = [
        (f, rel)
        for f in facts
        if f.attribute in attributes
        and (rel := _relation(parties, frozenset(f.parties)))
        and _same_span(claim, f)
        and (rel == "exact" or not _is_agreement(claim))
    ]
    if claim.value is not None and not any(rel == "exact" for _, rel in candidates):
        candidates += _money_fact_of(claim, parties, facts)
    if claim.value is None or not candidates:
        return None
    if ClaimFlag.PER_YEAR in claim.notes:
        return None  # "about $60bn a year": a yearly figure says nothing of a contract's total
    results = [(f, rel, compare(claim.value, f.value)) for f, rel in candidates]
    agreeing = sorted((r for r in results if r[2]), key=lambda r: r[1] != "exact")
    if agreeing:
        fact = agreeing[0][0]
        if (
            fact.hedge in (Hedge.REPORTED, Hedge.SPECULATIVE)
            and claim.hedge is Hedge.STATED
            and not claim.historical
        ):
            return _finding(
                FindingKind.UPDATE,
                claim,
                fact.parties,
                fact,
                0.7,
                f"now stated, where the baseline had it only as reported ({fact.id})",
            )
        return _finding(
            FindingKind.CONFIRMATION, claim, fact.parties, fact, 0.8, f"agrees with baseline fact {fact.id}"
        )
    conflicting = [f for f, rel, ok in results if ok is False and rel == "exact"]
    # a new or second deal ("a second, four-year contract") is not the baseline's deal restated
    new_deal = ClaimFlag.NOVEL in claim.notes and (
        ClaimFlag.DEAL in claim.notes or claim.attribute == "deal_duration"
    )
    if claim.historical and conflicting and _can_flag(replace(claim, historical=False), partial):
        # a past event the baseline records for the same month or quarter, told with another figure
        conflicting = [f for f in conflicting if _same_event(claim, f)]
        claim = replace(claim, historical=False) if conflicting else claim
    if conflicting and _can_flag(claim, partial) and not new_deal:
        fact = conflicting[0]
        confidence = {Hedge.STATED: 0.8, Hedge.PLANNED: 0.7}.get(claim.hedge, 0.6)
        shown = claim.value.display() if claim.value else "?"
        why = f"{claim.attribute}: article says {shown}, baseline {fact.id} says {fact.value.display()}"
        return _finding(FindingKind.CONTRADICTION, claim, fact.parties, fact, confidence, why)
    return None


def _same_event(claim: Claim, fact: Fact) -> bool:
    """A claim about the past names the month or quarter of the event the fact records."""
    period = period_in(claim.evidence)
    if period is None or period[0] not in ("month", "quarter"):
        return False
    return same_period(period, period_in(f"{fact.provenance.sentence} {fact.note}")) is True


def _money_fact_of(claim: Claim, parties: frozenset[str], facts: Sequence[Fact]) -> list[tuple[Fact, str]]:
    """For a sum between companies that the baseline records under another money attribute ("Nvidia
    has committed $60bn to OpenAI" read as a purchase, the baseline's investment), that one fact:
    the companies' only sum in the baseline is the one the article speaks of."""
    if claim.value is None or claim.value.type is not ValueType.USD or claim.attribute not in _MONEY_DEALS:
        return []
    if ClaimFlag.NOVEL in claim.notes or set(claim.frame) - parties:
        return []
    if sum(q.value.type is ValueType.USD for q in find_quantities(claim.evidence)) != 1:
        return []  # with two sums in the sentence, which is whose is not sure enough to contradict
    sums = [
        f
        for f in facts
        if f.attribute in _MONEY_DEALS and f.value.type is ValueType.USD and frozenset(f.parties) == parties
    ]
    return [(sums[0], "exact")] if len(sums) == 1 and _same_span(claim, sums[0]) else []


def _pairs(parties: Sequence[str]) -> list[tuple[str, str]]:
    unique = list(dict.fromkeys(parties))
    if len(unique) > 3:
        return [(unique[0], other) for other in unique[1:]]
    return list(combinations(unique, 2))


def _covered(claim: Claim, pair: frozenset[str], facts: Sequence[Fact]) -> bool:
    """True when the baseline already has a deal of this sort between the pair."""
    money = claim.value is not None and claim.value.type is ValueType.USD
    family = _MONEY_DEALS if money else _DEAL_FAMILY
    if claim.attribute == "model_integration":  # models offered in another's products: that kind only
        family = frozenset({"model_integration"})
    for fact in facts:
        if fact.attribute not in family:
            continue
        if money and fact.value.type is not ValueType.USD:
            continue
        fact_parties = frozenset(fact.parties)
        if fact_parties == pair:
            return True
        # a pair inside a larger baseline fact (the Stargate partners) is covered by it, unless
        # the article tells of talks: that is a new deal between the two
        if pair < fact_parties and claim.hedge is not Hedge.TALKS:
            return True
    return False


def _status_words(claim: Claim) -> str:
    status, _ = _DEAL_HEDGES[claim.hedge]
    if status is not DealStatus.REPORTED and ClaimFlag.REPORTED in claim.notes:
        return f"{status.words}, reported"
    return status.words


def _new_deals(claim: Claim, facts: Sequence[Fact], tracked: frozenset[str]) -> list[Finding]:
    if ClaimFlag.DEAL not in claim.notes or not _is_firm_deal(claim):
        return []
    findings = []
    _, base = _DEAL_HEDGES[claim.hedge]
    status = _status_words(claim)
    for a, b in _pairs(claim.parties):
        pair = frozenset((a, b))
        if _covered(claim, pair, facts) and not _novel(claim):
            continue
        # a deal of untracked companies stays below the alert threshold, unless a tracked
        # company is in the same deal ("Microsoft and Nvidia will invest $15bn in Anthropic")
        confidence = base if pair & tracked or set(claim.frame) & tracked else 0.25
        if ClaimFlag.REPORTED in claim.notes and claim.hedge is not Hedge.REPORTED:
            confidence *= 0.9
        confidence *= 1.0 if claim.value is not None and claim.value.type is not ValueType.STATUS else 0.9
        what = (
            f" worth {claim.value.display()}"
            if claim.value and claim.value.type is not ValueType.STATUS
            else ""
        )
        kind = claim.attribute.replace("_", " ")
        article = "an" if kind[:1] in "aeiou" else "a"
        why = f"{a} and {b}: {article} {kind}{what} ({status}) that the baseline does not have"
        finding = _finding(FindingKind.NEW_DEAL, claim, (a, b), None, confidence, why)
        findings.append(replace(finding, status=status))
    return findings


def _is_firm_deal(claim: Claim) -> bool:
    if claim.historical or "quote" in claim.notes or "existing" in claim.notes and "novel" not in claim.notes:
        return False
    if claim.value is not None and claim.value.type is ValueType.STATUS and claim.value.text == "denied":
        return False
    return claim.hedge in _DEAL_HEDGES


def _novel(claim: Claim) -> bool:
    return "novel" in claim.notes or "increment" in claim.notes


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    best: dict[tuple[object, ...], Finding] = {}
    for f in findings:
        key: tuple[object, ...] = (
            (f.kind, f.baseline_fact) if f.baseline_fact else (f.kind, frozenset(f.parties), f.attribute)
        )
        if f.kind is FindingKind.NEW_DEAL:
            key = (f.kind, frozenset(f.parties))
        if key not in best or f.confidence > best[key].confidence:
            best[key] = f
    return list(best.values())


def _denied_pairs(claims: Sequence[Claim]) -> set[frozenset[str]]:
    """Pairs of companies whose deal the article denies, dismisses or calls off."""
    return {frozenset(pair) for c in claims if c.hedge is Hedge.DENIED for pair in _pairs(c.parties)}


def _same_company(a: str, b: str) -> bool:
    """ "Corvid" and "Corvid Systems": a short and a long form of one name."""
    return a == b or a.startswith(b + " ") or b.startswith(a + " ")


def _is_denied(parties: Sequence[str], denied: set[frozenset[str]]) -> bool:
    a, b = parties[0], parties[-1]
    for pair in denied:
        x, y = sorted(pair) if len(pair) == 2 else (next(iter(pair)),) * 2
        if (_same_company(a, x) and _same_company(b, y)) or (_same_company(a, y) and _same_company(b, x)):
            return True
    return False


def _of_its_kind(claim: Claim, claims: Sequence[Claim]) -> Claim:
    """An agreement whose sentence says what it does: "signed a distribution agreement under which
    Acme's models will be offered in Bolt's cloud" is a model integration deal, new where the
    baseline has only another kind of deal between the two (Bolt renting servers to Acme)."""
    if claim.attribute not in ("agreement", "cloud_agreement") or ClaimFlag.DEAL not in claim.notes:
        return claim
    pair = frozenset(claim.parties)
    for other in claims:
        if (
            other.evidence == claim.evidence
            and other.attribute == "model_integration"
            and other.hedge is Hedge.PLANNED
            and frozenset(other.parties) == pair
        ):
            return replace(claim, attribute="model_integration")
    return claim


def diff_claims(
    claims: Iterable[Claim],
    baseline: HasFacts,
    *,
    partial: bool = False,
    tracked: frozenset[str] = DEFAULT_TRACKED,
) -> list[Finding]:
    """Findings for an article's claims, strongest per fact / per pair, in evidence order.
    A deal the article denies anywhere is no new deal, however another sentence reports it."""
    facts = baseline.facts
    claims = list(claims)
    denied = _denied_pairs(claims)
    out: list[Finding] = []
    compared_by_sentence = [(c, _compare_with_facts(c, facts, partial)) for c in claims]
    # a sentence that gives a known deal's figure ("AMD | OpenAI | tens of billions; 6 GW") tells of
    # that deal: its other figures are no new deal of the same companies
    known = {
        (c.evidence, frozenset(f.parties))
        for c, f in compared_by_sentence
        if f is not None
        and f.kind in (FindingKind.CONFIRMATION, FindingKind.UPDATE)
        and f.attribute in _DEAL_FAMILY
    }
    for claim, compared in compared_by_sentence:
        if compared is not None:
            out.append(compared)
            continue  # a claim that matched a fact is that fact restated, refined or contradicted
        claim = _of_its_kind(claim, claims)
        out.extend(
            f
            for f in _new_deals(claim, facts, tracked)
            if not _is_denied(f.parties, denied) and (claim.evidence, frozenset(f.parties)) not in known
        )
    return _dedupe(out)


def why_no_finding(claim: Claim, baseline: HasFacts, *, partial: bool = False) -> str:
    """In words, why a claim made no finding of its own (for ``watcher diff --explain``)."""
    facts = baseline.facts
    if claim.value is not None and any(
        f.attribute in _comparable_attributes(claim)
        and _relation(frozenset(claim.parties), frozenset(f.parties))
        for f in facts
    ):
        if ClaimFlag.PER_YEAR in claim.notes:
            return "a yearly figure, not comparable with the baseline's total"
        if not _can_flag(claim, partial):
            return f"differs from the baseline but cannot contradict it ({_reason(claim, partial)})"
        return "compared with the baseline: no conflict it can state"
    if ClaimFlag.DEAL not in claim.notes:
        return "not a deal and no baseline fact of this kind for these companies"
    if len(set(claim.parties)) < 2:
        return "a deal with only one company named: no counterparty found"
    if not _is_firm_deal(claim):
        return f"not news ({_reason(claim, partial)})"
    if all(_covered(claim, frozenset(p), facts) for p in _pairs(claim.parties)) and not _novel(claim):
        return "the baseline already has a deal of this kind between these companies"
    return "merged into a stronger finding for the same companies or fact"


def _reason(claim: Claim, partial: bool) -> str:
    if claim.historical:
        return "history"
    if ClaimFlag.QUOTE in claim.notes:
        return "inside a quotation"
    if ClaimFlag.INCREMENT in claim.notes:
        return "an increment, not a total"
    if partial:
        return "the article is only partly readable"
    if ClaimFlag.EXISTING in claim.notes:
        return "a deal that already existed"
    return f"{claim.hedge.value}"

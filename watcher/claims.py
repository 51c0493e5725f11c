"""Claim extraction: an article's text -> the claims it makes (pure, no I/O).

Each sentence is read with rules: the companies it names (the entity list plus unlisted names
recognised by shape), the quantities in it and, for each quantity, the nearest cue word that
says what the number measures (an investment, a contract's value, planned spending ...);
then how firmly it is said (hedge), whether it is about the past, and whether it reports a
deal being made. Every claim keeps its sentence and offsets as evidence.
"""

from __future__ import annotations

import re
from functools import cached_property

from watcher import lexicon as lx
from watcher.entities import EntityIndex, Mention
from watcher.quantities import Quantity, find_quantities
from watcher.sentences import Sentence, split_sentences
from watcher.types import Claim, Hedge, Span, Value, ValueType

#: attributes whose claims can announce a deal
DEAL_ATTRIBUTES = frozenset(
    {"compute_deal", "investment", "project_value", "capacity", "cloud_agreement", "chip_supply", "agreement"}
)
_CLAUSE_BREAK = re.compile(
    r"[;:]\s|,\s(?!(?:US\$|[$€£¥]|\d|[\w]+-(?:year|month|gigawatt|megawatt)\b))|\s[—–-]\s|\s\(|\)\s|\s(?:while|whereas|but|although|though|after|before|which|who|as|when)\s"
)
_HEDGE_RANK = {Hedge.STATED: 0, Hedge.REPORTED: 1, Hedge.SPECULATIVE: 2, Hedge.DENIED: 3}


class _Ctx:
    """One sentence, read once: what every rule below needs. The word tests are computed on
    first use (most sentences need only a few of them) and then kept."""

    def __init__(
        self,
        sentence: Sentence,
        parties: tuple[str, ...],
        mentions: tuple[Mention, ...],
        modifiers: tuple[Mention, ...],
        carried: tuple[str, ...],  # parties borrowed from the previous sentence ("the two companies")
        reference_year: int | None,
    ) -> None:
        self.sentence = sentence
        self.parties = parties
        self.mentions = mentions
        self.modifiers = modifiers
        self.carried = carried
        self.reference_year = reference_year

    @property
    def text(self) -> str:
        return self.sentence.text

    @cached_property
    def historical(self) -> bool:
        return _is_historical(self.text, self.reference_year)

    @cached_property
    def quote(self) -> bool:
        return _is_quote(self.text)

    @cached_property
    def reported(self) -> bool:
        return bool(lx.REPORTED.search(self.text))

    @cached_property
    def denial(self) -> int | None:
        """Where a denial starts, if any."""
        return _denial_start(self.text)

    @cached_property
    def conditional(self) -> bool:
        return bool(lx.CONDITIONAL_START.search(self.text))

    @cached_property
    def deal(self) -> bool:
        text = self.text
        return bool(lx.DEAL_VERB.search(text)) or bool(lx.DEAL_NOUN.search(text) and _DEAL_SIZED.search(text))

    @cached_property
    def novel(self) -> bool:
        return bool(lx.NOVEL.search(self.text))

    @cached_property
    def existing(self) -> bool:
        return bool(lx.EXISTING.search(self.text))


_DEAL_SIZED = re.compile(r"[$€£]|\d\s?(?:GW|gigawatt)|billion", re.I)


# ------------------------------------------------------------------ sentence reading


def _parties(text: str, found: list[Mention], entities: EntityIndex) -> tuple[list[Mention], list[Mention]]:
    """(all company mentions, those that name a product maker: "Nvidia chips", "Google's TPUs")."""
    mentions = [m for m in found if m.known or not entities.is_person_context(text, m)]
    modifiers = [m for m in mentions if lx.PRODUCT_AFTER.match(text[m.end :])]
    return mentions, modifiers


def _ordered(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _is_quote(text: str) -> bool:
    quoted = sum(len(m.group(0)) for m in re.finditer(r"[\"“][^\"”]*[\"”]?", text))
    return quoted > 0.4 * len(text) or bool(lx.QUOTE_ATTRIBUTION.search(text))


def _is_historical(text: str, reference_year: int | None) -> bool:
    if lx.HISTORY.search(text):
        return True
    if reference_year is None:
        return False
    for m in lx.PAST_YEAR_PHRASE.finditer(text):
        year = int(m.group("year") or m.group("year2"))
        if year < reference_year:
            return True
    return False


def _denial_start(text: str) -> int | None:
    if lx.NOT_A_DENIAL.search(text):
        return None
    m = lx.DENIED.search(text)
    return m.start() if m else None


def _read(
    sentence: Sentence,
    found: list[Mention],
    entities: EntityIndex,
    previous: tuple[str, ...],
    reference_year: int | None,
) -> _Ctx:
    text = sentence.text
    mentions, modifiers = _parties(text, found, entities)
    names = [m.name for m in mentions]
    if len(set(names)) < 2 and lx.ANAPHORA.search(text):
        names = names + list(previous)
    parties = _ordered(names)
    carried = tuple(previous) if len(set(m.name for m in mentions)) < 2 and lx.ANAPHORA.search(text) else ()
    return _Ctx(sentence, parties, tuple(mentions), tuple(modifiers), carried, reference_year)


def _clause(text: str, pos: int) -> tuple[int, int]:
    start, end = 0, len(text)
    for m in _CLAUSE_BREAK.finditer(text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            end = m.start()
            break
    return start, end


def deal_parties_at(ctx: _Ctx, pos: int, *, money: bool) -> tuple[str, ...]:
    """The companies a deal at ``pos`` is between: those named up to the end of its clause,
    without product makers ("Nvidia chips") unless they are the only counterparty of a purchase."""
    _, end = _clause(ctx.text, pos)
    named = [m for m in ctx.mentions if m.start < end]
    main = [m.name for m in named if m not in ctx.modifiers]
    if len(set(main)) < 2 and money:
        main += [m.name for m in named if m in ctx.modifiers]
    if len(set(main)) < 2 and ctx.carried:
        main += list(ctx.carried)
    return _ordered(main)


def _clause_parties(ctx: _Ctx, pos: int) -> tuple[str, ...]:
    """Companies in the clause at ``pos`` and the clause before it ("With X's contract, Y signed ...")."""
    start, end = _clause(ctx.text, pos)
    if start > 0:
        start, _ = _clause(ctx.text, max(0, start - 3))
    main = [m.name for m in ctx.mentions if start <= m.start < end and m not in ctx.modifiers]
    if len(set(main)) < 2 and ctx.carried:
        main += list(ctx.carried)
    return _ordered(main)


def _deal_cue_before(ctx: _Ctx, pos: int) -> re.Match[str] | None:
    """A deal verb or noun in the sentence up to the end of the clause at ``pos``."""
    _, end = _clause(ctx.text, pos)
    head = ctx.text[:end]
    return lx.DEAL_VERB.search(head) or lx.DEAL_NOUN.search(head)


def hedge_at(ctx: _Ctx, pos: int) -> Hedge:
    """How firmly the sentence states what stands at ``pos``."""
    start, end = _clause(ctx.text, pos)
    if ctx.denial is not None and (ctx.denial < pos or start <= ctx.denial < end):
        return Hedge.DENIED
    if ctx.conditional or lx.SPECULATIVE.search(ctx.text[start:end]):
        return Hedge.SPECULATIVE
    if ctx.reported:
        return Hedge.REPORTED
    return Hedge.STATED


#: attributes that are projections: "plans to spend", "aims to be profitable in" state them
PROJECTIONS = frozenset({"spending", "profitability"})


def projection_hedge(ctx: _Ctx, pos: int) -> Hedge:
    """The hedge of a projection at ``pos``: planning words do not make it speculative."""
    hedge = hedge_at(ctx, pos)
    if hedge is not Hedge.SPECULATIVE or ctx.conditional:
        return hedge
    start, end = _clause(ctx.text, pos)
    clause = lx.PLAN_WORDS.sub(ctx.text[start:end])
    if lx.SPECULATIVE.search(clause):
        return hedge
    return Hedge.REPORTED if ctx.reported else Hedge.STATED


def _firmest(*hedges: Hedge) -> Hedge:
    return max(hedges, key=lambda h: _HEDGE_RANK[h])


# ------------------------------------------------------------------ attributes of quantities


def _nearest_cue(text: str, q: Quantity) -> str | None:
    """The attribute whose cue word stands nearest the quantity (within its sentence)."""
    lo, hi = max(0, q.span.start - 90), min(len(text), q.span.end + 60)
    best: tuple[int, int, str | None] | None = None
    for rank, (attribute, pattern) in enumerate(lx.CUES):
        for m in pattern.finditer(text, lo, hi):
            if q.span.start <= m.start() < q.span.end:
                continue
            distance = q.span.start - m.end() if m.end() <= q.span.start else (m.start() - q.span.end) * 2
            key = (max(distance, 0), rank, attribute)
            if best is None or key[:2] < best[:2]:
                best = key
    return best[2] if best else "?"


def attribute_of(ctx: _Ctx, q: Quantity) -> str | None:
    """What a quantity in a sentence measures, in the baseline's attribute vocabulary."""
    text = ctx.text
    kind = q.value.type
    if kind is ValueType.USD:
        if q.per_unit:
            return None
        attribute = _nearest_cue(text, q)
        if attribute == "spending" and ctx.deal:
            if len(set(deal_parties_at(ctx, q.span.start, money=True))) >= 2:
                return "compute_deal"
            if lx.SUPPLIER_AFTER.match(text[q.span.end :]):
                return None  # bought from a supplier the sentence does not name

        return attribute if attribute != "?" else None
    window = text[max(0, q.span.start - 60) : q.span.end + 40]
    if kind is ValueType.GW:
        return "capacity"
    if kind is ValueType.PERCENT:
        if lx.DOWNLOADS_CUE.search(window):
            return "downloads"
        return "stake" if lx.STAKE_CUE.search(window) else None
    if kind is ValueType.DURATION:
        return "deal_duration" if ctx.deal or lx.DEAL_NOUN.search(window) else None
    if kind is ValueType.COUNT:
        return "catalog_size" if lx.CATALOG_CUE.search(window) else None
    return None


def _is_reference(text: str, q: Quantity) -> bool:
    """An old figure given for comparison: "up from $115bn", "more than the $100bn it said"."""
    return bool(lx.REFERENCE_BEFORE.search(text[max(0, q.span.start - 45) : q.span.start]))


def _is_increment(text: str, q: Quantity) -> bool:
    return bool(lx.INCREMENT_BEFORE.search(text[max(0, q.span.start - 60) : q.span.start]))


# ------------------------------------------------------------------ claims


def _claim(
    ctx: _Ctx,
    parties: tuple[str, ...],
    kind: str,
    attribute: str,
    value: Value | None,
    hedge: Hedge,
    notes: set[str],
) -> Claim:
    s = ctx.sentence
    flags = set(notes)
    if ctx.quote:
        flags.add("quote")
    if ctx.novel:
        flags.add("novel")
    if ctx.existing:
        flags.add("existing")
    return Claim(
        parties, kind, attribute, value, hedge, s.text, Span(s.start, s.end), ctx.historical, frozenset(flags)
    )


def _value_claims(ctx: _Ctx) -> list[Claim]:
    claims: list[Claim] = []
    for q in find_quantities(ctx.text):
        attribute = attribute_of(ctx, q)
        if attribute is None or _is_reference(ctx.text, q):
            continue
        notes = {"increment"} if _is_increment(ctx.text, q) else set()
        hedge = (projection_hedge if attribute in PROJECTIONS else hedge_at)(ctx, q.span.start)
        cue = _deal_cue_before(ctx, q.span.start) if ctx.deal and attribute in DEAL_ATTRIBUTES else None
        is_deal = cue is not None
        parties = (
            deal_parties_at(ctx, q.span.start, money=q.value.type is ValueType.USD)
            if is_deal
            else ctx.parties
        )
        if cue is not None:
            notes.add("deal")
            hedge = _firmest(hedge, hedge_at(ctx, cue.start()))
        claims.append(
            _claim(ctx, parties, "deal" if is_deal else attribute, attribute, q.value, hedge, notes)
        )
    return claims


def _year_claims(ctx: _Ctx) -> list[Claim]:
    claims: list[Claim] = []
    if lx.TERM_SUBJECT.search(ctx.text):
        for m in lx.TERM_YEAR.finditer(ctx.text):
            before = ctx.text[max(0, m.start() - 50) : m.start()]
            if re.search(
                r"\b(?:spend\w*|expenditure|burn\w*|revenue|invest\w*|deploy\w*|rollout|online)\b",
                before,
                re.I,
            ):
                continue
            value = Value(ValueType.YEAR, float(m.group("year")))
            claims.append(
                _claim(ctx, ctx.parties, "term", "partnership_term", value, hedge_at(ctx, m.start()), set())
            )
    for m in lx.PROFIT_YEAR.finditer(ctx.text):
        value = Value(ValueType.YEAR, float(m.group("year")))
        claims.append(
            _claim(
                ctx,
                ctx.parties,
                "profitability",
                "profitability",
                value,
                projection_hedge(ctx, m.start()),
                set(),
            )
        )
    return claims


def _status(ctx: _Ctx, pos: int) -> str | None:
    start, end = _clause(ctx.text, pos)
    clause = ctx.text[max(0, start - 10) : end]
    if lx.ENDED.search(clause):
        return "ended"
    return "in_force" if lx.IN_FORCE.search(clause) else None


def _status_claims(ctx: _Ctx) -> list[Claim]:
    claims: list[Claim] = []
    for attribute, pattern in (("exclusivity", lx.EXCLUSIVITY), ("preferential_rights", lx.PREFERENTIAL)):
        m = pattern.search(ctx.text)
        status = _status(ctx, m.start()) if m else None
        if m and status and len(ctx.parties) >= 1:
            value = Value(ValueType.STATUS, text=status)
            claims.append(
                _claim(ctx, ctx.parties, attribute, attribute, value, hedge_at(ctx, m.start()), set())
            )
    loss = lx.OPERATING_LOSS.search(ctx.text)
    if loss and ctx.parties:
        value = Value(ValueType.STATUS, text="yes")
        claims.append(
            _claim(ctx, ctx.parties, "loss", "operating_loss", value, hedge_at(ctx, loss.start()), set())
        )
    offer = lx.MODEL_OFFER.search(ctx.text)
    if offer and len(ctx.parties) >= 2 and lx.MODEL_NAMES.search(ctx.text):
        hedge = hedge_at(ctx, offer.start())
        text = {Hedge.DENIED: "denied", Hedge.REPORTED: "reported", Hedge.SPECULATIVE: "planned"}.get(
            hedge, "yes"
        )
        value = Value(ValueType.STATUS, text=text)
        claims.append(_claim(ctx, ctx.parties, "integration", "model_integration", value, hedge, set()))
    return claims


def _agreement_claim(ctx: _Ctx, have_value_deal: bool) -> list[Claim]:
    """A deal sentence with no deal-sized quantity still says an agreement exists."""
    verb = lx.DEAL_VERB.search(ctx.text)
    if not ctx.deal or have_value_deal or not verb:
        return []
    parties = _clause_parties(ctx, verb.start())
    if len(set(parties)) < 2:
        return []
    if lx.CLOUD_WORDS.search(ctx.text):
        attribute = "cloud_agreement"
    elif lx.CHIP_WORDS.search(ctx.text):
        attribute = "chip_supply"
    else:
        attribute = "agreement"
    status = "denied" if hedge_at(ctx, verb.start()) is Hedge.DENIED else "yes"
    value = Value(ValueType.STATUS, text=status)
    return [_claim(ctx, parties, "deal", attribute, value, hedge_at(ctx, verb.start()), {"deal"})]


def sentence_claims(ctx: _Ctx) -> list[Claim]:
    if not ctx.parties:
        return []
    claims = _value_claims(ctx) + _year_claims(ctx) + _status_claims(ctx)
    have_value_deal = any("deal" in c.notes for c in claims)
    return claims + _agreement_claim(ctx, have_value_deal)


def extract_claims(
    text: str, entities: EntityIndex, *, title: str = "", reference_year: int | None = None
) -> list[Claim]:
    """The claims an article makes. ``title`` (the headline) is read as a first sentence;
    ``reference_year`` (the publication year) lets "in 2019" mark a claim as history."""
    sentences = split_sentences(text)
    if title.strip() and not text.lstrip().startswith(title.strip()):
        sentences.insert(0, Sentence(title.strip(), 0, 0, -1))
    claims: list[Claim] = []
    previous: tuple[str, ...] = ()
    for sentence in sentences:
        mentions = entities.find_mentions(sentence.text)
        if not mentions and not (previous and lx.ANAPHORA.search(sentence.text)):
            continue  # no company named or referred to: nothing to claim
        ctx = _read(sentence, mentions, entities, previous, reference_year)
        claims.extend(sentence_claims(ctx))
        if ctx.parties:
            previous = ctx.parties
    return claims

"""Claim extraction: an article's text -> the claims it makes (pure, no I/O).

Each sentence is read with rules: the companies it names (the entity list plus unlisted names
recognised by shape), the quantities in it and, for each quantity, the nearest cue word that
says what the number measures (an investment, a contract's value, planned spending ...);
then how firmly it is said (hedge), whether it is about the past, and whether it reports a
deal being made. Every claim keeps its sentence and offsets as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from watcher.differ import lexicon as lx
from watcher.differ.context import (
    Context,
    Surface,
    deal_cue_before,
    firmest,
    hedge_at,
    may_claim,
    projection_hedge,
    read_sentence,
    read_surface,
)
from watcher.differ.document import Sentence, Zone, read_document
from watcher.differ.entities import EntityIndex, Mention
from watcher.differ.frames import clause_parties, last_subject, roles_at, subject_of, trigger_near
from watcher.differ.mentions import type_mentions
from watcher.differ.quantities import Quantity, parse_number
from watcher.differ.valuecompare import encode_period, period_in
from watcher.differ.words import is_ordinary
from watcher.types import Claim, ClaimFlag, Hedge, Span, Value, ValueType

#: attributes whose claims can announce a deal
DEAL_ATTRIBUTES = frozenset(
    {"compute_deal", "investment", "project_value", "capacity", "cloud_agreement", "chip_supply", "agreement"}
)
#: attributes that are projections: "plans to spend", "aims to be profitable in" state them
PROJECTIONS = frozenset({"spending", "profitability"})
#: attributes whose figures cover a period (a month's downloads, a quarter's spending): a figure
#: for one period says nothing about another period or about a total
FLOWS = frozenset({"spending", "downloads"})


# ------------------------------------------------------------------ attributes of quantities


def _nearest_cue(ctx: Context, q: Quantity) -> str | None:
    """The attribute whose cue word stands nearest the quantity (within its sentence)."""
    lo, hi = max(0, q.span.start - 90), min(len(ctx.text), q.span.end + 60)
    best: tuple[int, int, str | None] | None = None
    for rank, (attribute, pattern) in enumerate(lx.CUES):
        for m in pattern.rx.finditer(ctx.low, lo, hi):
            if q.span.start <= m.start() < q.span.end:
                continue
            distance = q.span.start - m.end() if m.end() <= q.span.start else (m.start() - q.span.end) * 2
            key = (max(distance, 0), rank, attribute)
            if best is None or key[:2] < best[:2]:
                best = key
    return best[2] if best else "?"


def _money_attribute(ctx: Context, q: Quantity) -> str | None:
    if q.per_unit:
        return None
    attribute = _nearest_cue(ctx, q)
    if attribute == "valuation" and lx.DEAL_NOUN.rx.search(
        ctx.low_slice(max(0, q.span.start - 45), q.span.start)
    ):
        attribute = "compute_deal"  # "a deal the paper valued at $5bn": the deal's value, not a company's
    if attribute == "spending" and ctx.deal:
        if roles_at(ctx, q.span.start, value_start=q.span.start, value_end=q.span.end, money=True).pairs():
            return "compute_deal"
        if lx.SUPPLIER_AFTER.match(ctx.text[q.span.end :]):
            return None  # bought from a supplier the sentence does not name
    return attribute if attribute != "?" else None


_PAST_SPAN = re.compile(r"\b(?:over|in|during|for|across) the (?:past|last|previous)\s+$")


def attribute_of(ctx: Context, q: Quantity) -> str | None:
    """What a quantity in a sentence measures, in the baseline's attribute vocabulary."""
    kind = q.value.type
    if kind is ValueType.USD:
        return _money_attribute(ctx, q)
    if kind is ValueType.GW:
        return "capacity"
    window = ctx.low_slice(max(0, q.span.start - 60), q.span.end + 40)
    if kind is ValueType.PERCENT:
        if lx.DOWNLOADS_CUE.rx.search(window):
            return "downloads"
        return "stake" if lx.STAKE_CUE.rx.search(window) else None
    if kind is ValueType.DURATION:
        if _PAST_SPAN.search(ctx.low_slice(max(0, q.span.start - 30), q.span.start)):
            return None  # "over the past seven years": how long something has gone on, not a term
        return "deal_duration" if ctx.deal or lx.DEAL_NOUN.rx.search(window) else None
    if kind is ValueType.COUNT:
        return "catalog_size" if lx.CATALOG_CUE.rx.search(window) else None
    return None


def _is_reference(ctx: Context, q: Quantity) -> bool:
    """An old figure given for comparison: "up from $115bn", "more than the $100bn it said"."""
    start = q.span.start
    return bool(lx.REFERENCE_BEFORE.rx.search(ctx.low_slice(max(0, start - 45), start)))


def _is_increment(ctx: Context, q: Quantity) -> bool:
    start = q.span.start
    return bool(lx.INCREMENT_BEFORE.rx.search(ctx.low_slice(max(0, start - 60), start)))


# ------------------------------------------------------------------ claims


def _claim(
    ctx: Context,
    parties: tuple[str, ...],
    kind: str,
    attribute: str,
    value: Value | None,
    hedge: Hedge,
    notes: set[str],
    pos: int | None = None,
) -> Claim:
    s = ctx.sentence
    flags = set(notes)
    if ctx.quote:
        flags.add("quote")
    if ctx.novel_at(pos):
        flags.add("novel")
    if ctx.existing:
        flags.add("existing")
    if ctx.reported:
        flags.add("reported")
    return Claim(
        parties,
        kind,
        attribute,
        value,
        hedge,
        s.text,
        Span(s.start, s.end),
        ctx.historical_at(pos),
        frozenset(flags),
    )


_RECENT_MONTH = re.compile(r"\b(?:last|this|past|previous) month\b")


def _signed(ctx: Context, q: Quantity) -> Value:
    """A change written as a fall ("fell 3 per cent", "a 3% decline") is negative."""
    v = q.value
    if v.amount is None or v.amount <= 0:
        return v
    before = ctx.low_slice(max(0, q.span.start - 40), q.span.start)
    after = ctx.low_slice(q.span.end, q.span.end + 40)
    if lx.DECLINE_BEFORE.rx.search(before) or lx.DECLINE_AFTER.rx.search(after):
        return replace(v, amount=-v.amount)
    return v


def _flow_period(ctx: Context, q: Quantity, attribute: str) -> set[str]:
    """The period a flow figure covers, as a note ("period:quarter:2025:4"), read in its clause."""
    _, end = ctx.clause(q.span.start)
    start, end = max(0, q.span.start - 80), min(end, q.span.end + 80)
    period = period_in(ctx.text[start:end], months=attribute == "downloads")
    if period is None and attribute == "downloads" and _RECENT_MONTH.search(ctx.low_slice(start, end)):
        period = ("month", ctx.reference_year, None)  # "last month": a month of the publication year
    return {encode_period(period)} if period else set()


#: figures that belong to one company (its catalogue, its spending), not to a deal between two
_ONE_COMPANY = frozenset({"catalog_size", "spending", "downloads"})
_PER_YEAR = re.compile(
    r"\b(?:a|per|each|every) year\b|\bannual(?:ly)?\b|\byearly\b|\bper annum\b|\ba-year\b", re.IGNORECASE
)


def _per_year(ctx: Context, q: Quantity) -> bool:
    """ "$60bn a year", "an average yearly payment of $60bn": a yearly figure."""
    return bool(_PER_YEAR.search(ctx.text, max(0, q.span.start - 70), min(len(ctx.text), q.span.end + 14)))


#: an uncertain amount of a deal that is certain: "could be worth", "may rise to"
_MAYBE_MORE = re.compile(
    r"\b(?:could|may|might|would)\s+(?:eventually\s+|ultimately\s+)?(?:be worth|rise|reach|grow|total|climb|"
    r"increase|top|exceed|expand)\b[^.;]*$",
    re.IGNORECASE,
)


def _value_claim(ctx: Context, q: Quantity, attribute: str) -> list[Claim]:
    notes = {"increment"} if _is_increment(ctx, q) else set()
    if q.value.type is ValueType.USD and attribute not in FLOWS and _per_year(ctx, q):
        notes.add("per_year")
    if attribute in FLOWS:
        notes |= _flow_period(ctx, q, attribute)
        if attribute == "downloads":
            q = Quantity(_signed(ctx, q), q.span, q.raw, q.per_unit)
    hedge = (projection_hedge if attribute in PROJECTIONS else hedge_at)(ctx, q.span.start)
    cue = deal_cue_before(ctx, q.span.start) if ctx.deal and attribute in DEAL_ATTRIBUTES else None
    if cue is None and attribute in DEAL_ATTRIBUTES and (row := _row_parties(ctx)):
        # a row of a table of deals: the companies of its first cells, the figure of another
        return [_claim(ctx, row, "deal", attribute, q.value, hedge, notes | {"deal"}, q.span.start)]
    if cue is None:
        parties = ctx.parties
        if attribute in _ONE_COMPANY:  # a company's own figure: the company of the amount's clause
            parties = clause_parties(ctx, q.span.start) or parties
        return [_claim(ctx, parties, attribute, attribute, q.value, hedge, notes, q.span.start)]
    notes.add("deal")
    cue_hedge = hedge_at(ctx, cue.start())
    if hedge is Hedge.SPECULATIVE and _MAYBE_MORE.search(ctx.text, max(0, q.span.start - 40), q.span.start):
        hedge = cue_hedge  # "a deal that could be worth $25bn": the amount is uncertain, not the deal
    else:
        hedge = firmest(hedge, cue_hedge)
    roles = roles_at(
        ctx,
        trigger_near(ctx, q.span.start),
        value_start=q.span.start,
        value_end=q.span.end,
        money=q.value.type is ValueType.USD,
    )
    frame = tuple(dict.fromkeys(roles.actors + roles.counterparties))
    pairs = roles.pairs() or [frame]
    return [
        replace(_claim(ctx, parties, "deal", attribute, q.value, hedge, notes, q.span.start), frame=frame)
        for parties in pairs
    ]


def _row_parties(ctx: Context) -> tuple[str, ...] | None:
    """The two companies of a table row that names one in each of two cells ("| Acme | Borealis |
    GPU capacity | $2bn |"), or None for any other sentence."""
    if ctx.sentence.zone is not Zone.TABLE_ROW:
        return None
    parties = [t for t in ctx.typed if t.party]
    for a, b in zip(parties, parties[1:], strict=False):
        if a.name != b.name and "|" in ctx.text[a.mention.end : b.mention.start]:
            return (a.name, b.name)
    return None


def _value_claims(ctx: Context) -> list[Claim]:
    claims: list[Claim] = []
    for q in ctx.quantities:
        attribute = attribute_of(ctx, q)
        if attribute is None or _is_reference(ctx, q):
            continue
        claims.extend(_value_claim(ctx, q, attribute))
    return claims


_NOT_A_TERM = re.compile(
    r"\b(?:spend\w*|expenditure|burn\w*|revenue|invest\w*|deploy\w*|rollout|online|"
    r"dat(?:es|ed|ing) back|goes back|going back|went back)\b",
    re.I,
)


def _term_claims(ctx: Context) -> list[Claim]:
    claims: list[Claim] = []
    for m in lx.TERM_YEAR.rx.finditer(ctx.low):
        if _NOT_A_TERM.search(ctx.text[max(0, m.start() - 50) : m.start()]):
            continue
        claims.append(_term_claim(ctx, float(m.group("year")), m.start()))
    return claims


def _term_claim(ctx: Context, year: float, pos: int) -> Claim:
    """The agreement the clause at ``pos`` is about runs through ``year``."""
    value = Value(ValueType.YEAR, year)
    return _claim(
        ctx, clause_parties(ctx, pos), "term", "partnership_term", value, hedge_at(ctx, pos), set(), pos
    )


def _term_span_claims(ctx: Context) -> list[Claim]:
    """ "a 10-year term from 2025": the agreement runs to 2035."""
    claims: list[Claim] = []
    for m in lx.TERM_SPAN.rx.finditer(ctx.low):
        try:
            years = parse_number(m.group("num"))
        except ValueError:
            continue
        claims.append(_term_claim(ctx, float(m.group("year")) + years, m.start()))
    return claims


def _year_claims(ctx: Context) -> list[Claim]:
    if not lx.TERM_YEAR.possible(ctx.low):
        return []  # no calendar year: neither a term nor a profit year
    # "Microsoft and OpenAI amended their agreement. It now runs through 2034.": the term of the
    # agreement the sentence before told of
    about_a_term = lx.TERM_SUBJECT.rx.search(ctx.low) or (ctx.carried and _DEAL_CONTINUES.match(ctx.text))
    claims = _term_claims(ctx) + _term_span_claims(ctx) if about_a_term else []
    for m in lx.PROFIT_YEAR.rx.finditer(ctx.low):
        value = Value(ValueType.YEAR, float(m.group("year")))
        hedge = projection_hedge(ctx, m.start())
        claims.append(_claim(ctx, ctx.parties, "profitability", "profitability", value, hedge, set()))
    return claims


def _status(ctx: Context, pos: int) -> str | None:
    start, end = ctx.clause(pos)
    clause = ctx.low_slice(max(0, start - 10), end)
    if lx.WEAKENED.rx.search(clause):
        return "weakened"
    if lx.ENDED.rx.search(clause):
        return "ended"
    return "in_force" if lx.IN_FORCE.rx.search(clause) else None


def _rights_claims(ctx: Context) -> list[Claim]:
    claims: list[Claim] = []
    for attribute, pattern in (("exclusivity", lx.EXCLUSIVITY), ("preferential_rights", lx.PREFERENTIAL)):
        m = pattern.search_low(ctx.low)
        status = _status(ctx, m.start()) if m else None
        if m and status and clause_parties(ctx, m.start()):
            value = Value(ValueType.STATUS, text=status)
            hedge = hedge_at(ctx, m.start())
            claims.append(
                _claim(ctx, clause_parties(ctx, m.start()), attribute, attribute, value, hedge, set())
            )
    return claims


def _integration_status(ctx: Context, hedge: Hedge) -> str:
    """ "denied", "reported" (told by reports), "planned" (plans, talks, maybes) or "yes"."""
    if hedge is Hedge.DENIED:
        return "denied"
    if ctx.reported or hedge is Hedge.REPORTED:
        return "reported"
    return "planned" if hedge in (Hedge.PLANNED, Hedge.TALKS, Hedge.SPECULATIVE) else "yes"


def _made_claims(ctx: Context) -> list[Claim]:
    """What a company builds or launches: its own models or chips, a data centre, named models."""
    claims: list[Claim] = []
    for attribute, pattern, text in (
        ("in_house_models", lx.IN_HOUSE, "yes"),
        ("data_center", lx.DATA_CENTER_LAUNCH, "launched"),
    ):
        m = pattern.search_low(ctx.low)
        parties = subject_of(ctx, m.start()) if m else ()
        if m and parties:
            value = Value(ValueType.STATUS, text=text)
            claims.append(_claim(ctx, parties, attribute, attribute, value, hedge_at(ctx, m.start()), set()))
    launch = lx.MODEL_LAUNCH.search(ctx.text)
    if launch:
        names = [
            n.strip() for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", launch.group("names")) if n.strip()
        ]
        parties = subject_of(ctx, launch.start())
        if names and parties:
            value = Value(ValueType.TEXT, text=", ".join(names))
            claims.append(
                _claim(ctx, parties, "launch", "product_launch", value, hedge_at(ctx, launch.start()), set())
            )
    return claims


def _status_claims(ctx: Context) -> list[Claim]:
    claims = _rights_claims(ctx) + _made_claims(ctx)
    loss = lx.OPERATING_LOSS.search_low(ctx.low)
    if loss and clause_parties(ctx, loss.start()):
        value = Value(ValueType.STATUS, text="yes")
        hedge = hedge_at(ctx, loss.start())
        claims.append(
            _claim(ctx, clause_parties(ctx, loss.start()), "loss", "operating_loss", value, hedge, set())
        )
    profit = None if loss else lx.PROFITABLE_NOW.search_low(ctx.low)
    if profit and clause_parties(ctx, profit.start()):
        # "posted its first profitable quarter": no longer operating at a loss
        value = Value(ValueType.STATUS, text="no")
        hedge = hedge_at(ctx, profit.start())
        claims.append(
            _claim(ctx, clause_parties(ctx, profit.start()), "loss", "operating_loss", value, hedge, set())
        )
    named = lx.MODEL_NAMES.search(ctx.text) if len(ctx.parties) >= 2 else None
    if named:
        # the offering word nearest the model names ("offering models from ...", "Claude in Copilot")
        offers = list(lx.MODEL_OFFER.rx.finditer(ctx.low, max(0, named.start() - 60), named.end() + 40))
        offer = min(offers, key=lambda m: abs(m.start() - named.start())) if offers else None
        if offer:
            hedge = hedge_at(ctx, offer.start())
            roles = roles_at(ctx, offer.start())
            parties = tuple(dict.fromkeys(roles.actors + roles.counterparties)) or ctx.parties
            value = Value(ValueType.STATUS, text=_integration_status(ctx, hedge))
            claims.append(_claim(ctx, parties, "integration", "model_integration", value, hedge, set()))
    return claims


def _agreement_claim(ctx: Context, value_pairs: set[frozenset[str]]) -> list[Claim]:
    """A deal verb with no deal-sized quantity still says an agreement exists: one claim per
    deal verb whose companies no value claim of the sentence already covers ("signed a $22.4bn
    deal with CoreWeave and later rented servers from Google" -> the Google one)."""
    if not ctx.deal_verb:
        return []
    claims: list[Claim] = []
    seen = set(value_pairs)
    for verb in lx.DEAL_VERB.rx.finditer(ctx.low):
        frame = roles_at(ctx, verb.start())
        whole = tuple(dict.fromkeys(frame.actors + frame.counterparties))
        for parties in frame.pairs():
            if frozenset(parties) in seen or (
                value_pairs and not set(parties) & {p for v in value_pairs for p in v}
            ):
                continue
            seen.add(frozenset(parties))
            start, end = ctx.clause(verb.start())
            clause = ctx.low_slice(start, end)
            if lx.CLOUD_WORDS.rx.search(clause):
                attribute = "cloud_agreement"
            elif lx.CHIP_WORDS.rx.search(clause):
                attribute = "chip_supply"
            else:
                attribute = "agreement"
            hedge = hedge_at(ctx, verb.start())
            value = Value(ValueType.STATUS, text="denied" if hedge is Hedge.DENIED else "yes")
            claim = _claim(ctx, parties, "deal", attribute, value, hedge, {"deal"}, verb.start())
            claims.append(replace(claim, frame=whole))
    return claims


def sentence_claims(ctx: Context) -> list[Claim]:
    if not ctx.parties:
        return []
    claims = _value_claims(ctx) + _year_claims(ctx) + _status_claims(ctx)
    value_pairs = {frozenset(c.parties) for c in claims if ClaimFlag.DEAL in c.notes}
    return claims + _agreement_claim(ctx, value_pairs)


# ------------------------------------------------------------------ the article


_SINGULAR_START = re.compile(r"^\W*(?:It|Its)\b")
#: one company named before, by a description: "the company expects ..." in a sentence naming none
_SINGULAR_REFERENCE = re.compile(r"\b[Tt]he (?:company|firm|group|start-?up)\b(?!['’])")
#: a sentence that opens on the deal just told: "The agreement comes ...", "The pact runs ..."
_DEAL_REFERENCE = re.compile(
    r"^\W*(?:The|That|This|Its|Their) (?:[\w-]+ )?(?:deal|agreement|contract|pact|arrangement|partnership|lease)\b"
)
#: the deal the article is about, named in a sentence that names no company: "... but the partnership
#: agreement now runs until ..."
_DEAL_MENTION = re.compile(
    r"\b[Tt]he (?:[\w-]+ )?(?:agreement|contract|pact|partnership|relationship|alliance)\b"
)


def _rare_first_word(word: str) -> bool:
    return len(word) >= 4 and word[:1].isupper() and not is_ordinary(word.lower(), 50_000)


class ArticleNames:
    """Unlisted companies an article names somewhere by their shape ("Lumenfield, the Denver GPU
    cloud, ..."): every other mention of the same name in the article is the same company."""

    def __init__(self, names: frozenset[str] = frozenset()) -> None:
        self.names = names
        ordered = sorted(names, key=len, reverse=True)
        self.rx = (
            re.compile(r"(?<![\w.-])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w-])")
            if names
            else None
        )

    @classmethod
    def of(cls, unknown: dict[str, list[Mention]]) -> ArticleNames:
        """The names of ``unknown`` (each sentence's :meth:`EntityIndex.find_unknown`)."""
        found = {m.name for mentions in unknown.values() for m in mentions}
        # "Rheinwerk" for "Rheinwerk Rechenzentren": the first word of a longer unlisted name, when
        # that word is no ordinary English word
        short = {n.split()[0] for n in found if " " in n and _rare_first_word(n.split()[0])}
        # "Prairie Rivers" for "Prairie Rivers Electric Cooperative"
        short |= {
            " ".join(n.split()[:2]) for n in found if len(n.split()) >= 3 and n.split()[1][:1].isupper()
        }
        return cls(frozenset(n for n in found | short if len(n) > 2))

    def add_to(self, text: str, mentions: list[Mention]) -> list[Mention]:
        """``mentions`` with the article's other names in ``text`` added, in text order."""
        if self.rx is None:
            return mentions
        extra = [  # known: the article shows elsewhere that the name is a company's
            Mention(m.group(0), m.start(), m.end(), known=True)
            for m in self.rx.finditer(text)
            if not any(o.start < m.end() and m.start() < o.end for o in mentions)
        ]
        return sorted(mentions + extra, key=lambda m: m.start) if extra else mentions


class _Reader:
    """Reads an article's sentences in order, carrying the parties of the last sentence that
    named some to the next one that refers back to them ("the two companies")."""

    def __init__(self, entities: EntityIndex, reference_year: int | None, reference: str | None) -> None:
        self.entities = entities
        self.reference_year = reference_year
        self.reference = reference
        self.topic: tuple[str, int] | None = None  # (company, paragraph) of a list item's heading
        self.subject: str | None = None  # the company the last sentence named last as a subject
        self.names = ArticleNames()
        self.last_deal: tuple[str, ...] = ()  # the companies of the last deal told
        #: how many sentences name each pair of companies together
        self.together: dict[frozenset[str], int] = {}
        #: pairs named together in the headline and lead (whatever the sentences claim)
        self.lead_pairs: dict[frozenset[str], int] = {}
        self.unknown: dict[str, list[Mention]] = {}  # each sentence's unlisted names, found once
        self.previous: tuple[str, ...] = ()
        #: sentences that cannot make a claim, read only if a later sentence refers back
        self.pending: list[Surface] = []

    def main_pair(self) -> tuple[str, ...] | None:
        """The two companies the article has named together most, when they stand out (two
        sentences or more, more than any other pair): whose "partnership" an unnamed one is."""
        counts = dict(self.lead_pairs)
        for pair, n in self.together.items():
            counts[pair] = counts.get(pair, 0) + n
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
            return None
        return tuple(sorted(ranked[0][0]))

    def note_subject(self, text: str) -> None:
        """A sentence that makes no claim can still say whom the next one is about ("Nebius
        came first."): a company it opens with."""
        head = text[:60]
        unknown = [m for m in self.unknown.get(text, []) if m.end <= len(head)]
        mentions = self.names.add_to(head, self.entities.find_mentions(head, unknown))
        if mentions and mentions[0].start <= 4:
            self.subject = mentions[0].name

    def read(self, surface: Surface) -> Context | None:
        """The context of a sentence, or None when it names no company and refers to none."""
        text = surface.sentence.text
        if self.pending and lx.refers_back(text):
            pending, self.pending = self.pending, []
            for skipped in pending:
                self.read(skipped)
        mentions = self.names.add_to(text, self.entities.find_mentions(text, self.unknown.get(text)))
        continues = bool(self.last_deal) and bool(_DEAL_CONTINUES.match(text))
        singular = not mentions and self.subject is not None and bool(_SINGULAR_REFERENCE.search(text))
        main_pair = self.main_pair() if not mentions and _DEAL_MENTION.search(text) else None
        refers = bool(self.previous and lx.refers_back(text))
        if not mentions and not refers and not continues and not singular and main_pair is None:
            return None
        topic = self.topic[0] if self.topic and self.topic[1] == surface.sentence.paragraph else None
        previous = (
            self.last_deal if self.last_deal and (continues or _DEAL_REFERENCE.match(text)) else self.previous
        )
        if main_pair is not None and not continues and not _DEAL_REFERENCE.match(text):
            previous = main_pair
        if (singular or _SINGULAR_START.match(text)) and self.subject:
            previous = (self.subject,)  # "It said ...": one company, the one just named
        ctx = read_sentence(
            surface, mentions, self.entities, previous, self.reference_year, self.reference, topic
        )
        ctx.previous_subject = self.subject
        subject = last_subject(ctx)
        if subject is not None:
            self.subject = subject
        parties = tuple(dict.fromkeys(t.name for t in ctx.typed if t.party))
        if parties:
            self.previous, self.pending = parties, []
        for i, a in enumerate(parties):
            for b in parties[i + 1 :]:
                key = frozenset((a, b))
                self.together[key] = self.together.get(key, 0) + 1
        return ctx


def extract_claims(
    text: str,
    entities: EntityIndex,
    *,
    title: str = "",
    reference_year: int | None = None,
    trace: list[Context] | None = None,
) -> list[Claim]:
    """The claims an article makes. ``title`` (the headline) is read as a first sentence;
    ``reference_year`` (the publication year) lets "in 2019" mark a claim as history.
    ``trace``, when given, receives the context of every sentence read (for ``--explain``)."""
    document = read_document(text, title)
    # a correction notice: what it says the article got wrong is no claim, what it says is right is
    sentences = [
        s for s in document.sentences if s.zone is not Zone.CORRECTION or not _CORRECTED_AWAY.search(s.text)
    ]
    claims: list[Claim] = []
    unknown = {s.text: entities.find_unknown(s.text) for s in sentences}
    for s in sentences:
        lead = _lead_name(s)
        if (
            lead
            and lead not in entities.aliases
            and lead not in entities.places
            and not entities.find_known(lead)
        ):
            unknown[s.text] = [*unknown[s.text], Mention(entities.canonical(lead), 0, len(lead), known=False)]
    opening = _lead_parties(sentences[:3], entities, unknown)
    reader = _Reader(entities, reference_year, salient_company(opening))
    reader.unknown = unknown
    reader.names = ArticleNames.of(reader.unknown)
    reader.lead_pairs = _pairs_named(opening)
    for sentence in sentences:
        heading = _heading(sentence, entities)
        if heading:
            reader.topic = (heading, sentence.paragraph)
            continue
        lead = _lead_name(sentence)
        row = _row_topic(sentence, reader) or (lead if lead and lead not in entities.places else None)
        if row is not None:
            reader.topic = (row, sentence.paragraph)
        surface = read_surface(sentence)
        if not may_claim(surface):
            reader.pending.append(surface)  # its companies matter only to a later "they"
            reader.note_subject(sentence.text)
            continue
        ctx = reader.read(surface)
        if ctx is not None:
            found = sentence_claims(ctx)
            claims.extend(found)
            deal = next(
                (c.parties for c in found if ClaimFlag.DEAL in c.notes and len(set(c.parties)) == 2), None
            )
            if deal:
                reader.last_deal = deal  # "The agreement ..." refers to this deal's companies
            if trace is not None:
                trace.append(ctx)
    if entities.projects:
        claims = [_resolve_projects(c, entities.projects) for c in claims]
    claims = _deny_reports(claims, sentences, entities, unknown)
    lead_end = sentences[min(2, len(sentences) - 1)].end if sentences else 0
    ranked = sorted(reader.together.items(), key=lambda kv: -kv[1])
    pair: tuple[str, ...] | None = tuple(sorted(ranked[0][0])) if ranked else None
    return _complete_deals(claims, reader.reference, lead_end, pair)


def _named_deal(name: str, text: str) -> bool:
    """ "The Microsoft agreement", "its Microsoft contract": a deal named after the company the
    article's subject made it with."""
    return bool(
        re.search(
            r"\b(?i:the|its|their|a|an)\s+(?:[$\w.,-]+\s+){0,2}?"
            + re.escape(name)
            + r"(?:['’]s)?\s+(?:[\w-]+\s+)?"
            r"(?:deal|agreement|contract|pact|lease|partnership|commitment|order)s?\b",
            text,
        )
    )


#: rights that one company holds against another: "its exclusivity", "Microsoft's rights run to 2032"
_BILATERAL = frozenset({"exclusivity", "preferential_rights", "partnership_term"})
#: a sentence that goes on about the deal just told: "The committed value is ...", "It is worth ..."
_DEAL_CONTINUES = re.compile(
    r"^\W*(?:The|That|This|Its|It)\b(?:\s+[\w-]+){0,3}\s+(?:value|worth|price|term|total|deal|contract|"
    r"agreement|(?:is|was) (?:worth|valued)|runs|covers|appears|seems)\b"
)
#: one deal named in the singular ("signs GPU deal worth ..."), not a sum of many ("$60bn of rented GPUs")
_ONE_DEAL = re.compile(
    r"\b(?:deal|contract|agreement|pact|lease|order|investment|stake)\b(?!s)", re.IGNORECASE
)
#: a sentence about several companies at once is no one company's deal
_PLURAL = re.compile(
    r"\b(?:two|three|both|the companies|the firms|between them|such|(?:commitments|contracts|deals|agreements|"
    r"leases) (?:to|with) (?:such|these|those|several|many|other|specialist|various))\b",
    re.IGNORECASE,
)


def _complete_deals(
    claims: list[Claim], salient: str | None, lead_end: int, pair: tuple[str, ...] | None
) -> list[Claim]:
    """A deal claim that names one company ("Microsoft signs GPU deal worth $17.4bn") is about
    the article's main deal when that company is in it, else about the company the article is
    about: the missing party comes from there."""
    main = next(
        (
            c.parties
            for c in claims
            if ClaimFlag.DEAL in c.notes and len(set(c.parties)) == 2 and not c.historical
        ),
        None,
    )
    out = []
    last: Claim | None = None  # the last deal with two companies, for "The committed value is ..."
    for c in claims:
        if (
            ClaimFlag.DEAL in c.notes
            and not c.parties
            and last is not None
            and 0 <= c.span.start - last.span.end < 300
            and _DEAL_CONTINUES.match(c.evidence)
        ):
            c = replace(c, parties=last.parties)
        if ClaimFlag.DEAL in c.notes and len(set(c.parties)) == 2:
            last = c
        if c.attribute in _BILATERAL and len(set(c.parties)) == 1 and pair and c.parties[0] in pair:
            c = replace(c, parties=tuple(dict.fromkeys((c.parties[0], *pair))))
        if ClaimFlag.DEAL in c.notes and len(set(c.parties)) == 1 and not _PLURAL.search(c.evidence):
            (only,) = set(c.parties)
            if main and only in main and _ONE_DEAL.search(c.evidence):
                c = replace(c, parties=tuple(dict.fromkeys((only, *main))))
            elif (
                salient
                and only != salient
                and _named_deal(only, c.evidence)
                or salient
                and only != salient
                and c.span.end <= lead_end
            ):
                c = replace(c, parties=(only, salient))
        out.append(c)
    return out


_ROW = re.compile(r"^\s*\|\s*(?P<cell>[^|]+?)\s*\|")


def _row_topic(sentence: Sentence, reader: _Reader) -> str | None:
    """A table row ("| Acme Cloud | lease | $2bn | ..."): the company in its first cell."""
    m = _ROW.match(sentence.text)
    if m is None:
        return None
    found = reader.names.add_to(m.group("cell"), reader.entities.find_mentions(m.group("cell")))
    return found[0].name if found else None


#: a list item that opens with the company it is about: "Lucerna Photonics - Shares of ..."
_LEAD_NAME = re.compile(r"^(?P<name>[A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){0,3})\s+[-–—:]\s+(?=[A-Z])")


def _lead_name(sentence: Sentence) -> str | None:
    m = _LEAD_NAME.match(sentence.text)
    if m is None or (m.group("name").isupper() and len(m.group("name")) > 4):
        return None  # a dateline ("SEATTLE - ..."), not a company
    return m.group("name")


_HEADING = re.compile(r"^\W*(?P<name>[^.:;!?]{1,60}?)\s*[.:\u2014\u2013-]?\s*$")


def _heading(sentence: Sentence, entities: EntityIndex) -> str | None:
    """The company a list item's heading names ("Amazon Web Services." or "Oracle:"), if the
    sentence is nothing but that name."""
    m = _HEADING.match(sentence.text)
    if m is None or len(m.group("name").split()) > 5:
        return None
    found = entities.find_mentions(m.group("name"))
    if len(found) == 1 and found[0].start == 0 and found[0].end >= len(m.group("name").rstrip()) - 1:
        return found[0].name
    return None


def _lead_parties(
    sentences: list[Sentence], entities: EntityIndex, unknown: dict[str, list[Mention]]
) -> list[list[str]]:
    """The companies each of ``sentences`` names as parties (the headline and lead, read once)."""
    return [
        [
            t.name
            for t in type_mentions(s.text, entities.find_mentions(s.text, unknown.get(s.text)))
            if t.party
        ]
        for s in sentences
    ]


def salient_company(lead: list[list[str]]) -> str | None:
    """The company an article is about: the one its headline and lead name most (first wins)."""
    counts: dict[str, int] = {}
    for names in lead:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=lambda n: counts[n]) if counts else None


def _denies_a_report(low: str) -> bool:
    """A denial (the lexicon's) next to the word "report": "rejected a report that ...", "the
    report is inaccurate"."""
    if "report" not in low or lx.NOT_A_DENIAL.rx.search(low):
        return False
    return any("report" in low[max(0, m.start() - 40) : m.end() + 40] for m in lx.DENIED.rx.finditer(low))


def _deny_reports(
    claims: list[Claim], sentences: list[Sentence], entities: EntityIndex, unknown: dict[str, list[Mention]]
) -> list[Claim]:
    """A reported claim between companies whose report the article calls wrong (a sentence
    naming both says the report is denied, rejected or inaccurate) is denied, not reported."""
    reported = [
        c
        for c in claims
        if len(set(c.parties)) >= 2 and (c.hedge is Hedge.REPORTED or ClaimFlag.REPORTED in c.notes)
    ]
    if not reported:
        return claims
    denied: list[set[str]] = []
    for s in sentences:
        if _denies_a_report(lx.fold(s.text)):
            denied.append({m.name for m in entities.find_mentions(s.text, unknown.get(s.text))})
    if not denied:
        return claims
    return [
        replace(c, hedge=Hedge.DENIED)
        if c in reported and any(set(c.parties[:2]) <= names for names in denied)
        else c
        for c in claims
    ]


#: a sentence of a correction notice about what was wrong, or the notice's own heading
_CORRECTED_AWAY = re.compile(
    r"\b(?:earlier|previous|original|prior) version|\b(?:incorrectly|erroneously|wrongly|mistakenly|misstated|"
    r"misidentified|misreported)\b|^\W*(?:corrections?|clarifications?|editor['’]s note)\W*$|has been (?:corrected|updated|amended)",
    re.IGNORECASE,
)


def _pairs_named(lead: list[list[str]]) -> dict[frozenset[str], int]:
    """How many of the lead's sentences name each pair of companies together."""
    counts: dict[frozenset[str], int] = {}
    for names in lead:
        ordered = sorted(set(names))
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                counts[frozenset((a, b))] = counts.get(frozenset((a, b)), 0) + 1
    return counts


def _names_its_deal(name: str, text: str) -> bool:
    """ "the Oracle deal", "Oracle's contract": the sentence names a deal of this company's own."""
    return (
        re.search(rf"\b{re.escape(name)}(?:['’]s)?\s+(?:[\w-]+\s+)?(?:deal|contract|agreement|pact)\b", text)
        is not None
    )


def _resolve_projects(claim: Claim, projects: Mapping[str, tuple[str, ...]]) -> Claim:
    """A joint project named like a company ("Stargate's budget has grown to ..."): a figure
    for it is a figure for the companies behind it; it never signs a deal itself."""
    named = [p for p in claim.parties if p in projects]
    if not named:
        return claim
    others = [p for p in claim.parties if p not in projects]
    if claim.attribute == "project_value" and not any(_names_its_deal(p, claim.evidence) for p in others):
        # "OpenAI and SoftBank said the commitment to Stargate now stands at $650bn": the project's
        # size, whoever announced it (but "a $300-billion Oracle deal" is Oracle's)
        return replace(claim, parties=tuple(dict.fromkeys(m for p in named for m in projects[p])))
    if "deal" in claim.notes:
        return replace(claim, parties=tuple(others))
    if claim.attribute == "project_value":  # the project's size is its members' figure alone
        return replace(claim, parties=tuple(dict.fromkeys(m for p in named for m in projects[p])))
    members = [m for p in named for m in projects[p]]
    return replace(claim, parties=tuple(dict.fromkeys(others + members)))

"""Reading one sentence (pure, no I/O): the companies it names, its clauses, and how firmly
it states what stands at a given position (stated, reported, speculative or denied).

A :class:`Context` is built once per sentence and folds (lower-cases) the text once; the
word tests every rule needs are computed on first use (most sentences need only a few of
them) and then kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from watcher.differ import lexicon as lx
from watcher.differ.document import Sentence
from watcher.differ.entities import EntityIndex, Mention
from watcher.differ.mentions import Role, Typed, type_mentions
from watcher.differ.quantities import Quantity, find_quantities
from watcher.types import Hedge

#: where a clause ends; a defined term in brackets ('(the "Agreement")', as filings write) is none
_CLAUSE_BREAK = re.compile(
    r"[;:]\s|,\s(?!(?:US\$|[$€£¥]|\d|[\w]+-(?:year|month|gigawatt|megawatt)\b))|\s[—–-]\s|\s\((?!(?:the |an? )?[\x22\u201c'\u2018])|(?<![\x22\u201d'\u2019])\)\s|\s(?:while|whereas|but|although|though|after|before|which|who|as|when)\s"
)
_HEDGE_RANK = {
    Hedge.STATED: 0,
    Hedge.REPORTED: 1,
    Hedge.PLANNED: 2,
    Hedge.TALKS: 3,
    Hedge.SPECULATIVE: 4,
    Hedge.DENIED: 5,
}
_DEAL_SIZED = re.compile(r"[$€£¥]|\d\s?(?:GW|MW|gigawatt|megawatt)|billion|crore", re.I)
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]?")
#: the one character whose lower case depends on its neighbours (a final sigma)
_CONTEXT_CASED = "Σ"


@dataclass(frozen=True, slots=True)
class Surface:
    """What a sentence shows before its companies are looked for: its folded text, its
    quantities and its first deal verb."""

    sentence: Sentence
    low: str
    quantities: tuple[Quantity, ...]
    deal_verb: re.Match[str] | None


def read_surface(sentence: Sentence) -> Surface:
    low = lx.fold(sentence.text)
    quantities = tuple(find_quantities(sentence.text, low))
    return Surface(sentence, low, quantities, lx.DEAL_VERB.rx.search(low))


def may_claim(surface: Surface) -> bool:
    """False when no rule can find a claim in the sentence, whatever companies it names:
    no quantity, no deal verb, no calendar year, and none of the status words."""
    low = surface.low
    return bool(
        surface.quantities
        or surface.deal_verb
        or (lx.TERM_YEAR.possible(low) and (lx.TERM_YEAR.rx.search(low) or lx.PROFIT_YEAR.rx.search(low)))
        or lx.EXCLUSIVITY.possible(low)
        or lx.PREFERENTIAL.possible(low)
        or lx.OPERATING_LOSS.possible(low)
        or (lx.PROFITABLE_NOW.possible(low) and lx.PROFITABLE_NOW.rx.search(low))
        or (lx.IN_HOUSE.possible(low) and lx.IN_HOUSE.rx.search(low))
        or (lx.DATA_CENTER_LAUNCH.possible(low) and lx.DATA_CENTER_LAUNCH.rx.search(low))
        or lx.MODEL_LAUNCH.search(surface.sentence.text)
        or (lx.MODEL_NAMES.search(surface.sentence.text) and lx.MODEL_OFFER.rx.search(low))
    )


class Context:
    """One sentence, read once: its text and folded text, the companies it names, the
    parties it is about (``carried``: borrowed from the previous sentence, "the two
    companies"), and lazily computed word tests."""

    def __init__(
        self,
        surface: Surface,
        parties: tuple[str, ...],
        mentions: tuple[Mention, ...],
        typed: tuple[Typed, ...],
        carried: tuple[str, ...],
        reference_year: int | None,
        reference: str | None = None,
        topic: str | None = None,
    ) -> None:
        self.sentence = surface.sentence
        self.text = surface.sentence.text
        self.low = surface.low
        self.quantities = surface.quantities
        self.deal_verb = surface.deal_verb
        self.parties = parties
        self.mentions = mentions
        #: the mentions with their roles (organisation, person, product maker, ...)
        self.typed = typed
        self.carried = carried
        self.reference_year = reference_year
        #: the company the article is about, for "It" and "the company" as a subject
        self.reference = reference
        #: the company a list item is about ("Amazon. A seven-year agreement ...")
        self.topic = topic
        #: the first company the sentence before named ("It" as a subject refers to it)
        self.previous_subject: str | None = None
        #: the companies of the sentence before ("The two companies signed ...")
        self.previous: tuple[str, ...] = ()
        #: results the frame rules compute more than once per sentence
        self.memo: dict[str, dict[tuple[int, int], object]] = {}

    def low_slice(self, start: int, end: int) -> str:
        """``fold(text[start:end])``, cut from the folded text when that is the same."""
        if _CONTEXT_CASED in self.text:
            return lx.fold(self.text[start:end])
        return self.low[start:end]

    def historical_at(self, pos: int | None) -> bool:
        """Whether what stands at ``pos`` is history: the sentence up to the end of that clause
        dates it ("In 2019 ...", "previously"), not a later comparison ("..., down from the $22bn
        it had previously reported")."""
        if pos is None or not self.historical:
            return self.historical
        _, end = self.clause(pos)
        # "Everyone quotes the old date, but it now runs until 2028": a contrast opens a statement
        # of its own, which what stands before it does not date
        begin = max((m.end() for m in _CONTRAST.finditer(self.text, 0, pos)), default=0)
        return _is_historical(self.low_slice(begin, end), self.reference_year)

    @cached_property
    def historical(self) -> bool:
        return _is_historical(self.low, self.reference_year)

    @cached_property
    def quote(self) -> bool:
        quoted = sum(len(m.group(0)) for m in _QUOTED.finditer(self.text))
        return quoted > 0.4 * len(self.text) or bool(lx.QUOTE_ATTRIBUTION.search(self.text))

    @cached_property
    def reported(self) -> bool:
        return bool(lx.REPORTED.rx.search(self.low))

    @cached_property
    def denial(self) -> int | None:
        """Where a denial starts, if any."""
        if lx.NOT_A_DENIAL.rx.search(self.low):
            return None
        m = lx.DENIED.rx.search(self.low)
        return m.start() if m else None

    @cached_property
    def conditional(self) -> bool:
        return bool(lx.CONDITIONAL_START.search(self.text))

    @cached_property
    def deal(self) -> bool:
        if self.deal_verb:
            return True
        return bool(lx.DEAL_NOUN.rx.search(self.low) and _DEAL_SIZED.search(self.text))

    @cached_property
    def novel(self) -> bool:
        return bool(lx.NOVEL.rx.search(self.low))

    def novel_at(self, pos: int | None) -> bool:
        """Whether the clause at ``pos`` (the sentence when None) says the deal is new or extra."""
        if pos is None or not self.novel:
            return self.novel
        start, end = self.clause(pos)
        if start > 0:  # "a second capacity contract, valued at $6.3bn": the clause before too
            start, _ = self.clause(max(0, start - 3))
        return bool(lx.NOVEL.rx.search(self.low_slice(start, end)))

    @cached_property
    def existing(self) -> bool:
        return bool(lx.EXISTING.rx.search(self.low))

    @cached_property
    def _breaks(self) -> tuple[tuple[int, int], ...]:
        return tuple(m.span() for m in _CLAUSE_BREAK.finditer(self.text))

    def clause(self, pos: int) -> tuple[int, int]:
        """The start and end of the clause around ``pos``."""
        start, end = 0, len(self.text)
        for b_start, b_end in self._breaks:
            if b_end <= pos:
                start = b_end
            elif b_start >= pos:
                end = b_start
                break
        return start, end


#: what opens a statement that contrasts with what came before it in the sentence
_CONTRAST = re.compile(r"(?:[,;]\s*|\s)(?:but|yet|whereas)\s|;\s")

#: an aside between commas ("Nscale, the company that was founded last year, said ...")
_ASIDE = re.compile(r",\s(?:the|a|an|which|who|whose|that)\b[^,]{0,120},")


def _is_historical(low: str, reference_year: int | None) -> bool:
    low = _ASIDE.sub(lambda m: " " * len(m.group(0)), low)
    if lx.HISTORY.rx.search(low):
        # "later than it had previously said", "twice the length originally announced": the old
        # figure is only a comparison
        if not lx.COMPARED_WITH_PAST.possible(low):
            return True
        if lx.HISTORY.rx.search(lx.COMPARED_WITH_PAST.rx.sub(" ", low)):
            return True
    if reference_year is None:
        return False
    for m in lx.PAST_YEAR_PHRASE.rx.finditer(low):
        year = int(m.group("year") or m.group("year2"))
        if year < reference_year and not _starts_a_term(low, m.start()):
            return True
    return False


def _starts_a_term(low: str, pos: int) -> bool:
    """ "a 10-year term from 2025": the year a current term starts, not history."""
    return any(t.start() <= pos < t.end() for t in lx.TERM_SPAN.rx.finditer(low, max(0, pos - 60), pos + 12))


# ------------------------------------------------------------------ parties


def _ordered(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def read_sentence(
    surface: Surface,
    found: list[Mention],
    entities: EntityIndex,
    previous: tuple[str, ...],
    reference_year: int | None,
    reference: str | None = None,
    topic: str | None = None,
) -> Context:
    """The context of a sentence whose company names are ``found``; ``previous`` are the
    parties of the sentence before (for "the two companies")."""
    text = surface.sentence.text
    mentions = [m for m in found if m.known or not entities.is_person_context(text, m)]
    typed = type_mentions(text, mentions)
    names = [t.name for t in typed if t.party or t.role is Role.PRODUCT_MAKER]
    carried: tuple[str, ...] = ()
    if len(set(names)) < 2 and (lx.refers_back(text) or (not mentions and previous)):
        carried = tuple(previous)
        names = names + list(previous)
    ctx = Context(surface, _ordered(names), tuple(mentions), typed, carried, reference_year, reference, topic)
    ctx.previous = tuple(previous)
    return ctx


def deal_cue_before(ctx: Context, pos: int) -> re.Match[str] | None:
    """A deal verb or noun in the sentence up to the end of the clause at ``pos``."""
    _, end = ctx.clause(pos)
    head = ctx.low_slice(0, end)
    return lx.DEAL_VERB.rx.search(head) or lx.DEAL_NOUN.rx.search(head)


# ------------------------------------------------------------------ hedges


def hedge_at(ctx: Context, pos: int) -> Hedge:
    """How firmly the sentence states what stands at ``pos``: denied, speculated about, in
    talks, planned, reported or stated (the first that applies)."""
    start, end = ctx.clause(pos)
    if ctx.denial is not None and (ctx.denial < pos or start <= ctx.denial < end):
        return Hedge.DENIED
    if ctx.conditional or lx.SPECULATIVE.rx.search(ctx.low_slice(start, min(end, pos + 25))):
        return Hedge.SPECULATIVE
    if lx.TALKS.rx.search(ctx.low_slice(0, min(end, pos + 25))):
        return Hedge.TALKS
    if lx.PLANNED.rx.search(ctx.low_slice(start, min(end, pos + 25))):
        return Hedge.PLANNED
    if ctx.reported:
        return Hedge.REPORTED
    return Hedge.STATED


def projection_hedge(ctx: Context, pos: int) -> Hedge:
    """The hedge of a projection at ``pos``: planning words are how a projection is stated."""
    hedge = hedge_at(ctx, pos)
    if hedge is Hedge.PLANNED:
        return Hedge.REPORTED if ctx.reported else Hedge.STATED
    if hedge is not Hedge.SPECULATIVE or ctx.conditional:
        return hedge
    start, end = ctx.clause(pos)
    clause = lx.PLAN_WORDS.rx.sub(" ", ctx.low_slice(start, end))
    if lx.SPECULATIVE.rx.search(clause):
        return hedge
    return Hedge.REPORTED if ctx.reported else Hedge.STATED


def firmest(*hedges: Hedge) -> Hedge:
    """The strongest hedge of several (a denial outranks speculation, which outranks a report)."""
    return max(hedges, key=lambda h: _HEDGE_RANK[h])

"""The word patterns claim extraction uses: hedges, history, deal verbs, attribute cues.

Plain compiled regular expressions, nothing else: the rules that use them live in
:mod:`watcher.differ.claims`. Every pattern is about how news is written in general; none names a
company, a figure or an event.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources

import yaml


def fold(text: str) -> str:
    """Lower case with the same length (so match offsets stay valid)."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class Folded:
    """A case-insensitive pattern that lower-cases the text instead of using re.IGNORECASE
    (Python's re is several times faster that way on long alternations).

    ``needles``, when given, are substrings every match contains (in lower case): text
    without any of them is not searched at all. :attr:`rx` is the compiled pattern, for
    callers that already hold the folded text."""

    __slots__ = ("pattern", "rx", "needles")

    def __init__(self, pattern: str, needles: tuple[str, ...] = ()) -> None:
        self.pattern = re.sub(
            r"\\.|\(\?P[<=]\w*|[A-Z]",
            lambda m: m.group(0) if m.group(0)[0] in "\\(" else m.group(0).lower(),
            pattern,
        )
        self.rx = re.compile(self.pattern)
        self.needles = needles

    def possible(self, low: str) -> bool:
        """False when folded ``low`` cannot match (it holds none of the needles)."""
        return not self.needles or any(n in low for n in self.needles)

    def search_low(self, low: str) -> re.Match[str] | None:
        """:meth:`search` on text that is already folded."""
        return self.rx.search(low) if self.possible(low) else None

    def search(self, text: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        return self.rx.search(fold(text), pos, endpos)

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.rx.match(fold(text), pos)

    def sub(self, text: str, repl: str = " ") -> str:
        """``text`` lower-cased, with every match replaced by ``repl``."""
        return self.rx.sub(repl, fold(text))

    def finditer(self, text: str, pos: int = 0, endpos: int = 2**62) -> Iterator[re.Match[str]]:
        return self.rx.finditer(fold(text), pos, endpos)


def _load_sections() -> dict[str, list[dict[str, str]]]:
    """The word lists of ``lexicon.yaml``, beside this module (shipped as package data)."""
    text = resources.files("watcher.differ").joinpath("lexicon.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    return {str(k): list(v) for k, v in data.items()}


SECTIONS = _load_sections()


def section_pattern(name: str) -> str:
    """One section of ``lexicon.yaml`` as a regular expression: its entries as whole words."""
    return r"\b(?:" + "|".join(e["pattern"] for e in SECTIONS[name]) + r")\b"


def _section(name: str, needles: tuple[str, ...] = ()) -> Folded:
    return Folded(section_pattern(name), needles)


MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"

# ------------------------------------------------------------------ hedges

DENIED = _section("denied")
NOT_A_DENIAL = _section("not_a_denial")
SPECULATIVE = _section("speculative")
#: talks: news, reported as ``talks`` (a deal being negotiated, not yet signed)
TALKS = _section("talks")
#: plans: news, reported as ``planned`` (a commitment announced for the future)
PLANNED = _section("planned")
#: planning words: a hedge for a deal, but the normal way to state a projection (spending, a profit year)
PLAN_WORDS = Folded(
    r"\b(?:plans? to|planning to|planned|intends? to|intended to|intending to|aims? to|aimed at|expects? to)\b"
)
#: "committed to spend $3bn on its services": a purchase from a supplier, not a total budget
SUPPLIER_AFTER = re.compile(r"^\s+(?:of\s+\w+\s+)?(?:on|with|at)\s+(?:(?:its|their)\s+(?!own\b)|[A-Z])")
CONDITIONAL_START = re.compile(r"^\W*(?:If|Should|Were|Unless|Even if)\b")
REPORTED = _section("reported")

# ------------------------------------------------------------------ time

HISTORY = _section("history")
#: "a year later than it had previously said", "twice the length originally announced": the old
#: figure is a comparison, the claim itself is current
COMPARED_WITH_PAST = Folded(
    r"\b(?:than|twice|double|triple|half|up from|down from|compared (?:with|to)|versus)\s+(?:[\w'’]+\s+){0,4}?"
    r"(?:previous(?:ly)?|original(?:ly)?|initially|earlier|first|once)\b"
    r"(?:\s+(?:planned|expected|thought|forecast|projected|said|told|announced|estimated))?",
    needles=("than", "twice", "double", "triple", "half", " from", "compared", "versus"),
)
#: "a 10-year term from 2025": the year a term starts, then its length gives the year it ends
TERM_SPAN = Folded(
    r"\b(?P<num>\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)[\s-]years?"
    r"(?:[\s-](?:term|deal|agreement|contract|partnership|lease|arrangement|period))?\s+"
    r"(?:from|starting(?: in| from)?|beginning(?: in)?|commencing(?: in)?|that (?:began|begins|started|starts) in)\s+"
    r"(?P<year>(?:19|20)\d{2})\b",
    needles=("year",),
)
PAST_YEAR_PHRASE = Folded(
    r"\b(?:in|back in|during|by|of|from)\s+(?:early |late |mid-?)?(?:"
    + MONTHS
    + r"\s+)?(?P<year>(?:19|20)\d{2})\b|"
    r"\b(?:the|a|its|their)\s+(?P<year2>(?:19|20)\d{2})\s+(?:deal|agreement|investment|contract|cheque|check|pact|round|arrangement)\b"
)

# ------------------------------------------------------------------ deals

DEAL_VERB = _section("deal_verb")
DEAL_NOUN = _section("deal_noun")
NOVEL = _section("novel")
EXISTING = _section("existing")

# per-quantity markers, looked for just before the amount
INCREMENT_BEFORE = Folded(
    r"(?:\bby|\badditional|\banother|\bfurther|\bextra|\bincremental|\btop-up of|\binitial\b[\w\s-]{0,30}|\bfirst\b[\w\s-]{0,20}|\badded|\badds|\badding)\s+(?:up to |about |roughly |some |as much as |nearly )?(?:US|U\.S\.)?\s*$"
)
REFERENCE_BEFORE = Folded(
    r"(?:\bthan\s+(?:the|its|their|that|an?)|\b(?:from|versus|vs\.?|compared (?:with|to)|instead of|rather than|previous(?:ly)?|prior|earlier|original(?:ly)?|old|half|double|twice))"
    r"\s+(?:the\s+|its\s+|an?\s+|that\s+)?(?:[\w-]+\s+){0,2}?(?:about\s+|roughly\s+|some\s+|around\s+)?(?:US|U\.S\.)?\s*$"
)
QUOTE_ATTRIBUTION = re.compile(
    r"[\"“”]\s*,?\s*(?:said|says|added|wrote|noted)\b|\b(?:said|says)\s+[A-Z]\w+ [A-Z]\w+,", re.UNICODE
)

# ------------------------------------------------------------------ attribute cues (nearest cue wins)

CUES: tuple[tuple[str | None, Folded], ...] = (
    (
        "valuation",
        Folded(
            r"\b(?:valu(?:ed|ation|ing)|market (?:value|cap\w*)|capitali[sz]ation|worth (?:of|roughly|about) (?:the|its) stake|"
            r"(?:its|their|the) (?:\w+ )?(?:stake|holding) (?:is |was )?(?:now )?(?:worth|valued))\b"
        ),
    ),
    ("project_value", Folded(r"\b(?:stargate|programme|program|initiative|joint venture|venture|project)\b")),
    (
        "investment",
        Folded(
            r"\b(?:invest(?:s|ed|ing|ment|ments|or)?|put|puts|pour(?:s|ed)?|inject(?:s|ed)?|funding|backing|stake|holding)\b"
        ),
    ),
    (
        "spending",
        Folded(r"\b(?:spend(?:s|ing)?|spent|expenditure|burn(?:s|ing)?|capex|capital spending|costs?)\b"),
    ),
    (
        None,
        Folded(
            r"\b(?:revenue|sales|earnings|income|profits?|shares?\b|stock|share price|trading|backlog|performance obligation|debt|bonds?|raise|raised|funding round|salar\w+|savings|enterprise value|annuali[sz]ed|run-rate|ipo|listing|quarter|fine|penalty|tax|loans?|guarantee\w*|prize|award)\b"
        ),
    ),
    (
        "compute_deal",
        Folded(
            r"\b(?:deals?|contracts?|agreements?|commitments?|commit\w*|buy|bought|purchas\w+|capacity|services|comput\w+|cloud|lease\w*|rent\w*|orders?|worth|pact|supply|supplies|chips?|gpus?|processors|accelerators|servers|campus|facility|data[- ]?cent\w+)\b"
        ),
    ),
)
STAKE_CUE = Folded(r"\b(?:stake|holding|own(?:s|ed|ership)?|equity|shareholder)\b")
DOWNLOADS_CUE = Folded(r"\bdownloads?\b")
CATALOG_CUE = Folded(r"\b(?:catalog(?:ue)?|offers?|lists?|hosts?|menu)\b")

#: every calendar year 1900-2099 holds one of these
YEAR_NEEDLES = ("19", "20")
TERM_YEAR = Folded(
    r"\b(?:through|until|till|to|into|runs? (?:through|to|until)|extends? (?:through|to|until)|expir\w* (?:in|at the end of)|"
    r"ends? in|end in|ending in|last\w* until|runs? out in|conclud\w* in|(?:end|expiry|expiration) date (?:of|in)|out to)\s+"
    r"(?:the end of\s+)?(?:(?:early|late|mid-?)\s*)?(?:" + MONTHS + r"\s+)?(?P<year>(?:19|20)\d{2})\b",
    needles=YEAR_NEEDLES,
)
TERM_SUBJECT = Folded(
    r"\b(?:agreement|partnership|pact|contract|deal|rights?|access|licen[cs]e|terms|framework|arrangement|alliance|exclusiv\w+|relationship|ip)\b"
)
PROFIT_YEAR = Folded(
    r"\b(?:profitab\w+|profitable|turn a profit|break[- ]even|cash[- ]flow positive)\b[^.]{0,40}?\b(?:in|by|for|until)\s+(?P<year>(?:19|20)\d{2})\b",
    needles=YEAR_NEEDLES,
)

EXCLUSIVITY = Folded(
    r"\bexclusiv(?:ity|e (?:rights?|home|access|cloud|provider|hold|arrangement|deal|licen[cs]e|partner|supplier|over|to))\w*|\bAPI exclusivity\b|\bexclusive to\b",
    needles=("exclusiv",),
)
PREFERENTIAL = Folded(
    r"\b(?:right of first refusal|rofr|preferential rights?|preferred (?:partner|provider|supplier)|first call on)\b",
    needles=("refusal", "rofr", "preferential", "preferred", "first call on"),
)
#: an arrangement loosened but not ended ("effectively over", "watered down")
WEAKENED = _section("weakened")
ENDED = _section("ended")
IN_FORCE = _section("in_force")
OPERATING_LOSS = _section("operating_loss", needles=("lose", "losing", "lost", "loss", "profitable"))
MODEL_OFFER = Folded(
    r"\b(?:offer\w*|add\w*|integrat\w*|us(?:e|es|ing)|bring\w*|available|choose|choosing|pick|switch|inside|power\w*|host\w*|menu|preview)\b"
)
MODEL_NAMES = re.compile(r"\b(?:models?|Claude|Grok|Gemini|GPT[-\w.]*|Llama|Sonnet|Opus|technology)\b")
CHIP_WORDS = Folded(r"\b(?:chips?|gpus?|tpus?|processors?|accelerators?|silicon|semiconductors?|graphics)\b")
CLOUD_WORDS = Folded(r"\b(?:cloud|servers?|capacity|comput\w+|data cent\w+|infrastructure|services)\b")
PRODUCT_AFTER = re.compile(
    r"^(?:['’]s)?\s+(?:(?:own|latest|new|in-house|custom|(?-i:[A-Z][\w.-]*)|\d[\w.-]*)\s+){0,3}?(?:chips?|gpus?|tpus?|processors?|graphics|accelerators?|systems|hardware|servers?|racks|platform|superchips?|clusters?|instances|supercomputers?|cards|chipsets?|silicon)\b"
    r"(?!\s+(?:deal|contract|agreement|lease|order|pact|partnership|commitment|purchase|supply|rental)s?\b)"
    # "Nvidia GB300 capacity": capacity named after a product, not the company's own capacity
    r"|^(?:['’]s)?\s+(?:(?-i:[A-Z][\w.-]*\d[\w.-]*|[A-Z]{2,}\d*)\s+){1,2}(?:capacity|compute)\b",
    re.IGNORECASE,
)
_ANAPHORA_START = r"^\W*(?:Its|It|Their|They|The (?:pact|deal|agreement|contract|partnership|companies|two companies|two|pair|firms|arrangement|alliance|framework))\b"
_ANAPHORA_ANYWHERE = (
    r"\b(?:the two companies|both companies|the two firms|the pair|the companies|"
    r"(?:these|those|both|the two) (?:deals|agreements|contracts|arrangements))\b"
)
ANAPHORA = re.compile(_ANAPHORA_START + "|" + _ANAPHORA_ANYWHERE)
_ANAPHORA_AT_START = re.compile(_ANAPHORA_START)
_ANAPHORA_NEEDLES = ("the two ", "both ", "the pair", "the companies", "these ", "those ")


def refers_back(text: str) -> bool:
    """Whether ``text`` refers to companies named before ("The pact ...", "the two companies"):
    ``bool(ANAPHORA.search(text))``, without scanning text that holds none of its phrases."""
    if _ANAPHORA_AT_START.match(text):
        return True
    return any(n in text for n in _ANAPHORA_NEEDLES) and bool(ANAPHORA.search(text))


# ------------------------------------------------------------------ periods (what a flow figure covers)

_MONTH_FULL = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
#: month names are matched case-sensitively ("May", not the verb "may")
PERIOD_MONTH = re.compile(
    r"\b(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)\b"
    r"(?:\s+(?P<year>(?:19|20)\d{2})\b)?"
)
PERIOD_QUARTER = Folded(
    r"\b(?:(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th|final|last|latest|current|(?P<qm>"
    + _MONTH_FULL
    + r")|(?:three|3) months?)[\s-]quarter|q(?P<qn>[1-4])|quarterly|(?:the|a|per|each) quarter)\b"
    r"(?:\s+(?:of\s+)?(?:fiscal\s+|calendar\s+)?(?P<year>(?:19|20)\d{2})\b)?",
    needles=("quarter", "q"),
)
PERIOD_HALF = Folded(
    r"\b(?:(?P<ord>first|second)[\s-]half|h(?P<hn>[12]))\b(?:\s+(?:of\s+)?(?:fiscal\s+)?(?P<year>(?:19|20)\d{2})\b)?",
    needles=("half", "h1", "h2"),
)
PERIOD_YEAR = Folded(
    r"\b(?:(?:this|last|next|per|each|a|the) year\b(?!\s+(?:earlier|later|ago|before|after|or|and))|annual(?:ly|i[sz]ed)?\b|yearly\b|"
    r"(?:in|during|for) (?:fiscal |calendar |the fiscal year |the year )?(?P<year>(?:19|20)\d{2})\b(?!\s*(?:-|to|and)\s*\d)|fiscal (?P<year2>(?:19|20)\d{2})\b)",
    needles=("year", "annual", "in 19", "in 20", "for 19", "for 20", "during", "fiscal"),
)
DECLINE_BEFORE = Folded(
    r"\b(?:fell|fall(?:s|ing)?|drop(?:s|ped|ping)?|declin(?:e|es|ed|ing)(?: by)?|decreas\w*|slid|slump\w*|"
    r"shr[au]nk|contract\w*|down|lower|slip(?:s|ped)?|plung\w*|tumbl\w*)\b[^.;]{0,25}$"
)
DECLINE_AFTER = Folded(r"^\W{0,3}(?:\w+\W+){0,3}?(?:decline|drop|fall|decrease|slump|dip)\b")


# ------------------------------------------------------------------ who is not a party

#: common given names: an unlisted name that starts with one is a person ("Sam Altman")
GIVEN_NAMES = frozenset(
    """Aaron Adam Alan Alex Alexander Alice Amy Andrew Andy Angela Anna Anne Anthony Arvind Ben Benjamin
    Bill Bob Brad Brian Carlos Catherine Charles Chris Christopher Claire Colette Dan Daniel Dario
    David Deborah Diane Elizabeth Elon Emily Emma Eric Fidji Frank Gary George Greg Hannah Helen Henry
    Ian Jack James Jane Jason Jeff Jennifer Jensen Jessica John Jon Jonathan Joseph Josh Julia Julie
    Karen Kate Kevin Larry Laura Lisa Marc Maria Mark Martin Mary Masayoshi Matt Matthew Michael
    Michelle Mike Mustafa Nadella Nancy Nick Nicola Oliver Patrick Paul Peter Priya Rachel Raj Rajesh
    Rebecca Richard Robert Ryan Safra Sam Samuel Sarah Satya Scott Sean Simon Sophie Stephen Steve
    Steven Sundar Susan Thomas Tim Tom Victoria William Yann
    Abdul Ahmed Ahmad Aiko Akira Ali Amir Ana Andrea Andreas Anil Anja Antoine Arjun Ayesha Bruno Carla
    Chen Daniela Deepak Dmitri Elena Emma Fatima Felix Florian Francesca Francois Fritz Gabriel Giulia
    Hans Hiroshi Hyun Ingrid Isabel Ivan Jan Javier Jean Jin Jorge Juan Julien Jurgen Karl Katarina
    Kenji Klaus Lars Lena Li Lin Luca Lucas Luis Manuel Marco Mario Marta Matteo Mehmet Mei Min Mohamed
    Mohammed Nadia Naoko Nikolai Nils Olga Omar Pablo Pedro Pierre Rahul Ravi Ricardo Rohan Sakura Sandeep
    Sanjay Sergei Shin Sofia Sophie Stefan Stefano Sunil Takashi Tanvi Thomas Vikram Wei Yang Yasmin
    Yuki Yusuf Zhang Ziad Zoe""".split()
)
#: words before a name that make it a source, not a party ("an analyst at Roe Partners",
#: "told Acme News", "data from Acme Research")
NON_PARTY_BEFORE = re.compile(
    r"\b(?:arm|unit|subsidiary|division|affiliate|parent|owner|shareholders?) of\s+(?:the\s+|[A-Z][a-z]+['’]s\s+)?$|"
    r"\b(?:analysts?|economists?|strategists?|researchers?|professors?|fellows?|portfolio managers?|"
    r"fund managers?|partners?|directors?|heads? of [\w\s]{1,20}?|investors?|traders?|lawyers?) (?:at|with|from|of)\s+$|"
    r"\b(?:told|according to data from|data from|figures from|estimates from|research from|research firm|"
    r"a report (?:by|from)|a note (?:by|from)|reported by|ratings agency|brokerage)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
#: words after a name that make it a source ("Acme Research analyst Jane Doe", "Acme's analysts")
NON_PARTY_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:analysts?|economists?|strategists?|research (?:note|analyst)s?)\b|"
    r"['’]s\s+(?:[\w-]+\s+){0,2}?(?:conference|event|keynote|summit|expo|trade show|headquarters|website|blog)\b"
)


# ------------------------------------------------------------------ what a company builds or launches

#: "is developing its own AI models and chips"
IN_HOUSE = Folded(
    r"\b(?:develop\w*|build\w*|design\w*|mak(?:e|es|ing)|train\w*)\s+(?:its|their)\s+own\s+(?:[\w-]+\s+){0,2}?"
    r"(?:models?|chips?|silicon|processors?|accelerators?)\b",
    needles=(" own ",),
)
#: "launching its Norway-based data center project", "switched on its first data centre"
DATA_CENTER_LAUNCH = Folded(
    r"\b(?:launch\w*|open(?:s|ed|ing)|inaugurat\w*|switch\w* on|went live|goes live|came online|comes online)\s+"
    r"(?:(?:its|their|the|a|an)\s+)?(?:[\w-]+\s+){0,4}?data[- ]?cent(?:er|re)s?\b",
    needles=("data",),
)
#: "launched its first in-house models, MAI-Voice 1 and MAI-1-preview"
MODEL_LAUNCH = re.compile(
    r"\blaunch\w*\s+(?:its|their)\s+(?:first\s+)?(?:in-house|own|homegrown)\s+(?:AI\s+)?models?,?\s+"
    r"(?P<names>[A-Z][^.;:]*)"
)

#: a company that makes money now (it no longer operates at a loss): "turned a profit", "its first profitable quarter"
PROFITABLE_NOW = Folded(
    r"\b(?:turned|turns|posted|posts|reported|reports|booked|recorded) (?:its |a |an )?(?:first )?(?:operating |net |quarterly )?profit\b|"
    r"\b(?:first|a|its) profitable (?:quarter|year|month|half)\b|\b(?:is|was|became|has become) (?:now )?profitable\b",
    needles=("profit",),
)

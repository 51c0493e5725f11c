"""The typed values that flow between the pipeline's stages.

Nothing from a third-party library (a feedparser dict, a trafilatura result, an ORM row,
a telegram Message) travels past the module that imports that library: they are
translated into these frozen dataclasses at the boundary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ValueType(enum.StrEnum):
    """What a normalised value measures."""

    USD = "usd"  # an amount of money, in US dollars
    GW = "gw"  # electrical power, in gigawatts
    YEAR = "year"  # a calendar year (an end date, a target year)
    PERCENT = "percent"  # a percentage (a stake, a growth rate)
    DURATION = "duration"  # a length of time, in years
    COUNT = "count"  # a plain count (models, GPUs, shares)
    STATUS = "status"  # a status word: yes, in_force, ended, launched, denied ...
    TEXT = "text"  # free text (a product name)


class Qualifier(enum.StrEnum):
    """How precisely a value is stated."""

    EXACT = "exact"
    ABOUT = "about"
    OVER = "over"  # "over", "more than", "at least"
    UP_TO = "up_to"  # "up to", "as much as", "capped at"


class Hedge(enum.StrEnum):
    """How firmly the statement is made."""

    STATED = "stated"  # said as fact, or announced
    REPORTED = "reported"  # according to reports, sources, people familiar
    PLANNED = "planned"  # will invest, plans to, signed a letter of intent
    TALKS = "talks"  # in talks, nearing a deal, weighing
    SPECULATIVE = "speculative"  # could one day, analysts think X might
    DENIED = "denied"  # denied, no plans to, rejected, called off


class DealStatus(enum.StrEnum):
    """Where a deal stands, as an article tells it (shown to people in words)."""

    SIGNED = "signed"
    PLANNED = "planned"
    TALKS = "talks"
    REPORTED = "reported"
    DENIED = "denied"
    SPECULATIVE = "speculative"
    HISTORIC = "historic"

    @property
    def words(self) -> str:
        return _STATUS_WORDS[self]


_STATUS_WORDS = {
    DealStatus.SIGNED: "signed",
    DealStatus.PLANNED: "planned",
    DealStatus.TALKS: "in talks",
    DealStatus.REPORTED: "reported",
    DealStatus.DENIED: "denied",
    DealStatus.SPECULATIVE: "speculation",
    DealStatus.HISTORIC: "history",
}


class ClaimFlag(enum.StrEnum):
    """Markers the reader puts on a claim."""

    DEAL = "deal"  # a deal being made (a trigger with two parties)
    INCREMENT = "increment"  # "by $6.5bn", "an additional $2bn"
    NOVEL = "novel"  # "a new deal", "a second contract"
    EXISTING = "existing"  # "already rents", "continues to"
    QUOTE = "quote"  # said inside a quotation
    REPORTED = "reported"  # attributed to reports or unnamed sources
    PER_YEAR = "per_year"  # "$60bn a year": a yearly figure, not a total


class FindingKind(enum.StrEnum):
    NEW_DEAL = "new_deal"
    CONTRADICTION = "contradiction"
    CONFIRMATION = "confirmation"
    UPDATE = "update"


FLAG_KINDS = frozenset({FindingKind.NEW_DEAL, FindingKind.CONTRADICTION})


@dataclass(frozen=True, slots=True)
class Value:
    """A normalised value: ``Value(ValueType.USD, 13e9)`` or ``Value(ValueType.STATUS, text="ended")``."""

    type: ValueType
    amount: float | None = None
    text: str | None = None
    qualifier: Qualifier = Qualifier.EXACT
    high: float | None = None  # the top of a range ("$7.4bn, which could rise to $9.1bn")

    def display(self) -> str:
        """A short human form: 'over $13 billion', '4.5 GW', 'through 2030'."""
        return format_value(self)


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement an article makes, with its sentence as evidence."""

    parties: tuple[str, ...]
    kind: str  # deal, contract, investment, stake, partnership, exclusivity, term, capacity, ...
    attribute: str  # the baseline attribute vocabulary (see watcher.baseline.facts.ATTRIBUTES)
    value: Value | None
    hedge: Hedge
    evidence: str
    span: Span
    historical: bool = False  # about the past ("in 2019 ... invested $1 billion")
    notes: frozenset[str] = frozenset()  # ClaimFlag values, and a period marker for flows
    frame: tuple[str, ...] = ()  # every company of the deal frame (co-investors included)


@dataclass(frozen=True, slots=True)
class Provenance:
    seed: str  # file name under seeds/ (or an article URL for a confirmed fact)
    sentence: str


@dataclass(frozen=True, slots=True)
class Fact:
    """A baseline fact: a claim the analyst already knows, with where it comes from."""

    id: str
    parties: tuple[str, ...]
    attribute: str
    value: Value
    hedge: Hedge
    provenance: Provenance
    note: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """What the differ concludes about one claim against the baseline."""

    kind: FindingKind
    parties: tuple[str, ...]
    attribute: str
    baseline_fact: str | None
    baseline_value: str | None
    new_value: str | None
    evidence: str
    confidence: float
    explanation: str
    baseline_sentence: str | None = None  # the seed sentence of the fact, for alerts
    status: str | None = None  # a new deal's DealStatus words ("in talks, reported"), for people

    def to_json(self, source: str) -> dict[str, object]:
        """The public JSON contract (watcher diff --json, the scorer)."""
        return {
            "source": source,
            "kind": str(self.kind),
            "parties": list(self.parties),
            "attribute": self.attribute,
            "baseline_fact": self.baseline_fact,
            "baseline_value": self.baseline_value,
            "new_value": self.new_value,
            "evidence": self.evidence,
            "confidence": round(self.confidence, 3),
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class FeedSource:
    name: str
    url: str
    interval: int | None = None  # seconds; None = the global poll interval
    enabled: bool = True
    tags: tuple[str, ...] = ()
    fetch_all: bool = False  # `fetch: all`: fetch every entry's page, not only those the feed shows relevant


@dataclass(frozen=True, slots=True)
class Fetched:
    """An HTTP response body; ``content`` is None for a 304 Not Modified."""

    url: str
    status: int
    content: bytes | None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    retry_after: float | None = None  # seconds, from Retry-After
    max_age: float | None = None  # seconds, from Cache-Control


@dataclass(frozen=True, slots=True)
class FeedEntry:
    feed: str
    entry_id: str  # guid, else canonical link, else a content hash
    link: str | None
    title: str
    summary: str
    published: datetime | None
    categories: tuple[str, ...] = ()  # the item's own categories/tags, as the feed lists them


@dataclass(frozen=True, slots=True)
class Article:
    url: str
    canonical_url: str
    title: str
    text: str
    published: datetime | None
    site: str | None
    content_hash: str
    partial: bool = False


@dataclass(frozen=True, slots=True)
class FindingRecord:
    """One stored finding of one article, as the store reads it (no ORM row past the store); notify.items groups them."""

    finding_id: int
    story_id: int | None
    signature: str
    finding: Finding
    review: str  # active | confirmed | dismissed
    first_seen: datetime
    title: str
    url: str
    site: str | None
    published: datetime | None
    text: str = ""
    feed: str | None = None  # the name of the feed the article came from


# ---------------------------------------------------------------- how a value reads

_CURRENCY_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "JPY": "¥"}


def _plain_number(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.3f}".rstrip("0").rstrip(".")


def _money_text(amount: float, currency: str | None) -> str:
    symbol = _CURRENCY_SYMBOL.get(currency or "USD", (currency or "") + " ")
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    for word, scale in (("trillion", 1e12), ("billion", 1e9), ("million", 1e6)):
        if amount >= scale:
            return f"{sign}{symbol}{_plain_number(round(amount / scale, 3))} {word}"
    return f"{sign}{symbol}{_plain_number(round(amount, 2))}"


_QUALIFIER_WORD = {
    Qualifier.EXACT: "",
    Qualifier.ABOUT: "about ",
    Qualifier.OVER: "over ",
    Qualifier.UP_TO: "up to ",
}


def format_value(value: Value) -> str:
    """A short human form: 'over $13 billion', '4.5 GW', '27%', '2030', '7 years', 'in_force'."""
    prefix = _QUALIFIER_WORD[value.qualifier]
    amount = value.amount
    if value.type in (ValueType.STATUS, ValueType.TEXT) or amount is None:
        return prefix + (value.text or "")
    if value.type is ValueType.USD:
        if value.high is not None:
            return f"{prefix}{_money_text(amount, value.text)} to {_money_text(value.high, value.text)}"
        return prefix + _money_text(amount, value.text)
    if value.type is ValueType.GW:
        return f"{prefix}{_plain_number(round(amount, 3))} GW"
    if value.type is ValueType.PERCENT:
        return f"{prefix}{_plain_number(round(amount, 3))}%"
    if value.type is ValueType.YEAR:
        return f"{prefix}{int(amount)}"
    if value.type is ValueType.DURATION:
        unit = "year" if amount == 1 else "years"
        prefix = "more than " if value.qualifier is Qualifier.OVER else prefix
        return f"{prefix}{_plain_number(round(amount, 3))} {unit}"
    return prefix + _plain_number(round(amount, 3))

"""Quantities in news text: money, power, percentages, years and durations.

Pure functions, no I/O. :func:`find_quantities` finds every quantity in a piece of text with
its qualifier ("about", "over", "up to"); :func:`format_value` renders a :class:`Value` in a
short human form that :func:`parse_value` reads back; :func:`compare` (from :mod:`watcher.differ.valuecompare`)
says whether two values agree once their qualifiers are taken into account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.differ.lexicon import Folded, fold
from watcher.differ.valuecompare import ABOUT_TOLERANCE, EXACT_TOLERANCE, compare, interval
from watcher.types import Qualifier, Span, Value, ValueType, format_value

__all__ = [
    "ABOUT_TOLERANCE",
    "EXACT_TOLERANCE",
    "Quantity",
    "compare",
    "find_quantities",
    "find_years",
    "format_value",
    "interval",
    "parse_number",
    "parse_value",
    "qualifier_before",
]

_WORD_NUMBERS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "half a": 0.5, "half": 0.5,
}  # fmt: skip

_SCALES: dict[str, float] = {
    "trillion": 1e12, "tn": 1e12, "trn": 1e12, "t": 1e12,
    "billion": 1e9, "bn": 1e9, "bln": 1e9, "b": 1e9,
    "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6,
    "thousand": 1e3, "k": 1e3,
    "lakh crore": 1e12, "crore": 1e7, "cr": 1e7, "lakh": 1e5,
}  # fmt: skip

#: currency prefix -> ISO code; USD is the default unit of ValueType.USD
_CURRENCY_PREFIX: dict[str, str] = {
    "us$": "USD", "u.s.$": "USD", "usd": "USD", "$": "USD", "€": "EUR", "eur": "EUR",
    "£": "GBP", "gbp": "GBP", "a$": "AUD", "au$": "AUD", "aud": "AUD", "c$": "CAD", "ca$": "CAD",
    "¥": "JPY", "jpy": "JPY", "hk$": "HKD", "s$": "SGD", "nz$": "NZD", "sgd": "SGD",
    "rs": "INR", "rs.": "INR", "₹": "INR", "inr": "INR", "aed": "AED", "dh": "AED", "rm": "MYR",
    "myr": "MYR", "sar": "SAR", "chf": "CHF", "cny": "CNY", "rmb": "CNY", "krw": "KRW", "₩": "KRW",
}  # fmt: skip
_CURRENCY_WORDS: dict[str, str] = {
    "dollars": "USD", "dollar": "USD", "us dollars": "USD", "euros": "EUR", "euro": "EUR",
    "pounds": "GBP", "pounds sterling": "GBP", "yen": "JPY", "rupees": "INR", "dirhams": "AED",
    "ringgit": "MYR", "riyals": "SAR", "yuan": "CNY", "francs": "CHF", "won": "KRW",
}  # fmt: skip


def _folded(pattern: str) -> re.Pattern[str]:
    """A case-insensitive pattern compiled for lower-cased text (run it on :func:`fold` output:
    several times faster than re.IGNORECASE on these long alternations; offsets are the same)."""
    return re.compile(Folded(pattern).pattern)


_WORDNUM = r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|a|an|half a)"
_DIGITS = r"(?:\d{1,3}(?:,\d{2})*,\d{3}|\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
#: "three hundred and fifty", "one hundred forty", "twenty-two point four"
_WORDNUM_COMPOUND = rf"(?:{_WORDNUM}[\s-]+hundred(?:[\s-]+(?:and[\s-]+)?{_WORDNUM})?|{_WORDNUM}\s+point\s+(?:{_WORDNUM}|zero)|{_WORDNUM})"
_NUM = rf"(?:{_DIGITS}|{_WORDNUM_COMPOUND})"
_SCALE_WORD = r"(?:trillion|billion|million|thousand|lakh crore|crore|lakh)"
_SCALE_ABBR = r"(?:tn|trn|bn|bln|mn|mln|cr|[tbmk])"
_CUR = (
    r"(?:US\$|U\.S\.\s?\$|HK\$|S\$|NZ\$|A\$|AU\$|C\$|CA\$|USD\s?|EUR\s?|GBP\s?|AUD\s?|JPY\s?|SGD\s?|"
    r"INR\s?|Rs\.?\s?|AED\s?|Dh\s?|RM\s?|MYR\s?|SAR\s?|CHF\s?|CNY\s?|RMB\s?|KRW\s?|\$|€|£|¥|₹|₩)"
)
_CUR_WORD = r"(?:(?:US |U\.S\. )?dollars?|euros?|pounds(?: sterling)?|yen|rupees|dirhams|ringgit|riyals|yuan|francs|won)"

_MONEY_PREFIXED = re.compile(
    rf"(?<![\w$€£¥])(?P<cur>{_CUR})\s?(?P<num>{_DIGITS})(?:[\s-]?(?P<scale>{_SCALE_WORD}|{_SCALE_ABBR})\b)?",
    re.IGNORECASE,
)
#: "EUR 550-650m", "$7-9 billion": one currency and one scale for both ends
_MONEY_RANGE = re.compile(
    rf"(?<![\w$€£¥])(?P<cur>{_CUR})\s?(?P<num>{_DIGITS})\s?[-–]\s?(?P<num2>{_DIGITS})\s?(?P<scale>{_SCALE_WORD}|{_SCALE_ABBR})\b",
    re.IGNORECASE,
)
_MONEY_WORDED = _folded(
    rf"\b(?P<num>{_NUM})[\s-]+(?P<scale>{_SCALE_WORD})(?:[\s-]+(?:of\s+)?(?P<curw>{_CUR_WORD}))?\b",
)
_MONEY_VAGUE = re.compile(
    r"\b(?P<vague>tens|hundreds|billions|trillions)\s+of\s+(?P<scale>billions|trillions|millions)?(?:\s+of\s+(?:US\s+)?dollars)?\b|\b(?P<plain>billions|trillions)\s+of\s+(?:US\s+)?dollars\b",
    re.IGNORECASE,
)
_POWER = _folded(
    rf"\b(?P<num>{_NUM})[\s-]?(?P<unit>GW|gigawatts?|MW|megawatts?)\b",
)
_PERCENT = re.compile(rf"(?P<sign>[-~−])?\b(?P<num>{_DIGITS})\s?(?P<unit>%|per ?cent\b|pct\b)", re.IGNORECASE)
_DURATION = _folded(rf"\b(?P<num>{_NUM})[\s-](?P<unit>years?|yr)\b(?!\s+(?:ago|old|earlier|later|before))")
_YEAR = re.compile(
    r"(?<![$€£\d,.])\b(?P<year>(?:19|20)\d{2})\b(?![,.]\d|\s?(?:%|per ?cent|GW|MW|billion|million|bn))"
)
_COUNT = re.compile(
    rf"\b(?P<num>{_DIGITS})\s+(?P<noun>(?:AI\s+)?models)\b|"
    # "culls its model catalogue to about 4,000": the count after the catalogue it counts
    rf"\bcatalog(?:ue)?\s+(?:[\w-]+\s+){{0,3}}?(?:to|of|at)\s+(?:about\s+|around\s+|roughly\s+|some\s+)?"
    rf"(?P<num2>{_DIGITS})(?![\d,.]|\s*(?:%|per ?cent|GW|MW|billion|million|bn))",
    re.IGNORECASE,
)

_MONEY_CONTEXT_AFTER = re.compile(
    r"^\s*(?:-?\s*dollar|investment|deal|contract|commitment|agreement|order|fund|cheque|check|purchase|plan)",
    re.IGNORECASE,
)
_MONEY_CONTEXT_BEFORE = re.compile(
    r"(?:worth|valued at|value of|totall?ing|for)\s+(?:about |roughly |some |around )?$", re.IGNORECASE
)
_PER_UNIT_AFTER = re.compile(
    r"^\s*(?:a|per|each)\s+(?:share|unit|hour|month|year|user|person)\b", re.IGNORECASE
)

_QUALIFIER_BEFORE: tuple[tuple[re.Pattern[str], Qualifier], ...] = (
    (re.compile(r"(?:up to|as much as|as many as|capped at|no more than|at most|a maximum of|ceiling (?:of|to)|cap of)\s*$", re.I), Qualifier.UP_TO),
    (re.compile(r"(?:more than|over|at least|above|in excess of|upwards of|north of|exceeding|no less than|a minimum of|a floor of|beyond)\s*$", re.I), Qualifier.OVER),
    (re.compile(r"(?:about|around|roughly|approximately|nearly|almost|some|close to|an estimated|estimated|circa|near|just under|just shy of|approx\.?|~)\s*$", re.I), Qualifier.ABOUT),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Quantity:
    """One quantity found in a text, with where it stands."""

    value: Value
    span: Span
    raw: str
    per_unit: bool = False  # "$21.01 a share": a price, not a deal value


def parse_number(text: str) -> float:
    """'1,234.5' -> 1234.5, 'six' -> 6, 'thirty-eight' -> 38; raises ValueError."""
    cleaned = " ".join(text.strip().lower().replace(",", "").replace("hundred-", "hundred ").split())
    cleaned = cleaned.replace("-hundred", " hundred").replace("and-", "and ")
    if " point " in cleaned:
        whole, _, tenth = cleaned.partition(" point ")
        return parse_number(whole) + (0.0 if tenth == "zero" else parse_number(tenth)) / 10
    if " hundred" in cleaned:
        head, _, rest = cleaned.partition(" hundred")
        rest = rest.removeprefix(" and").strip()
        return parse_number(head) * 100 + (parse_number(rest) if rest else 0.0)
    if cleaned in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[cleaned])
    if "-" in cleaned:
        tens, _, unit = cleaned.partition("-")
        if tens in _WORD_NUMBERS and unit in _WORD_NUMBERS:
            return float(_WORD_NUMBERS[tens] + _WORD_NUMBERS[unit])
    return float(cleaned)


def qualifier_before(text: str, start: int) -> Qualifier:
    """The qualifier written just before ``start`` ("over $13bn" -> OVER)."""
    window = text[max(0, start - 28) : start]
    window = re.sub(r"(?:US|U\.S\.)?\s*$", "", window) if window.rstrip().endswith(("US", "U.S.")) else window
    for pattern, qualifier in _QUALIFIER_BEFORE:
        if pattern.search(window):
            return qualifier
    return Qualifier.EXACT


def _scale(word: str | None) -> float:
    return _SCALES.get((word or "").lower(), 1.0)


def _money(text: str, m: re.Match[str], amount: float, currency: str) -> Quantity:
    q = qualifier_before(text, m.start())
    after = text[m.end() : m.end() + 20]
    value = Value(ValueType.USD, amount, None if currency == "USD" else currency, q)
    raw = text[m.start() : m.end()]
    return Quantity(value, Span(m.start(), m.end()), raw, per_unit=bool(_PER_UNIT_AFTER.match(after)))


def _find_money(text: str, low: str) -> list[Quantity]:
    found: list[Quantity] = []
    for m in _MONEY_RANGE.finditer(text) if _DIGIT.search(text) else ():
        cur = _CURRENCY_PREFIX.get(re.sub(r"\s", "", m.group("cur")).lower(), "USD")
        factor = _scale(m.group("scale"))
        q = _money(text, m, parse_number(m.group("num")) * factor, cur)
        high = parse_number(m.group("num2")) * factor
        found.append(
            Quantity(
                Value(ValueType.USD, q.value.amount, q.value.text, q.value.qualifier, high),
                q.span,
                q.raw,
                q.per_unit,
            )
        )
    for m in _MONEY_PREFIXED.finditer(text) if _DIGIT.search(text) else ():
        if _overlaps(m.start(), m.end(), found):
            continue
        cur = _CURRENCY_PREFIX.get(re.sub(r"\s", "", m.group("cur")).lower(), "USD")
        scale = m.group("scale")
        if scale and len(scale) == 1 and m.group(0)[-1].isupper() and scale.lower() == "t":
            scale = None
        found.append(_money(text, m, parse_number(m.group("num")) * _scale(scale), cur))
    for m in _MONEY_WORDED.finditer(low):
        if _overlaps(m.start(), m.end(), found):
            continue
        curw = m.group("curw")
        before = text[max(0, m.start() - 30) : m.start()]
        after = text[m.end() : m.end() + 25]
        money_ctx = _MONEY_CONTEXT_AFTER.match(after) or _MONEY_CONTEXT_BEFORE.search(before)
        if not curw and not (money_ctx and m.group("scale").lower() in ("billion", "trillion")):
            continue
        cur = _CURRENCY_WORDS.get(re.sub(r"^(?:us|u\.s\.) ", "", (curw or "dollars").lower()), "USD")
        found.append(_money(text, m, parse_number(m.group("num")) * _scale(m.group("scale")), cur))
    found = _ranges(text, sorted(found, key=lambda q: q.span.start))
    for m in _MONEY_VAGUE.finditer(text):
        if _overlaps(m.start(), m.end(), found):
            continue
        amount = _vague_amount(m)
        if amount is not None:
            value = Value(ValueType.USD, amount, None, Qualifier.OVER)
            found.append(Quantity(value, Span(m.start(), m.end()), m.group(0)))
    return found


#: what joins the two ends of a range: "$7.4bn-$9.1bn", "$7.4bn to $9.1bn", "$7.4bn, which could
#: rise to $9.1bn", "$17.4bn, rising to as much as $19.4bn"
_RANGE_JOIN = re.compile(
    r"^\s*(?:[-–—]|to|and)\s*$|^\s*(?:(?:deal|contract|agreement|commitment|pact|order|investment)\s*)?,?\s*"
    r"(?:which|that)?\s*(?:could|may|might|would|will|can)?\s*"
    r"(?:eventually\s+)?(?:rise|rising|grow|growing|climb|climbing|increase|increasing|expand|go up|reach|reaching)"
    r"\s+(?:to\s+)?(?:as (?:much|high) as\s+)?(?:up to\s+)?$",
    re.IGNORECASE,
)


def _ranges(text: str, found: list[Quantity]) -> list[Quantity]:
    """Joins two amounts of one currency that are the ends of one range into one quantity."""
    out: list[Quantity] = []
    for q in found:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.value.high is None
            and (prev.value.text or "USD") == (q.value.text or "USD")
            and prev.value.amount is not None
            and q.value.amount is not None
            and prev.value.amount < q.value.amount
            and _RANGE_JOIN.match(text[prev.span.end : q.span.start])
        ):
            value = Value(
                ValueType.USD, prev.value.amount, prev.value.text, prev.value.qualifier, q.value.amount
            )
            out[-1] = Quantity(
                value, Span(prev.span.start, q.span.end), text[prev.span.start : q.span.end], prev.per_unit
            )
            continue
        out.append(q)
    return out


def _vague_amount(m: re.Match[str]) -> float | None:
    """'tens of billions' -> over 10bn; 'hundreds of billions' -> over 100bn; 'billions of dollars' -> over 1bn."""
    if m.group("plain"):
        return _scale(m.group("plain").rstrip("s"))
    vague, scale = m.group("vague").lower(), (m.group("scale") or "").lower().rstrip("s")
    if vague in ("billions", "trillions"):
        return _scale(vague.rstrip("s"))
    if not scale:
        return None
    return (10.0 if vague == "tens" else 100.0) * _scale(scale)


def _overlaps(start: int, end: int, found: list[Quantity]) -> bool:
    return any(q.span.start < end and start < q.span.end for q in found)


#: cheap gates (substrings of the lower-cased text): a pattern runs only where its unit is
_HAS_POWER = ("gw", "mw", "watt")
_HAS_PERCENT = ("%", "cent", "pct")
_HAS_YEARS = ("year", "yr")
_HAS_MODELS = ("models", "catalog")
#: text without any of these holds no amount of money (a cheap test before the money patterns)
_HAS_MONEY = re.compile(
    r"[$€£¥₹₩]|illion|dollar|euro|pound|yen|rupee|crore|lakh|dirham|ringgit|riyal|franc|yuan|\bwon\b|"
    r"\b(?:usd|eur|gbp|jpy|aud|sgd|inr|rs\.?|aed|dh|rm|myr|sar|chf|cny|rmb|krw)\s?\d"
)


_DIGIT = re.compile(r"\d")
_MONEY_NEEDLES = ("$", "€", "£", "¥", "₹", "₩", "illion", "dollar", "euro", "pound", "yen", "rupee", "crore",
                  "lakh", "dirham", "ringgit", "riyal", "franc", "yuan", "won", "usd", "eur", "gbp", "jpy",
                  "aud", "sgd", "inr", "rs", "aed", "dh", "rm", "myr", "sar", "chf", "cny", "rmb", "krw")  # fmt: skip


def _may_hold_money(low: str) -> bool:
    """False for text that holds no amount of money (substring tests before the patterns)."""
    return any(n in low for n in _MONEY_NEEDLES) and bool(_HAS_MONEY.search(low))


def _has(low: str, needles: tuple[str, ...]) -> bool:
    return any(n in low for n in needles)


def _find_simple(text: str, low: str, found: list[Quantity]) -> list[Quantity]:
    out: list[Quantity] = []
    if _has(low, _HAS_POWER):
        out.extend(_find_power(text, low, found))
    digits = _DIGIT.search(text) is not None  # a percentage and a count are written in digits
    if digits and _has(low, _HAS_PERCENT):
        out.extend(_find_percent(text))
    if _has(low, _HAS_YEARS):
        out.extend(_find_duration(text, low))
    if digits and _has(low, _HAS_MODELS):
        out.extend(_find_count(text))
    return out


def _find_power(text: str, low: str, found: list[Quantity]) -> list[Quantity]:
    out: list[Quantity] = []
    for m in _POWER.finditer(low):
        if _overlaps(m.start(), m.end(), found):
            continue
        gw = parse_number(m.group("num")) * (1.0 if m.group("unit").lower().startswith("g") else 0.001)
        out.append(
            Quantity(
                Value(ValueType.GW, gw, None, qualifier_before(text, m.start())),
                Span(m.start(), m.end()),
                text[m.start() : m.end()],
            )
        )
    return out


def _find_percent(text: str) -> list[Quantity]:
    out: list[Quantity] = []
    for m in _PERCENT.finditer(text):
        sign = -1.0 if m.group("sign") in ("-", "−") else 1.0
        q = Qualifier.ABOUT if m.group("sign") == "~" else qualifier_before(text, m.start())
        val = Value(ValueType.PERCENT, sign * parse_number(m.group("num")), None, q)
        out.append(Quantity(val, Span(m.start(), m.end()), m.group(0)))
    return out


def _find_duration(text: str, low: str) -> list[Quantity]:
    out: list[Quantity] = []
    for m in _DURATION.finditer(low):
        if m.group("num").lower() in ("a", "an"):
            continue
        q = qualifier_before(text, m.start())
        q = (
            Qualifier.EXACT
            if q is Qualifier.OVER and text[max(0, m.start() - 6) : m.start()].lower().endswith("over ")
            else q
        )
        val = Value(ValueType.DURATION, parse_number(m.group("num")), None, q)
        out.append(Quantity(val, Span(m.start(), m.end()), text[m.start() : m.end()]))
    return out


def _find_count(text: str) -> list[Quantity]:
    out: list[Quantity] = []
    for m in _COUNT.finditer(text):
        group = "num" if m.group("num") else "num2"
        start = m.start(group)
        val = Value(ValueType.COUNT, parse_number(m.group(group)), None, qualifier_before(text, start))
        out.append(Quantity(val, Span(start, m.end()), text[start : m.end()]))
    return out


def find_quantities(text: str, low: str | None = None) -> list[Quantity]:
    """Every money, power, percent, duration and count quantity in ``text``, in text order.

    ``low`` is ``fold(text)`` when the caller has it. Years are not included: see
    :func:`find_years` (a year's meaning depends on its phrase).
    """
    low = fold(text) if low is None else low
    money = _find_money(text, low) if _may_hold_money(low) else []
    simple = _find_simple(text, low, money)
    both = money + [q for q in simple if not _overlaps(q.span.start, q.span.end, money)]
    return sorted(both, key=lambda q: q.span.start)


def find_years(text: str) -> list[tuple[int, Span]]:
    """Calendar years (1900-2099) that are not part of an amount."""
    return [(int(m.group("year")), Span(m.start(), m.end())) for m in _YEAR.finditer(text)]


# ---------------------------------------------------------------- formatting and parsing


def parse_value(text: str) -> Value | None:
    """Reads one value back from text (the inverse of :func:`format_value` for numeric types)."""
    stripped = text.strip()
    if re.fullmatch(r"(?:(?:about|over|up to)\s+)?(?:19|20)\d{2}", stripped):
        year = int(stripped[-4:])
        return Value(ValueType.YEAR, float(year), None, qualifier_before(stripped, len(stripped) - 4))
    found = find_quantities(stripped)
    if not found:
        return None
    q = found[0]
    if q.value.type is ValueType.USD and stripped.startswith("-"):
        return Value(q.value.type, -(q.value.amount or 0.0), q.value.text, q.value.qualifier)
    return q.value

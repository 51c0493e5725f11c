"""Whether two normalised values agree, given their qualifiers ("about", "over", "up to")."""

from __future__ import annotations

import math
import re

from watcher.differ import lexicon as lx
from watcher.types import Qualifier, Value, ValueType

ABOUT_TOLERANCE = 0.12  # "about $300bn" covers $264bn..$336bn
EXACT_TOLERANCE = 0.03  # rounding: "$22.4bn" vs "22.37 billion"


def interval(value: Value) -> tuple[float, float]:
    """The range of amounts a value allows, given its qualifier."""
    x = value.amount if value.amount is not None else math.nan
    if value.high is not None:  # a range: compared end to end
        return x * (1 - EXACT_TOLERANCE), value.high * (1 + EXACT_TOLERANCE)
    lo, hi = sorted((x * (1 - EXACT_TOLERANCE), x * (1 + EXACT_TOLERANCE)))
    if value.qualifier is Qualifier.ABOUT:
        lo, hi = sorted((x * (1 - ABOUT_TOLERANCE), x * (1 + ABOUT_TOLERANCE)))
    elif value.qualifier is Qualifier.OVER:
        hi = math.inf
    elif value.qualifier is Qualifier.UP_TO:
        lo = -math.inf if x < 0 else 0.0
    return lo, hi


#: status pairs that cannot both be true
_STATUS_CONFLICTS = {
    frozenset({"in_force", "ended"}),
    frozenset({"yes", "denied"}),
    frozenset({"reported", "denied"}),
    frozenset({"planned", "denied"}),
    frozenset({"in_force", "denied"}),
    frozenset({"launched", "denied"}),
    frozenset({"yes", "no"}),
    frozenset({"yes", "ended"}),
}
#: status pairs that are neither the same fact nor a conflict: a change of degree
#: ("exclusivity ended" against "exclusive hold weakened")
_STATUS_UNRELATED = {frozenset({"ended", "weakened"})}


def compare(a: Value, b: Value) -> bool | None:
    """True when the values agree within their qualifiers, False when they conflict,
    None when they cannot be compared (different types or currencies, no amount)."""
    if a.type is not b.type:
        return None
    if a.type in (ValueType.STATUS, ValueType.TEXT):
        if a.text is None or b.text is None:
            return None
        pair = frozenset({a.text, b.text})
        return None if pair in _STATUS_UNRELATED else pair not in _STATUS_CONFLICTS
    if a.amount is None or b.amount is None or (a.text or "USD") != (b.text or "USD"):
        return None
    if a.type is ValueType.YEAR:
        return round(a.amount) == round(b.amount)
    (alo, ahi), (blo, bhi) = interval(a), interval(b)
    if _is_point(a) and _is_point(b):
        # two figures agree when either lies within the other's margin: "about $240bn" is not
        # "about $300bn" although their two margins touch
        return blo <= a.amount <= bhi or alo <= b.amount <= ahi
    return alo <= bhi and blo <= ahi


def _is_point(value: Value) -> bool:
    """A single figure, exact or approximate (not a range, not "over" or "up to")."""
    return value.high is None and value.qualifier in (Qualifier.EXACT, Qualifier.ABOUT)


# ---------------------------------------------------------------- periods

#: a period a flow figure covers: (kind, year or None, index or None); kind is
#: "month", "quarter", "half" or "year"
Period = tuple[str, int | None, int | None]
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")  # fmt: skip
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "final": 4,
}


def _year(m: re.Match[str], *groups: str) -> int | None:
    for g in groups:
        if m.groupdict().get(g):
            return int(m.group(g))
    return None


def period_in(text: str, *, months: bool = True) -> Period | None:
    """The most specific period ``text`` names for a figure: "in October 2025" -> month 10 of
    2025, "in the fourth quarter" -> quarter 4, "first half of 2026", "this year", "in 2026".
    ``months=False`` ignores month names (for a spending figure they usually date the news)."""
    m = lx.PERIOD_MONTH.search(text) if months else None
    if m:
        return ("month", _year(m, "year"), _MONTHS.index(m.group("month").lower()) + 1)
    low = lx.fold(text)
    q = lx.PERIOD_QUARTER.search_low(low)
    if q:
        if q.group("qn"):
            return ("quarter", _year(q, "year"), int(q.group("qn")))
        if q.group("qm"):
            return ("quarter", _year(q, "year"), (_MONTHS.index(q.group("qm")) // 3) + 1)
        return ("quarter", _year(q, "year"), _ORDINALS.get(q.group("ord") or ""))
    h = lx.PERIOD_HALF.search_low(low)
    if h:
        index = int(h.group("hn")) if h.group("hn") else (1 if h.group("ord") == "first" else 2)
        return ("half", _year(h, "year"), index)
    y = lx.PERIOD_YEAR.search_low(low)
    return ("year", _year(y, "year", "year2"), None) if y else None


def same_period(a: Period | None, b: Period | None) -> bool | None:
    """Whether two figures cover the same period: False when they name different periods
    (or one names a period and the other is a total), None when neither names one."""
    if a is None and b is None:
        return None
    if a is None or b is None or a[0] != b[0]:
        return False
    if a[1] is not None and b[1] is not None and a[1] != b[1]:
        return False
    return not (a[2] is not None and b[2] is not None and a[2] != b[2])


def encode_period(p: Period) -> str:
    return "period:" + ":".join("" if x is None else str(x) for x in p)


def decode_period(notes: frozenset[str]) -> Period | None:
    for note in notes:
        if note.startswith("period:"):
            kind, year, index = note[7:].split(":")
            return (kind, int(year) if year else None, int(index) if index else None)
    return None

"""Whether two normalised values agree, given their qualifiers ("about", "over", "up to")."""

from __future__ import annotations

import math

from watcher.types import Qualifier, Value, ValueType

ABOUT_TOLERANCE = 0.12  # "about $300bn" covers $264bn..$336bn
EXACT_TOLERANCE = 0.03  # rounding: "$22.4bn" vs "22.37 billion"


def interval(value: Value) -> tuple[float, float]:
    """The range of amounts a value allows, given its qualifier."""
    x = value.amount if value.amount is not None else math.nan
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


def compare(a: Value, b: Value) -> bool | None:
    """True when the values agree within their qualifiers, False when they conflict,
    None when they cannot be compared (different types or currencies, no amount)."""
    if a.type is not b.type:
        return None
    if a.type in (ValueType.STATUS, ValueType.TEXT):
        if a.text is None or b.text is None:
            return None
        return frozenset({a.text, b.text}) not in _STATUS_CONFLICTS
    if a.amount is None or b.amount is None or (a.text or "USD") != (b.text or "USD"):
        return None
    if a.type is ValueType.YEAR:
        return round(a.amount) == round(b.amount)
    (alo, ahi), (blo, bhi) = interval(a), interval(b)
    return alo <= bhi and blo <= ahi

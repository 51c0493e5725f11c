"""Small wording helpers for what people read: counts with the right plural, short times."""

from __future__ import annotations

from datetime import UTC, datetime


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``1 finding``, ``2 findings``, ``0 findings`` (``plural_form`` for irregular nouns)."""
    return f"{n} {noun if n == 1 else (plural_form or noun + 's')}"


def article(word: str) -> str:
    """``a deal``, ``an investment``: the indefinite article by the word's first letter."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _parsed(moment: datetime | str) -> datetime | str:
    """An ISO string as a datetime; a string that is not one comes back as it is (shown verbatim)."""
    if isinstance(moment, str):
        try:
            return datetime.fromisoformat(moment)
        except ValueError:
            return moment
    return moment


def minute(moment: datetime | str | None, *, never: str = "never") -> str:
    """A time to the minute in UTC, ``2026-01-05 07:00``; ISO strings are parsed."""
    if moment is None or moment == "":
        return never
    moment = _parsed(moment)
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


def ago(moment: datetime | str | None, now: datetime, *, never: str = "never") -> str:
    """``4 min ago``, ``in 12 min``, ``3 h ago``, ``2 d ago``; older than a week: the date."""
    if moment is None or moment == "":
        return never
    moment = _parsed(moment)
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    span = abs(seconds)
    if span < 60:
        text = "now" if span < 5 else f"{int(span)} s"
    elif span < 3600:
        text = f"{int(span // 60)} min"
    elif span < 86400:
        text = f"{int(span // 3600)} h"
    elif span < 7 * 86400:
        text = f"{int(span // 86400)} d"
    else:
        return minute(moment)
    if text == "now":
        return text
    return f"{text} ago" if seconds >= 0 else f"in {text}"

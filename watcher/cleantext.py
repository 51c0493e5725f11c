"""Text from outside, made safe to store: NUL and lone surrogates dropped.

A feed, a page, an HTTP header or an exception message can carry characters no database takes:
PostgreSQL refuses NUL (``\\x00``) in text, and a lone UTF-16 surrogate (``\\ud800``, from ``&#xD800;``
or a broken decoder) cannot be encoded as UTF-8 by any driver. Both are dropped, nothing else is
changed. :func:`clean` is applied where text enters (feed entries, articles) and again by the store
on every string it writes (:class:`watcher.store.schema.CleanText`), so one bad character costs at
most itself, never an entry or a cycle.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_BAD = re.compile("[\x00\ud800-\udfff]")
# numeric character references no parser can turn into a valid character: NUL, surrogates, > U+10FFFF
_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")

T = TypeVar("T", bound="DataclassInstance")


def clean(value: str) -> str:
    """``value`` without NUL characters and lone surrogates (a fast no-op for clean text)."""
    if value.isascii():
        return value.replace("\x00", "") if "\x00" in value else value
    return _BAD.sub("", value)


def clean_optional(value: str | None) -> str | None:
    return None if value is None else clean(value)


def clean_fields(obj: T) -> T:
    """A copy of a dataclass with every str field (and every str in a tuple field) cleaned."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, str):
            new: Any = clean(value)
        elif isinstance(value, tuple) and any(isinstance(v, str) for v in value):
            new = tuple(clean(v) if isinstance(v, str) else v for v in value)
        else:
            continue
        if new != value:
            changes[f.name] = new
    return dataclasses.replace(obj, **changes) if changes else obj


def _bad_charref(match: re.Match[bytes]) -> bytes:
    hexa, dec = match.group(1), match.group(2)
    code = int(hexa, 16) if hexa is not None else int(dec)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b""
    return match.group(0)


def drop_bad_charrefs(data: bytes) -> bytes:
    """Markup bytes without character references to NUL, surrogates or beyond U+10FFFF
    (``&#0;``, ``&#xD800;``, ``&#55296;``): feedparser's fallback parser raises on those,
    which would lose every entry of the feed for one bad one. (Raw NUL bytes are left alone: they
    are half of every character of a UTF-16 feed; :func:`clean` drops them from the parsed text.)"""
    return _CHARREF.sub(_bad_charref, data) if b"&#" in data else data

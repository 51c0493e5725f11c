"""Split Telegram HTML into messages that fit Telegram's length limit.

Telegram counts a message's length *after* entity parsing: tags do not count, ``&amp;``
counts as one character, and characters are counted in UTF-16 code units (an emoji
outside the BMP counts 2). :func:`split_telegram_html` cuts on the best boundary that
fits - a blank line (between findings or paragraphs), then a line break, then the end
of a sentence, then a space, and only as a last resort between two characters - never
inside a tag, an entity or a link's text when a better cut exists. Tags open at a cut are
closed at the end of one part and reopened at the start of the next, so every part is
valid HTML on its own. Whitespace at a cut is dropped.

The input is expected to be well-formed Telegram HTML (as :mod:`watcher.notify.render`
produces); for malformed input the output is best-effort.
"""

from __future__ import annotations

import enum
import html
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

TELEGRAM_LIMIT = 4096

_TOKEN = re.compile(
    r"(?P<tag><(?P<end>/?)(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>\s[^<>]*)?>)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});)"
)
_SENTENCE_END = frozenset(".!?;:…")
_CLOSERS = frozenset("\"')]»”’")
_GLUE = frozenset({"\u200d", "\ufe0f", "\ufe0e"})


class Level(enum.IntEnum):
    """How good a cut is: higher is better."""

    CHAR = 0
    WORD = 1
    SENTENCE = 2
    LINE = 3
    PARAGRAPH = 4


@dataclass(frozen=True, slots=True)
class Tag:
    raw: str
    name: str
    closing: bool


@dataclass(frozen=True, slots=True)
class Unit:
    """One visible character (or an entity standing for one)."""

    raw: str
    text: str

    @property
    def width(self) -> int:
        return utf16_len(self.text)

    @property
    def blank(self) -> bool:
        return self.text.isspace()


Atom = Tag | Unit


@dataclass(slots=True)
class _Doc:
    atoms: list[Atom]
    units: list[int] = field(default_factory=list)  # atom index of each unit
    in_link: list[bool] = field(default_factory=list)  # unit lies inside <a>...</a>
    cum: list[int] = field(default_factory=list)  # UTF-16 width of units[:k]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts it."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def tokenize(markup: str) -> list[Atom]:
    """Splits Telegram HTML into tags and visible units."""
    atoms: list[Atom] = []
    pos = 0
    for m in _TOKEN.finditer(markup):
        atoms.extend(Unit(ch, ch) for ch in markup[pos : m.start()])
        if m.group("tag"):
            atoms.append(Tag(m.group(0), m.group("name").lower(), bool(m.group("end"))))
        else:
            atoms.append(Unit(m.group(0), html.unescape(m.group(0))))
        pos = m.end()
    atoms.extend(Unit(ch, ch) for ch in markup[pos:])
    return atoms


def visible_text(markup: str) -> str:
    """The text Telegram shows for ``markup``: tags removed, entities decoded."""
    return "".join(a.text for a in tokenize(markup) if isinstance(a, Unit))


def visible_len(markup: str) -> int:
    """The length Telegram checks against its limit (UTF-16 code units of the visible text)."""
    return utf16_len(visible_text(markup))


def split_plain_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Splits plain text (sent without a parse mode) with the same boundary rules."""
    return [html.unescape(p) for p in split_telegram_html(html.escape(text, quote=False), limit)]


def split_telegram_html(markup: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Splits ``markup`` into parts whose visible UTF-16 length is at most ``limit``."""
    if limit < 2:
        raise ValueError("limit must be at least 2 (one UTF-16 surrogate pair)")
    if visible_len(markup) <= limit:
        return [markup]
    doc = _index(tokenize(markup))
    parts: list[str] = []
    start_unit, start_atom = 0, 0
    stack: list[Tag] = []
    while True:
        start_unit = _skip_blank(doc, start_unit)
        end_unit = _choose_cut(doc, start_unit, limit)
        end_atom = _cut_atom(doc, end_unit) if end_unit < len(doc.units) else len(doc.atoms)
        part, next_stack = _render_part(doc, start_atom, end_atom, stack)
        if part is not None:
            parts.append(part)
        if end_atom >= len(doc.atoms):
            return parts
        start_unit, start_atom, stack = end_unit, end_atom, next_stack


def _index(atoms: list[Atom]) -> _Doc:
    doc = _Doc(atoms)
    link_depth = 0
    for i, atom in enumerate(atoms):
        if isinstance(atom, Tag):
            if atom.name == "a":
                link_depth = max(0, link_depth + (-1 if atom.closing else 1))
            continue
        doc.units.append(i)
        doc.in_link.append(link_depth > 0)
    widths = [_unit(doc, k).width for k in range(len(doc.units))]
    doc.cum = [0, *accumulate(widths)]
    return doc


def _unit(doc: _Doc, k: int) -> Unit:
    atom = doc.atoms[doc.units[k]]
    assert isinstance(atom, Unit)
    return atom


def _skip_blank(doc: _Doc, k: int) -> int:
    while k < len(doc.units) and _unit(doc, k).blank:
        k += 1
    return k


def _choose_cut(doc: _Doc, start: int, limit: int) -> int:
    """The unit index to cut before: the part is units[start:cut]."""
    last = bisect_right(doc.cum, doc.cum[start] + limit) - 1  # units[start:last] fit
    if last >= len(doc.units):
        return len(doc.units)
    if last <= start:
        raise ValueError(f"a single character is wider than the limit ({limit})")
    min_fill = doc.cum[start] + limit // 4
    for level in (Level.PARAGRAPH, Level.LINE, Level.SENTENCE, Level.WORD):
        for cut in range(last, start, -1):
            if doc.cum[cut] < min_fill and level > Level.WORD:
                break
            if _level(doc, cut) >= level:
                return cut
    for cut in range(last, start, -1):
        if _can_cut_between(doc, cut):
            return cut
    return last


def _level(doc: _Doc, k: int) -> Level:
    """How good a cut before unit ``k`` is (k is the first unit of the next part)."""
    here = _unit(doc, k).text
    if not here.isspace() or doc.in_link[k]:
        return Level.CHAR
    nxt = _unit(doc, k + 1).text if k + 1 < len(doc.units) else ""
    if here == "\n" and nxt == "\n":
        return Level.PARAGRAPH
    if here == "\n":
        return Level.LINE
    prev = _unit(doc, k - 1).text
    if prev in _CLOSERS and k >= 2:
        prev = _unit(doc, k - 2).text
    return Level.SENTENCE if prev in _SENTENCE_END else Level.WORD


def _can_cut_between(doc: _Doc, k: int) -> bool:
    here, prev = _unit(doc, k).text, _unit(doc, k - 1).text
    if here in _GLUE or prev == "\u200d":
        return False
    return not unicodedata.combining(here[0]) and not ("\U0001f3fb" <= here[0] <= "\U0001f3ff")


def _cut_atom(doc: _Doc, k: int) -> int:
    """The atom index where the next part starts: opening tags just before unit k go with it."""
    i = doc.units[k]
    while i > 0 and isinstance(atom := doc.atoms[i - 1], Tag) and not atom.closing:
        i -= 1
    return i


def _render_part(doc: _Doc, start: int, end: int, stack: list[Tag]) -> tuple[str | None, list[Tag]]:
    """HTML for atoms[start:end] with the open tags reopened/closed; None if it shows nothing."""
    atoms = doc.atoms[start:end]
    text_at = [i for i, a in enumerate(atoms) if isinstance(a, Unit) and not a.blank]
    opened = list(stack)
    out = [t.raw for t in opened]
    for i, atom in enumerate(atoms):
        if isinstance(atom, Tag):
            _apply(opened, atom)
            out.append(atom.raw)
        elif text_at and text_at[0] <= i <= text_at[-1]:
            out.append(atom.raw)
    out.extend(f"</{t.name}>" for t in reversed(opened))
    return ("".join(out) if text_at else None), opened


def _apply(stack: list[Tag], tag: Tag) -> None:
    if not tag.closing:
        stack.append(tag)
        return
    for i in range(len(stack) - 1, -1, -1):
        if stack[i].name == tag.name:
            del stack[i:]
            return

"""The document stage: an article's zones and sentences, with character offsets (pure, no I/O).

Zones: the headline, body paragraphs, list items ("- ...", "1. ..."), table rows ("| ... |")
and correction notes ("Correction: an earlier version said ..."), which restate figures that
are wrong and are therefore read for nothing.

Paragraphs are split on line breaks; inside a paragraph a sentence ends at ``.``, ``!`` or
``?`` (with any closing quote) followed by white space and a capital, a digit or an opening
quote, unless the word before the full stop is a known abbreviation ("U.S.", "Inc.", "Sept.")
or an initial.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st inc corp ltd co plc llc bros no nos vs etc e.g i.e u.s u.k u.n
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    calif wash mass conn fla ill mich minn penn tex va ariz colo ore gov sen rep gen lt col capt
    approx est dept fig al mt ft""".split()
)
_BOUNDARY = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")


class Zone(enum.StrEnum):
    HEADLINE = "headline"
    BODY = "body"
    LIST_ITEM = "list item"
    TABLE_ROW = "table row"
    CORRECTION = "correction"


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int  # offset in the whole text
    end: int
    paragraph: int  # index of the paragraph (line) it belongs to
    zone: Zone = Zone.BODY


@dataclass(frozen=True, slots=True)
class Document:
    """An article read into zones and sentences (the headline first, when there is one)."""

    sentences: tuple[Sentence, ...]
    zones: tuple[Zone, ...] = field(default=())  # the zone of each paragraph, by index


_CORRECTION = re.compile(
    r"^\W*(?:corrections?|clarifications?|editor['’]s note|an earlier version of this (?:article|story|report)|"
    r"this (?:article|story|report) (?:has been|was) (?:corrected|updated|amended))\b",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022\u2013]\s|\d{1,2}[.)]\s)")
_TABLE_ROW = re.compile(r"^\s*\|")


def zone_of(paragraph: str) -> Zone:
    """The zone a paragraph (one line of text) belongs to."""
    if _CORRECTION.match(paragraph):
        return Zone.CORRECTION
    if _TABLE_ROW.match(paragraph):
        return Zone.TABLE_ROW
    if _LIST_ITEM.match(paragraph):
        return Zone.LIST_ITEM
    return Zone.BODY


def read_document(text: str, title: str = "") -> Document:
    """Zones and sentences of an article; ``title`` is read as a first sentence (the headline)
    unless the text already starts with it."""
    sentences = split_sentences(text)
    if title.strip() and not text.lstrip().startswith(title.strip()):
        sentences.insert(0, Sentence(title.strip(), 0, 0, -1, Zone.HEADLINE))
    zones = tuple(zone_of(line) for line in text.split("\n"))
    return Document(tuple(sentences), zones)


def _is_abbreviation(chunk: str) -> bool:
    word = chunk.rsplit(None, 1)[-1] if chunk.strip() else ""
    word = word.lstrip("(\"“‘'").rstrip(".").lower()
    return (
        word in _ABBREVIATIONS
        or bool(re.fullmatch(r"[a-z]", word))
        or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))
    )


def _split_paragraph(text: str, offset: int, paragraph: int, zone: Zone = Zone.BODY) -> list[Sentence]:
    out: list[Sentence] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + 1
        if text[m.start()] == "." and _is_abbreviation(text[start : m.start()]):
            continue
        end = len(text[: m.end()].rstrip())
        out.append(_make(text, start, end, offset, paragraph, zone))
        start = m.end()
    if text[start:].strip():
        out.append(_make(text, start, len(text.rstrip()), offset, paragraph, zone))
    return [s for s in out if s.text]


def _make(text: str, start: int, end: int, offset: int, paragraph: int, zone: Zone) -> Sentence:
    lead = len(text[start:end]) - len(text[start:end].lstrip())
    return Sentence(text[start + lead : end], offset + start + lead, offset + end, paragraph, zone)


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` in order, each with its offsets into ``text``."""
    sentences: list[Sentence] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        if line.strip():
            sentences.extend(_split_paragraph(line, offset, number, zone_of(line)))
        offset += len(line) + 1
    return sentences

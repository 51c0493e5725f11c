"""A rule-based sentence splitter that keeps character offsets (pure, no I/O).

Paragraphs are split on line breaks; inside a paragraph a sentence ends at ``.``, ``!`` or
``?`` (with any closing quote) followed by white space and a capital, a digit or an opening
quote, unless the word before the full stop is a known abbreviation ("U.S.", "Inc.", "Sept.")
or an initial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st inc corp ltd co plc llc bros no nos vs etc e.g i.e u.s u.k u.n
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    calif wash mass conn fla ill mich minn penn tex va ariz colo ore gov sen rep gen lt col capt
    approx est dept fig al mt ft""".split()
)
_BOUNDARY = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int  # offset in the whole text
    end: int
    paragraph: int  # index of the paragraph (line) it belongs to


def _is_abbreviation(chunk: str) -> bool:
    word = chunk.rsplit(None, 1)[-1] if chunk.strip() else ""
    word = word.lstrip("(\"“‘'").rstrip(".").lower()
    return (
        word in _ABBREVIATIONS
        or bool(re.fullmatch(r"[a-z]", word))
        or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))
    )


def _split_paragraph(text: str, offset: int, paragraph: int) -> list[Sentence]:
    out: list[Sentence] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + 1
        if text[m.start()] == "." and _is_abbreviation(text[start : m.start()]):
            continue
        end = len(text[: m.end()].rstrip())
        out.append(_make(text, start, end, offset, paragraph))
        start = m.end()
    if text[start:].strip():
        out.append(_make(text, start, len(text.rstrip()), offset, paragraph))
    return [s for s in out if s.text]


def _make(text: str, start: int, end: int, offset: int, paragraph: int) -> Sentence:
    lead = len(text[start:end]) - len(text[start:end].lstrip())
    return Sentence(text[start + lead : end], offset + start + lead, offset + end, paragraph)


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` in order, each with its offsets into ``text``."""
    sentences: list[Sentence] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        if line.strip():
            sentences.extend(_split_paragraph(line, offset, number))
        offset += len(line) + 1
    return sentences

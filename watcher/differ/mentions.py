"""Mentions: which of the names a sentence holds are organisations that can take part in a deal.

The entity index finds names (listed companies and unlisted ones by shape). Here each name is
typed by the words around it: a person ("Sam Altman said"), a date or holiday, the maker of a
product ("Nvidia's GB300 processors"), a modifier of another name ("Nvidia-backed Acme", "OpenAI
rival Anthropic"), the employer of a quoted analyst ("an analyst at Roe Partners") or a news
outlet cited as a source. Such a name stays a mention, but fills no role in a deal frame.
Pure: no I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from watcher.differ.entities import Mention
from watcher.differ.lexicon import GIVEN_NAMES, NON_PARTY_AFTER, NON_PARTY_BEFORE, PRODUCT_AFTER


class Role(enum.StrEnum):
    """What a named organisation is in its sentence."""

    ORG = "organisation"  # may take part in a deal
    PRODUCT_MAKER = "product maker"  # "Nvidia's chips", "Nvidia GB300 capacity"
    MODIFIER = "modifier"  # "Nvidia-backed Acme", "OpenAI rival Anthropic"
    SOURCE = "source"  # "an analyst at Roe Partners", "according to Acme Research"
    PERSON = "person"  # "Sam Altman"


@dataclass(frozen=True, slots=True)
class Typed:
    """A mention with what it is in its sentence."""

    mention: Mention
    role: Role

    @property
    def name(self) -> str:
        return self.mention.name

    @property
    def start(self) -> int:
        return self.mention.start

    @property
    def end(self) -> int:
        return self.mention.end

    @property
    def party(self) -> bool:
        return self.role is Role.ORG


#: "OpenAI rival Anthropic", "Microsoft partner OpenAI", "SoftBank's Vision Fund"
_NOUN_BEFORE_NAME = re.compile(
    r"(?:['’]s)?\s+(?:(?:long-?time|close|closest|chief|main|biggest|largest|key|former|new|"
    r"fellow|smaller|larger|younger|older|arch-?|[\w-]+-(?:backed|based))\s+)?"
    r"(?:rivals?|competitors?|peers?|partners?|backers?|investors?|suppliers?|customers?|clients?|"
    r"spin-?offs?|units?|subsidiary|subsidiaries|arms?|divisions?|parent|affiliates?|"
    r"own|unit|venture arm|fund)\s+(?=[A-Z])"
)


_THE_X_RIVAL = re.compile(r"\b(?:the|its|an?)\s+$")
_RIVAL_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:rival|competitor|peer|partner|backer|investor|supplier|customer)\b"
)


#: every NON_PARTY_BEFORE match holds one of these (a cheap test first)
_SOURCE_WORDS = ("analyst", "economist", "strategist", "researcher", "professor", "fellow", "manager", "partner",
                 "director", "head", "investor", "trader", "lawyer", "told", "from", "according", "report",
                 "note", "agency", "brokerage", "research")  # fmt: skip


def _role(text: str, m: Mention, following: Mention | None) -> Role:
    before = text[max(0, m.start - 40) : m.start]
    after = text[m.end : m.end + 60]
    if not m.known and m.name.split()[0] in GIVEN_NAMES:
        return Role.PERSON
    low_before = before.lower()
    if (
        any(k in low_before for k in _SOURCE_WORDS) and NON_PARTY_BEFORE.search(before)
    ) or NON_PARTY_AFTER.match(after):
        return Role.SOURCE
    if re.match(r"-(?:backed|owned|funded|led|controlled|affiliated|linked|supported|based)\b", after):
        return Role.MODIFIER
    if following is not None and _NOUN_BEFORE_NAME.match(text, m.end, following.start + 1):
        return Role.MODIFIER
    if _THE_X_RIVAL.search(text, max(0, m.start - 12), m.start) and _RIVAL_AFTER.match(after):
        return Role.MODIFIER  # "the OpenAI rival", "the Microsoft partner"
    if PRODUCT_AFTER.match(after):
        return Role.PRODUCT_MAKER
    return Role.ORG


def type_mentions(text: str, mentions: Sequence[Mention]) -> tuple[Typed, ...]:
    """Each mention of a sentence with its role (see :class:`Role`)."""
    out = []
    for i, m in enumerate(mentions):
        following = mentions[i + 1] if i + 1 < len(mentions) else None
        out.append(Typed(m, _role(text, m, following)))
    return tuple(out)

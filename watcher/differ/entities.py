"""Company names: canonical names and aliases from ``config/entities.yaml``, and companies that
are not in the list, recognised from the shape of the text around them.

:func:`load_entities` is the only function here that reads a file; everything else is pure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from watcher.differ.words import is_ordinary
from watcher.errors import ConfigError

#: libyaml's safe loader when PyYAML has it (several times faster), else the pure-Python one
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TOKEN = r"[A-Z][\w&'’.\-]*[\w&]|[A-Z]"
_NAME = rf"(?:{_TOKEN})(?:\s(?:{_TOKEN}|&|of|de|der|von)(?=\s|$|[,;:.)'’]))*?(?:\s(?:{_TOKEN}))?"
_CORP_SUFFIXES_FOR_NAMES = (
    "Inc",
    "Corp",
    "Ltd",
    "Limited",
    "LLC",
    "plc",
    "PLC",
    "Co",
    "Pty",
    "AG",
    "SA",
    "NV",
    "BV",
    "GmbH",
)

#: words right before an unlisted company's name ("a contract with Acme", "tapped Acme")
_BEFORE_NAME = (
    "with", "from", "to buy", "to acquire", "buy", "acquire", "acquired", "acquiring", "bought", "buying",
    "invest in", "invested in", "investing in", "backed", "between", "tapped", "taps", "chose", "chosen",
    "choose", "selected", "selects", "picked", "hired", "enlisted", "stake in", "round in", "to supply",
    "to provide", "pay", "pays", "paid", "paying", "shares of", "shares in", "Shares of", "Shares in",
    # "investing $2 billion in Lumen AI": an amount between the verb and the name
    *(rf"{verb} (?:about |some |nearly |up to )?(?:US)?\$[\d.,]+\s?(?:billion|million|bn|m)? in"
      for verb in ("invest", "invests", "invested", "investing")),
)  # fmt: skip
_BEFORE_WORDS = frozenset(p.split()[-1] if p.startswith("to ") else p.split()[0] for p in _BEFORE_NAME)
#: verbs after an unlisted company that is the subject of a deal ("Acme signed ...")
_SUBJECT_VERBS = (
    "agreed", "buy", "acquire", "agrees", "signed", "signs", "struck", "strikes", "inked", "inks", "announced",
    "announces", "committed", "commits", "acquired", "acquires", "bought", "buys", "invested", "invests",
    "won", "wins", "landed", "lands", "provide", "provides", "supply", "supplies", "supplying", "providing",
    "partnered", "teamed", "invest", "take", "takes", "license", "licenses", "licensed", "lease", "leases",
    "leased", "sign", "strike", "deploy", "deploys", "pay", "pays", "join", "joins", "fund", "funds", "backs",
    "sealed", "seals", "confirmed", "entered", "enters", "was awarded", "were awarded", "was selected", "was chosen",
    "was picked", "was hired", "is building", "will build", "will supply", "will provide",
)  # fmt: skip
_SUBJECT_WORDS = frozenset(_SUBJECT_VERBS)
_WORDS = re.compile(r"[\w-]+")
_NAMED_AFTER = re.compile(r"\s(?:[A-Z]{2,}\b|[A-Z][a-z])")
#: "Sydney-based", "MGX-backed": an adjective made from a name, not a company's name
_NAME_ADJECTIVE = re.compile(
    r"[\w.&]+-(?:based|backed|owned|listed|headquartered|founded|funded|led|controlled|made|built|run|style|like|era)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Mention:
    """A company named in a text: its canonical name and where it stands."""

    name: str
    start: int
    end: int
    known: bool = True

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class EntityIndex:
    """Alias -> canonical name, the tracked companies, and the word lists for unknown names."""

    aliases: Mapping[str, str]
    tracked: frozenset[str] = frozenset()
    org_suffixes: frozenset[str] = frozenset()
    org_descriptors: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    non_org_words: frozenset[str] = frozenset()
    person_titles: frozenset[str] = frozenset()
    #: joint projects named like companies ("Stargate") -> the companies behind them
    projects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _alias_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _suffix_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = sorted(self.aliases, key=len, reverse=True)
        alias_re = (
            # a name glued to another by a hyphen names both ("the Microsoft-OpenAI pact"); glued to
            # anything else capitalised it is part of a longer name or a product ("Acme-X1")
            re.compile(
                r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in names) + r")"
                r"(?!\w|-(?!(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-]))[A-Z0-9])"
            )
            if names
            else re.compile(r"(?!x)x")
        )
        object.__setattr__(self, "_alias_re", alias_re)
        object.__setattr__(self, "_patterns", self._unknown_patterns())
        object.__setattr__(self, "_suffix_set", frozenset(s.split()[-1] for s in self.org_suffixes))

    @property
    def _suffix_words(self) -> frozenset[str]:
        return self._suffix_set

    @property
    def canonical_names(self) -> frozenset[str]:
        return frozenset(self.aliases.values())

    def canonical(self, name: str) -> str:
        """The canonical form of a name: a known alias maps to its company, an unknown name
        loses a trailing corporate suffix ("Acme Cloud Ltd" -> "Acme Cloud"). Idempotent."""
        name = re.sub(r"['’]s$", "", name.strip())
        if name in self.aliases:
            return self.aliases[name]
        words = name.split()
        while len(words) > 1 and words[-1].rstrip(".") in _CORP_SUFFIXES_FOR_NAMES:
            words.pop()
        stripped = " ".join(words)
        return self.aliases.get(stripped, stripped)

    def is_tracked(self, name: str) -> bool:
        return self.canonical(name) in self.tracked

    def find_known(self, text: str) -> list[Mention]:
        """Listed companies named in ``text`` (case-sensitive whole words, longest alias first)."""
        found = [Mention(self.aliases[m.group(0)], m.start(), m.end()) for m in self._alias_re.finditer(text)]
        if self.projects:  # "Stargate Norway", "Stargate UAE": another project of the same family
            found = [m for m in found if m.name not in self.projects or not _NAMED_AFTER.match(text, m.end)]
        return found

    def find_mentions(self, text: str, unknown: list[Mention] | None = None) -> list[Mention]:
        """Listed and unlisted companies named in ``text``, in text order, without overlaps
        (``unknown``: :meth:`find_unknown` of ``text``, when the caller has it already)."""
        known = self.find_known(text)
        if unknown is None:
            unknown = self.find_unknown(text)
        unknown = [m for m in unknown if not _overlaps_any(m, known)]
        merged: list[Mention] = []
        for m in sorted(known + unknown, key=lambda m: (m.start, -m.end)):
            if not merged or m.start >= merged[-1].end:
                merged.append(m)
        return merged

    # ------------------------------------------------------------ unlisted companies

    def _unknown_patterns(self) -> tuple[re.Pattern[str], ...]:
        suffixes = (
            "|".join(re.escape(s) for s in sorted(self.org_suffixes, key=len, reverse=True)) or "(?!x)x"
        )
        descriptors = (
            "|".join(re.escape(s) for s in sorted(self.org_descriptors, key=len, reverse=True)) or "(?!x)x"
        )
        places = "|".join(re.escape(s) for s in sorted(self.places, key=len, reverse=True)) or "(?!x)x"
        return (
            # "Acme Cloud Ltd", "Foo Systems"
            re.compile(rf"(?P<name>(?:{_TOKEN})(?:\s(?:{_TOKEN}|&))*?(?:\s(?:{suffixes}))+)(?![\w-])"),
            # "infrastructure provider Nebius", "Tylenol maker Kenvue"
            re.compile(rf"\b(?:{descriptors})\s(?P<name>{_NAME})(?![\w-])"),
            # "Australia's Acme Cloud Ltd"
            re.compile(rf"\b(?:{places})['’]s\s(?P<name>{_NAME})(?![\w-])"),
            # "with Foo Systems", "to buy Kenvue", "from Acme", "tapped Acme"
            re.compile(
                rf"\b(?:{'|'.join(_BEFORE_NAME)})\s(?P<name>{_NAME})(?![\w-])(?!\s(?:{descriptors})\b)"
            ),
            # "Kimberly-Clark agreed ...", "Kimberly-Clark, the maker of ..., agreed", "Acme and OpenAI signed"
            re.compile(
                rf"(?:^|[.;]\s|,\s)(?P<name>{_NAME})(?:,[^,]{{1,90}},|\s(?:and|&)\s[A-Z][\w.-]*(?:\s[A-Z][\w.-]*)?)?"
                rf"\s(?:has\s|have\s|had\s|will\s|would\s|is\s|are\s|also\s|to\s)?(?:{'|'.join(_SUBJECT_VERBS)})\b"
            ),
            # "Rheinwerk Rechenzentren, a Hanau-based colocation operator"
            re.compile(rf"(?P<name>{_NAME}),\s(?:a|an|the)\s(?:[\w-]+\s){{0,5}}?(?:{descriptors})\b"),
        )

    def find_lowercase(self, text: str) -> list[Mention]:
        """Companies whose names are written in lower case ("fluxgrid", "kelvyn.ai"), in the
        slots only a company fills: after a deal preposition or verb, after a descriptor noun,
        or as the subject of a deal verb. The word must not be ordinary English: it holds a
        digit or a domain ending, or is rare in the language (word frequencies)."""
        if not _any_unusual(_LOWER_TOKEN.findall(text)):
            return []  # no lower-case word that is not ordinary English: nothing to look for
        out: list[Mention] = []
        for rx in _LOWER_SLOTS:
            for m in rx.finditer(text):
                name = m.group("name").rstrip(".")
                if name in self.non_org_words or not _unusual_word(name):
                    continue
                start = m.start("name")
                out.append(Mention(name, start, start + len(name), known=False))
        return out

    def find_unknown(self, text: str) -> list[Mention]:
        """Companies not in the list, recognised by shape: a corporate suffix, a descriptor noun
        before the name, a place's possessive, or a deal preposition/verb around it."""
        found: dict[tuple[int, int], Mention] = {m.span: m for m in self.find_lowercase(text)}
        words = frozenset(_WORDS.findall(text))
        for number, pattern in enumerate(self._patterns):
            if not self._may_match(number, words, text):
                continue  # cheap pre-checks: the slow patterns run only where they can match
            for m in pattern.finditer(text):
                start, end = m.span("name")
                name = self._clean_name(text[start:end])
                if name is None:
                    continue
                start = text.index(name, start)
                if _QUOTED.match(text[max(0, start - 1) : start + len(name) + 1]):
                    continue  # '"Industrial AI Cloud"': a product or project named in quotes
                found[(start, start + len(name))] = Mention(
                    self.canonical(name), start, start + len(name), known=False
                )
        return _drop_nested(sorted(found.values(), key=lambda m: (m.start, -m.end)))

    def _may_match(self, number: int, words: frozenset[str], text: str) -> bool:
        """Whether unknown-name pattern ``number`` can match ``text`` (a word it needs is there)."""
        if number == 0:
            return not words.isdisjoint(self._suffix_words)
        if number == 1:
            return not words.isdisjoint(self.org_descriptors)
        if number == 2:
            return "'s" in text or "’s" in text
        if number == 5:
            return (", a " in text or ", an " in text or ", the " in text) and not words.isdisjoint(
                self.org_descriptors
            )
        return not words.isdisjoint(_BEFORE_WORDS if number == 3 else _SUBJECT_WORDS)

    def _clean_name(self, raw: str) -> str | None:
        words = re.sub(r"['’]s$", "", raw.strip()).split()
        for i, word in enumerate(words[:-1]):  # "Australia's Acme Cloud": the name follows the possessor
            if re.search(r"['’]s$", word):
                words = words[i + 1 :]
                break
        while words and (
            words[0] in self.non_org_words or words[0] in self.places or _NAME_ADJECTIVE.match(words[0])
        ):
            words.pop(0)
        while words and words[-1] in self.non_org_words and words[-1] not in self.org_suffixes:
            words.pop()
        name = " ".join(words).rstrip(".,")
        if not name or name in self.non_org_words or name in self.places or name in self.aliases:
            return None
        if words[-1] in _PLACE_HEADS:
            return None  # "Jung District", "Orange County": a place
        if name.isupper() and len(name) > 5:  # a dateline: "SEATTLE"
            return None
        if all(w in self.org_suffixes for w in words):
            return None
        return name

    def is_person_context(self, text: str, mention: Mention) -> bool:
        """True when the words around an unknown name make it a person ("analyst Jane Doe said")."""
        before = text[max(0, mention.start - 30) : mention.start].split()
        after = text[mention.end : mention.end + 12]
        if before and before[-1].strip(",").lower() in {t.lower() for t in self.person_titles}:
            return True
        if re.match(r"\s*(?:said|says|told|added|wrote|noted)\b", after):
            return True
        appositive = re.match(r",\s(?:a|an|the|its|their)\s([^,;.]*)", text[mention.end : mention.end + 60])
        if not appositive or self._org_appositive(text[mention.end : mention.end + 60]):
            return False
        titles = {t.lower() for t in self.person_titles}
        return any(w.strip(",").lower() in titles for w in appositive.group(1).split()[:5])

    def _org_appositive(self, after: str) -> bool:
        """ ", a cybersecurity firm", ", the US chip designer": the name is a company's."""
        m = re.match(r",\s(?:a|an|the)\s([^,;.]*)", after)
        return m is not None and any(w in self.org_descriptors for w in m.group(1).split()[:5])


_LOWER = r"(?P<name>[a-z][a-z0-9-]*[a-z0-9](?:\.(?:ai|io|cloud|com|net|dev|tech|co))?)(?![\w-])"
_LOWER_SLOTS = (
    re.compile(
        r"\b(?:with|from|signed|inked|tapped|taps|backs|backed|chose|selected|hired|acquired|acquire|buy|"
        r"bought|invest in|invested in|stake in|deal for|agreement with|startup|start-up|provider|operator|"
        r"company|firm|developer|maker|supplier|specialist|outfit|neocloud|rival|partner)\s+" + _LOWER
    ),
    re.compile(
        r"(?:^|[.;:]\s|,\s|\u2014\s|^[-*\u2022]\s)"
        + _LOWER
        + r"(?:['\u2019]s)?\s(?:has\s|have\s|had\s|will\s|is\s|also\s)?"
        r"(?:said|says|signed|signs|agreed|agrees|inked|inks|announced|struck|won|landed|secured|sealed|will|"
        r"chief|shares|co-founder|founder|confirmed|entered|was awarded)\b"
    ),
    re.compile(  # "arcline, the Ohio colocation developer"
        r"(?:^|[.;:]\s|,\s|^[-*\u2022]\s)"
        + _LOWER
        + r",\s(?:a|an|the)\s[^,]{0,60}?\b(?:developer|provider|operator|"
        r"startup|start-up|company|firm|maker|designer|cloud|neocloud|specialist|supplier|lab|builder|owner)\b"
    ),
)
_LOWER_TOKEN = re.compile(
    r"(?<![\w.-])[a-z][a-z0-9-]*[a-z0-9](?:\.(?:ai|io|cloud|com|net|dev|tech|co))?(?![\w-])"
)


_DATE_LIKE = re.compile(r"(?:mid|early|late|pre|post|end|fy|q[1-4]|h[12])?-?\d|.*\d{3,}|[a-z]+-\d{2,}$")


#: lower-case tokens already found ordinary: most of a sentence's words, removed in one set difference
_ORDINARY_SEEN: set[str] = set()
_ORDINARY_SEEN_MAX = 200_000


def _any_unusual(tokens: list[str]) -> bool:
    """Whether any of ``tokens`` is an :func:`_unusual_word` (the ordinary ones are remembered, so a
    sentence costs a set difference and a look at its few new words)."""
    if len(_ORDINARY_SEEN) > _ORDINARY_SEEN_MAX:
        _ORDINARY_SEEN.clear()
    for word in set(tokens).difference(_ORDINARY_SEEN):
        if _unusual_word(word):
            return True
        _ORDINARY_SEEN.add(word)
    return False


@functools.lru_cache(maxsize=4096)
def _unusual_word(word: str) -> bool:
    """Whether a lower-case word is no ordinary English word (so it can be a company's name)."""
    if _DATE_LIKE.match(word):
        return False  # "mid-2027", "q3", "fy2026", "2027-28"
    if any(c.isdigit() for c in word) or "." in word:
        return True
    if len(word) < 4:
        return False
    # not among the 100,000 most frequent English words, nor a hyphenated common one
    return not is_ordinary(word) and not is_ordinary(word.split("-")[0], 30_000)


#: the last word of a place's name
_PLACE_HEADS = frozenset(
    "District Province County Prefecture Region Municipality Borough Township Emirate Canton Oblast "
    "Territory Valley Bay Island Islands Peninsula Coast Park".split()
)


def _overlaps_any(m: Mention, others: Iterable[Mention]) -> bool:
    return any(o.start < m.end and m.start < o.end for o in others)


#: a name standing alone in quotation marks
_QUOTED = re.compile(r"^[\x22\u201c\u2018'][^\x22\u201d\u2019']+[\x22\u201d\u2019']$")


def _drop_nested(mentions: list[Mention]) -> list[Mention]:
    out: list[Mention] = []
    for m in mentions:
        if out and m.start < out[-1].end:
            if m.end - m.start > out[-1].end - out[-1].start:
                out[-1] = m
            continue
        out.append(m)
    return out


# ------------------------------------------------------------------------ loading


def _string_list(data: Mapping[str, Any], key: str, path: Path) -> frozenset[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: '{key}' must be a list of strings")
    return frozenset(value)


def build_index(data: Mapping[str, Any], path: Path = Path("<entities>")) -> EntityIndex:
    """An :class:`EntityIndex` from the parsed YAML mapping (pure)."""
    entities = data.get("entities")
    if not isinstance(entities, dict) or not entities:
        raise ConfigError(f"{path}: 'entities' must map canonical names to {{aliases, tracked}}")
    aliases: dict[str, str] = {}
    tracked: set[str] = set()
    projects: dict[str, tuple[str, ...]] = {}
    for canonical, spec in entities.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise ConfigError(f"{path}: entity '{canonical}' must be a mapping")
        if spec.get("bare", True):
            aliases[str(canonical)] = str(canonical)
        for alias in spec.get("aliases") or []:
            aliases.setdefault(str(alias), str(canonical))
        if spec.get("tracked"):
            tracked.add(str(canonical))
        members = spec.get("members") or []
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"{path}: entity '{canonical}': 'members' must be a list of names")
        if members:
            projects[str(canonical)] = tuple(members)
    return EntityIndex(
        aliases=aliases,
        tracked=frozenset(tracked),
        org_suffixes=_string_list(data, "org_suffixes", path),
        org_descriptors=_string_list(data, "org_descriptors", path),
        places=_string_list(data, "places", path),
        non_org_words=_string_list(data, "non_org_words", path),
        person_titles=_string_list(data, "person_titles", path),
        projects=projects,
    )


def load_entities(path: Path) -> EntityIndex:
    """Reads ``config/entities.yaml``; a missing or invalid file is a :class:`ConfigError`."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    except OSError as exc:
        raise ConfigError(f"cannot read entity list {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'entities'")
    return build_index(data, path)

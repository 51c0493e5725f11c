"""Deal frames: a trigger (a deal verb or noun) with the companies that fill its roles.

A company that the sentence names but that fills no role of the trigger is not a party: the
maker of the chips in the deal, a modifier ("Nvidia-backed Acme"), the employer of a quoted
analyst, a person, a date. Roles come from where a name stands in the clause:

- the **actor** is the subject: a name before the trigger that no preposition governs
  ("Acme and Bolt signed ..." has two), or, when the clause has none, the company the sentence
  or the article is about ("It signed ...", "The startup agreed ...");
- the **counterparties** are the names after the trigger in its clause ("with", "from", "to",
  "in", "for", "by" phrases and direct objects); a coordination ("with Microsoft and Amazon")
  gives one pair per counterparty; an amount followed by its own "with X" ("$80bn with X and
  $15bn with Y") takes X alone;
- a reported deal ("IREN said Microsoft had agreed to ...") with no counterparty after the
  trigger takes the company that reported it.

Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.differ import lexicon as lx
from watcher.differ.context import Context
from watcher.differ.mentions import Role, Typed
from watcher.types import ValueType

#: a preposition (and a few descriptor words) right before a name: the name is not a subject
_GOVERNED = re.compile(
    r"\b(?:with|from|to|for|by|in|into|between|of|at|on|via|through|including|among|than|like|unlike|"
    r"versus|vs\.?|over|against|about|behind|alongside|under|as)\s+"
    r"(?:(?:the|its|their|a|an|his|her|fellow|rival|[A-Z][a-z]+['’]s)\s+)?(?:[a-z][\w-]*\s+){0,3}$"
)
#: a name after the trigger that is compared with, not dealt with
_NOT_COUNTERPARTY = re.compile(
    r"\b(?:than|like|unlike|versus|vs\.?|rather than|instead of|rivals?|competitors?|over)\s+"
    r"(?:(?:the|its|their|a|an)\s+)?(?:[a-z][\w-]*\s+){0,2}$"
)
#: "and", "&" or a comma joining two subjects ("Acme and Bolt signed")
_COORDINATED = re.compile(
    r"^\s*(?:,\s*|\s(?:and|&)\s+|,\s*and\s+)"
    # "OpenAI and Vietnamese data centre operator Saigon Cloud": a description before the next name
    r"(?:(?!(?:which|who|whose|that)\b)(?:(?:its|their|the)\s+)?(?:[A-Z][a-z]+\s+)?(?:[a-z][\w-]*\s+){0,3}"
    r"(?:company|firm|startup|start-up|operator|provider|developer|maker|chipmaker|designer|rival|partner|"
    r"lab|giant|supplier|builder|manufacturer|producer|utility|group|specialist|neocloud|investor)\s+)?$"
)
#: an amount followed by its own counterparty: "$80bn with Microsoft"
_OWN_COUNTERPARTY = re.compile(
    r"^\s*(?:[\w-]+\s+){0,3}?(?:with|from|to|for)\s+(?:the\s+|its\s+)?(?:[a-z][\w-]*\s+){0,2}$"
)
#: a purchase of a product: its maker is the seller ("bought $2bn of Nvidia chips")
_PURCHASE_OF = re.compile(
    r"\b(?:of|from|buy|buys|bought|buying|purchas\w+|order\w*|acquir\w+)\s+(?:[\w$.,-]+\s+){0,3}$"
)
#: a counterparty's preposition: "with Acme", "from the US operator Acme"
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:with|from|to|for|by|between|and)\s+(?:(?:the|its|a|an|[A-Z][a-z]+['’]s)\s+)?(?:[a-z][\w-]*\s+){0,3}$"
)
_TABLE_ROW = re.compile(r"^\s*\|")
_RELATIVE_BEFORE = re.compile(r"(?:(?:with|from|to|in|under|by|for|of)\s+)?(?:whose|which|whom|that)\s*$")


def _is_relative(ctx: Context, start: int) -> bool:
    """Whether the clause at ``start`` is a relative clause ("..., with which it has ...")."""
    return bool(
        _RELATIVE.match(ctx.text, start) or _RELATIVE_BEFORE.search(ctx.text, max(0, start - 30), start)
    )


#: "the two companies signed", "both firms agreed": a plural subject naming no company
_PLURAL_SUBJECT = re.compile(
    r"\b(?:[Tt]he two|[Bb]oth|[Tt]he) (?:companies|firms|sides|groups|partners)\s+(?:[a-z]+\s+){0,2}$"
)
#: "it has contracted", "the company signed": a pronoun or description as the trigger's subject
_PRONOUN_SUBJECT = re.compile(
    r"\b(?:[Ii]t|[Tt]hey|[Tt]he (?:[\w-]+ ){0,2}(?:company|startup|start-up|firm|group|operator|provider|"
    r"developer|lab|maker|chipmaker|giant|business))\s+(?:[a-z]+\s+){0,3}$"
)
#: "its computing contract", "their $10bn deal": a possessive pronoun before the trigger
_POSSESSIVE = re.compile(r"\b(?:its|their)\s+(?:[\w$.,-]+\s+){0,4}$")


def _possessor(ctx: Context, pos: int) -> str | None:
    """Who "its" refers to: the sentence's subject before it, else the last sentence's."""
    before = _subjects(ctx, 0, pos)
    if before:
        return before[0].name
    return ctx.previous_subject or ctx.reference


#: what opens a coordinated clause with a subject of its own: ", and OpenAI signed ..."
_NEW_CLAUSE = re.compile(r"(?:[,;]\s*(?:and|but|while|whereas)?|\b(?:and|but|while|whereas))\s+$")
#: a description that reports a deal: "the AI infrastructure company said (that) ..."
_DESCRIPTION_SAID = re.compile(
    r"\b(?:[Tt]he (?:[\w-]+ ){0,3}(?:company|firm|group|startup|start-up|operator|provider|developer|maker)|it)\s+"
    r"(?:\w+\s+){0,4}?(?:said|says|announced|disclosed|disclosing|confirmed)\b"
)
#: a clause parallel to the one before it ("..., while AMD contributed ...")
_PARALLEL = re.compile(r"\b(?:while|whereas)\s*$|\b(?:while|whereas)\b")
#: a relative clause: its subject is the name before it ("Oracle, whose contract ...")
_RELATIVE = re.compile(r"\s*(?:(?:with|from|to|in|under|by|for|of)\s+)?(?:whose|which|whom|that)\b")
#: the sentence reports what another says: "IREN said (that) Microsoft ..."
_REPORTING = re.compile(
    r"\W*(?:[\w-]+\s+){0,3}?(?:said|says|saying|announced|announcing|disclosed|disclosing|confirmed|confirming|"
    r"revealed|revealing|told \w+)\b"
    r"(?:\s+(?:on|in|late|early)\s+\w+)?(?:,)?\s+(?!(?:a|an|the|its|their|plans|results)\b)"
)
#: the subject of a sentence that refers back to the company the article is about
_SUBJECT_REFERENCE = re.compile(
    r"^\W*(?:It|The (?:company|startup|start-up|firm|group|lab|chipmaker|operator|provider|developer|"
    r"[a-z]+ (?:maker|developer|provider|operator|giant|group|company|firm)))\b"
)


@dataclass(frozen=True, slots=True)
class Roles:
    """The parties of one deal frame: who acts, and with whom."""

    actors: tuple[str, ...]
    counterparties: tuple[str, ...]
    why: str = ""

    def pairs(self) -> list[tuple[str, ...]]:  # noqa: D102
        """One party tuple per counterparty (coordination split); subjects alone pair up."""
        actors = tuple(dict.fromkeys(self.actors))
        cps = tuple(c for c in dict.fromkeys(self.counterparties) if c not in actors)
        if cps and actors:
            out: list[tuple[str, ...]] = [(a, c) for a in actors for c in cps]
            return out
        if len(actors) >= 2:
            return [actors]
        return []


def _parties(ctx: Context) -> list[Typed]:
    return [t for t in ctx.typed if t.party]


def _is_subject(ctx: Context, t: Typed, start: int) -> bool:
    """Not governed by a preposition nor the object of a deal verb ("taps Broadcom")."""
    key = (t.start, max(start, t.start - 60))
    cache = ctx.memo.setdefault("subject", {})
    if key not in cache:
        cache[key] = _governs_nothing(ctx.text[key[1] : t.start])
    return bool(cache[key])


def _governs_nothing(before: str) -> bool:
    if _GOVERNED.search(before):
        return False
    return _VERB_BEFORE.search(lx.fold(before)) is None


#: a deal verb right before a name makes it the object: "taps Broadcom", "hired Acme"
_VERB_BEFORE = re.compile(r"(?:" + lx.DEAL_VERB.pattern + r")\s+(?:[a-z][\w-]*\s+){0,2}$")


def _subjects(ctx: Context, start: int, pos: int, *, any_role: bool = False) -> list[Typed]:
    """Names in ``[start, pos)`` standing as subjects, with those coordinated to them
    (``any_role``: the last names before ``pos`` whatever governs them, for a relative clause)."""
    out: list[Typed] = []
    for t in _parties(ctx):
        if not start <= t.start < pos:
            continue
        if (
            any_role
            or _is_subject(ctx, t, start)
            or out
            and _COORDINATED.match(ctx.text[out[-1].end : t.start])
        ):
            out.append(t)
    # the subject nearest the trigger, with the names coordinated to it
    if not out:
        return []
    group = [out[-1]]
    for t in reversed(out[:-1]):
        if _COORDINATED.match(ctx.text[t.end : group[0].start]):
            group.insert(0, t)
        else:
            break
    return group


#: a description after a preposition refers to the article's company ("invest in the company")
_OBJECT_REFERENCE = re.compile(
    r"\b(?:with|from|to|in|into|for|by)\s+(?:the|its) (?:company|startup|start-up|firm|lab|group|"
    r"[a-z]+ (?:maker|developer|provider|operator|creator))\b"
)


def _segment(ctx: Context, value_start: int | None, value_end: int | None) -> tuple[int, int]:
    """The stretch of the sentence that belongs to one amount when it holds several."""
    if value_end is None or value_start is None:
        return 0, len(ctx.text)
    lo, hi = 0, len(ctx.text)
    for q in ctx.quantities:
        if q.span.end <= value_start and q.value.type is ValueType.USD:
            lo = max(lo, q.span.end)
        elif q.span.start >= value_end and q.value.type is ValueType.USD:
            hi = min(hi, q.span.start)
    return lo, hi


def _counterparties(
    ctx: Context, pos: int, end: int, value_end: int | None, value_start: int | None = None
) -> list[Typed]:
    lo, hi = _segment(ctx, value_start, value_end)
    after = [t for t in _parties(ctx) if max(pos, lo) <= t.start < min(end, hi)]
    if not after and (lo, hi) != (0, len(ctx.text)):
        after = [t for t in _parties(ctx) if pos <= t.start < min(end, hi)]
    if value_end is not None:
        own = [t for t in after if _OWN_COUNTERPARTY.match(ctx.text[value_end : t.start])]
        if own:
            return _first_group(ctx, [t for t in after if t.start >= own[0].start])
    kept = [t for t in after if not _NOT_COUNTERPARTY.search(ctx.text[max(pos, t.start - 40) : t.start])]
    return _first_group(ctx, kept)


#: what joins coordinated counterparties: "with Microsoft and Amazon", "from X, Y and Z"
_JOINED = re.compile(
    r"^(?:['’]s\s+[A-Z][\w.-]*)?\s*(?:,|and|&|or|, and|as well as|plus)\s+(?:(?:with|from|to|for)\s+)?"
    r"(?:(?:the|its)\s+)?(?:[a-z][\w-]*\s+){0,2}$"
)


def _first_group(ctx: Context, names: list[Typed]) -> list[Typed]:
    """The first counterparty after the trigger and those coordinated with it; a later name
    belongs to another phrase ("... in OpenAI among the risks to Microsoft's position")."""
    group = names[:1]
    for t in names[1:]:
        if _JOINED.match(ctx.text[group[-1].end : t.start]) and not _OPENS_CLAUSE.match(ctx.text, t.end):
            group.append(t)
        else:
            break
    return group


#: a name followed by its own verb is the subject of a new clause, not one more counterparty
#: ("... in OpenAI and AMD has committed capacity ...")
_OPENS_CLAUSE = re.compile(
    r"(?:['’]s\s+[A-Z][\w.-]*)?\s+(?:has|have|had|is|are|was|were|will|would|can|could|may|might|should|did|does|"
    r"said|says|also|agreed|signed|announced|committed|pledged|struck)\b"
)


def _object_reference(ctx: Context, pos: int, end: int) -> str | None:
    m = _OBJECT_REFERENCE.search(ctx.text, pos, end)
    return ctx.reference if m else None


def _seller(ctx: Context, start: int, end: int) -> list[Typed]:
    """The maker of a product bought in the clause ("$2bn of Nvidia chips")."""
    return [
        t
        for t in ctx.typed
        if t.role is Role.PRODUCT_MAKER
        and start <= t.start < end
        and _PURCHASE_OF.search(ctx.text[max(start, t.start - 40) : t.start])
    ]


def trigger_near(ctx: Context, pos: int) -> int:
    """Where the deal trigger of an amount at ``pos`` stands: the nearest deal verb or noun
    before it in its clause, else the nearest before it in the sentence, else the first after
    it in its clause ("a $10bn deal with ..."); ``pos`` itself when there is none."""
    start, end = ctx.clause(pos)
    head = ctx.low_slice(0, end)
    found = [m.start() for rx in (lx.DEAL_VERB.rx, lx.DEAL_NOUN.rx) for m in rx.finditer(head)]
    before = [p for p in found if p < pos]
    in_clause = [p for p in before if p >= start]
    if in_clause:
        return max(in_clause)
    after = [p for p in found if p > pos]
    if after:
        return min(after)
    return max(before) if before else pos


def roles_at(
    ctx: Context,
    pos: int,
    *,
    value_start: int | None = None,
    value_end: int | None = None,
    money: bool = False,
) -> Roles:
    """The roles of the deal whose trigger stands at ``pos`` (and whose amount, if any, stands
    at ``value_start:value_end``)."""
    start, end = ctx.clause(pos)
    if ctx.topic and _TABLE_ROW.match(ctx.text):
        # a table row: the company in its first cell deals with the one the table is about
        others = [t.name for t in _parties(ctx) if t.name != ctx.topic]
        partner = others[0] if others else ctx.reference
        if partner and partner != ctx.topic:
            return Roles((partner,), (ctx.topic,), "table row")
    # "its OpenAI contract", "the Microsoft agreement": a name right before a deal noun modifies it
    modifier = next(
        (
            t
            for t in _parties(ctx)
            if t.end <= pos and t.start >= start and not ctx.text[t.end : pos].strip(" '’s-")
        ),
        None,
    )
    if modifier is not None and modifier.start < _segment(ctx, value_start, value_end)[0]:
        modifier = None  # it names another amount's deal ("the $300bn Oracle agreement to the $22bn ...")
    if modifier is not None and lx.DEAL_NOUN.rx.match(ctx.low, pos):
        roles = roles_at(ctx, modifier.start, value_start=value_start, value_end=value_end, money=money)
        if roles.actors and modifier.name not in roles.actors:
            return Roles(roles.actors, (modifier.name,), roles.why + ", deal named after")
    actors = _subjects(ctx, start, pos)
    why = "subject"
    if not actors and start > 0 and _is_relative(ctx, start):
        # "OpenAI buys from CoreWeave, with which it has agreements worth ...": the sentence's
        # subject deals with the name the relative clause hangs on
        antecedent = _subjects(ctx, 0, start, any_role=True)
        subject = _subjects(ctx, 0, start)[:1]
        if subject and antecedent and subject[0].name not in {t.name for t in antecedent}:
            names = tuple(t.name for t in antecedent)
            return Roles((subject[0].name,), names, "relative clause")
        actors, why = antecedent, "antecedent"
    if not actors and (
        _POSSESSIVE.search(ctx.text, max(start, pos - 50), pos + 1)
        or _PRONOUN_SUBJECT.search(ctx.text, max(start, pos - 50), pos)
    ):
        # "its computing contract with Oracle": the company the sentence is about
        ref = _possessor(ctx, pos)
        if ref:
            return _with_counterparties(ctx, (ref,), pos, end, value_start, value_end, money, "possessive")
    if not actors and len(ctx.previous) >= 2 and _PLURAL_SUBJECT.search(ctx.text, max(start, pos - 40), pos):
        # "The two companies signed ...": the companies of the sentence before
        return Roles(ctx.previous[:2], (), "the two companies")
    actors = actors or _subjects(ctx, 0, pos)
    if not actors:
        ref = ctx.previous_subject or ctx.reference
        if ref and _SUBJECT_REFERENCE.match(ctx.text):
            return _with_counterparties(ctx, (ref,), pos, end, value_start, value_end, money, "reference")
        actors = [t for t in _parties(ctx) if t.start < pos][-1:]
        why = "nearest"
    names = tuple(t.name for t in actors)
    return _with_counterparties(ctx, names, pos, end, value_start, value_end, money, why)


def _with_counterparties(
    ctx: Context,
    actors: tuple[str, ...],
    pos: int,
    end: int,
    value_start: int | None,
    value_end: int | None,
    money: bool,
    why: str,
) -> Roles:
    start, _ = ctx.clause(pos)
    cps = [t.name for t in _counterparties(ctx, pos, end, value_end, value_start) if t.name not in actors]
    if not cps:  # "its OpenAI contract", "the Microsoft agreement": a name that modifies the deal noun
        cps = [
            t.name
            for t in _parties(ctx)
            if t.end <= pos and not ctx.text[t.end : pos].strip(" '’s-") and t.name not in actors
        ]
    if not cps:
        cps = [t.name for t in _objects_between(ctx, actors, start, pos)]
    if not cps:
        ref = _object_reference(ctx, pos, end)
        cps = [ref] if ref and ref not in actors else []
    if not cps and money:
        cps = [t.name for t in _seller(ctx, start, end) if t.name not in actors]
    if not cps and len(actors) < 2:
        cps, how = _fallback_counterparty(ctx, actors, pos, value_start, value_end)
        why += how
    if not actors and cps and why.endswith("carried"):
        return Roles(tuple(cps), (), why)  # "these deals add 16 GW": all the companies referred to
    if not actors and cps:
        actors, cps = tuple(cps[:1]), cps[1:]
        if not cps and ctx.topic and ctx.topic != actors[0]:
            cps = [ctx.topic]
    return Roles(actors, tuple(dict.fromkeys(cps)), why)


def _objects_between(ctx: Context, actors: tuple[str, ...], start: int, pos: int) -> list[Typed]:
    """ "OpenAI agreed with Oracle to develop ...", "OpenAI taps Broadcom to build ...": names
    between the subject and the trigger that a preposition or a deal verb governs."""
    if not actors:
        return []
    subject_end = max((t.end for t in _parties(ctx) if t.name in actors and t.start < pos), default=start)
    return [
        t
        for t in _parties(ctx)
        if subject_end <= t.start < pos
        and t.name not in actors
        and not _is_subject(ctx, t, 0)
        and not _NOT_COUNTERPARTY.search(ctx.text[max(0, t.start - 40) : t.start])
    ]


def _fallback_counterparty(
    ctx: Context, actors: tuple[str, ...], pos: int, value_start: int | None, value_end: int | None
) -> tuple[list[str], str]:
    """A counterparty from outside the trigger's clause: the company that reports the deal
    ("IREN said Microsoft had agreed to ..."), the companies the sentence refers back to, a
    "with X" later in the sentence, any other company in the sentence, or a list item's topic."""
    first = actors[0] if actors else None
    actor_starts = [t.start for t in _parties(ctx) if t.name in actors and t.start < pos]
    before = [
        t
        for t in _parties(ctx)
        if t.start < pos
        and t.name not in actors
        and (m := _REPORTING.match(ctx.text, t.end, pos))
        and (not actor_starts or any(0 <= a - m.end() <= 6 for a in actor_starts))
    ]
    if before:
        return [before[-1].name], ", reported by"
    said = _DESCRIPTION_SAID.search(ctx.text, 0, pos)
    if said:
        # "... after the AI infrastructure company said Microsoft had agreed to ...": the company
        # the description stands for, named earlier in the sentence or before it
        earlier = [t.name for t in _parties(ctx) if t.start < said.start() and t.name not in actors]
        ref = earlier[-1] if earlier else (ctx.previous_subject or ctx.reference)
        if ref and ref not in actors:
            return [ref], ", reported by (description)"
    if ctx.carried:
        return [c for c in ctx.carried if c != first], ", carried"
    start, _ = ctx.clause(pos)
    if start > 0 and _PARALLEL.search(ctx.text, max(0, start - 12), start + 10):
        # "Nvidia will invest $100bn in OpenAI, while AMD contributed capacity ...": the earlier
        # clause's counterparty
        objects = [
            t.name
            for t in _parties(ctx)
            if t.start < start and t.name not in actors and not _is_subject(ctx, t, 0)
        ]
        if objects:
            return objects[-1:], ", parallel clause"
    lo, hi = _segment(ctx, value_start, value_end)
    # not past the next clause that has a subject of its own (", and OpenAI signed ...")
    later_subjects = [
        t.start
        for t in _parties(ctx)
        if t.start > pos
        and _is_subject(ctx, t, 0)
        and _NEW_CLAUSE.search(ctx.text, max(0, t.start - 12), t.start)
    ]
    if later_subjects:
        hi = min(hi, later_subjects[0])
    rest = [
        t.name
        for t in _parties(ctx)
        if max(pos, lo) <= t.start < hi
        and t.name not in actors
        and _PREPOSITION_BEFORE.search(ctx.text[max(0, t.start - 40) : t.start])
    ]
    if rest:
        return rest, ", later in the sentence"
    if not actors and ctx.topic:  # a list item or table row about the topic
        anywhere = [t.name for t in _parties(ctx) if lo <= t.start < hi]
        if ctx.topic:
            anywhere.append(ctx.topic)
        anywhere = list(dict.fromkeys(anywhere))
        if len(anywhere) >= 2:
            return anywhere, ", in the sentence"
    if ctx.topic and ctx.topic != first:
        return [ctx.topic], ", topic"
    return [], ""


def last_subject(ctx: Context) -> str | None:
    """The company a sentence last names as a subject (what "It" in the next one refers to)."""
    subjects = [t for t in _parties(ctx) if _is_subject(ctx, t, 0)]
    if subjects:
        return subjects[-1].name
    first = next((t for t in _parties(ctx)), None)
    return first.name if first else None


def clause_parties(ctx: Context, pos: int) -> tuple[str, ...]:
    """The companies a statement at ``pos`` is about: those its clause names as parties, else
    the sentence's subject, else whom "its"/"it" refers to ("its exclusive hold is over")."""
    start, end = ctx.clause(pos)
    names = [t.name for t in _parties(ctx) if start <= t.start < end]
    if not names and start > 0 and _is_relative(ctx, start):
        # "The Windows maker's contract with OpenAI, which now expires in 2032": the clause it hangs on
        before, _ = ctx.clause(max(0, start - 3))
        names = [t.name for t in _parties(ctx) if before <= t.start < start]
    if not names:
        names = [t.name for t in _subjects(ctx, 0, pos)]
    if not names and (
        _POSSESSIVE.search(ctx.text, max(0, pos - 50), pos + 1)
        or _PRONOUN_SUBJECT.search(ctx.text, max(0, pos - 50), pos)
    ):
        ref = ctx.previous_subject or ctx.reference
        names = [ref] if ref else []
    if not names:
        names = list(ctx.carried)
    return tuple(dict.fromkeys(names))


def subject_of(ctx: Context, pos: int) -> tuple[str, ...]:
    """Who does what stands at ``pos``: the sentence's subject before it, else the companies of
    its clause (see :func:`clause_parties`)."""
    subjects = _subjects(ctx, 0, pos)
    return (subjects[0].name,) if subjects else clause_parties(ctx, pos)[:1]

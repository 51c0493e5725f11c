"""What a person reads: one item per story and fact, worded for people.

The store keeps one finding per article; syndicated copies of one story carry the same
finding (same story, same signature). Everything a person reads (alerts, the digest,
`watcher findings`, the dashboard) shows such a group once, with every source under it:
:func:`group_records` makes the groups, and the functions below word them: the evidence is
the sentence that carries the claim (not the headline, unless that is all there is), the
reason is a plain sentence without internal ids, outlets have names.

Pure: no database, no network; the store hands in :class:`~watcher.types.FindingRecord` values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from watcher.types import Fact, Finding, FindingKind, FindingRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: how a review state of a group is chosen from its findings' states (highest wins)
_REVIEW_RANK = {"active": 0, "dismissed": 1, "confirmed": 2}

#: attribute -> the thing an article "puts at" a value, in words
ATTRIBUTE_WORDS: dict[str, str] = {
    "investment": "the investment",
    "stake": "the stake",
    "valuation": "the valuation",
    "compute_deal": "the compute deal's value",
    "deal_duration": "the deal's length",
    "capacity": "the capacity",
    "partnership_term": "the partnership's end",
    "exclusivity": "the exclusivity",
    "preferential_rights": "the preferential rights",
    "spending": "the spending",
    "profitability": "the year of profitability",
    "operating_loss": "the operating loss",
    "cloud_agreement": "the cloud agreement",
    "model_integration": "the model integration",
    "product_launch": "the product launch",
    "data_center": "the data-centre project",
    "project_value": "the project's value",
    "downloads": "the change in downloads",
    "catalog_size": "the model catalogue's size",
    "in_house_models": "in-house models",
}

#: attribute -> what a new deal of that attribute is called ("a compute deal")
DEAL_WORDS: dict[str, str] = {
    "compute_deal": "compute deal",
    "cloud_agreement": "cloud agreement",
    "investment": "investment",
    "capacity": "capacity deal",
    "project_value": "joint project",
    "data_center": "data-centre project",
    "model_integration": "model integration",
    "partnership_term": "partnership",
    "stake": "stake",
}


@dataclass(frozen=True, slots=True)
class Source:
    """One article that carries a finding: the outlet, its title (the link) and when watcher saw it."""

    outlet: str
    title: str
    url: str
    first_seen: datetime | None  # None only for a view built without the store
    published: datetime | None
    evidence: str
    finding_id: int


@dataclass(frozen=True, slots=True)
class StoryItem:
    """A finding once per story, with every source under it (oldest first)."""

    id: int  # the first source's finding id: what Confirm / Dismiss act on
    finding: Finding
    review: str
    sources: tuple[Source, ...]

    @property
    def first_seen(self) -> datetime:
        return self.sources[0].first_seen or _EPOCH

    @property
    def last_seen(self) -> datetime:
        return max(s.first_seen or _EPOCH for s in self.sources)

    @property
    def finding_ids(self) -> tuple[int, ...]:
        return tuple(s.finding_id for s in self.sources)


def outlet_name(site: str | None, feed: str | None, url: str) -> str:
    """The outlet's name: the page's site name, else the feed's name, else the host, else the file name.
    A site that is only an IP address (a local test server) gives way to the feed's name."""
    if site and site.strip() and not (feed and _is_address(site) and not feed.startswith("backfill:")):
        return site.strip()
    if feed and not feed.startswith("backfill:"):
        return feed
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:60] or "a saved page"
    host = parts.hostname or ""
    if host:
        return host[4:] if host.startswith("www.") else host
    name = PurePosixPath(unquote(parts.path)).name
    return f"saved page {name}" if name else "a saved page"


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return host.strip().lower() == "localhost"
    return True


def _fold(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9$€£])")


def split_sentences(text: str) -> list[str]:
    """Sentences of plain article text (a light splitter; the differ has its own)."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n|\n", text):
        out += [s.strip() for s in _SENTENCE_END.split(block.strip()) if s.strip()]
    return out


def is_headline(sentence: str, title: str) -> bool:
    """True when the sentence is the headline (word for word, or the headline and little more)."""
    s, t = _fold(sentence), _fold(title)
    return bool(t) and (s == t or (s.startswith(t) and len(s) - len(t) < 12))


def _numbers(value: str | None) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", value or ""))


def pick_evidence(finding: Finding, title: str, text: str) -> str:
    """The sentence that carries the claim: the differ's evidence, unless that is the headline and
    the body has a sentence naming the same parties (and the same figure, when there is one)."""
    first_line = text.strip().split("\n", 1)[0] if text else ""
    heads = [h for h in (title, first_line if len(first_line) < 200 else "") if h]
    if not text or not any(is_headline(finding.evidence, h) for h in heads):
        return finding.evidence
    names = [p.split()[0].lower() for p in finding.parties if p.strip()]
    figures = _numbers(finding.new_value)
    best: str | None = None
    for sentence in split_sentences(text):
        if any(is_headline(sentence, h) for h in heads) or len(sentence) < 25:
            continue
        low = sentence.lower()
        if not all(n in low for n in names):
            continue
        if figures and figures & _numbers(sentence):
            return sentence
        best = best or sentence
    return best or finding.evidence


def group_records(records: Iterable[FindingRecord]) -> list[StoryItem]:
    """One item per (story, finding signature), in the order the groups first appear;
    sources oldest first, evidence chosen per source."""
    groups: dict[tuple[object, str], list[FindingRecord]] = {}
    for r in records:
        key: tuple[object, str] = (r.story_id if r.story_id is not None else ("article", r.url), r.signature)
        groups.setdefault(key, []).append(r)
    items = []
    for members in groups.values():
        members.sort(key=lambda r: (r.first_seen, r.finding_id))
        sources, seen_urls = [], set()
        for r in members:
            if r.url in seen_urls:
                continue
            seen_urls.add(r.url)
            sources.append(
                Source(
                    outlet=outlet_name(r.site, r.feed, r.url),
                    title=r.title or r.url,
                    url=r.url,
                    first_seen=r.first_seen,
                    published=r.published,
                    evidence=pick_evidence(r.finding, r.title, r.text),
                    finding_id=r.finding_id,
                )
            )
        review = max((r.review for r in members), key=lambda s: _REVIEW_RANK.get(s, 0))
        items.append(StoryItem(id=members[0].finding_id, finding=members[0].finding, review=review,
                               sources=tuple(sources)))  # fmt: skip
    return items


def newest_first(items: Sequence[StoryItem]) -> list[StoryItem]:
    return sorted(items, key=lambda i: (i.first_seen, i.id), reverse=True)


# -- wording ---------------------------------------------------------------------------------


def join_names(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = [n for n in names if n]
    if not names:
        return "unnamed companies"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def status_words(finding: Finding) -> str | None:
    """Where a new deal stands, in words ('signed', 'in talks, reported'); None when unknown."""
    return finding.status or None


def fact_origin(fact: Fact | None, seed_dates: Callable[[str], str | None] = lambda name: None) -> str | None:
    """Where a baseline fact comes from, in words: 'the seed of 2025-10-15', 'a confirmed alert'."""
    if fact is None:
        return None
    seed = fact.provenance.seed
    if fact.id.startswith("confirmed-"):
        return f"an alert confirmed from {outlet_name(None, None, seed)}"
    day = seed_dates(seed)
    return f"the seed of {day}" if day else "the seed documents"


def reason(finding: Finding, origin: str | None = None) -> str:
    """Why watcher flags this, in plain words and without internal ids."""
    f = finding
    what = ATTRIBUTE_WORDS.get(f.attribute, f.attribute.replace("_", " "))
    baseline = "the baseline" + (f", from {origin}," if origin else "")
    new = f.new_value or "a value it does not state"
    if f.kind == FindingKind.CONTRADICTION:
        old = _bare(f.baseline_value) or "otherwise"
        return f"The article puts {what} at {_bare(new)}; {baseline} says {old}."
    if f.kind == FindingKind.NEW_DEAL:
        noun = DEAL_WORDS.get(f.attribute, "deal")
        worth = f" worth {f.new_value}" if f.new_value and f.attribute in _VALUED else ""
        told = f", {f.status}" if f.status else ""
        return (
            f"The baseline has no {noun} between {join_names(f.parties)}; "
            f"the article reports one{worth}{told}."
        )
    if f.kind == FindingKind.UPDATE:
        return (
            f"The article states {what} as {new}, which {baseline.replace(',', '').strip()} "
            f"had only as reported ({f.baseline_value or 'no value'})."
        )
    return f"The article agrees with {baseline.rstrip(',')}: {what} {f.baseline_value or new}."


def _bare(value: str | None) -> str | None:
    """'through 2034' -> '2034' (the sentence already says where the value puts the thing)."""
    return re.sub(r"^(through|until|to)\s+", "", value) if value else value


_VALUED = frozenset({"compute_deal", "investment", "project_value", "capacity", "spending", "valuation"})

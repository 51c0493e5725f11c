"""What one alert shows: :class:`AlertView` (a finding once per story, with its sources) and the
labels of kinds, parties and attributes shared by the alert, digest and landscape renderers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watcher.notify.items import Source, outlet_name, reason
from watcher.types import Finding, FindingKind

_KINDS: dict[FindingKind, tuple[str, str]] = {
    FindingKind.NEW_DEAL: ("🆕", "NEW DEAL"),
    FindingKind.CONTRADICTION: ("⚠️", "CONTRADICTION"),
    FindingKind.CONFIRMATION: ("✅", "CONFIRMATION"),
    FindingKind.UPDATE: ("🔄", "UPDATE"),
}


@dataclass(frozen=True, slots=True)
class AlertView:
    """One finding once per story, with the sources that carry it, ready to render.

    ``title``/``url``/``site``/``published`` are the first source's; ``outlets`` lists every
    source (built from those four when empty); ``origin`` says where the baseline fact comes
    from ('the seed of 2025-10-15')."""

    finding: Finding
    title: str
    url: str
    site: str | None
    sources: int
    published: datetime | None
    outlets: tuple[Source, ...] = ()
    origin: str | None = None
    finding_id: int | None = None

    @property
    def all_sources(self) -> tuple[Source, ...]:
        if self.outlets:
            return self.outlets
        return (Source(outlet_name(self.site, None, self.url), self.title or self.url, self.url, self.published,
                       self.published, self.finding.evidence, self.finding_id or 0),)  # fmt: skip

    @property
    def count(self) -> int:
        """How many sources carry the finding."""
        return len(self.outlets) if self.outlets else self.sources

    @property
    def evidence(self) -> str:
        return self.all_sources[0].evidence

    @property
    def why(self) -> str:
        return reason(self.finding, self.origin)


def kind_label(kind: FindingKind) -> tuple[str, str]:
    """(emoji, LABEL) for a finding kind."""
    return _KINDS[kind]


def parties_label(finding: Finding) -> str:
    return " & ".join(finding.parties) if finding.parties else "unknown parties"


def attribute_label(attribute: str) -> str:
    return attribute.replace("_", " ").capitalize()

"""What a run did: typed counters and typed problems, one shape for the poll cycle, the outbox drain and backfill.

A :class:`Report` is a dataclass of ``int`` counters (each kind of run declares its own: ``CycleReport`` in
:mod:`watcher.app.pipeline`, ``DrainReport`` in :mod:`watcher.notify.outbox`, ``BackfillReport`` in
:mod:`watcher.app.backfill`) plus a list of :class:`Problem`: the item it is about (a feed, an entry's link, a
file, a chat), a :class:`ProblemKind` and a message, URL passwords masked. A problem is an *expected* failure of
one item (a feed that does not answer, a page that cannot be read, a write the database refuses, a message that
could not be sent), recorded while the run goes on. A bug is not a problem: it propagates and stops the run.

:func:`report_lines` and :meth:`Report.as_json` render every report the same way (the CLI's text and ``--json``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from watcher.errors import FetchErrorKind
from watcher.logs import mask_url_passwords
from watcher.text import plural

MAX_SHOWN = 20  # problems listed in the text rendering; --json has them all


class ProblemKind(StrEnum):
    """Every kind a report's problem can have. The values are what ``errors_by_kind`` and the metrics label
    ``watcher_fetch_errors{kind=...}`` show (the same strings as before they were an enum)."""

    # a feed could not be fetched (the FetchErrorKind of the error) or parsed: the feed failed this cycle
    NETWORK = "network"
    TIMEOUT = "timeout"
    STATUS = "status"
    TOO_LARGE = "too_large"
    REFUSED = "refused"
    REDIRECTS = "redirects"
    DECODE = "decode"
    PARSE = "parse"
    # an entry's page could not be fetched: the entry is stored from the feed's summary (partial)
    PAGE_NETWORK = "page_network"
    PAGE_TIMEOUT = "page_timeout"
    PAGE_STATUS = "page_status"
    PAGE_TOO_LARGE = "page_too_large"
    PAGE_REFUSED = "page_refused"
    PAGE_REDIRECTS = "page_redirects"
    PAGE_DECODE = "page_decode"
    # no article text could be extracted from a page: partial (a poll), not stored (a backfilled file)
    EXTRACT = "extract"
    # the database refused an entry's write: not stored, recorded, retried next cycle
    ENTRY = "entry"
    # backfill: a file that is empty, binary or unreadable
    UNREADABLE = "unreadable"
    # the outbox: a delivery to retry later, held as uncertain (timed out after sending), or failed for good
    DELIVERY_RETRY = "delivery_retry"
    DELIVERY_UNCERTAIN = "delivery_uncertain"
    DELIVERY_FAILED = "delivery_failed"

    @classmethod
    def feed(cls, kind: FetchErrorKind) -> ProblemKind:
        """The problem of a feed whose fetch failed with ``kind``."""
        return cls(kind.value)

    @classmethod
    def page(cls, kind: FetchErrorKind) -> ProblemKind:
        """The problem of an entry whose page could not be fetched (``kind``)."""
        return cls(f"page_{kind.value}")


@dataclass(frozen=True)
class Problem:
    """One item's expected failure: ``item`` is what it is about (a feed's name, an entry's link, a file,
    ``channel:target``), ``message`` what went wrong (the error's own text)."""

    item: str
    kind: ProblemKind
    message: str

    @classmethod
    def of(cls, item: str, kind: ProblemKind, message: str) -> Problem:
        """A problem with URL passwords masked in its item and message (reports are printed and kept)."""
        return cls(mask_url_passwords(item), kind, mask_url_passwords(message))

    def __str__(self) -> str:
        return f"{self.item}: {self.message}" if self.item else self.message

    def as_json(self) -> dict[str, str]:
        return {"item": self.item, "kind": self.kind.value, "message": self.message}


_NOT_COUNTERS = frozenset({"problems", "duration"})


@dataclass
class Report:
    """Counters (the ``int`` fields subclasses declare) and the problems met, with the run's duration."""

    problems: list[Problem] = field(default_factory=list)
    duration: float = 0.0

    def problem(self, item: str, kind: ProblemKind, message: str) -> Problem:
        """Records one item's expected failure (passwords masked) and returns it."""
        found = Problem.of(item, kind, message)
        self.problems.append(found)
        return found

    def counters(self) -> dict[str, int]:
        """The counters by name, in their declared order."""
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in _NOT_COUNTERS
        }

    def add(self, other: Report) -> None:
        """Adds the counters ``other`` shares with this report (by name), and takes its problems."""
        mine = self.counters()
        for name, n in other.counters().items():
            if name in mine:
                setattr(self, name, mine[name] + n)
        self.problems += other.problems

    @property
    def errors(self) -> list[str]:
        """The problems as lines (``item: message``), as the ``errors`` key of ``--json`` has them."""
        return [str(p) for p in self.problems]

    @property
    def errors_by_kind(self) -> dict[str, int]:
        """How many problems of each kind (the metrics labels)."""
        return dict(Counter(p.kind.value for p in self.problems))

    def headline(self) -> str:
        """One line saying what the run did; subclasses phrase their own counters."""
        return ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in self.counters().items())

    def as_json(self) -> dict[str, Any]:
        """The counters, ``duration``, ``errors`` (lines), ``errors_by_kind`` and ``problems`` (objects)."""
        return {
            **self.counters(),
            "duration": self.duration,
            "errors": self.errors,
            "errors_by_kind": self.errors_by_kind,
            "problems": [p.as_json() for p in self.problems],
        }


def report_lines(report: Report, *, prefix: str = "", limit: int = MAX_SHOWN) -> Iterator[str]:
    """The text rendering of any report: its headline (after ``prefix``), then its first ``limit`` problems."""
    yield prefix + report.headline()
    for problem in report.problems[:limit]:
        yield f"  error: {problem}"
    if len(report.problems) > limit:
        yield f"  ... and {plural(len(report.problems) - limit, 'more error')}"

"""Consolidates one article's findings: short and long forms of one company become one name.

An article often names a company in full once ("Northwind Cloud Ltd") and by a short form
elsewhere ("Northwind", in the headline). Left alone, the same deal would be flagged twice
under two party lists. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from watcher.types import Finding, FindingKind


def name_variants(names: Iterable[str], known: frozenset[str]) -> dict[str, str]:
    """Maps a short unknown name to the longest name in ``names`` that extends it word-wise."""
    pool = sorted(set(names), key=len, reverse=True)
    mapping: dict[str, str] = {}
    for name in pool:
        if name in known:
            continue
        for longer in pool:
            if longer != name and longer.startswith(name + " "):
                mapping[name] = mapping.get(longer, longer)
                break
    return mapping


def consolidate(findings: Sequence[Finding], known: frozenset[str]) -> list[Finding]:
    """Findings with party variants merged and the duplicates this creates dropped (first kept)."""
    mapping = name_variants((p for f in findings for p in f.parties), known)
    out: list[Finding] = []
    seen: set[tuple[object, ...]] = set()
    for f in findings:
        parties = tuple(dict.fromkeys(mapping.get(p, p) for p in f.parties))
        g = replace(f, parties=parties) if parties != f.parties else f
        key: tuple[object, ...] = (g.kind, frozenset(g.parties), g.attribute, g.baseline_fact, g.new_value)
        if g.kind is FindingKind.NEW_DEAL:
            key = (g.kind, frozenset(g.parties))  # one new deal per pair of companies
        if key in seen:
            continue
        seen.add(key)
        out.append(g)
    return out

"""The differ: the pure core that reads an article and compares it with the baseline.

Stages, each a module of pure functions over typed values: ``document`` (zones and
sentences) -> ``mentions`` (companies and quantities) -> ``context`` (one sentence read
once: hedges, clauses) -> ``frames`` (deal triggers with their roles and status) ->
``claims`` -> ``match`` (against the baseline) -> findings; ``explain`` says why.
No I/O happens here: files are read by the callers.
"""

from __future__ import annotations

from watcher.differ.reader import Analysis, analyse, diff_article

__all__ = ["Analysis", "analyse", "diff_article"]

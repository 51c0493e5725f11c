"""The typing rule mypy cannot check itself: every ``# type: ignore`` says why (mypy's
``ignore-without-code``, enabled in pyproject.toml, already makes it name its error code)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = re.compile(r"#\s*type:\s*ignore")
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[a-z-]+(?:,\s*[a-z-]+)*\]\s+#\s*\S")


def test_every_type_ignore_names_its_code_and_a_reason() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("watcher", "tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if IGNORE.search(line) and not EXPLAINED.search(line) and path.name != "test_type_ignores.py"
    ]
    assert bare == [], "a `# type: ignore[code]` needs a `# reason` after it: " + ", ".join(bare)

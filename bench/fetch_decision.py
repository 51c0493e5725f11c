"""What deciding the fetch from the feed's own text costs in recall (issue #14 item 2).

    .venv/bin/python bench/fetch_decision.py [--corpus ../shared/corpus]

Tracked names: those of ``config/entities.yaml`` (``watcher.app.root.tracked_names``), as a poll uses them.

1. ``feeds/real``: every entry of the 15 real feeds, parsed by ``watcher.ingest.feeds.parse_feed``. "Fetched"
   is :func:`watcher.ingest.feeds.worth_fetching` (title, summary, categories). The stand-in for the page is
   the full text the feed itself carries (``content:encoded`` / Atom ``content``) where it has one:
   an entry is "relevant in full" when title, summary or that content names a tracked company.
   Missed = relevant in full but not fetched.
2. ``dev`` and ``dev2``: the labelled articles that expect at least one finding. The feed text is
   stood in for by the headline (first line, or ``<title>``) and the first 40 words of the body (a
   typical RSS description is the lead); missed = an article with expected findings whose headline
   and lead name no tracked company.
"""

from __future__ import annotations

import argparse
import html as htmllib
import json
import re
from pathlib import Path

import feedparser
from _common import ROOT, SHARED, print_machine, table

from watcher.app.root import tracked_names
from watcher.differ.entities import load_entities
from watcher.ingest.feeds import is_relevant, parse_feed, worth_fetching
from watcher.types import Fetched

LEAD_WORDS = 40


def _strip(markup: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", markup))


def real_feeds(folder: Path, names: tuple[str, ...]) -> list[list[object]]:
    rows: list[list[object]] = []
    for path in sorted(folder.glob("*.*ml")) + sorted(folder.glob("*.json")):
        body = path.read_bytes()
        try:
            entries = parse_feed(Fetched(url=path.as_uri(), status=200, content=body), path.stem)
        except Exception:  # noqa: BLE001 - a file our parser refuses is reported, not fatal
            rows.append([path.name, "unparsed", "", "", "", ""])
            continue
        raw = feedparser.parse(body).entries
        fetched = relevant = missed = with_content = 0
        for i, entry in enumerate(entries):
            content = (
                " ".join(_strip(c.get("value", "")) for c in (raw[i].get("content") or []))
                if i < len(raw)
                else ""
            )
            with_content += int(bool(content))
            full = is_relevant((entry.title, entry.summary, *entry.categories, content), names)
            take = worth_fetching(entry, names)
            fetched += int(take)
            relevant += int(full)
            missed += int(full and not take)
        rows.append([path.name, len(entries), with_content, fetched, relevant, missed])
    return rows


def dev_articles(corpus: Path, names: tuple[str, ...]) -> list[list[object]]:
    rows: list[list[object]] = []
    for name in ("dev", "dev2"):
        labels_file = corpus / name / "labels.json"
        if not labels_file.exists():
            continue
        labels = json.loads(labels_file.read_text(encoding="utf-8"))
        expecting = kept = 0
        missed_ids: list[str] = []
        for key, label in labels.items():
            if not label.get("expect"):
                continue
            path = corpus / name / label.get("file", f"articles/{key}.txt")
            if not path.exists():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".html":
                title_match = re.search(r"<title[^>]*>(.*?)</title>", text, re.S | re.I)
                title = _strip(title_match.group(1)) if title_match else ""
                body = _strip(re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.S | re.I))
            else:
                title, _, body = text.partition("\n")
            lead = " ".join(body.split()[:LEAD_WORDS])
            expecting += 1
            if is_relevant((title, lead), names):
                kept += 1
            else:
                missed_ids.append(key)
        rows.append([name, expecting, kept, expecting - kept, " ".join(missed_ids) or "-"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    args = parser.parse_args()
    corpus = args.corpus if args.corpus.exists() else Path("/work/shared/corpus")
    names = tracked_names(load_entities(ROOT / "config" / "entities.yaml"))
    print_machine()
    print(f"corpus {corpus}; {len(names)} tracked names and aliases")
    rows = real_feeds(corpus / "feeds" / "real", names)
    total = [sum(v for r in rows if isinstance(v := r[i], int)) for i in range(1, 6)]
    rows.append(["all", *total])
    print(table(rows, ["feed", "entries", "with full content", "fetched", "relevant in full", "missed"]))
    print()
    print(
        table(
            dev_articles(corpus, names),
            ["corpus", "articles expecting findings", "fetched", "missed", "missed ids"],
        )
    )


if __name__ == "__main__":
    main()

"""Differ benchmark: scores on the dev corpus and claims+matching speed.

    .venv/bin/python bench/differ_bench.py [CORPUS]      (default ../shared/corpus/dev)

Reads every article once (extraction is timed separately and excluded from the speed figure),
runs claims + matching, writes the findings as JSON lines, pipes them to the scorer
(../shared/eval/score.py) and prints its totals; then times PASSES passes of claims + matching
over the corpus and prints the best and the median pass as ms per 1,000 words (the machine is
shared and noisy: the best pass is the figure to compare, the median shows the spread).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from watcher.baseline.facts import load_baseline  # noqa: E402
from watcher.differ import diff_article  # noqa: E402
from watcher.differ.entities import load_entities  # noqa: E402
from watcher.ingest.articles_io import ArticleText, expand_sources, read_source  # noqa: E402

PASSES = 40  # timed passes over the corpus: the machine is noisy, so report best and median


def main(corpus: Path) -> int:
    scorer = ROOT.parent / "shared" / "eval" / "score.py"
    baseline = load_baseline(ROOT / "baseline" / "facts.yaml")
    entities = load_entities(ROOT / "config" / "entities.yaml")
    t0 = time.perf_counter()
    articles: list[ArticleText] = [read_source(s) for s in expand_sources([str(corpus / "articles")])]
    extract_s = time.perf_counter() - t0
    words = sum(len(a.text.split()) + len(a.title.split()) for a in articles)

    def run_all() -> list[str]:
        lines = []
        for a in articles:
            year = a.published.year if a.published else None
            for f in diff_article(
                a.text, baseline, entities, title=a.title, partial=a.partial, reference_year=year
            ):
                lines.append(json.dumps(f.to_json(a.source)))
        return lines

    lines = run_all()  # warm-up (regex compilation) and the scored output
    passes = []
    for _ in range(PASSES):
        t0 = time.perf_counter()
        run_all()
        passes.append(time.perf_counter() - t0)
    best_s, median_s = min(passes), statistics.median(passes)

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        out.write("\n".join(lines) + "\n")
    totals = subprocess.run(
        [sys.executable, str(scorer), str(corpus), out.name, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    score = json.loads(totals.stdout)
    print(f"articles: {len(articles)}  words: {words}  findings: {len(lines)}")
    print(f"precision {score['precision']:.3f}  recall {score['recall']:.3f}  F1 {score['f1']:.3f}")
    print(
        f"article precision {score['article_precision']:.3f}  article recall {score['article_recall']:.3f}  article F1 {score['article_f1']:.3f}"
    )
    for kind in ("new_deal", "contradiction"):
        k = score[kind]
        print(f"  {kind:<14} P {k['precision']:.3f}  R {k['recall']:.3f}  F1 {k['f1']:.3f}")
    print(f"extraction (excluded): {extract_s * 1000:.1f} ms total")
    per_kw = 1000 / (words / 1000)
    print(
        f"claims+matching ({PASSES} passes): best {best_s * per_kw:.2f} ms per 1,000 words"
        f" ({len(articles) / best_s:.0f} articles/s), median {median_s * per_kw:.2f} ms per 1,000 words"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "dev"))

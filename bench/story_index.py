"""Story clustering cost per lookup against the number of stored stories (issue #14 item 1).

    .venv/bin/python bench/story_index.py [--sizes 1000,10000,100000] [--queries 200]

A :class:`watcher.ingest.stories.StoryIndex` is filled with N synthetic sketches (one story each), then
timed on ``--queries`` lookups: half near-duplicates of a stored story (20% of the shingles
replaced: Jaccard ~0.67), half unrelated texts. Each synthetic text has 400 shingle hashes, 5% of
them drawn from a pool of 800 "common phrase" shingles shared across texts ("the company said",
"in a statement"), so that, as issue #14 measured on real news, an unrelated story shares some
sketch hash with about 5% of the stored ones. Building sketches from hash sets (not from text) keeps the 100k fill fast; the lookup sees
exactly what it sees in production (bottom-128 sketches).

Prints per size: fill time, microseconds per lookup (median and p95 over the queries), and the
decisions: near-duplicates found (should be all) and unrelated texts wrongly joined (should be 0).
"""

from __future__ import annotations

import argparse
import random
import time
from array import array

from _common import median, percentile, print_machine, table

from watcher.ingest.stories import Fingerprint, K, StoryIndex

SHINGLES = 400
COMMON_POOL = 800
COMMON_SHARE = 0.05


def _sketch(hashes: set[int]) -> Fingerprint:
    return Fingerprint(hashes=array("Q", sorted(hashes)[:K]), size=len(hashes))


def _text(rng: random.Random, common: list[int]) -> set[int]:
    out: set[int] = set()
    n_common = int(SHINGLES * COMMON_SHARE)
    while len(out) < n_common:
        out.add(rng.choice(common))
    while len(out) < SHINGLES:
        out.add(rng.getrandbits(64))
    return out


def _edit(rng: random.Random, text: set[int], share: float = 0.2) -> set[int]:
    kept = set(rng.sample(sorted(text), int(len(text) * (1 - share))))
    while len(kept) < len(text):
        kept.add(rng.getrandbits(64))
    return kept


def run(size: int, queries: int, seed: int) -> list[object]:
    rng = random.Random(seed)
    common = [rng.getrandbits(64) for _ in range(COMMON_POOL)]
    index = StoryIndex()
    texts: list[set[int]] = []
    started = time.perf_counter()
    for i in range(size):
        text = _text(rng, common)
        texts.append(text)
        index.add(_sketch(text), story_id=i + 1)
    fill = time.perf_counter() - started
    times: list[float] = []
    found = joined = 0
    for q in range(queries):
        if q % 2 == 0:
            target = rng.randrange(size)
            fp = _sketch(_edit(rng, texts[target]))
            t = time.perf_counter()
            got = index.find(fp)
            times.append(time.perf_counter() - t)
            found += int(got == target + 1)
        else:
            fp = _sketch(_text(rng, common))
            t = time.perf_counter()
            got = index.find(fp)
            times.append(time.perf_counter() - t)
            joined += int(got is not None)
    half = queries // 2
    return [
        f"{size:,}",
        f"{fill:.1f}",
        f"{median(times) * 1e6:.0f}",
        f"{percentile(times, 95) * 1e6:.0f}",
        f"{found}/{queries - half}",
        f"{joined}/{half}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    print_machine()
    rows = [run(int(s), args.queries, args.seed) for s in args.sizes.split(",")]
    print(
        table(
            rows,
            [
                "stored stories",
                "fill s",
                "lookup us median",
                "lookup us p95",
                "copies found",
                "unrelated joined",
            ],
        )
    )


if __name__ == "__main__":
    main()

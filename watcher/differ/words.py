"""How ordinary an English word is: its rank among the 100,000 most frequent English words.

The list (`english_words.txt.gz`, shipped beside this module) comes from the word-frequency tables
of the `wordfreq` package (Robyn Speer et al., CC-BY-SA): general language, no names we read. A
company whose name is a rare word ("fluxgrid", "Rheinwerk") is told from ordinary words by it.
`python -m watcher.differ.words` rebuilds the list (it needs `pip install wordfreq`). Pure apart
from reading the shipped file once.
"""

from __future__ import annotations

import gzip
import re
import threading
from array import array
from bisect import bisect_left
from importlib import resources

FILE = "english_words.txt.gz"
SIZE = 100_000


COMMON = 5_000  # the most frequent words (most lookups) are kept in a dict; the rest in a compact array
_LOW = (1 << 17) - 1  # low 17 bits of a packed entry: the rank (< 131,072)
_Table = tuple[dict[str, int], "array[int]"]
_TABLE: _Table | None = None
_TABLE_LOCK = threading.Lock()


def _table() -> _Table:
    """The list, read once (the poll's threads that need it first wait for one reading): the
    ``COMMON`` first words in a dict, every word as one packed 64-bit integer in a sorted array
    (its ``hash()`` with the low 17 bits replaced by its rank). About 1.5 MB where a dict of the
    100,000 words held 12 MB; a word beyond the common ones costs a binary search (~1 us)."""
    global _TABLE
    if _TABLE is None:
        with _TABLE_LOCK:
            if _TABLE is None:
                raw = resources.files("watcher.differ").joinpath(FILE).read_bytes()
                text = gzip.decompress(raw).decode("ascii")
                common: dict[str, int] = {}
                packed: list[int] = []
                for n, match in enumerate(re.finditer(r"\S+", text)):
                    word = match.group()
                    if n < COMMON:
                        common[word] = n
                    packed.append((hash(word) & ~_LOW) | n)
                packed.sort()
                clashes = {
                    e & _LOW
                    for a, b in zip(packed, packed[1:], strict=False)
                    for e in (a, b)
                    if a & ~_LOW == b & ~_LOW
                }
                if clashes:  # two listed words share 47 hash bits (rare): those are looked up exactly
                    listed = text.split()
                    common.update((listed[n], n) for n in clashes)
                _TABLE = (common, array("q", packed))
    return _TABLE


def rank(word: str) -> int | None:
    """The frequency rank of a lower-case word (0 = the most frequent), None beyond the list."""
    common, packed = _table()
    found = common.get(word)
    if found is not None:
        return found
    key = hash(word) & ~_LOW
    i = bisect_left(packed, key)
    if i < len(packed) and packed[i] & ~_LOW == key:  # an unlisted word sharing 47 bits: ~1e-9
        return packed[i] & _LOW
    return None


def is_ordinary(word: str, top: int = SIZE) -> bool:
    """Whether ``word`` (lower case) is among the ``top`` most frequent English words."""
    r = rank(word)
    return r is not None and r < top


def _rebuild() -> None:  # pragma: no cover - a maintenance command, needs wordfreq
    from pathlib import Path

    from wordfreq import top_n_list

    words = [
        w
        for w in top_n_list("en", SIZE)
        if w.isascii() and w.replace("-", "").replace("'", "").replace(".", "").isalnum()
    ]
    path = Path(__file__).with_name(FILE)
    with gzip.GzipFile(path, "wb", mtime=0) as out:
        out.write(("\n".join(words) + "\n").encode("ascii"))
    print(f"wrote {len(words)} words to {path}")


if __name__ == "__main__":  # pragma: no cover
    _rebuild()

"""How ordinary an English word is: its rank among the 100,000 most frequent English words.

The list (`english_words.txt.gz`, shipped beside this module) comes from the word-frequency tables
of the `wordfreq` package (Robyn Speer et al., CC-BY-SA): general language, no names we read. A
company whose name is a rare word ("fluxgrid", "Rheinwerk") is told from ordinary words by it.
`python -m watcher.differ.words` rebuilds the list (it needs `pip install wordfreq`). Pure apart
from reading the shipped file once.
"""

from __future__ import annotations

import gzip
import threading
from importlib import resources

FILE = "english_words.txt.gz"
SIZE = 100_000


_RANKS: dict[str, int] | None = None
_RANKS_LOCK = threading.Lock()


def _ranks() -> dict[str, int]:
    """The table, read once: the poll's threads that need it first wait for one reading (each
    building its own copy held ~11 MB apiece at the same time)."""
    global _RANKS
    if _RANKS is None:
        with _RANKS_LOCK:
            if _RANKS is None:
                raw = resources.files("watcher.differ").joinpath(FILE).read_bytes()
                _RANKS = {word: rank for rank, word in enumerate(gzip.decompress(raw).decode("ascii").split())}
    return _RANKS


def rank(word: str) -> int | None:
    """The frequency rank of a lower-case word (0 = the most frequent), None beyond the list."""
    return _ranks().get(word)


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

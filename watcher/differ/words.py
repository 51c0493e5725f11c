"""How ordinary an English word is: its rank among the 100,000 most frequent English words.

The list (`english_words.txt.gz`, shipped beside this module) comes from the word-frequency tables
of the `wordfreq` package (Robyn Speer et al., CC-BY-SA): general language, no names we read. A
company whose name is a rare word ("fluxgrid", "Rheinwerk") is told from ordinary words by it.
`python -m watcher.differ.words` rebuilds the list (it needs `pip install wordfreq`) and the packed
keys looked up (`english_words.keys`); `python -m watcher.differ.words --keys` remakes the keys
alone. Pure apart from reading the shipped keys once.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
from array import array
from bisect import bisect_left
from importlib import resources

FILE = "english_words.txt.gz"
KEYS = "english_words.keys"  # the same list as packed keys, made from FILE by _write_keys()
SIZE = 100_000


_LOW = (1 << 17) - 1  # low 17 bits of a packed entry: the rank (< 131,072)
_TABLE: array[int] | None = None
_TABLE_LOCK = threading.Lock()


def _key(word: str) -> int:
    """A word's 46-bit key (a stable hash: the same in every process, unlike ``hash()``), low 17
    bits zero for the rank."""
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "little") >> 1) & ~_LOW


def _table() -> array[int]:
    """Every listed word as one packed 64-bit integer (its key | its rank), sorted: read once from
    the shipped KEYS file (~1 ms; 0.8 MB where a dict of the 100,000 words held 12 MB). A lookup
    is a binary search (~1 us)."""
    global _TABLE
    if _TABLE is None:
        with _TABLE_LOCK:
            if _TABLE is None:
                table = array("q")
                table.frombytes(resources.files(__package__ or "watcher.differ").joinpath(KEYS).read_bytes())
                if sys.byteorder != "little":  # pragma: no cover - the file is little-endian
                    table.byteswap()
                _TABLE = table
    return _TABLE


def rank(word: str) -> int | None:
    """The frequency rank of a lower-case word (0 = the most frequent), None beyond the list."""
    packed = _table()
    key = _key(word)
    i = bisect_left(packed, key)
    if i < len(packed) and packed[i] & ~_LOW == key:  # an unlisted word sharing 46 bits: ~1e-9
        return packed[i] & _LOW
    return None


def is_ordinary(word: str, top: int = SIZE) -> bool:
    """Whether ``word`` (lower case) is among the ``top`` most frequent English words."""
    r = rank(word)
    return r is not None and r < top


def _write_keys() -> None:  # pragma: no cover - a maintenance command
    """KEYS from FILE: each word's key with its rank in the low bits, sorted. Refuses two words
    sharing a key (none among the 100,000: the odds are ~1e-4)."""
    from pathlib import Path

    here = Path(__file__).parent
    listed = gzip.decompress((here / FILE).read_bytes()).decode("ascii").split()
    packed = sorted(_key(word) | n for n, word in enumerate(listed))
    shared = [a for a, b in zip(packed, packed[1:], strict=False) if a & ~_LOW == b & ~_LOW]
    if shared:
        raise SystemExit(f"{len(shared)} pairs of listed words share a key: choose another digest")
    table = array("q", packed)
    if sys.byteorder != "little":
        table.byteswap()
    (here / KEYS).write_bytes(table.tobytes())
    print(f"wrote the keys of {len(listed)} words to {here / KEYS}")


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
    _write_keys()


if __name__ == "__main__":  # pragma: no cover
    _write_keys() if sys.argv[1:] == ["--keys"] else _rebuild()

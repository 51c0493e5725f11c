"""The compact word table (issue 14: 0.8 MB of packed keys where a dict of the 100,000 words held
12 MB, read in a millisecond from the shipped keys file) gives every listed word of the shipped list
its exact rank and no rank to a word not listed: the keys file and the list agree."""

from __future__ import annotations

import gzip
import random
import string
from importlib import resources

from watcher.differ import words


def test_every_listed_word_has_its_rank_and_others_none() -> None:
    raw = resources.files("watcher.differ").joinpath(words.FILE).read_bytes()
    listed = gzip.decompress(raw).decode("ascii").split()
    assert [words.rank(w) for w in listed] == list(range(len(listed)))
    rng = random.Random(7)
    made_up = {"".join(rng.choice(string.ascii_lowercase) for _ in range(11)) for _ in range(20_000)}
    assert [w for w in made_up - set(listed) if words.rank(w) is not None] == []
    assert words.is_ordinary("company") and not words.is_ordinary("fluxgridz")
    assert words.is_ordinary(listed[29_999], 30_000) and not words.is_ordinary(listed[30_000], 30_000)

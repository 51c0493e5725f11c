"""Story clustering in the poll without a lock around the write (issue 14): a copy that arrives while
its story is being written waits for that write and joins its story; an unrelated article does not
wait at all."""

from __future__ import annotations

import threading

from tests.test_stories import ORIGINAL, SAME_TOPIC, SYNDICATED
from watcher.app.pipeline import StoryClusterer
from watcher.ingest.stories import fingerprint


def test_a_copy_waits_for_the_story_being_written_and_joins_it() -> None:
    clusterer = StoryClusterer([])
    hint, claim = clusterer.claim(fingerprint(ORIGINAL), "https://a.example/1")
    assert hint is None and claim is not None  # a new story: this thread writes it
    got: list[int | None] = []
    copy = threading.Thread(
        target=lambda: got.append(clusterer.claim(fingerprint(SYNDICATED), "https://b.example/2")[0])
    )
    copy.start()
    copy.join(0.2)
    assert copy.is_alive()  # waiting for the write, not starting a second story
    other_hint, other_claim = clusterer.claim(fingerprint(SAME_TOPIC), "https://c.example/3")
    assert other_hint is None and other_claim is not None  # an unrelated article goes ahead meanwhile
    clusterer.settle(claim, 7)
    copy.join(5)
    assert got == [7]
    assert clusterer.find(fingerprint(SYNDICATED), "https://d.example/4") == 7  # and later copies too


def test_a_failed_write_leaves_its_copies_to_the_store() -> None:
    clusterer = StoryClusterer([])
    _, claim = clusterer.claim(fingerprint(ORIGINAL), "https://a.example/1")
    assert claim is not None
    clusterer.settle(claim, None)
    assert clusterer.claim(fingerprint(SYNDICATED), "https://b.example/2") == (None, None)


def test_seeded_stories_are_found_without_a_claim() -> None:
    from watcher.ingest.stories import Fingerprint

    fp = fingerprint(ORIGINAL)
    clusterer = StoryClusterer([(41, fp.to_bytes(), "https://a.example/1")])
    assert Fingerprint.from_bytes(fp.to_bytes()) == fp
    assert clusterer.claim(fingerprint(SYNDICATED), "https://b.example/2") == (41, None)

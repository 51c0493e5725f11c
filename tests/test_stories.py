"""watcher.ingest.stories: canonical URLs (tables + Hypothesis) and near-duplicate detection on our own copies."""

from __future__ import annotations

import random
from array import array
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.ingest import stories as stories_module
from watcher.ingest.stories import (
    Fingerprint,
    StoryIndex,
    band_keys,
    canonical_url,
    containment,
    content_hash,
    fingerprint,
    jaccard,
    similar,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/a/B?utm_source=x&id=2#frag", "https://news.example.com/a/B?id=2"),
        ("http://example.com:80", "http://example.com/"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://user:pw@example.com/x", "https://example.com/x"),
        ("https://example.com/x?b=2&a=1&fbclid=abc&gclid=1&UTM_Campaign=z", "https://example.com/x?a=1&b=2"),
        ("https://example.com./x?ocid=msn&mc_cid=1&ref_src=twsrc", "https://example.com/x"),
        ("https://example.com/x?q=", "https://example.com/x?q="),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("not a url", "not a url"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


_query = st.lists(
    st.tuples(st.sampled_from(["id", "utm_source", "page", "fbclid", "q", "A"]), st.text(max_size=5)),
    max_size=5,
)


@given(
    scheme=st.sampled_from(["http", "HTTPS", "https"]),
    host=st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}\.(com|org|co\.uk)", fullmatch=True),
    path=st.from_regex(r"(/[A-Za-z0-9._~-]{0,8}){0,3}", fullmatch=True),
    query=_query,
    fragment=st.text(alphabet="abc", max_size=3),
)
def test_canonical_url_is_idempotent_and_drops_tracking(
    scheme: str, host: str, path: str, query: list[tuple[str, str]], fragment: str
) -> None:
    from urllib.parse import urlencode

    url = (
        f"{scheme}://{host}{path}"
        + (f"?{urlencode(query)}" if query else "")
        + (f"#{fragment}" if fragment else "")
    )
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "utm_source" not in once and "fbclid" not in once and "#" not in once
    assert once.startswith(scheme.lower() + "://" + host.lower())


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("Microsoft  and\nOpenAI") == content_hash("microsoft and openai")
    assert content_hash("Microsoft and OpenAI") != content_hash("Microsoft and Oracle")


# --------------------------------------------------------------------------- near duplicates

ORIGINAL = """Microsoft and OpenAI said on Tuesday they had signed a new agreement that extends their
partnership through 2032, giving the software maker a stake of roughly 27 percent in the restructured
ChatGPT developer. Under the terms, OpenAI committed to purchase an additional 250 billion dollars of Azure
cloud services, while Microsoft will no longer have a right of first refusal to be OpenAI's compute
provider. The companies said an independent expert panel would verify any declaration that artificial
general intelligence has been achieved. Microsoft's intellectual property rights to OpenAI models and
products were extended through 2032 and now include models released after the milestone, with
appropriate safety guardrails. OpenAI can now jointly develop some products with third parties, and API
products developed with third parties will be exclusive to Azure. Shares of Microsoft rose about two
percent in early trading after the announcement, valuing the company at more than four trillion dollars.
Analysts said the deal removed a major source of uncertainty that had hung over both companies for
months, as OpenAI sought to convert its for-profit arm into a public benefit corporation."""

SYNDICATED = (
    "By Staff Writers, Reuters\n"
    + ORIGINAL.replace("said on Tuesday", "announced on Tuesday")
    .replace("rose about two percent", "gained roughly 2%")
    .replace("Analysts said", "Market analysts said")
    + "\nReporting by Jane Doe in San Francisco; Editing by John Smith"
)

TRUNCATED = " ".join(ORIGINAL.split()[:110])  # a site that only carries the first paragraphs

SAME_TOPIC = """OpenAI has agreed to buy 38 billion dollars of computing capacity from Amazon Web Services
over seven years, the companies said on Monday, the first deal between the ChatGPT maker and the largest
cloud provider since OpenAI loosened its ties with Microsoft. Under the agreement OpenAI will get access
to hundreds of thousands of Nvidia graphics processors in AWS data centers in the United States, with
all capacity targeted to be deployed before the end of 2026. Amazon shares rose about five percent on the
news. The deal follows OpenAI's restructuring, which freed it from needing Microsoft's approval to buy
cloud services from other providers, and adds to more than a trillion dollars of compute commitments the
startup has made this year with Oracle, CoreWeave, Broadcom, AMD and Nvidia."""

FOLLOW_UP = """Microsoft reported quarterly results on Wednesday that showed a 3.1 billion dollar hit to net
income from its investment in OpenAI, the first time the company has quantified losses tied to the ChatGPT
maker. Azure revenue grew 40 percent, ahead of estimates, as demand for AI services continued to outstrip
capacity. Chief executive Satya Nadella said the company would double its total data center footprint over
the next two years. Capital expenditure rose to almost 35 billion dollars in the quarter, and the finance
chief said spending would grow faster in the coming fiscal year than previously planned."""


def test_syndicated_copy_is_the_same_story() -> None:
    a, b = fingerprint(ORIGINAL), fingerprint(SYNDICATED)
    assert jaccard(a, b) >= 0.5
    assert similar(a, b)


def test_truncated_copy_is_the_same_story_by_containment() -> None:
    a, b = fingerprint(ORIGINAL), fingerprint(TRUNCATED)
    assert containment(a, b) >= 0.8
    assert similar(a, b)


@pytest.mark.parametrize("other", [SAME_TOPIC, FOLLOW_UP])
def test_different_stories_on_the_same_topic_differ(other: str) -> None:
    a, b = fingerprint(ORIGINAL), fingerprint(other)
    assert jaccard(a, b) < 0.1
    assert not similar(a, b)


def test_short_texts_only_match_exactly() -> None:
    assert similar(fingerprint("OpenAI deal"), fingerprint("openai  DEAL"))
    assert not similar(fingerprint("OpenAI deal signed"), fingerprint("OpenAI deal denied"))


def test_fingerprint_round_trips_through_bytes() -> None:
    fp = fingerprint(ORIGINAL)
    assert Fingerprint.from_bytes(fp.to_bytes()) == fp
    assert len(fp.hashes) == 128 and list(fp.hashes) == sorted(fp.hashes)


def test_story_index_groups_copies_and_separates_stories() -> None:
    index = StoryIndex()
    first = index.add(fingerprint(ORIGINAL), "https://reuters.example/tech/deal?utm_source=rss")
    assert index.add(fingerprint(SYNDICATED), "https://paper.example/a") == first
    assert index.add(fingerprint(TRUNCATED), "https://blog.example/b") == first
    other = index.add(fingerprint(SAME_TOPIC), "https://aws.example/c")
    assert other != first
    assert index.add(fingerprint(FOLLOW_UP), "https://msft.example/d") not in (first, other)
    # the same URL (after canonicalisation) is the same story whatever its text now says
    assert index.find(fingerprint("an updated page text"), "https://reuters.example/tech/deal") == first


def test_story_index_can_be_seeded_with_known_ids() -> None:
    index = StoryIndex()
    assert index.add(fingerprint(ORIGINAL), story_id=41) == 41
    assert index.add(fingerprint(SYNDICATED)) == 41
    assert index.add(fingerprint(SAME_TOPIC)) == 42


def _synthetic(rng: random.Random, common: list[int], n: int = 400) -> set[int]:
    out = {rng.choice(common) for _ in range(n // 10)}
    while len(out) < n:
        out.add(rng.getrandbits(64))
    return out


def _sketch(hashes: set[int]) -> Fingerprint:
    return Fingerprint(hashes=array("Q", sorted(hashes)[:128]), size=len(hashes))


@pytest.mark.parametrize("stored", [1_000, 20_000])
def test_story_lookup_compares_a_bounded_number_of_stories(
    stored: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: a lookup compares at most MAX_CANDIDATES stories however many are stored, even when
    every text shares common phrases (here 10% of each text from a pool of 50 shingles)."""
    rng = random.Random(stored)
    common = [rng.getrandbits(64) for _ in range(50)]
    index = StoryIndex()
    texts = [_synthetic(rng, common) for _ in range(stored)]
    for i, text in enumerate(texts):
        index.add(_sketch(text), story_id=i + 1)
    calls: list[int] = []
    real = stories_module.similar

    def counted(a: Fingerprint, b: Fingerprint, a_hashes: set[int] | None = None) -> bool:
        calls.append(1)
        return real(a, b, a_hashes)

    monkeypatch.setattr(stories_module, "similar", counted)
    most = 0
    for _ in range(20):
        calls.clear()
        assert index.find(_sketch(_synthetic(rng, common))) is None
        most = max(most, len(calls))
    assert most <= stories_module.MAX_CANDIDATES * stories_module.MAX_PRINTS_PER_STORY
    copy = set(rng.sample(sorted(texts[7]), 320)) | {rng.getrandbits(64) for _ in range(80)}
    assert index.find(_sketch(copy)) == 8


def test_story_index_window_skips_stories_not_seen_recently() -> None:
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    index = StoryIndex(window=timedelta(days=21))
    first = index.add(fingerprint(ORIGINAL), at=t0)
    assert index.find(fingerprint(SYNDICATED), now=t0 + timedelta(days=20)) == first
    assert index.find(fingerprint(SYNDICATED), now=t0 + timedelta(days=22)) is None
    index.add(fingerprint(TRUNCATED), story_id=first, at=t0 + timedelta(days=21))  # seen again
    assert index.find(fingerprint(SYNDICATED), now=t0 + timedelta(days=30)) == first


def test_band_keys_agree_for_copies_and_not_for_other_stories() -> None:
    a, b, c = (set(band_keys(fingerprint(t))) for t in (ORIGINAL, SYNDICATED, SAME_TOPIC))
    assert len(a & b) >= 8
    assert len(a & c) <= 1
    assert band_keys(fingerprint("OpenAI deal")) == band_keys(fingerprint("openai  DEAL"))


@settings(max_examples=400, deadline=None)
@given(
    st.sets(st.integers(0, 2**64 - 1), min_size=1, max_size=400),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.integers(20, 2000),
    st.integers(20, 2000),
)
def test_similar_says_what_the_jaccard_and_containment_estimates_say(
    pool: set[int], share_a: float, share_b: float, size_a: int, size_b: int
) -> None:
    """The bound that rejects far-apart pairs early never changes the answer."""
    ordered = sorted(pool)
    a = Fingerprint(array("Q", ordered[: max(1, int(len(ordered) * share_a))][:128]), size_a)
    b = Fingerprint(array("Q", sorted(ordered[int(len(ordered) * (1 - share_b)) :])[:128]), size_b)
    j = jaccard(a, b)
    expected = j >= 0.5 or containment(a, b) >= 0.8
    assert similar(a, b) is expected
    assert similar(a, b, set(a.hashes)) is expected

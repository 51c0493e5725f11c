"""split_telegram_html: parts fit Telegram's limit, stay valid HTML and lose no text.

The oracle is the Bot API imitation's own parser (tests/botapi.py), written separately
from the splitter, so a bug in one is not hidden by the same bug in the other.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.botapi import parse_telegram_html, utf16_len
from watcher.notify.split import split_plain_text, split_telegram_html, visible_len, visible_text


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check(markup: str, parts: list[str], limit: int) -> None:
    shown = []
    for part in parts:
        text = parse_telegram_html(part)  # raises on unbalanced or unsupported tags
        assert utf16_len(text) <= limit, part
        assert text.strip() or not parse_telegram_html(markup).strip(), "an empty part"
        shown.append(text)
    assert _squash("".join(shown)) == _squash(parse_telegram_html(markup))


_chars = st.sampled_from(list("abcdefghij klm.!?,;:\n\n\"'&<>é") + ["😀", "👍🏽", "\U0001f600"])
_text = st.lists(_chars, min_size=1, max_size=40).map(lambda cs: html.escape("".join(cs), quote=False))
_tags = st.sampled_from(["b", "i", "u", "s", "code", "blockquote", "a"])


def _wrap(tag: str, inner: str) -> str:
    if tag == "a":
        return f'<a href="https://example.com/?a=1&amp;b=&quot;2&quot;">{inner}</a>'
    return f"<{tag}>{inner}</{tag}>"


_markup = st.recursive(
    _text,
    lambda inner: st.one_of(
        st.tuples(_tags, inner).map(lambda t: _wrap(*t)),
        st.lists(inner, min_size=1, max_size=5).map("".join),
        st.lists(inner, min_size=2, max_size=4).map("\n\n".join),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(markup=_markup, limit=st.integers(min_value=2, max_value=120))
def test_parts_fit_balance_and_keep_the_text(markup: str, limit: int) -> None:
    _check(markup, split_telegram_html(markup, limit), limit)


@settings(max_examples=50, deadline=None)
@given(blocks=st.lists(_markup, min_size=20, max_size=60))
def test_real_limit_with_long_messages(blocks: list[str]) -> None:
    markup = "\n\n".join(blocks) * 8
    _check(markup, split_telegram_html(markup), 4096)


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=1, max_size=300).filter(str.strip), limit=st.integers(min_value=2, max_value=50))
def test_plain_text_split_keeps_the_text(text: str, limit: int) -> None:
    parts = split_plain_text(text, limit)
    assert all(utf16_len(p) <= limit and p.strip() for p in parts)
    assert _squash("".join(parts)) == _squash(text)


def test_short_message_is_returned_unchanged() -> None:
    markup = "<b>Microsoft &amp; OpenAI</b>\n\nsome text"
    assert split_telegram_html(markup) == [markup]


def test_length_counts_visible_utf16_units() -> None:
    assert visible_len("<b>a&amp;b</b>") == 3  # tags free, &amp; is one character
    assert visible_len("😀") == 2  # outside the BMP: a surrogate pair
    assert visible_text('<a href="x">&lt;script&gt;</a>') == "<script>"
    assert split_telegram_html("😀" * 3, 6) == ["😀" * 3]
    assert split_telegram_html("😀" * 3, 5) == ["😀😀", "😀"]


def test_prefers_paragraph_then_line_then_sentence_boundaries() -> None:
    para = "<b>First finding.</b> More words here.\n\n<i>Second finding</i> text."
    assert split_telegram_html(para, 45) == [
        "<b>First finding.</b> More words here.",
        "<i>Second finding</i> text.",
    ]
    lines = "line one is here\nline two is here\nline three"
    assert split_telegram_html(lines, 36) == ["line one is here\nline two is here", "line three"]
    sentences = "One sentence here. Another one follows, and then more words"
    assert split_telegram_html(sentences, 40)[0] == "One sentence here."


def test_tags_open_at_a_cut_are_closed_and_reopened() -> None:
    markup = "<blockquote><b>alpha beta gamma delta</b></blockquote>"
    parts = split_telegram_html(markup, 12)
    assert parts == [
        "<blockquote><b>alpha beta</b></blockquote>",
        "<blockquote><b>gamma delta</b></blockquote>",
    ]


def test_never_cuts_inside_a_tag_or_an_entity() -> None:
    markup = 'x <a href="https://example.com/a?b=1&amp;c=2">link</a> &amp;&amp;&amp;&amp; y'
    for limit in range(2, 20):
        for part in split_telegram_html(markup, limit):
            parse_telegram_html(part)
            assert not re.search(r"&[a-z]*$|<[^>]*$", part)


def test_keeps_a_link_whole_when_a_space_outside_it_fits() -> None:
    url = "https://news.example.com/2026/11/02/a-long-story-about-compute"
    markup = f'Read this story now: <a href="{url}">{url}</a>'
    assert split_telegram_html(markup, len(url) + 5) == ["Read this story now:", f'<a href="{url}">{url}</a>']


def test_limit_below_two_is_refused() -> None:
    with pytest.raises(ValueError):
        split_telegram_html("abc", 1)

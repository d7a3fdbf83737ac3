"""The noise patterns behind a first-character lookahead find exactly what their bodies find."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnoser.intake import noise

CASES = [
    ("polite zh", noise._POLITE_ZH, noise._POLITE_ZH_BODY, 0),
    ("polite en", noise._POLITE_EN, noise._POLITE_EN_BODY, re.IGNORECASE),
    ("numbers", noise._NUMBERS, noise._NUMBERS_BODY, re.IGNORECASE),
    ("quotes", noise._QUOTES, noise._QUOTES_BODY, 0),
]


def _texts(body: str, flags: int) -> st.SearchStrategy[str]:
    # matches of the body (every alternative in turn), in random surroundings and cut short
    match = st.from_regex(re.compile(body, flags), fullmatch=True)
    piece = st.one_of(match, match.map(lambda s: s[:-1]), st.text(max_size=4), st.just(" "))
    return st.lists(piece, min_size=1, max_size=8).map("".join)


@pytest.mark.parametrize(("name", "fast", "body", "flags"), CASES, ids=[c[0] for c in CASES])
def test_lookahead_patterns_match_like_their_bodies(name, fast, body, flags):
    plain = re.compile(body, flags)

    @settings(max_examples=400, deadline=None)
    @given(_texts(body, flags))
    def agree(text: str) -> None:
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]

    agree()


CUES = [  # name, pattern, its cue, and what texts are made of: the pattern's body
    ("markup", noise._MARKUP, noise._PATTERNS[0][1], noise._MARKUP.pattern, 0),
    ("urls", noise._URL, noise._PATTERNS[1][1], noise._URL.pattern, 0),
    ("numbers", noise._NUMBERS, noise._PATTERNS[2][1], noise._NUMBERS_BODY, re.IGNORECASE),
    ("polite zh", noise._POLITE_ZH, noise._PATTERNS[3][1], noise._POLITE_ZH_BODY, 0),
    ("polite en", noise._POLITE_EN, noise._PATTERNS[4][1], noise._POLITE_EN_BODY, re.IGNORECASE),
    ("quotes", noise._QUOTES, noise._QUOTE_CUE, noise._QUOTES_BODY, 0),
]


@pytest.mark.parametrize(
    ("name", "pattern", "cue", "body", "flags"), CUES, ids=[c[0] for c in CUES]
)
def test_a_cue_finds_something_wherever_its_pattern_matches(name, pattern, cue, body, flags):
    """A pattern is only scanned when its cue finds something: on texts made of the pattern's
    own matches (every alternative), cut short and in random surroundings, each stretch the
    pattern matches holds a cue match, so no text that the pattern would clean is left as it
    is."""
    assert pattern in [p for p, _ in noise._PATTERNS] + [noise._QUOTES]

    @settings(max_examples=400, deadline=None)
    @given(_texts(body, flags))
    def covered(text: str) -> None:
        for m in pattern.finditer(text):
            # the cue sees the whole text (line starts, the character before), as noise_spans
            # runs it, and must find something from the match's start on, inside the match
            found = cue.search(text, m.start())
            assert found is not None and found.start() < max(m.end(), m.start() + 1), (text, m)

    covered()


def test_numbers_without_their_unit_alternative_match_alike_where_no_unit_is():
    """A text with no unit of an amount (元, rupees, …) is scanned by the numbers pattern less
    its amount-with-unit alternative: on texts made of the full body's matches, every match of
    that alternative holds a unit the cue finds, and where the cue finds none the two patterns
    find the same stretches."""
    amount = re.compile(noise._AMOUNT_WITH_UNIT[1:], re.IGNORECASE)
    seen = {"without": 0, "with": 0}

    @settings(max_examples=600, deadline=None)
    @given(_texts(noise._NUMBERS_BODY, re.IGNORECASE))
    def agree(text: str) -> None:
        for m in amount.finditer(text):
            assert noise._UNIT_CUE.search(m.group()), m.group()
        if noise._UNIT_CUE.search(text):
            seen["with"] += 1
            return
        seen["without"] += 1
        lean = [m.span() for m in noise._NUMBERS_LEAN.finditer(text)]
        assert lean == [m.span() for m in noise._NUMBERS.finditer(text)]

    agree()
    assert seen["without"] > 50 and seen["with"] > 50  # both kinds of text were made

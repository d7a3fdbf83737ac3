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

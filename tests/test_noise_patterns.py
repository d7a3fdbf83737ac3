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
    ("quotes", noise._QUOTES, (noise._QUOTE_CUE,), noise._QUOTES_BODY, 0),
]


def _earliest(cues: tuple[re.Pattern[str], ...], text: str, pos: int) -> re.Match[str] | None:
    """The earliest match of any of a pattern's cues from `pos` on."""
    found = [m for m in (cue.search(text, pos) for cue in cues) if m is not None]
    return min(found, key=lambda m: m.start()) if found else None


@pytest.mark.parametrize(
    ("name", "pattern", "cues", "body", "flags"), CUES, ids=[c[0] for c in CUES]
)
def test_a_cue_finds_something_wherever_its_pattern_matches(name, pattern, cues, body, flags):
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
            found = _earliest(cues, text, m.start())
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


def test_the_unit_cue_letters_fold_only_as_listed():
    """re.IGNORECASE takes a few characters outside ASCII for a letter of a latin unit (rmb,
    rupees, …) that str.lower() does not lower to it: `_has_unit` looks for exactly those, so
    the list must be all of them."""
    letters = sorted({c for c in noise._UNIT_CUE.pattern if c.isascii() and c.isalpha()})
    every = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    folding = {m.group() for m in re.finditer(f"(?i:[{''.join(letters)}])", every)}
    lowered = {c for c in folding if any(ch in letters for ch in c.lower()) and len(c.lower()) == 1}
    assert folding - lowered == set(noise._ODD_FOLDS)


_UNITISH = st.text(
    alphabet=st.sampled_from([*"元块钱万rRmMbBuUsSdDeEiInNpPoO İıſ1,.", "K", "中"]),
    max_size=24,
)


@settings(max_examples=800, deadline=None)
@given(st.one_of(_UNITISH, st.text(max_size=24)), st.integers(min_value=0, max_value=30))
def test_the_unit_test_answers_as_the_unit_cue(text, end):
    """`_has_unit`, asked of the lower-cased text, says what the case-blind `_UNIT_CUE` says."""
    end = min(end, len(text))
    assert noise._has_unit(text, end) == bool(noise._UNIT_CUE.search(text, 0, end))


@settings(max_examples=400, deadline=None)
@given(_texts(noise._MARKUP.pattern, 0))
def test_the_markup_cues_find_what_they_found_as_one_regex(text):
    """The markup cue is asked as two regexes (its line-start alternatives apart): whether
    either finds something is whether the one regex of both did."""
    joined = re.compile("|".join(f"(?:{c.pattern})" for c in noise._PATTERNS[0][1]), re.M)
    for pos in range(len(text) + 1):
        one = joined.search(text, pos)
        two = _earliest(noise._PATTERNS[0][1], text, pos)
        assert (one and one.span()) == (two and two.span())


# --- the case-blind patterns, asked of the lower-cased text -------------------------------------

_EVERY = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
_CHANGED = [c for c in _EVERY if c.lower() != c]  # what lowering changes


def test_case_blind_letters_are_the_lowered_letters_but_the_odd_folds():
    """What re.IGNORECASE takes for an ASCII letter is what str.lower() lowers to it, over every
    code point, but for `_ODD_FOLDS` (which `_lowered_alike` sends to the case-blind patterns)
    and characters lowered to more than one (which change the text's length)."""
    for letter in "abcdefghijklmnopqrstuvwxyz":
        blind = {m.group() for m in re.finditer(f"(?i:{letter})", _EVERY)}
        lowered = {letter} | {c for c in _CHANGED if c.lower() == letter}
        odd = {c for c in blind ^ lowered if len(c.lower()) == 1}
        assert odd <= set(noise._ODD_FOLDS), (letter, odd)


@pytest.mark.parametrize("cls", [r"\d", r"\s", r"\w", r"[^\W\d_]"])
def test_lowering_a_character_keeps_its_class(cls):
    """Digits, spaces and word characters stay what they are when lowered (what \\b, \\d and \\s
    of the lowered patterns see)."""
    pattern = re.compile(cls)
    changed = [c for c in _CHANGED if len(c.lower()) == 1]
    assert len(changed) > 1000
    assert [c for c in changed if bool(pattern.match(c)) != bool(pattern.match(c.lower()))] == []


def test_only_caseless_sources_are_lowered():
    assert noise._caseless(r"ticket\s*\d", r"[订单]\D", "(?m:^h[1-6]\\.)")
    assert not noise._caseless(r"Ticket\s*\d")
    assert not noise._caseless("straße|σ")
    assert {id(p) for p in (noise._NUMBERS, noise._NUMBERS_LEAN, noise._POLITE_EN)} == set(
        noise._LOWERED
    )


_CASED = [
    ("numbers", noise._NUMBERS, noise._NUMBERS_BODY),
    ("numbers lean", noise._NUMBERS_LEAN, noise._NUMBERS_LEAN_BODY),
    ("polite en", noise._POLITE_EN, noise._POLITE_EN_BODY),
]


def _recased(text: str, flips: list[bool]) -> str:
    """`text` with some characters upper-cased, and now and then an odd fold or a Kelvin sign."""
    out = []
    for i, c in enumerate(text):
        flip = flips[i % len(flips)] if flips else False
        out.append(c.upper() if flip else c)
    return "".join(out)


@pytest.mark.parametrize(("name", "fast", "body"), _CASED, ids=[c[0] for c in _CASED])
def test_the_lowered_patterns_find_what_the_case_blind_ones_find(name, fast, body):
    lowered = noise._LOWERED[id(fast)]
    odd = st.sampled_from([*noise._ODD_FOLDS, "K", "ß", "Σ", "ǅ", "Ⅰ", "Ⓐ"])
    pieces = st.lists(
        st.one_of(_texts(body, re.IGNORECASE), odd, st.text(max_size=3)), min_size=1, max_size=4
    ).map("".join)
    seen = {"alike": 0}

    @settings(max_examples=300, deadline=None)
    @given(pieces, st.lists(st.booleans(), max_size=5))
    def agree(text: str, flips: list[bool]) -> None:
        text = _recased(text, flips)
        lower = text.lower()
        if not noise._lowered_alike(text, lower):
            return
        seen["alike"] += 1
        assert [m.span() for m in lowered.finditer(lower)] == [
            m.span() for m in fast.finditer(text)
        ], text

    agree()
    assert seen["alike"] > 100


_BY_CLASS = [
    ("polite zh", noise._POLITE_ZH, noise._POLITE_ZH_BODY, 0),
    ("polite en", noise._LOWERED[id(noise._POLITE_EN)], noise._POLITE_EN_BODY, 0),
]


@pytest.mark.parametrize(
    ("name", "fast", "body", "flags"), _BY_CLASS, ids=[c[0] for c in _BY_CLASS]
)
def test_the_class_led_patterns_find_what_the_lookahead_led_ones_find(name, fast, body, flags):
    """A pattern found by its first character's class (noise._BY_CLASS) gives the spans its
    lookahead-led form gives, in the whole text and in a text cut short (noise_spans scans
    up to where a quoted reply starts)."""
    led = noise._BY_CLASS[id(fast)]

    @settings(max_examples=400, deadline=None)
    @given(_texts(body, flags), st.integers(min_value=0, max_value=40))
    def agree(text: str, cut: int) -> None:
        for end in (len(text), min(cut, len(text))):
            assert noise._class_spans(led, text, end) == [
                m.span() for m in fast.finditer(text, 0, end)
            ], (text, end)

    agree()


def test_noise_spans_read_the_class_led_patterns():
    assert set(noise._BY_CLASS) == {id(noise._POLITE_ZH), id(noise._LOWERED[id(noise._POLITE_EN)])}
    spans = noise.noise_spans("您好，打印机卡纸了 Hi team, the printer jams. Thanks!")
    assert [(s, e) for s, e, _ in spans] == [(0, 2), (10, 17), (37, 43)]


def test_the_line_start_cue_is_asked_at_line_starts_as_a_search_asks_it():
    cue = noise._PATTERNS[0][1][1]
    assert cue.pattern.startswith("^") and cue.flags & re.MULTILINE

    @settings(max_examples=400, deadline=None)
    @given(
        st.lists(st.sampled_from(["\n", " ", "\t", "# ", "- ", "h1. ", "12. ", "a", "*", "#"])).map(
            "".join
        ),
        st.integers(min_value=0, max_value=30),
    )
    def agree(text: str, cut: int) -> None:
        for end in (len(text), min(cut, len(text))):
            assert noise._at_a_line_start(cue, text, end) == (cue.search(text, 0, end) is not None)

    agree()

"""The CJK character class: the one definition every stage uses to ask "is this Chinese?"; and
the source of the clause and sentence splits, written so the regex engine skips to their marks."""

from __future__ import annotations

import re

# CJK Unified Ideographs with Extension A, and the compatibility ideographs
CJK_CLASS = r"[\u3400-\u9fff\uf900-\ufaff]"


class _CjkPattern:
    """CJK_CLASS compiled on first use, with an ASCII text answered without it.

    Compiling a class of some 28,000 characters costs a short process milliseconds (re builds
    its bitmap in Python), and most texts a code-only ticket or an English report passes
    through are ASCII, which has no CJK character.
    """

    _compiled: re.Pattern[str] | None = None

    def _pattern(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(CJK_CLASS)
        return self._compiled

    def search(self, text: str) -> re.Match[str] | None:
        """The first CJK character of `text`, if any."""
        return None if text.isascii() else self._pattern().search(text)

    def findall(self, text: str) -> list[str]:
        """Every CJK character of `text`."""
        return [] if text.isascii() else self._pattern().findall(text)


CJK = _CjkPattern()


def marks_or_dot(marks: str, dot_before: str, *, run: bool = True) -> str:
    """The source of `[marks]+|\\.(?=dot_before)` (a run of the marks, or a full stop before
    what `dot_before` matches; one mark without `run`), written to open with one class.

    The regex engine skips through a text in C to the characters of a pattern's opening class
    or literal; a pattern opening with an alternation of a repeat and a literal has neither,
    and a match is tried at every position (twice the time of a clause split). The class
    takes the full stop in, and a look behind at the character just taken sends it to its
    alternative: the same matches (tests/test_intake.py checks them against `plain_marks_or_dot`).
    """
    more = f"[{marks}]*" if run else ""
    return f"[{marks}.](?:(?<=\\.)(?={dot_before})|(?<!\\.){more})"


def plain_marks_or_dot(marks: str, dot_before: str, *, run: bool = True) -> str:
    """What `marks_or_dot` stands for, as written plainly."""
    return f"[{marks}]{'+' if run else ''}|\\.(?={dot_before})"

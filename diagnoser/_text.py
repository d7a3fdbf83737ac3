"""The CJK character class: the one definition every stage uses to ask "is this Chinese?"."""

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

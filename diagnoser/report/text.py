"""Text helpers for reports: display width, wrapping, terminal colour, unsafe characters."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from jinja2 import (
    pass_context,
)
from jinja2.runtime import Context
from markupsafe import Markup

# --- text helpers: width, wrapping, colour, unsafe characters ---------------------------------


# one CJK character, or a run of other non-space characters with its trailing spaces; compiled
# on first use (its wide classes cost a short process milliseconds), and an ASCII text, where
# neither class can match, is split by the plain equivalent
_TOKENS = r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+\s*|\s+"
_ASCII_TOKENS = re.compile(r"\S+\s*|\s+")


@functools.cache
def _wide_tokens() -> re.Pattern[str]:
    return re.compile(_TOKENS)


def _tokens(text: str) -> list[str]:
    return (_ASCII_TOKENS if text.isascii() else _wide_tokens()).findall(text)


_NO_LINE_START = "，。、；：！？）」』》,.;:!?)"


def display_width(text: str) -> int:
    """Terminal columns taken by `text` (CJK characters take two)."""
    if text.isascii():  # no ASCII character is wide: the common case, without a lookup per char
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int = 80, indent: int = 0, first: int | None = None) -> str:
    """Wrap to `width` columns, CJK-aware: English breaks at spaces, Chinese anywhere.

    `first` is the width already used on the first line (defaults to `indent`); continuation
    lines are indented by `indent` spaces. Closing punctuation never starts a line: the token
    before it moves down with it.
    """
    used = indent if first is None else first
    lines: list[str] = []
    line: list[str] = []
    for token in _tokens(text):
        if line and used + display_width("".join(line) + token.rstrip()) > width:
            carry: list[str] = []
            if token[0] in _NO_LINE_START and len(line) > 1:
                carry = [line.pop()]
            lines.append("".join(line).rstrip())
            line, used = [t.lstrip() for t in carry], indent
            token = token.lstrip() if not line else token
        line.append(token)
    lines.append("".join(line).rstrip())
    return ("\n" + " " * indent).join(lines)


# control characters (a terminal would obey them) and bidirectional overrides (they reorder
# what the reader sees); newlines stay
_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: Any) -> Any:
    """Replace characters that could drive a terminal or reorder text with '�' (tab: a space)."""
    if isinstance(value, Styled | Markup) or not isinstance(value, str):
        return value
    return _UNSAFE.sub(lambda m: " " if m.group() == "\t" else "\ufffd", value)


class Styled(str):
    """Text that already carries our own ANSI styling; `clean` leaves it alone."""

    __slots__ = ()


_ANSI = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "underline": "4",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "grey": "90",
    "bg_red": "41",
    "bg_yellow": "43",
    "bg_blue": "44",
    "white": "97",
}
PRIORITY_STYLES = {1: ("bold", "white", "bg_red"), 2: ("bold", "red"), 3: ("bold", "yellow")}


@pass_context
def _style(context: Context, text: Any, *styles: str) -> str:
    """ANSI-style `text` when the report is for a colour terminal; else return it as is."""
    shown: str = clean(str(text))
    if not context.get("color") or not styles:
        return shown
    codes = ";".join(_ANSI[s] for s in styles if s in _ANSI)
    return Styled(f"\x1b[{codes}m{shown}\x1b[0m") if codes else shown


@pass_context
def _heading(context: Context, text: Any) -> str:
    """A section heading underlined to its width: bold cyan on a colour terminal."""
    text = clean(str(text))
    rule = "─" * display_width(text)
    if not context.get("color"):
        return f"{text}\n{rule}"
    return Styled(f"\x1b[1;36m{text}\x1b[0m\n\x1b[36m{rule}\x1b[0m")


def _bar(certainty: float, width: int = 20) -> str:
    filled = max(0, min(width, round(certainty * width)))
    return "█" * filled + "░" * (width - filled)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+(?=[.)]))")


def md_escape(value: Any) -> str:
    """Text for Markdown prose: what Markdown or HTML would act on is escaped (no links, tags,
    emphasis, table cells or block markers can come from the text)."""
    text = _MD_SPECIAL.sub(r"\\\1", clean(str(value)).replace("\n", " "))
    return _MD_LINE_START.sub(
        lambda m: (
            m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2))
        ),
        text,
    )


def md_code(value: Any) -> str:
    """Text as a Markdown code span, fenced by more backticks than it contains."""
    text = clean(str(value)).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_SEPARATORS = re.compile(r"(?<=[-._/:])")


def breakable(value: Any) -> Markup:
    """HTML for an id (rule, fault) that may wrap after its separators (- . _ / :) and
    nowhere else: escaped, with a <wbr> after each separator."""
    parts = _SEPARATORS.split(clean(str(value)))
    return Markup("<wbr>").join(Markup.escape(p) for p in parts)

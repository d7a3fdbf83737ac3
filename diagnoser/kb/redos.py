"""Regular expressions that can take exponential time on a short text (catastrophic backtracking).

Python's `re` backtracks: `(a+)+$` on "aaaa…ab" tries every way of splitting the a's, and a
pattern in a rule or symptom runs on every ticket. Two shapes cause it, and both are found on
the parse tree of Python's own regex parser (so the check reads a pattern exactly as `re`
does):

- a repeat without an upper bound around something that itself repeats without bound:
  `(a+)+`, `(a*)*`, `(x*y?)*`, `(\\s*,)*\\s*` is fine but `(\\s*)+` is not;
- a repeat without an upper bound around alternatives that can begin with the same
  character: `(a|a)*`, `(a|ab)+`, `(\\d|1)*`.

Written by hand because no maintained library does this for Python's dialect (ReDoS checkers
such as recheck target JavaScript and run on the JVM); the check is conservative only where
it is sure, so that the vocabulary's ordinary patterns (`打印机(显示)?(脱机|离线)`) pass.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

# the regex parser of Python ≥ 3.11 (re._parser; typeshed has no stubs for it)
_c: Any = importlib.import_module("re._constants")
_p: Any = importlib.import_module("re._parser")

_UNBOUNDED = _c.MAXREPEAT
_REPEATS = tuple(
    op
    for op in (
        _c.MAX_REPEAT,
        _c.MIN_REPEAT,
        getattr(_c, "POSSESSIVE_REPEAT", None),  # possessive: no backtracking into it
    )
    if op is not None
)
_POSSESSIVE = getattr(_c, "POSSESSIVE_REPEAT", None)
NESTED = "a repeat nested in an unbounded repeat can backtrack without bound (as in (a+)+)"
OVERLAP = (
    "an unbounded repeat of alternatives that can match the same text can backtrack without "
    "bound (as in (a|a)*)"
)
# characters tried when two character sets are compared: ASCII, Latin, punctuation, CJK
_SAMPLE = [chr(c) for c in (*range(0x20, 0x250), *range(0x3000, 0x3040), *range(0x4E00, 0x4F00))]
_SAMPLE += ["\t", "\n", "\r", "\x0b", "\x0c", "\uff0c", "\uff1a"]

Chars = Callable[[str], bool]  # a set of characters, as its membership test


def backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` can take exponential time, or None (also None when it does not compile:
    that is reported on its own)."""
    try:
        tree = _p.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    return _walk(list(tree))


def _walk(items: list[tuple[Any, Any]]) -> str | None:
    for op, av in items:
        problem = None
        if op in _REPEATS:
            _, high, body = av
            body = list(body)
            if high is _UNBOUNDED and op is not _POSSESSIVE:
                problem = _ambiguous(body)
            problem = problem or _walk(body)
        elif op is _c.SUBPATTERN:
            problem = _walk(list(av[-1]))
        elif op is _c.BRANCH:
            problem = next((p for b in av[1] if (p := _walk(list(b)))), None)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            problem = _walk(list(av[1]))
        if problem:
            return problem
    return None


def _ambiguous(body: list[tuple[Any, Any]]) -> str | None:
    """Why one text can be split into the iterations of an unbounded repeat of `body` in
    exponentially many ways, or None."""
    inner = _unbounded_chars(body)
    if inner is not None:
        # safe when every iteration must take a character the inner repeat cannot:
        # [a-z]+(-[a-z]+)* or (\s*,)* split their text one way only
        fixed = [_chars(item) for item in _required(body)]
        if not any(c is not None and _disjoint(c, inner) for c in fixed):
            return NESTED
    if _overlapping_branches(body):
        return OVERLAP
    return None


def _required(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The single-character items every match of a sequence takes (outside repeats that may
    be skipped and outside alternatives)."""
    out = []
    for op, av in items:
        if op in (_c.LITERAL, _c.IN, _c.ANY, _c.NOT_LITERAL):
            out.append((op, av))
        elif op is _c.SUBPATTERN:
            out.extend(_required(list(av[-1])))
    return out


def _unbounded_chars(items: list[tuple[Any, Any]]) -> Chars | None:
    """The characters of the unbounded repeats inside a sequence (at any depth), or None
    when it has none."""
    found: list[Chars] = []

    def visit(seq: list[tuple[Any, Any]]) -> None:
        for op, av in seq:
            if op in _REPEATS:
                if av[1] is _UNBOUNDED and op is not _POSSESSIVE:
                    found.append(_seq_chars(list(av[2])))
                else:
                    visit(list(av[2]))
            elif op is _c.SUBPATTERN:
                visit(list(av[-1]))
            elif op is _c.BRANCH:
                for branch in av[1]:
                    visit(list(branch))

    visit(items)
    if not found:
        return None
    return lambda ch: any(f(ch) for f in found)


def _seq_chars(items: list[tuple[Any, Any]]) -> Chars:
    """Every character a sequence can take (any character when it cannot be told)."""
    parts = []
    for op, av in items:
        if op in _REPEATS:
            parts.append(_seq_chars(list(av[2])))
        elif op is _c.SUBPATTERN:
            parts.append(_seq_chars(list(av[-1])))
        elif op is _c.BRANCH:
            parts.extend(_seq_chars(list(b)) for b in av[1])
        elif op is _c.AT:
            continue
        else:
            one = _chars((op, av))
            parts.append(one if one is not None else _everything)
    return lambda ch: any(p(ch) for p in parts)


def _everything(ch: str) -> bool:
    return True


def _chars(item: tuple[Any, Any]) -> Chars | None:
    """The characters one single-character item matches, or None for other items."""
    op, av = item
    if op is _c.LITERAL:
        return lambda ch: ord(ch) == av
    if op in (_c.ANY, _c.NOT_LITERAL):
        return _everything
    if op is _c.IN:
        try:  # the class as Python compiles it: exact, whatever its ranges and categories
            compiled = re.compile(_p_class(av))
        except (re.error, ValueError):
            return _everything
        return lambda ch: compiled.fullmatch(ch) is not None
    return None


def _p_class(av: list[tuple[Any, Any]]) -> str:
    """A character class back as regex source (for its membership test)."""
    negate = ""
    out = []
    categories = {
        _c.CATEGORY_DIGIT: r"\d",
        _c.CATEGORY_NOT_DIGIT: r"\D",
        _c.CATEGORY_SPACE: r"\s",
        _c.CATEGORY_NOT_SPACE: r"\S",
        _c.CATEGORY_WORD: r"\w",
        _c.CATEGORY_NOT_WORD: r"\W",
    }
    for kind, value in av:
        if kind is _c.NEGATE:
            negate = "^"
        elif kind is _c.LITERAL:
            out.append(re.escape(chr(value)))
        elif kind is _c.RANGE:
            out.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind is _c.CATEGORY and value in categories:
            out.append(categories[value])
        else:
            raise ValueError(kind)
    return f"[{negate}{''.join(out)}]"


def _disjoint(a: Chars, b: Chars) -> bool:
    return not any(a(ch) and b(ch) for ch in _SAMPLE)


def _overlapping_branches(items: list[tuple[Any, Any]]) -> bool:
    """Whether a repeat body holds alternatives two of which match the same text: both empty
    (Python's parser turns (a|a) into a then (|)), or two fixed runs of characters that
    overlap at every position ((ax|[a-z]x)). Alternatives that only share a prefix (have|has)
    part after a few characters and are not reported."""
    for op, av in items:
        if op is _c.SUBPATTERN and _overlapping_branches(list(av[-1])):
            return True
        if op is not _c.BRANCH:
            continue
        branches = [list(b) for b in av[1]]
        if sum(1 for b in branches if _nullable(b)) >= 2:
            return True
        runs = [r for r in (_run(b) for b in branches) if r]
        for i, one in enumerate(runs):
            for other in runs[i + 1 :]:
                if len(one) == len(other) and all(
                    not _disjoint(x, y) for x, y in zip(one, other, strict=True)
                ):
                    return True
    return False


def _run(items: list[tuple[Any, Any]]) -> list[Chars] | None:
    """The character sets of a sequence of single characters, or None when it is not one."""
    out = []
    for item in items:
        chars = _chars(item)
        if chars is None:
            return None
        out.append(chars)
    return out


def _nullable(items: list[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if (op in _REPEATS and av[0] == 0) or op is _c.AT:
            continue
        if op is _c.SUBPATTERN and _nullable(list(av[-1])):
            continue
        return False
    return True

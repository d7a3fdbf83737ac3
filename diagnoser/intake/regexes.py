"""What the parse tree of a kept regex tells: the literals it cannot match without, and whether
it can backtrack without bound.

Both walk the tree of Python's own regex parser (re._parser): a regex is kept in the
vocabulary only where a shape needs one, and these two checks are what makes keeping it safe
(the prefilter skips it on texts that lack its literals; `kb lint` rejects nested repeats).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# the regex parser of Python ≥ 3.11 (re._parser; typeshed has no stubs for it)
_c: Any = importlib.import_module("re._constants")
_p: Any = importlib.import_module("re._parser")

_UNBOUNDED = _c.MAXREPEAT
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None))


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Literals of which every match of `pattern` contains at least one (lower case), or None
    when no such set is found (the regex then runs on every text)."""
    try:
        tree = _p.parse(pattern)
    except re.error:
        return None
    found = _required(list(tree))
    if not found or any(not lit for lit in found):
        return None
    return tuple(sorted({lit.lower() for lit in found}))


def required_literal_sets(pattern: str) -> list[tuple[str, ...]]:
    """Every literal set of the pattern's top-level sequence (lower case): a match contains a
    literal of each, so a text must have one of every set — a sharper test than the best set
    alone ('不' and one of 盘, 金税盘, … rather than '不'). Empty when none is found."""
    try:
        tree = _p.parse(pattern)
    except re.error:
        return []
    out = []
    for found in _candidates(list(tree)):
        if found and all(found):
            out.append(tuple(sorted({lit.lower() for lit in found})))
    return out


def _required(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The best literal set for a sequence: the one whose shortest literal is longest."""
    candidates = _candidates(items)
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(len(x) for x in s), -len(s)))


def _candidates(items: list[tuple[Any, Any]]) -> list[set[str]]:
    """The literal sets of a sequence: each of its items that needs one of a set of literals
    (a literal run, a group, an alternation, a repeat at least once) gives its set."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append({"".join(run)})
            run = []
        if op is _c.SUBPATTERN:
            sub = _required(list(av[-1]))
            if sub:
                candidates.append(sub)
        elif op is _c.BRANCH:
            union: set[str] = set()
            for branch in av[1]:
                sub = _required(list(branch))
                if not sub:
                    union = set()
                    break
                union |= sub
            if union:
                candidates.append(union)
        elif op in _REPEATS and av[0] >= 1:
            sub = _required(list(av[2]))
            if sub:
                candidates.append(sub)
    if run:
        candidates.append({"".join(run)})
    return candidates

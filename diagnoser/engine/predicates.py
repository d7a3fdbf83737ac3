"""The tests a rule condition applies to a fact's value (plain Python, no engine types)."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from typing import Any

log = logging.getLogger("diagnoser.engine")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("a flag is not a number")
    number = float(value)
    if math.isnan(number):
        raise ValueError("NaN")
    return number


def _comparison(op: str, operand: float) -> Callable[[Any], bool]:
    if op == "gt":
        return lambda v: _number(v) > operand
    if op == "gte":
        return lambda v: _number(v) >= operand
    if op == "lt":
        return lambda v: _number(v) < operand
    return lambda v: _number(v) <= operand


def build_test(op: str, operand: Any) -> Callable[[Any], bool]:
    """The unguarded test for one operator; see `guarded` for what the engine runs."""
    if op in ("gt", "gte", "lt", "lte"):
        return _comparison(op, float(operand))
    if op == "in":
        members = frozenset(operand)
        numbers = frozenset(x for x in operand if isinstance(x, int | float))
        return lambda v: (
            v in members or (bool(numbers) and not isinstance(v, bool) and _number(v) in numbers)
        )
    if op == "matches":
        regex = re.compile(operand, re.IGNORECASE)
        return lambda v: regex.search(str(v)) is not None
    if op == "equals" and isinstance(operand, int | float) and not isinstance(operand, bool):
        target = float(operand)
        return lambda v: _number(v) == target
    raise ValueError(f"no predicate for operator {op!r}")


def guarded(test: Callable[[Any], bool], where: str) -> Callable[[Any], bool]:
    """Wrap a test so an exception means 'no match' instead of aborting the whole run."""

    def safe(value: Any) -> bool:
        try:
            return bool(test(value))
        except Exception as exc:  # a bad value must not abort the diagnosis
            log.debug("%s: test failed on %r: %s", where, value, exc)
            return False

    return safe

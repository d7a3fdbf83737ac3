"""The engine as the rest of diagnoser sees it: plain types and the protocol of an engine.

Nothing here imports experta. `diagnoser.engine.compile_rules` returns a `RuleSet`; each thread
asks it for an `Engine` and calls `run(facts)`, which returns the firings in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ..errors import DiagnoserError
from ..facts import FactIn

Normaliser = Callable[[str, Any], Any]
"""Maps (symptom id, operand) of a condition to the value compared (e.g. canonical codes)."""


class EngineError(DiagnoserError):
    """The inference run could not complete (e.g. rules that keep deriving new facts)."""


class MatcherKind(StrEnum):
    """Which matcher finds the rules a working memory satisfies (all fire exactly alike)."""

    DIRECT = "direct"  # each rule's conditions tested on the few facts of a diagnosis
    RETE = "rete"  # experta's RETE network with its costs for short runs removed
    STOCK = "stock"  # experta's own RETE matcher, unchanged (for comparison)


@dataclass(frozen=True)
class Firing:
    """One rule firing: what it concluded, with which certainty, from which facts."""

    rule: str
    fault: str | None
    derive: str | None
    certainty: float
    evidence: tuple[FactIn, ...]


@dataclass
class RunResult:
    """Everything one inference run produced, in firing order."""

    firings: list[Firing] = field(default_factory=list)


class Engine(Protocol):
    """Runs a compiled rule set; one per thread."""

    def run(self, facts: Iterable[FactIn]) -> RunResult:
        """Reset, declare `facts`, run to quiescence and return the firings in order."""
        ...

    def prepare(self) -> None:
        """Build now whatever the first runs would build (a service does, before traffic)."""
        ...


class RuleSet(Protocol):
    """Rules compiled once; safe to share between threads, each of which gets its own engine."""

    def new_engine(self) -> Engine:
        """An engine for the calling thread."""
        ...

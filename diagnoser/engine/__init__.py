"""The engine: diagnoser's rules compiled into experta engines, behind a small interface.

The rest of diagnoser uses only what this module exports: `compile_rules` (a `RuleSet` from
rule specs), `RuleSet.new_engine()` (one `Engine` per thread), `Engine.run(facts)` (a
`RunResult`: the `Firing`s in order), `Engine.prepare()`, and the value tests of rule
conditions (`build_test`, `guarded`). experta is imported by `_experta` alone, and every
module that uses it lives in this package:

* `_experta`: the import workarounds (frozendict on Python >= 3.10, experta's logging setup);
* `_strategy`: a deterministic agenda with exact removal of retracted activations;
* `_direct`: the matcher for small working memories (the default);
* `_rete`: experta's RETE matcher with the costs of short runs removed;
* `_engine`: the rule compiler, the engine classes and `Engine`;
* `predicates`: value tests that cannot abort a run (an error means "no match").

See docs/engine.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..kb.models import RuleSpec
from ._engine import CompiledRules, Engine, SymptomFact
from ._experta import EXPERTA_VERSION, NOT, Fact, KnowledgeEngine, Rule
from ._rete import FastMatcher
from ._strategy import StableStrategy
from .interface import Engine as EngineProtocol
from .interface import (
    EngineError,
    Firing,
    MatcherKind,
    Normaliser,
    RuleSet,
    RunResult,
)
from .predicates import build_test, guarded


def _identity(symptom: str, value: object) -> object:
    return value


def compile_rules(
    rules: Sequence[RuleSpec],
    *,
    normalise: Normaliser = _identity,
    max_firings: int = 10_000,
    matcher: MatcherKind | str = MatcherKind.DIRECT,
) -> CompiledRules:
    """Compile `rules` once; ask the result for one engine per thread (`new_engine()`).

    `normalise` maps each condition's operand before it is compared (canonical error codes);
    a run that fires `max_firings` times stops with EngineError; `matcher` chooses how working
    memory is matched (every kind fires the same rules in the same order).
    """
    return CompiledRules(
        rules, normalise=normalise, max_firings=max_firings, matcher=MatcherKind(matcher)
    )


__all__ = [
    "EXPERTA_VERSION",
    "NOT",
    "CompiledRules",
    "Engine",
    "EngineError",
    "EngineProtocol",
    "Fact",
    "FastMatcher",
    "Firing",
    "KnowledgeEngine",
    "MatcherKind",
    "Normaliser",
    "Rule",
    "RuleSet",
    "RunResult",
    "StableStrategy",
    "SymptomFact",
    "build_test",
    "compile_rules",
    "guarded",
]

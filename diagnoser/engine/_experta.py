"""experta, imported once with its two import-time problems dealt with: the only module of
diagnoser that imports experta (or its frozendict).

* experta pins frozendict 1.2, which subclasses ``collections.Mapping`` (removed in Python
  3.10): the alias exists only while frozendict is first imported;
* importing experta runs ``logging.basicConfig()``: the handlers it adds to the root logger are
  removed again, an application's own are left alone.
"""

from __future__ import annotations

import collections
import collections.abc
import logging
from typing import Any


def _import_experta() -> Any:
    """Import experta with the frozendict workaround and without its logging side effect."""
    root = logging.getLogger()
    handlers_before = list(root.handlers)
    aliased = not hasattr(collections, "Mapping")
    if aliased:
        collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    try:
        import experta
        import frozendict  # noqa: F401  (must be imported while the alias exists)
    finally:
        if aliased:
            del collections.Mapping  # type: ignore[attr-defined]
        for handler in root.handlers[:]:
            if handler not in handlers_before:
                root.removeHandler(handler)
    return experta


_experta = _import_experta()
from experta import AND, NOT, OR, Fact, InitialFact, KnowledgeEngine, P, Rule, watchers  # noqa: E402
from experta.abstract import Matcher, Strategy  # noqa: E402
from experta.activation import Activation  # noqa: E402
from experta.agenda import Agenda  # noqa: E402
from experta.fieldconstraint import L, W  # noqa: E402
from experta.matchers import ReteMatcher  # noqa: E402
from experta.matchers.rete.check import FeatureCheck  # noqa: E402
from experta.matchers.rete.mixins import NoMemory  # noqa: E402
from experta.matchers.rete.nodes import ConflictSetNode, FeatureTesterNode  # noqa: E402
from experta.matchers.rete.utils import prepare_rule  # noqa: E402

EXPERTA_VERSION: str = getattr(_experta, "__version__", "1.9.4")

__all__ = [
    "AND",
    "EXPERTA_VERSION",
    "NOT",
    "OR",
    "Activation",
    "Agenda",
    "ConflictSetNode",
    "Fact",
    "FeatureCheck",
    "FeatureTesterNode",
    "InitialFact",
    "KnowledgeEngine",
    "L",
    "Matcher",
    "NoMemory",
    "P",
    "ReteMatcher",
    "Rule",
    "Strategy",
    "W",
    "prepare_rule",
    "watchers",
]

"""The rule index: what each rule tests and concludes, walked once per set of rules.

Lint checks, the vocabulary, the engine's fact filter, the contrast of two close faults, the
interactive question choice, the simulated caller and `diagnoser explain` all ask the same
questions of the rules' condition trees (which symptoms does a rule test, and how; which rules
test a symptom, conclude a fault, derive a symptom). They ask them of one index built from the
trees once, instead of walking the trees each in its own way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .models import Condition, Group, RuleSpec, RuleStatus

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ConditionUse:
    """One condition of one rule, where it sits and what it means to the rule."""

    rule: str
    condition: Condition
    path: Path  # in the rule file: ("when", "all", 0, "any", 1)
    absent: bool  # in a `none:` list: the rule needs it not to hold
    weight: float  # how much it alone says: an `all` item 1, one of n `any` items 1/n; 0 if absent

    def __reduce__(self) -> tuple[type[ConditionUse], tuple[object, ...]]:
        # unpickled by calling the class: a frozen dataclass with slots is otherwise restored
        # field by field through dataclasses.fields(), some 3x slower, and the compiled cache
        # holds hundreds of these (kb/_cache.py)
        return (ConditionUse, (self.rule, self.condition, self.path, self.absent, self.weight))

    @property
    def symptom(self) -> str:
        """The symptom the condition tests."""
        return self.condition.symptom

    @property
    def top_level(self) -> bool:
        """Directly in the rule's `all` or `any` list (not in a nested group)."""
        return len(self.path) == 3 and not self.absent


def _walk(rule: str, group: Group, path: Path, weight: float) -> Iterable[ConditionUse]:
    """Depth first in file order: `all` items, `any` items, then `none`."""
    shares = (("all", group.all, weight), ("any", group.any, weight / max(len(group.any), 1)))
    for key, items, share in shares:
        for i, item in enumerate(items):
            if isinstance(item, Group):
                yield from _walk(rule, item, (*path, key, i), share)
            else:
                yield ConditionUse(rule, item, (*path, key, i), False, share)
    for i, cond in enumerate(group.none):
        yield ConditionUse(rule, cond, (*path, "none", i), True, 0.0)


class RuleIndex:
    """The conditions and conclusions of a set of rules, looked up by rule, symptom or fault.

    Lists keep the order of the rules given (and, within a rule, the file order of its
    conditions). The index is read-only once built; build it again for other rules.
    """

    def __init__(self, rules: Iterable[RuleSpec], *, reuse: RuleIndex | None = None) -> None:
        """Index `rules`; the walks of `reuse` are taken for the rules it holds (the same
        objects), so two indexes of one knowledge base share them, in memory and in the cache."""
        # plain dicts, not read-only proxies: a knowledge base and its index are pickled into
        # the compiled cache
        self.rules: Mapping[str, RuleSpec] = {r.id: r for r in rules}
        uses: dict[str, tuple[ConditionUse, ...]] = {}
        by_symptom: dict[str, list[str]] = {}
        concluding: dict[str, list[RuleSpec]] = {}
        deriving: dict[str, list[RuleSpec]] = {}
        for rule in self.rules.values():
            same = reuse is not None and reuse.rules.get(rule.id) is rule
            mine = uses[rule.id] = (
                reuse.conditions(rule.id)
                if same and reuse is not None
                else tuple(_walk(rule.id, rule.when, ("when",), 1.0))
            )
            for symptom in dict.fromkeys(u.symptom for u in mine):
                by_symptom.setdefault(symptom, []).append(rule.id)
            if rule.then.fault is not None:
                concluding.setdefault(rule.then.fault, []).append(rule)
            if rule.then.derive is not None:
                deriving.setdefault(rule.then.derive, []).append(rule)
        self._uses: dict[str, tuple[ConditionUse, ...]] = uses
        self._positive = {
            rid: frozenset(u.symptom for u in mine if not u.absent) for rid, mine in uses.items()
        }
        self._absent = {
            rid: frozenset(u.symptom for u in mine if u.absent) for rid, mine in uses.items()
        }
        self._by_symptom = {s: tuple(r) for s, r in by_symptom.items()}
        self._concluding = {f: tuple(r) for f, r in concluding.items()}
        self._deriving = {s: tuple(r) for s, r in deriving.items()}
        self.tested: frozenset[str] = frozenset(by_symptom)
        """Every symptom some rule tests (positively or in `none:`)."""

    def conditions(self, rule_id: str) -> tuple[ConditionUse, ...]:
        """Every condition of a rule, in file order (`all`, `any`, then `none` of each group)."""
        return self._uses[rule_id]

    def all_conditions(self) -> Iterable[ConditionUse]:
        """Every condition of every rule, rule by rule."""
        for uses in self._uses.values():
            yield from uses

    def positive(self, rule_id: str) -> frozenset[str]:
        """The symptoms a rule tests for being there (in `all` or `any`, at any depth)."""
        return self._positive[rule_id]

    def absent(self, rule_id: str) -> frozenset[str]:
        """The symptoms a rule needs absent (in a `none:` list)."""
        return self._absent[rule_id]

    def testing(self, symptom: str) -> tuple[str, ...]:
        """The ids of the rules that test `symptom`, positively or in `none:`."""
        return self._by_symptom.get(symptom, ())

    def concluding(self, fault_id: str) -> tuple[RuleSpec, ...]:
        """The rules that conclude `fault_id`."""
        return self._concluding.get(fault_id, ())

    def deriving(self, symptom: str) -> tuple[RuleSpec, ...]:
        """The rules that derive `symptom`."""
        return self._deriving.get(symptom, ())

    def derived(self) -> Mapping[str, tuple[RuleSpec, ...]]:
        """Each derived symptom with the rules deriving it."""
        return self._deriving

    def derivation_edges(self) -> dict[str, set[str]]:
        """symptom → the symptoms derived from it by a rule that is not deprecated.

        A `none:` condition is an edge too: "a unless b" depends on b as much as "a if b" does.
        """
        graph: dict[str, set[str]] = {}
        for derived, rules in self._deriving.items():
            for rule in rules:
                if rule.status is RuleStatus.DEPRECATED:
                    continue
                for use in self._uses[rule.id]:
                    graph.setdefault(use.symptom, set()).add(derived)
        return graph

    def upstream(self, symptoms: Iterable[str]) -> set[str]:
        """`symptoms` and, transitively, every symptom a rule deriving one of them tests
        positively: what a caller who shows those symptoms would see."""
        seen: set[str] = set()
        todo = list(symptoms)
        while todo:
            symptom = todo.pop()
            if symptom in seen:
                continue
            seen.add(symptom)
            todo.extend(s for r in self.deriving(symptom) for s in self._positive[r.id])
        return seen

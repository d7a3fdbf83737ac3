"""A matcher for small working memories: each rule's conditions tested directly on the facts.

experta's RETE keeps partial matches in a network of nodes, so that each new fact costs only
the joins it takes part in. That pays off when working memory is large and long-lived. A
diagnosis is the opposite: 2-15 facts, a handful of derived ones, then a reset. There the RETE
costs more than it saves: every fact becomes tokens that are copied through alpha and beta
nodes, every node touched must be reset, and the network of all rules must be built first.

`DirectMatcher` keeps experta's engine (its fact list, agenda, strategy, `declare`/`run`) and
replaces only the matcher. It takes each rule's alternatives exactly as the RETE network is
wired from them (experta's own `prepare_rule`: the disjunctive normal form, `InitialFact`
where an alternative starts with a negation), and after each change it recomputes, for the
alternatives that test a changed fact's id, the set of fact combinations that satisfy every
positive pattern while no fact satisfies a negated one. The difference to the previous set is
the activations added and removed: what the conflict-set nodes of the RETE report, as experta
`Activation`s with the same rule, facts and bindings, so the agenda orders and fires them
identically. Written by hand because experta has no other matcher and no maintained library
matches experta patterns; tests compare it with the stock matcher on every shipped case,
every example ticket and seeded random rule and fact sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import product
from typing import Any

from ._experta import NOT, OR, Activation, Fact, L, Matcher, P, W, prepare_rule

_NO_ID = object()


class UnsupportedPattern(TypeError):
    """A rule uses a conditional element or field constraint DirectMatcher does not evaluate."""


def _field_test(key: Any, constraint: Any) -> Callable[[Any], bool]:
    """One field of a pattern, tested as experta's FeatureCheck does (a missing field fails)."""
    if isinstance(constraint, L | P | W) and constraint.__bind__ is not None:
        raise UnsupportedPattern(f"a bound field constraint on {key!r}")
    if isinstance(key, str) and "__" in key:
        raise UnsupportedPattern(f"a nested field accessor {key!r}")
    if isinstance(constraint, P):
        match = constraint.match

        def predicate(fact: Any) -> bool:
            try:
                actual = fact[key]
            except (IndexError, KeyError, TypeError):
                return False
            return bool(match(actual))

        return predicate
    if isinstance(constraint, W):

        def wildcard(fact: Any) -> bool:
            try:
                fact[key]
            except (IndexError, KeyError, TypeError):
                return False
            return True

        return wildcard
    if isinstance(constraint, L):
        expected = constraint.value
    elif hasattr(constraint, "__bind__") and not isinstance(constraint, Fact):
        # NOTFC, ANDFC, ORFC: not produced by diagnoser's rule compiler
        raise UnsupportedPattern(f"field constraint {type(constraint).__name__} on {key!r}")
    else:
        expected = constraint

    def literal(fact: Any) -> bool:
        try:
            actual = fact[key]
        except (IndexError, KeyError, TypeError):
            return False
        return bool(expected == actual)

    return literal


class _Pattern:
    """One fact test (class and fields, without the name it is bound to), shared by every
    alternative that uses the same test."""

    __slots__ = (
        "fact_class",
        "ident",
        "in_negative",
        "in_positive",
        "position",
        "tests",
        "value",
    )

    def __init__(self, pattern: Any) -> None:
        self.fact_class = type(pattern)
        self.ident: str | None = None  # the id it tests, when a literal string
        self.value: Any = _NO_ID  # the value it tests, when a literal string or flag
        # the alternatives that require / forbid a fact passing this test
        self.in_positive: list[_Alternative] = []
        self.in_negative: list[_Alternative] = []
        # every alternative that uses this test → where `changes` first meets it among them
        # (its positive ones, then its negative ones): the order `add` keeps
        self.position: dict[_Alternative, int] = {}
        tests = []
        for key, constraint in pattern.items():
            if Fact.is_special(key):
                if key != "__bind__":
                    raise UnsupportedPattern(f"special field {key!r}")
                continue
            literal = constraint.value if type(constraint) is L else constraint
            if not isinstance(constraint, L | P | W) and hasattr(constraint, "__bind__"):
                literal = _NO_ID  # a field constraint _field_test refuses
            if key == "id" and type(literal) is str:
                self.ident = literal
            elif key == "value" and type(literal) in (str, bool):
                self.value = literal
            tests.append(_field_test(key, constraint))
        self.tests = tuple(tests)

    def holds(self, fact: Any) -> bool:
        return type(fact) is self.fact_class and all(test(fact) for test in self.tests)


def _test_key(pattern: Any) -> Any:
    """What makes two patterns the same test (their binding apart), or None when unhashable."""
    try:
        items = frozenset(
            (key, type(constraint), constraint)
            for key, constraint in pattern.items()
            if key != "__bind__"
        )
        hash(items)
    except TypeError:
        return None
    return (type(pattern), items)


class _Alternative:
    """One alternative of a rule (what one conflict-set node of the RETE stands for)."""

    __slots__ = ("forbidden", "names", "needed", "negative", "positive", "rule")

    def __init__(
        self,
        rule: Any,
        positive: list[tuple[_Pattern, str]],
        negative: list[_Pattern],
    ) -> None:
        self.rule = rule
        self.positive = tuple(p for p, _ in positive)
        self.names = tuple(n for _, n in positive)
        self.negative = tuple(negative)
        self.forbidden = frozenset(negative)
        # how many distinct tests need a passing fact before this alternative can match
        self.needed = len({id(p) for p in self.positive})


class _Network:
    """The alternatives of an engine class and their tests, indexed by the ids and values they
    test (built once per engine class, shared by its engines)."""

    def __init__(self, rules: Iterable[Any]) -> None:
        self._patterns: dict[Any, _Pattern] = {}
        self.alternatives: list[_Alternative] = []
        for rule in rules:
            prepared = prepare_rule(rule)
            if isinstance(prepared[0], OR):  # as ReteMatcher.build_beta_part wires them
                subs = [list(s) if not isinstance(s, Fact | NOT) else [s] for s in prepared[0]]
            else:
                subs = [list(prepared)]
            for elements in subs:
                self.alternatives.append(self._alternative(prepared, elements))
        # (class, id, value) / (class, id) / class → the tests a fact of that kind may pass
        self.by_value: dict[tuple[Any, ...], list[_Pattern]] = {}
        self.by_ident: dict[tuple[type, str], list[_Pattern]] = {}
        self.generic: dict[type, list[_Pattern]] = {}
        self.by_class: dict[type, list[_Pattern]] = {}
        for pattern in self._patterns.values():
            cls = pattern.fact_class
            if pattern.ident is None:
                self.generic.setdefault(cls, []).append(pattern)
            elif pattern.value is _NO_ID:
                self.by_ident.setdefault((cls, pattern.ident), []).append(pattern)
            else:
                self.by_value.setdefault((cls, pattern.ident, pattern.value), []).append(pattern)
            self.by_class.setdefault(cls, []).append(pattern)
            for alternative in (*pattern.in_positive, *pattern.in_negative):
                pattern.position.setdefault(alternative, len(pattern.position))

    def _pattern(self, pattern: Any, alternative: _Alternative | None = None) -> _Pattern:
        if not isinstance(pattern, Fact):
            raise UnsupportedPattern(f"conditional element {type(pattern).__name__}")
        key = _test_key(pattern)
        found = self._patterns.get(key) if key is not None else None
        if found is None:
            found = _Pattern(pattern)
            self._patterns[key if key is not None else object()] = found
        return found

    def _alternative(self, rule: Any, elements: list[Any]) -> _Alternative:
        positive: list[tuple[_Pattern, str]] = []
        negative: list[_Pattern] = []
        for element in elements:
            if isinstance(element, NOT):
                if len(element) != 1 or not isinstance(element[0], Fact):
                    raise UnsupportedPattern("NOT of anything but one fact pattern")
                if element[0].get("__bind__") is not None:
                    raise UnsupportedPattern("a bound pattern inside NOT")
                negative.append(self._pattern(element[0]))
            else:
                pattern = self._pattern(element)
                bind = element.get("__bind__")
                # experta captures an unbound pattern under a name of its own (FactCapture)
                positive.append(
                    (pattern, bind if bind is not None else f"__pattern_{id(element)}__")
                )
        if not positive:
            raise UnsupportedPattern("an alternative without a positive pattern")
        alternative = _Alternative(rule, positive, negative)
        for pattern in {id(p): p for p in alternative.positive}.values():
            pattern.in_positive.append(alternative)
        for pattern in {id(p): p for p in negative}.values():
            pattern.in_negative.append(alternative)
        return alternative

    def candidates(self, fact: Any) -> list[_Pattern]:
        """The tests `fact` may pass (those indexed under other ids or values cannot)."""
        cls = type(fact)
        ident = dict.get(fact, "id", _NO_ID)
        if type(ident) is not str:
            return self.by_class.get(cls, [])
        found = [*self.generic.get(cls, ()), *self.by_ident.get((cls, ident), ())]
        try:
            found.extend(self.by_value.get((cls, ident, dict.get(fact, "value", _NO_ID)), ()))
        except TypeError:  # an unhashable value: try every value-indexed test of this id
            found.extend(p for k, ps in self.by_value.items() if k[:2] == (cls, ident) for p in ps)
        return found


class DirectMatcher(Matcher):  # type: ignore[misc]
    """experta matcher that tests each fact once per candidate test and recomputes only the
    alternatives whose tests a changed fact passes."""

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        cls = type(engine)
        network = cls.__dict__.get("_diagnoser_network")
        if network is None:
            network = _Network(engine.get_rules())
            cls._diagnoser_network = network
        self._network: _Network = network
        # test → the facts that pass it (a test no fact passes has no entry)
        self._passed: dict[_Pattern, list[Any]] = {}
        # alternative → its tests without a passing fact (absent: all of them)
        self._missing: dict[_Alternative, int] = {}
        # the alternatives every positive test of which has a passing fact (missing 0), in
        # the order they became so
        self._ready: dict[_Alternative, None] = {}
        # alternative → {fact ids of the combination: its activation}
        self._memory: dict[_Alternative, dict[tuple[int, ...], Any]] = {}

    def _matches(self, alternative: _Alternative) -> list[tuple[Any, ...]]:
        passed = self._passed
        if not passed.keys().isdisjoint(alternative.forbidden):  # a fact passes a negation
            return []
        lists = []
        for pattern in alternative.positive:
            found = passed.get(pattern)
            if not found:
                return []
            lists.append(found)
        if len(lists) == 1:
            return [(f,) for f in lists[0]]
        return list(product(*lists))

    @staticmethod
    def _activation(alternative: _Alternative, combo: tuple[Any, ...]) -> Any:
        context: dict[str, Any] = {}
        for name, fact in zip(alternative.names, combo, strict=True):
            # one name bound twice must be the same fact (experta's SameContextCheck)
            if context.setdefault(name, fact) != fact:
                return None
        return Activation(alternative.rule, frozenset(combo), context)

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        if not adding and not deleting:  # the run loop asks after every firing
            return [], []
        network = self._network
        passed = self._passed
        missing = self._missing
        touched: dict[_Pattern, None] = {}
        for fact in deleting or ():
            for pattern in network.candidates(fact):
                facts = passed.get(pattern)
                if facts and any(f is fact for f in facts):
                    facts[:] = [f for f in facts if f is not fact]
                    touched[pattern] = None
                    if not facts:
                        del passed[pattern]
                        for alternative in pattern.in_positive:
                            missing[alternative] += 1
                            self._ready.pop(alternative, None)
        for fact in adding or ():
            for pattern in network.candidates(fact):
                if pattern.holds(fact):
                    facts = passed.get(pattern)
                    if facts is None:
                        facts = passed[pattern] = []
                    if not facts:
                        for alternative in pattern.in_positive:
                            left = missing.get(alternative, alternative.needed) - 1
                            missing[alternative] = left
                            if not left:
                                self._ready[alternative] = None
                    facts.append(fact)
                    touched[pattern] = None
        memory = self._memory
        # an alternative can change only through a test a changed fact passes, and only if it
        # matched before or every positive test now has a passing fact
        affected: dict[_Alternative, None] = {}
        for pattern in touched:
            for alternative in (*pattern.in_positive, *pattern.in_negative):
                if alternative in memory or missing.get(alternative, alternative.needed) == 0:
                    affected[alternative] = None
        return self._recompute(affected)

    def add(self, adding: Iterable[Any]) -> tuple[list[Any], list[Any]]:
        """`changes(adding, [])`: the same activations added and removed, in the same order.

        With nothing deleted, an alternative that has matched, or may match now, is one every
        positive test of which has a passing fact (`_ready`, a few of the hundreds); so the
        affected ones are found among those, not by walking every alternative of each test a
        new fact passes, and ordered as `changes` meets them (by `_Pattern.position`).
        """
        network = self._network
        passed = self._passed
        missing = self._missing
        ready = self._ready
        touched: dict[_Pattern, None] = {}
        for fact in adding:
            for pattern in network.candidates(fact):
                if pattern.holds(fact):
                    facts = passed.get(pattern)
                    if facts is None:
                        passed[pattern] = [fact]
                        for alternative in pattern.in_positive:
                            left = missing.get(alternative, alternative.needed) - 1
                            missing[alternative] = left
                            if not left:
                                ready[alternative] = None
                    else:
                        facts.append(fact)
                    touched[pattern] = None
        if not touched or not ready:
            return [], []
        first: dict[_Alternative, tuple[int, int]] = {}
        for rank, pattern in enumerate(touched):
            position = pattern.position
            for alternative in position.keys() & ready.keys():
                if alternative not in first:
                    first[alternative] = (rank, position[alternative])
        if len(first) > 1:
            return self._recompute(sorted(first, key=first.__getitem__))
        return self._recompute(first)

    def _recompute(self, affected: Iterable[_Alternative]) -> tuple[list[Any], list[Any]]:
        """The activations of `affected` added and removed since their last matches."""
        memory = self._memory
        added: list[Any] = []
        removed: list[Any] = []
        for alternative in affected:
            old = memory.get(alternative, {})
            kept: dict[tuple[int, ...], Any] = {}
            for combo in self._matches(alternative):
                key = tuple(f["__factid__"] for f in combo)
                activation = old.get(key)
                if activation is None:
                    activation = self._activation(alternative, combo)
                    if activation is None:
                        continue
                    added.append(activation)
                kept[key] = activation
            if old:
                removed.extend(a for key, a in old.items() if key not in kept)
            if kept:
                memory[alternative] = kept
            elif old:
                del memory[alternative]
        return added, removed

    def reset(self) -> None:
        self._passed.clear()
        self._missing.clear()
        self._ready.clear()
        self._memory.clear()


__all__ = ["DirectMatcher", "UnsupportedPattern"]

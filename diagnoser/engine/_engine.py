"""Rules compiled into experta engines, and the engine that runs them for one thread."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..facts import FactIn
from ..kb.models import Condition, Group, RuleSpec
from ..result import Source
from ._direct import DirectMatcher
from ._experta import (
    AND,
    NOT,
    OR,
    Agenda,
    Fact,
    KnowledgeEngine,
    P,
    ReteMatcher,
    Rule,
    watchers,
)
from ._rete import FastMatcher
from ._strategy import StableStrategy
from .interface import EngineError, Firing, MatcherKind, Normaliser, RunResult
from .predicates import build_test, guarded

_MATCHERS: dict[MatcherKind, type[Any]] = {
    MatcherKind.DIRECT: DirectMatcher,
    MatcherKind.RETE: FastMatcher,
    MatcherKind.STOCK: ReteMatcher,
}


# the value types a working-memory fact may hold as they are: experta's freeze() returns each
# of them unchanged (they are hashable and none is a dict, list or set it would convert)
_AS_IS = frozenset({str, int, float, bool, type(None), Source})


class SymptomFact(Fact):  # type: ignore[misc]
    """Working-memory fact: a symptom id, its value, a certainty and where it came from."""

    @classmethod
    def of(cls, id: str, value: Any, cf: float, source: Any) -> SymptomFact:
        """`SymptomFact(id=id, value=value, cf=cf, source=source)`, built without experta's
        per-field path (a property, a check and a singledispatch freeze() for each field of
        each fact declared, a tenth of an engine run) when every field is of a type freeze()
        keeps as it is: the same dict, the same attributes. Hand-written because experta has
        no constructor for facts already frozen; tests/test_engine.py compares the two."""
        fact = cls.as_is(id, value, cf, source)
        return cls(id=id, value=value, cf=cf, source=source) if fact is None else fact

    @classmethod
    def as_is(cls, id: str, value: Any, cf: float, source: Any) -> SymptomFact | None:
        """The fact `of` builds directly, when every field is kept as it is (else None)."""
        if type(value) not in _AS_IS or type(source) not in _AS_IS or type(cf) not in _AS_IS:
            return None
        fact = cls.__new__(cls)
        dict.update(fact, (("id", id), ("value", value), ("cf", cf), ("source", source)))
        fact._Fact__defaults = {}  # what Fact.__init__ sets beside the fields
        return fact


class _BaseEngine(KnowledgeEngine):  # type: ignore[misc]
    __matcher__ = DirectMatcher
    __strategy__ = StableStrategy

    _deffacts_cache: list[Any] | None = None

    def get_deffacts(self) -> list[Any]:
        # stock experta walks every member with inspect.getmembers on each reset(), then takes
        # inspect.signature of each deffacts to see which reset() arguments it accepts; both
        # are the same on every reset, so both are done once (inspect honours __signature__)
        if self._deffacts_cache is None:
            deffacts = super().get_deffacts()
            for deffact in deffacts:
                deffact.__signature__ = inspect.signature(deffact)
            self._deffacts_cache = deffacts
        return self._deffacts_cache


# --- compiling rules ---------------------------------------------------------------------------


class _Compiler:
    def __init__(self, spec: RuleSpec, normalise: Normaliser) -> None:
        self.spec = spec
        self.normalise = normalise
        self.bound = 0

    def pattern(self, cond: Condition) -> Any:
        op, operand = cond.operator, cond.operand
        if op == "present":
            return SymptomFact(id=cond.symptom)
        if op == "in":
            operand = tuple(self.normalise(cond.symptom, x) for x in operand)
        elif op == "equals":
            operand = self.normalise(cond.symptom, operand)
        if op == "equals" and not (
            isinstance(operand, int | float) and not isinstance(operand, bool)
        ):
            return SymptomFact(id=cond.symptom, value=operand)
        test = guarded(build_test(op, operand), f"rule {self.spec.id}: {cond.describe()}")
        return SymptomFact(id=cond.symptom, value=P(test))

    def positive(self, cond: Condition) -> Any:
        name = f"e{self.bound}"
        self.bound += 1
        return name << self.pattern(cond)

    def item(self, item: Condition | Group) -> Any:
        return self.group(item) if isinstance(item, Group) else self.positive(item)

    def group(self, group: Group) -> Any:
        parts = [self.item(i) for i in group.all]
        if group.any:
            alternatives = [self.item(i) for i in group.any]
            parts.append(alternatives[0] if len(alternatives) == 1 else OR(*alternatives))
        parts.extend(NOT(self.pattern(c)) for c in group.none)
        return parts[0] if len(parts) == 1 else AND(*parts)


def _identity(symptom: str, value: Any) -> Any:
    return value


def _possible(
    group: Group, available: Mapping[str, set[str] | None], value_of: Callable[[Condition], Any]
) -> bool:
    """Whether facts with these ids and values could satisfy the positive part of `group`.

    `available` maps each fact id to the string values its facts can have, or None when one of
    them may be something else (then any value may match). A condition that tests a string by
    `equals` is the one whose outcome a string value decides exactly (experta compares it as a
    literal); every other test is taken as possible for any value of its id.
    """

    def holds(item: Condition | Group) -> bool:
        if isinstance(item, Group):
            return _possible(item, available, value_of)
        if item.symptom not in available:
            return False
        values = available[item.symptom]
        if values is None or item.operator != "equals":
            return True
        operand = value_of(item)
        return not isinstance(operand, str) or operand in values

    return all(holds(i) for i in group.all) and (not group.any or any(holds(i) for i in group.any))


def _add_value(available: dict[str, set[str] | None], fact_id: str, value: Any) -> bool:
    """Record that a fact `fact_id` may have `value`; whether that is new."""
    if fact_id not in available:
        available[fact_id] = {value} if isinstance(value, str) else None
        return True
    values = available[fact_id]
    if values is None:
        return False
    if not isinstance(value, str):
        available[fact_id] = None
        return True
    if value in values:
        return False
    values.add(value)
    return True


class CompiledRules:
    """A rule set compiled once into experta rules; make one engine per thread."""

    def __init__(
        self,
        rules: Sequence[RuleSpec],
        normalise: Normaliser = _identity,
        max_firings: int = 10_000,
        matcher: MatcherKind = MatcherKind.DIRECT,
    ) -> None:
        """Compile `rules` for engines whose working memory `matcher` matches."""
        self.rules = tuple(sorted(rules, key=lambda r: r.id))
        self.max_firings = max_firings
        self._normalise = normalise
        # each rule is compiled into its experta rule when a network first holds it: a short
        # process reaches a few rules of hundreds (threads that race compile equal members)
        self._members: list[tuple[str, Any] | None] = [None] * len(self.rules)
        self.matcher = MatcherKind(matcher)
        self._full_class: type[Any] | None = None

    def _member(self, order: int) -> tuple[str, Any]:
        member = self._members[order]
        if member is None:
            spec = self.rules[order]
            lhs = _Compiler(spec, self._normalise).group(spec.when)
            # derivations run before conclusions so traces read cause → effect
            salience = 10 if spec.then.derive else 0
            member = (f"rule_{order}", Rule(lhs, salience=salience)(_make_rhs(order, spec)))
            self._members[order] = member
        return member

    @property
    def rules_compiled(self) -> int:
        """How many rules have been compiled into experta rules so far."""
        return sum(member is not None for member in self._members)

    def engine_class(self, orders: Iterable[int] | None = None) -> type[Any]:
        """An experta engine class with the rules of `orders` (all rules when None)."""
        if orders is None:
            if self._full_class is None:
                self._full_class = self._class([self._member(i) for i in range(len(self.rules))])
            return self._full_class
        return self._class([self._member(i) for i in sorted(orders)])

    def _class(self, members: list[tuple[str, Any]]) -> type[Any]:
        namespace: dict[str, Any] = dict(members)
        namespace["__matcher__"] = _MATCHERS[self.matcher]
        return type("CompiledEngine", (_BaseEngine,), namespace)

    def reachable(self, facts: Iterable[tuple[str, Any]]) -> frozenset[int]:
        """The orders of the rules that can fire from facts with these (id, value) pairs.

        A rule fires only when every positive pattern of one of its alternatives matches a
        fact; a fact is declared, or derived (with the value the rule gives it) by a rule that
        can fire itself. A pattern that names a string value matches only a fact with that
        value: a ticket with error code 1001 reaches the built-in rule of the fault its code
        documents, not those of every other fault. The rules outside this set cannot fire, so
        an engine without them fires exactly the same.
        """
        available: dict[str, set[str] | None] = {}
        for fact_id, value in facts:
            _add_value(available, fact_id, value)
        left = dict(enumerate(self.rules))
        chosen: set[int] = set()
        changed = True
        while changed:
            changed = False
            for order, spec in list(left.items()):
                if _possible(spec.when, available, self._equals_operand):
                    chosen.add(order)
                    del left[order]
                    if spec.then.derive is not None and _add_value(
                        available, spec.then.derive, spec.then.value
                    ):
                        changed = True
        return frozenset(chosen)

    def _equals_operand(self, cond: Condition) -> Any:
        """The operand an `equals` pattern compares with, normalised as compiled."""
        return self._normalise(cond.symptom, cond.operand)

    def new_engine(self) -> Engine:
        """An engine for one thread; its full network is built on first need and kept."""
        return Engine(self)


def _make_rhs(order: int, spec: RuleSpec) -> Callable[..., None]:
    # a factory, so each closure captures its own rule (not the loop's last one)
    def rhs(engine: Any, **bound: Any) -> None:
        engine.diagnoser_fire(spec, [bound[k] for k in sorted(bound) if k[:1] == "e"])

    rhs.diagnoser_order = order  # type: ignore[attr-defined]
    rhs.__name__ = f"rule_{spec.id}"
    return rhs


def _plain(fact: Any) -> FactIn:
    return FactIn(id=fact["id"], value=fact["value"], cf=fact["cf"], source=fact["source"])


class Engine:
    """Runs the compiled rules; not thread-safe — use one per thread.

    Building the network of every rule is most of a short process's time, and one diagnosis
    reaches only a few rules. So the first runs use engines built from the rules their facts
    can reach (cached per rule set); once those have cost as much as the full network would,
    the full one is built and used from then on. Either fires exactly the same (see
    `CompiledRules.reachable`).
    """

    def __init__(self, compiled: CompiledRules) -> None:
        self._compiled = compiled
        self._full: Any = None
        self._partial: dict[frozenset[int], Any] = {}
        # rules compiled into partial networks so far: the full network is built when this
        # reaches the number of rules
        self._spent = 0
        self._declare: Callable[[Any], Any] = _no_engine
        self._result = RunResult()
        self._sources: dict[str, Source] = {}

    def _knowledge_engine(self, facts: Iterable[tuple[str, Any]]) -> Any:
        if self._full is not None:
            return self._full
        compiled = self._compiled
        orders = compiled.reachable(facts)
        ke = self._partial.get(orders)
        if ke is not None:
            return ke
        if self._spent + len(orders) >= len(compiled.rules):
            self.prepare()
            return self._full
        self._spent += len(orders)
        ke = self._partial[orders] = self._new(compiled.engine_class(orders))
        return ke

    def prepare(self) -> None:
        """Build the network of every rule now (a long-running service does, before traffic)."""
        if self._full is None:
            self._full = self._new(self._compiled.engine_class())
            self._partial.clear()

    @property
    def rules_built(self) -> int:
        """How many rules the networks this engine built hold (all of them once prepared)."""
        return len(self._compiled.rules) if self._full is not None else self._spent

    def _new(self, engine_class: type[Any]) -> Any:
        ke = engine_class()
        ke.diagnoser_fire = self._fire
        return ke

    def _fire(self, spec: RuleSpec, facts: list[Any]) -> None:
        premise = min((f["cf"] for f in facts), default=1.0)
        then = spec.then
        cf = round(then.certainty * premise, 6)
        evidence = tuple(_plain(f) for f in {id(f): f for f in facts}.values())
        self._result.firings.append(Firing(spec.id, then.fault, then.derive, cf, evidence))
        if then.derive is not None:
            self._declare(SymptomFact.of(then.derive, then.value, cf, self._by_rule(spec.id)))

    def _by_rule(self, rule: str) -> Source:
        """Source.by_rule(rule), made once per rule (a Source is immutable)."""
        source = self._sources.get(rule)
        if source is None:
            source = self._sources[rule] = Source.by_rule(rule)
        return source

    def run(self, facts: Iterable[FactIn]) -> RunResult:
        """Reset, declare `facts`, run to quiescence and return the firings."""
        self._result = result = RunResult()
        facts = list(facts)
        ke = self._knowledge_engine((f.id, f.value) for f in facts)
        if type(ke.matcher) is DirectMatcher and _quiet():
            self._run_direct(ke, facts)
        else:
            declared = [SymptomFact.of(f.id, f.value, f.cf, f.source) for f in facts]
            self._declare = ke.declare
            ke.reset()
            if declared:
                ke.declare(*declared)
            ke.run(self._compiled.max_firings)
        if len(result.firings) >= self._compiled.max_firings:
            raise EngineError(
                f"inference did not settle after {self._compiled.max_firings} firings; "
                "check the rules for derivations that feed each other"
            )
        return result

    def _run_direct(self, ke: Any, given: list[FactIn]) -> None:
        """`ke.reset()`, `ke.declare(*facts)` and `ke.run(max_firings)` for an engine whose
        matcher is a DirectMatcher, with experta's own steps and in its order, without what
        costs there and is idle here.

        The same facts get the same ids, the matcher sees the same changes at the same points
        (after the reset, after the given facts, before each firing), the strategy orders
        the same agenda and the same activation fires with the same facts. Left out: the
        watchers' log calls (this path is taken only while they are off, `_quiet`), the checks
        that a fact has no nested accessor (a SymptomFact's keys are fixed) and validate()
        (a SymptomFact declares no fields), the `inspect.signature` of each deffacts and the
        dict of bindings passed to the rule's right-hand side (it reads the `e*` bindings, as
        `_make_rhs` does). A fact built as it is (`SymptomFact.as_is`) has no conditional
        element and known fields: its duplicate key is made from them, and a firing's evidence
        is the FactIn it was made from rather than a copy. Changes are only additions, so the
        matcher's add-only `add` takes them. An engine run is a third of a ticket's work after
        intake, and about half of it was that shell. Hand-written because experta has no
        lighter run loop; tests/test_engine.py and tests/test_engine_random.py compare the
        firings with experta's own matcher and engine on every shipped case and on random
        rule sets.
        """
        matcher = ke.matcher
        update = ke.strategy._update_agenda
        rules = self._compiled.rules
        ke.agenda = agenda = Agenda()
        ke.running = False
        matcher.reset()
        seen: set[frozenset[Any]] = set()
        pending: list[Any] = []
        plain: list[FactIn | None] = []  # by fact id: the FactIn a fact was built from
        firings = self._result.firings
        by_rule = self._by_rule

        def declare(fact: Any, source: FactIn | None = None) -> Any:
            """FactList.declare without duplication: a fact equal to one declared is dropped."""
            if fact.has_field_constraints():
                raise TypeError("Declared facts cannot contain conditional elements")
            key = frozenset([fact.__class__, *((k, v) for k, v in fact.items() if not _special(k))])
            if key in seen:
                return None
            seen.add(key)
            dict.__setitem__(fact, "__factid__", len(plain))
            plain.append(source)
            pending.append(fact)
            return fact

        def declare_in(fact: FactIn) -> None:
            """declare(SymptomFact.of(...)) for the fields of `fact`."""
            built = SymptomFact.as_is(fact.id, fact.value, fact.cf, fact.source)
            if built is None:
                declare(SymptomFact(id=fact.id, value=fact.value, cf=fact.cf, source=fact.source))
                return
            key = frozenset(
                (
                    SymptomFact,
                    ("id", fact.id),
                    ("value", fact.value),
                    ("cf", fact.cf),
                    ("source", fact.source),
                )
            )
            if key in seen:
                return
            seen.add(key)
            dict.__setitem__(built, "__factid__", len(plain))
            plain.append(fact)
            pending.append(built)

        def settle() -> None:
            """The matcher's changes since the last call, into the agenda."""
            if pending:
                added, removed = matcher.add(pending)
                pending.clear()
                update(agenda, added, removed)

        def fire(spec: RuleSpec, facts: list[Any]) -> None:
            """_fire, with each fact's evidence the FactIn it was built from."""
            premise = min((f["cf"] for f in facts), default=1.0)
            then = spec.then
            cf = round(then.certainty * premise, 6)
            evidence = tuple(
                plain[f["__factid__"]] or _plain(f) for f in {id(f): f for f in facts}.values()
            )
            firings.append(Firing(spec.id, then.fault, then.derive, cf, evidence))
            if then.derive is not None:
                declare_in(FactIn(then.derive, then.value, cf, by_rule(spec.id)))

        self._declare = declare
        for deffacts in ke.get_deffacts():  # reset(): InitialFact, and any other deffacts
            for fact in deffacts():
                declare(fact)
        settle()
        for fact in given:
            declare_in(fact)
        settle()
        steps = self._compiled.max_firings
        activations = agenda.activations
        while steps > 0:
            settle()
            if not activations:
                break
            activation = activations.pop()
            steps -= 1
            context = activation.context
            rhs = activation.rule._wrapped
            fire(
                rules[rhs.diagnoser_order],
                [context[k] for k in sorted(context) if k[:1] == "e"],
            )


def _special(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("__") and key.endswith("__")


def _no_engine(fact: Any) -> Any:  # pragma: no cover - _fire runs only inside a run
    raise EngineError("a rule fired outside an engine run")


# experta's loggers (its "watchers"): they log at INFO and DEBUG; while one of them would,
# engines run through experta's own loop, which writes those logs
_WATCHERS = ("FACTS", "RULES", "ACTIVATIONS", "AGENDA", "ENGINE")


def _quiet() -> bool:
    return not any(getattr(watchers, name).isEnabledFor(logging.INFO) for name in _WATCHERS)

"""The experta adapter: the only module of diagnoser that imports experta.

It owns everything experta needs to behave as a library should:

* the Python >= 3.10 install workaround (experta pins frozendict 1.2, which subclasses
  ``collections.Mapping``, removed in 3.10) — an alias that exists only while frozendict is
  first imported;
* undoing the ``logging.basicConfig()`` experta runs at import time;
* a deterministic agenda: ties are broken on the compiled rule's stable order, not on hashes
  that change from process to process;
* removal of retracted activations by equality over the whole agenda (the stock strategy only
  probes neighbours and can fire a rule on a retracted fact);
* predicates that cannot abort a run: every test is guarded and counts as "no match" on error.
"""

from __future__ import annotations

import bisect
import collections
import collections.abc
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import DiagnoserError
from ..facts import FactIn
from ..kb.models import Condition, Group, RuleSpec
from ..result import Source

log = logging.getLogger("diagnoser.engine")


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
from experta import AND, NOT, OR, Fact, KnowledgeEngine, P, Rule  # noqa: E402
from experta.abstract import Strategy  # noqa: E402
from experta.fieldconstraint import L  # noqa: E402
from experta.matchers import ReteMatcher  # noqa: E402
from experta.matchers.rete.check import FeatureCheck  # noqa: E402
from experta.matchers.rete.mixins import NoMemory  # noqa: E402
from experta.matchers.rete.nodes import ConflictSetNode, FeatureTesterNode  # noqa: E402

EXPERTA_VERSION: str = getattr(_experta, "__version__", "1.9.4")


class EngineError(DiagnoserError):
    """The inference run could not complete (e.g. rules that keep deriving new facts)."""


class SymptomFact(Fact):  # type: ignore[misc]
    """Working-memory fact: a symptom id, its value, a certainty and where it came from."""


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


# --- predicates --------------------------------------------------------------------------------


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


# --- agenda ----------------------------------------------------------------------------------


class StableStrategy(Strategy):  # type: ignore[misc]
    """Depth-first like experta's default, with stable tie-breaks and exact removal."""

    @staticmethod
    def _key(activation: Any) -> tuple[Any, ...]:
        order = getattr(activation.rule._wrapped, "diagnoser_order", 0)
        facts = sorted((f["__factid__"] for f in activation.facts), reverse=True)
        # one rule can match the same facts through different alternatives of an `any`;
        # the bindings tell those activations apart, deterministically
        bindings = sorted(
            (name, value["__factid__"])
            for name, value in activation.context.items()
            if isinstance(name, str) and isinstance(value, Fact)
        )
        # the agenda pops from the right: higher salience, newer facts, lower order first
        return (activation.rule.salience, facts, -order, bindings)

    def _update_agenda(self, agenda: Any, added: Iterable[Any], removed: Iterable[Any]) -> None:
        activations = agenda.activations
        for act in removed:
            act.key = self._key(act)
            for i, candidate in enumerate(activations):
                if candidate == act:
                    del activations[i]
                    break
        for act in sorted(added, key=self._key):
            act.key = self._key(act)
            bisect.insort(activations, act)


_MISSING = object()


class FastMatcher(ReteMatcher):  # type: ignore[misc]
    """experta's RETE matcher with three costs removed; what matches is unchanged.

    * Alpha dispatch: a node whose children test the same fact field against literals
      (``id == 'paper_jam'``, ``id == 'cpu_percent'``, …) tries every child in turn. Here such
      children are indexed by the literal, and a fact only visits the children its value selects.
    * Reset: the stock one recurses through children, and nodes shared between rules are reached
      once per path (some 13,000 visits per reset for 70 rules). Here only the nodes that received
      a token since the last reset are cleared — including the pending activations of the
      conflict-set nodes, so nothing survives an aborted run.
    * Changes: the stock one polls every rule's conflict-set node after each change. Here only the
      conflict-set nodes a token reached are asked for activations.
    """

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        seen: dict[int, Any] = {}
        stack = [self.root_node]
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen[id(node)] = node
                stack.extend(child.node for child in node.children)
        self._touched: dict[int, Any] = {}
        self._pending: dict[int, Any] = {}
        for node in seen.values():
            if isinstance(node, FeatureTesterNode):
                self._index_children(node)
            for name in ("_activate", "_activate_left", "_activate_right"):
                if not isinstance(node, NoMemory) and hasattr(node, name):
                    setattr(node, name, self._marking(node, getattr(node, name)))

    def _marking(self, node: Any, activate: Callable[[Any], Any]) -> Callable[[Any], Any]:
        touched = self._touched
        pending = self._pending if isinstance(node, ConflictSetNode) else None

        def marked(token: Any) -> Any:
            touched[id(node)] = node
            if pending is not None:
                pending[id(node)] = node
            return activate(token)

        return marked

    @staticmethod
    def _index_children(node: Any) -> None:
        """Replace the child loop of `node` by a lookup on the literal the children test."""
        literal: dict[Any, list[Any]] = {}
        rest: list[Any] = []
        fields = set()
        for child in node.children:
            check = getattr(child.node, "matcher", None)
            if (
                isinstance(child.node, FeatureTesterNode)
                and isinstance(check, FeatureCheck)
                and isinstance(check.how, L)
                and check.how.__bind__ is None
                and isinstance(check.what, str)
                and "__" not in check.what
            ):
                try:
                    literal.setdefault(check.how.value, []).append(child)
                except TypeError:  # unhashable literal: keep it on the slow path
                    rest.append(child)
                else:
                    fields.add(check.what)
            else:
                rest.append(child)
        if len(fields) != 1 or sum(len(v) for v in literal.values()) < 4:
            return
        (field_name,) = fields
        matcher = node.matcher

        def dispatch(token: Any) -> None:
            # FeatureTesterNode._activate of experta 1.9.4, with the child loop indexed
            (fact,) = token.data
            match = matcher(fact)
            if not match:
                return
            if isinstance(match, Mapping):
                for key, value in match.items():
                    if isinstance(key, tuple):
                        if key[1] in token.context and token.context[key[1]] == value:
                            return
                    else:
                        if token.context.get(key, value) != value:
                            return
                        if (False, key) in token.context and token.context[(False, key)] == value:
                            return
                token.context.update(match)
            try:
                selected = literal.get(fact.get(field_name, _MISSING), ())
            except TypeError:  # an unhashable value equals no literal
                selected = ()
            for child in selected:
                child.callback(token)
            for child in rest:
                child.callback(token)

        node._activate = dispatch

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        for fact in deleting or ():
            self.root_node.remove(fact)
        for fact in adding or ():
            self.root_node.add(fact)
        added: list[Any] = []
        removed: list[Any] = []
        for node in self._pending.values():
            node_added, node_removed = node.get_activations()
            added.extend(node_added)
            removed.extend(node_removed)
        self._pending.clear()
        return added, removed

    def reset(self) -> None:
        for node in self._touched.values():
            node._reset()
            if isinstance(node, ConflictSetNode):
                node.added = set()
                node.removed = set()
        self._touched.clear()
        self._pending.clear()


class _BaseEngine(KnowledgeEngine):  # type: ignore[misc]
    __matcher__ = FastMatcher
    __strategy__ = StableStrategy

    _deffacts_cache: list[Any] | None = None

    def get_deffacts(self) -> list[Any]:
        # stock experta walks every member with inspect.getmembers on each reset()
        if self._deffacts_cache is None:
            self._deffacts_cache = super().get_deffacts()
        return self._deffacts_cache


# --- compiling rules ---------------------------------------------------------------------------

Normaliser = Callable[[str, Any], Any]


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


def _possible(group: Group, available: frozenset[str] | set[str]) -> bool:
    """Whether facts with these ids could satisfy the positive part of `group`."""

    def holds(item: Condition | Group) -> bool:
        return _possible(item, available) if isinstance(item, Group) else item.symptom in available

    return all(holds(i) for i in group.all) and (not group.any or any(holds(i) for i in group.any))


class CompiledRules:
    """A rule set compiled once into experta rules; make one engine per thread."""

    def __init__(
        self,
        rules: Sequence[RuleSpec],
        normalise: Normaliser = _identity,
        max_firings: int = 10_000,
        stock_matcher: bool = False,
    ) -> None:
        """Compile `rules`; `stock_matcher` selects experta's own matcher (for comparisons)."""
        self.rules = tuple(sorted(rules, key=lambda r: r.id))
        self.max_firings = max_firings
        self._members: list[tuple[str, Any]] = []
        for order, spec in enumerate(self.rules):
            lhs = _Compiler(spec, normalise).group(spec.when)
            # derivations run before conclusions so traces read cause → effect
            salience = 10 if spec.then.derive else 0
            self._members.append(
                (f"rule_{order}", Rule(lhs, salience=salience)(_make_rhs(order, spec)))
            )
        self._stock_matcher = stock_matcher
        self._full_class: type[Any] | None = None

    def engine_class(self, orders: Iterable[int] | None = None) -> type[Any]:
        """An experta engine class with the rules of `orders` (all rules when None)."""
        if orders is None:
            if self._full_class is None:
                self._full_class = self._class(self._members)
            return self._full_class
        return self._class([self._members[i] for i in sorted(orders)])

    def _class(self, members: list[tuple[str, Any]]) -> type[Any]:
        namespace: dict[str, Any] = dict(members)
        if self._stock_matcher:
            namespace["__matcher__"] = ReteMatcher
        return type("CompiledEngine", (_BaseEngine,), namespace)

    def reachable(self, fact_ids: Iterable[str]) -> frozenset[int]:
        """The orders of the rules that can fire from facts with these ids.

        A rule fires only when every positive pattern of one of its alternatives matches a
        fact; a fact is declared or derived by a rule that can fire itself. The rules outside
        this set cannot fire, so an engine without them fires exactly the same.
        """
        available = set(fact_ids)
        left = dict(enumerate(self.rules))
        chosen: set[int] = set()
        changed = True
        while changed:
            changed = False
            for order, spec in list(left.items()):
                if _possible(spec.when, available):
                    chosen.add(order)
                    del left[order]
                    if spec.then.derive is not None and spec.then.derive not in available:
                        available.add(spec.then.derive)
                        changed = True
        return frozenset(chosen)

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
        self._ke: Any = None
        self._result = RunResult()

    def _knowledge_engine(self, fact_ids: Iterable[str]) -> Any:
        if self._full is not None:
            return self._full
        compiled = self._compiled
        orders = compiled.reachable(fact_ids)
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
            self._ke.declare(
                SymptomFact(id=then.derive, value=then.value, cf=cf, source=Source.by_rule(spec.id))
            )

    def run(self, facts: Iterable[FactIn]) -> RunResult:
        """Reset, declare `facts`, run to quiescence and return the firings."""
        self._result = result = RunResult()
        facts = list(facts)
        self._ke = ke = self._knowledge_engine(f.id for f in facts)
        ke.reset()
        declared = [SymptomFact(id=f.id, value=f.value, cf=f.cf, source=f.source) for f in facts]
        if declared:
            ke.declare(*declared)
        ke.run(self._compiled.max_firings)
        if len(result.firings) >= self._compiled.max_firings:
            raise EngineError(
                f"inference did not settle after {self._compiled.max_firings} firings; "
                "check the rules for derivations that feed each other"
            )
        return result

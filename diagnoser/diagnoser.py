"""The Diagnoser: knowledge base + compiled rules + intake + ranking + plan."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._resources import default_paths
from .codes import canonical_code
from .diagnosis import (
    Diagnosis,
    Evidence,
    Plan,
    PlanStep,
    RankedFault,
    SymptomRef,
)
from .engine import CompiledRules, Engine, FactIn, Firing
from .intake import Vocabulary, take_in
from .knowledge import KnowledgeBase, load_knowledge_base
from .models import RuleSpec, RuleStatus
from .ticket import Scope, Ticket
from .triage import triage, widest_scope

CODE_RULE_PREFIX = "code."


def combine(certainties: list[float]) -> float:
    """MYCIN combination of positive certainty factors: cf = a + b·(1 − a)."""
    total = 0.0
    for cf in certainties:
        total = total + cf * (1.0 - total)
    return total


def code_rules(kb: KnowledgeBase) -> list[RuleSpec]:
    """Built-in rules: an error code documented for a fault supports that fault.

    The certainty comes from the catalog entry, carried by the code_fault fact.
    """
    faults = sorted({f for s in kb.systems.values() for e in s.codes for f in e.faults})
    return [
        RuleSpec.model_validate(
            {
                "id": f"{CODE_RULE_PREFIX}{fault}",
                "title": f"An error code documented as {fault}",
                "status": "stable",
                "author": "diagnoser",
                "date": dt.date(2026, 11, 24),
                "references": ["knowledge/systems/"],
                "when": {"all": [{"symptom": "code_fault", "equals": fault}]},
                "then": {
                    "fault": fault,
                    "certainty": 1.0,
                    "because": {
                        "zh": "工单中的错误代码在错误代码目录中对应此故障",
                        "en": "an error code in the ticket is documented as this fault",
                    },
                },
            }
        )
        for fault in faults
    ]


def _normalise(symptom: str, value: Any) -> Any:
    return canonical_code(str(value)) if symptom == "error_code" else value


def _fact_order(fact: FactIn) -> tuple[str, str, str, str, float]:
    return (fact.id, type(fact.value).__name__, str(fact.value), fact.source, fact.cf)


def _ref(fact: FactIn) -> SymptomRef:
    return SymptomRef(id=fact.id, value=fact.value, certainty=fact.cf, source=fact.source)


class Diagnoser:
    """Diagnoses tickets against one knowledge base.

    Building one loads and compiles the knowledge base (tens of milliseconds); reuse it.
    A Diagnoser may be shared between threads: each thread gets its own engine.
    """

    def __init__(
        self,
        kb: KnowledgeBase | None = None,
        *,
        min_certainty: float = 0.05,
        max_results: int = 10,
        cache_size: int = 4096,
        stock_matcher: bool = False,
    ) -> None:
        if kb is None:
            kb = load_knowledge_base(*default_paths())
        self.kb = kb
        self.min_certainty = min_certainty
        self.max_results = max_results
        active = [r for r in kb.rules.values() if r.status is not RuleStatus.DEPRECATED]
        self.rules: dict[str, RuleSpec] = {r.id: r for r in [*active, *code_rules(kb)]}
        self._compiled = CompiledRules(
            list(self.rules.values()), normalise=_normalise, stock_matcher=stock_matcher
        )
        self._vocab = Vocabulary.build(kb)
        self._local = threading.local()
        # engine results keyed by the canonical fact set: backlogs repeat symptom sets heavily
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[FactIn, ...], tuple[Firing, ...]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0

    @classmethod
    def from_paths(
        cls,
        rules: str | Path | None = None,
        knowledge: str | Path | None = None,
        **options: Any,
    ) -> Diagnoser:
        """A Diagnoser over another knowledge base; a missing path means the shipped one."""
        default_rules, default_knowledge = default_paths()
        kb = load_knowledge_base(rules or default_rules, knowledge or default_knowledge)
        return cls(kb, **options)

    def _engine(self) -> Engine:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = self._compiled.new_engine()
        return engine

    def diagnose(self, ticket: Ticket | Mapping[str, Any]) -> Diagnosis:
        """Diagnose one ticket (a Ticket or a dict with the ticket fields)."""
        parsed = Ticket.parse(dict(ticket) if isinstance(ticket, Mapping) else ticket)
        intake = take_in(parsed, self.kb, self._vocab)
        # a canonical order, so equal fact sets give equal runs (and may share a cache entry)
        facts = tuple(sorted(intake.facts, key=_fact_order))
        firings = self._run(facts)
        return self._conclude(parsed, list(facts), intake.unrecognised, list(firings))

    def _run(self, facts: tuple[FactIn, ...]) -> tuple[Firing, ...]:
        if self.cache_size <= 0:
            return tuple(self._engine().run(facts).firings)
        with self._cache_lock:
            cached = self._cache.get(facts)
            if cached is not None:
                self._cache.move_to_end(facts)
                self.cache_hits += 1
                return cached
            self.cache_misses += 1
        firings = tuple(self._engine().run(facts).firings)
        with self._cache_lock:
            self._cache[facts] = firings
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return firings

    def _conclude(
        self,
        ticket: Ticket,
        facts: list[FactIn],
        unrecognised: list[Any],
        firings: list[Firing],
    ) -> Diagnosis:
        best: dict[str, dict[str, Firing]] = {}
        derived: list[FactIn] = []
        for firing in firings:
            if firing.fault is not None:
                per_rule = best.setdefault(firing.fault, {})
                old = per_rule.get(firing.rule)
                if old is None or firing.certainty > old.certainty:
                    per_rule[firing.rule] = firing
            elif firing.derive is not None:
                then = self.rules[firing.rule].then
                derived.append(
                    FactIn(firing.derive, then.value, firing.certainty, f"rule:{firing.rule}")
                )
        ranked: list[RankedFault] = []
        for fault_id, per_rule in best.items():
            supporting = sorted(per_rule.values(), key=lambda f: (-f.certainty, f.rule))
            certainty = round(combine([f.certainty for f in supporting]), 4)
            if certainty < self.min_certainty:
                continue
            fault = self.kb.faults[fault_id]
            ranked.append(
                RankedFault(
                    fault_id=fault_id,
                    category=fault.category,
                    title=fault.title,
                    severity=fault.severity,
                    certainty=certainty,
                    evidence=tuple(
                        Evidence(
                            rule=f.rule,
                            certainty=f.certainty,
                            because=self.rules[f.rule].then.because,
                            symptoms=tuple(_ref(e) for e in f.evidence),
                        )
                        for f in supporting
                    ),
                )
            )
        ranked.sort(key=lambda r: (-r.certainty, r.fault_id))
        ranked = ranked[: self.max_results]

        all_facts = [*facts, *derived]
        scope = widest_scope(str(f.value) for f in all_facts if f.id == "scope")
        top = ranked[0] if ranked else None
        priority, reason = triage(
            top.severity if top else None,
            scope if isinstance(scope, Scope) else None,
            ticket.affected_users,
        )
        return Diagnosis(
            id=ticket.id,
            diagnoses=tuple(ranked),
            priority=priority,
            priority_reason=reason,
            scope=scope.value if scope else None,
            plan=self.plan(top.fault_id) if top else None,
            unrecognised=tuple(unrecognised),
            symptoms=tuple(_ref(f) for f in all_facts),
            trace=tuple(f"{f.rule} -> {f.fault or f.derive} @{f.certainty:g}" for f in firings),
        )

    def plan(self, fault_id: str) -> Plan:
        """The emergency plan for one fault, from the knowledge base."""
        fault = self.kb.faults[fault_id]
        return Plan(
            fault_id=fault.id,
            steps=tuple(
                PlanStep(phase=s.phase, text=s.text, principles=s.principles)
                for s in fault.emergency_steps
            ),
            workaround=fault.workaround,
            recovery=fault.recovery,
            prevention=fault.prevention,
            customer_notice=fault.customer_notice,
            references=fault.references,
        )

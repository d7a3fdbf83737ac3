"""Every matcher fires exactly like experta's own on seeded random rule and fact sets.

The shipped knowledge base uses only some of what rules can say; these sets use all of it:
nested `all` / `any` / `none`, every operator, derivations that feed further rules, several
facts with one id, identical facts (which experta merges) and values no test expects.
"""

from __future__ import annotations

import random

import pytest

from diagnoser.engine import MatcherKind, compile_rules
from diagnoser.facts import FactIn
from diagnoser.kb.models import RuleSpec
from diagnoser.result import Source, SourceKind

BASE = ("a", "b", "c", "m")
# derived symptoms by level: a level-k rule tests only symptoms below k, so no cycles
LEVELS = (("d1", "d2"), ("e1",))
VALUES = (True, False, "x", "y", "X", 5, 5.0, 7, 95, -3.5, "5", "95", None, float("nan"), ["x"], 0)
SOURCES = (
    Source(kind=SourceKind.TICKET),
    Source(kind=SourceKind.TICKET, field="symptoms"),
    Source.by_rule("elsewhere"),
)


def _condition(rng: random.Random, symptoms: tuple[str, ...]) -> dict:
    derived = [s for s in symptoms if s not in BASE]
    # rules above the first level mostly test what the levels below derive: chains
    chosen = rng.choice(derived) if derived and rng.random() < 0.5 else rng.choice(BASE)
    cond: dict = {"symptom": chosen}
    op = rng.choice(["present"] * 4 + ["equals", "in", "gt", "gte", "lt", "lte", "matches"])
    if op == "equals":
        cond["equals"] = rng.choice(["x", "y", True, False, 5, 7.0])
    elif op == "in":
        cond["in"] = rng.sample(["x", "y", 5, 95, 2.5], rng.randint(1, 3))
    elif op == "matches":
        cond["matches"] = rng.choice(["^x", "\\d", "y$"])
    elif op != "present":
        cond[op] = rng.choice([0, 5, 50, 90])
    return cond


def _group(rng: random.Random, symptoms: tuple[str, ...], depth: int = 0) -> dict:
    def item() -> dict:
        if depth < 2 and rng.random() < 0.25:
            return _group(rng, symptoms, depth + 1)
        return _condition(rng, symptoms)

    group: dict = {}
    if rng.random() < 0.8:
        group["all"] = [item() for _ in range(rng.randint(1, 3))]
    if "all" not in group or rng.random() < 0.4:
        group["any"] = [item() for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.4:
        group["none"] = [_condition(rng, symptoms) for _ in range(rng.randint(1, 2))]
    return group


def _rules(rng: random.Random) -> list[RuleSpec]:
    rules = []
    available = BASE
    for level, derived in enumerate((*LEVELS, ())):
        for n in range(rng.randint(2, 4)):
            then: dict = {"certainty": rng.choice([0.3, 0.5, 0.8, 1.0])}
            if derived and rng.random() < 0.6:
                then["derive"] = rng.choice(derived)
                then["value"] = rng.choice([True, "x", 95])
            else:
                then["fault"] = rng.choice(["network.x", "software.y"])
            when = _group(rng, available)
            below = [s for s in available if s not in BASE]
            if below and rng.random() < 0.7:  # most rules above the first build on a derivation
                when["all"] = [{"symptom": rng.choice(below)}, *when.get("all", ())]
            rules.append(
                RuleSpec.model_validate(
                    {
                        "id": f"r{level}-{n}",
                        "title": "random",
                        "status": "stable",
                        "author": "t",
                        "date": "2026-11-24",
                        "references": ["test"],
                        "when": when,
                        "then": {**then, "because": {"zh": "测试", "en": "test"}},
                    }
                )
            )
        available = (*available, *derived)
    return rules


def _facts(rng: random.Random) -> list[FactIn]:
    symptoms = (*BASE, *BASE, *LEVELS[0], "unknown")
    facts = [
        FactIn(rng.choice(symptoms), rng.choice(VALUES), rng.choice([1.0, 0.9, 0.5]), src)
        for src in rng.choices(SOURCES, k=rng.randint(0, 9))
    ]
    if facts and rng.random() < 0.2:
        facts.append(facts[0])  # an identical fact: experta merges it
    return facts


@pytest.mark.parametrize("seed", range(4))
def test_random_rules_and_facts_fire_alike_with_every_matcher(seed):
    rng = random.Random(seed)
    runs = fired = chained = 0
    for _ in range(12):
        rules = _rules(rng)
        engines = {kind: compile_rules(rules, matcher=kind).new_engine() for kind in MatcherKind}
        for _ in range(8):
            facts = _facts(rng)
            expected = engines[MatcherKind.STOCK].run(facts).firings
            for kind in (MatcherKind.DIRECT, MatcherKind.RETE):
                assert engines[kind].run(facts).firings == expected, (kind, rules, facts)
            runs += 1
            fired += bool(expected)
            chained += any(
                e.source.kind is SourceKind.RULE and e.source.rule != "elsewhere"
                for f in expected
                for e in f.evidence
            )
    # the generator makes runs that fire, and chains that derive, often enough to matter
    assert fired > runs / 3
    assert chained > runs / 20

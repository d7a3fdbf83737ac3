"""The rule index (diagnoser.kb.index): what each rule tests and concludes, walked once."""

from __future__ import annotations

import pickle

import pytest

from diagnoser.kb.index import RuleIndex
from diagnoser.kb.models import RuleSpec, RuleStatus


def rule(ident: str, when: dict, *, status: str = "stable", **then) -> RuleSpec:
    then = {"certainty": 0.5, "because": {"zh": "因为", "en": "because"}, **then}
    return RuleSpec.model_validate(
        {
            "id": ident,
            "title": ident,
            "status": status,
            "author": "tests",
            "date": "2026-01-01",
            "references": ["https://example.com"],
            "when": when,
            "then": then,
        }
    )


NESTED = rule(
    "nested",
    {
        "all": [
            {"symptom": "a"},
            {"any": [{"symptom": "b"}, {"symptom": "c", "gt": 3}], "none": [{"symptom": "x"}]},
        ],
        "any": [{"symptom": "d"}, {"symptom": "e"}],
        "none": [{"symptom": "y"}],
    },
    fault="software.program_error",
)
DERIVE_A = rule("derive-a", {"all": [{"symptom": "p"}], "none": [{"symptom": "q"}]}, derive="a")
DERIVE_P = rule("derive-p", {"any": [{"symptom": "r"}]}, derive="p")
OLD = rule("old", {"all": [{"symptom": "z"}]}, derive="a", status="deprecated")
OTHER = rule("other", {"all": [{"symptom": "a"}]}, fault="network.disconnected", certainty=0.9)

INDEX = RuleIndex([NESTED, DERIVE_A, DERIVE_P, OLD, OTHER])


def test_conditions_in_file_order_with_their_path_and_weight():
    uses = INDEX.conditions("nested")
    assert [(u.symptom, u.path, u.absent, u.weight) for u in uses] == [
        ("a", ("when", "all", 0), False, 1.0),
        ("b", ("when", "all", 1, "any", 0), False, 0.5),
        ("c", ("when", "all", 1, "any", 1), False, 0.5),
        ("x", ("when", "all", 1, "none", 0), True, 0.0),
        ("d", ("when", "any", 0), False, 0.5),
        ("e", ("when", "any", 1), False, 0.5),
        ("y", ("when", "none", 0), True, 0.0),
    ]
    assert uses[2].condition.operator == "gt" and uses[2].condition.operand == 3
    assert [u.symptom for u in uses if u.top_level] == ["a", "d", "e"]


def test_symptoms_tested_positively_and_required_absent_at_any_depth():
    assert INDEX.positive("nested") == {"a", "b", "c", "d", "e"}
    assert INDEX.absent("nested") == {"x", "y"}
    assert INDEX.positive("derive-a") == {"p"} and INDEX.absent("derive-a") == {"q"}


def test_rules_by_symptom_by_fault_and_by_derived_symptom():
    assert INDEX.testing("a") == ("nested", "other")
    assert INDEX.testing("q") == ("derive-a",)  # a `none:` test counts
    assert INDEX.testing("nowhere") == ()
    assert [r.id for r in INDEX.concluding("software.program_error")] == ["nested"]
    assert INDEX.concluding("hardware.printer_failure") == ()
    assert [r.id for r in INDEX.deriving("a")] == ["derive-a", "old"]
    assert set(INDEX.derived()) == {"a", "p"}
    assert INDEX.tested == {"a", "b", "c", "d", "e", "x", "y", "p", "q", "r", "z"}


def test_derivation_edges_count_none_conditions_and_skip_deprecated_rules():
    assert INDEX.derivation_edges() == {"p": {"a"}, "q": {"a"}, "r": {"p"}}


def test_upstream_follows_derivations_through_positive_tests_only():
    assert INDEX.upstream(["a"]) == {"a", "p", "r", "z"}
    assert INDEX.upstream(["b"]) == {"b"}


def test_a_knowledge_base_builds_each_index_once(shipped):
    kb = shipped.kb
    assert kb.rule_index() is kb.rule_index()
    assert kb.rule_index(running=True) is shipped.index
    assert list(kb.rule_index().rules) == list(kb.rules)


def test_the_running_index_holds_what_a_diagnoser_runs(shipped):
    kb = shipped.kb
    running = kb.rule_index(running=True)
    assert all(r.status is not RuleStatus.DEPRECATED for r in running.rules.values())
    builtin = [r for r in running.rules if r not in kb.rules]
    assert builtin and all(r.startswith("code.") for r in builtin)
    assert dict(running.rules) == shipped.rules


def test_the_index_survives_the_compiled_cache(shipped):
    index = pickle.loads(pickle.dumps(shipped.kb.rule_index()))
    assert index.tested == shipped.kb.rule_index().tested
    rule = next(iter(shipped.rules))
    assert list(index.conditions(rule)) == list(shipped.kb.rule_index().conditions(rule))


def _named(group) -> set[str]:
    """The symptoms a condition tree names (the test's own walk, to compare the index with)."""
    out = {c.symptom for c in group.none}
    for item in (*group.all, *group.any):
        out |= _named(item) if hasattr(item, "all") else {item.symptom}
    return out


@pytest.mark.parametrize("symptom", ["paper_jam", "error_code", "cpu_percent"])
def test_rules_testing_a_symptom_are_those_whose_conditions_name_it(shipped, symptom):
    index = shipped.index
    expected = [r.id for r in shipped.rules.values() if symptom in _named(r.when)]
    assert list(index.testing(symptom)) == expected
    assert expected  # the shipped rules test each of these


def test_the_running_index_shares_the_walks_of_the_full_one(shipped):
    full, running = shipped.kb.rule_index(), shipped.index
    shared = [r for r in running.rules if r in full.rules]
    assert shared and all(running.conditions(r) is full.conditions(r) for r in shared)
    again = RuleIndex(
        [NESTED], reuse=RuleIndex([rule("nested", {"all": [{"symptom": "a"}]}, derive="a")])
    )
    assert [u.symptom for u in again.conditions("nested")][:2] == ["a", "b"]  # not the other's

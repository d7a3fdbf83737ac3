"""Ranking (diagnoser.triage.rank): MYCIN combination, one vote per rule, order and ties."""

from __future__ import annotations

import pytest

from diagnoser.engine import Firing
from diagnoser.facts import FactIn
from diagnoser.result import Source
from diagnoser.triage.rank import code_preference, combine, derived_facts, rank, ranked_faults

TEXT = FactIn("paper_jam", True, 0.9, Source.text(0, 6, "jammed"))


def fire(rule: str, fault: str | None, certainty: float, derive: str | None = None) -> Firing:
    return Firing(rule, fault, derive, certainty, (TEXT,))


def test_combine_is_mycin_and_order_free():
    assert combine([]) == 0
    assert combine([0.6]) == 0.6
    assert combine([0.6, 0.5]) == pytest.approx(0.8)
    assert combine([0.5, 0.6, 0.3]) == pytest.approx(combine([0.3, 0.6, 0.5]))
    assert combine([1.0, 0.3]) == 1.0


def test_the_rules_of_a_fault_combine_and_the_strongest_fault_ranks_first():
    ranked = rank(
        [
            fire("a", "hardware.printer_failure", 0.6),
            fire("b", "hardware.printer_failure", 0.5),
            fire("c", "network.disconnected", 0.7),
        ]
    )
    assert [(c.fault_id, c.certainty) for c in ranked] == [
        ("hardware.printer_failure", 0.8),
        ("network.disconnected", 0.7),
    ]
    # the supporting firings, strongest first
    assert [f.rule for f in ranked[0].supporting] == ["a", "b"]


def test_a_rule_firing_twice_counts_once_with_its_best_firing():
    ranked = rank(
        [fire("a", "hardware.printer_failure", 0.4), fire("a", "hardware.printer_failure", 0.6)]
    )
    assert ranked[0].certainty == 0.6
    assert [f.certainty for f in ranked[0].supporting] == [0.6]


def test_ties_are_broken_by_fault_id_whatever_the_firing_order():
    firings = [fire("x", "software.program_error", 0.5), fire("y", "hardware.printer_failure", 0.5)]
    for order in (firings, firings[::-1]):
        assert [c.fault_id for c in rank(order)] == [
            "hardware.printer_failure",
            "software.program_error",
        ]


def test_weak_faults_are_left_out_and_the_list_is_cut():
    firings = [fire(f"r{i}", f"software.f{i}", 0.1 * i) for i in range(1, 6)]
    assert [c.fault_id for c in rank(firings, min_certainty=0.3)] == [
        "software.f5",
        "software.f4",
        "software.f3",
    ]
    assert [c.fault_id for c in rank(firings, max_results=2)] == ["software.f5", "software.f4"]


def test_certainties_are_rounded_to_four_decimals():
    ranked = rank([fire("a", "software.x", 0.33333), fire("b", "software.x", 0.33333)])
    assert ranked[0].certainty == 0.5556  # 0.555552...


def test_derivations_are_facts_with_the_rule_s_value_and_no_fault(shipped):
    rules = shipped.rules
    rule = next(r for r in rules.values() if r.then.derive)
    firings = [
        fire(rule.id, None, 0.8, derive=rule.then.derive),
        fire("x", "software.x", 0.5),
    ]
    (fact,) = derived_facts(firings, rules)
    assert (fact.id, fact.value, fact.cf) == (rule.then.derive, rule.then.value, 0.8)
    assert fact.source == Source.by_rule(rule.id)
    assert [c.fault_id for c in rank(firings)] == ["software.x"]


def test_ranked_faults_carry_the_fault_s_catalog_entry_and_each_rule_s_reason(shipped):
    rule = next(r for r in shipped.rules.values() if r.then.fault)
    fault = shipped.kb.faults[rule.then.fault]
    (ranked,) = ranked_faults(
        rank([fire(rule.id, fault.id, 0.5)]), shipped.kb.faults, shipped.rules
    )
    assert (ranked.fault_id, ranked.category, ranked.severity) == (
        fault.id,
        fault.category,
        fault.severity,
    )
    assert ranked.title == fault.title
    (evidence,) = ranked.evidence
    assert (evidence.rule, evidence.certainty, evidence.because) == (
        rule.id,
        0.5,
        rule.then.because,
    )
    assert [(s.id, s.certainty) for s in evidence.symptoms] == [("paper_jam", 0.9)]


def _code_fact(fault: str, code: str, system: str) -> FactIn:
    return FactIn(
        "code_fault", fault, 0.75, Source.model_construct(kind="code", code=code, system=system)
    )


def test_a_tie_between_the_faults_of_one_code_goes_to_the_one_the_catalog_lists_first(shipped):
    # 5070350 (ECPay, no usable invoice track): invoice_stock_exhausted, then config_error
    stock, config = "operation.invoice_stock_exhausted", "operation.config_error"
    firings = [
        Firing(f"code.{f}", f, None, 0.75, (_code_fact(f, "5070350", "taiwan_einvoice"),))
        for f in (config, stock)
    ]
    prefer = code_preference(firings, shipped.kb.code_meanings)
    assert prefer == {stock: 0, config: 1}
    assert [c.fault_id for c in rank(firings, prefer=prefer)] == [stock, config]
    # without the catalog's order, the tie falls to the fault id
    assert [c.fault_id for c in rank(firings)] == [config, stock]
    # a stronger fault still ranks first whatever the catalog's order
    stronger = [*firings, fire("config-rule", config, 0.5)]
    assert rank(stronger, prefer=prefer)[0].fault_id == config


def test_the_whole_diagnosis_follows_the_catalog_order_on_a_tie(shipped):
    got = shipped.diagnose({"text": "ECPay returns 5070350 when issuing"})
    assert [d.fault_id for d in got.diagnoses][:2] == [
        "operation.invoice_stock_exhausted",
        "operation.config_error",
    ]
    assert got.diagnoses[0].certainty == got.diagnoses[1].certainty

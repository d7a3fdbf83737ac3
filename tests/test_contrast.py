"""What would tell two close faults apart."""

from __future__ import annotations

from diagnoser.kb.models import Condition
from diagnoser.triage.contrast import contrast, describe


def test_close_faults_get_clues_that_separate_them(mini):
    result = mini.diagnose({"text": "the printer jammed and we cannot connect to the server"})
    first, second = result.diagnoses[:2]
    assert abs(first.certainty - second.certainty) <= 0.15
    found = contrast(result, mini.rules)
    assert found is not None
    assert {found.first.fault_id, found.second.fault_id} == {
        "hardware.printer_failure",
        "network.disconnected",
    }
    clues = {c.symptom for c in (*found.for_first, *found.for_second)}
    observed = {s.id for s in result.symptoms}
    assert clues and not clues & observed  # only what the ticket has not said yet
    printer = found.for_first if found.first.fault_id.startswith("hardware") else found.for_second
    assert {c.symptom for c in printer} <= {"printer_offline", "faint_print", "print_failure"}
    # a symptom both faults' rules look for would not tell them apart
    network = found.for_second if printer is found.for_first else found.for_first
    assert not {c.symptom for c in printer} & {c.symptom for c in network}


def test_required_symptoms_of_strong_rules_come_first(mini):
    result = mini.diagnose({"text": "the printer jammed and we cannot connect to the server"})
    found = contrast(result, mini.rules, limit=1)
    assert found is not None
    printer = found.for_first if found.first.fault_id.startswith("hardware") else found.for_second
    # print_failure is the only condition of its rule; the others share an any-list of three
    assert [c.symptom for c in printer] == ["print_failure"]


def test_no_contrast_when_faults_are_far_apart_or_alone(mini):
    alone = mini.diagnose({"text": "printer jammed"})
    assert contrast(alone, mini.rules) is None
    both = mini.diagnose({"text": "the printer jammed and we cannot connect to the server"})
    assert contrast(both, mini.rules, close=0.01) is None


def test_describe_in_both_languages(mini):
    kb = mini.kb
    assert describe(Condition(symptom="paper_jam"), kb, "en") == "paper jam"
    assert describe(Condition(symptom="paper_jam"), kb, "zh") == "卡纸"
    metric = Condition(symptom="cpu_percent", gte=90)
    assert describe(metric, kb, "en").endswith("≥ 90 %")
    scope = Condition.model_validate({"symptom": "scope", "in": ["region", "city"]})
    assert "the whole city" in describe(scope, kb, "en")
    assert "全市" in describe(scope, kb, "zh")
    assert describe(Condition(symptom="error_code", equals="1001"), kb, "en").endswith("1001")

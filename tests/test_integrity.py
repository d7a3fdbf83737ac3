"""Integrity of the shipped knowledge base: loads cleanly, every fault reachable, complete."""

from __future__ import annotations

from diagnoser import lint_knowledge_base
from diagnoser._resources import default_paths
from diagnoser.kb.models import Phase

REQUIRED_FAULTS = {
    "network.disconnected",
    "hardware.printer_failure",
    "software.resource_exhaustion",
}


def test_the_shipped_knowledge_base_has_no_errors_or_warnings():
    issues = lint_knowledge_base(*default_paths())
    assert [str(i) for i in issues] == []


def test_the_five_categories(shipped):
    assert set(shipped.kb.categories) == {
        "software",
        "hardware",
        "network",
        "operation",
        "external",
    }


def test_required_faults_are_there_and_complete(shipped):
    assert set(shipped.kb.faults) >= REQUIRED_FAULTS
    for fault in shipped.kb.faults.values():
        phases = {s.phase for s in fault.emergency_steps}
        assert phases == set(Phase), f"{fault.id}: every phase of the emergency process"
        assert fault.workaround and fault.recovery and fault.prevention, fault.id


def test_every_rule_has_references_and_both_languages(shipped):
    for rule in shipped.kb.rules.values():
        assert rule.references, rule.id
        assert rule.then.because.zh and rule.then.because.en, rule.id


def test_the_issue_examples(shipped):
    assert (
        shipped.diagnose({"error_codes": ["1001"]}).diagnoses[0].fault_id == "network.disconnected"
    )
    assert (
        shipped.diagnose({"text": "开票时提示错误代码1001，无法连接服务器"}).diagnoses[0].fault_id
        == "network.disconnected"
    )
    assert (
        shipped.diagnose({"id": "t1", "text": "the invoice printer jammed"}).diagnoses[0].fault_id
        == "hardware.printer_failure"
    )
    assert (
        shipped.diagnose({"text": "system very slow", "metrics": {"cpu_percent": 97}})
        .diagnoses[0]
        .fault_id
        == "software.resource_exhaustion"
    )

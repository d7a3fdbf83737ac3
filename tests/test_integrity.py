"""Integrity of the shipped knowledge base, and the lint checks that keep any knowledge base whole.

What the file schemas enforce (references on every rule, both languages, the five category ids)
is tested where the schemas are (tests/test_metadata.py, tests/test_knowledge.py); here: the
shipped knowledge base lints clean and has the faults the project promises, and the checks that
go beyond a schema report what they should, where.
"""

from __future__ import annotations

import yaml

from diagnoser import lint_knowledge_base
from diagnoser._resources import default_paths
from diagnoser.errors import IssueSeverity

# the fault catalog whose ids are fixed (issue 3): a knowledge base may add faults, never lose these
REQUIRED_FAULTS = {
    *("software.program_error", "software.data_corruption", "software.version_incompatibility"),
    *("software.resource_exhaustion", "software.duplicate_submission"),
    *("hardware.server_crash", "hardware.printer_failure", "hardware.storage_failure"),
    "hardware.tax_device_failure",
    *("network.congestion", "network.unstable_connection", "network.disconnected"),
    *("operation.user_error", "operation.config_error", "operation.credential_problem"),
    "operation.overdue_filing_lock",
    *("external.platform_outage", "external.power_outage", "external.cyber_attack"),
    "external.natural_disaster",
}


def test_the_shipped_knowledge_base_has_no_errors_or_warnings():
    issues = lint_knowledge_base(*default_paths())
    assert [str(i) for i in issues] == []


def test_the_promised_faults_are_there(shipped):
    assert REQUIRED_FAULTS - set(shipped.kb.faults) == set()


def _fault(knowledge):
    path = knowledge / "faults" / "network" / "network.disconnected.yaml"
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def _save(path, data) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _warnings(rules, knowledge) -> list[str]:
    issues = lint_knowledge_base(rules, knowledge)
    return [str(i) for i in issues if i.severity is IssueSeverity.WARNING]


def test_a_plan_missing_a_phase_of_the_emergency_process_is_reported(kb_copy):
    rules, knowledge = kb_copy
    path, fault = _fault(knowledge)
    fault["emergency_steps"] = [s for s in fault["emergency_steps"] if s["phase"] != "isolate"]
    _save(path, fault)
    line = next(
        n
        for n, text in enumerate(path.read_text("utf-8").splitlines(), 1)
        if text.startswith("emergency_steps:")
    )
    assert _warnings(rules, knowledge) == [
        f"{path}:{line}: warning: no emergency step for the phase isolate: a plan goes through "
        "contain → isolate → contact → fallback [incomplete-plan]"
    ]


def test_a_fault_without_workaround_recovery_or_prevention_is_reported(kb_copy):
    rules, knowledge = kb_copy
    path, fault = _fault(knowledge)
    del fault["workaround"], fault["prevention"]
    _save(path, fault)
    assert sorted(_warnings(rules, knowledge)) == [
        f"{path}:1: warning: fault 'network.disconnected' has no prevention [incomplete-plan]",
        f"{path}:1: warning: fault 'network.disconnected' has no workaround [incomplete-plan]",
    ]


def test_a_missing_category_is_an_error(kb_copy):
    rules, knowledge = kb_copy
    path = knowledge / "categories.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["categories"] = [c for c in data["categories"] if c["id"] != "external"]
    _save(path, data)
    errors = [
        str(i) for i in lint_knowledge_base(rules, knowledge) if i.severity is IssueSeverity.ERROR
    ]
    assert f"{path}:1: error: category 'external' is not defined [invalid]" in errors

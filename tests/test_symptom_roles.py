"""Symptom roles: `none: - role: cause` in a rule stands for every symptom that names a cause."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from diagnoser import Diagnoser, KnowledgeBaseError, load_knowledge_base
from diagnoser._resources import default_paths
from diagnoser._yaml import load_yaml
from diagnoser.errors import IssueSeverity as Severity
from diagnoser.kb.models import SymptomKind, SymptomRole

ISSUING_RULE = "operation/derive-issuing_unexplained.yaml"
# a printer-failure rule of the mini knowledge base, stopped by every cause symptom
_UNLESS_CAUSE = """\
id: print-failure-alone
title: A failed print and nothing else
status: test
author: diagnoser maintainers
date: 2026-12-02
references:
  - docs/sources.md#seed (IV.1 print failure)
when:
  all:
    - symptom: print_failure
  none:
    - role: cause
then:
  fault: hardware.printer_failure
  certainty: 0.4
  because:
    zh: 只说打印失败。
    en: Only a failed print is reported.
"""


def _fired(diagnoser: Diagnoser, ticket: dict[str, object], rule: str) -> bool:
    return any(f.rule == rule for f in diagnoser.diagnose(ticket).trace)


def _mini_with(kb_copy: tuple[Path, Path], rule: str = _UNLESS_CAUSE) -> tuple[Path, Path]:
    rules, knowledge = kb_copy
    (rules / "hardware/print-failure-alone.yaml").write_text(rule, encoding="utf-8")
    return rules, knowledge


def test_default_roles_follow_the_kind(kb_copy):
    kb = load_knowledge_base(*kb_copy)
    assert kb.symptoms["paper_jam"].effective_role is SymptomRole.CAUSE
    assert kb.symptoms["cpu_percent"].kind is SymptomKind.METRIC
    assert kb.symptoms["cpu_percent"].effective_role is SymptomRole.CONTEXT
    assert kb.symptoms["error_code"].effective_role is SymptomRole.CONTEXT
    assert kb.symptoms["code_fault"].effective_role is SymptomRole.CAUSE


def test_a_role_item_expands_to_the_symptoms_of_that_role(kb_copy):
    rules, knowledge = _mini_with(kb_copy)
    kb = load_knowledge_base(rules, knowledge)
    rule = kb.rules["print-failure-alone"]
    absent = [c.symptom for c in rule.when.none]
    assert rule.when.none_roles == (SymptomRole.CAUSE,)
    assert {"paper_jam", "network_down", "high_cpu", "code_fault"} <= set(absent)
    assert "cpu_percent" not in absent  # a metric: its derived flag (high_cpu) is the cause
    assert len(absent) == len(set(absent))
    diagnoser = Diagnoser.from_paths(rules=rules, knowledge=knowledge)
    assert _fired(diagnoser, {"text": "打印失败"}, "print-failure-alone")
    assert not _fired(diagnoser, {"text": "打印失败，卡纸了"}, "print-failure-alone")
    assert not _fired(
        diagnoser, {"text": "打印失败", "metrics": {"cpu_percent": 97}}, "print-failure-alone"
    )


def test_a_declared_context_symptom_does_not_stop_the_rule(kb_copy):
    rules, knowledge = _mini_with(kb_copy)
    core = knowledge / "symptoms/core.yaml"
    text = core.read_text(encoding="utf-8")
    assert "  - id: citywide_reports\n" in text
    diagnoser = Diagnoser.from_paths(rules=rules, knowledge=knowledge)
    assert not _fired(diagnoser, {"text": "全市都打印失败"}, "print-failure-alone")
    core.write_text(
        text.replace("  - id: citywide_reports\n", "  - id: citywide_reports\n    role: context\n"),
        encoding="utf-8",
    )
    diagnoser = Diagnoser.from_paths(rules=rules, knowledge=knowledge)
    assert _fired(diagnoser, {"text": "全市都打印失败"}, "print-failure-alone")


def test_lint_reports_a_condition_the_role_covers_and_an_unknown_role(kb_copy):
    rules, knowledge = _mini_with(
        kb_copy,
        _UNLESS_CAUSE.replace(
            "    - role: cause\n", "    - symptom: paper_jam\n    - role: cause\n"
        ),
    )
    kb = load_knowledge_base(rules, knowledge)
    (warning,) = [i for i in kb.issues if i.code == "redundant"]
    assert warning.severity is Severity.WARNING
    assert "print-failure-alone.yaml:12:" in str(warning) and "'paper_jam'" in str(warning)
    (rules / "hardware/print-failure-alone.yaml").write_text(
        _UNLESS_CAUSE.replace("role: cause", "role: reason"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(rules, knowledge)
    assert any("none_roles" in str(i) and "cause" in str(i) for i in info.value.issues)


def test_a_rule_deriving_a_cause_symptom_is_not_stopped_by_itself(kb_copy):
    rules, knowledge = kb_copy
    (rules / "software/derive-jam-alone.yaml").write_text(
        _UNLESS_CAUSE.replace("id: print-failure-alone", "id: derive-jam-alone").replace(
            "  fault: hardware.printer_failure\n", "  derive: paper_jam\n"
        ),
        encoding="utf-8",
    )
    kb = load_knowledge_base(rules, knowledge)
    absent = {c.symptom for c in kb.rules["derive-jam-alone"].when.none}
    assert "paper_jam" not in absent and "printer_offline" in absent


@pytest.fixture(scope="module")
def shipped_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A writable copy of the shipped knowledge base."""
    rules, knowledge = default_paths()
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(rules, root / "rules")
    shutil.copytree(knowledge, root / "knowledge")
    return root / "rules", root / "knowledge"


@pytest.mark.parametrize(
    ("path", "written"),
    [
        # only the routing to other rules is written out: a platform named, a region or city
        (ISSUING_RULE, ["scope", "system"]),
        # one user alone is no platform's doing
        ("external/platform-cannot-issue-unexplained.yaml", ["scope"]),
        # the weak "nothing explains it" rules: the platform's signs, and a peak for slowness
        ("software/program-error-unexplained.yaml", ["other_merchants_affected", "scope"]),
        (
            "software/resource-slow-unexplained.yaml",
            ["other_merchants_affected", "peak_period", "scope"],
        ),
    ],
)
def test_the_unexplained_rules_name_no_cause_symptom_by_hand(path, written):
    rules, _ = default_paths()
    data, _lines = load_yaml(rules / path)
    none = data["when"]["none"]
    assert {"role": "cause"} in none
    assert sorted(i["symptom"] for i in none if "symptom" in i) == written


@pytest.mark.parametrize(
    ("role", "fires"),
    [(None, False), ("cause", False), ("context", True)],
)
def test_a_new_cause_symptom_stops_the_issuing_rule_without_an_edit(shipped_copy, role, fires):
    rules, knowledge = shipped_copy
    before = (rules / ISSUING_RULE).read_bytes()
    declared = f"\n    role: {role}" if role else ""
    (knowledge / "symptoms/zz-added.yaml").write_text(
        "symptoms:\n  - id: receipt_roll_soaked\n"
        f"    name: {{zh: 发票纸受潮, en: the invoice paper got wet}}{declared}\n",
        encoding="utf-8",
    )
    diagnoser = Diagnoser.from_paths(rules=rules, knowledge=knowledge)
    rule = "derive-issuing_unexplained"
    assert _fired(diagnoser, {"text": "开不了票"}, rule)
    ticket = {"text": "开不了票", "symptoms": ["receipt_roll_soaked"]}
    assert _fired(diagnoser, ticket, rule) is fires
    assert (rules / ISSUING_RULE).read_bytes() == before


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ("program-error-unexplained", "网络没问题，就是开票软件一打开就闪退"),
        ("program-error-unexplained", "printer prints a test page, the invoicing app crashes"),
        ("resource-slow-unexplained", "the billing app is very slow, the portal works fine"),
        ("resource-slow-unexplained", "开票软件很卡，网络是正常的"),
    ],
)
def test_what_still_works_names_no_cause(rule, text):
    """A network, printer or portal said to work rules a cause out; it explains nothing."""
    assert _fired(Diagnoser(), {"text": text}, rule)


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (
            "program-error-unexplained",
            "the invoicing app shows an error and the same invoice went out twice",
        ),
        ("resource-slow-unexplained", "开票软件很卡，同一张票开了两张"),
    ],
)
def test_a_cause_the_old_hand_lists_missed_stops_the_unexplained_rules(rule, text):
    assert not _fired(Diagnoser(), {"text": text}, rule)

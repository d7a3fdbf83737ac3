"""Loading the knowledge base: strict models, and every problem reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnoser import Diagnoser, KnowledgeBaseError, lint_knowledge_base, load_knowledge_base
from diagnoser.errors import IssueSeverity as Severity

PRINTER_RULE = "hardware/printer-print-failure.yaml"


def _errors(rules: Path, knowledge: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(rules, knowledge)
    return [str(i) for i in info.value.issues if i.severity is Severity.ERROR]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_mini_knowledge_base_loads_cleanly(kb_copy):
    kb = load_knowledge_base(*kb_copy)
    assert set(kb.categories) == {"software", "hardware", "network", "operation", "external"}
    assert "network.disconnected" in kb.faults
    assert kb.faults["network.disconnected"].category == "network"
    assert not [i for i in kb.issues if i.severity is Severity.ERROR]


def test_all_problems_are_reported_at_once_with_file_and_line(kb_copy):
    rules, knowledge = kb_copy
    # 1. a rule names an unknown fault (line 12 of the file: then.fault)
    _edit(rules / PRINTER_RULE, "fault: hardware.printer_failure", "fault: hardware.printer_fail")
    # 2. certainty out of range (line 15)
    _edit(rules / "hardware/printer-jam-or-offline.yaml", "certainty: 0.75", "certainty: 1.5")
    # 3. file name differs from the id
    (rules / "network/network-cannot-connect.yaml").rename(rules / "network/renamed.yaml")
    # 4. duplicate id: a second file with the same id
    dup = (rules / "software/resource-high-usage.yaml").read_text(encoding="utf-8")
    (rules / "resource-high-usage.yaml").write_text(dup, encoding="utf-8")
    # 5. malformed YAML
    (rules / "software/broken.yaml").write_text("id: broken\nwhen: [unclosed\n", encoding="utf-8")
    # 6. a rule names an unknown symptom
    _edit(
        rules / "network/network-1001-local.yaml",
        "symptom: connection_timeout",
        "symptom: conection_timeout",
    )

    errors = _errors(rules, knowledge)
    text = "\n".join(errors)
    assert (
        f"{rules / PRINTER_RULE}:12: error: unknown fault 'hardware.printer_fail' "
        "(did you mean 'hardware.printer_failure'?)" in text
    )
    assert (
        "printer-jam-or-offline.yaml:15: error: then.certainty: Input should be less than "
        "or equal to 1 (got 1.5)" in text
    )
    assert "renamed.yaml:1: error: id 'network-cannot-connect' does not match the file name" in text
    assert "duplicate rule id 'resource-high-usage'" in text
    assert "broken.yaml:2: error: malformed YAML" in text
    assert (
        "network-1001-local.yaml:14: error: unknown symptom 'conection_timeout' "
        "(did you mean 'connection_timeout'?)" in text
    )
    assert len(errors) == 6


def test_unknown_keys_are_rejected_with_a_suggestion(kb_copy):
    rules, knowledge = kb_copy
    _edit(rules / PRINTER_RULE, "status: stable", "status: stable\nauthr: someone")
    (error,) = _errors(rules, knowledge)
    assert (
        "printer-print-failure.yaml:4: error: unknown key 'authr' (did you mean 'author'?)" in error
    )


def test_operators_are_a_closed_set(kb_copy):
    rules, knowledge = kb_copy
    _edit(rules / "software/derive-high_cpu.yaml", "gte: 90", "between: [90, 100]")
    (error,) = _errors(rules, knowledge)
    assert "derive-high_cpu.yaml:11" in error and "unknown key 'between'" in error


def test_one_operator_per_condition(kb_copy):
    rules, knowledge = kb_copy
    _edit(rules / "software/derive-high_cpu.yaml", "gte: 90", "gte: 90\n      lt: 100")
    (error,) = _errors(rules, knowledge)
    assert "one operator per condition, got gte, lt" in error


def test_an_unquoted_error_code_is_caught_before_yaml_changes_it(kb_copy):
    rules, knowledge = kb_copy
    _edit(knowledge / "systems/demo_printer.yaml", 'code: "0x11"', "code: 0x11")
    (error,) = _errors(rules, knowledge)
    assert "demo_printer.yaml:12: error: codes.1.code:" in error
    assert "must be a quoted string" in error and "17" in error  # YAML read 0x11 as 17


def test_a_derivation_cycle_is_rejected(kb_copy):
    rules, knowledge = kb_copy
    (rules / "software/derive-back.yaml").write_text(
        (rules / "software/derive-high_cpu.yaml")
        .read_text(encoding="utf-8")
        .replace("id: derive-high_cpu", "id: derive-back")
        .replace("symptom: cpu_percent\n      gte: 90", "symptom: high_cpu")
        .replace("derive: high_cpu", "derive: high_memory"),
        encoding="utf-8",
    )
    (rules / "software/derive-forth.yaml").write_text(
        (rules / "software/derive-high_cpu.yaml")
        .read_text(encoding="utf-8")
        .replace("id: derive-high_cpu", "id: derive-forth")
        .replace("symptom: cpu_percent\n      gte: 90", "symptom: high_memory"),
        encoding="utf-8",
    )
    errors = _errors(rules, knowledge)
    assert any("cycle" in e and "high_cpu → high_memory → high_cpu" in e for e in errors)


def test_a_cycle_through_none_conditions_is_rejected(kb_copy):
    # "a unless b" and "b unless a": which one holds would depend on the firing order
    rules, knowledge = kb_copy
    template = (rules / "software/derive-high_cpu.yaml").read_text(encoding="utf-8")
    for name, derive, unless in (
        ("a", "high_cpu", "high_memory"),
        ("b", "high_memory", "high_cpu"),
    ):
        (rules / f"software/derive-unless-{name}.yaml").write_text(
            template.replace("id: derive-high_cpu", f"id: derive-unless-{name}")
            .replace("      gte: 90", f"      gte: 90\n  none:\n    - symptom: {unless}")
            .replace("derive: high_cpu", f"derive: {derive}"),
            encoding="utf-8",
        )
    errors = _errors(rules, knowledge)
    assert any("cycle" in e and "high_cpu → high_memory → high_cpu" in e for e in errors), errors


def test_emergency_steps_must_follow_the_seed_order(kb_copy):
    rules, knowledge = kb_copy
    path = knowledge / "faults/hardware/hardware.printer_failure.yaml"
    _edit(path, "  - phase: contain", "  - phase: fallback")
    (error,) = _errors(rules, knowledge)
    assert "contain → isolate → contact → fallback" in error


def test_unreachable_faults_are_warnings_not_errors(kb_copy):
    rules, knowledge = kb_copy
    (rules / PRINTER_RULE).unlink()
    (rules / "hardware/printer-jam-or-offline.yaml").unlink()
    _edit(
        knowledge / "systems/demo_printer.yaml",
        "faults: [hardware.printer_failure]",
        "faults: [network.disconnected]",
    )
    _edit(
        knowledge / "systems/demo_printer.yaml",
        "faults: [hardware.printer_failure]",
        "faults: [network.disconnected]",
    )
    issues = lint_knowledge_base(rules, knowledge)
    (warning,) = [i for i in issues if i.code == "unreachable"]
    assert warning.severity is Severity.WARNING and "hardware.printer_failure" in warning.message
    Diagnoser.from_paths(rules=rules, knowledge=knowledge)  # still loads


def test_missing_directories_are_reported(tmp_path):
    errors = _errors(tmp_path / "no-rules", tmp_path / "no-knowledge")
    assert any("rules directory does not exist" in e for e in errors)
    assert any("knowledge directory does not exist" in e for e in errors)


def test_deprecated_rules_are_not_compiled(kb_copy):
    rules, knowledge = kb_copy
    _edit(rules / "hardware/printer-jam-or-offline.yaml", "status: stable", "status: deprecated")
    d = Diagnoser.from_paths(rules=rules, knowledge=knowledge)
    assert "printer-jam-or-offline" in d.kb.rules
    assert "printer-jam-or-offline" not in d.rules


def test_a_broken_pattern_is_named(kb_copy):
    rules, knowledge = kb_copy
    _edit(knowledge / "symptoms/core.yaml", "zh: ['卡纸', '夹纸']", "zh: ['卡纸', '夹(纸']")
    (error,) = _errors(rules, knowledge)
    assert "core.yaml" in error and "zh[1]: invalid regular expression" in error


def test_unchecked_patterns_are_reported_when_first_needed(kb_copy):
    from diagnoser import Diagnoser

    rules, knowledge = kb_copy
    _edit(knowledge / "symptoms/core.yaml", "zh: ['卡纸', '夹纸']", "zh: ['卡纸', '夹(纸']")
    kb = load_knowledge_base(rules, knowledge, check_patterns=False)
    d = Diagnoser(kb)
    assert d.diagnose({"error_codes": ["1001"]}).diagnoses  # no text: patterns not needed
    with pytest.raises(KnowledgeBaseError, match=r"core\.yaml:\d+: error: symptom 'paper_jam'"):
        d.diagnose({"text": "printer jammed"})


def test_a_rule_that_reads_the_raw_text_is_a_warning_naming_its_line(kb_copy):
    """A rule on `text` makes every ticket's facts unique, so a batch shares no engine run:
    lint says so where the condition is, and the knowledge base still loads."""
    rules, knowledge = kb_copy
    _edit(
        rules / "hardware/printer-print-failure.yaml",
        "    - symptom: print_failure\n",
        "    - symptom: print_failure\n    - symptom: text\n      matches: '卡纸'\n",
    )
    issues = lint_knowledge_base(rules, knowledge)
    (warning,) = [i for i in issues if i.code == "raw-text"]
    assert warning.severity is Severity.WARNING
    assert "printer-print-failure.yaml:" in str(warning) and "raw text" in warning.message
    Diagnoser.from_paths(rules=rules, knowledge=knowledge)


def test_the_shipped_rules_read_no_raw_text():
    from diagnoser._resources import default_paths

    assert not [i for i in lint_knowledge_base(*default_paths()) if i.code == "raw-text"]


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+$", "(a|a)*b", "(x*y?)*$", r"(\w+\s?)+$", "(ax|[a-z]x)*y"],
)
def test_lint_rejects_a_symptom_pattern_that_backtracks_without_bound(kb_copy, pattern):
    # such a pattern runs on every ticket text and can hang a worker on a short one
    rules, knowledge = kb_copy
    _edit(knowledge / "symptoms/core.yaml", "zh: ['卡纸', '夹纸']", f"zh: ['卡纸', '{pattern}']")
    (error,) = _errors(rules, knowledge)
    assert "core.yaml:" in error and "zh[1]" in error and "backtrack without bound" in error


def test_a_rule_matches_pattern_that_backtracks_is_refused_at_load(kb_copy):
    rules, knowledge = kb_copy
    _edit(
        rules / "hardware/printer-print-failure.yaml",
        "    - symptom: print_failure\n",
        "    - symptom: print_failure\n    - symptom: text\n      matches: '(a|a)*$'\n",
    )
    errors = _errors(rules, knowledge)
    assert any(
        "printer-print-failure.yaml" in e and "backtrack without bound" in e for e in errors
    ), errors


@pytest.mark.parametrize(
    "pattern",
    [
        "打印机(显示)?(脱机|离线)",
        r"[a-z]+(?:-[a-z]+)*",
        r"(\s*,)*\s*$",
        "upload(s|ing)? (keeps? |are |is |have |has |still )*(failed|fails)",
        r"(\w|\d)+$",
        "(?:error|err)+",
    ],
)
def test_patterns_that_split_their_text_one_way_pass(pattern):
    from diagnoser.kb.redos import backtracking_risk

    assert backtracking_risk(pattern) is None

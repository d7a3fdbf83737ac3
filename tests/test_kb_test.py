"""`diagnoser kb test`: rule cases assert their own rule, scenarios the whole knowledge base."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from diagnoser.cli import cli

# a ticket on which each rule of the mini knowledge base fires, and the certainty it fires with
FIRES = {
    "network-1001-local": ({"text": "error 1001, cannot connect to the server"}, 0.63),
    "network-cannot-connect": ({"text": "cannot connect to the server"}, 0.54),
    "printer-print-failure": ({"text": "the printer does not print"}, 0.45),
    "printer-jam-or-offline": ({"text": "the printer jammed"}, 0.675),
    "derive-high_cpu": ({"metrics": {"cpu_percent": 97}}, 1.0),
    "derive-high_memory": ({"metrics": {"memory_percent": 95}}, 1.0),
    "derive-disk_full": ({"metrics": {"disk_percent": 99}}, 1.0),
    "resource-high-usage": ({"metrics": {"cpu_percent": 97}}, 0.6),
    "resource-slow-under-load": ({"text": "very slow", "metrics": {"cpu_percent": 97}}, 0.765),
}

JAM_SCENARIO = {
    "name": "a jam is the printer",
    "ticket": {"text": "the printer jammed"},
    "top": "hardware.printer_failure",
    "excludes": ["network.disconnected"],
}


def _write(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _cases(rules, fires=FIRES) -> None:
    for rule, (ticket, certainty) in fires.items():
        _write(
            rules / "cases" / f"{rule}.yaml",
            {
                "rule": rule,
                "cases": [
                    {"name": "fires", "ticket": ticket, "fires": True, "certainty": certainty},
                    {"name": "quiet", "ticket": {"text": "hello"}, "fires": False},
                ],
            },
        )


def _scenarios(rules, *scenarios, file: str = "printing") -> None:
    _write(rules / "scenarios" / f"{file}.yaml", {"scenarios": list(scenarios or [JAM_SCENARIO])})


def _kb_test(rules, knowledge):
    return CliRunner().invoke(
        cli, ["kb", "test", "--rules", str(rules), "--knowledge", str(knowledge)]
    )


def _set_case(rules, rule, **changes) -> None:
    path = rules / "cases" / f"{rule}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cases"][0].update(changes)
    data["cases"][0] = {k: v for k, v in data["cases"][0].items() if v is not None}
    _write(path, data)


def test_lint_and_test_pass_on_a_clean_knowledge_base(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _scenarios(rules)
    paths = ("--rules", str(rules), "--knowledge", str(knowledge))
    lint = CliRunner().invoke(cli, ["kb", "lint", *paths])
    assert lint.exit_code == 0, lint.output
    assert "0 error(s), 0 warning(s)" in lint.output
    test = _kb_test(rules, knowledge)
    assert test.exit_code == 0, test.output
    assert (
        "cases: 18 passed, 0 failed (0 known gaps); scenarios: 1 passed, 0 failed "
        "(0 known gaps); 0 problem(s)"
    ) in test.output
    assert "FAIL" not in test.output


def test_a_case_whose_rule_does_not_fire_fails_with_its_file_and_line(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _set_case(rules, "printer-jam-or-offline", ticket={"text": "all is fine"})
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    case = rules / "cases" / "printer-jam-or-offline.yaml"
    assert f"FAIL {case}:3: printer-jam-or-offline: fires: rule printer-jam-or-offline" in (
        result.output
    )
    assert "did not fire (fired: none)" in result.output
    assert "cases: 17 passed, 1 failed" in result.output


def test_a_case_where_the_rule_must_not_fire_fails_when_it_fires(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _set_case(rules, "printer-jam-or-offline", fires=False, certainty=None)
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "rule printer-jam-or-offline fired but must not" in result.output


def test_a_case_checks_the_certainty_its_rule_fires_with(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _set_case(rules, "printer-jam-or-offline", certainty=0.6)
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "fired with certainty 0.675, expected 0.6" in result.output


def test_a_firing_case_without_a_certainty_says_which_to_write(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _set_case(rules, "printer-jam-or-offline", certainty=None)
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "the case gives none: add `certainty: 0.675`" in result.output


def test_a_ranking_in_a_rule_case_is_refused_and_sent_to_the_scenarios(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _set_case(rules, "printer-jam-or-offline", top="hardware.printer_failure")
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    case = rules / "cases" / "printer-jam-or-offline.yaml"
    assert f"{case}:8: error: cases.0.top: asserts the ranking of the whole knowledge" in (
        result.output
    )
    assert "move it to a scenario in rules/scenarios/" in result.output


def test_adding_a_rule_breaks_no_other_rule_s_cases_only_the_scenario_it_changes(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _scenarios(rules)
    # a new, stronger rule that puts a network fault first for a paper jam
    rule = yaml.safe_load((rules / "hardware/printer-jam-or-offline.yaml").read_text("utf-8"))
    rule.update(id="jam-is-network", title="A jam means the network (wrongly)")
    rule["then"] = {**rule["then"], "fault": "network.disconnected", "certainty": 0.95}
    _write(rules / "network/jam-is-network.yaml", rule)
    _cases(rules, {"jam-is-network": ({"text": "the printer jammed"}, 0.855)})
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "cases: 20 passed, 0 failed" in result.output
    scenarios = rules / "scenarios" / "printing.yaml"
    assert (
        f"FAIL {scenarios}:2: scenario a jam is the printer: expected hardware.printer_failure "
        "first, got ['network.disconnected', 'hardware.printer_failure']; "
        "network.disconnected must not be diagnosed"
    ) in result.output
    assert "scenarios: 0 passed, 1 failed" in result.output


def test_scenarios_check_what_is_included_and_excluded(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _scenarios(
        rules,
        {
            "name": "holds",
            "ticket": {"text": "the printer jammed"},
            "includes": ["hardware.printer_failure"],
        },
        {"name": "missing", "ticket": {"text": "hello"}, "includes": ["network.disconnected"]},
        {
            "name": "unwanted",
            "ticket": {"text": "the printer jammed"},
            "excludes": ["hardware.printer_failure"],
        },
    )
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "scenario missing: expected network.disconnected among the diagnoses" in result.output
    assert "scenario unwanted: hardware.printer_failure must not be diagnosed" in result.output
    assert "scenario holds" not in result.output
    assert "scenarios: 1 passed, 2 failed" in result.output


def test_a_nothing_scenario_fails_on_any_diagnosis_and_holds_on_none(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _scenarios(
        rules,
        {"name": "a how-to", "ticket": {"text": "hello, how do I add a user?"}, "nothing": True},
        {"name": "a jam", "ticket": {"text": "the printer jammed"}, "nothing": True},
    )
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "scenario a jam: expected no diagnosis, got ['hardware.printer_failure'" in result.output
    assert "scenario a how-to" not in result.output
    assert "scenarios: 1 passed, 1 failed" in result.output


def test_nothing_cannot_also_expect_a_fault(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _scenarios(rules, {**JAM_SCENARIO, "nothing": True}, file="both")
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "'nothing: true' expects no diagnosis" in result.output


def test_a_known_gap_must_fail_and_is_reported_when_it_passes(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    gap = {"known_gap": "the vocabulary lacks it"}
    _scenarios(
        rules,
        {**JAM_SCENARIO, **gap},
        {"name": "still a gap", "ticket": {"text": "hello"}, "top": "network.disconnected", **gap},
    )
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "scenario a jam is the printer: passes but is marked as a known gap" in result.output
    assert "still a gap" not in result.output
    assert "scenarios: 1 passed, 1 failed (2 known gaps)" in result.output


def test_bad_scenario_files_are_problems_with_file_and_line(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _scenarios(
        rules,
        JAM_SCENARIO,
        {**JAM_SCENARIO, "top": "hardware.printer_failur"},
    )
    _scenarios(rules, {"name": "nothing expected", "ticket": {"text": "hello"}}, file="vague")
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    path = rules / "scenarios" / "printing.yaml"
    assert f"{path}:8: error: scenario 'a jam is the printer' is named twice" in result.output
    assert f"{path}:10: error: unknown fault 'hardware.printer_failur'" in result.output
    vague = rules / "scenarios" / "vague.yaml"
    assert f"{vague}:2: error: scenarios.0: a scenario needs at least one of" in result.output
    assert "scenarios: 1 passed, 0 failed (0 known gaps); 3 problem(s)" in result.output


def test_a_scenario_file_without_scenarios_is_a_problem(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    _write(rules / "scenarios" / "empty.yaml", {"scenarios": []})
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert f"{rules / 'scenarios' / 'empty.yaml'}:1: error: no scenarios [schema]" in result.output


def test_a_rule_without_a_negative_case_is_a_problem(kb_copy):
    rules, knowledge = kb_copy
    _cases(rules)
    path = rules / "cases" / "printer-jam-or-offline.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cases"] = data["cases"][:1]
    _write(path, data)
    result = _kb_test(rules, knowledge)
    assert result.exit_code == 1
    assert "rule printer-jam-or-offline has no case where it must not fire [no-case]" in (
        result.output
    )
    assert "cases: 17 passed, 0 failed (0 known gaps)" in result.output


def test_an_invalid_knowledge_base_exits_3(kb_copy, monkeypatch, capsys):
    import pytest

    from diagnoser.cli import main

    rules, knowledge = kb_copy
    (rules / "hardware/printer-print-failure.yaml").write_text("id: [", encoding="utf-8")
    args = ["diagnoser", "kb", "test", "--rules", str(rules), "--knowledge", str(knowledge)]
    monkeypatch.setattr("sys.argv", args)
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 3
    assert "printer-print-failure.yaml:1: error: malformed YAML" in capsys.readouterr().err

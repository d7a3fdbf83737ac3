"""`diagnoser explain`, `diagnoser codes` and `diagnoser kb show`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from diagnoser.cli import cli
from tests.conftest import MINI

KB = ["--rules", str(MINI / "rules"), "--knowledge", str(MINI / "knowledge")]


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


# --- explain -------------------------------------------------------------------------------


def test_explain_a_fault():
    result = run("explain", "network.disconnected", "--lang", "en", *KB)
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("network.disconnected — ")
    for part in ("severity: high", "Causes", "Rules that conclude it", "Emergency plan"):
        assert part in out
    assert "network-1001-local @0.7" in out and "network-cannot-connect @0.6" in out
    assert "generic 1001: Cannot reach the invoicing server @0.7" in out
    assert "network.disconnected.yaml:1" in out


def test_explain_a_fault_as_json():
    data = json.loads(run("explain", "hardware.printer_failure", "-f", "json", *KB).output)
    assert data["kind"] == "fault" and data["category"] == "hardware"
    assert {r["id"] for r in data["rules"]} == {
        "printer-jam-or-offline",
        "printer-print-failure",
        "code.hardware.printer_failure",  # built in: a catalogued code points at it
    }
    assert {(c["system"], c["code"]) for c in data["codes"]} == {
        ("demo_printer", "1001"),
        ("demo_printer", "0x11"),
    }
    assert data["emergency_steps"]


def test_explain_a_rule_with_its_conditions_and_cases():
    result = run("explain", "network-1001-local", "--lang", "en", *KB)
    assert result.exit_code == 0
    out = result.output
    assert "all of:\n    - error_code = 1001 (error code)" in out
    assert "any of:" in out and "- cannot_connect (cannot connect to the server)" in out
    assert "none of:\n    - scope in [region, city] (impact scope)" in out
    assert "fault network.disconnected" in out and "certainty 0.7" in out
    assert "status: stable" in out and "References" in out


def test_explain_a_rule_lists_its_fixture_cases(kb_copy):
    rules, knowledge = kb_copy
    cases = rules / "cases"
    cases.mkdir()
    (cases / "printer-print-failure.yaml").write_text(
        "rule: printer-print-failure\n"
        "cases:\n"
        "  - name: cannot print\n"
        "    ticket: {text: cannot print}\n"
        "    fires: true\n"
        "  - name: nothing about printing\n"
        "    ticket: {text: hello}\n"
        "    fires: false\n",
        encoding="utf-8",
    )
    args = ["--rules", str(rules), "--knowledge", str(knowledge)]
    out = run("explain", "printer-print-failure", "--lang", "en", *args).output
    assert "fires: cannot print" in out and "must not fire: nothing about printing" in out
    data = json.loads(run("explain", "printer-print-failure", "-f", "json", *args).output)
    assert [c["fires"] for c in data["cases"]] == [True, False]
    assert data["when"]["all"][0] == {"symptom": "print_failure"}


def test_explain_a_builtin_code_rule_and_a_symptom():
    code_rule = run("explain", "code.network.disconnected", "--lang", "en", *KB)
    assert code_rule.exit_code == 0 and "built in" in code_rule.output
    symptom = run("explain", "paper_jam", "--lang", "en", *KB)
    assert symptom.exit_code == 0
    assert "printer-jam-or-offline (needs it) → hardware.printer_failure" in symptom.output


def test_explain_in_chinese():
    out = run("explain", "network.disconnected", "--lang", "zh", *KB).output
    assert "常见原因" in out and "应急处理" in out


def test_explain_an_unknown_id_suggests_close_ones():
    result = run("explain", "network-1001", *KB)
    assert result.exit_code == 1
    assert "diagnoser: error: no fault, rule or symptom 'network-1001'" in result.stderr
    assert "did you mean 'network-1001-local'" in result.stderr


# --- codes ---------------------------------------------------------------------------------


def test_a_code_in_every_system_that_knows_it():
    for spelling in ("1001", "E1001", "错误代码1001"):
        result = run("codes", spelling, "--lang", "en", *KB)
        assert result.exit_code == 0, spelling
        assert result.output.startswith("Error code 1001")
        assert "demo_printer — Demo print service" in result.output
        assert "generic — Generic invoicing client" in result.output
        assert "network-1001-local → network.disconnected" in result.output


def test_a_code_in_one_system_as_json():
    result = run("codes", "E1001", "--system", "generic", "-f", "json", *KB)
    data = json.loads(result.output)
    assert data["input"] == "E1001" and data["code"] == "1001"
    assert [m["system"] for m in data["meanings"]] == ["generic"]
    meaning = data["meanings"][0]
    assert meaning["faults"] == ["network.disconnected"] and meaning["certainty"] == 0.7


def test_a_hex_code_is_canonicalised():
    result = run("codes", "0X11", "-f", "json", *KB)
    assert json.loads(result.output)["code"] == "0x11"


def test_an_unknown_code_exits_1_with_close_codes():
    result = run("codes", "1002", *KB)
    assert result.exit_code == 1
    assert "unknown error code '1002'" in result.stderr and "'1001'" in result.stderr


def test_a_code_not_in_the_named_system():
    result = run("codes", "0x11", "--system", "generic", *KB)
    assert result.exit_code == 1
    assert "documented for: demo_printer" in result.stderr


def test_an_unknown_system_is_bad_input():
    result = run("codes", "1001", "--system", "generik", *KB)
    assert result.exit_code == 4 and "did you mean 'generic'" in result.stderr


# --- kb show -------------------------------------------------------------------------------


def test_kb_show_counts():
    result = run("kb", "show", "--lang", "en", *KB)
    assert result.exit_code == 0
    out = result.output
    assert "Categories: 5" in out
    assert "Faults: 3" in out
    assert "Rules: 9 (stable 9); derivations 3" in out
    assert "demo_printer" in out and "2 codes" in out


def test_kb_show_lists_as_json():
    data = json.loads(run("kb", "show", "faults", "rules", "symptoms", "-f", "json", *KB).output)
    assert data["faults"] == 3 and data["rules_by_status"] == {"stable": 9}
    assert data["categories"]["hardware"]["faults"] == 1
    assert data["systems"]["generic"]["codes"] == 1
    assert {f["id"] for f in data["faults_list"]} == {
        "hardware.printer_failure",
        "network.disconnected",
        "software.resource_exhaustion",
    }
    assert any(r["concludes"] == "derive:high_cpu" for r in data["rules_list"])
    assert "systems_list" not in data


def test_kb_show_lists_as_text():
    out = run("kb", "show", "systems", "symptoms", "--lang", "en", *KB).output
    assert "\nSystems\n" in out and "\nSymptoms\n" in out
    assert "paper_jam" in out and "cost 1" in out


def test_knowledge_commands_report_an_invalid_knowledge_base(kb_copy, monkeypatch, capsys):
    import pytest

    from diagnoser.cli import main

    rules, knowledge = kb_copy
    (rules / "hardware" / "printer-print-failure.yaml").write_text("id: [", encoding="utf-8")
    monkeypatch.setattr(
        "sys.argv",
        ["diagnoser", "kb", "show", "--rules", str(rules), "--knowledge", str(knowledge)],
    )
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 3
    assert "printer-print-failure.yaml:1" in capsys.readouterr().err


def test_codes_lists_every_catalogued_code_by_system():
    from diagnoser import Diagnoser

    kb = Diagnoser().kb
    result = CliRunner().invoke(cli, ["codes", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["count"] == sum(len(s.codes) for s in kb.systems.values())
    assert {c["system"] for c in data["codes"]} == {s for s, p in kb.systems.items() if p.codes}
    assert all(c["faults"] and c["message"]["zh"] and c["message"]["en"] for c in data["codes"])


def test_codes_searches_messages_and_filters_by_system_and_fault():
    runner = CliRunner()
    found = json.loads(runner.invoke(cli, ["codes", "duplicate", "-f", "json"]).output)
    assert found["count"] >= 2
    assert all(
        "duplicate" in (c["message"]["en"] + " ".join(c["faults"])).lower() for c in found["codes"]
    )
    irp = json.loads(
        runner.invoke(cli, ["codes", "duplicate", "--system", "india_irp", "-f", "json"]).output
    )
    assert irp["count"] >= 1 and {c["system"] for c in irp["codes"]} == {"india_irp"}
    fault = "software.duplicate_submission"
    by_fault = json.loads(runner.invoke(cli, ["codes", "--fault", fault, "-f", "json"]).output)
    assert by_fault["count"] >= 1 and all(fault in c["faults"] for c in by_fault["codes"])
    text = runner.invoke(cli, ["codes", "--system", "india_irp", "--lang", "en"])
    assert text.exit_code == 0 and "2150" in text.output and "code(s) in 1 system(s)" in text.output


def test_codes_with_nothing_found_exits_1_and_unknown_filters_exit_4():
    runner = CliRunner()
    nothing = runner.invoke(cli, ["codes", "no such words anywhere"])
    assert nothing.exit_code == 1 and "no error code matches" in nothing.stderr
    assert runner.invoke(cli, ["codes", "--fault", "network.nope"]).exit_code == 4
    assert runner.invoke(cli, ["codes", "--system", "nope"]).exit_code == 4

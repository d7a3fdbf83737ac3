"""The command line, driven through click's CliRunner."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from diagnoser import __version__
from diagnoser.cli import cli, main
from tests.conftest import MINI

KB = ["--rules", str(MINI / "rules"), "--knowledge", str(MINI / "knowledge")]


def run(*args: str, env: dict | None = None, input: str | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_diagnose_a_code_as_text():
    result = run("diagnose", "--code", "1001", "--system", "generic", *KB)
    assert result.exit_code == 0
    assert "network.disconnected" in result.output
    assert "Priority: P2" in result.output


def test_diagnose_chinese_text_as_json():
    result = run(
        "diagnose", "--text", "开票时提示错误代码1001，无法连接服务器", "--format", "json", *KB
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["diagnoses"][0]["fault_id"] == "network.disconnected"


def test_report_language_follows_the_input():
    zh = run("diagnose", "--text", "打印机卡纸", *KB)
    en = run("diagnose", "--text", "printer jammed", *KB)
    assert "最可能的故障" in zh.output and "Most likely faults" in en.output
    forced = run("diagnose", "--text", "打印机卡纸", "--lang", "en", *KB)
    assert "Most likely faults" in forced.output


def test_metrics_symptoms_and_scope():
    result = run(
        "diagnose",
        "-m",
        "cpu_percent=97",
        "-s",
        "slow_response",
        "--scope",
        "city",
        "--format",
        "json",
        *KB,
    )
    data = json.loads(result.output)
    assert data["diagnoses"][0]["fault_id"] == "software.resource_exhaustion"
    assert data["priority"] == "P1" and data["scope"] == "city"


def test_text_from_stdin():
    result = run("diagnose", "--text", "-", "--format", "json", *KB, input="the printer jammed\n")
    assert json.loads(result.output)["diagnoses"][0]["fault_id"] == "hardware.printer_failure"


def test_nothing_identified_exits_1_and_says_what_was_not_understood():
    result = run("diagnose", "--text", "hello there", *KB)
    assert result.exit_code == 1
    assert "No fault identified" in result.output and "hello there" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "cpu=abc"], "'cpu=abc' is not NAME=NUMBER"),
        (["--metric", "=5"], "is not NAME=NUMBER"),
        ([], "give at least one of --text, --code, --symptom or --metric"),
        (["--code", "1001", "--format", "xml"], "'xml' is not one of"),
        (["--code", "1001", "--rules", "/no/such/dir"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = run("diagnose", *args)
    assert result.exit_code == 2
    assert message in result.output


def _main(args, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["diagnoser", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_a_broken_rule_file_names_file_and_line(kb_copy, monkeypatch, capsys):
    rules, knowledge = kb_copy
    path = rules / "hardware/printer-print-failure.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("certainty: 0.5", "certainty: 1.5"),
        encoding="utf-8",
    )
    code, out, err = _main(
        ["diagnose", "--code", "1001", "--rules", str(rules), "--knowledge", str(knowledge)],
        monkeypatch,
        capsys,
    )
    assert code == 3 and out == ""
    assert re.search(rf"{re.escape(str(path))}:13: error: then.certainty: .*1\.5", err)
    assert err.startswith("diagnoser: error: 1 error(s) in the knowledge base")


def test_environment_variables_select_the_knowledge_base(kb_copy, monkeypatch, capsys):
    rules, knowledge = kb_copy
    (rules / "hardware/printer-print-failure.yaml").write_text("id: [", encoding="utf-8")
    monkeypatch.setenv("DIAGNOSER_RULES", str(rules))
    monkeypatch.setenv("DIAGNOSER_KNOWLEDGE", str(knowledge))
    code, _, err = _main(["diagnose", "--code", "1001"], monkeypatch, capsys)
    assert code == 3 and "printer-print-failure.yaml:1: error: malformed YAML" in err


def test_bad_ticket_input_exits_4(monkeypatch, capsys):
    code, _, err = _main(
        ["diagnose", "--code", "1001", "--scope", "galaxy", *KB], monkeypatch, capsys
    )
    assert code == 4 and "unknown scope 'galaxy'" in err


def test_kb_lint_and_test_on_a_clean_knowledge_base(kb_copy):
    result = run("kb", "lint", *KB)
    assert result.exit_code == 0


def test_kb_lint_lists_every_problem(kb_copy):
    rules, knowledge = kb_copy
    (rules / "software/broken.yaml").write_text("id: broken\n", encoding="utf-8")
    result = run("kb", "lint", "--rules", str(rules), "--knowledge", str(knowledge))
    assert result.exit_code == 1
    assert "broken.yaml:1: error: title: Field required" in result.output
    assert "broken.yaml:1: error: when: Field required" in result.output


def test_evaluate_reports_accuracy_confusion_and_bad_records(tmp_path):
    data = tmp_path / "labelled.jsonl"
    data.write_text(
        "\n".join(
            [
                json.dumps(
                    {"id": "a", "text": "printer jammed", "expected": ["hardware.printer_failure"]}
                ),
                json.dumps(
                    {
                        "id": "b",
                        "error_codes": ["1001"],
                        "system": "generic",
                        "expected": "network.disconnected",
                    }
                ),
                json.dumps(
                    {"id": "c", "text": "hello", "expected": ["software.resource_exhaustion"]}
                ),
                "{not json",
                json.dumps({"id": "e", "text": "x"}),
                json.dumps({"id": "f", "text": "x", "expected": ["network.nosuch"]}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["evaluate", str(data), "--format", "json", *KB])
    assert result.exit_code == 4  # some records could not be evaluated
    report = json.loads(result.stdout)
    assert report["tickets"] == 3
    assert report["top1_fault_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert {"expected": "software", "got": "(none)", "count": 1} in report["confusion"]
    assert [m["id"] for m in report["misses"]] == ["c"]
    errors = "\n".join(report["errors"])
    assert f"{data}:4: invalid JSON" in errors
    assert f"{data}:5: no label" in errors
    assert f"{data}:6: unknown fault id(s) in the label: network.nosuch" in errors

    text = CliRunner().invoke(cli, ["evaluate", str(data), *KB]).stdout
    assert "top-1 category accuracy: 66.7%" in text and "confusion" in text

"""The command line, driven through click's CliRunner."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

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
    assert "最可能的故障" in zh.output and "What is most likely wrong" in en.output
    forced = run("diagnose", "--text", "打印机卡纸", "--lang", "en", *KB)
    assert "What is most likely wrong" in forced.output


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
    result = run("diagnose", "--text", "the coffee machine is empty", *KB)
    assert result.exit_code == 1
    assert "No fault identified" in result.output and "the coffee machine is empty" in result.output


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


def test_an_unexpected_error_exits_70_with_one_line(monkeypatch, capsys):
    from diagnoser.service import Diagnoser

    def broken(self, ticket):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(Diagnoser, "diagnose", broken)
    monkeypatch.delenv("DIAGNOSER_DEBUG", raising=False)
    code, out, err = _main(["diagnose", "--code", "1001", *KB], monkeypatch, capsys)
    assert code == 70 and out == ""
    assert err == (
        "diagnoser: error: internal error: ZeroDivisionError: boom "
        "(set DIAGNOSER_DEBUG=1 for details)\n"
    )
    monkeypatch.setenv("DIAGNOSER_DEBUG", "1")
    code, _, err = _main(["diagnose", "--code", "1001", *KB], monkeypatch, capsys)
    assert code == 70 and "Traceback" in err and "ZeroDivisionError: boom" in err


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
    assert result.exit_code == 5  # some records could not be evaluated
    report = json.loads(result.stdout)
    assert report["tickets"] == 3
    assert report["unlabelled"] == 1  # left out of the figures, not counted as a failure
    assert report["top1_fault_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert {"expected": "software", "got": "(none)", "count": 1} in report["confusion"]
    assert [m["id"] for m in report["misses"]] == ["c"]
    assert report["per_category"]["hardware"] == {
        "tickets": 1,
        "top1_category": 1.0,
        "top1": 1.0,
        "top3": 1.0,
    }
    assert report["per_category"]["software"]["top1"] == 0.0
    errors = "\n".join(report["errors"])
    assert f"{data}:4: invalid JSON" in errors
    assert f"{data}:5:" not in errors
    assert f"{data}:6: unknown fault id(s) in the label: network.nosuch" in errors

    text = CliRunner().invoke(cli, ["evaluate", str(data), *KB]).stdout
    assert "top-1 category accuracy: 66.7%" in text and "confusion" in text


# --- diagnose: report output options ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("report.html", "<!DOCTYPE html>"),
        ("report.md", "# Incident diagnosis report"),
        ("report.json", '"diagnoses"'),
        ("report.txt", "Incident diagnosis report · Ticket"),
    ],
)
def test_diagnose_output_file_format_from_suffix(tmp_path, name, marker):
    out = tmp_path / name
    result = run("diagnose", "--text", "printer jammed", "-o", str(out), *KB)
    assert result.exit_code == 0 and result.output == ""
    assert marker in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind


def test_diagnose_format_option_wins_over_the_suffix(tmp_path):
    out = tmp_path / "report.txt"
    run("diagnose", "--text", "printer jammed", "-o", str(out), "--format", "markdown", *KB)
    assert out.read_text(encoding="utf-8").startswith("# Incident diagnosis report")


def test_diagnose_output_to_a_missing_directory_is_an_unwritable_output(tmp_path):
    out = tmp_path / "no" / "such" / "report.html"
    result = run("diagnose", "--text", "printer jammed", "-o", str(out), *KB)
    assert result.exit_code == 6
    assert f"diagnoser: error: cannot write {str(out)!r}" in result.output


def test_diagnose_html_and_markdown_to_stdout():
    page = run("diagnose", "--code", "1001", "--format", "html", "--lang", "zh", *KB)
    assert page.exit_code == 0 and '<html lang="zh-CN">' in page.output
    markdown = run("diagnose", "--code", "1001", "--format", "markdown", *KB)
    assert "## What to do now" in markdown.output


def test_diagnose_colour_follows_the_options_and_no_color():
    base = ["diagnose", "--text", "printer jammed", *KB]
    assert "\x1b[" not in run(*base).output  # not a terminal
    assert "\x1b[" in run(*base, "--color").output
    assert "\x1b[" not in run(*base, "--no-color").output
    # NO_COLOR turns off only the automatic choice, never an explicit --color
    assert "\x1b[" in run(*base, "--color", env={"NO_COLOR": "1"}).output


def test_diagnose_reported_at_is_shown(tmp_path):
    result = run("diagnose", "-t", "printer jammed", "--reported-at", "2026-11-24T09:12+08:00", *KB)
    assert "Fault reported: 2026-11-24 09:12 UTC+08:00" in result.output
    data = json.loads(
        run(
            "diagnose", "-t", "x jammed", "--reported-at", "2026-11-24 09:12", "-f", "json", *KB
        ).output
    )
    assert data["reported_at"] == "2026-11-24T09:12:00"
    bad = run("diagnose", "-t", "printer jammed", "--reported-at", "yesterday", *KB)
    assert bad.exit_code == 2 and "--reported-at" in bad.output


def test_diagnose_template_dir(tmp_path):
    (tmp_path / "report.txt.j2").write_text("{{ r.faults[0].id }} {{ r.priority }}\n")
    result = run("diagnose", "-t", "printer jammed", "--template-dir", str(tmp_path), *KB)
    assert result.output == "hardware.printer_failure P3\n"


def test_diagnose_template_error_names_the_file_and_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "report.txt.j2").write_text("ok\n{{ r.faults[0].id \n")
    monkeypatch.setattr(
        "sys.argv",
        ["diagnoser", "diagnose", "-t", "printer jammed", "--template-dir", str(tmp_path), *KB],
    )
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 4
    err = capsys.readouterr().err
    assert err.startswith("diagnoser: error: report template ")
    assert f"{tmp_path / 'report.txt.j2'}:2:" in err


def test_verbose_and_diagnoser_log_send_diagnostics_to_stderr_only():
    import logging

    runner = CliRunner()
    quiet = runner.invoke(cli, ["diagnose", "--code", "1001", "--format", "json"])
    try:
        loud = runner.invoke(
            cli, ["diagnose", "--code", "1001", "--format", "json"], env={"DIAGNOSER_LOG": "debug"}
        )
        assert logging.getLogger("diagnoser").level == logging.DEBUG
        assert loud.stdout == quiet.stdout  # data on stdout is unchanged
        bad = runner.invoke(cli, ["diagnose", "--code", "1001"], env={"DIAGNOSER_LOG": "loud"})
        assert bad.exit_code == 2 and "not a logging level" in bad.stderr
    finally:
        logging.getLogger("diagnoser").handlers.clear()
        logging.getLogger("diagnoser").setLevel(logging.NOTSET)
        logging.getLogger("diagnoser").propagate = True


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module", ["diagnoser", "diagnoser.cli"])
def test_python_dash_m_runs_the_command(module):
    """`python -m diagnoser` and `python -m diagnoser.cli` are the installed `diagnoser`."""
    done = subprocess.run(
        [sys.executable, "-m", module, "diagnose", "--code", "1001", "--format", "json", *KB],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DIAGNOSER_CACHE": "0"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    same = run("diagnose", "--code", "1001", "--format", "json", *KB)
    assert json.loads(done.stdout)["diagnoses"] == json.loads(same.output)["diagnoses"] != []
    usage = subprocess.run(
        [sys.executable, "-m", module, "diagnose"], capture_output=True, text=True, timeout=120
    )
    assert usage.returncode == 2 and usage.stderr.startswith("Usage: diagnoser diagnose")


def test_the_format_choices_are_the_renderers_formats():
    from diagnoser.cli import FORMATS
    from diagnoser.report import Format

    assert tuple(f.value for f in Format) == FORMATS


def test_the_exit_codes_are_the_documented_ones():
    """README's exit-code table lists every code the commands use, with nothing extra."""
    from diagnoser.cli._common import Exit

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    assert documented == {int(code) for code in Exit}


def test_the_package_loads_its_parts_on_first_use():
    """`import diagnoser` and the command group stay light; every public name still resolves."""
    code = (
        "import sys, diagnoser, diagnoser.cli\n"
        "light = 'pydantic' not in sys.modules and 'jinja2' not in sys.modules\n"
        "names = [n for n in diagnoser.__all__ if getattr(diagnoser, n, None) is None]\n"
        "print(light, names, set(diagnoser.__all__) <= set(dir(diagnoser)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout.split() == ["True", "[]", "True"], done.stderr
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        import diagnoser

        diagnoser.Nope  # noqa: B018


# what a code-only `diagnose` must not import: the text matchers (and the similarity index),
# traditional-to-simplified, the YAML loader (the knowledge base comes from the compiled cache),
# the encoding detector, intake's text machinery, the suggestions for unknown names, the sandbox
# of custom templates, the site profile's models (no --site given), the loader and its checks
# (a warm cache holds the loaded knowledge base) and the YAML reader it uses
_NOT_FOR_A_CODE = (
    *("ahocorasick", "rapidfuzz", "opencc", "yaml", "charset_normalizer", "difflib"),
    *("diagnoser.kb.loader", "diagnoser.kb.redos", "diagnoser._yaml"),
    *("diagnoser.intake.matcher", "diagnoser.intake.context", "diagnoser.intake.similar"),
    *("diagnoser.intake.regexes", "diagnoser.intake.noise"),
    *("jinja2.sandbox", "diagnoser.report._limits", "diagnoser.triage.site"),
)


# the modules whose many classes a start defines, written without postponed annotations
_EAGER_ANNOTATIONS = ("diagnoser.result", "diagnoser.kb.models", "diagnoser.report.view")


@pytest.mark.parametrize(
    ("fmt", "unneeded", "validators"),
    [
        ("text", _NOT_FOR_A_CODE, ""),
        # the JSON serializer of the contract is built from its schema
        ("json", (*_NOT_FOR_A_CODE, "jinja2", "diagnoser.report.view"), " Diagnosis"),
    ],
)
def test_diagnose_a_code_imports_only_what_it_needs(tmp_path, fmt, unneeded, validators):
    """`diagnoser diagnose --code 1001` starts fast: nothing it does not use is imported, no
    result model builds its validator but the one the format needs, and the models' classes
    are defined without evaluating their annotations from strings."""
    code = (
        "import sys, typing\n"
        # the model modules' annotations are objects where they are written: defining their
        # classes compiles and evaluates no forward reference but the one a recursive type needs
        f"eager, forward, made = {_EAGER_ANNOTATIONS!r}, [], typing.ForwardRef.__init__\n"
        "def counted(self, arg, *args, **kwargs):\n"
        "    frame = sys._getframe(1)\n"
        "    while frame is not None and frame.f_code.co_name != '<module>':\n"
        "        frame = frame.f_back\n"
        "    if frame is not None and frame.f_globals.get('__name__') in eager:\n"
        "        forward.append(arg)\n"
        "    made(self, arg, *args, **kwargs)\n"
        "typing.ForwardRef.__init__ = counted\n"
        "from diagnoser.cli import main\n"
        f"sys.argv = ['diagnoser', 'diagnose', '--code', '1001', '--format', {fmt!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        f"print('MODULES', status, *[m for m in {unneeded!r} if m in sys.modules])\n"
        "import diagnoser.result as r\n"
        "print('BUILT', *sorted(n for n, c in vars(r).items() if isinstance(c, type)"
        " and c.__module__ == r.__name__ and c.__dict__.get('__pydantic_complete__')))\n"
        "print('FORWARD', *sorted(forward))\n"
    )
    env = {**os.environ, "DIAGNOSER_CACHE_DIR": str(tmp_path)}
    env.pop("DIAGNOSER_SITE", None)  # a desk's own profile would load the site models
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
        )
        for _ in range(2)  # the first run fills the knowledge-base cache, the second reads it
    ]
    # exit status 0: a fault was identified; then the unneeded modules that were imported
    last = runs[-1].stdout.splitlines()[-3:]
    expected = ["MODULES 0", f"BUILT{validators}", "FORWARD Group"]
    assert last == expected, runs[-1].stdout[-2000:] + runs[-1].stderr


_ENDS = (
    "import atexit, sys\n"
    "atexit.register(print, 'TEARDOWN', file=sys.stderr)\n"
    "from diagnoser.cli import run\n"
    "sys.argv = ['diagnoser', *sys.argv[1:]]\n"
    "run()\n"
)


@pytest.mark.parametrize(
    ("args", "status", "teardown"),
    [
        # diagnose ends at once after flushing its report: the atexit hook never runs
        (["diagnose", "--code", "1001", "--format", "json", *KB], 0, False),
        (["diagnose", "--code", "no-such-code", *KB], 1, False),
        # the other commands, and every error, end the ordinary way
        (["codes", *KB], 0, True),
        (["diagnose", "--code", "1001", "--format", "xml"], 2, True),
    ],
)
def test_the_installed_command_skips_the_teardown_only_after_finish(
    tmp_path, args, status, teardown
):
    env = {**os.environ, "DIAGNOSER_CACHE_DIR": str(tmp_path)}
    env.pop("DIAGNOSER_SITE", None)
    done = subprocess.run(
        [sys.executable, "-c", _ENDS, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == status, done.stderr
    assert ("TEARDOWN" in done.stderr) is teardown, done.stderr
    # what reached the pipe is the whole output, as click's runner sees it
    expected = run(*args)
    assert expected.exit_code == status
    if status in (0, 1):
        assert _without_time(done.stdout) == _without_time(expected.stdout)


def _without_time(report: str) -> str:
    return re.sub(r'"generated_at": "[^"]*"|Generated: [^·]*', "", report)


def test_the_collector_stays_off_for_a_one_shot_command_only():
    import gc

    try:
        gc.disable()  # as run() leaves it until the command is known
        assert run("diagnose", "--code", "1001", *KB).exit_code == 0
        assert not gc.isenabled()
        assert run("codes", *KB).exit_code == 0
        assert gc.isenabled()
    finally:
        gc.enable()

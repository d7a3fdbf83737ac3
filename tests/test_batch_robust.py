"""Batch runs on hostile and messy exports: per-record isolation, decoding, structure errors,
one transaction (lock, distinct paths, resume after a kill), safe output, formats, exit codes."""

from __future__ import annotations

import csv
import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnoser.batch import BatchConfig, ColumnMap, run_batch
from diagnoser.batch.output import AtomicFile, OutputError, csv_cell, jsonl_line
from diagnoser.batch.readers import read_records
from diagnoser.batch.runner import diagnose_items, diagnoser_for, iter_items, state_path
from diagnoser.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PRINTER = "the invoice printer jammed"


def _run(*args: str) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(cli, ["batch", "-q", *args])
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, records, result.stderr


def _records_of(path: Path, **config) -> list[dict]:
    cfg = BatchConfig([str(path)], workers=1, **config)
    items = list(iter_items(cfg))
    return diagnose_items(diagnoser_for(cfg.kb_spec()), items)


# --- decoding -----------------------------------------------------------------------------


def test_big5_and_gb18030_exports_are_told_apart(tmp_path):
    rows = ["id,text", "T1,發票開不了，印表機無法列印", "T2,伺服器連線失敗，網路很慢"]
    for encoding in ("big5", "gb18030"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes("\n".join(rows).encode(encoding) + b"\n")
        texts = [r.data["text"] for r in read_records(str(path))]
        assert texts == [rows[1][3:], rows[2][3:]], encoding


def test_one_gb18030_line_changes_that_record_only(tmp_path):
    lines = [
        json.dumps({"id": f"u{i}", "text": "打印不出来"}, ensure_ascii=False) for i in range(5)
    ]
    data = [line.encode("utf-8") for line in lines]
    data[2] = json.dumps({"id": "g", "text": "开不了票"}, ensure_ascii=False).encode("gb18030")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(data) + b"\n")
    raws = list(read_records(str(path)))
    assert [r.data["text"] for r in raws] == ["打印不出来"] * 2 + ["开不了票"] + ["打印不出来"] * 2
    assert [bool(r.warnings) for r in raws] == [False, False, True, False, False]
    assert "GB18030" in raws[2].warnings[0]


def test_a_bad_byte_after_a_bom_or_in_utf16_rejects_that_record_only(tmp_path):
    good = '{"id": "a", "text": "x"}\n'
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + good.encode() + b'{"id": "b", "text": "\xff\x80"}\n' + b"{}\n"
    )
    raws = list(read_records(str(path)))
    assert raws[0].data == {"id": "a", "text": "x"} and raws[1].data is None
    assert "line 2" in raws[1].error and len(raws) == 3
    wide = tmp_path / "wide.jsonl"
    body = (
        good.encode("utf-16-le")
        + b"\x00\xd8"
        + "x\n".encode("utf-16-le")
        + good.encode("utf-16-le")
    )
    wide.write_bytes(b"\xff\xfe" + body)
    raws = list(read_records(str(wide)))
    assert [r.data is not None for r in raws] == [True, False, True]


def test_cr_and_line_separator_inside_json_strings_do_not_split_tickets(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "first\rsecond"}\n{"id": "b", "text": "x\xe2\x80\xa8y"}\n'
    )
    assert [r.data["id"] for r in read_records(str(path))] == ["a", "b"]


HOSTILE = [
    '{"id": "\\ud800", "text": "x"}',
    '{"id": "s", "system": "\\udfff"}',
    '{"id": "c", "error_codes": ["\\ud83d"]}',
    '{"id": "d", "text": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"id": "n", "affected_users": ' + "9" * 5000 + "}",
    "[" * 100000,
    '{"id": "ok", "text": "' + PRINTER + '"}',
    '{"id": "u", "text": "\\u202e\\u0085\\u001b]0;x\\u0007"}',
    "not json at all",
    '"a string"',
]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=8))
def test_every_hostile_line_is_its_own_record_and_the_output_is_valid(tmp_path_factory, lines):
    tmp = tmp_path_factory.mktemp("hostile")
    path = tmp / "t.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp / "out.jsonl"
    result = run_batch(BatchConfig([str(path)], workers=1), output=out)
    text = out.read_bytes().decode("utf-8")  # valid UTF-8, whatever came in
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["line"] for r in records] == list(range(1, len(lines) + 1))
    assert result.rejected == sum(r["status"] == "error" for r in records)
    assert not any(c in text for c in "\u202e\u0085\x1b")  # escaped, not raw


# --- structure errors ---------------------------------------------------------------------


def test_a_runaway_csv_quote_is_reported_and_the_rows_after_it_are_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,text\na,"broken quote\nb,fine\nc,also fine\n', encoding="utf-8")
    raws = list(read_records(str(path)))
    assert raws[0].line == 2 and raws[0].data is None and "does not close" in raws[0].error
    assert [r.data["id"] for r in raws[1:]] == ["b", "c"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": "a"}]\n[{"id": "b"}]', "content after the end"),
        ('{"tickets": [{"id": "a"}], "tickets": [{"id": "b"}]}', "a repeated key"),
        ('{"tickets": [{"id": "a"}], "results": [{"id": "b"}]}', "a second ticket list"),
    ],
)
def test_json_structure_errors_are_loud(tmp_path, content, message):
    path = tmp_path / "t.json"
    path.write_text(content, encoding="utf-8")
    code, records, _ = _run(str(path))
    assert code == 5
    assert records[0]["id"] == "a" and message in records[-1]["error"]


def test_a_scalar_json_file_is_not_read_as_csv(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("42\n", encoding="utf-8")
    code, records, err = _run(str(path))
    assert code == 4 and not records and "not JSON" in err


# --- one transaction ----------------------------------------------------------------------


def _tickets(path: Path, count: int) -> Path:
    texts = [PRINTER, "开票时提示错误代码1001", "系统很慢", "cannot connect to the server"]
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            ticket = {"id": f"T{i}", "text": texts[i % 4]}
            if i % 17 == 5:
                ticket = {"id": f"bad{i}", "affected_users": -1}
            handle.write(json.dumps(ticket, ensure_ascii=False) + "\n")
    return path


def test_a_second_run_on_the_same_output_fails_at_once(tmp_path):
    target = tmp_path / "out.jsonl"
    first = AtomicFile(target)
    try:
        with pytest.raises(OutputError, match="another diagnoser run"):
            AtomicFile(target)
    finally:
        first.close()


def test_outputs_must_be_distinct_paths(tmp_path):
    path = _tickets(tmp_path / "t.jsonl", 3)
    out = tmp_path / "x.jsonl"
    for extra in (["--rejects", str(out)], ["--summary", str(out)]):
        result = CliRunner().invoke(cli, ["batch", str(path), "-o", str(out), *extra])
        assert result.exit_code == 2 and "is the same file as" in result.stderr
    result = CliRunner().invoke(cli, ["batch", str(path), "-o", str(path)])
    assert result.exit_code == 2 and "input" in result.stderr


def test_the_summary_after_a_resume_covers_the_whole_output(tmp_path):
    path = _tickets(tmp_path / "t.jsonl", 60)
    config = BatchConfig([str(path)], workers=1, chunk_size=10)
    out = tmp_path / "out.csv"
    seen: list[int] = []

    def summary(records: Path) -> None:
        seen.append(len(records.read_text(encoding="utf-8").splitlines()))

    def interrupt(status):
        if status.records >= 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(config, out, "csv", progress=interrupt, checkpoint_every=0, on_commit=summary)
    result = run_batch(config, out, "csv", resume=True, on_commit=summary)
    assert result.resumed_from == 30 and seen == [60]


def test_a_kill_while_committing_is_finished_by_resume(tmp_path, monkeypatch):
    path = _tickets(tmp_path / "t.jsonl", 40)
    config = BatchConfig([str(path)], workers=1, chunk_size=10)
    whole, out, rej = tmp_path / "whole.jsonl", tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    run_batch(config, whole)
    real = os.replace
    calls = []

    def die_after_first(src, dst):
        real(src, dst)
        if Path(dst) in (rej, out):
            calls.append(dst)
            if len(calls) == 1:
                raise KeyboardInterrupt  # as if killed between the two renames

    monkeypatch.setattr("diagnoser.batch.runner.os.replace", die_after_first)
    with pytest.raises(KeyboardInterrupt):
        run_batch(config, out, rejects=rej)
    monkeypatch.setattr("diagnoser.batch.runner.os.replace", real)
    assert rej.exists() and not out.exists() and state_path(out).exists()
    run_batch(config, out, rejects=rej, resume=True)
    assert out.read_bytes() == whole.read_bytes() and not state_path(out).exists()


def _cli() -> list[str]:
    return [sys.executable, "-c", "from diagnoser.cli import main; main()"]


def test_resume_after_kills_at_random_instants_gives_identical_output(tmp_path):
    path = _tickets(tmp_path / "t.jsonl", 200)
    args = ["batch", "-q", "--workers", "1", "--chunk-size", "5", str(path)]
    whole = tmp_path / "whole.csv"
    subprocess.run([*_cli(), *args, "-o", str(whole)], check=False)
    out = tmp_path / "out.csv"
    rng = random.Random(3)
    resume: list[str] = []
    for _ in range(3):
        proc = subprocess.Popen([*_cli(), *args, "-o", str(out), *resume])
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if out.exists():
            break
        if state_path(out).exists():
            resume = ["--resume"]
    if not out.exists():
        flag = ["--resume"] if state_path(out).exists() else []
        done = subprocess.run([*_cli(), *args, "-o", str(out), *flag], check=False)
        assert done.returncode == 5
    assert out.read_bytes() == whole.read_bytes()


def test_workers_end_when_the_parent_is_killed(tmp_path):
    psutil = pytest.importorskip("psutil")
    path = _tickets(tmp_path / "t.jsonl", 20000)
    proc = subprocess.Popen(
        [*_cli(), "batch", "-q", "--workers", "2", "--chunk-size", "50", str(path),
         "-o", str(tmp_path / "o.jsonl")]
    )  # fmt: skip
    parent = psutil.Process(proc.pid)
    # generous bounds (each wait ends as soon as its condition holds): a loaded machine may be
    # slow to start the workers or to deliver their end, and that is not the failure tested
    deadline = time.monotonic() + 60
    children = []
    while time.monotonic() < deadline and len(children) < 2 and proc.poll() is None:
        children = parent.children(recursive=True)
        time.sleep(0.1)
    assert len(children) >= 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive


def test_a_full_disk_is_a_clear_message_and_its_own_exit_code(tmp_path, monkeypatch):
    path = _tickets(tmp_path / "t.jsonl", 3)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("diagnoser.batch.output.os.fsync", full)
    result = CliRunner().invoke(cli, ["batch", "-q", str(path), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 6
    assert "the disk is full" in result.stderr and "internal error" not in result.stderr


# --- safe output --------------------------------------------------------------------------


@settings(max_examples=60)
@given(st.text(max_size=30))
def test_csv_cells_never_start_a_formula(value):
    cell = csv_cell(value)
    assert not cell or not cell.startswith(("=", "+", "@", "\t", "\r")) or cell[0] == "'"
    if cell.startswith("-"):
        float(cell)  # only a plain number may start with '-'
    assert not any("\x80" <= c <= "\x9f" or c in "\u202e\u2066\x1b" for c in cell)


@settings(max_examples=60)
@given(st.text(max_size=30))
def test_jsonl_lines_keep_the_data_and_carry_no_raw_controls(value):
    line = jsonl_line({"id": value})
    assert json.loads(line) == {"id": value}
    line.encode("utf-8")
    assert not any("\x80" <= c <= "\x9f" or c in "\u202e\u2028\x1b" for c in line)


def test_csv_output_has_a_bom_and_escaped_formulas(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"id": '=HYPERLINK("http://x")', "text": PRINTER}) + "\n")
    out = tmp_path / "o.csv"
    assert CliRunner().invoke(cli, ["batch", "-q", str(path), "-o", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    row = next(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert row["id"].startswith("'=")
    CliRunner().invoke(cli, ["batch", "-q", "--no-bom", str(path), "-o", str(out)])
    assert out.read_bytes().startswith(b"line,")


def test_rejection_lines_on_stderr_carry_no_escape_sequences(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "\\u001b]0;owned\\u0007x", "affected_users": -1}\n')
    result = CliRunner().invoke(cli, ["batch", str(path)])
    assert result.exit_code == 5 and "\x1b" not in result.stderr and "\x07" not in result.stderr


# --- mapping, formats -------------------------------------------------------------------


def test_custom_fields_by_id_keep_columns_and_dates(tmp_path):
    path = tmp_path / "z.json"
    tickets = [
        {
            "id": 1,
            "subject": PRINTER,
            "created_at": "11/03/26 12:44 PM",
            "organization": "Acme",
            "custom_fields": [{"id": 360001234, "value": "hardware.printer_failure"}],
        },
        {"id": 2, "subject": PRINTER, "created_at": "the day before yesterday"},
    ]
    path.write_text(json.dumps({"tickets": tickets}), encoding="utf-8")
    args = ["--map", "label=custom_fields[360001234]", "--keep", "organization", str(path)]
    code, records, _ = _run(*args)
    assert code == 0  # a bad date is a warning, not a rejection
    assert records[0]["reported_at"] == "2026-11-03T12:44:00"
    assert records[0]["label"] == ["hardware.printer_failure"]
    assert records[0]["extra"] == {"organization": "Acme"}
    assert records[1]["status"] == "ok" and "unrecognised date" in records[1]["warnings"][0]
    out = tmp_path / "o.csv"
    CliRunner().invoke(cli, ["batch", "-q", *args, "-o", str(out)])
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows[0]["organization"] == "Acme" and rows[1]["organization"] == ""


def test_parquet_and_xlsx_inputs(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"Number": ["INC1", "INC2"], "Short description": [PRINTER, "系统很慢"]})
    pq.write_table(table, tmp_path / "t.parquet")
    code, records, _ = _run("--preset", "servicenow", str(tmp_path / "t.parquet"))
    assert code == 0 and [r["id"] for r in records] == ["INC1", "INC2"]
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Number", "Short description"])
    sheet.append([12345, PRINTER])
    book.save(tmp_path / "t.xlsx")
    code, records, _ = _run("--preset", "servicenow", str(tmp_path / "t.xlsx"))
    assert code == 0 and records[0]["id"] == "12345"
    assert records[0]["diagnoses"][0]["fault_id"] == "hardware.printer_failure"


def test_a_missing_extra_says_which_to_install(tmp_path, monkeypatch):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # as if not installed
    code, _, err = _run(str(path))
    assert code == 4 and "pip install 'diagnoser[xlsx]'" in err


def test_evaluate_label_map_and_non_fault_tickets(tmp_path):
    path = tmp_path / "l.jsonl"
    rows = [
        {"id": "a", "text": PRINTER, "root_cause": "Printer broken"},
        {"id": "b", "text": "thanks, all good now", "expected": []},
        {"id": "c", "text": PRINTER},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    names = tmp_path / "names.yaml"
    names.write_text("printer broken: hardware.printer_failure\nNot a fault: null\n")
    result = CliRunner().invoke(
        cli, ["evaluate", str(path), "--label-map", str(names), "--format", "json"]
    )
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert report["tickets"] == 2 and report["unlabelled"] == 1
    assert report["top1_fault_accuracy"] == 1.0


# --- usage and bounds ---------------------------------------------------------------------


def test_scheduler_without_dask_is_a_usage_error(tmp_path, monkeypatch, capsys):
    from diagnoser.cli import main

    path = _tickets(tmp_path / "t.jsonl", 1)
    monkeypatch.setattr(sys, "argv", ["diagnoser", "batch", "--scheduler", "tcp://x:1", str(path)])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "diagnoser: error: --scheduler needs --executor dask" in err and "Error:" not in err


def test_yaml_alias_bombs_and_huge_files_stop_early(tmp_path):
    from diagnoser._yaml import YamlError, load_yaml

    bomb = tmp_path / "bomb.yaml"
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb.write_text("\n".join(lines) + "\n")
    start = time.monotonic()
    with pytest.raises(YamlError, match="aliases"):
        load_yaml(bomb)
    assert time.monotonic() - start < 10
    mapping = tmp_path / "map.yaml"
    mapping.write_text("\n".join(lines) + "\n")
    with pytest.raises(Exception, match="aliases"):
        ColumnMap.build(map_file=mapping)


def test_a_bad_value_names_the_column_of_a_csv_and_the_field_of_a_json_record(tmp_path):
    """The rejection says where the value came from in the words of its format: a CSV column,
    a JSON field (only when it is not the ticket field's own name)."""
    rows = tmp_path / "export.csv"
    rows.write_text("ticket,Beschreibung,cpu\nx1,the invoice printer jammed,abc\n", "utf-8")
    _, records, _ = _run(
        str(rows), "--map", "id=ticket", "--map", "text=Beschreibung",
        "--map", "metrics.cpu_percent=cpu",
    )  # fmt: skip
    assert [r["error"] for r in records] == [
        "metrics.cpu_percent (column 'cpu'): a number is needed, got 'abc'"
    ]
    lines = tmp_path / "export.jsonl"
    lines.write_text('{"id": "a", "body": 5}\n{"id": "b", "text": 7}\n', "utf-8")
    _, records, _ = _run(str(lines), "--map", "text=body", "--map", "text=text")
    assert [r["error"] for r in records] == [
        "text (field 'body'): a string expected, got int",
        "text: a string expected, got int",
    ]


def test_a_header_without_an_id_column_says_what_was_looked_for(tmp_path):
    rows = tmp_path / "export.csv"
    rows.write_text("a,text\n1,the invoice printer jammed\n", "utf-8")
    _, records, _ = _run(str(rows))
    (error,) = [r["error"] for r in records]
    assert error.startswith("id: no column of the header holds it (looked for: id, ticket_id")
    assert error.endswith("--map id=COLUMN)")

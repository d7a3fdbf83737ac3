"""Batch runs: every input format, preset and encoding; error records; atomic output; resume."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagnoser.batch import BatchConfig, ColumnMap, InputError, run_batch
from diagnoser.batch.mapping import html_to_text
from diagnoser.batch.readers import read_records
from diagnoser.batch.runner import iter_records, iter_results, state_path
from diagnoser.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"

BATCH = FIXTURES / "batch"
TICKETS = [
    {"id": "a1", "text": "the invoice printer jammed", "reported_at": "2026-03-02T09:15:00"},
    {"id": "a2", "text": "开票时提示错误代码1001，无法连接服务器", "scope": "site"},
    {"id": 3, "error_codes": ["1001"], "system": "generic"},
    {"id": "a4", "text": "系统很慢", "metrics": {"cpu_percent": 97}, "affected_users": 40},
]
IDS = ["a1", "a2", "3", "a4"]


def _jsonl(path: Path, records: list[object], encoding: str = "utf-8") -> Path:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_bytes(text.encode(encoding))
    return path


def _csv(path: Path, rows: list[dict[str, object]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, ["id", "text", "error_codes", "scope"], delimiter=delimiter)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in writer.fieldnames})
    return buf.getvalue()


def _run(*args: str, input: str | bytes | None = None) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(cli, ["batch", "-q", *args], input=input)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, records, result.stderr


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


CSV_ROWS = [
    {"id": "a1", "text": "the invoice printer jammed"},
    {"id": "a2", "text": "开票时提示错误代码1001，无法连接服务器", "scope": "site"},
    {"id": "3", "error_codes": "1001"},
    {"id": "a4", "text": "系统很慢"},
]


@pytest.mark.parametrize(
    ("name", "maker"),
    [
        ("t.jsonl", lambda p: _jsonl(p, TICKETS)),
        ("t.ndjson", lambda p: _jsonl(p, TICKETS)),
        ("t.json", lambda p: p.write_text(json.dumps(TICKETS), encoding="utf-8")),
        ("t.json", lambda p: p.write_text(json.dumps(TICKETS, indent=2), encoding="utf-8")),
        ("t.json", lambda p: p.write_text(json.dumps({"tickets": TICKETS}), encoding="utf-8")),
        ("t.json", lambda p: p.write_text(json.dumps({"result": TICKETS}), encoding="utf-8")),
        (
            "t.json",
            lambda p: p.write_text(
                json.dumps({"total": 4, "issues": TICKETS, "more": [1]}, indent=1),
                encoding="utf-8",
            ),
        ),
        ("t.txt", lambda p: _jsonl(p, TICKETS)),  # the content tells
        ("t.csv", lambda p: p.write_text(_csv(p, CSV_ROWS), encoding="utf-8")),
        ("t.tsv", lambda p: p.write_text(_csv(p, CSV_ROWS, "\t"), encoding="utf-8")),
        ("t.jsonl.gz", lambda p: p.write_bytes(gzip.compress(_jsonl(p, TICKETS).read_bytes()))),
        (
            "t.csv.gz",
            lambda p: p.write_bytes(gzip.compress(_csv(p, CSV_ROWS).encode("utf-8"))),
        ),
    ],
)
def test_every_format_gives_one_record_per_ticket_in_order(tmp_path, name, maker):
    path = tmp_path / name
    maker(path)
    code, records, _ = _run(str(path))
    assert code == 0
    assert [r["id"] for r in records] == IDS
    assert all(r["status"] == "ok" and r["source"] == str(path) for r in records)
    assert records[0]["diagnoses"][0]["fault_id"] == "hardware.printer_failure"
    assert records[1]["diagnoses"][0]["fault_id"] == "network.disconnected"
    assert records[1]["scope"] == "site"
    assert "1001" in records[2]["error_codes"]


def test_stdin_and_several_inputs(tmp_path):
    a = _jsonl(tmp_path / "a.jsonl", TICKETS[:2])
    text = "".join(json.dumps(t) + "\n" for t in TICKETS[2:])
    code, records, _ = _run(str(a), "-", input=text)
    assert code == 0
    assert [r["id"] for r in records] == IDS
    assert [r["source"] for r in records] == [str(a), str(a), "-", "-"]
    assert [r["line"] for r in records] == [1, 2, 1, 2]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(_csv(path, CSV_ROWS).encode(encoding))
    code, records, _ = _run(str(path))
    assert code == 0
    assert [r["id"] for r in records] == IDS
    assert records[1]["diagnoses"][0]["fault_id"] == "network.disconnected"
    assert records[1]["unrecognised"] == []  # Chinese text read as such, not as mojibake


def test_utf8_is_not_mistaken_for_gb18030_and_encoding_can_be_forced(tmp_path):
    path = tmp_path / "t.jsonl"
    _jsonl(path, [{"id": "x", "text": "打印不出来"}])
    raw = list(read_records(str(path)))
    assert raw[0].data == {"id": "x", "text": "打印不出来"}
    gb = tmp_path / "gb.jsonl"
    _jsonl(gb, [{"id": "x", "text": "打印不出来"}], "gb18030")
    assert next(iter(read_records(str(gb)))).data["text"] == "打印不出来"
    forced = list(read_records(str(gb), encoding="latin-1"))
    assert forced[0].data["text"] != "打印不出来"
    with pytest.raises(InputError, match="unknown encoding"):
        list(read_records(str(gb), encoding="nosuch"))


def test_undecodable_input_names_the_file(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": "x", "text": "\xff\xfe\xfd\x81"}\n' * 2)
    code, records, _ = _run(str(path))
    assert code == 5  # each line is that record's error; the run goes on
    assert [r["line"] for r in records] == [1, 2]
    assert all("neither UTF-8 nor" in r["error"] and "--encoding" in r["error"] for r in records)


@pytest.mark.parametrize(
    ("preset", "fixture", "ids"),
    [
        ("zendesk", "zendesk.json", ["35436", "35437"]),
        ("freshdesk", "freshdesk.csv", ["101", "102"]),
        ("jira", "jira.csv", ["OPS-1", "OPS-2"]),
        ("jira", "jira.json", ["OPS-1", "OPS-2"]),
        ("servicenow", "servicenow.json", ["INC0010001", "INC0010002"]),
        ("osticket", "osticket.csv", ["100001", "100002"]),
    ],
)
def test_presets(preset, fixture, ids):
    code, records, _ = _run("--preset", preset, str(BATCH / fixture))
    assert code == 0, records
    assert [r["id"] for r in records] == ids
    assert records[0]["diagnoses"][0]["fault_id"] == "hardware.printer_failure"
    assert records[1]["diagnoses"][0]["fault_id"] == "network.disconnected"
    assert records[0]["reported_at"].startswith("2026-03-02T09:15")


def test_jira_repeated_columns_are_kept(tmp_path):
    config = BatchConfig(
        [str(BATCH / "jira.csv")], columns=ColumnMap.build("jira", overrides=["text=Comment"])
    )
    records = list(iter_records(config))
    assert records[0]["id"] == "OPS-1"
    raw = next(iter(read_records(str(BATCH / "jira.csv"))))
    assert raw.data["Comment"] == ["first comment, printer again", "second comment"]
    assert raw.data["Labels"] == ["hw", "printer"]


def test_html_bodies_become_text():
    assert html_to_text("<p>The printer <b>jammed</b>&nbsp;again.</p><p>Twice</p>") == (
        "The printer jammed again.\nTwice"
    )
    assert html_to_text("a < b and c > d") == "a < b and c > d"
    assert html_to_text("<script>x()</script>fine &amp; well") == "fine & well"


def test_mapping_overrides_file_and_dry_run(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "Ticket,Problem,Extra,CPU\nk1,the invoice printer jammed,x,97\nk2,系统很慢,y,98\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text("id: Ticket\ntext: [Problem]\n", encoding="utf-8")
    code, records, _ = _run(
        "--mapping", str(mapping), "--map", "metrics.cpu_percent=CPU", str(path)
    )
    assert code == 0
    assert [r["id"] for r in records] == ["k1", "k2"]
    assert records[0]["diagnoses"][0]["fault_id"] == "hardware.printer_failure"
    result = CliRunner().invoke(
        cli, ["batch", "--dry-run", "--map", "id=Ticket", "--map", "text=Problem", str(path)]
    )
    assert result.exit_code == 0
    assert "id: Ticket" in result.stdout and "text: Problem" in result.stdout
    assert '"id": "k1"' in result.stdout
    bad = CliRunner().invoke(cli, ["batch", "--map", "nosuch=X", str(path)])
    assert bad.exit_code == 4 and "unknown field 'nosuch'" in bad.stderr


def test_malformed_records_become_error_records_and_the_run_goes_on(tmp_path):
    path = tmp_path / "t.jsonl"
    lines = [
        json.dumps({"id": "ok1", "text": "printer jammed"}),
        "{not json",
        json.dumps({"text": "no id here"}),
        json.dumps({"id": "w1", "affected_users": "many"}),
        json.dumps({"id": "w2", "error_codes": [1001]}),
        json.dumps({"id": "big", "text": "x" * 200_001}),
        json.dumps({"id": "bin", "text": "abc\u0000\u0001def"}),
        json.dumps([1, 2]),
        "",
        json.dumps({"id": "ok2", "error_codes": ["1001"]}),
        json.dumps({"id": True}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli, ["batch", str(path), "-o", str(out), "--rejects", str(rejects)]
    )
    assert result.exit_code == 5  # some records rejected, the run finished
    records = _records(out)
    assert len(records) == 10  # the blank line is not a record
    by_line = {r["line"]: r for r in records}
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    assert by_line[1]["status"] == by_line[10]["status"] == "ok"
    assert "invalid JSON" in by_line[2]["error"]
    assert by_line[3]["error"].startswith("id: missing") and by_line[3]["id"] is None
    assert "affected_users" in by_line[4]["error"] and by_line[4]["id"] == "w1"
    assert "error_codes" in by_line[5]["error"]
    assert "text" in by_line[6]["error"] and "too large" in by_line[6]["error"]
    assert "binary" in by_line[7]["error"]
    assert "JSON object" in by_line[8]["error"]
    assert "id" in by_line[11]["error"]
    errors = _records(rejects)
    assert [r["line"] for r in errors] == [2, 3, 4, 5, 6, 7, 8, 11]
    assert f"{path}:4: ticket 'w1': affected_users" in result.stderr


def test_a_broken_json_array_keeps_what_came_before(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('[{"id": "a", "text": "x"},\n {"id": "b", "text": }\n, {"id": "c"}]')
    code, records, _ = _run(str(path))
    assert code == 5
    assert [r["id"] for r in records] == ["a", None]
    assert "line 2" in records[1]["error"] and "rest of the file" in records[1]["error"]


def test_csv_output_flattens_records(tmp_path):
    path = _jsonl(tmp_path / "t.jsonl", TICKETS)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["batch", "-q", str(path), "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [r["id"] for r in rows] == IDS
    assert rows[0]["fault_id"] == "hardware.printer_failure"
    assert rows[0]["status"] == "ok" and rows[0]["line"] == "1"


def test_output_is_atomic_and_resume_continues_without_loss(tmp_path):
    tickets = [{"id": f"t{i}", "text": TICKETS[i % 2]["text"]} for i in range(50)]
    tickets[7] = {"id": "bad", "affected_users": -3}
    path = _jsonl(tmp_path / "t.jsonl", tickets)
    config = BatchConfig([str(path)], workers=1, chunk_size=5)
    whole = tmp_path / "whole.jsonl"
    run_batch(config, output=whole)
    out = tmp_path / "out.jsonl"
    out.write_text("previous content\n", encoding="utf-8")
    rejects = tmp_path / "rej.jsonl"

    def interrupt(status):
        if status.records >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(config, output=out, rejects=rejects, progress=interrupt, checkpoint_every=0)
    assert out.read_text(encoding="utf-8") == "previous content\n"  # untouched
    assert not rejects.exists()
    assert state_path(out).exists()
    # a crash half-way through a record: the resume cuts back to the checkpoint
    with open(out.with_name("out.jsonl.partial"), "a", encoding="utf-8") as handle:
        handle.write('{"line": 99, "half')
    result = run_batch(config, output=out, rejects=rejects, resume=True)
    assert result.resumed_from == 20 and result.records == 50
    assert out.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")
    assert [r["id"] for r in _records(rejects)] == ["bad"]
    assert not state_path(out).exists() and not out.with_name("out.jsonl.partial").exists()
    with pytest.raises(InputError, match="no interrupted run"):
        run_batch(config, output=out, resume=True)


def test_resume_refuses_changed_inputs(tmp_path):
    path = _jsonl(tmp_path / "t.jsonl", TICKETS * 5)
    config = BatchConfig([str(path)], workers=1, chunk_size=2)
    out = tmp_path / "out.jsonl"

    def interrupt(status):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(config, output=out, progress=interrupt, checkpoint_every=0)
    _jsonl(path, TICKETS * 6)
    with pytest.raises(InputError, match="differ"):
        run_batch(config, output=out, resume=True)


def test_one_and_two_workers_give_identical_output(tmp_path):
    lines = (FIXTURES.parent.parent / "examples" / "tickets" / "tickets.jsonl").read_text(
        encoding="utf-8"
    )
    path = tmp_path / "t.jsonl"
    path.write_text(lines + "{broken\n" + lines, encoding="utf-8")
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}.jsonl"
        run_batch(BatchConfig([str(path)], workers=workers, chunk_size=37), output=out)
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) == 2 * len(lines.splitlines()) + 1


def test_a_run_keeps_the_collector_off_what_it_holds_and_hands_it_back(tmp_path):
    import gc

    lines = (FIXTURES.parent.parent / "examples" / "tickets" / "tickets.jsonl").read_text(
        encoding="utf-8"
    )
    path = tmp_path / "t.jsonl"
    path.write_text(lines, encoding="utf-8")
    frozen = []
    config = BatchConfig([str(path)], workers=1, chunk_size=40)
    for chunk in iter_results(config):
        frozen.append(gc.get_freeze_count())
        assert chunk
    assert len(frozen) > 1 and min(frozen) > 0  # the Diagnoser is out of the collector's passes
    assert gc.get_freeze_count() == 0  # and back in them once the run is over
    gc.freeze()  # a set frozen by the caller is the caller's: left frozen, never thawed
    try:
        before = gc.get_freeze_count()
        list(iter_records(config))
        assert gc.get_freeze_count() >= before
    finally:
        gc.unfreeze()


def test_batch_records_agree_with_diagnose(shipped):
    path = FIXTURES.parent.parent / "examples" / "tickets" / "holdout.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        ticket = json.loads(line)
        ticket.pop("expected", None)
        full = shipped.diagnose(ticket)
        record = shipped.diagnose_record(ticket)
        assert record == shipped.diagnose_record(ticket)  # from the cache: the same
        # the fast path and the full model give the one record
        assert record == full.to_record()
        assert record["schema_version"] == full.schema_version == "2"


def test_summary_is_written(tmp_path):
    pytest.importorskip("diagnoser.batch.summary")
    path = _jsonl(tmp_path / "t.jsonl", TICKETS)
    summary = tmp_path / "summary.md"
    result = CliRunner().invoke(cli, ["batch", "-q", str(path), "--summary", str(summary)])
    assert result.exit_code == 0, result.stderr
    assert summary.read_text(encoding="utf-8").strip()


def test_cached_records_equal_fresh_ones_whatever_the_numbers(shipped):
    # numbers count through the rule tests they pass: a cached record stands in for tickets
    # whose day, hour, metrics or user counts differ but pass the same tests — and only those
    from diagnoser import Diagnoser

    cached = Diagnoser(shipped.kb, cache_size=4096)
    texts = ["系统很慢，一直转圈", "month end, invoices time out", "打印机卡纸", "开不了票 12号"]
    tickets = [
        {
            "id": f"n{i}",
            "text": texts[i % len(texts)],
            "reported_at": f"2026-11-{1 + i % 30:02d}T{i % 24:02d}:05:00",
            "metrics": {"cpu_percent": [40, 89.9, 90, 97][i % 4]},
            "affected_users": [1, 9, 10, 150, 2000][i % 5],
        }
        for i in range(240)
    ]
    uncached = Diagnoser(shipped.kb, cache_size=0)
    for ticket in tickets:
        record, full = cached.diagnose_record(ticket), uncached.diagnose(ticket)
        assert record == full.to_record(), ticket
    assert len(cached._record_cache) < len(tickets)  # the numbers did share entries


def test_records_that_differ_only_in_words_not_understood_share_a_cache_entry(shipped):
    # the clauses not understood are each ticket's own; the rest of the record is cached by
    # the facts, so a backlog of distinct texts saying the same thing reuses one entry
    from diagnoser import Diagnoser

    cached = Diagnoser(shipped.kb, cache_size=4096)
    fresh = Diagnoser(shipped.kb, cache_size=0)
    tickets = [
        {"id": "a", "text": "打印机卡纸，杭州人民路店"},
        {"id": "b", "text": "打印机卡纸，台北民生門市第三收银台"},
        {"id": "c", "text": "打印机卡纸"},
    ]
    records = [cached.diagnose_record(t) for t in tickets]
    for ticket, record in zip(tickets, records, strict=True):
        assert record == fresh.diagnose(ticket).to_record(), ticket["id"]
    assert [len(r["unrecognised"]) for r in records] == [1, 1, 0]
    assert records[0]["unrecognised"][0]["value"] == "杭州人民路店"
    assert records[0]["diagnoses"] == records[1]["diagnoses"] == records[2]["diagnoses"] != []
    assert len(cached._record_cache) == 1


def test_a_backlog_of_distinct_texts_gets_the_records_of_fresh_diagnoses(tmp_path, shipped):
    # every text differs (store names, order numbers, greetings), as in a real export, while
    # what they say repeats: records served by the facts cache, from two worker processes,
    # equal a fresh diagnosis of each ticket by a Diagnoser without any cache
    import random

    from diagnoser import Diagnoser

    rng = random.Random(5)
    examples = FIXTURES.parent.parent / "examples" / "tickets" / "tickets.jsonl"
    bases = [json.loads(line) for line in examples.read_text(encoding="utf-8").splitlines()]
    tickets = []
    for i in range(240):
        base = rng.choice(bases)
        greeting = rng.choice(["您好，", "Hi team, ", "", "請問一下，"])
        store = rng.choice(["杭州人民路店", "store #12", "台北民生門市"])
        ticket = {
            "id": f"u{i}",
            "text": f"{greeting}{store}{rng.randrange(99)}，{base.get('text', '')}，单号 {90 + i}",
            "reported_at": f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:10:00",
        }
        for key in ("error_codes", "system", "metrics", "scope"):
            if key in base:
                ticket[key] = base[key]
        tickets.append(ticket)
    assert len({t["text"] for t in tickets}) == len(tickets)
    path = _jsonl(tmp_path / "distinct.jsonl", tickets)
    out = tmp_path / "out.jsonl"
    run_batch(BatchConfig([str(path)], workers=2, chunk_size=16), output=out)
    fresh = Diagnoser(shipped.kb, cache_size=0)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(tickets)
    for ticket, record in zip(tickets, records, strict=True):
        assert record.pop("status") == "ok"
        assert record.pop("source") == str(path)
        record.pop("line")
        assert record == fresh.diagnose(ticket).to_record(), ticket["id"]

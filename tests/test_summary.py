"""The summary report of a batch run: counts, rendering, atomic writing and the CLI command."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagnoser.batch.summary import (
    EXAMPLES,
    KEY_CAPACITY,
    PHRASE_CAPACITY,
    PHRASE_EXAMPLES,
    SummaryError,
    render_summary,
    summarise,
    write_summary,
)
from diagnoser.cli import cli
from diagnoser.cli.summary import summary as summary_command
from tests.conftest import MINI

KB = ["--rules", str(MINI / "rules"), "--knowledge", str(MINI / "knowledge")]
INJECTED = "<script>alert(1)</script>"


def ok(
    line: int,
    fault: str | None = None,
    certainty: float = 0.8,
    priority: str | None = None,
    scope: str | None = None,
    systems: tuple[str, ...] = (),
    codes: tuple[str, ...] = (),
    unrecognised: tuple[str, ...] = (),
    reported_at: str | None = None,
    source: str = "tickets.jsonl",
) -> dict:
    diagnoses = []
    if fault:
        diagnoses = [
            {"fault_id": fault, "category": fault.split(".")[0], "certainty": certainty},
            {"fault_id": "operation.user_error", "category": "operation", "certainty": 0.1},
        ]
    return {
        "line": line,
        "source": source,
        "id": f"T-{line}",
        "status": "ok",
        "diagnoses": diagnoses,
        "priority": priority if fault else None,
        "scope": scope,
        "systems": list(systems),
        "error_codes": list(codes),
        "evidence": [{"fault_id": fault, "rules": ["r1"], "symptoms": ["s1"]}] if fault else [],
        "unrecognised": list(unrecognised),
        "reported_at": reported_at,
    }


def error(line: int, reason: str) -> dict:
    return {"line": line, "source": "tickets.jsonl", "id": None, "status": "error", "error": reason}


RECORDS = [
    ok(
        1,
        "network.disconnected",
        0.9,
        "P1",
        "city",
        ("generic",),
        ("1001",),
        reported_at="2024-06-03T09:10:00+08:00",
    ),
    ok(
        2,
        "network.disconnected",
        0.7,
        "P2",
        "site",
        ("generic",),
        ("1001", "1001"),
        reported_at="2024-06-03T09:40:00+08:00",
    ),
    ok(3, "hardware.printer_failure", 0.5, "P3", None, (), (), ("text: paper smells odd",)),
    ok(4, unrecognised=("text: the till beeps twice", "error_code: 9999"), reported_at="junk"),
    ok(5, unrecognised=("text: The till beeps  twice!",), reported_at="2024-06-03T11:05:00+08:00"),
    ok(6, unrecognised=()),
    error(7, "ticket 'T-7': scope: unknown scope 'building'"),
    error(8, "a ticket must be a mapping, got list"),
    {"line": 9, "source": "tickets.jsonl", "id": "T-9", "status": "ok", "diagnoses": "nope"},
]


@pytest.fixture(scope="module")
def summary():
    return summarise(RECORDS)


def rows(breakdown) -> dict[str, int]:
    return {row.key: row.count for row in breakdown}


def test_headline_counts(summary):
    assert summary.records == 9
    assert summary.accepted == 6
    assert summary.rejected == 3  # two error records and one malformed record
    assert summary.diagnosed == 3
    assert summary.undiagnosed == 3
    assert summary.p1 == 1
    assert summary.diagnosed_share == pytest.approx(0.5)
    assert summary.mean_certainty == pytest.approx((0.9 + 0.7 + 0.5) / 3)


def test_breakdowns(summary):
    assert rows(summary.faults) == {"network.disconnected": 2, "hardware.printer_failure": 1}
    assert summary.faults[0].key == "network.disconnected"
    assert summary.faults[0].p1 == 1
    assert summary.faults[0].share == pytest.approx(2 / 3)
    assert summary.faults[0].mean_certainty == pytest.approx(0.8)
    assert rows(summary.categories) == {"network": 2, "hardware": 1}
    assert rows(summary.priorities) == {"P1": 1, "P2": 1, "P3": 1, "-": 3}
    assert [r.key for r in summary.priorities] == ["P1", "P2", "P3", "-"]
    assert rows(summary.scopes) == {"city": 1, "site": 1, "-": 4}
    assert rows(summary.systems) == {"generic": 2, "-": 4}
    assert rows(summary.error_codes) == {"1001": 2}  # once per ticket
    assert summary.tickets_with_codes == 2
    assert summary.error_codes[0].share == 1.0


def test_rejections_keep_line_and_reason(summary):
    reasons = [(r.ticket.line, r.reason) for r in summary.rejections]
    assert reasons[0] == (7, "ticket 'T-7': scope: unknown scope 'building'")
    assert reasons[1] == (8, "a ticket must be a mapping, got list")
    assert reasons[2][0] == 9 and reasons[2][1].startswith("malformed record: diagnoses")
    assert str(summary.rejections[2].ticket) == "T-9 (tickets.jsonl:9)"


def test_unmatched_grouped_by_phrase(summary):
    assert [u.ticket.id for u in summary.unmatched] == ["T-4", "T-5", "T-6"]
    assert summary.unmatched[0].unrecognised == ("the till beeps twice", "error_code: 9999")
    assert summary.unmatched_without_input == 1
    top = summary.phrases[0]
    # case, spacing and edge punctuation do not split a phrase
    assert (top.kind, top.text, top.tickets) == ("text", "the till beeps twice", 2)
    assert [r.id for r in top.examples] == ["T-4", "T-5"]
    assert ("error_code", "9999", 1) in [(p.kind, p.text, p.tickets) for p in summary.phrases]
    # phrases of diagnosed tickets are not what the knowledge base failed on
    assert all(p.text != "paper smells odd" for p in summary.phrases)


def test_timeline_by_hour_for_a_short_run(summary):
    timeline = summary.timeline
    assert timeline is not None
    assert timeline.grain == "hour"
    assert timeline.timezone == "UTC+08:00"
    assert [(b.label, b.count, b.p1) for b in timeline.buckets] == [
        ("2024-06-03 09:00", 2, 1),
        ("2024-06-03 10:00", 0, 0),
        ("2024-06-03 11:00", 1, 0),
    ]
    assert timeline.undated == 3  # missing, missing and unparseable reported_at


def test_timeline_by_day_and_month():
    days = summarise(
        [
            ok(i, "network.disconnected", reported_at=f"2024-06-{d:02d}T10:00")
            for i, d in ((1, 1), (2, 2))
        ]
        + [ok(3, "network.disconnected", reported_at="2024-06-05T23:00")]
    ).timeline
    assert days is not None and days.grain == "day" and days.timezone is None
    assert [(b.label, b.count) for b in days.buckets] == [
        ("2024-06-01", 1),
        ("2024-06-02", 1),
        ("2024-06-03", 0),
        ("2024-06-04", 0),
        ("2024-06-05", 1),
    ]
    months = summarise(
        [ok(1, reported_at="2024-01-31T10:00Z"), ok(2, reported_at="2024-06-01T00:30+08:00")]
    ).timeline
    assert months is not None and months.grain == "month" and months.timezone == "UTC+00:00"
    assert months.buckets[0].label == "2024-01"
    assert months.buckets[-1].label == "2024-05"  # 2024-05-31 16:30 UTC
    assert len(months.buckets) == 5


def test_no_records():
    empty = summarise([])
    assert (empty.records, empty.accepted, empty.rejected, empty.timeline) == (0, 0, 0, None)
    assert empty.mean_certainty is None
    for fmt in ("html", "md"):
        assert render_summary(empty, fmt, "en")


def test_titles_from_a_knowledge_base(mini):
    with_kb = summarise(RECORDS, mini.kb)
    fault = with_kb.faults[0]
    assert fault.title is not None
    assert fault.title.en == mini.kb.faults["network.disconnected"].title.en
    assert fault.label("zh") == mini.kb.faults["network.disconnected"].title.zh
    code = with_kb.error_codes[0]
    assert code.title is not None and "generic" in code.note
    html = render_summary(with_kb, "html", "zh")
    assert mini.kb.faults["network.disconnected"].title.zh in html


class _Checker(HTMLParser):
    """Collects tags and checks that every non-void element is closed in order."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "rect", "line", "path", "circle"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def test_html_is_well_formed_with_svg_charts_and_no_script(summary):
    text = render_summary(summary, "html", "en")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.problems == []
    assert checker.stack == []
    assert text.startswith("<!DOCTYPE html>")
    assert checker.tags.count("svg") >= 5  # faults, categories, priorities, scopes, systems …
    assert 'class="chart column-chart"' in text  # … and the timeline
    assert "<script" not in text.lower()
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text and "@import" not in text and "url(" not in text


def test_ticket_text_cannot_inject_markup():
    records = [
        ok(1, unrecognised=(f"text: {INJECTED}",), source=f"<b>{INJECTED}</b>"),
        ok(2, "software.program_error", systems=(INJECTED,), codes=("<i>",)),
        error(3, INJECTED),
    ]
    injected = summarise(records)
    html = render_summary(injected, "html", "en")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;&lt;script&gt;" in html  # the source name, escaped
    assert "<i>" not in html and "&lt;i&gt;" in html  # the error code, escaped
    md = render_summary(injected, "md", "zh")
    assert "<script" not in md.lower()
    assert "&lt;script&gt;" in md


def test_markdown_renders_tables_and_text_bars(summary):
    md = render_summary(summary, "md", "en")
    assert md.startswith("# Batch diagnosis summary")
    assert "| `network.disconnected` |" in md
    assert "█" in md
    assert "the till beeps twice" in md
    assert "2024-06-03 09:00" in md
    zh = render_summary(summary, "md", "zh")
    assert "批量诊断汇总报告" in zh


def test_render_rejects_unknown_format_or_language(summary):
    with pytest.raises(SummaryError):
        render_summary(summary, "pdf", "en")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render_summary(summary, "html", "fr")  # type: ignore[arg-type]


def test_write_summary_is_atomic_and_picks_the_format(tmp_path: Path):
    html_path = tmp_path / "report.html"
    html_path.write_text("old")
    result = write_summary(iter(RECORDS), html_path)
    assert result.records == len(RECORDS)
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    md_path = tmp_path / "report.md"
    write_summary(RECORDS, md_path, lang="zh")
    assert md_path.read_text(encoding="utf-8").startswith("# 批量诊断汇总报告")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.md"]


def test_write_summary_rejects_an_unknown_suffix(tmp_path: Path):
    consumed = []

    def records():
        consumed.append(True)
        yield from RECORDS

    target = tmp_path / "report.pdf"
    with pytest.raises(ValueError, match=r"report\.pdf") as info:
        write_summary(records(), target)
    assert isinstance(info.value, SummaryError)
    assert not consumed  # failed before reading
    assert list(tmp_path.iterdir()) == []


def test_language_follows_the_ticket_text(tmp_path: Path):
    chinese = [ok(i, unrecognised=("text: 打印机一直响",)) for i in range(3)]
    assert summarise(chinese).language == "zh"
    assert summarise(RECORDS).language == "en"
    path = tmp_path / "r.md"
    write_summary(chinese, path)
    assert path.read_text(encoding="utf-8").startswith("# 批量诊断汇总报告")


def letters(number: int) -> str:
    """A word of letters unique to `number` (numbers alone would group: digits are masked)."""
    word = ""
    while True:
        number, digit = divmod(number, 26)
        word += chr(ord("a") + digit)
        if not number:
            return word


def test_memory_stays_bounded_on_a_large_run():
    def generate(n: int):
        for i in range(n):
            if i % 50 == 0:
                yield error(i, f"bad ticket number {i}")
            elif i % 3 == 0:
                yield ok(
                    i,
                    unrecognised=(f"text: unique complaint {letters(i)}", "text: the till beeps"),
                    reported_at=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00",
                )
            else:
                yield ok(
                    i,
                    f"software.fault_{i % 2000}",
                    priority="P1" if i % 7 == 0 else "P3",
                    systems=(f"system_{i % 3000}",),
                    codes=(f"E{i}",),
                    reported_at=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00",
                )

    # over 30 times the capacity for error codes and for phrases: pruned over and over
    n = 50_000
    big = summarise(generate(n))
    assert big.records == n
    assert big.rejected == n // 50
    assert len(big.rejections) == EXAMPLES
    assert len(big.unmatched) == EXAMPLES
    assert len(big.phrases) <= PHRASE_CAPACITY
    assert all(len(p.examples) <= PHRASE_EXAMPLES for p in big.phrases)
    assert len(big.faults) <= KEY_CAPACITY
    assert len(big.systems) <= KEY_CAPACITY
    assert len(big.error_codes) <= KEY_CAPACITY
    assert {"faults", "systems", "error_codes", "phrases"} <= set(big.approximate)
    # the recurring phrase survives the pruning of some 16,000 unique ones, counted exactly
    assert big.phrases[0].text == "the till beeps"
    assert big.phrases[0].tickets == big.undiagnosed
    assert big.timeline is not None and big.timeline.grain == "month"
    assert len(big.timeline.buckets) == 12
    assert sum(b.count for b in big.timeline.buckets) == big.accepted
    md = render_summary(big, "md", "en")
    assert "lower bounds" in md


# --- the command --------------------------------------------------------------------------------


def write_jsonl(path: Path, records: list, extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join([*lines, *extra_lines]) + "\n", encoding="utf-8")
    return path


def test_command_writes_the_report(tmp_path: Path):
    results = write_jsonl(tmp_path / "results.jsonl", RECORDS[:6])
    out = tmp_path / "summary.html"
    result = CliRunner().invoke(cli, ["summary", str(results), "-o", str(out), *KB])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "6 record(s), 3 diagnosed" in result.stderr


def test_command_reports_a_bad_line_and_goes_on(tmp_path: Path):
    first = write_jsonl(tmp_path / "a.jsonl", RECORDS[:2], ("{not json", "[1, 2]"))
    second = write_jsonl(tmp_path / "b.jsonl", RECORDS[2:4])
    out = tmp_path / "summary.md"
    result = CliRunner().invoke(
        summary_command, [str(first), str(second), "-o", str(out), "--lang", "en", *KB]
    )
    assert result.exit_code == 5  # written, some lines rejected: as batch
    assert f"{first}:3: invalid JSON" in result.stderr
    assert f"{first}:4: not a JSON object" in result.stderr
    assert "Traceback" not in result.output
    report = out.read_text(encoding="utf-8")
    assert "6 record(s), 3 diagnosed" in result.stderr  # 4 records + 2 unreadable lines
    assert "unreadable result line: invalid JSON" in report
    assert f"{first.name}:3".replace("_", "\\_") in report or "a.jsonl:3" in report


def test_command_into_a_missing_directory_is_an_unwritable_output(tmp_path: Path):
    results = write_jsonl(tmp_path / "results.jsonl", RECORDS[:2])
    out = tmp_path / "no" / "such" / "r.html"
    result = CliRunner().invoke(cli, ["summary", str(results), "-o", str(out)])
    assert result.exit_code == 6
    assert "cannot write" in result.output and "does not exist" in result.output


def test_command_rejects_an_unknown_suffix(tmp_path: Path):
    results = write_jsonl(tmp_path / "results.jsonl", RECORDS[:2])
    result = CliRunner().invoke(cli, ["summary", str(results), "-o", str(tmp_path / "r.txt")])
    assert result.exit_code == 2
    assert "r.txt" in result.output and ".html" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.txt").exists()


def test_the_example_report_builds(tmp_path: Path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "example.html"
    done = subprocess.run(
        [sys.executable, str(root / "examples/make_summary_example.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    assert "3 rejected" in done.stderr
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text and "column-chart" in text


def test_where_groups_by_a_carried_column(tmp_path):
    # an export with a store column: --keep carries it into each record's extra, and the
    # summary's "where" counts tickets per store instead of per invoicing system
    export = tmp_path / "export.csv"
    export.write_text(
        "id,text,store\n"
        "1,printer jammed,Leeds #4\n"
        "2,cannot connect to the server,Leeds #4\n"
        "3,printer jammed,Pune 12\n"
        "4,系统很慢,\n",
        encoding="utf-8",
    )
    out, report = tmp_path / "out.jsonl", tmp_path / "s.md"
    args = ["batch", "-q", str(export), "-o", str(out), "--keep", "store", "--summary"]
    result = CliRunner().invoke(cli, [*args, str(report), "--by", "store"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r.get("extra", {}).get("store") for r in records] == [
        "Leeds #4",
        "Leeds #4",
        "Pune 12",
        "",
    ]
    text = report.read_text(encoding="utf-8")
    assert "### By store" in text
    assert "| Leeds \\#4 | 2 |" in text and "| Pune 12 | 1 |" in text  # Markdown-escaped
    assert "| no store given | 1 |" in text
    assert "The most affected store is Leeds \\#4 (2 ticket(s))." in text

    # the same from the results file, and by the system when not asked otherwise
    again = tmp_path / "again.md"
    got = CliRunner().invoke(
        cli, ["summary", str(out), "-o", str(again), "--group-by", "store", "--lang", "en"]
    )
    assert got.exit_code == 0, got.output
    assert again.read_text(encoding="utf-8") == text
    summary = summarise(records, by="store")
    assert [(r.key, r.count) for r in summary.systems] == [
        ("Leeds #4", 2),
        ("-", 1),
        ("Pune 12", 1),
    ]
    assert {r.key for r in summarise(records).systems} <= {"-", "generic"}


def test_by_without_a_summary_is_a_usage_error(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "1", "text": "printer jammed"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(path), "--by", "store"])
    assert result.exit_code == 2 and "--summary" in result.output


def test_command_on_a_results_file_failing_while_read_is_an_input_error(tmp_path, fail_reading):
    results = write_jsonl(tmp_path / "results.jsonl", RECORDS[:2])
    out = tmp_path / "summary.html"
    fail_reading(results)
    result = CliRunner().invoke(cli, ["summary", str(results), "-o", str(out), *KB])
    assert result.exit_code == 4, result.output  # the input, not the output (6)
    assert f"{results}:1: cannot read: Input/output error" in result.stderr
    assert "cannot write" not in result.stderr
    assert not out.exists()


def test_command_rejects_an_overlong_line_and_reads_the_next(tmp_path, monkeypatch):
    from diagnoser.cli import summary as summary_module

    limit = max(len(json.dumps(r, ensure_ascii=False).encode()) for r in RECORDS[:2]) + 8
    monkeypatch.setattr(summary_module, "MAX_LINE", limit)
    long_line = json.dumps({"id": "x", "status": "ok", "pad": "y" * 3 * limit})
    results = write_jsonl(tmp_path / "results.jsonl", RECORDS[:1], (long_line,))
    results.write_text(
        results.read_text(encoding="utf-8") + json.dumps(RECORDS[1], ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "summary.md"
    result = CliRunner().invoke(cli, ["summary", str(results), "-o", str(out), *KB])
    assert result.exit_code == 5, result.output
    assert f"{results}:2: a line longer than {limit:,} bytes" in result.stderr
    assert "3 record(s)" in result.stderr  # the record after the long line is still read
    assert "1 unreadable line(s)" in result.stderr

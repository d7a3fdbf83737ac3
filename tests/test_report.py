"""Reports: text, Markdown, HTML through the templates, and the JSON contract."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import stat
from pathlib import Path

import pytest

from diagnoser._files import write_atomic
from diagnoser.errors import DiagnoserError
from diagnoser.report import (
    Format,
    ReportTemplateError,
    build_view,
    customer_notice_applies,
    detect_language,
    display_width,
    md_escape,
    provenance,
    render,
    wrap,
)
from diagnoser.result import Scope, Unrecognised

SNAPSHOTS = Path(__file__).parent / "snapshots"
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>"
TEMPLATE_FORMATS = (Format.TEXT, Format.MARKDOWN, Format.HTML)
REPORTED = dt.datetime(2026, 11, 24, 9, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _flat(report: str, fmt: Format) -> str:
    """The report's text with line wrapping and Markdown escapes undone, for 'is it there'."""
    if fmt is Format.TEXT:
        return re.sub(r"\n +", "", report)
    if fmt is Format.MARKDOWN:
        return re.sub(r"\\(.)", r"\1", report)
    return html.unescape(report)


def test_wrap_respects_the_width_for_english_and_chinese():
    english = "Stop resending jobs to the printer so invoices are not printed twice " * 3
    chinese = "停止向该打印机重复发送打印任务，避免重复打印或打错发票号；开票业务本身可以继续。" * 3
    for text in (english, chinese):
        lines = wrap(text, 40, 4).split("\n")
        assert len(lines) > 1
        assert all(display_width(line) <= 40 - (4 if i == 0 else 0) for i, line in enumerate(lines))
        assert all(line.startswith("    ") for line in lines[1:])
        assert not any(line.strip()[:1] in "，。；" for line in lines)


@pytest.mark.parametrize("kb_name", ["mini", "shipped"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", TEMPLATE_FORMATS, ids=lambda f: f.value)
def test_every_template_renders_every_fault(request, kb_name, lang, fmt):
    """No missing keys (undefined names raise), every step and workaround is there, in the
    report's language, and the text report stays within 80 columns."""
    diagnoser = request.getfixturevalue(kb_name)
    base = diagnoser.diagnose({"id": "r", "text": "printer jammed, 你好", "scope": "site"})
    for fault_id in diagnoser.kb.faults:
        plan = diagnoser.plan(fault_id)
        result = base.model_copy(update={"plan": plan, "reported_at": REPORTED})
        for with_kb in (diagnoser, None):
            report = render(result, fmt, lang, diagnoser=with_kb)
            flat = _flat(report, fmt)
            # the plan's texts: the fault's, with contacts filled in (here: named by role)
            for text in (*(s.text for s in plan.steps), *plan.workaround):
                assert text.get(lang)[:12] in flat, (fault_id, fmt)
            # no placeholder reaches the reader: the report shows the plan's filled-in texts
            assert "{support." not in flat and "{escalation" not in flat, (fault_id, fmt)
            if plan.customer_notice is not None:
                assert plan.customer_notice.get(lang)[:12] in flat, (fault_id, fmt)
            if fmt is Format.TEXT:
                assert all(display_width(line) <= 80 for line in report.splitlines()), fault_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_fault_renders_in_every_format(mini, lang):
    result = mini.diagnose({"id": "n", "text": "the coffee machine is empty"})
    assert not result.diagnoses
    for fmt in TEMPLATE_FORMATS:
        report = render(result, fmt, lang, diagnoser=mini)
        assert ("未能识别出故障" if lang == "zh" else "No fault identified") in report
        assert "the coffee machine is empty" in report


def _hostile(mini):
    result = mini.diagnose({"id": PAYLOAD, "text": "printer jammed"})
    extra = Unrecognised(kind="text", value=PAYLOAD, reason="no_match")
    return result.model_copy(update={"unrecognised": (*result.unrecognised, extra)})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_escapes_ticket_text(mini, lang):
    report = render(_hostile(mini), Format.HTML, lang, diagnoser=mini)
    assert "<script" not in report and "<img" not in report and "onerror=alert(1)>" not in report
    assert html.escape(PAYLOAD, quote=False) in report  # shown, as text
    # the page is self-contained: no external resources of any kind
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", report)
    assert "<style>" in report and "@media print" in report


def test_markdown_escapes_ticket_text(mini):
    report = render(_hostile(mini), Format.MARKDOWN, "en", diagnoser=mini)
    assert not re.search(r"(?<!\\)<", report)  # every < is escaped: no HTML gets through
    assert r"\<script\>alert(1)\</script\>" in report
    assert md_escape("[x](javascript:alert(1))") == r"\[x\](javascript:alert(1))"
    assert md_escape("# title") == r"\# title"


def test_text_neutralises_terminal_control_characters(mini):
    result = mini.diagnose({"id": "c", "text": "printer jammed"})
    extra = Unrecognised(kind="text", value="\x1b[2Jwiped\x07\u202eevil", reason="no_match")
    report = render(result.model_copy(update={"unrecognised": (extra,)}), Format.TEXT, "en")
    assert "\x1b" not in report and "\x07" not in report and "\u202e" not in report
    assert "wiped" in report


def test_colour_only_when_asked_and_only_in_text(mini, monkeypatch):
    # the renders are compared whole: fix the "generated at" time so a second boundary
    # between two renders cannot tell them apart
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    result = mini.diagnose({"id": "c", "text": "printer jammed"})
    assert "\x1b[" not in render(result, Format.TEXT, "en")
    coloured = render(result, Format.TEXT, "en", color=True)
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render(result, Format.TEXT, "en")
    for fmt in (Format.MARKDOWN, Format.HTML):
        assert "\x1b[" not in render(result, fmt, "en", color=True)


def test_json_is_the_model_whatever_the_options(mini, tmp_path):
    result = mini.diagnose({"id": "j", "text": "printer jammed"})
    expected = result.model_dump_json(indent=2) + "\n"
    assert render(result, Format.JSON, "en") == expected
    assert render(result, "json", "zh", color=True, template_dir=tmp_path) == expected
    timed = result.model_copy(update={"reported_at": REPORTED})
    assert json.loads(render(timed, Format.JSON, "en"))["reported_at"] == REPORTED.isoformat()


def test_report_order_follows_the_agents_needs(mini):
    result = mini.diagnose({"id": "o", "text": "error code 1001, cannot connect. zzkq"})
    report = render(result, Format.TEXT, "en", diagnoser=mini)
    headings = [
        "What is most likely wrong",
        "Priority and impact",
        "What to do now",
        "Temporary workaround",
        "Recovery and follow-up",
        "Customer notice (draft)",
        "Not understood",
    ]
    positions = [report.index(h) for h in headings]
    assert positions == sorted(positions)
    phases = ["Contain", "Isolate and back up", "Contact support", "Standby or manual procedure"]
    positions = [report.index("\n" + p + "\n") for p in phases]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["error code 1001 (", "→ code.network.disconnected", "text: cannot connect"]),
        ("zh", ["错误代码 1001（", "→ code.network.disconnected", "工单文字：无法连接"]),
    ],
)
def test_evidence_says_which_input_led_to_which_rule(mini, lang, expected):
    result = mini.diagnose({"text": "error code 1001, cannot connect to the server"})
    report = render(result, Format.TEXT, lang, diagnoser=mini)
    flat = _flat(report, Format.TEXT)
    for part in expected:
        assert part in flat


def test_principles_are_tagged_in_the_report_language(mini):
    result = mini.diagnose({"text": "printer jammed"})
    zh = render(result, Format.HTML, "zh", diagnoser=mini)
    en = render(result, Format.TEXT, "en", diagnoser=mini)
    assert 'class="tag respond_at_once">立即响应<' in zh
    assert "[Respond at once]" in en


def test_fault_time_is_shown_or_asked_for(mini):
    result = mini.diagnose({"text": "printer jammed"})
    asked = render(result, Format.TEXT, "en", diagnoser=mini)
    assert "The ticket has no fault time" in _flat(asked, Format.TEXT)
    timed = render(result.model_copy(update={"reported_at": REPORTED}), Format.TEXT, "zh")
    assert "2026-11-24 09:12 UTC+08:00" in timed
    assert "故障时间 2026-11-24 09:12 UTC+08:00" in _flat(timed, Format.TEXT)


@pytest.mark.parametrize(
    ("scope", "shown"),
    [("single_user", False), ("site", True), ("city", True), (None, True)],
)
def test_customer_notice_only_when_customers_may_be_affected(mini, scope, shown):
    result = mini.diagnose({"text": "error code 1001, cannot connect", "scope": "site"})
    result = result.model_copy(update={"scope": Scope(scope) if scope else None})
    assert result.plan is not None and result.plan.customer_notice is not None
    assert customer_notice_applies(result) is shown
    report = render(result, Format.HTML, "en", diagnoser=mini)
    assert ("Customer notice (draft)" in report) is shown


def test_contrast_when_the_top_two_are_close(mini):
    result = mini.diagnose({"text": "the printer jammed and we cannot connect to the server"})
    view = build_view(result, "en", mini)
    assert view.contrast is not None and len(view.contrast.lines) == 2
    report = render(result, Format.MARKDOWN, "en", diagnoser=mini)
    assert "Telling them apart" in report and "more likely" in report
    # without the diagnoser there are no rules to compare: the section is left out
    assert "Telling them apart" not in render(result, Format.MARKDOWN, "en")
    far = mini.diagnose({"text": "printer jammed"})
    assert build_view(far, "en", mini).contrast is None


def test_unrecognised_reasons_are_localised(mini):
    result = mini.diagnose({"text": "printer jammed", "symptoms": ["paper_jamm"]})
    zh = render(result, Format.TEXT, "zh", diagnoser=mini)
    assert "不是知识库中的症状；是否指“paper_jam”？" in _flat(zh, Format.TEXT)


# --- template directories --------------------------------------------------------------------


def test_template_dir_overrides_and_falls_back(mini, tmp_path):
    (tmp_path / "report.txt.j2").write_text("{{ t.ticket }} {{ r.id }}: {{ r.priority }}\n")
    result = mini.diagnose({"id": "T-9", "text": "printer jammed"})
    assert render(result, Format.TEXT, "en", template_dir=tmp_path) == "Ticket T-9: P3\n"
    shipped = render(result, Format.HTML, "en")
    assert render(result, Format.HTML, "en", template_dir=tmp_path) == shipped


def test_template_dir_html_is_autoescaped(mini, tmp_path):
    (tmp_path / "report.html.j2").write_text("<p>{{ r.unrecognised[-1].value }}</p>")
    report = render(_hostile(mini), Format.HTML, "en", template_dir=tmp_path)
    assert report == f"<p>{html.escape(PAYLOAD, quote=True)}</p>"


def test_template_dir_is_sandboxed(mini, tmp_path):
    (tmp_path / "report.txt.j2").write_text(
        "line one\n{{ r.__class__.__init__.__globals__['os'].system('true') }}\n"
    )
    result = mini.diagnose({"text": "printer jammed"})
    with pytest.raises(ReportTemplateError) as caught:
        render(result, Format.TEXT, "en", template_dir=tmp_path)
    assert "report.txt.j2:2" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        # loops that produce nothing, or next to nothing, for a very long time
        "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
        "{% for a in range(99999) %}{% for b in range(99999) %}.{% endfor %}{% endfor %}",
    ],
)
def test_a_custom_template_that_loops_fails_within_its_time_budget(mini, tmp_path, body):
    from diagnoser.report import _limits

    (tmp_path / "report.txt.j2").write_text("ok\n" + body + "\n")
    result = mini.diagnose({"text": "printer jammed"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_limits, "MAX_SECONDS", 0.3)
        patch.setattr(_limits, "MAX_OUTPUT", 10**9)  # the clock, not the size, must stop it
        with pytest.raises(ReportTemplateError, match=r"report\.txt\.j2.*longer than 0\.3 s"):
            render(result, Format.TEXT, "en", template_dir=tmp_path)


@pytest.mark.parametrize(
    "body",
    [
        "{% for a in range(99999) %}{% for b in range(99) %}xxxxxxxxxx{% endfor %}{% endfor %}",
        "{{ 'x' * 10**10 }}",
        "{{ ['x'] * 10**10 }}",
        "{{ ''|center(10**10) }}",
        "{{ 'x'.ljust(10**10) }}",
        "{{ 7 ** 99999999 }}",
    ],
)
def test_a_custom_template_that_allocates_without_limit_fails(mini, tmp_path, body):
    (tmp_path / "report.md.j2").write_text(body)
    result = mini.diagnose({"text": "printer jammed"})
    with pytest.raises(ReportTemplateError, match=r"report\.md\.j2") as caught:
        render(result, Format.MARKDOWN, "en", template_dir=tmp_path)
    # which limit stops it first depends on the machine: the output size, or (on a loaded one)
    # the render time; either way the error says which limit it went over
    reasons = ("over", "more than", "too large", "took longer than")
    assert any(word in str(caught.value) for word in reasons)


def test_a_symlink_out_of_the_template_dir_is_refused(mini, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("password=hunter2\n")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.txt.j2").symlink_to(outside)
    (templates / "report.md.j2").write_text("{% include 'part.j2' %}")
    (templates / "part.j2").symlink_to(outside)
    result = mini.diagnose({"text": "printer jammed"})
    for fmt in (Format.TEXT, Format.MARKDOWN):
        with pytest.raises(ReportTemplateError, match="outside the template directory") as caught:
            render(result, fmt, "en", template_dir=templates)
        assert "hunter2" not in str(caught.value)
    # a link that stays inside the directory is fine
    (templates / "inner.j2").write_text("inside {{ r.id }}\n")
    (templates / "report.txt.j2").unlink()
    (templates / "report.txt.j2").symlink_to(templates / "inner.j2")
    assert render(result, Format.TEXT, "en", template_dir=templates).startswith("inside ")


def test_template_syntax_error_names_file_and_line(mini, tmp_path):
    (tmp_path / "report.md.j2").write_text("# ok\n\n{% for x in r.faults %}\n{{ x.id }\n")
    result = mini.diagnose({"text": "printer jammed"})
    with pytest.raises(ReportTemplateError) as caught:
        render(result, Format.MARKDOWN, "en", template_dir=tmp_path)
    error = caught.value
    assert isinstance(error, DiagnoserError)
    assert error.template is not None and error.template.endswith("report.md.j2")
    assert error.line == 4 and f"{error.template}:4:" in str(error)


def test_template_undefined_name_names_file_and_line(mini, tmp_path):
    (tmp_path / "report.txt.j2").write_text("{{ r.id }}\n\n{{ r.no_such_field }}\n")
    result = mini.diagnose({"text": "printer jammed"})
    with pytest.raises(ReportTemplateError, match=r"report\.txt\.j2:3: .*no_such_field"):
        render(result, Format.TEXT, "en", template_dir=tmp_path)


def test_bad_format_or_language_is_a_diagnoser_error(mini):
    result = mini.diagnose({"text": "printer jammed"})
    with pytest.raises(DiagnoserError, match="format"):
        render(result, "xml", "en")
    with pytest.raises(DiagnoserError, match="language"):
        render(result, Format.TEXT, "fr")


# --- files --------------------------------------------------------------------------------------


def test_format_from_path():
    assert Format.from_path("out/report.HTML") is Format.HTML
    assert Format.from_path("r.md") is Format.MARKDOWN
    assert Format.from_path("r.json") is Format.JSON
    assert Format.from_path("r.txt") is Format.TEXT
    assert Format.from_path("report") is None


def test_write_atomic_replaces_and_keeps_permissions(tmp_path):
    target = tmp_path / "report.html"
    write_atomic(target, "first 一")
    assert target.read_text(encoding="utf-8") == "first 一"
    os.chmod(target, 0o640)
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_atomic_leaves_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.txt"
    target.write_text("old")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_language_detection():
    assert detect_language("打印机卡纸") == "zh"
    assert detect_language("printer jammed") == "en"
    assert detect_language("", {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert detect_language("", {"LANG": "C"}) == "en"


# --- snapshots ---------------------------------------------------------------------------------

SNAPSHOT_CASES = {
    "printer-zh.txt": (
        {"id": "T-100", "text": "打印机卡纸了，打不出发票。嗯嗯啊啊", "scope": "site"},
        Format.TEXT,
        "zh",
    ),
    "network-en.md": (
        {
            "id": "T-101",
            "text": "error code 1001, cannot connect to the server",
            "scope": "site",
            "affected_users": 12,
        },
        Format.MARKDOWN,
        "en",
    ),
    "close-en.html": (
        {"id": "T-102", "text": "the printer jammed and we cannot connect to the server. zzkq"},
        Format.HTML,
        "en",
    ),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_snapshot(mini, name, monkeypatch):
    """Whole reports on the test knowledge base. After an intended change, regenerate with
    DIAGNOSER_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_report.py and review the diff."""
    # what changes with a release or a fixture edit is fixed here (tested on its own below)
    monkeypatch.setattr(provenance, "kb_version", lambda kb: "0123456789ab")
    monkeypatch.setattr(provenance, "version", lambda: "diagnoser 0.0.0")
    ticket, fmt, lang = SNAPSHOT_CASES[name]
    result = mini.diagnose(ticket).model_copy(update={"reported_at": REPORTED})
    report = render(result, fmt, lang, diagnoser=mini, ticket=ticket, generated_at=REPORTED)
    path = SNAPSHOTS / name
    if os.environ.get("DIAGNOSER_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(report, encoding="utf-8")
    assert path.exists(), f"missing snapshot {path}; run with DIAGNOSER_UPDATE_SNAPSHOTS=1"
    assert report == path.read_text(encoding="utf-8")


# --- what was reported, and how the report was made ------------------------------------------

QUOTED = {
    "id": "HD-7<b>",
    "text": "打印机卡纸了\n<script>alert(1)</script> **bold** \x1b[2J",
    "error_codes": ["E1001"],
    "metrics": {"cpu_percent": 97},
    "scope": "site",
    "site": "天河店 <i>",
    "region": "天河区",
}


@pytest.mark.parametrize("fmt", [Format.TEXT, Format.MARKDOWN, Format.HTML])
def test_the_report_quotes_what_was_reported_escaped(mini, fmt):
    report = render(mini.diagnose(QUOTED), fmt, "zh", diagnoser=mini, ticket=QUOTED)
    assert "打印机卡纸了" in report and "天河区" in report and "E1001" in report
    assert "cpu_percent=97" in report
    assert "\x1b" not in report
    if fmt is Format.HTML:
        assert "<script>" not in report and "天河店 &lt;i&gt;" in report
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    if fmt is Format.MARKDOWN:
        assert r"\<script\>" in report and r"\*\*bold\*\*" in report
    assert ("报告内容" in report) and ("商户或门店" in report)


def test_without_the_ticket_nothing_is_quoted(mini):
    report = render(mini.diagnose(QUOTED), Format.TEXT, "en", diagnoser=mini)
    assert "What was reported" not in report


@pytest.mark.parametrize("fmt", [Format.TEXT, Format.MARKDOWN, Format.HTML])
def test_the_report_says_when_and_from_what_it_was_made(mini, fmt):
    report = render(
        mini.diagnose(QUOTED), fmt, "en", diagnoser=mini, ticket=QUOTED, generated_at=REPORTED
    )
    flat = _flat(report, fmt)
    assert "2026-11-24 09:12:00 UTC+08:00" in flat
    assert provenance.version() in flat
    assert provenance.kb_version(mini.kb) in flat


def test_the_knowledge_base_hash_follows_its_content(tmp_path):
    import shutil

    from tests.conftest import MINI

    rules, knowledge = tmp_path / "rules", tmp_path / "knowledge"
    shutil.copytree(MINI / "rules", rules)
    shutil.copytree(MINI / "knowledge", knowledge)
    first = provenance.content_hash(rules, knowledge)
    assert first == provenance.content_hash(MINI / "rules", MINI / "knowledge")  # not the place
    assert first is not None and len(first) == provenance.HASH_LENGTH
    (rules / "cases").mkdir(exist_ok=True)
    (rules / "cases" / "extra.yaml").write_text("rule: x\n", encoding="utf-8")
    (rules / "scenarios").mkdir(exist_ok=True)
    (rules / "scenarios" / "extra.yaml").write_text("scenarios: []\n", encoding="utf-8")
    assert provenance.content_hash(rules, knowledge) == first  # fixtures do not count
    some = sorted(knowledge.rglob("*.yaml"))[0]
    some.write_text(some.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert provenance.content_hash(rules, knowledge) != first


def test_long_rule_ids_wrap_at_separators_in_html(mini):
    report = render(mini.diagnose({"text": "printer jammed"}), Format.HTML, "en", diagnoser=mini)
    rule = mini.diagnose({"text": "printer jammed"}).diagnoses[0].evidence[0].rule
    assert "-" in rule
    assert rule.replace("-", "-<wbr>") in report
    assert "code { word-break: break-all" not in report


def test_a_chinese_report_is_chinese_throughout(shipped):
    ticket = {"text": "全市都报错误代码1001，打印机也卡纸", "scope": "city", "affected_users": 30}
    report = render(shipped.diagnose(ticket), Format.TEXT, "zh", diagnoser=shipped, ticket=ticket)
    report = report.replace(provenance.kb_version(shipped.kb) or "-", "")  # hex, not words
    words = set(re.findall(r"[A-Za-z]{3,}", report))
    ids = set()
    for d in shipped.diagnose(ticket).diagnoses:
        ids |= set(re.findall(r"[A-Za-z]{3,}", d.fault_id + " " + d.category))
        for e in d.evidence:
            ids |= set(re.findall(r"[A-Za-z]{3,}", e.rule))
    # what is left in Latin letters is ids, system and product names from the knowledge
    # base, the program's own name, the option and file the site-profile note names, and the
    # option and profile key the jurisdiction note names
    allowed = ids | {"diagnoser", "GSP", "IRP", "NIC", "IRN", "KSeF", "PDF", "OFD", "XML", "UTC"}
    allowed |= {"site", "DIAGNOSER", "SITE", "docs", "profile", "system", "jurisdiction"}
    assert words <= allowed, sorted(words - allowed)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reports_say_which_mentions_were_not_taken_and_why(shipped, lang):
    result = shipped.diagnose({"id": "a", "text": "没有卡纸，上个月打印机脱机已经修好了"})
    assert [(a.symptom, a.scope.value, a.trigger) for a in result.set_aside][:1] == [
        ("paper_jam", "negation", "没有")
    ]
    assert "paper_jam" not in [s.id for s in result.symptoms]
    why = "被“没有”否定" if lang == "zh" else "negated by “没有”"
    label = "未作为当前症状" if lang == "zh" else "Not taken as present"
    for fmt in TEMPLATE_FORMATS:
        flat = _flat(render(result, fmt, lang, diagnoser=shipped), fmt)
        assert label in flat and "卡纸" in flat and why in flat, fmt


def test_a_set_aside_mention_is_escaped_in_every_report(mini):
    from diagnoser import SetAsideMention

    result = mini.diagnose({"id": "c", "text": "printer jammed"})
    hostile = SetAsideMention(
        symptom="paper_jam", mention=PAYLOAD + "\x1b[2J", scope="history", trigger="[x](y)"
    )
    result = result.model_copy(update={"set_aside": (hostile,)})
    page = render(result, Format.HTML, "en", diagnoser=mini)
    assert "<script" not in page and html.escape(PAYLOAD, quote=False) in page
    md = render(result, Format.MARKDOWN, "en", diagnoser=mini)
    assert not re.search(r"(?<!\\)<", md) and r"\[x\](y)" in md
    text = render(result, Format.TEXT, "en", diagnoser=mini)
    assert "\x1b" not in text and "in the past" in text


def test_source_date_epoch_fixes_the_generation_time(monkeypatch):
    from diagnoser.report import provenance

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764579600")
    assert provenance.now().isoformat() == "2025-12-01T09:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    assert provenance.now().year >= 2026  # not a number: the clock

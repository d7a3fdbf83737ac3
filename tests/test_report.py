"""Text and JSON reports."""

from __future__ import annotations

import json

import pytest

from diagnoser.report import Format, detect_language, display_width, render, wrap


def test_wrap_respects_the_width_for_english_and_chinese():
    english = "Stop resending jobs to the printer so invoices are not printed twice " * 3
    chinese = "停止向该打印机重复发送打印任务，避免重复打印或打错发票号；开票业务本身可以继续。" * 3
    for text in (english, chinese):
        lines = wrap(text, 40, 4).split("\n")
        assert len(lines) > 1
        assert all(display_width(line) <= 40 - (4 if i == 0 else 0) for i, line in enumerate(lines))
        assert all(line.startswith("    ") for line in lines[1:])
        assert not any(line.strip()[:1] in "，。；" for line in lines)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_fault_renders_in_both_languages_within_80_columns(mini, lang):
    result = mini.diagnose({"id": "r", "text": "printer jammed, 你好"})
    for fault_id, fault in mini.kb.faults.items():
        plan = mini.plan(fault_id)
        report = render(result.model_copy(update={"plan": plan}), Format.TEXT, lang)
        assert all(display_width(line) <= 80 for line in report.splitlines()), fault_id
        for step in fault.emergency_steps:  # every step is there, in the report's language
            assert step.text.get(lang)[:12] in report.replace("\n    ", ""), fault_id


def test_json_is_the_model(mini):
    result = mini.diagnose({"id": "j", "text": "printer jammed"})
    assert json.loads(render(result, Format.JSON, "en")) == json.loads(result.model_dump_json())


def test_language_detection():
    assert detect_language("打印机卡纸") == "zh"
    assert detect_language("printer jammed") == "en"
    assert detect_language("", {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert detect_language("", {"LANG": "C"}) == "en"

"""The batch summary's key findings: faults, codes and places cited; small talk and markup not."""

from __future__ import annotations

import pytest

from diagnoser.batch.summary import citable, render_summary, summarise


def _ok(i, fault=None, codes=(), extra=None, unrecognised=()):
    return {
        "status": "ok",
        "id": f"t{i}",
        "diagnoses": [{"fault_id": fault, "category": fault.split(".")[0], "certainty": 0.8}]
        if fault
        else [],
        "priority": "P3" if fault else None,
        "error_codes": list(codes),
        "extra": extra or {},
        "unrecognised": [{"kind": "text", "value": u} for u in unrecognised],
    }


RECORDS = [
    *[_ok(i, "network.disconnected", ["1001"], {"store": "天河店"}) for i in range(5)],
    *[_ok(10 + i, "hardware.printer_failure", (), {"store": "越秀店"}) for i in range(2)],
    # undiagnosed tickets whose most frequent unrecognised inputs are a greeting and markup
    *[_ok(20 + i, unrecognised=["您好", "<br>", "&nbsp;"]) for i in range(4)],
    *[_ok(30 + i, unrecognised=["您好", "发票抬头显示乱码"]) for i in range(2)],
]


@pytest.mark.parametrize(
    "text, ok",
    [
        ("您好", False),
        ("你好，谢谢", False),
        ("Hello, thanks", False),
        ("<br>", False),
        ("&nbsp;", False),
        ("<b>打印机</b>", False),
        ("嗯嗯啊啊", False),
        ("发票抬头显示乱码", True),
        ("screen shows code 7f", True),
        ("errors 4021", True),
    ],
)
def test_what_a_finding_may_cite(text, ok):
    assert citable(text) is ok


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_findings_cite_faults_codes_and_places_not_greetings(mini, lang):
    summary = summarise(RECORDS, mini.kb)
    text = render_summary(summary, "md", lang)
    findings = text.split("\n## ", 2)[1]  # the section after the headline table
    assert findings.startswith(("Key findings", "要点"))
    assert "1001" in findings  # the code
    assert "天河店" in findings and "store" in findings  # where: the carried store column
    assert "发票抬头显示乱码" in findings  # the substantive unrecognised phrase, not …
    assert "您好" not in findings  # … the more frequent greeting
    assert "br" not in findings and "nbsp" not in findings  # … or markup

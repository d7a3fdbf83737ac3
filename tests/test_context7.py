"""Context, seventh round: a ticket that only says invoices cannot be issued gets the three usual
causes at a low certainty, with what tells them apart, while any clue, a platform named, a
hypothetical or a general question about the causes gives the specific reading or nothing; and
how-tos that name what to clear, stops announced for a coming day and a notice named as one
report nothing."""

from __future__ import annotations

import pytest

from diagnoser.intake import read_text
from diagnoser.triage.contrast import contrast

_USUAL = [
    "operation.invoice_stock_exhausted",
    "operation.credit_quota_exceeded",
    "operation.issuing_restricted",
]


def _faults(shipped, text):
    return [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses]


@pytest.mark.parametrize(
    "text", ["开不了票了", "can't issue invoices since this morning", "發票開不出來"]
)
def test_a_bare_cannot_issue_gets_the_usual_causes_weakly_and_what_tells_them_apart(shipped, text):
    got = shipped.diagnose({"text": text})
    assert [d.fault_id for d in got.diagnoses] == _USUAL
    assert all(d.certainty < 0.3 for d in got.diagnoses)
    # the report's "telling them apart" names what to ask about the first two
    apart = contrast(got, shipped.index)
    assert apart is not None and apart.for_first and apart.for_second


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("开不了票，打印机一直卡纸", "hardware.printer_failure"),
        ("网络断了，开不了票", "network.disconnected"),
        ("数电发票一直开不出来", "external.platform_outage"),
        ("全市都开不了票", "external.platform_outage"),
    ],
)
def test_any_clue_outranks_the_usual_causes(shipped, text, fault):
    got = _faults(shipped, text)
    assert got[0] == fault
    assert not set(_USUAL) & set(got[:1])


@pytest.mark.parametrize(
    "text",
    [
        "万一开不了票怎么办？",
        "请问开票软件开不了票一般是哪些原因？我们想整理一份排查手册",
        "How do I clear a paper jam on the TM-T88 without tearing the roll?",
        "FYI the GSP will be under maintenance on Sunday from 2 to 4 am",
        "Is the IRP down right now? Haven't tried yet, just checking before our batch.",
    ],
)
def test_a_non_fault_that_names_a_stop_gives_nothing(shipped, text):
    assert _faults(shipped, text) == []


def test_a_notice_named_as_one_sets_the_provider_aside(shipped):
    aside = read_text("轉寄：加值中心系統升級公告，請參閱附件", shipped._vocab).set_aside
    assert ("intermediary_failing", "hypothetical", "公告") in [
        (a.symptom, a.scope, a.trigger) for a in aside
    ]


@pytest.mark.parametrize(
    "text",
    [
        "从早上开始 upload 一直 fail，请帮忙看一下",
        "upload 失败了",
        "Could you check why our invoices keep failing to upload since this morning?",
    ],
)
def test_an_upload_failing_in_mixed_words_or_a_polite_ask_is_read(shipped, text):
    symptoms = [s for s, _ in read_text(text, shipped._vocab).symptoms]
    assert "upload_failure" in symptoms

"""Context, sixth round: a LINE-style space ends a question clause, a sentence that only says the
caller asks ahead keeps a yes/no question a question, a past fault that is back (又, again) is
present, and help given, a fault that came back by itself or did no harm is history."""

from __future__ import annotations

import pytest

from diagnoser.intake import read_text


def _faults(shipped, text):
    return [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses]


def _aside(shipped, text):
    return [(a.symptom, a.scope, a.trigger) for a in read_text(text, shipped._vocab).set_aside]


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        # the screen's message before the space, the caller's guess at the cause after it
        (
            "機台說沒有可用的發票號碼 是不是這期號碼沒配給這一台？",
            "operation.invoice_stock_exhausted",
        ),
        ("打印机一直卡纸 是不是纸卷装反了？", "hardware.printer_failure"),
    ],
)
def test_a_space_between_hanzi_ends_the_question_clause(shipped, text, fault):
    assert _faults(shipped, text)[:1] == [fault]


def test_without_the_space_the_whole_clause_still_asks(shipped):
    assert _faults(shipped, "是不是这期号码没配给这一台？") == []


@pytest.mark.parametrize(
    "text",
    [
        "税局系统现在是不是挂了？我还没开始开票，先问问",
        "Is the IRP down today? Just asking before we start the morning run.",
    ],
)
def test_a_sentence_that_only_asks_ahead_keeps_the_ticket_a_question(shipped, text):
    assert _faults(shipped, text) == []
    assert _aside(shipped, text)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        # "先问问" does not take back what its own sentence reports
        ("税局是不是在维护？先问问，打印机也卡纸了", "hardware.printer_failure"),
        # a clause beside the aside says what fails: the sentence is a statement
        ("財政部平台是不是掛了？先問問，我們這邊上傳全部失敗", "external.platform_outage"),
    ],
)
def test_an_aside_sentence_that_says_more_is_a_statement(shipped, text, fault):
    assert fault in _faults(shipped, text)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("之前也出现过卡纸，今天又卡了", "hardware.printer_failure"),
        ("以前也出现过打印机脱机，今天又这样了", "hardware.printer_failure"),
        ("We used to have paper jams, and today it happens again", "hardware.printer_failure"),
    ],
)
def test_a_past_fault_that_is_back_in_its_sentence_is_present(shipped, text, fault):
    assert _faults(shipped, text)[:1] == [fault]


def test_a_past_fault_without_a_recurrence_stays_history(shipped):
    assert _faults(shipped, "之前也出现过卡纸，后来换了打印机") == []


@pytest.mark.parametrize(
    "text",
    [
        "谢谢你们昨天帮忙处理打印机卡纸的问题，今天用着都很顺",
        "昨天下午网络断了一会儿，后来自己恢复了，跟你们说一声",
        "FYI the VPN dropped for ten minutes this morning but it reconnected by itself.",
        "Just for the record, the power went out for a few minutes yesterday, no impact.",
        "Appreciate the help with the upload timeouts yesterday, zero failures this morning.",
        "The printer jammed on Friday, we cleared it and it's been fine since.",
    ],
)
def test_help_given_or_a_fault_gone_by_itself_reports_nothing(shipped, text):
    assert _faults(shipped, text) == []


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        # the same words, the fault still there
        ("网络断了一会儿，自己恢复了，现在又断了", "network.disconnected"),
        ("the VPN dropped, it reconnected by itself but keeps dropping again", None),
    ],
)
def test_a_fault_that_comes_back_after_recovering_is_present(shipped, text, fault):
    got = _faults(shipped, text)
    assert got if fault is None else got[:1] == [fault]


def test_the_sixth_breadth_list_holds_forty_no_faults_and_forty_faults(shipped_scenarios):
    scenarios = shipped_scenarios["context-phrasing-6"]
    no_faults = sum(s.nothing for s in scenarios)
    assert no_faults >= 40
    assert len(scenarios) - no_faults >= 40

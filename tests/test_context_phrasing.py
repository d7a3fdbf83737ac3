"""Context over whole tickets, fifth round: a ticket that only asks yes/no, a past fault and how
to prevent it, wishes and feature requests report nothing; a question that reports a fault, a
fault that goes on or is back, and "works" as a noun still do. The breadth list
rules/scenarios/context-phrasing-5.yaml marks its no-fault tickets `nothing: true`: `kb test`
(tests/test_scenarios.py) holds them to no diagnosis at all; here, that the list keeps enough of
both kinds."""

from __future__ import annotations

import pytest

from diagnoser.intake import read_text


def _faults(shipped, text):
    return [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses]


def _aside(shipped, text):
    return [(a.symptom, a.scope, a.trigger) for a in read_text(text, shipped._vocab).set_aside]


def test_the_breadth_list_holds_forty_no_faults_and_forty_faults(shipped_scenarios):
    scenarios = shipped_scenarios["context-phrasing-5"]
    no_faults = sum(s.nothing for s in scenarios)
    assert no_faults >= 40
    assert len(scenarios) - no_faults >= 40


@pytest.mark.parametrize(
    ("text", "symptom", "marker"),
    [
        ("客户的邮箱停用了吗？", "recipient_mailbox_disabled", "吗"),
        ("税务局的平台今天是不是在维护？", None, "是不是"),
        ("Is the IRP portal down?", None, "is"),
    ],
)
def test_a_ticket_that_only_asks_yes_no_reports_nothing(shipped, text, symptom, marker):
    aside = _aside(shipped, text)
    assert _faults(shipped, text) == []
    assert aside and all(scope == "hypothetical" and m == marker for _, scope, m in aside)
    if symptom is not None:
        assert symptom in [s for s, _, _ in aside] or aside


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        # a statement after the question: the question was the caller's guess at a fault
        ("发票额度用完了吗？一直提示超限开不了", "operation.credit_quota_exceeded"),
        (
            "Is the IRP down? All our e-invoices fail with 504 since 10 am",
            "external.platform_outage",
        ),
        ("是不是 GSP down 了？一直 504", "external.intermediary_outage"),
        ("全国都 down 了吗？群里好多人说开不了票", "external.platform_outage"),
        # a why-question or one about what keeps happening reports it
        ("为什么一直提示证书过期？", "operation.credential_problem"),
        ("Why does the printer keep jamming?", "hardware.printer_failure"),
        (
            "Anyone else seeing the GST portal down? We can't generate IRN",
            "external.platform_outage",
        ),
    ],
)
def test_a_question_that_reports_a_fault_still_counts(shipped, text, fault):
    assert _faults(shipped, text)[:1] == [fault]


@pytest.mark.parametrize(
    "text",
    [
        "上次打印机卡纸了，这次要怎么预防？",
        "上次伺服器當機，這次要怎麼預防？",
        "Last month the server crashed; what can we do to prevent that from happening again?",
        # the prevention ask in the next sentence
        "上周停电了一整天。以后怎么避免再出现这种情况？",
    ],
)
def test_a_past_fault_and_how_to_prevent_it_reports_nothing(shipped, text):
    assert _faults(shipped, text) == []
    assert any(scope == "hypothetical" for _, scope, _ in _aside(shipped, text))


def test_a_past_fault_that_is_back_is_reported_though_prevention_is_asked(shipped):
    assert _faults(shipped, "上次打印机卡纸修好了，这次又卡纸了，怎么预防？")[:1] == [
        "hardware.printer_failure"
    ]


def test_a_fault_now_and_what_to_do_is_no_recalled_fault(shipped):
    # no past marker before the jam: it is a jam now, and the caller asks what to do
    assert _faults(shipped, "打印机现在卡纸了，这次要怎么处理？")[:1] == [
        "hardware.printer_failure"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "fibre cut by road works outside, whole site offline",
        "construction works next door cut our fibre, the whole store is offline",
    ],
)
def test_works_as_a_noun_denies_nothing(shipped, text):
    assert _faults(shipped, text)[:1] == ["network.disconnected"]


def test_what_passed_itself_resolves_nothing_else(shipped):
    text = "发给客户的票投递不了，收件代码好像给错了，发票本身已经通过校验"
    assert "external.receiver_unreachable" in _faults(shipped, text)

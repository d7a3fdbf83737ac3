"""The leftovers of the fifth accuracy round, as families (rules/scenarios/leftovers-5.yaml):
its no-fault tickets — how-to and follow-up questions, thanks, meanings, what comes next
month — are `nothing: true` scenarios, held to no diagnosis at all by `kb test`; and a short
follow-up without a question mark keeps a question a question, while a report after it does
not."""

from __future__ import annotations


def _faults(shipped, text):
    return [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses]


def test_the_list_holds_no_faults_for_every_family(shipped_scenarios):
    assert sum(s.nothing for s in shipped_scenarios["leftovers-5"]) >= 20


def test_a_follow_up_ask_keeps_the_question_and_a_report_does_not(shipped):
    assert _faults(shipped, "开错的数电票要走红字确认单吗？步骤是啥") == []
    assert _faults(shipped, "开错的数电票要走红字确认单吗？一直报错，开不了") != []
    # a long sentence is no follow-up ask even with 步骤 in it
    assert _faults(shipped, "打印机卡纸了吗？按照说明书的步骤拆开清理以后还是一直卡纸") != []

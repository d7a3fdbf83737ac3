"""Context scopes over whole tickets: what a ticket says is fixed, denied, asked about or only
imagined is not a present fault — codes included — while a question about a fault that is
there now, and the broken half of "A works, B does not", still are."""

from __future__ import annotations

import pytest

from diagnoser.intake import Vocabulary, read_text


def _said(shipped, text):
    said = read_text(text, shipped._vocab)
    return [s for s, _ in said.symptoms], [c for c, _ in said.codes], said.set_aside


@pytest.mark.parametrize(
    ("text", "code", "scope"),
    [
        ("上周00305被拒，改了税号已经好了", "00305", "history"),
        ("Got error 00305 last week, but it's fixed now", "00305", "history"),
        ("如果报00305怎么办", "00305", "hypothetical"),
        (
            "Last week SdI rejected a batch with 00305, we fixed the VAT numbers and resent, "
            "all accepted now. Thanks!",
            "00305",
            "history",
        ),
    ],
)
def test_a_code_in_a_past_or_imagined_scope_is_not_present(shipped, text, code, scope):
    _, codes, aside = _said(shipped, text)
    assert code not in codes
    assert ("error_code", code, scope) in [(a.symptom, a.mention, a.scope) for a in aside]
    assert shipped.diagnose({"text": text}).diagnoses == ()


def test_a_code_in_the_present_still_counts(shipped):
    _, codes, _ = _said(shipped, "开票报错00305，税号已经改了还是不行")
    assert codes == ["00305"]


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        ("Printer was jammed yesterday but it's fixed now", "paper_jam"),
        ("之前断网了，现在好了", "network_down"),
        ("上个月税控盘被锁，报完税已经解锁了，现在正常", "device_locked"),
        # in its own clause, a resolution is a history trigger after the mention
        (
            "thanks, the duplicate invoice issue was sorted after we cancelled one",
            "duplicate_submission_error",
        ),
        ("we had a virus scare yesterday but the scan found nothing, all good", "cyber_attack"),
        # a fixed past event told across clauses, the resolution in its last one
        ("金税盘锁死了，后来去大厅解了，现在一切正常", "device_locked"),
        (
            "the IRP portal was down this morning, we waited, everything is fine now",
            "platform_error",
        ),
        # far back in its own clause: what the clause names before it is what it resolves
        ("上周停电导致开票中断的问题已经解决，特此反馈", "power_outage"),
        ("the paper jam at the front desk printer we reported last week is resolved", "paper_jam"),
    ],
)
def test_a_resolution_reaches_back_across_clauses_and_contrasts(shipped, text, symptom):
    symptoms, _, aside = _said(shipped, text)
    assert symptom not in symptoms
    assert any(a.symptom == symptom and a.scope == "history" for a in aside), aside
    assert shipped.diagnose({"text": text}).diagnoses == ()


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        # the resolution's own clause names what it resolves: the clause before stays
        ("开票软件打不开，打印机卡纸已经修好了", "crash_on_startup"),
        # the problem is back after it
        ("打印机卡纸，重启后好了，过一会又卡纸了", "paper_jam"),
        (
            "the upload timed out, it worked again for an hour and now it still times out",
            "connection_timeout",
        ),
        # asked, not said
        ("上传超时，问题解决了吗？", "connection_timeout"),
        ("has it been fixed now? uploads time out", "connection_timeout"),
        # denied
        ("上传一直超时，还没解决", "connection_timeout"),
        ("打印机卡纸的问题到现在一直都没有解决", "paper_jam"),
        ("uploads time out, not fixed yet", "connection_timeout"),
        ("uploads time out and it is not resolved", "connection_timeout"),
        # "everything is fine" about the rest is no resolution of what comes before
        ("打印机卡纸，其他一切正常", "paper_jam"),
        ("打印机卡纸，重启就好了，但是每天都这样", "paper_jam"),
    ],
)
def test_what_is_not_resolved_stays_present(shipped, text, symptom):
    symptoms, _, _ = _said(shipped, text)
    assert symptom in symptoms


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        ("接口没有报错", "integration_fails"),
        ("the ERP did not fail", "integration_fails"),
        ("the integration never returns an error", "integration_fails"),
    ],
)
def test_a_negation_inside_a_combination_gap_denies_it(shipped, text, symptom):
    symptoms, _, aside = _said(shipped, text)
    assert symptom not in symptoms
    assert any(a.symptom == symptom and a.scope == "negation" for a in aside), aside


def test_a_gap_that_only_holds_a_negation_far_from_the_part_is_no_denial(shipped):
    # 没有 negates 配置好, not 失败: the integration does fail
    symptoms, _, _ = _said(shipped, "接口没有配置好导致失败")
    assert "integration_fails" in symptoms


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("为什么一直提示证书过期？", "operation.credential_problem"),
        ("为什么开票软件老是闪退？", "software.program_error"),
        ("why is the IRP portal down?", "external.platform_outage"),
    ],
)
def test_a_question_about_a_present_fault_is_diagnosed(shipped, text, fault):
    got = shipped.diagnose({"text": text})
    assert fault in [d.fault_id for d in got.diagnoses]


@pytest.mark.parametrize(
    "text",
    [
        "請問字軌用完之前要怎麼先申請下一期的號碼？",
        "如果断网的话还能离线开票吗",
        "What happens if the IRP portal goes down during month end?",
        "How do I set up the invoice printer on a new PC?",
        "請問停電的時候要怎麼開發票？",
        "is the IRP going to be down for maintenance this sunday?",
        "how can we avoid duplicate invoices when the network is slow?",
        "could you tell me how to switch to offline invoicing when the internet is down?",
        "Out of curiosity: does the client keep working offline if the internet drops for a day? "
        "Nothing is broken right now.",
        # a how-to question told across clauses
        "请问，开票软件打不开的时候，应该怎么处理？",
        "开票软件打不开的时候，应该怎么处理",
        "請問，印表機卡紙了，應該怎麼處理？",
        "断网的情况下，怎么继续开票？",
        # asking what a code means, planned work, a report about a past outage
        "what does error code 1001 mean?",
        "下个月机房要停电检修，需要提前准备什么？",
        "上次服务器宕机那次的事后报告能发我吗",
        "上周打印机卡纸的事，师傅来换过滚轮就好了，可以结了",
        # English "if" supposes on its own
        "If the GSP is down, what should we do?",
        "if our Peppol access point goes down we cannot send anything, is there a fallback",
    ],
)
def test_how_to_questions_and_hypotheticals_are_not_diagnosed(shipped, text):
    assert shipped.diagnose({"text": text}).diagnoses == ()


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        # asking for help with a fault that is there is no how-to question
        ("打印机卡纸了，怎么办？", "hardware.printer_failure"),
        ("我们的打印机卡纸了。请问应该怎么处理？", "hardware.printer_failure"),
        # an "if" of what the caller does, then what happens, is a report
        ("if I retry it says duplicate IRN", "software.duplicate_submission"),
        (
            "Not sure if the GSP is down or our network, nothing uploads",
            "external.intermediary_outage",
        ),
    ],
)
def test_a_fault_with_a_question_or_an_if_is_still_diagnosed(shipped, text, fault):
    got = shipped.diagnose({"text": text})
    assert fault in [d.fault_id for d in got.diagnoses[:3]]


@pytest.mark.parametrize(
    ("text", "works", "fails"),
    [
        ("打印机能打，开票软件打不开", "printer_works", "crash_on_startup"),
        ("网页版能开票，接口一直报错", "portal_works", "integration_fails"),
    ],
)
def test_a_works_b_does_not_reads_both_halves(shipped, text, works, fails):
    symptoms, _, _ = _said(shipped, text)
    assert works in symptoms and fails in symptoms


def test_fast_and_reference_paths_agree_on_context(shipped):
    fast = Vocabulary.build(shipped.kb)
    plain = Vocabulary.build(shipped.kb, finder="reference")
    for text in (
        "上周00305被拒，改了税号已经好了",
        "Printer was jammed yesterday but it's fixed now",
        "接口没有报错",
        "打印机卡纸，重启后好了，过一会又卡纸了",
        "请问，开票软件打不开的时候，应该怎么处理？",
        "If the GSP is down, what should we do?",
    ):
        assert read_text(text, fast) == read_text(text, plain), text


def test_a_text_repeating_a_resolution_reads_in_bounded_work(shipped):
    text = "printer jammed, fixed now. " * 4000
    said = read_text(text, shipped._vocab)
    assert "paper_jam" not in [s for s, _ in said.symptoms]


def test_nothing_is_broken_denies_but_nothing_works_does_not(shipped):
    assert "not_working" not in _said(shipped, "Nothing is broken right now.")[0]
    symptoms, _, _ = _said(shipped, "nothing works since the update")
    assert "not_working" in symptoms and "after_upgrade" in symptoms


def test_the_phrases_a_text_has_are_those_asking_each_phrase_finds(shipped):
    """Context finds which contrasts, resolutions, pseudo-triggers and how-to phrases a text has
    from the text's literals, for every list at once: each list must be what asking for each of
    its phrases in turn gives, in the list's order, on texts that have some of every kind."""
    from diagnoser.intake import normalise_text
    from diagnoser.kb.models import fold_case

    compiled = shipped._vocab._compiled()
    context = compiled.context
    texts = [
        "打印机卡纸，但是已经修好了",
        "是不是没插盘？请问应该怎么处理",
        "printer was jammed but it's fixed now, not only the scanner",
        "又不行了，之前已经好了，不过还是报错",
        "How do I fix it if the upload fails?",
        "上次打印机卡纸了，这次要怎么预防？为什么一直提示证书过期？",
        "税局系统是不是挂了？先问问",
        "[RESOLVED] 502 errors on the e-invoice API",
        "请问打印机卡纸了应该怎么处理？现在完全打不了",
        "開不了票 網路已經恢復了，the upload errors are gone after the patch",
        "停电那天开的票，要补传吗？",
        "工商憑證下個月到期，the certificate expires in 30 days",
    ]
    seen = set()
    for text in texts:
        folded = fold_case(normalise_text(text))
        hits = compiled.finder.find(folded)
        for key, phrases in context._lists.items():
            found = context._present(hits, key, phrases)
            assert found == [p for p in phrases if hits.has(p)], (text, key)
            if found:
                seen.add(key)
        # the triggers come from the same one pass over the text's literals, whichever is
        # asked first: every trigger whose phrase the text has, in the list's order
        triggers = [t for t in context.triggers if hits.has(t.phrase)]
        assert context._triggers_of(hits) == triggers, text
        first = compiled.finder.find(folded)
        assert context._triggers_of(first) == triggers, text
        resolved = [p for p in context.resolved if hits.has(p)]
        assert context._present(first, "resolved", context.resolved) == resolved, text
    assert seen == set(context._lists)  # every list had a phrase in some text

"""Context, eighth round: non-fault tickets of every marker class give nothing — resolved
monitoring alerts, maintenance notices, feature requests, how-to and set-up questions, thanks
and closure notes, hypotheticals, pricing and account questions, reminders — while a fault
look-alike of each class keeps its diagnosis."""

from __future__ import annotations

import pytest

from diagnoser.intake import read_text

# (marker class, a non-fault that must give nothing, a fault look-alike that must be diagnosed)
_PAIRS = [
    (
        "resolved alert",
        "[RESOLVED] 502 errors on the e-invoice API",
        "[FIRING] 502 errors on the e-invoice API, all uploads failing",
    ),
    (
        "resolved alert",
        "[OK] ping to store gateway: packet loss cleared",
        "[CRITICAL] ping to store gateway: 40% packet loss",
    ),
    ("resolved alert", "【恢复】门店网络中断", "【告警】门店网络中断，开不了票"),
    (
        "resolved alert",
        "告警恢复：税务UKey服务进程离线",
        "告警：税务UKey服务进程离线，开不了票",
    ),
    (
        "resolved alert",
        "Resolved: VPN tunnel to store 12 down",
        "Problem: the network at store 12 is down, cannot issue invoices",
    ),
    (
        "maintenance notice",
        "FYI the portal maintenance is scheduled for Saturday night, invoicing will be"
        " unavailable for two hours",
        "The portal is under maintenance right now and we cannot issue invoices, nobody told us",
    ),
    (
        "maintenance notice",
        "系统维护通知：下周二凌晨加值中心升级，届时暂停上传",
        "加值中心升级后一直上传失败",
    ),
    (
        "maintenance notice",
        "下周园区要检修线路停电半天 到时候收银还能不能开票 先问问",
        "园区停电了，收银开不了票",
    ),
    (
        "feature request",
        "Feature request: please add bulk cancel, cancelling one by one takes forever",
        "Feature request aside, right now the printer is jammed and nothing prints",
    ),
    (
        "feature request",
        "能不能加个功能，开票失败的时候自动重试？",
        "开票失败了，能不能帮忙看一下？一直报错",
    ),
    (
        "how-to",
        "请问下一期字轨要怎么申请增加本数？这期还够用",
        "字轨用完了，怎么申请增加本数？现在开不了票",
    ),
    (
        "how-to",
        "怎么设置都可以吗？我们想改默认打印机",
        "怎么设置都打印不出来，打印机没反应",
    ),
    (
        "how-to",
        "Can you send a guide on how to set up the UPS so the server shuts down cleanly in a"
        " power cut? No issue now, just planning.",
        "We had a power cut and the server shut down, nothing can be issued",
    ),
    (
        "thanks and closure",
        "Thanks! The printer jam is cleared after your visit, all invoices printed. You may"
        " close the ticket.",
        "The printer jam is cleared but it jams again after ten receipts",
    ),
    ("thanks and closure", "多謝晒，部打印機已經整好咗", "多謝，但部打印機又卡紙，打唔到單"),
    ("past event", "上个月卡纸已经修好了，这个工单可以关了", "上个月修好的打印机今天又卡纸了"),
    (
        "resolved alert",
        "** RECOVERY Service Alert: billing-db is OK **",
        "[FIRING] the billing server disk is full, invoices cannot be saved",
    ),
    (
        "maintenance notice",
        "財政部電子發票平台將於本週六凌晨進行系統維護，屆時暫停服務",
        "The e-invoice portal is down since 1am, we cannot upload any invoice",
    ),
    (
        "maintenance notice",
        "加值中心公告：3月20日晚上10點至12點系統升級，暫停上傳",
        "加值中心升级后一直上传失败",
    ),
    (
        "thanks and closure",
        "Closing this: the upload errors stopped after the patch",
        "After the patch the upload errors are back, nothing goes through",
    ),
    (
        "how-to",
        "How do I stop the printer from jamming when the roll is almost empty?",
        "How come the printer keeps jamming? It happened five times today",
    ),
    (
        "how-to",
        "What's the best way to handle a paper jam during peak hours?",
        "Paper jam again during peak hours, the printer stops every few receipts",
    ),
    (
        "how-to",
        "Out of curiosity, what causes the 'invalid signature' error?",
        "Every invoice is rejected with an invalid signature error since this morning",
    ),
    ("how-to", "點樣處理卡紙？部機而家冇事，只係想知", "部機又卡紙，打唔到單，點算？"),
    ("thanks and closure", "上星期部打印機壞咗，已經換咗新嘅，多謝", "部打印機壞咗，打唔到單"),
    (
        "maintenance notice",
        "[Scheduled] Maintenance of the e-way bill portal",
        "The e-way bill portal is under maintenance and we cannot generate any bill",
    ),
    (
        "thanks and closure",
        "Problem solved: the certificate was renewed and the signing error is gone",
        "The certificate was renewed but the signing error is still there",
    ),
    (
        "thanks and closure",
        "The printer jam issue is solved, please close",
        "The printer jam is not solved, it jams again",
    ),
    ("thanks and closure", "多谢，上传失败嘅问题已经好返", "上傳已經好返，但係打印機又卡紙"),
    ("resolved alert", "[已恢复] upload timeout on store 08", "FYI 门店08 现在上传一直超时"),
    ("hypothetical", "如果停电了怎么办？", "停电了，开不了票"),
    (
        "pricing",
        "Why was our card charged twice for the subscription this month?",
        "The customer got the same invoice twice, we issued it two times by mistake",
    ),
    ("pricing", "请问续费一年多少钱？年费怎么交？", "证书过期了，开票提示证书无效"),
    (
        "reminder",
        "Reminder: the certificate renewal deadline is the end of the month",
        "The certificate has expired and signing fails",
    ),
    # a label covers its whole sentence, however long, not only the words near it
    (
        "feature request",
        "Feature request: please add a bulk cancel button to the invoice list, because at month"
        " end our accounting team has to cancel dozens of invoices one by one, and with each one"
        " the portal is very slow",
        "The portal is very slow with each invoice we cancel one by one at month end, please"
        " check it, our accounting team is waiting",
    ),
    (
        "feature request",
        "功能建议：希望发票列表页面可以增加批量作废的按钮，因为我们财务部门每周都要一张一张地手工"
        "作废几十张发票，而且每张都要重新核对一遍购买方信息和金额，再逐张打印作废凭证交给主管签字"
        "存档，整个流程下来要花掉整整一个下午，每一张作废的时候系统都很慢",
        "我们财务部门每周都要手工作废几十张发票，每一张作废的时候系统都很慢",
    ),
    # a how-to question, then a statement that the fault is here now: a report
    (
        "how-to",
        "请问打印机卡纸了应该怎么处理？现在没问题，先问问",
        "请问打印机卡纸了应该怎么处理？现在完全打不了",
    ),
    (
        "how-to",
        "How do I clear a paper jam without tearing the roll? No issue now, just planning.",
        "How do I clear a paper jam without tearing the roll? Right now the printer is jammed.",
    ),
    # when a planned stop is, asked
    ("schedule question", "电子税务局几点开始维护？", "电子税务局在维护，开不了票"),
    (
        "schedule question",
        "When is the IRP maintenance window?",
        "The IRP is under maintenance right now and we cannot generate any IRN",
    ),
    # a planned stop announced, what it means while it lasts
    ("maintenance notice", "下周三凌晨升级，期间暂停开票", "高峰期间开票很慢"),
    (
        "maintenance notice",
        "The GSP upgrade is on Sunday night; during the window invoicing is paused",
        "During peak hours invoicing is very slow",
    ),
]


def _faults(shipped, text):
    return [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses]


@pytest.mark.parametrize(("marker", "text"), [(m, n) for m, n, _ in _PAIRS])
def test_a_non_fault_of_each_marker_class_gives_nothing(shipped, marker, text):
    assert _faults(shipped, text) == [], marker


@pytest.mark.parametrize(("marker", "text"), [(m, f) for m, _, f in _PAIRS])
def test_a_fault_look_alike_of_each_marker_class_keeps_its_diagnosis(shipped, marker, text):
    assert _faults(shipped, text), marker


@pytest.mark.parametrize(
    ("text", "scope", "trigger"),
    [
        ("[RESOLVED] 502 errors on the e-invoice API", "history", "resolved"),
        ("【恢复】门店网络中断", "history", "恢复"),
        ("Feature request: bulk cancel, one by one takes forever", "hypothetical", None),
    ],
)
def test_a_label_opening_the_sentence_sets_its_mentions_aside(shipped, text, scope, trigger):
    aside = read_text(text, shipped._vocab).set_aside
    assert aside
    assert all(a.scope == scope for a in aside)
    if trigger is not None:
        assert all(a.trigger == trigger for a in aside)


@pytest.mark.parametrize(
    "text",
    [
        # a label only counts at the start of its sentence, set off by a colon or a bracket
        "The printer shows resolved: paper jam, and nothing prints",
        # back again after the label: present
        "Resolved: the printer jam, but it jams again today",
        "提醒：打印机还是坏的，没人来修，开不了票",
        # "however it is set" is no how-to
        "不管怎么设置打印机都打不出来",
        "升级之后一直闪退，怎么设置都没用",
        # one fault cleared, another present; or cleared and back
        "The paper jam is cleared but now the printer prints blank pages",
        "Cleared the jam twice, the printer jams again on every invoice",
        # it comes back by itself, again and again: intermittent, not fixed
        "偶尔断网，过一会儿就好了，一天好几次",
    ],
)
def test_a_label_elsewhere_a_fault_back_again_or_a_look_alike_is_read(shipped, text):
    assert _faults(shipped, text)


def test_a_time_it_gets_better_at_is_a_pattern_not_a_fix(shipped):
    # "晚上就好了" says when it gets better, the slowness at peak hours is present
    symptoms = [s for s, _ in read_text("高峰期开票巨慢 晚上就好了", shipped._vocab).symptoms]
    assert "slow_response" in symptoms

"""Context, tenth round: follow-ups, closure notes, test messages, how-tos that undo a document,
asides that deny in their own words, and a resolution scoped to what it names — each
non-fault gives nothing while a fault look-alike of its class keeps its diagnosis."""

from __future__ import annotations

import pytest

from diagnoser.intake import read_text

# (class, a non-fault that must give nothing, a fault look-alike that must be diagnosed)
_PAIRS = [
    (
        "follow-up",
        "Still waiting for your reply about the receipt printer jam from Monday",
        "Any update? The receipt printer is still jammed and nothing prints",
    ),
    (
        "follow-up",
        "Following up on the upload timeouts we reported, any news?",
        "Following up: the portal is still returning 503 for every request",
    ),
    ("follow-up", "還在等你們回覆上次憑證過期的問題", "憑證又過期了，還是開不了票"),
    ("follow-up", "之前反映的印表機卡紙，想知道處理進度", "之前反映的印表機卡紙，今天又卡了"),
    (
        "closure note",
        "Resolution: reseated the UKey cable, the device is detected again. Closing.",
        "Reseated the UKey cable, the device is still not detected",
    ),
    ("closure note", "處理結果：更換色帶後列印正常", "更換色帶後還是列印不出來"),
    (
        "closure note",
        "Closed - duplicate IRN came from a double click, the user knows now",
        "Duplicate IRN again today, the user only clicked once",
    ),
    (
        "fixed by",
        "Error 2150 on Tuesday, fixed by pulling the IRN from the portal. FYI only",
        "Error 2150 on every invoice today, fetching the IRN does not help",
    ),
    (
        "test message",
        "Test message, please ignore, printer offline",
        "Test print failed, the printer is offline",
    ),
    ("test message", "測試，請忽略", "測試頁印不出來，印表機離線"),
    (
        "how-to undo",
        "how do we void an e-way bill raised by mistake? nothing is broken",
        "we voided an e-way bill raised by mistake and now the portal shows an error",
    ),
    (
        "aside",
        "where is the rate limit documented? asking for our developer, no issues rn",
        "we keep hitting the rate limit, every call gets 429 since this morning",
    ),
    (
        "is it normal",
        "is it normal that the cash drawer clicks when the receipt prints?",
        "is it normal that the printer jams every few receipts?",
    ),
    (
        "came back after a stop",
        "Power cut last night, everything came back fine this morning",
        "Power cut last night, the server did not come back and nothing can be issued",
    ),
    ("came back after a stop", "昨晚停電，今天早上一切正常", "昨晚停電，今天早上還是開不了票"),
    (
        "a topic before the question",
        "停電那天開的票，之後要補傳嗎？",
        "停電了，開不了票，要等多久？",
    ),
    (
        "a topic before the question",
        "地震那天开的那几张，申报期限会顺延吗？先问清楚",
        "地震后开票机开不了机",
    ),
    (
        "a plan named",
        "planning a generator: if the power goes out mid-issue, is the invoice lost?",
        "the power went out mid-issue and the invoice is lost",
    ),
    (
        "the fix worked",
        "the error 2150 thing from Friday, your fix worked, thanks",
        "your fix worked for a day, now error 2150 is back on every invoice",
    ),
    (
        "the fix worked",
        "technician replaced the roller, jam gone, thanks",
        "technician replaced the roller but the jam is back",
    ),
    (
        "not again since",
        "上個月換了新的收銀印表機，之後都沒有再卡紙了，跟你們說一聲",
        "上個月換了新的收銀印表機，今天又卡紙了",
    ),
    (
        "what a training covered",
        "thanks for the session, the section about clearing paper jams helped a lot",
        "after the session we tried clearing the paper jam but the printer is still jammed",
    ),
    (
        "what a training covered",
        "謝謝上次的教育訓練，關於處理卡紙的部分很實用",
        "印表機卡紙，照訓練教的處理還是不行",
    ),
    (
        "a warning asked for",
        "Please add an option to warn us before the invoice numbers run out",
        "The invoice numbers ran out this morning and nobody was warned",
    ),
    (
        "a warning asked for",
        "希望能加一個功能，在發票號碼快用完的時候提醒我們",
        "發票號碼用完了，開不了票",
    ),
    (
        "the service's own bill",
        "why was our subscription invoice charged twice this month?",
        "the same invoice was issued twice to the customer this morning",
    ),
    (
        "a change announced",
        "Change notice: the invoicing server gets patched on Friday night, a brief outage expected",
        "The invoicing server crashed after last night's patch and will not start",
    ),
    (
        "a change announced",
        "變更通知：本週五晚間更新開票主機，期間可能短暫斷線",
        "開票主機更新後就一直斷線",
    ),
    (
        "a date still to come",
        "憑證明年才到期，到期前需要做什麼？",
        "憑證昨天到期了，現在開不了票",
    ),
    (
        "how to redo or find one",
        "not urgent - how do we resend an invoice that failed to upload yesterday?",
        "every invoice fails to upload since yesterday, resending does not help",
    ),
    (
        "how to redo or find one",
        "where can I see the list of rejected invoices?",
        "all our invoices were rejected by the platform this morning",
    ),
    (
        "may it be ignored",
        "这个报错是不是可以忽略？之前也出现过，没影响开票",
        "这个报错一直弹出来，开不了票",
    ),
    (
        "the last time's",
        "上次的斷網問題你們的報告收到了，謝謝",
        "上次的斷網問題又出現了，現在連不上",
    ),
    (
        "resolved, said with an English word",
        "收银机打印卡纸的问题已经 fix 了，thanks",
        "收银机打印卡纸 fix 了，但是今天又卡了",
    ),
    (
        "a quote or a contract",
        "we'd like a quote for the yearly printer maintenance contract",
        "the e-invoice portal is under maintenance right now and nothing uploads",
    ),
    ("a quote or a contract", "請問印表機保養合約的報價是多少？", "平台維護中，現在發票都上傳不了"),
    (
        "fixed, then back in its sentence",
        "the printer jam was fixed yesterday, thanks",
        "the printer jam was fixed yesterday but it is jamming again",
    ),
    (
        "it stopped happening",
        "the receipt printer jam does not happen anymore since we switched paper rolls",
        "the jam does not happen with one copy, but with two copies the printer still jams",
    ),
    (
        "it stopped happening",
        "we are no longer facing the duplicate IRN error, feel free to close",
        "no longer facing the timeout, but now every invoice is rejected with error 2150",
    ),
    (
        "it stopped happening",
        "上傳逾時的狀況已經沒有再發生了",
        "上傳逾時沒有了，但是現在每張都被退回",
    ),
    (
        "it stopped happening",
        "換了滾輪之後都沒有再卡紙了",
        "換了滾輪之後都沒有再卡紙，今天又卡紙了",
    ),
    (
        "a fix announced",
        "Release 4.2 is out: fixes the duplicate IRN error and the slow upload",
        "we installed 4.2, the fix for the duplicate IRN error, but uploads still fail with 2150",
    ),
    (
        "the worst case supposed",
        "in the unlikely event that the GSP goes down on filing day, what is the fallback?",
        "the GSP went down on filing day and we cannot generate any IRN",
    ),
    (
        "whether it could ever happen",
        "our auditor asked if duplicate invoice numbers could ever happen in your system",
        "our auditor found duplicate invoice numbers in last month's invoices",
    ),
    (
        "what a training covered",
        "the training video on handling rejected invoices does not play in Firefox",
        "invoices are rejected by the platform since the last update",
    ),
    (
        "the steps asked for",
        "麻煩提供一下收銀印表機卡紙的排除步驟，給新同事參考",
        "收銀印表機卡紙，排除步驟都做了還是卡",
    ),
    (
        "where to apply for more",
        "請問電子發票字軌用完要去哪裡申請？",
        "發票字軌用完了，現在開不了票",
    ),
    (
        "taken back by the caller",
        "nvm, the invoice upload went through on the second try",
        "nvm the earlier message, the invoice upload is failing again",
    ),
    (
        "taken back by the caller",
        "never mind, found it: a wrong GSTIN typed by the cashier, corrected",
        "a wrong GSTIN was typed by the cashier and the invoice was rejected",
    ),
    (
        "taken back by the caller",
        "不好意思，是我們自己打錯統編，已經改好了",
        "店員打錯統編，發票被退回了",
    ),
    (
        "which one, asked",
        "which error code means the IRN was already generated?",
        "which store is it? the printer at the front desk is jammed",
    ),
    (
        "two things compared",
        "2150 vs 2283, what's the difference?",
        "every invoice fails with 2150",
    ),
    (
        "it went away",
        "The offline limit warning showed up last week, after the upload it went away",
        "The offline limit warning is back, we cannot issue invoices",
    ),
]


def _faults(shipped, text):
    return [d.fault_id for d in shipped.diagnose({"text": text}).diagnoses]


def _symptoms(shipped, text):
    return [s for s, _ in read_text(text, shipped._vocab).symptoms]


@pytest.mark.parametrize(("marker", "text"), [(m, n) for m, n, _ in _PAIRS])
def test_a_non_fault_of_each_class_gives_nothing(shipped, marker, text):
    assert _faults(shipped, text) == [], marker


@pytest.mark.parametrize(("marker", "text"), [(m, f) for m, _, f in _PAIRS])
def test_a_fault_look_alike_of_each_class_keeps_its_diagnosis(shipped, marker, text):
    assert _faults(shipped, text), marker


@pytest.mark.parametrize(
    "text",
    [
        # the network is what came back; the offline lock told before it is still there
        "離線開票超過時限 開不出發票 網路已經恢復了",
        "离线开票超过时限，开不出发票，网络已经恢复了",
        "offline issuing time exceeded, cannot issue, the internet is back up now",
    ],
)
def test_a_resolution_naming_what_came_back_takes_back_only_that(shipped, text):
    assert "offline_limit_exceeded" in _symptoms(shipped, text)


@pytest.mark.parametrize(
    "text",
    [
        # what came back was named with the fault: the fault is what is over
        "网络断了，开不了票，网络已经恢复了",
        # no subject: the resolution is about the sentence
        "离线开票超过时限，开不出发票，已经恢复了",
        # what was done named before the resolution is no subject of it
        "上周开不了票，改了网络设置就好了",
    ],
)
def test_a_resolution_without_another_subject_takes_back_its_sentence(shipped, text):
    assert _faults(shipped, text) == []


def test_a_space_between_hanzi_ends_the_clause_a_resolution_names_its_fault_in(shipped):
    # the jam is fixed in its own clause; the software told in the clause before is not
    symptoms = _symptoms(shipped, "开票软件打不开 打印机卡纸已经修好了")
    assert "paper_jam" not in symptoms
    assert symptoms


def test_the_rest_being_fine_is_no_resolution(shipped):
    assert _faults(shipped, "开票软件一直打不开，其他一切正常")
    assert _faults(shipped, "the invoicing client crashes on start, everything else is fine now")


def test_a_mention_ending_inside_the_resolution_is_taken_back(shipped):
    # "errors" is both the mention's last word and the resolution's first
    assert _faults(shipped, "the upload errors are gone") == []
    # and what fixed it, told after the resolution, is past too
    assert _faults(shipped, "thanks, the upload errors are gone after the patch") == []


@pytest.mark.parametrize(
    ("text", "symptom", "scope", "trigger"),
    [
        ("how do we cancel an invoice made by mistake?", "user_error", "hypothetical", None),
        ("any update on the duplicate IRN error?", None, "history", "any update on"),
        ("last week the printer jammed, fixed by a new roll", "paper_jam", "history", "fixed by"),
        ("nothing broken", None, "negation", "nothing broken"),
    ],
)
def test_the_evidence_names_the_scope_and_the_trigger_that_decided(
    shipped, text, symptom, scope, trigger
):
    aside = read_text(text, shipped._vocab).set_aside
    assert aside, text
    picked = [a for a in aside if symptom is None or a.symptom == symptom]
    assert picked, aside
    assert all(a.scope == scope for a in picked)
    if trigger is not None:
        assert any(a.trigger == trigger for a in picked), picked

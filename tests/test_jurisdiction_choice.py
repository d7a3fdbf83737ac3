"""Which jurisdiction a plan is for when the ticket does not say: systems first, then the site
profile, then the ticket's script and wording as a weak default; the plan says which and why."""

from __future__ import annotations

import json

import pytest

from diagnoser import Diagnoser, JurisdictionBasis
from diagnoser.intake._hanzi import chinese_script
from diagnoser.report import Format, render

CITYWIDE_ZH = (
    "全市多家门店从上午9点起开票都报错误代码1001，无法连接服务器；本店网络正常，其他网站能打开。"
)


def _texts(plan) -> str:
    out = [s.text.zh + s.text.en for s in plan.steps]
    out += [t.zh + t.en for t in (*plan.workaround, *plan.recovery, *plan.prevention)]
    return " ".join(out)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("开不了票", "simplified"),
        ("開不了票，統編錯誤", "traditional"),
        ("error 1001 开票失败", "simplified"),  # Chinese with a code and an English word
        ("the printer shows 卡纸 on its screen", None),  # English quoting two characters
        ("printer jammed", None),
        ("发票 發票", None),  # one of each: cannot tell
        ("", None),
    ],
)
def test_chinese_script(text, script):
    assert chinese_script(text) == script


def test_a_simplified_chinese_ticket_without_a_system_gets_the_mainland_plan(shipped):
    result = shipped.diagnose({"text": CITYWIDE_ZH, "affected_users": 1200})
    plan = result.plan
    assert plan is not None and plan.fault_id == "external.platform_outage"
    assert plan.jurisdictions == ("CN",)
    assert plan.jurisdiction_basis is JurisdictionBasis.LANGUAGE
    texts = _texts(plan)
    assert "数电平台没有本地离线模式" in texts
    assert not any(word in texts for word in ("IRP", "KSeF", "GSP"))
    assert plan.jurisdiction_note is not None and "简体中文" in plan.jurisdiction_note.zh
    assert "--system" in plan.jurisdiction_note.en  # says how to change a wrong guess


def test_traditional_chinese_picks_taiwan_only_with_taiwan_words(shipped):
    taiwan = shipped.diagnose({"text": "高雄門市的發票用完了，開不了發票"}).plan
    assert taiwan is not None and taiwan.fault_id == "operation.invoice_stock_exhausted"
    assert taiwan.jurisdictions == ("TW",)
    assert taiwan.jurisdiction_basis is JurisdictionBasis.LANGUAGE
    assert "高雄" in taiwan.jurisdiction_note.zh
    assert "字軌" in _texts(taiwan) or "字轨" in _texts(taiwan)
    # traditional characters alone could be Hong Kong or Macao: every step, and the plan says so
    unsure = shipped.diagnose({"text": "發票用完了，開不了發票"}).plan
    assert unsure is not None and unsure.jurisdictions == ()
    assert unsure.jurisdiction_basis is None
    assert "Hong Kong" in unsure.jurisdiction_note.en
    fault = shipped.kb.faults["operation.invoice_stock_exhausted"]
    assert len(unsure.steps) == len(fault.emergency_steps)


def test_city_names_place_only_a_traditional_ticket_in_taiwan(shipped):
    # 高雄 in simplified characters is no sign of a Taiwanese desk; 台湾 is, in either script
    mainland = shipped.diagnose({"text": "高雄门店发票用完了，开不了票"}).plan
    assert mainland is not None and mainland.jurisdictions == ("CN",)
    named = shipped.diagnose({"text": "台湾门店发票用完了，开不了票"}).plan
    assert named is not None and named.jurisdictions == ("TW",)


def test_an_english_ticket_without_a_system_keeps_every_step(shipped):
    plan = shipped.diagnose({"text": "the tax platform is down for everyone", "scope": "city"}).plan
    assert plan is not None and plan.jurisdictions == () and plan.jurisdiction_basis is None
    assert "names no system" in plan.jurisdiction_note.en


def test_a_system_named_in_the_text_beats_the_language(shipped):
    plan = shipped.diagnose({"text": "IRP 返回 2150 错误，重复开票"}).plan
    assert plan is not None and plan.jurisdictions == ("IN",)
    assert plan.jurisdiction_basis is JurisdictionBasis.TEXT_SYSTEM
    peppol = shipped.diagnose({"text": "Peppol 发送失败，收票方未注册"}).plan
    assert peppol is not None and peppol.jurisdictions == ("EU",)
    assert "数电" not in _texts(peppol)


def test_a_ticket_naming_zatca_gets_the_saudi_plan(shipped):
    text = "Fatoora portal down since this morning, clearance calls time out for every branch"
    plan = shipped.diagnose({"text": text}).plan
    assert plan is not None and plan.fault_id == "external.platform_outage"
    assert plan.jurisdictions == ("SA",)
    assert plan.jurisdiction_basis is JurisdictionBasis.TEXT_SYSTEM
    assert plan.jurisdiction_note is not None and "Saudi Arabia" in plan.jurisdiction_note.en
    texts = _texts(plan)
    assert "within 24 hours of issue" in texts  # simplified invoices are reported later
    assert not any(word in texts for word in ("IRP", "KSeF", "数电平台没有本地离线模式"))
    # the words of a Chinese desk name the same platform
    zh = shipped.diagnose({"text": "沙特 ZATCA 平台宕机了，所有门店都没法清关"}).plan
    assert zh is not None and zh.fault_id == "external.platform_outage"
    assert zh.jurisdictions == ("SA",)
    assert "24 小时内" in _texts(zh)


def test_a_saudi_site_profile_keeps_the_saudi_steps(shipped):
    saudi = Diagnoser(shipped.kb, site={"jurisdiction": "SA"})
    plan = saudi.diagnose({"text": CITYWIDE_ZH}).plan
    assert plan is not None and plan.jurisdictions == ("SA",)
    assert plan.jurisdiction_basis is JurisdictionBasis.SITE
    assert "沙特阿拉伯" in plan.jurisdiction_note.zh
    assert "数电平台没有本地离线模式" not in _texts(plan)


def test_the_site_profile_beats_the_language_and_its_default_system_is_named(shipped):
    poland = Diagnoser(shipped.kb, site={"jurisdiction": "PL"})
    plan = poland.diagnose({"text": CITYWIDE_ZH}).plan
    assert plan is not None and plan.jurisdictions == ("PL",)
    assert plan.jurisdiction_basis is JurisdictionBasis.SITE
    india = Diagnoser(shipped.kb, site={"default_system": "india_irp"})
    plan = india.diagnose({"text": CITYWIDE_ZH}).plan
    assert plan is not None and plan.jurisdictions == ("IN",)
    assert plan.jurisdiction_basis is JurisdictionBasis.SITE_SYSTEM
    assert "IRP" in plan.jurisdiction_note.en
    everywhere = Diagnoser(shipped.kb, site={"jurisdiction": "any"})
    plan = everywhere.diagnose({"text": CITYWIDE_ZH}).plan
    assert plan is not None and plan.jurisdictions == ()
    assert plan.jurisdiction_basis is JurisdictionBasis.SITE


def test_the_ticket_system_is_the_strongest(shipped):
    plan = shipped.diagnose({"text": CITYWIDE_ZH, "system": "india_irp"}).plan
    assert plan is not None and plan.jurisdictions == ("IN",)
    assert plan.jurisdiction_basis is JurisdictionBasis.TICKET_SYSTEM
    given = shipped.plan("external.platform_outage", jurisdictions=["PL"], text=CITYWIDE_ZH)
    assert given.jurisdictions == ("PL",) and given.jurisdiction_basis is JurisdictionBasis.GIVEN


@pytest.mark.parametrize("fmt", [Format.MARKDOWN, Format.HTML, Format.TEXT])
def test_the_report_says_which_jurisdiction_and_why(shipped, fmt):
    result = shipped.diagnose({"text": CITYWIDE_ZH})
    report = render(result, fmt, "zh", diagnoser=shipped)
    assert "由工单使用简体中文推断" in report
    # a fault with no jurisdiction-specific item needs no such sentence
    printer = shipped.diagnose({"text": "打印机卡纸了，打不出发票"})
    assert printer.plan is not None and printer.plan.jurisdiction_note is None
    assert "适用地区" not in render(printer, fmt, "zh", diagnoser=shipped)


def test_json_carries_the_basis(shipped):
    data = json.loads(render(shipped.diagnose({"text": CITYWIDE_ZH}), Format.JSON, "en"))
    assert data["plan"]["jurisdictions"] == ["CN"]
    assert data["plan"]["jurisdiction_basis"] == "language"
    assert data["plan"]["jurisdiction_note"]["en"].startswith("Steps for mainland China")


def test_the_start_of_a_long_ticket_decides_the_default(shipped):
    # the weak default reads a bounded head of the text: a Chinese ticket with a long pasted
    # English log is still a Chinese ticket
    from diagnoser.triage.plan import choose_jurisdictions

    text = "开不了票，日志如下：" + "。" * 4000 + " log line" * 5000
    choice = choose_jurisdictions([], shipped.kb.systems, None, text=text)
    assert choice.jurisdictions == ("CN",)


def test_the_note_names_a_system_whose_name_has_a_bar_in_each_language(shipped):
    # system names are the knowledge base author's text: nothing in them is read back as syntax
    from diagnoser.kb.models import LocalizedText
    from diagnoser.triage.plan import choose_jurisdictions

    known = dict(shipped.kb.systems)
    irp = known["india_irp"]
    known["india_irp"] = irp.model_copy(
        update={"name": LocalizedText(zh="印度|IRP 门户", en="India | IRP portal")}
    )
    choice = choose_jurisdictions(["india_irp"], known, None, named_by_ticket=True)
    assert choice.jurisdictions == ("IN",)
    assert "印度|IRP 门户" in choice.note.zh and "India | IRP portal" not in choice.note.zh
    assert "India | IRP portal" in choice.note.en and "印度" not in choice.note.en

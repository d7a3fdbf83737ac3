"""The words of a report per language (labels, names of phases, categories …) and its language."""

from __future__ import annotations

import locale
import os
from typing import NamedTuple

from .._text import CJK as _CJK
from ..kb.models import LocalizedText, Phase, Principle, Severity
from ..result import (
    InputKind,
)

LANGUAGES = ("zh", "en")


def detect_language(text: str, env: dict[str, str] | None = None) -> str:
    """'zh' when the input is Chinese, else the locale's language, else 'en'."""
    if _CJK.search(text):
        return "zh"
    if text.strip():
        return "en"
    environ = os.environ if env is None else env
    lang = environ.get("LC_ALL") or environ.get("LC_MESSAGES") or environ.get("LANG") or ""
    if not lang:
        lang = (locale.getlocale()[0] or "") if env is None else ""
    return "zh" if lang.lower().startswith("zh") else "en"


# --- localised names ---------------------------------------------------------------------------


def _t(zh: str, en: str) -> LocalizedText:
    return LocalizedText.model_construct(zh=zh, en=en)


PHASE_NAMES = {
    Phase.CONTAIN: {"zh": "控制", "en": "Contain"},
    Phase.ISOLATE: {"zh": "隔离与备份", "en": "Isolate and back up"},
    Phase.CONTACT: {"zh": "联系技术支持", "en": "Contact support"},
    Phase.FALLBACK: {"zh": "备用系统或手工流程", "en": "Standby or manual procedure"},
}

PRINCIPLE_NAMES = {
    Principle.RESPOND_AT_ONCE: _t("立即响应", "Respond at once"),
    Principle.DATA_SAFETY: _t("数据安全", "Data safety"),
    Principle.COMPLIANCE: _t("合规", "Compliance"),
}

SEVERITY_NAMES = {
    Severity.CRITICAL: _t("严重", "critical"),
    Severity.HIGH: _t("高", "high"),
    Severity.MEDIUM: _t("中", "medium"),
    Severity.LOW: _t("低", "low"),
}

# the names of the fault categories when no knowledge base names them (its categories.yaml
# does: these are its words), for reports and batch summaries alike
CATEGORY_NAMES = {
    "software": _t("软件故障", "Software fault"),
    "hardware": _t("硬件故障", "Hardware fault"),
    "network": _t("网络故障", "Network fault"),
    "operation": _t("人为操作与配置错误", "Operation or configuration error"),
    "external": _t("外部因素", "External cause"),
}


class ScopeName(NamedTuple):
    """The words for one impact scope: inside a sentence, and as a label of its own."""

    phrase: LocalizedText  # "tickets from a single user", "affects the whole city"
    label: LocalizedText  # a table row or chart bar: "single user", "city-wide"


# the one table of scope names (keys: Scope values); reports and contrasts use the phrase,
# batch summaries the label
SCOPE_NAMES: dict[str, ScopeName] = {
    "single_user": ScopeName(_t("单个用户", "a single user"), _t("单个用户", "single user")),
    "site": ScopeName(_t("单个网点", "one site"), _t("单个网点", "one site")),
    "region": ScopeName(_t("一个区域", "a region"), _t("区域", "region")),
    "city": ScopeName(_t("全市", "the whole city"), _t("全市", "city-wide")),
}

CAUSE_KIND_NAMES = {
    "technical": _t("技术", "Technical"),
    "maintenance": _t("维护", "Maintenance"),
    "external": _t("外部", "External"),
    "human": _t("人为", "Human"),
}

INPUT_KIND_NAMES = {
    InputKind.TEXT: _t("文字", "text"),
    InputKind.ERROR_CODE: _t("错误代码", "error code"),
    InputKind.SYMPTOM: _t("症状", "symptom"),
    InputKind.METRIC: _t("指标", "metric"),
    InputKind.SYSTEM: _t("开票系统", "system"),
}

LABELS: dict[str, LocalizedText] = {
    "report_title": _t("故障诊断报告", "Incident diagnosis report"),
    "ticket": _t("工单", "Ticket"),
    "no_id": _t("未编号", "(no id)"),
    "reported_at": _t("故障报告时间", "Fault reported"),
    "not_recorded": _t("未记录", "not recorded"),
    "priority": _t("优先级", "Priority"),
    "no_priority": _t("无", "none"),
    "response_time": _t("响应时限", "Respond"),
    "scope": _t("影响范围", "Impact scope"),
    "unknown": _t("未知", "unknown"),
    "affected_users": _t("受影响用户", "Affected users"),
    "most_likely": _t("最可能的故障", "What is most likely wrong"),
    "no_fault": _t("未能识别出故障。", "No fault identified."),
    "no_fault_hint": _t(
        "请向报告人补充：准确的错误代码、屏幕上看到的现象、影响了多少用户或网点，以及监控指标。",
        "Ask the caller for more: the exact error code, what the screen shows, how many users "
        "or sites are affected, and any monitoring metrics.",
    ),
    "certainty": _t("可信度", "Certainty"),
    "why": _t("依据", "Why"),
    "input": _t("输入", "Input"),
    "rule": _t("规则", "Rule"),
    "reasoning": _t("理由", "Reasoning"),
    "category": _t("类别", "Category"),
    "severity": _t("严重程度", "Severity"),
    "causes": _t("常见原因", "Typical causes"),
    "contrast": _t("如何区分", "Telling them apart"),
    "priority_impact": _t("优先级与影响范围", "Priority and impact"),
    "set_by": _t("判定依据", "Set by"),
    "what_now": _t("现在要做什么", "What to do now"),
    "plan_for": _t("应急预案", "Emergency plan for"),
    "principles": _t("原则", "Principles"),
    "fault_time": _t("故障时间", "Fault time"),
    "workaround": _t("临时替代方案", "Temporary workaround"),
    "recovery_follow_up": _t("恢复与后续", "Recovery and follow-up"),
    "recovery": _t("恢复", "Recovery"),
    "prevention": _t("预防", "Prevention"),
    "customer_notice": _t("客户通知（草稿）", "Customer notice (draft)"),
    "customer_notice_hint": _t(
        "发出前请核对内容，并补上预计恢复时间。",
        "Check it and add the expected recovery time before sending.",
    ),
    "not_understood": _t("未能理解的输入", "Not understood"),
    "not_taken": _t("未作为当前症状", "Not taken as present"),
    "not_understood_hint": _t(
        "以下输入未匹配任何症状、错误代码或系统，请人工阅读。",
        "This input matched nothing in the knowledge base; read it yourself.",
    ),
    "footer": _t(
        "由 diagnoser 依据规则生成，请结合现场情况判断。",
        "Generated by diagnoser from its rules; confirm on site.",
    ),
    "sections": _t("目录", "Contents"),
    "reported": _t("报告内容", "What was reported"),
    "original_text": _t("原文", "Original text"),
    "no_text": _t("（无文字）", "(no text)"),
    "fields": _t("工单字段", "Ticket fields"),
    "metrics": _t("监控指标", "Metrics"),
    "error_codes": _t("错误代码", "Error codes"),
    "symptoms_given": _t("指定症状", "Symptoms given"),
    "system": _t("开票系统", "Invoicing system"),
    "site": _t("商户或门店", "Site"),
    "region": _t("区域", "Region"),
    "generated": _t("生成时间", "Generated"),
    "made_by": _t("生成程序", "Made by"),
    "kb_version": _t("知识库版本（内容哈希）", "Knowledge base (content hash)"),
    "kb_unknown": _t("未知", "unknown"),
    "provenance": _t("报告来源", "How this report was made"),
}

_SENTENCES = {
    "set_aside_negation": _t("被“{trigger}”否定", "negated by “{trigger}”"),
    "set_aside_hypothetical": _t(
        "是提问或假设（“{trigger}”）", "asked about or supposed (“{trigger}”)"
    ),
    "set_aside_history": _t("是过去的事（“{trigger}”）", "in the past (“{trigger}”)"),
    "fault_time_known": _t(
        "故障时间 {time}：已记入工单；联系技术支持时提供这个时间。",
        "Fault time {time}: it is on the ticket; give it to support when you call.",
    ),
    "fault_time_unknown": _t(
        "工单没有记录故障时间：请向报告人确认故障开始的时间并记下，联系技术支持时提供。",
        "The ticket has no fault time: ask when the fault began, write it down and give it to "
        "support when you call.",
    ),
    "contrast_intro": _t(
        "前两个故障的可信度接近（{first} 与 {second}），以下情况有助于区分：",
        "The two leading faults are close ({first} vs {second}); these would tell them apart:",
    ),
    "contrast_line": _t("{clues} → 更可能是“{title}”", "{clues} → more likely {title}"),
    "users": _t("{n} 个用户受影响", "{n} affected users"),
    "escalation": _t("升级联系人（{when}）：{contact}", "Escalate to ({when}): {contact}"),
}

"""Rendering a Diagnosis: text, Markdown or HTML through Jinja templates, or the JSON contract.

Every template format receives the same view of the diagnosis (`ReportView`, built by
`build_view`), already localised, in the order the support agent needs it: what is most likely
wrong and why, priority and impact, what to do now, the workaround, recovery and follow-up, a
customer notice, and what was not understood. The JSON format is the `Diagnosis` model itself.

Templates ship in `diagnoser/report/templates/`. A `template_dir` overrides them file by file
(a missing file falls back to the shipped one) and is rendered in a sandboxed Jinja environment.
"""

from __future__ import annotations

import datetime as dt
import functools
import locale
import os
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.runtime import Context
from markupsafe import Markup

from .. import _cachedir
from .._resources import templates_path
from ..errors import DiagnoserError
from ..kb.models import LocalizedText, Phase, Principle, Severity
from ..result import (
    Diagnosis,
    InputKind,
    PlanStep,
    PriorityReason,
    RankedFault,
    SourceKind,
    SymptomRef,
    Unrecognised,
)
from ..ticket import Scope, Ticket
from ..triage import RESPONSE_TIME
from ..triage.contrast import SCOPE_NAMES, contrast, describe
from . import provenance
from ._limits import ConfinedLoader, LimitedSandbox, TemplateLimitError, render_limited

if TYPE_CHECKING:
    from ..kb.loader import KnowledgeBase
    from ..service import Diagnoser

_CJK = re.compile(r"[\u3400-\u9fff]")
LANGUAGES = ("zh", "en")


class Format(StrEnum):
    """Output formats of `diagnoser diagnose`."""

    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    JSON = "json"

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Format | None:
        """The format a file name implies by its suffix (.txt .md .html .json), if any."""
        return _SUFFIXES.get(Path(path).suffix.lower())


_SUFFIXES = {
    ".txt": Format.TEXT,
    ".text": Format.TEXT,
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".json": Format.JSON,
}


class ReportTemplateError(DiagnoserError):
    """A report template cannot be loaded or rendered; names the template file and line."""

    def __init__(self, message: str, template: str | None = None, line: int | None = None):
        self.template = template
        self.line = line
        where = f"{template}:{line}: " if template and line else f"{template}: " if template else ""
        super().__init__(f"report template {where}{message}")


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
    return LocalizedText(zh=zh, en=en)


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

CATEGORY_NAMES = {
    "software": _t("软件", "Software"),
    "hardware": _t("硬件", "Hardware"),
    "network": _t("网络", "Network"),
    "operation": _t("操作", "Operation"),
    "external": _t("外部因素", "External"),
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

# --- the view every template receives ------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    """A principle applied by a step: its id and localised name."""

    id: str
    name: str


@dataclass(frozen=True)
class EvidenceView:
    """One rule that supported a fault: what went in, the rule, and its reasoning."""

    rule: str
    certainty: float
    because: str
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class CauseView:
    """A typical cause of the fault."""

    kind: str
    kind_name: str
    text: str


@dataclass(frozen=True)
class FaultView:
    """A ranked candidate fault."""

    rank: int
    id: str
    title: str
    category: str
    category_name: str
    severity: str
    severity_name: str
    certainty: float
    percent: str
    evidence: tuple[EvidenceView, ...]
    causes: tuple[CauseView, ...]


@dataclass(frozen=True)
class ContrastLine:
    """Clues pointing to one of two close faults."""

    fault_id: str
    title: str
    clues: tuple[str, ...]
    sentence: str


@dataclass(frozen=True)
class ContrastView:
    """What would tell the two leading faults apart."""

    intro: str
    lines: tuple[ContrastLine, ...]


@dataclass(frozen=True)
class StepView:
    """One numbered step of the plan."""

    number: int
    text: str
    principles: tuple[Tag, ...]


@dataclass(frozen=True)
class PhaseView:
    """The steps of one phase of the emergency process."""

    id: str
    name: str
    steps: tuple[StepView, ...]


@dataclass(frozen=True)
class PlanView:
    """The emergency plan for the most likely fault."""

    fault_id: str
    fault_title: str
    phases: tuple[PhaseView, ...]
    workaround: tuple[str, ...]
    recovery: tuple[str, ...]
    prevention: tuple[str, ...]
    customer_notice: str | None
    # the site profile's escalation contact for this diagnosis, or how to configure one
    escalation: str | None = None
    contacts_note: str | None = None
    # which jurisdictions' steps are shown, and why
    jurisdiction_note: str | None = None


@dataclass(frozen=True)
class UnrecognisedView:
    """Input that matched nothing."""

    kind: str
    kind_name: str
    value: str
    reason: str


@dataclass(frozen=True)
class TicketView:
    """What was reported, quoted as given: the id, the original text, the fields, the metrics."""

    id: str
    text: str
    fields: tuple[tuple[str, str], ...]  # (localised label, value)
    metrics: tuple[tuple[str, str], ...]  # (name as in the ticket, value)


@dataclass(frozen=True)
class ProvenanceView:
    """When and from what the report was made, so that it can be made again."""

    generated_at: str
    version: str
    kb_version: str | None


@dataclass(frozen=True)
class SetAsideView:
    """A symptom mentioned but not taken as present: the words, and the scope that decided."""

    label: str  # "not taken as present"
    mention: str
    symptom: str  # the symptom's name
    why: str  # "negated by “没问题”"


@dataclass(frozen=True)
class ReportView:
    """Everything a report template shows, localised, in the report's order."""

    lang: str
    id: str
    reported_at: str | None
    fault_time_note: str
    priority: str | None
    priority_level: int | None
    response_time: str | None
    priority_reasons: tuple[str, ...]
    scope: str | None
    scope_name: str | None
    affected_users: int | None
    affected_users_text: str | None
    faults: tuple[FaultView, ...]
    contrast: ContrastView | None
    plan: PlanView | None
    unrecognised: tuple[UnrecognisedView, ...]
    ticket: TicketView | None = None
    set_aside: tuple[SetAsideView, ...] = ()
    provenance: ProvenanceView | None = None


def _number(value: float) -> str:
    return f"{value:g}"


def _percent(certainty: float) -> str:
    return f"{certainty * 100:.0f}%"


def _format_time(value: dt.datetime, seconds: bool = False) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    offset = value.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        text += f" UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text


class _Describer:
    """Readable, localised names for symptoms, values and fact sources."""

    def __init__(self, kb: KnowledgeBase | None, lang: str) -> None:
        self.kb = kb
        self.lang = lang

    def symptom(self, sid: str) -> str:
        if self.kb is not None and sid in self.kb.symptoms:
            return self.kb.symptoms[sid].name.get(self.lang)
        return sid

    def system(self, sid: str) -> str:
        if self.kb is not None and sid in self.kb.systems:
            return self.kb.systems[sid].name.get(self.lang)
        return sid

    def value(self, ref: SymptomRef) -> str:
        """'paper jam', 'CPU usage 97 %', 'impact scope: the whole city'."""
        name = self.symptom(ref.id)
        value = ref.value
        if value is True:
            return name
        if ref.id == "scope" and str(value) in SCOPE_NAMES:
            shown = SCOPE_NAMES[str(value)].get(self.lang)
        elif ref.id == "system":
            shown = self.system(str(value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            unit = ""
            if self.kb is not None and ref.id in self.kb.symptoms:
                unit = self.kb.symptoms[ref.id].unit or ""
            shown = _number(value) + (f" {unit}" if unit and unit != "ratio" else "")
        else:
            shown = str(value)
        return f"{name}：{shown}" if self.lang == "zh" else f"{name}: {shown}"

    def source(self, ref: SymptomRef) -> str:
        """Where a fact came from, readably: 'error code 1001 (Generic invoicing client)'."""
        zh = self.lang == "zh"
        source = ref.source
        if source.kind is SourceKind.CODE:
            system = self.system(source.system or "")
            return (
                f"错误代码 {source.code}（{system}）"
                if zh
                else f"error code {source.code} ({system})"
            )
        if source.kind is SourceKind.RULE:
            what = self.value(ref)
            return (
                f"{what}（由规则 {source.rule} 推出）"
                if zh
                else f"{what} (derived by rule {source.rule})"
            )
        in_text = source.kind is SourceKind.TEXT
        if ref.id == "error_code":
            zh_where, en_where = ("工单文字", "in the text") if in_text else ("工单字段", "given")
            return (
                f"错误代码 {ref.value}（{zh_where}）"
                if zh
                else (f"error code {ref.value} ({en_where})")
            )
        what = self.value(ref)
        if in_text and source.similar_to is not None:
            # read by the similarity fallback: say what it resembled, and how closely
            score = f"{source.similarity or 0:.2f}"
            return (
                f"工单文字：{what}（与“{source.similar_to}”相似 {score}）"
                if zh
                else f"text: {what}, similar to '{source.similar_to}' ({score})"
            )
        if in_text:
            zh_prefix, en_prefix = "工单文字", "text"
        elif source.field == "metrics":
            zh_prefix, en_prefix = "监控指标", "metric"
        else:
            zh_prefix, en_prefix = "工单", "ticket"
        return f"{zh_prefix}：{what}" if zh else f"{en_prefix}: {what}"


def _fault_view(
    rank: int, fault: RankedFault, lang: str, describer: _Describer, kb: KnowledgeBase | None
) -> FaultView:
    if kb is not None and fault.category in kb.categories:
        category_name = kb.categories[fault.category].name.get(lang)
    else:
        known = CATEGORY_NAMES.get(fault.category, _t(fault.category, fault.category))
        category_name = known.get(lang)
    causes: tuple[CauseView, ...] = ()
    if kb is not None and fault.fault_id in kb.faults:
        causes = tuple(
            CauseView(
                kind=c.kind.value,
                kind_name=CAUSE_KIND_NAMES[c.kind.value].get(lang),
                text=c.text.get(lang),
            )
            for c in kb.faults[fault.fault_id].causes
        )
    return FaultView(
        rank=rank,
        id=fault.fault_id,
        title=fault.title.get(lang),
        category=fault.category,
        category_name=category_name,
        severity=fault.severity.value,
        severity_name=SEVERITY_NAMES[fault.severity].get(lang),
        certainty=fault.certainty,
        percent=_percent(fault.certainty),
        evidence=tuple(
            EvidenceView(
                rule=e.rule,
                certainty=e.certainty,
                because=e.because.get(lang),
                inputs=tuple(dict.fromkeys(describer.source(s) for s in e.symptoms)),
            )
            for e in fault.evidence
        ),
        causes=causes,
    )


def _priority_reasons(reasons: Iterable[PriorityReason], lang: str) -> tuple[str, ...]:
    """The signals that decided the priority, as localised phrases."""
    out: list[str] = []
    for reason in reasons:
        if reason.severity is not None:
            name = SEVERITY_NAMES[reason.severity].get(lang)
            out.append(f"严重程度为{name}" if lang == "zh" else f"severity {name}")
        elif reason.scope is not None:
            name = SCOPE_NAMES[reason.scope].get(lang)
            out.append(f"影响范围为{name}" if lang == "zh" else f"impact on {name}")
        elif reason.affected_users is not None:
            out.append(_SENTENCES["users"].get(lang).format(n=reason.affected_users))
    return tuple(out)


def _step(number: int, step: PlanStep, lang: str) -> StepView:
    return StepView(
        number=number,
        text=step.text.get(lang),
        principles=tuple(Tag(p.value, PRINCIPLE_NAMES[p].get(lang)) for p in step.principles),
    )


def customer_notice_applies(diagnosis: Diagnosis) -> bool:
    """A customer notice is drafted when the fault has one and customers may be affected.

    Customers are taken to be affected unless the impact is known to be a single user (one
    cashier's problem is solved before customers notice); an unknown scope counts as affected,
    since a draft the agent can skip costs less than a notice that is missing.
    """
    return (
        diagnosis.plan is not None
        and diagnosis.plan.customer_notice is not None
        and diagnosis.scope is not Scope.SINGLE_USER
    )


def _ticket_view(ticket: Ticket, lang: str, describer: _Describer) -> TicketView:
    label = {key: LABELS[key].get(lang) for key in LABELS}
    fields: list[tuple[str, str]] = []
    sep = "、" if lang == "zh" else ", "
    if ticket.error_codes:
        fields.append((label["error_codes"], sep.join(ticket.error_codes)))
    if ticket.symptoms:
        named = (f"{describer.symptom(s)} ({s})" for s in ticket.symptoms)
        fields.append((label["symptoms_given"], sep.join(named)))
    if ticket.system:
        fields.append((label["system"], describer.system(ticket.system)))
    if ticket.scope:
        fields.append((label["scope"], SCOPE_NAMES[ticket.scope.value].get(lang)))
    if ticket.affected_users is not None:
        fields.append((label["affected_users"], str(ticket.affected_users)))
    if ticket.reported_at is not None:
        fields.append((label["reported_at"], _format_time(ticket.reported_at)))
    for key in ("site", "region"):
        value = getattr(ticket, key, None)
        if value:
            fields.append((label[key], str(value)))
    for key, value in ticket.extra.items():
        name = label.get(key) if key in ("site", "region") else None
        fields.append((name or str(key), _plain(value)))
    return TicketView(
        id=ticket.id,
        text=ticket.text,
        fields=tuple(fields),
        metrics=tuple((name, _number(value)) for name, value in ticket.metrics.items()),
    )


def _plain(value: Any) -> str:
    """A carried field's value as text (lists joined; nothing else interpreted)."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def build_view(
    diagnosis: Diagnosis,
    lang: str,
    diagnoser: Diagnoser | None = None,
    ticket: Ticket | None = None,
    generated_at: dt.datetime | None = None,
) -> ReportView:
    """The localised view of `diagnosis` the templates render.

    With the `diagnoser` that made the diagnosis, the view also names symptoms and systems as
    the knowledge base does, lists the top fault's typical causes and says what would tell two
    close faults apart; without it, ids stand in for names and those parts are left out.
    With the `ticket`, the report quotes what was reported. `generated_at` defaults to now.
    """
    kb = diagnoser.kb if diagnoser is not None else None
    describer = _Describer(kb, lang)
    faults = tuple(
        _fault_view(i, f, lang, describer, kb) for i, f in enumerate(diagnosis.diagnoses, 1)
    )

    contrast_view = None
    if diagnoser is not None:
        found = contrast(diagnosis, diagnoser.rules)
        if found is not None:
            joiner = "、" if lang == "zh" else ", "
            lines = []
            for fault, clues in ((found.first, found.for_first), (found.second, found.for_second)):
                if not clues:
                    continue
                named = tuple(describe(c, diagnoser.kb, lang) for c in clues)
                title = fault.title.get(lang)
                sentence = (
                    _SENTENCES["contrast_line"]
                    .get(lang)
                    .format(clues=joiner.join(named), title=title)
                )
                lines.append(ContrastLine(fault.fault_id, title, named, sentence))
            intro = (
                _SENTENCES["contrast_intro"]
                .get(lang)
                .format(
                    first=_percent(found.first.certainty), second=_percent(found.second.certainty)
                )
            )
            contrast_view = ContrastView(intro=intro, lines=tuple(lines))

    plan_view = None
    if diagnosis.plan is not None:
        plan = diagnosis.plan
        phases: list[PhaseView] = []
        number = 0
        for phase in Phase:
            steps = []
            for step in plan.steps:
                if step.phase is phase:
                    number += 1
                    steps.append(_step(number, step, lang))
            if steps:
                phases.append(PhaseView(phase.value, PHASE_NAMES[phase][lang], tuple(steps)))
        plan_title: str | None = next(
            (f.title.get(lang) for f in diagnosis.diagnoses if f.fault_id == plan.fault_id),
            None,
        )
        if plan_title is None and kb is not None and plan.fault_id in kb.faults:
            plan_title = kb.faults[plan.fault_id].title.get(lang)
        notice = plan.customer_notice
        plan_view = PlanView(
            fault_id=plan.fault_id,
            fault_title=plan_title or plan.fault_id,
            phases=tuple(phases),
            workaround=tuple(w.get(lang) for w in plan.workaround),
            recovery=tuple(r.get(lang) for r in plan.recovery),
            prevention=tuple(p.get(lang) for p in plan.prevention),
            customer_notice=notice.get(lang)
            if notice is not None and customer_notice_applies(diagnosis)
            else None,
            escalation=_SENTENCES["escalation"]
            .get(lang)
            .format(when=plan.escalation.when, contact=plan.escalation.contact)
            if plan.escalation is not None
            else None,
            contacts_note=plan.contacts_note.get(lang) if plan.contacts_note else None,
            jurisdiction_note=plan.jurisdiction_note.get(lang) if plan.jurisdiction_note else None,
        )

    users = next(
        (
            s.value
            for s in diagnosis.symptoms
            if s.id == "affected_users" and s.source.kind is SourceKind.TICKET
        ),
        None,
    )
    reported = _format_time(diagnosis.reported_at) if diagnosis.reported_at else None
    priority = diagnosis.priority
    return ReportView(
        lang=lang,
        id=diagnosis.id,
        reported_at=reported,
        fault_time_note=(
            _SENTENCES["fault_time_known"].get(lang).format(time=reported)
            if reported
            else _SENTENCES["fault_time_unknown"].get(lang)
        ),
        priority=priority.value if priority else None,
        priority_level=int(priority.value[1:]) if priority else None,
        response_time=RESPONSE_TIME[priority].get(lang) if priority else None,
        priority_reasons=_priority_reasons(diagnosis.priority_reasons, lang),
        scope=diagnosis.scope.value if diagnosis.scope else None,
        scope_name=SCOPE_NAMES[diagnosis.scope].get(lang) if diagnosis.scope else None,
        affected_users=int(users) if isinstance(users, int | float) else None,
        affected_users_text=_SENTENCES["users"].get(lang).format(n=int(users))
        if isinstance(users, int | float)
        else None,
        faults=faults,
        contrast=contrast_view,
        plan=plan_view,
        unrecognised=tuple(_unrecognised(u, lang) for u in diagnosis.unrecognised),
        set_aside=tuple(
            SetAsideView(
                label=LABELS["not_taken"].get(lang),
                mention=a.mention,
                symptom=describer.symptom(a.symptom),
                why=_SENTENCES[f"set_aside_{a.scope.value}"].get(lang).format(trigger=a.trigger),
            )
            for a in diagnosis.set_aside
        ),
        ticket=_ticket_view(ticket, lang, describer) if ticket is not None else None,
        provenance=ProvenanceView(
            generated_at=_format_time(generated_at or provenance.now(), seconds=True),
            version=provenance.version(),
            kb_version=provenance.kb_version(kb) if kb is not None else None,
        ),
    )


def _unrecognised(item: Unrecognised, lang: str) -> UnrecognisedView:
    return UnrecognisedView(
        kind=item.kind.value,
        kind_name=INPUT_KIND_NAMES[item.kind].get(lang),
        value=item.value,
        reason=item.message(lang),
    )


# --- text helpers: width, wrapping, colour, unsafe characters ---------------------------------


# one CJK character, or a run of other non-space characters with its trailing spaces
_TOKENS = re.compile(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+\s*|\s+")
_NO_LINE_START = "，。、；：！？）」』》,.;:!?)"


def display_width(text: str) -> int:
    """Terminal columns taken by `text` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int = 80, indent: int = 0, first: int | None = None) -> str:
    """Wrap to `width` columns, CJK-aware: English breaks at spaces, Chinese anywhere.

    `first` is the width already used on the first line (defaults to `indent`); continuation
    lines are indented by `indent` spaces. Closing punctuation never starts a line: the token
    before it moves down with it.
    """
    used = indent if first is None else first
    lines: list[str] = []
    line: list[str] = []
    for token in _TOKENS.findall(text):
        if line and used + display_width("".join(line) + token.rstrip()) > width:
            carry: list[str] = []
            if token[0] in _NO_LINE_START and len(line) > 1:
                carry = [line.pop()]
            lines.append("".join(line).rstrip())
            line, used = [t.lstrip() for t in carry], indent
            token = token.lstrip() if not line else token
        line.append(token)
    lines.append("".join(line).rstrip())
    return ("\n" + " " * indent).join(lines)


# control characters (a terminal would obey them) and bidirectional overrides (they reorder
# what the reader sees); newlines stay
_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: Any) -> Any:
    """Replace characters that could drive a terminal or reorder text with '�' (tab: a space)."""
    if isinstance(value, Styled | Markup) or not isinstance(value, str):
        return value
    return _UNSAFE.sub(lambda m: " " if m.group() == "\t" else "\ufffd", value)


class Styled(str):
    """Text that already carries our own ANSI styling; `clean` leaves it alone."""

    __slots__ = ()


_ANSI = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "underline": "4",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "grey": "90",
    "bg_red": "41",
    "bg_yellow": "43",
    "bg_blue": "44",
    "white": "97",
}
PRIORITY_STYLES = {1: ("bold", "white", "bg_red"), 2: ("bold", "red"), 3: ("bold", "yellow")}


@pass_context
def _style(context: Context, text: Any, *styles: str) -> str:
    """ANSI-style `text` when the report is for a colour terminal; else return it as is."""
    shown: str = clean(str(text))
    if not context.get("color") or not styles:
        return shown
    codes = ";".join(_ANSI[s] for s in styles if s in _ANSI)
    return Styled(f"\x1b[{codes}m{shown}\x1b[0m") if codes else shown


@pass_context
def _heading(context: Context, text: Any) -> str:
    """A section heading underlined to its width: bold cyan on a colour terminal."""
    text = clean(str(text))
    rule = "─" * display_width(text)
    if not context.get("color"):
        return f"{text}\n{rule}"
    return Styled(f"\x1b[1;36m{text}\x1b[0m\n\x1b[36m{rule}\x1b[0m")


def _bar(certainty: float, width: int = 20) -> str:
    filled = max(0, min(width, round(certainty * width)))
    return "█" * filled + "░" * (width - filled)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+(?=[.)]))")


def md_escape(value: Any) -> str:
    """Text for Markdown prose: what Markdown or HTML would act on is escaped (no links, tags,
    emphasis, table cells or block markers can come from the text)."""
    text = _MD_SPECIAL.sub(r"\\\1", clean(str(value)).replace("\n", " "))
    return _MD_LINE_START.sub(
        lambda m: (
            m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2))
        ),
        text,
    )


def md_code(value: Any) -> str:
    """Text as a Markdown code span, fenced by more backticks than it contains."""
    text = clean(str(value)).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_SEPARATORS = re.compile(r"(?<=[-._/:])")


def breakable(value: Any) -> Markup:
    """HTML for an id (rule, fault) that may wrap after its separators (- . _ / :) and
    nowhere else: escaped, with a <wbr> after each separator."""
    parts = _SEPARATORS.split(clean(str(value)))
    return Markup("<wbr>").join(Markup.escape(p) for p in parts)


# --- environments -------------------------------------------------------------------------------


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html.j2", ".htm.j2", ".html", ".htm"))


def _configure(env: Environment) -> Environment:
    env.filters["wrap"] = wrap
    env.filters["pct"] = _percent
    env.filters["bar"] = _bar
    env.filters["style"] = _style
    env.filters["heading"] = _heading
    env.filters["width"] = display_width
    env.filters["md"] = md_escape
    env.filters["code"] = md_code
    env.filters["clean"] = clean
    env.filters["breakable"] = breakable
    return env


def _options() -> dict[str, Any]:
    return {
        "undefined": StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        "autoescape": _autoescape,
        "finalize": clean,
    }


@functools.cache
def _shipped_environment() -> Environment:
    # compiled templates kept for the next process: Jinja checks each against its source, the
    # directory's name against the version and the options set in this module
    from .. import __version__

    stamp = Path(__file__).stat().st_mtime_ns
    directory = _cachedir.subdir(f"templates-{__version__}-{stamp}")
    cache = FileSystemBytecodeCache(str(directory)) if directory is not None else None
    return _configure(
        Environment(
            loader=FileSystemLoader(str(templates_path())), bytecode_cache=cache, **_options()
        )
    )


@functools.lru_cache(maxsize=8)
def _sandboxed_environment(template_dir: str) -> Environment:
    # no file from outside template_dir (a symlink out of it is refused); see _limits.py
    loader = ChoiceLoader([ConfinedLoader(template_dir), FileSystemLoader(str(templates_path()))])
    env = _configure(LimitedSandbox(loader=loader, **_options()))
    assert isinstance(env, LimitedSandbox)
    env.bound_filters()
    return env


def _template_frame(tb: TracebackType | None) -> tuple[str | None, int | None]:
    """The innermost traceback frame that belongs to a template: (file, line)."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".jinja", ".html", ".htm", ".md", ".txt")):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


# --- renderers ----------------------------------------------------------------------------------


class Renderer(ABC):
    """Turns a Diagnosis into the text of one format."""

    format: ClassVar[Format]

    @abstractmethod
    def render(
        self,
        diagnosis: Diagnosis,
        lang: str,
        *,
        color: bool = False,
        template_dir: str | os.PathLike[str] | None = None,
        diagnoser: Diagnoser | None = None,
        ticket: Ticket | None = None,
        generated_at: dt.datetime | None = None,
    ) -> str:
        """The report, ending with a newline."""


class JsonRenderer(Renderer):
    """The JSON contract: the Diagnosis model itself, whatever the language."""

    format = Format.JSON

    def render(
        self,
        diagnosis: Diagnosis,
        lang: str,
        *,
        color: bool = False,
        template_dir: str | os.PathLike[str] | None = None,
        diagnoser: Diagnoser | None = None,
        ticket: Ticket | None = None,
        generated_at: dt.datetime | None = None,
    ) -> str:
        return diagnosis.model_dump_json(indent=2) + "\n"


class TemplateRenderer(Renderer):
    """A report through a Jinja template (shipped, or overridden from a template directory)."""

    template: ClassVar[str]
    colored: ClassVar[bool] = False

    def render(
        self,
        diagnosis: Diagnosis,
        lang: str,
        *,
        color: bool = False,
        template_dir: str | os.PathLike[str] | None = None,
        diagnoser: Diagnoser | None = None,
        ticket: Ticket | None = None,
        generated_at: dt.datetime | None = None,
    ) -> str:
        if template_dir is not None:
            env = _sandboxed_environment(str(Path(template_dir).resolve()))
        else:
            env = _shipped_environment()
        context = {
            "r": build_view(diagnosis, lang, diagnoser, ticket, generated_at),
            "d": diagnosis,
            "lang": lang,
            "t": {key: text.get(lang) for key, text in LABELS.items()},
            "color": color and self.colored,
            "priority_styles": PRIORITY_STYLES,
            # kept for templates written against the first text report
            "phase_names": PHASE_NAMES,
            "response_time": RESPONSE_TIME,
        }
        try:
            template = env.get_template(self.template)
            if template_dir is None:
                return template.render(context)
            # a custom template: within a time budget and an output size (see _limits.py)
            own = (str(Path(template_dir).resolve()), str(templates_path()))
            try:
                return render_limited(template.generate(context), lambda f: f.startswith(own))
            except TemplateLimitError as exc:
                filename, line = _template_frame(exc.__traceback__)
                raise ReportTemplateError(str(exc), filename or template.filename, line) from None
        except TemplateLimitError as exc:  # from the loader: a link out of the directory
            raise ReportTemplateError(str(exc), self.template) from None
        except TemplateSyntaxError as exc:
            raise ReportTemplateError(exc.message or str(exc), exc.filename, exc.lineno) from exc
        except TemplateNotFound as exc:
            raise ReportTemplateError(f"template not found: {exc.name}", self.template) from exc
        except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            filename, line = _template_frame(exc.__traceback__)
            raise ReportTemplateError(
                f"{type(exc).__name__}: {exc}", filename or self.template, line
            ) from exc


class TextRenderer(TemplateRenderer):
    """Plain text for a terminal, 80 columns; ANSI colour when asked."""

    format = Format.TEXT
    template = "report.txt.j2"
    colored = True


class MarkdownRenderer(TemplateRenderer):
    """Markdown for tickets and wikis; ticket text is escaped."""

    format = Format.MARKDOWN
    template = "report.md.j2"


class HtmlRenderer(TemplateRenderer):
    """One self-contained, print-friendly HTML page; everything is autoescaped."""

    format = Format.HTML
    template = "report.html.j2"


RENDERERS: dict[Format, Renderer] = {
    r.format: r for r in (TextRenderer(), MarkdownRenderer(), HtmlRenderer(), JsonRenderer())
}


def render(
    diagnosis: Diagnosis,
    fmt: Format | str,
    lang: str,
    *,
    color: bool = False,
    template_dir: str | os.PathLike[str] | None = None,
    diagnoser: Diagnoser | None = None,
    ticket: Ticket | Mapping[str, Any] | None = None,
    generated_at: dt.datetime | None = None,
) -> str:
    """The diagnosis as a report in `fmt` ('text', 'markdown', 'html' or 'json') and `lang`.

    color: ANSI colour in the text format (the caller decides: a TTY and no NO_COLOR).
    template_dir: templates overriding the shipped ones, rendered sandboxed.
    diagnoser: the Diagnoser that made the diagnosis; gives symptom and system names, the top
    fault's causes and what would tell two close faults apart.
    ticket: the ticket diagnosed (a Ticket or its fields); the report then quotes it.
    generated_at: the time the report says it was generated (default: now).
    Raises ReportTemplateError (a DiagnoserError) naming the template file and line.
    """
    try:
        fmt = Format(fmt)
    except ValueError:
        names = ", ".join(f.value for f in Format)
        raise DiagnoserError(f"unknown report format {fmt!r}; use one of {names}") from None
    if lang not in LANGUAGES:
        raise DiagnoserError(f"unknown report language {lang!r}; use zh or en")
    if ticket is not None and not isinstance(ticket, Ticket):
        ticket = Ticket.parse(dict(ticket))
    return RENDERERS[fmt].render(
        diagnosis,
        lang,
        color=color,
        template_dir=template_dir,
        diagnoser=diagnoser,
        ticket=ticket,
        generated_at=generated_at,
    )

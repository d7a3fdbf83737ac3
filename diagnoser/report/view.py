"""What a report shows: `ReportView`, built once from a diagnosis and given to every template."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from ..kb.models import Phase
from ..result import (
    Diagnosis,
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
from .labels import (
    _SENTENCES,
    CATEGORY_NAMES,
    CAUSE_KIND_NAMES,
    INPUT_KIND_NAMES,
    LABELS,
    PHASE_NAMES,
    PRINCIPLE_NAMES,
    SEVERITY_NAMES,
    _t,
)

if TYPE_CHECKING:
    from ..kb.loader import KnowledgeBase
    from ..service import Diagnoser

# --- the view every template receives ------------------------------------------------------------
# Named tuples rather than frozen dataclasses: as immutable and as readable from a template, but
# a named tuple class is made without generating and compiling six methods, and a text report
# defines these classes on every start of the command (some 1 ms each as dataclasses).


class Tag(NamedTuple):
    """A principle applied by a step: its id and localised name."""

    id: str
    name: str


class EvidenceView(NamedTuple):
    """One rule that supported a fault: what went in, the rule, and its reasoning."""

    rule: str
    certainty: float
    because: str
    inputs: tuple[str, ...]


class CauseView(NamedTuple):
    """A typical cause of the fault."""

    kind: str
    kind_name: str
    text: str


class FaultView(NamedTuple):
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


class ContrastLine(NamedTuple):
    """Clues pointing to one of two close faults."""

    fault_id: str
    title: str
    clues: tuple[str, ...]
    sentence: str


class ContrastView(NamedTuple):
    """What would tell the two leading faults apart."""

    intro: str
    lines: tuple[ContrastLine, ...]


class StepView(NamedTuple):
    """One numbered step of the plan."""

    number: int
    text: str
    principles: tuple[Tag, ...]


class PhaseView(NamedTuple):
    """The steps of one phase of the emergency process."""

    id: str
    name: str
    steps: tuple[StepView, ...]


class PlanView(NamedTuple):
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


class UnrecognisedView(NamedTuple):
    """Input that matched nothing."""

    kind: str
    kind_name: str
    value: str
    reason: str


class TicketView(NamedTuple):
    """What was reported, quoted as given: the id, the original text, the fields, the metrics."""

    id: str
    text: str
    fields: tuple[tuple[str, str], ...]  # (localised label, value)
    metrics: tuple[tuple[str, str], ...]  # (name as in the ticket, value)


class ProvenanceView(NamedTuple):
    """When and from what the report was made, so that it can be made again."""

    generated_at: str
    version: str
    kb_version: str | None


class SetAsideView(NamedTuple):
    """A symptom mentioned but not taken as present: the words, and the scope that decided."""

    label: str  # "not taken as present"
    mention: str
    symptom: str  # the symptom's name
    why: str  # "negated by “没问题”"


class ReportView(NamedTuple):
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
        if in_text and source.carried_from is not None:
            # the state was read in a later clause than its object: say which object it was
            obj = source.carried_from
            return (
                f"工单文字：{what}（说的是前文的“{obj}”）"
                if zh
                else f"text: {what}, said of '{obj}' named earlier"
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
        found = contrast(diagnosis, diagnoser.index)
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

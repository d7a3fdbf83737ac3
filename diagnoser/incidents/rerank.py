"""An incident's finding flows back into its tickets: the incident fault is ranked with that
evidence, the priority and scope become at least the incident's, and the ticket names it."""

from __future__ import annotations

from typing import Any

from ..kb.knowledge import KnowledgeBase
from ..result import (
    Diagnosis,
    Evidence,
    Priority,
    PriorityReason,
    RankedFault,
    Signal,
    Source,
    SourceKind,
    SymptomRef,
)
from ..service import Diagnoser
from ..ticket import Scope
from ..triage.rank import combine
from .correlate import Incident

_PRIORITY = tuple(p.value for p in Priority)  # most urgent first
_SCOPE = tuple(s.value for s in Scope)  # narrowest first
INCIDENT_SYMPTOM = "incident"  # the symptom id the incident evidence names


def _urgent(a: str | None, b: str) -> str:
    return b if a is None or _PRIORITY.index(b) < _PRIORITY.index(a) else a


def _wider(a: str | None, b: str) -> str:
    return b if a is None or a not in _SCOPE or _SCOPE.index(b) > _SCOPE.index(a) else a


def _order(items: list[Any], certainty: Any) -> list[Any]:
    # stable: among equal certainties the incident fault (moved first) stays ahead
    return sorted(items, key=lambda d: -certainty(d))


def rerank_record(record: dict[str, Any], incident: Incident, kb: KnowledgeBase) -> dict[str, Any]:
    """A batch record re-ranked with its incident's evidence (a new dict; the input is kept)."""
    then = incident.rule.then
    out = dict(record)
    diagnoses = [dict(d) for d in record.get("diagnoses") or ()]
    mine = next((d for d in diagnoses if d["fault_id"] == then.fault), None)
    if mine is None:
        mine = {"fault_id": then.fault, "category": kb.faults[then.fault].category, "certainty": 0}
    else:
        diagnoses.remove(mine)
    mine["certainty"] = round(combine([mine["certainty"], then.certainty]), 4)
    out["diagnoses"] = _order([mine, *diagnoses], lambda d: d["certainty"])
    evidence = [dict(e) for e in record.get("evidence") or ()]
    entry = next((e for e in evidence if e["fault_id"] == then.fault), None)
    if entry is None:
        entry = {"fault_id": then.fault, "rules": [], "symptoms": []}
        evidence.append(entry)
    entry["rules"] = [*entry["rules"], incident.rule.id]
    entry["symptoms"] = [*entry["symptoms"], INCIDENT_SYMPTOM]
    rank = {d["fault_id"]: i for i, d in enumerate(out["diagnoses"])}
    out["evidence"] = sorted(evidence, key=lambda e: rank.get(e["fault_id"], len(rank)))
    out["priority"] = _urgent(record.get("priority"), then.priority)
    out["scope"] = _wider(record.get("scope"), then.scope)
    out["incident"] = incident.incident_id
    return out


def _n(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def incident_evidence_text(incident: Incident) -> str:
    """Which incident, how big, and the counts that made it one against the rule's thresholds:
    'INC-…: 12 tickets, 12 sites, 3 regions; 10 tickets, 10 sites, 3 regions within 20 min
    (09:00–09:09) met the rule's at least 10 tickets, 10 sites, 3 regions'."""
    counts, need, dense = incident.counts(), incident.rule.at_least, incident.densest

    def three(tickets: int, sites: int, regions: int) -> str:
        return f"{_n(tickets, 'ticket')}, {_n(sites, 'site')}, {_n(regions, 'region')}"

    span = "–".join(str(dense.get(k, ""))[11:16] for k in ("start", "end"))
    return (
        f"{incident.incident_id}: {three(counts['tickets'], counts['sites'], counts['regions'])}"
        f"; {three(dense['tickets'], dense['sites'], dense['regions'])} within "
        f"{incident.rule.window_minutes} min ({span}) met the rule's at least "
        f"{three(need.tickets, need.sites, need.regions)}"
    )


def rerank_diagnosis(diagnosis: Diagnosis, incident: Incident, diagnoser: Diagnoser) -> Diagnosis:
    """A Diagnosis re-ranked with its incident's evidence, its plan that of the new top fault."""
    rule, then = incident.rule, incident.rule.then
    fault = diagnoser.kb.faults[then.fault]
    ref = SymptomRef(
        id=INCIDENT_SYMPTOM,
        value=incident_evidence_text(incident),
        # concluded by the incident rule from the tickets it grouped
        source=Source(kind=SourceKind.RULE, rule=rule.id),
    )
    evidence = Evidence(
        rule=rule.id, certainty=then.certainty, because=then.because, symptoms=(ref,)
    )
    ranked = list(diagnosis.diagnoses)
    mine = next((d for d in ranked if d.fault_id == then.fault), None)
    if mine is None:
        mine = RankedFault(
            fault_id=fault.id,
            category=fault.category,
            title=fault.title,
            severity=fault.severity,
            certainty=then.certainty,
            evidence=(evidence,),
        )
    else:
        ranked.remove(mine)
        mine = mine.model_copy(
            update={
                "certainty": round(combine([mine.certainty, then.certainty]), 4),
                "evidence": (*mine.evidence, evidence),
            }
        )
    ranked = _order([mine, *ranked], lambda d: d.certainty)
    before = diagnosis.priority.value if diagnosis.priority else None
    priority = _urgent(before, then.priority)
    scope = Scope(_wider(diagnosis.scope.value if diagnosis.scope else None, then.scope))
    # the incident's scope is a priority signal like the ticket's own
    reason = PriorityReason(signal=Signal.SCOPE, priority=Priority(then.priority), scope=scope)
    reasons = [r for r in diagnosis.priority_reasons if r.priority.value == priority]
    if then.priority == priority:
        reasons = [r for r in reasons if r.signal is not Signal.SCOPE] + [reason]
    return diagnosis.model_copy(
        update={
            "diagnoses": tuple(ranked),
            "priority": Priority(priority),
            "priority_reasons": tuple(reasons),
            "scope": scope,
            "plan": diagnoser.plan(ranked[0].fault_id),
        }
    )

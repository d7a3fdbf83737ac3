"""Incident rule fixture cases (rules/incidents/cases/<rule-id>.yaml): tickets in, the incident
expected (or none) out, and what its tickets are told after re-ranking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import Issue, Location
from ..kb.casetest import CaseResult, RuleCaseFile, read_case_files
from ..kb.loader import CASES_DIR, INCIDENTS_DIR
from ..kb.models import FAULT_ID
from ..service import Diagnoser
from . import correlate_tickets

MAX_SERIES = 1000  # tickets one series may generate


class Series(BaseModel):
    """`count` tickets like `ticket`, `every_minutes` apart, sites numbered, regions cycled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(ge=1, le=MAX_SERIES)
    start: dt.datetime
    every_minutes: float = Field(default=1, ge=0)
    id: str | None = None  # {n}: 1 … count; default S<series>-<n>
    site: str = "site-{n}"
    regions: tuple[str, ...] = ()
    ticket: dict[str, Any]


class IncidentCase(BaseModel):
    """One case: the tickets, whether the rule makes an incident, and what follows from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    tickets: tuple[dict[str, Any], ...] = ()
    series: tuple[Series, ...] = ()
    fires: bool
    tickets_in_incident: int | None = Field(default=None, ge=1)
    top: str | None = Field(default=None, pattern=FAULT_ID)
    priority: Literal["P1", "P2", "P3", "P4"] | None = None

    def all_tickets(self) -> list[dict[str, Any]]:
        out = list(self.tickets)
        for j, series in enumerate(self.series, 1):
            for n in range(1, series.count + 1):
                ticket = dict(series.ticket)
                given = series.id.replace("{n}", str(n)) if series.id else f"S{j}-{n}"
                ticket.setdefault("id", given)
                ticket.setdefault("site", series.site.replace("{n}", str(n)))
                if series.regions:
                    ticket.setdefault("region", series.regions[(n - 1) % len(series.regions)])
                at = series.start + dt.timedelta(minutes=series.every_minutes * (n - 1))
                ticket.setdefault("reported_at", at.isoformat())
                out.append(ticket)
        return out


class IncidentCaseFile(RuleCaseFile):
    """rules/incidents/cases/<rule-id>.yaml."""

    cases: tuple[IncidentCase, ...] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedIncidentCase:
    rule: str
    case: IncidentCase
    location: Location


def load_incident_cases(
    rules_root: Path | str, rule_ids: set[str]
) -> tuple[list[LoadedIncidentCase], list[Issue]]:
    """Every incident case, and the problems found loading them (file:line each)."""
    root = Path(rules_root) / INCIDENTS_DIR / CASES_DIR
    issues: list[Issue] = []
    out: list[LoadedIncidentCase] = []
    if not root.is_dir():
        return out, issues
    unknown = "unknown incident rule {rule}"
    for _path, parsed, lines in read_case_files(root, IncidentCaseFile, rule_ids, issues, unknown):
        for i, case in enumerate(parsed.cases):
            out.append(LoadedIncidentCase(parsed.rule, case, lines.at(("cases", i, "name"))))
    for rule in sorted(rule_ids - {c.rule for c in out}):
        issues.append(
            Issue(Location(str(root)), f"incident rule {rule!r} has no case", code="coverage")
        )
    return out, issues


def run_incident_case(diagnoser: Diagnoser, loaded: LoadedIncidentCase) -> CaseResult:
    """Run one case against the whole incident rule set of the knowledge base."""
    case = loaded.case
    result = correlate_tickets(case.all_tickets(), diagnoser)
    mine = [i for i in result.incidents if i["evidence"]["rule"] == loaded.rule]
    problems = []
    errors = [r for r in result.records if r["status"] == "error"]
    if errors:
        problems.append(f"ticket error: {errors[0]['error']}")
    if case.fires and not mine:
        others = ", ".join(i["evidence"]["rule"] for i in result.incidents) or "none"
        problems.append(f"no incident from {loaded.rule} (incidents: {others})")
    if not case.fires and mine:
        problems.append(f"{loaded.rule} made incident {mine[0]['incident_id']} but must not")
    if mine and case.tickets_in_incident is not None:
        got = len(mine[0]["tickets"])
        if got != case.tickets_in_incident:
            problems.append(f"{got} tickets in the incident, expected {case.tickets_in_incident}")
    if mine and (case.top or case.priority):
        members = set(mine[0]["tickets"])
        for record in result.records:
            if record.get("id") not in members:
                continue
            top = record["diagnoses"][0]["fault_id"] if record.get("diagnoses") else None
            if case.top and top != case.top:
                problems.append(f"ticket {record['id']}: top {top}, expected {case.top}")
                break
            if case.priority and record.get("priority") != case.priority:
                problems.append(
                    f"ticket {record['id']}: priority {record.get('priority')}, "
                    f"expected {case.priority}"
                )
                break
    return CaseResult(
        subject=loaded.rule,
        name=case.name,
        location=loaded.location,
        passed=not problems,
        known_gap=None,
        message="; ".join(problems),
    )

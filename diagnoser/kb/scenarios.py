"""Scenario cases: what the whole knowledge base concludes for a ticket (rules/scenarios/).

A rule's fixture cases (rules/cases/) assert only that rule's own firing and certainty, so one
rule's cases do not break when another rule is added. What the knowledge base as a whole ranks
first, diagnoses or leaves out is asserted here, in scenarios of their own (as promtool's rule
tests assert the alerts of a whole rule set): a scenario that breaks when a rule is added says
that the new rule changes what users are told.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import DiagnoserError, Issue, Location
from ..service import Diagnoser
from .casetest import CaseResult
from .loader import SCENARIOS_DIR, _read, _validate, _yaml_files
from .models import FAULT_ID


class Scenario(BaseModel):
    """One ticket and what the whole knowledge base must (not) diagnose for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    ticket: dict[str, Any]
    top: str | None = Field(default=None, pattern=FAULT_ID)
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    # a non-fault: nothing at all may be diagnosed, not only none of the faults it looks like
    nothing: bool = False
    known_gap: str | None = None

    @field_validator("includes", "excludes")
    @classmethod
    def _fault_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for fid in value:
            if not re.match(FAULT_ID, fid):
                raise ValueError(f"{fid!r} is not a fault id (category.name)")
        return value

    @model_validator(mode="after")
    def _expects_something(self) -> Scenario:
        if self.top is None and not self.includes and not self.excludes and not self.nothing:
            raise ValueError(
                "a scenario needs at least one of 'top', 'includes', 'excludes' or 'nothing'"
            )
        if self.nothing and (self.top is not None or self.includes):
            raise ValueError(
                "'nothing: true' expects no diagnosis: it cannot have 'top' or 'includes'"
            )
        if self.top is not None and self.top in self.excludes:
            raise ValueError(f"{self.top!r} is both the expected top and excluded")
        return self


class ScenarioFile(BaseModel):
    """rules/scenarios/<name>.yaml: scenarios, grouped as their author sees fit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = None
    # an empty list is reported by load_scenarios: a length check here would repeat, for a
    # file whose one scenario is invalid, that the list has no valid item
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario with the file it is written in and where."""

    group: str  # the file's stem
    scenario: Scenario
    location: Location


def load_scenarios(
    rules_root: Path | str, fault_ids: Iterable[str]
) -> tuple[list[LoadedScenario], list[Issue]]:
    """Every scenario under rules_root/scenarios, and the problems found loading them: unreadable
    or invalid files, unknown faults, two scenarios of one file with the same name."""
    root = Path(rules_root) / SCENARIOS_DIR
    known = set(fault_ids)
    issues: list[Issue] = []
    out: list[LoadedScenario] = []
    for path in _yaml_files(root):
        read = _read(path, str(path), issues)
        if read is None:
            continue
        data, lines = read
        parsed = _validate(ScenarioFile, data, lines, issues)
        if parsed is None:
            continue
        if not parsed.scenarios:
            issues.append(Issue(lines.at(("scenarios",)), "no scenarios", code="schema"))
        first: dict[str, int] = {}
        for i, scenario in enumerate(parsed.scenarios):
            if scenario.name in first:
                issues.append(
                    Issue(
                        lines.at(("scenarios", i, "name")),
                        f"scenario {scenario.name!r} is named twice in this file "
                        f"(first as scenario {first[scenario.name] + 1})",
                        code="duplicate-id",
                    )
                )
            first.setdefault(scenario.name, i)
            named: list[tuple[tuple[str | int, ...], str]] = []
            if scenario.top:
                named.append((("top",), scenario.top))
            named += [(("includes", j), f) for j, f in enumerate(scenario.includes)]
            named += [(("excludes", j), f) for j, f in enumerate(scenario.excludes)]
            unknown = [(where, f) for where, f in named if f not in known]
            for where, fault in unknown:
                issues.append(
                    Issue(
                        lines.at(("scenarios", i, *where)),
                        f"unknown fault {fault!r}",
                        code="unknown-ref",
                    )
                )
            if not unknown:
                location = lines.at(("scenarios", i, "name"))
                out.append(LoadedScenario(path.stem, scenario, location))
    return out, issues


def run_scenario(diagnoser: Diagnoser, loaded: LoadedScenario) -> CaseResult:
    """Diagnose the scenario's ticket and compare the ranking with its expectations."""
    scenario = loaded.scenario
    problems: list[str] = []
    try:
        result = diagnoser.diagnose({"id": scenario.name, **scenario.ticket})
    except DiagnoserError as exc:
        problems.append(f"the ticket was rejected: {exc}")
    else:
        ranked = [d.fault_id for d in result.diagnoses]
        if scenario.top and (not ranked or ranked[0] != scenario.top):
            problems.append(f"expected {scenario.top} first, got {ranked[:3] or 'nothing'}")
        problems.extend(
            f"expected {f} among the diagnoses" for f in scenario.includes if f not in ranked
        )
        problems.extend(f"{f} must not be diagnosed" for f in scenario.excludes if f in ranked)
        if scenario.nothing and ranked:
            problems.append(f"expected no diagnosis, got {ranked[:3]}")
    return CaseResult(
        loaded.group,
        scenario.name,
        loaded.location,
        not problems,
        scenario.known_gap,
        "; ".join(problems),
    )

"""Rule fixture cases: tickets in, the rule's own firing and certainty out (one runner for all)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .._yaml import LineMap
from ..errors import DiagnoserError, Issue, Location
from ..service import Diagnoser
from .loader import CASES_DIR, _read, _validate, _yaml_files

_MOVED = (
    "asserts the ranking of the whole knowledge base, which another rule can change: move it "
    "to a scenario in rules/scenarios/ (a rule case asserts the rule's own firing and certainty)"
)

CERTAINTY_TOLERANCE = 0.0005
"""How far a rule's certainty may be from the one a case gives (the third decimal)."""


class Case(BaseModel):
    """One case: a ticket, and whether the rule fires on it and with which certainty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    ticket: dict[str, Any]
    fires: bool
    certainty: float | None = Field(default=None, gt=0, le=1)
    known_gap: str | None = None
    # whole-knowledge-base expectations: refused here, with where they go instead
    top: Any = None
    includes: Any = None
    excludes: Any = None

    @field_validator("top", "includes", "excludes")
    @classmethod
    def _moved(cls, value: Any) -> Any:
        raise ValueError(_MOVED)

    @model_validator(mode="after")
    def _certainty_when_firing(self) -> Case:
        if self.certainty is not None and not self.fires:
            raise ValueError("certainty: only a case where the rule fires has one")
        return self


class RuleCaseFile(BaseModel):
    """A file of fixture cases for one rule: what every kind of case file has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str


FileT = TypeVar("FileT", bound=RuleCaseFile)


class CaseFile(RuleCaseFile):
    """rules/cases/<rule-id>.yaml."""

    cases: tuple[Case, ...] = Field(min_length=1)


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case: a rule's or an incident rule's fixture case, or a scenario."""

    subject: str  # the rule the case is for; for a scenario, its file (rules/scenarios/NAME)
    name: str
    location: Location
    passed: bool
    known_gap: str | None
    message: str = ""

    @property
    def ok(self) -> bool:
        """Passed, or failed where a known gap says it will (an unexpected pass is not ok)."""
        return self.passed != bool(self.known_gap)


@dataclass(frozen=True)
class LoadedCase:
    """A case with the rule it belongs to and where it is written."""

    rule: str
    case: Case
    location: Location


def read_case_files(
    root: Path, model: type[FileT], rule_ids: set[str], issues: list[Issue], unknown: str
) -> Iterator[tuple[Path, FileT, LineMap]]:
    """Each case file under `root` that reads, validates and names a known rule, with its path
    and line map; every problem goes to `issues` (file:line). `unknown` words the message for a
    file naming a rule that does not exist ({rule} is replaced by its quoted id)."""
    for path in _yaml_files(root):
        read = _read(path, str(path), issues)
        if read is None:
            continue
        data, lines = read
        parsed = _validate(model, data, lines, issues)
        if parsed is None:
            continue
        if parsed.rule not in rule_ids:
            message = unknown.replace("{rule}", repr(parsed.rule))
            issues.append(Issue(lines.at(("rule",)), message, code="unknown-ref"))
            continue
        yield path, parsed, lines


def load_cases(rules_root: Path | str, rule_ids: set[str]) -> tuple[list[LoadedCase], list[Issue]]:
    """Every case under rules_root/cases, and the problems found loading them."""
    root = Path(rules_root) / CASES_DIR
    issues: list[Issue] = []
    out: list[LoadedCase] = []
    unknown = "case file names unknown rule {rule}"
    for path, parsed, lines in read_case_files(root, CaseFile, rule_ids, issues, unknown):
        if path.stem != parsed.rule:
            issues.append(
                Issue(
                    lines.at(("rule",)),
                    f"case file for {parsed.rule!r} must be named {parsed.rule}.yaml",
                    code="file-name",
                )
            )
        out.extend(
            LoadedCase(parsed.rule, case, _case_location(lines, i))
            for i, case in enumerate(parsed.cases)
        )
    return out, issues


def _case_location(lines: LineMap, index: int) -> Location:
    return lines.at(("cases", index, "name"))


def run_case(diagnoser: Diagnoser, loaded: LoadedCase) -> CaseResult:
    """Run one case: does its rule fire (or not), with the certainty the case gives?

    Only the rule's own firing is compared, so adding or changing another rule cannot break
    this case; what the whole knowledge base ranks first is for scenarios (kb.scenarios).
    """
    case = loaded.case
    problems: list[str] = []
    try:
        result = diagnoser.diagnose({"id": case.name, **case.ticket})
    except DiagnoserError as exc:
        problems.append(f"the ticket was rejected: {exc}")
    else:
        fired = {firing.rule for firing in result.trace}
        mine = [f.certainty for f in result.trace if f.rule == loaded.rule]
        if case.fires and not mine:
            problems.append(f"rule {loaded.rule} did not fire (fired: {sorted(fired) or 'none'})")
        if not case.fires and mine:
            problems.append(f"rule {loaded.rule} fired but must not")
        if case.fires and mine:
            # a rule may fire more than once (on different evidence): its best firing counts
            got = round(max(mine), 4)
            if case.certainty is None:
                if not case.known_gap:
                    problems.append(
                        f"rule {loaded.rule} fired with certainty {got:g}, and the case gives "
                        f"none: add `certainty: {got:g}`"
                    )
            elif abs(got - case.certainty) > CERTAINTY_TOLERANCE:
                problems.append(
                    f"rule {loaded.rule} fired with certainty {got:g}, expected {case.certainty:g}"
                )
    return CaseResult(
        loaded.rule, case.name, loaded.location, not problems, case.known_gap, "; ".join(problems)
    )


def coverage_issues(diagnoser: Diagnoser, cases: list[LoadedCase]) -> list[Issue]:
    """Rules without a positive and a negative case."""
    issues = []
    for rule_id in sorted(diagnoser.kb.rules):
        mine = [c.case for c in cases if c.rule == rule_id]
        where = diagnoser.kb.location("rule", rule_id) or Location(rule_id)
        if not any(c.fires for c in mine):
            issues.append(
                Issue(where, f"rule {rule_id} has no case where it fires", code="no-case")
            )
        if not any(not c.fires for c in mine):
            issues.append(
                Issue(where, f"rule {rule_id} has no case where it must not fire", code="no-case")
            )
    return issues

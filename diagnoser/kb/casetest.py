"""Rule fixture cases: tickets in, expected firings and diagnoses out (one runner for all)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .._yaml import LineMap
from ..errors import DiagnoserError, Issue, Location
from ..service import Diagnoser
from .loader import CASES_DIR, _read, _validate, _yaml_files
from .models import FAULT_ID


class Case(BaseModel):
    """One case: a ticket and what must (not) happen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    ticket: dict[str, Any]
    fires: bool
    top: str | None = Field(default=None, pattern=FAULT_ID)
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    known_gap: str | None = None

    @field_validator("includes", "excludes")
    @classmethod
    def _fault_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for fid in value:
            if not re.match(FAULT_ID, fid):
                raise ValueError(f"{fid!r} is not a fault id (category.name)")
        return value


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
    """The outcome of one case."""

    rule: str
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
    """Run one case and compare with its expectations."""
    case = loaded.case
    problems: list[str] = []
    try:
        result = diagnoser.diagnose({"id": case.name, **case.ticket})
    except DiagnoserError as exc:
        problems.append(f"the ticket was rejected: {exc}")
    else:
        fired = {firing.rule for firing in result.trace}
        if case.fires and loaded.rule not in fired:
            problems.append(f"rule {loaded.rule} did not fire (fired: {sorted(fired) or 'none'})")
        if not case.fires and loaded.rule in fired:
            problems.append(f"rule {loaded.rule} fired but must not")
        ranked = [d.fault_id for d in result.diagnoses]
        if case.top and (not ranked or ranked[0] != case.top):
            problems.append(f"expected {case.top} first, got {ranked[:3] or 'nothing'}")
        problems.extend(
            f"expected {f} among the diagnoses" for f in case.includes if f not in ranked
        )
        problems.extend(f"{f} must not be diagnosed" for f in case.excludes if f in ranked)
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

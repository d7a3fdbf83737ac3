"""The loaded knowledge base, and the entry that loads one: from the compiled cache, else
through the loader (kb/loader.py), which a start with a warm cache thus never imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Issue, IssueSeverity, KnowledgeBaseError, Location
from ..intake.codes import canonical_code
from .index import RuleIndex
from .models import (
    Category,
    ContextFile,
    ErrorCode,
    Fault,
    IncidentRule,
    Phrases,
    RuleSpec,
    RuleStatus,
    Source,
    Symptom,
    SystemProfile,
)

CASES_DIR = "cases"  # rules/cases/ holds the rule fixture cases, not rules
INCIDENTS_DIR = "incidents"  # rules/incidents/ holds incident rules (and their cases/)
SCENARIOS_DIR = "scenarios"  # rules/scenarios/ holds whole-knowledge-base scenario cases


@dataclass
class KnowledgeBase:
    """A validated knowledge base: categories, faults, symptoms, systems and rules."""

    categories: dict[str, Category]
    faults: dict[str, Fault]
    symptoms: dict[str, Symptom]
    systems: dict[str, SystemProfile]
    rules: dict[str, RuleSpec]
    incident_rules: dict[str, IncidentRule] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    terms: dict[str, Phrases] = field(default_factory=dict)
    context: ContextFile = field(default_factory=ContextFile)
    sources: dict[str, Source] = field(default_factory=dict)
    rules_path: Path | None = None
    knowledge_path: Path | None = None
    _code_index: dict[str, list[tuple[str, ErrorCode]]] | None = field(default=None, repr=False)
    _code_rules: tuple[RuleSpec, ...] | None = field(default=None, repr=False, compare=False)
    # the content hash of the files it was loaded from (report/provenance.py), kept with it in
    # the compiled cache so that a report does not read every file a second time
    _content_hash: str | None = field(default=None, repr=False, compare=False)
    _indexes: dict[bool, RuleIndex] = field(default_factory=dict, repr=False, compare=False)

    def rule_index(self, *, running: bool = False) -> RuleIndex:
        """The rule index, built once: over every rule of the knowledge base, or (`running`)
        over the rules a Diagnoser runs: those not deprecated, then the built-in code rules."""
        index = self._indexes.get(running)
        if index is None:
            if running:
                from .builtin import code_rules

                active = [r for r in self.rules.values() if r.status is not RuleStatus.DEPRECATED]
                index = RuleIndex([*active, *code_rules(self)], reuse=self.rule_index())
            else:
                index = RuleIndex(self.rules.values())
            self._indexes[running] = index
        return index

    def code_meanings(self, code: str) -> list[tuple[str, ErrorCode]]:
        """(system, entry) for every system whose catalog has `code` (canonical form)."""
        if self._code_index is None:
            index: dict[str, list[tuple[str, ErrorCode]]] = {}
            for system_id, system in sorted(self.systems.items()):
                for entry in system.codes:
                    index.setdefault(canonical_code(entry.code), []).append((system_id, entry))
            self._code_index = index
        return list(self._code_index.get(code, ()))

    def location(self, kind: str, ident: str) -> Location | None:
        """Where a fault, rule, symptom or system was defined."""
        return self.locations.get(f"{kind}:{ident}")


def load_knowledge_base(
    rules: Path | str, knowledge: Path | str, *, check_patterns: bool = True
) -> KnowledgeBase:
    """Load and check a knowledge base; raise KnowledgeBaseError listing every error found.

    `check_patterns=False` leaves compiling the text patterns to the first ticket with text
    (a broken one is then reported with its file); for the shipped knowledge base, which CI
    lints, that shortens the start of a process.
    """
    from ._cache import cached

    rules, knowledge = Path(rules), Path(knowledge)

    def build() -> KnowledgeBase:
        from .builtin import code_rules
        from .loader import _Loader

        kb = _Loader(rules, knowledge, check_patterns).load()
        if not any(i.severity is IssueSeverity.ERROR for i in kb.issues):
            code_rules(kb)  # built now, so that the cache holds them too
            kb.rule_index(running=True)  # and the index a Diagnoser reads (see kb/index.py)
        return kb

    kb = cached(rules, knowledge, check_patterns, build)
    if any(i.severity is IssueSeverity.ERROR for i in kb.issues):
        raise KnowledgeBaseError(kb.issues)
    return kb

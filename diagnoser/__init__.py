"""diagnoser: rule-based fault diagnosis for invoice-issuing systems."""

# The public names load on first use (PEP 562), so that `import diagnoser` (and the start of the
# `diagnoser` command, which imports this package first) does not pay for pydantic, the engine and
# the knowledge-base loader before it needs them.
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import (
        DiagnoserError,
        Issue,
        IssueSeverity,
        KnowledgeBaseError,
        Location,
        TicketError,
    )
    from .kb.knowledge import KnowledgeBase, load_knowledge_base
    from .kb.loader import lint_knowledge_base
    from .kb.models import Severity
    from .result import (
        SCHEMA_VERSION,
        ContextScope,
        Diagnosis,
        Evidence,
        Firing,
        InputKind,
        JurisdictionBasis,
        Plan,
        PlanStep,
        Priority,
        PriorityReason,
        RankedFault,
        Record,
        SetAsideMention,
        Signal,
        Source,
        SourceKind,
        SymptomRef,
        Unrecognised,
        UnrecognisedReason,
    )
    from .service import Diagnoser
    from .ticket import Scope, Ticket
    from .triage.rank import combine


__version__ = "0.5.0"

__all__ = [
    "SCHEMA_VERSION",
    "ContextScope",
    "Diagnoser",
    "DiagnoserError",
    "Diagnosis",
    "Evidence",
    "Firing",
    "InputKind",
    "Issue",
    "IssueSeverity",
    "JurisdictionBasis",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Location",
    "Plan",
    "PlanStep",
    "Priority",
    "PriorityReason",
    "RankedFault",
    "Record",
    "Scope",
    "SetAsideMention",
    "Severity",
    "Signal",
    "Source",
    "SourceKind",
    "SymptomRef",
    "Ticket",
    "TicketError",
    "Unrecognised",
    "UnrecognisedReason",
    "__version__",
    "combine",
    "lint_knowledge_base",
    "load_knowledge_base",
]

_LAZY = {
    "ContextScope": ".result",
    "Diagnoser": ".service",
    "DiagnoserError": ".errors",
    "Diagnosis": ".result",
    "Evidence": ".result",
    "Firing": ".result",
    "InputKind": ".result",
    "Issue": ".errors",
    "IssueSeverity": ".errors",
    "JurisdictionBasis": ".result",
    "KnowledgeBase": ".kb.knowledge",
    "KnowledgeBaseError": ".errors",
    "Location": ".errors",
    "Plan": ".result",
    "PlanStep": ".result",
    "Priority": ".result",
    "PriorityReason": ".result",
    "RankedFault": ".result",
    "Record": ".result",
    "SCHEMA_VERSION": ".result",
    "Scope": ".ticket",
    "SetAsideMention": ".result",
    "Severity": ".kb.models",
    "Signal": ".result",
    "Source": ".result",
    "SourceKind": ".result",
    "SymptomRef": ".result",
    "Ticket": ".ticket",
    "TicketError": ".errors",
    "Unrecognised": ".result",
    "UnrecognisedReason": ".result",
    "combine": ".triage.rank",
    "lint_knowledge_base": ".kb.loader",
    "load_knowledge_base": ".kb.knowledge",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # once loaded, an ordinary module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""diagnoser: rule-based fault diagnosis for invoice-issuing systems."""

from .errors import (
    DiagnoserError,
    Issue,
    IssueSeverity,
    KnowledgeBaseError,
    Location,
    TicketError,
)
from .kb.loader import KnowledgeBase, lint_knowledge_base, load_knowledge_base
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

__version__ = "0.2.0"

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

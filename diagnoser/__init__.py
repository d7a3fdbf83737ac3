"""diagnoser: rule-based fault diagnosis for invoice-issuing systems."""

from .errors import DiagnoserError, Issue, KnowledgeBaseError, Location, Severity, TicketError
from .kb.loader import KnowledgeBase, lint_knowledge_base, load_knowledge_base
from .result import (
    Diagnosis,
    Evidence,
    Plan,
    PlanStep,
    Priority,
    RankedFault,
    SymptomRef,
    Unrecognised,
)
from .service import Diagnoser, combine
from .ticket import Scope, Ticket

__version__ = "0.1.0"

__all__ = [
    "Diagnoser",
    "DiagnoserError",
    "Diagnosis",
    "Evidence",
    "Issue",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Location",
    "Plan",
    "PlanStep",
    "Priority",
    "RankedFault",
    "Scope",
    "Severity",
    "SymptomRef",
    "Ticket",
    "TicketError",
    "Unrecognised",
    "__version__",
    "combine",
    "lint_knowledge_base",
    "load_knowledge_base",
]

"""Exception hierarchy: every error names what is wrong and where (file, line, ticket id)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IssueSeverity(StrEnum):
    """How serious a knowledge-base issue is (a fault's severity is `diagnoser.Severity`)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; line is 1-based, 0 when unknown."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Issue:
    """One problem found while loading or linting the knowledge base."""

    location: Location
    message: str
    severity: IssueSeverity = IssueSeverity.ERROR
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.message} [{self.code}]"


class DiagnoserError(Exception):
    """Root of every error diagnoser raises on purpose."""


class KnowledgeBaseError(DiagnoserError):
    """The rules or knowledge files are invalid; carries every issue found, not just the first."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.location, i.message))
        errors = [i for i in self.issues if i.severity is IssueSeverity.ERROR]
        head = f"{len(errors)} error(s) in the knowledge base"
        super().__init__(head + ":\n" + "\n".join(f"  {i}" for i in errors))


class SiteProfileError(DiagnoserError):
    """A site profile is invalid or missing; carries every issue found, each with file:line."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.location, i.message))
        super().__init__(
            f"{len(self.issues)} error(s) in the site profile:\n"
            + "\n".join(f"  {i}" for i in self.issues)
        )


class TicketError(DiagnoserError):
    """A ticket cannot be diagnosed as given (wrong types, unknown fields of the wrong shape)."""

    def __init__(self, message: str, ticket_id: str | None = None) -> None:
        self.ticket_id = ticket_id
        where = f"ticket {ticket_id!r}: " if ticket_id else ""
        super().__init__(where + message)

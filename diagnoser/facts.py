"""The fact every stage passes on: a symptom id, its value, a certainty and its source.

Plain data shared by intake, the engine adapter and the service, so that none of them imports
another for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .result import Source, SourceKind

UNSPECIFIED = Source.model_construct(kind=SourceKind.TICKET)


@dataclass(frozen=True)
class FactIn:
    """A symptom fact as the rest of diagnoser sees it (plain data, no engine types)."""

    id: str
    value: Any = True
    cf: float = 1.0
    source: Source = UNSPECIFIED

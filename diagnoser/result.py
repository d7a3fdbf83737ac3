"""The result of one diagnosis, as typed models that serialise to the JSON contract."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from .kb.models import LocalizedText, Phase, Principle, Severity


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class SymptomRef(_Out):
    """A fact the diagnosis used: symptom id, value, certainty and where it came from."""

    id: str
    value: Any = True
    certainty: float = 1.0
    source: str = ""


class Evidence(_Out):
    """One rule that supported a fault, and the facts it used."""

    rule: str
    certainty: float
    because: LocalizedText
    symptoms: tuple[SymptomRef, ...]


class RankedFault(_Out):
    """A candidate fault with its combined certainty and the evidence for it."""

    fault_id: str
    category: str
    title: LocalizedText
    severity: Severity
    certainty: float
    evidence: tuple[Evidence, ...]


class Priority(StrEnum):
    """Triage priority: P1 is the most urgent."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class PlanStep(_Out):
    """One step of the emergency plan."""

    phase: Phase
    text: LocalizedText
    principles: tuple[Principle, ...] = ()


class Plan(_Out):
    """What to do about the most likely fault, in the seed's order."""

    fault_id: str
    steps: tuple[PlanStep, ...]
    workaround: tuple[LocalizedText, ...] = ()
    recovery: tuple[LocalizedText, ...] = ()
    prevention: tuple[LocalizedText, ...] = ()
    customer_notice: LocalizedText | None = None
    references: tuple[str, ...] = ()


class Unrecognised(_Out):
    """Input that matched nothing in the knowledge base."""

    kind: str  # text | error_code | symptom | metric | system
    value: str
    reason: str


class ConsultationEntry(_Out):
    """One question of an interactive consultation and its answer, with when it was asked.

    `symptom` is the flag symptom asked about, or the ticket field a process question fills
    (`error_codes`, `reported_at`, `scope`); `answer` is what the answer was taken to mean
    (yes / no / unknown, or the value recorded), `said` what was typed.
    """

    question: str
    symptom: str
    answer: str
    said: str = ""
    asked_at: dt.datetime


class Diagnosis(_Out):
    """A ranked, explained diagnosis with its priority and emergency plan."""

    id: str
    diagnoses: tuple[RankedFault, ...]
    priority: Priority | None
    priority_reason: str = ""
    scope: str | None = None
    plan: Plan | None
    unrecognised: tuple[Unrecognised, ...] = ()
    symptoms: tuple[SymptomRef, ...] = ()
    trace: tuple[str, ...] = ()
    # when the ticket says the fault was reported (its reported_at), if it says so; last, and
    # optional, so the JSON contract only grows
    reported_at: dt.datetime | None = None
    # the questions asked and answered by `diagnoser interactive`, oldest first (empty for a
    # plain diagnosis)
    consultation: tuple[ConsultationEntry, ...] = ()

    @property
    def top(self) -> RankedFault | None:
        """The most likely fault, if any."""
        return self.diagnoses[0] if self.diagnoses else None

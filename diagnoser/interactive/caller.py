"""A caller played from one fault of the knowledge base: what they see, and how they answer.

Used by `diagnoser drill` (the trainee talks to it), by benchmarks/bench_consult.py (a
Session talks to it) and by the tests. The caller "has" one fault: the flag symptoms the rules
concluding it test positively — directly, or through the symptoms those rules' intermediate
symptoms are derived from — are what they see; everything else they do not see.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kb.models import SymptomKind
from ..service import Diagnoser

# the scope a caller names when asked "how many are affected", from the scope flags they see
_SCOPE_OF_FLAG = (
    ("citywide_reports", "city"),
    ("region_reports", "region"),
    ("other_merchants_affected", "region"),
    ("own_branches_affected", "site"),
    ("only_one_site", "site"),
    ("only_one_user", "single_user"),
)


def fault_symptoms(diagnoser: Diagnoser, fault_id: str) -> frozenset[str]:
    """The flag symptoms a caller with `fault_id` sees (see the module docstring)."""
    if fault_id not in diagnoser.kb.faults:
        raise KeyError(fault_id)
    index = diagnoser.index  # the rules it runs: none deprecated
    own = index.concluding(fault_id)
    absent = set().union(*(index.absent(r.id) for r in own))
    seen = index.upstream(s for r in own for s in index.positive(r.id))
    flags = {s.id for s in diagnoser.kb.symptoms.values() if s.kind is SymptomKind.FLAG}
    # a symptom one rule of the fault needs absent may be another's evidence (the jam that
    # explains a print failure): only those no rule of the fault tests positively are left out
    absent -= seen
    return frozenset(s for s in seen if s in flags and s not in absent)


@dataclass(frozen=True)
class Caller:
    """A caller with one fault: answers yes to what the fault shows, no to the rest."""

    fault_id: str
    sees: frozenset[str]
    code: str | None = None  # the error code on their screen, if any
    scope: str | None = None  # how far it reaches, as they would say it (a Scope value)

    @classmethod
    def for_fault(cls, diagnoser: Diagnoser, fault_id: str, code: str | None = None) -> Caller:
        """The caller of `fault_id`; `code` is what their screen shows (None: no code)."""
        sees = fault_symptoms(diagnoser, fault_id)
        scope = next((value for flag, value in _SCOPE_OF_FLAG if flag in sees), None)
        return cls(fault_id, sees, code, scope)

    def answer(self, symptom: str) -> str:
        """'yes' or 'no' to the question about a flag symptom."""
        return "yes" if symptom in self.sees else "no"

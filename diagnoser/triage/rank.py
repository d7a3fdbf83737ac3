"""Ranking: rule firings → candidate faults with combined certainties, best first."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from ..facts import FactIn
from ..kb.models import ErrorCode, Fault, RuleSpec
from ..result import Evidence, RankedFault, Source, SymptomRef

if TYPE_CHECKING:  # the engine's plain result type; importing the engine here would load experta
    from ..engine import Firing


def combine(certainties: Iterable[float]) -> float:
    """MYCIN combination of positive certainty factors: cf = a + b·(1 − a)."""
    total = 0.0
    for cf in certainties:
        total = total + cf * (1.0 - total)
    return total


class Candidate(NamedTuple):
    """A fault, its combined certainty (4 decimals) and the firings that support it (the best
    firing of each rule, strongest first)."""

    fault_id: str
    certainty: float
    supporting: list[Firing]


def rank(
    firings: Iterable[Firing],
    *,
    min_certainty: float = 0.0,
    max_results: int | None = None,
    prefer: Mapping[str, int] | None = None,
) -> list[Candidate]:
    """The faults the firings conclude, best first.

    Each rule counts once per fault, with its strongest firing (a rule that fires on two pieces
    of evidence is not two independent rules); the rules of a fault combine MYCIN-style. Faults
    below `min_certainty` are left out; ties are broken by `prefer` (lower first: where the
    error-code catalog lists the fault, see `code_preference`), then by fault id, so equal
    inputs rank alike; at most `max_results` are kept.
    """
    best: dict[str, dict[str, Firing]] = {}
    for firing in firings:
        if firing.fault is None:
            continue
        per_rule = best.setdefault(firing.fault, {})
        old = per_rule.get(firing.rule)
        if old is None or firing.certainty > old.certainty:
            per_rule[firing.rule] = firing
    ranked: list[Candidate] = []
    for fault_id, per_rule in best.items():
        supporting = sorted(per_rule.values(), key=lambda f: (-f.certainty, f.rule))
        certainty = round(combine(f.certainty for f in supporting), 4)
        if certainty >= min_certainty:
            ranked.append(Candidate(fault_id, certainty, supporting))
    order = prefer or {}
    last = len(order)
    ranked.sort(key=lambda c: (-c.certainty, order.get(c.fault_id, last), c.fault_id))
    return ranked if max_results is None else ranked[:max_results]


def code_preference(
    firings: Iterable[Firing], meanings: Callable[[str], list[tuple[str, ErrorCode]]]
) -> dict[str, int]:
    """fault id → its best place in the fault lists of the catalog entries the firings used.

    A catalog entry lists its faults most likely first ("5070350: no usable invoice track" →
    invoice_stock_exhausted, then config_error), and every fault of an entry gets the entry's
    one certainty; on a tie the fault listed first ranks first, not the one whose id sorts
    first. `meanings` is the knowledge base's `code_meanings`.
    """
    out: dict[str, int] = {}
    for firing in firings:
        for fact in firing.evidence:
            source = fact.source
            if fact.id != "code_fault" or source.code is None:
                continue
            for system, entry in meanings(source.code):
                if system == source.system and fact.value in entry.faults:
                    place = entry.faults.index(fact.value)
                    out[fact.value] = min(place, out.get(fact.value, place))
    return out


def derived_facts(firings: Iterable[Firing], rules: Mapping[str, RuleSpec]) -> list[FactIn]:
    """The symptom facts the derivation firings produced, in firing order (source: the rule)."""
    return [
        FactIn(f.derive, rules[f.rule].then.value, f.certainty, Source.by_rule(f.rule))
        for f in firings
        if f.fault is None and f.derive is not None
    ]


def symptom_ref(fact: FactIn) -> SymptomRef:
    """A fact as the diagnosis shows it."""
    return SymptomRef.model_construct(
        id=fact.id, value=fact.value, certainty=float(fact.cf), source=fact.source
    )


def ranked_faults(
    candidates: Iterable[Candidate], faults: Mapping[str, Fault], rules: Mapping[str, RuleSpec]
) -> tuple[RankedFault, ...]:
    """The candidates as the diagnosis lists them: each fault with its category, title and
    severity, and the evidence of each supporting rule (its certainty, its reason, the facts).

    Built without validation (model_construct): every part is typed already, and validating
    would build the models' validators in every short process."""
    return tuple(
        RankedFault.model_construct(
            fault_id=fault_id,
            category=faults[fault_id].category,
            title=faults[fault_id].title,
            severity=faults[fault_id].severity,
            certainty=float(certainty),
            evidence=tuple(
                Evidence.model_construct(
                    rule=f.rule,
                    certainty=float(f.certainty),
                    because=rules[f.rule].then.because,
                    symptoms=tuple(symptom_ref(e) for e in f.evidence),
                )
                for f in supporting
            ),
        )
        for fault_id, certainty, supporting in candidates
    )

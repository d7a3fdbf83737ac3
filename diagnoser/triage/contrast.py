"""What would tell two close candidate faults apart.

When the two most likely faults have nearly the same certainty, the agent needs to know which
question to ask next. The rules say it: a symptom that some rule for one fault looks for, and no
rule for the other does, points to the first fault. Only symptoms the ticket has not already
given are worth asking about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..kb.index import RuleIndex
from ..kb.knowledge import KnowledgeBase
from ..kb.models import Condition, LocalizedText, RuleSpec
from ..report.labels import SCOPE_NAMES as _SCOPES
from ..result import Diagnosis, RankedFault

CLOSE = 0.15
"""Two faults whose certainties differ by at most this much are 'close'."""

MAX_CLUES = 4
"""At most this many clues for each fault."""

# facts that say nothing an agent can check: the catalog meaning of a code and the raw text
_NOT_CLUES = frozenset({"code_fault", "text"})

_SIGNS = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}

# the scopes' names inside a sentence (the one table is report/labels.py's)
SCOPE_NAMES: dict[str, LocalizedText] = {key: name.phrase for key, name in _SCOPES.items()}


@dataclass(frozen=True)
class Contrast:
    """Two close faults and the unobserved symptoms that point to one but not the other."""

    first: RankedFault
    second: RankedFault
    for_first: tuple[Condition, ...]
    for_second: tuple[Condition, ...]

    @property
    def gap(self) -> float:
        """How far apart the two certainties are."""
        return round(self.first.certainty - self.second.certainty, 4)


def _key(condition: Condition) -> tuple[str, str, str]:
    return (condition.symptom, condition.operator, repr(condition.operand))


_Clues = dict[tuple[str, str, str], tuple[float, Condition]]


def _clues(index: RuleIndex, fault_id: str) -> _Clues:
    """Positive conditions of the rules concluding `fault_id`, scored by how much they say.

    The score of a condition sums, over the rules using it, the rule's certainty times the
    condition's weight in that rule (an `all` item counts fully, one of n `any` items 1/n): a
    required symptom of a strong rule ranks first.
    """
    found: _Clues = {}
    for rule in index.concluding(fault_id):
        for use in index.conditions(rule.id):
            if use.absent or use.symptom in _NOT_CLUES:
                continue
            key = _key(use.condition)
            score, _ = found.get(key, (0.0, use.condition))
            found[key] = (score + rule.then.certainty * use.weight, use.condition)
    return found


def _observed(diagnosis: Diagnosis) -> set[str]:
    """Symptoms the diagnosis already knows about: no need to ask about them again."""
    return {s.id for s in diagnosis.symptoms}


def contrast(
    diagnosis: Diagnosis,
    rules: RuleIndex | Mapping[str, RuleSpec],
    *,
    close: float = CLOSE,
    limit: int = MAX_CLUES,
) -> Contrast | None:
    """The clues that separate the two most likely faults, when they are close; else None.

    `rules` are the rules the diagnosis ran with: `Diagnoser.index` (or `Diagnoser.rules`, which
    includes the built-in error-code rules, indexed on each call). Returns None when there are
    fewer than two faults, when they are further apart than `close`, or when no unobserved
    symptom separates them.
    """
    if len(diagnosis.diagnoses) < 2:
        return None
    first, second = diagnosis.diagnoses[0], diagnosis.diagnoses[1]
    if first.certainty - second.certainty > close + 1e-9:
        return None
    observed = _observed(diagnosis)
    index = rules if isinstance(rules, RuleIndex) else RuleIndex(rules.values())
    a = _clues(index, first.fault_id)
    b = _clues(index, second.fault_id)
    a_symptoms = {k[0] for k in a}
    b_symptoms = {k[0] for k in b}

    def pick(mine: _Clues, other_symptoms: set[str]) -> tuple[Condition, ...]:
        chosen = [
            (certainty, condition)
            for key, (certainty, condition) in mine.items()
            if key[0] not in other_symptoms and key[0] not in observed
        ]
        chosen.sort(key=lambda c: (-c[0], _key(c[1])))
        return tuple(condition for _, condition in chosen[:limit])

    for_first, for_second = pick(a, b_symptoms), pick(b, a_symptoms)
    if not for_first and not for_second:
        return None
    return Contrast(first, second, for_first, for_second)


def describe(condition: Condition, kb: KnowledgeBase, lang: str) -> str:
    """A condition as a short phrase in `lang`: 'paper jam', 'CPU usage ≥ 90 %'."""
    symptom = kb.symptoms.get(condition.symptom)
    name = symptom.name.get(lang) if symptom else condition.symptom
    op, operand = condition.operator, condition.operand
    if op == "present":
        return name
    if op in _SIGNS and isinstance(operand, int | float):
        unit = symptom.unit if symptom and symptom.unit and symptom.unit != "ratio" else ""
        number = f"{operand:g}"
        return f"{name} {_SIGNS[op]} {number}{' ' + unit if unit else ''}"

    def word(value: object) -> str:
        if condition.symptom == "scope" and str(value) in SCOPE_NAMES:
            return SCOPE_NAMES[str(value)].get(lang)
        if condition.symptom == "system" and str(value) in kb.systems:
            return kb.systems[str(value)].name.get(lang)
        return str(value)

    if op == "equals":
        if condition.symptom == "error_code":
            return f"{name} {operand}"
        return f"{name}：{word(operand)}" if lang == "zh" else f"{name}: {word(operand)}"
    if op == "in":
        joiner = "或" if lang == "zh" else " or "
        values = joiner.join(word(v) for v in operand)
        return f"{name}：{values}" if lang == "zh" else f"{name}: {values}"
    # matches: a regular expression is no question for an agent; name the symptom only
    return name

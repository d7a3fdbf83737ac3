"""A question-and-answer diagnosis session: which question to ask next, and what answers change.

A `Session` holds what is known about one incident — the ticket as first described and the
answers given since. It has no I/O: it proposes the question that best separates the remaining
candidate faults, takes the answer, can explain why a question is asked, and can undo answers.
`diagnoser interactive` (cli_interactive.py) is its terminal front end.

How a question is chosen
------------------------
The candidates are the faults the engine currently ranks. Their certainties, plus a mass for
"something else" (what no certainty accounts for: 1 − the top certainty, at least OTHER_MIN),
are normalised into a distribution. The questions are the flag symptoms that the rules
concluding the candidates test — positively or in `none:` — including the symptoms from which
those rules' intermediate symptoms are derived. For each question:

- the "yes" outcome is simulated by diagnosing again with the symptom added;
- the likelihood q(s|f) of hearing "yes" if fault f is the real one is Q_SUPPORT spread over the
  questions that would raise f (a fault is expected to show at least one of its not yet reported
  symptoms), Q_BLOCK when "yes" would stop one of f's rules (its `none:` lists the symptom), and
  Q_LOW otherwise; P(yes) = Σ P(f)·q(s|f);
- the "no" outcome is the Bayesian update P(f)·(1 − q(s|f)): faults whose remaining support
  needed the symptom lose weight, and faults whose rules require it absent keep theirs;
- the expected information gain is H(now) − P(yes)·H(yes) − P(no)·H(no), in bits.

Questions are ranked by gain per unit of cost (1 ask the caller, 2 look at the device or
screen, 3 run a test or ask the admin). A "no" is remembered: the symptom is not asked again and
its weights stay applied to the distribution. The session stops when one fault is clear (top
certainty ≥ CLEAR_CERTAINTY and ahead of the second by ≥ CLEAR_LEAD), when no question gains
more than `min_gain` bits, or after `max_questions` answers.

The report is the engine's diagnosis of the ticket with every "yes" added as an explicit
symptom (certainty 1.0): the engine assumes absent whatever is not reported, so a "no" does not
change its certainties; it changes which questions follow and when the session stops.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..kb.models import Condition, Group, LocalizedText, RuleSpec, RuleStatus, SymptomKind
from ..result import Diagnosis
from ..service import Diagnoser
from ..ticket import Ticket

CLEAR_CERTAINTY = 0.85
CLEAR_LEAD = 0.3
MAX_QUESTIONS = 10
MIN_GAIN = 0.02  # bits: a question that gains less is not worth the caller's time
OTHER_MIN = 0.05  # the least mass left for "something else"
Q_SUPPORT = 0.8  # chance that the real fault shows one of its not yet reported symptoms
Q_MAX = 0.8
Q_LOW = 0.1  # a symptom unrelated to the fault is still seen now and then
Q_BLOCK = 0.05  # a symptom a rule of the fault requires absent
_EPS = 1e-9

OTHER: None = None  # the key of "something else" in distributions


class Answer(StrEnum):
    """An answer to a question."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Command(StrEnum):
    """What else the agent may type at a question."""

    WHY = "why"
    BACK = "back"
    QUIT = "quit"


class Stop(StrEnum):
    """Why a session asks nothing more."""

    CLEAR = "clear"  # one fault is clearly ahead
    NOTHING_TO_ASK = "nothing_to_ask"  # no question would separate the candidates
    LIMIT = "limit"  # max_questions answers given


_REPLIES: dict[str, Answer | Command] = {
    **dict.fromkeys(["y", "yes", "是", "是的", "对", "对的", "有", "有的"], Answer.YES),
    **dict.fromkeys(["n", "no", "否", "没有", "没", "不是", "不", "不对", "无"], Answer.NO),
    **dict.fromkeys(["u", "unknown", "?", "不知道", "不清楚", "skip"], Answer.UNKNOWN),
    **dict.fromkeys(["why", "为什么", "w"], Command.WHY),
    **dict.fromkeys(["back", "返回", "b", "undo"], Command.BACK),
    **dict.fromkeys(["quit", "q", "exit", "退出", "结束"], Command.QUIT),
}


def parse_reply(text: str) -> Answer | Command | None:
    """What a typed reply means (None when it means nothing known).

    y/yes/是/对/有 · n/no/否/没有/不是 · u/unknown/?/不知道 · why/为什么 · back/返回 · quit/q.
    """
    key = unicodedata.normalize("NFKC", text).strip().lower().rstrip("。.!！")
    return _REPLIES.get(key)


@dataclass(frozen=True)
class Question:
    """A question about one flag symptom, with its expected information gain."""

    symptom: str
    name: LocalizedText
    text: LocalizedText
    cost: int
    gain: float  # expected information gain, bits
    p_yes: float  # estimated chance of a "yes"

    @property
    def score(self) -> float:
        """Gain per unit of cost: what questions are ranked by."""
        return self.gain / self.cost


@dataclass(frozen=True)
class Answered:
    """One answer given, and (for "no") the weight it put on each fault."""

    symptom: str
    answer: Answer
    weights: Mapping[str | None, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A fault in the current ranking."""

    fault_id: str
    title: LocalizedText
    certainty: float  # the engine's certainty, as in the report
    share: float  # its part of the session's distribution (with "something else")


@dataclass(frozen=True)
class RuleUse:
    """A rule that tests a symptom: what it concludes and why (the answer to "why")."""

    rule: str
    absent: bool  # the rule needs the symptom absent (it is in the rule's `none:`)
    fault: str | None  # the fault the rule concludes, or
    derive: str | None  # the symptom it derives
    faults: tuple[str, ...]  # the faults the rule leads to (through derived symptoms, too)
    certainty: float
    because: LocalizedText
    candidate: bool  # it leads to a fault that is a candidate now (see Session.candidates)


@dataclass(frozen=True)
class _Eval:
    question: Question
    likelihood: dict[str | None, float]  # q(s|f), OTHER for "something else"


def _split(group: Group) -> tuple[set[str], set[str]]:
    """(symptoms tested positively, symptoms required absent) in a condition group."""
    positive: set[str] = set()
    absent: set[str] = {c.symptom for c in group.none}
    for item in (*group.all, *group.any):
        if isinstance(item, Condition):
            positive.add(item.symptom)
        else:
            pos, neg = _split(item)
            positive |= pos
            absent |= neg
    return positive, absent


def entropy(distribution: Iterable[float]) -> float:
    """Shannon entropy in bits."""
    return -sum(p * math.log2(p) for p in distribution if p > 0)


def _entropy(distribution: Mapping[str | None, float], faults: int) -> float:
    """Entropy of a session distribution: "something else" is spread evenly over the faults
    of the knowledge base that carry no weight of their own (so moving mass from it onto one
    named fault is a gain, not a loss)."""
    named = sum(1 for k in distribution if k is not OTHER)
    rest = distribution.get(OTHER, 0.0)
    spread = max(1, faults - named)
    total = entropy(p for k, p in distribution.items() if k is not OTHER)
    return total + (-rest * math.log2(rest / spread) if rest > 0 else 0.0)


def _normalised(weights: Mapping[str | None, float]) -> dict[str | None, float]:
    total = sum(weights.values())
    if total <= 0:
        return {k: 1 / len(weights) for k in weights} if weights else {}
    return {k: w / total for k, w in weights.items()}


class Session:
    """One interactive diagnosis: the ticket so far, the answers, the next question.

    `ticket` is a Ticket or a dict of ticket fields (an invalid one raises TicketError). The
    session diagnoses through `diagnoser` (whose engine cache makes the simulations cheap).
    """

    def __init__(
        self,
        diagnoser: Diagnoser,
        ticket: Ticket | Mapping[str, Any],
        *,
        max_questions: int = MAX_QUESTIONS,
        min_gain: float = MIN_GAIN,
    ) -> None:
        self.diagnoser = diagnoser
        self.kb = diagnoser.kb
        self.base = Ticket.parse(dict(ticket) if isinstance(ticket, Mapping) else ticket)
        self.max_questions = max_questions
        self.min_gain = min_gain
        self._answers: list[Answered] = []
        self._diagnoses: dict[tuple[str, ...], Diagnosis] = {}
        self._evals: dict[tuple[tuple[str, Answer], ...], dict[str, _Eval]] = {}

        self.flags = frozenset(
            s.id for s in self.kb.symptoms.values() if s.kind is SymptomKind.FLAG
        )
        active = [r for r in diagnoser.rules.values() if r.status is not RuleStatus.DEPRECATED]
        self._rules = sorted(active, key=lambda r: r.id)
        self._tested: dict[str, tuple[set[str], set[str]]] = {
            r.id: _split(r.when) for r in self._rules
        }
        self._concluding: dict[str, list[RuleSpec]] = {}
        self._deriving: dict[str, list[RuleSpec]] = {}
        for rule in self._rules:
            if rule.then.fault:
                self._concluding.setdefault(rule.then.fault, []).append(rule)
            elif rule.then.derive:
                self._deriving.setdefault(rule.then.derive, []).append(rule)
        # flags the rules of each fault test positively, through derived symptoms too
        self._flag_count = {
            fault: len(self._positive(self._concluding.get(fault, [])) & self.flags)
            for fault in self.kb.faults
        }
        # a derived flag that can come from another flag is asked through that flag
        # ("month end?" rather than "peak period?")
        self._through_source = frozenset(
            symptom
            for symptom, rules in self._deriving.items()
            if symptom in self.flags and any(self._tested[r.id][0] & self.flags for r in rules)
        )
        self._diagnose(())  # now, so that an invalid ticket fails here

    # --- state -----------------------------------------------------------------------------

    @property
    def answers(self) -> tuple[Answered, ...]:
        """Every answer given, oldest first."""
        return tuple(self._answers)

    @property
    def confirmed(self) -> tuple[str, ...]:
        """Symptoms answered "yes", in the order given."""
        return tuple(a.symptom for a in self._answers if a.answer is Answer.YES)

    @property
    def denied(self) -> tuple[str, ...]:
        """Symptoms answered "no"."""
        return tuple(a.symptom for a in self._answers if a.answer is Answer.NO)

    @property
    def ticket(self) -> Ticket:
        """The ticket as first described, with every "yes" added as an explicit symptom."""
        return self._ticket(self.confirmed)

    @property
    def diagnosis(self) -> Diagnosis:
        """The engine's diagnosis of `ticket` (what the report shows)."""
        return self._diagnose(self.confirmed)

    def _ticket(self, confirmed: tuple[str, ...]) -> Ticket:
        extra = tuple(s for s in confirmed if s not in self.base.symptoms)
        return self.base.model_copy(update={"symptoms": self.base.symptoms + extra})

    def _diagnose(self, confirmed: tuple[str, ...]) -> Diagnosis:
        key = tuple(sorted(confirmed))
        found = self._diagnoses.get(key)
        if found is None:
            found = self._diagnoses[key] = self.diagnoser.diagnose(self._ticket(key))
        return found

    def _key(self) -> tuple[tuple[str, Answer], ...]:
        return tuple((a.symptom, a.answer) for a in self._answers)

    def present(self) -> frozenset[str]:
        """Symptoms known now (from the ticket, the answers and derivations)."""
        return frozenset(s.id for s in self.diagnosis.symptoms)

    # --- the distribution ------------------------------------------------------------------

    def _weights(self, diagnosis: Diagnosis) -> dict[str | None, float]:
        weights: dict[str | None, float] = {d.fault_id: d.certainty for d in diagnosis.diagnoses}
        top = diagnosis.diagnoses[0].certainty if diagnosis.diagnoses else 0.0
        weights[OTHER] = max(OTHER_MIN, 1.0 - top)
        for answered in self._answers:
            if answered.answer is Answer.NO:
                for key in weights:
                    weights[key] *= answered.weights.get(key, 1.0 - Q_LOW)
        return weights

    def distribution(self) -> dict[str | None, float]:
        """P(fault) now, from the certainties and the "no" answers; OTHER is "something else"."""
        return _normalised(self._weights(self.diagnosis))

    def ranking(self, n: int = 3) -> list[Candidate]:
        """The first `n` faults of the current diagnosis, with their certainty and share."""
        share = self.distribution()
        return [
            Candidate(d.fault_id, d.title, d.certainty, share.get(d.fault_id, 0.0))
            for d in self.diagnosis.diagnoses[:n]
        ]

    # --- questions -------------------------------------------------------------------------

    def _hinted(self, diagnosis: Diagnosis) -> list[str]:
        """Faults not ranked, with a rule that tests one of the known flags positively."""
        known = {s.id for s in diagnosis.symptoms}
        ranked = {d.fault_id for d in diagnosis.diagnoses}
        out: set[str] = set()
        for rule in self._rules:
            if known & self._tested[rule.id][0] & self.flags:
                out.update(f for f in self._leads_to(rule) if f not in ranked)
        return sorted(out)

    def candidates(self) -> list[str]:
        """The faults questions try to separate: those ranked, then those hinted at by a rule
        that tests a known symptom; every fault when there is nothing to go on yet."""
        now = self.diagnosis
        ranked = [d.fault_id for d in now.diagnoses]
        return ranked + self._hinted(now) or sorted(self.kb.faults)

    def pool(self) -> list[str]:
        """Flags worth asking about: tested positively by the rules that conclude the
        candidates, or by the rules deriving a symptom those rules test."""
        rules = [r for f in self.candidates() for r in self._concluding.get(f, ())]
        answered = {a.symptom for a in self._answers}
        skip = answered | self.present() | self._through_source
        return sorted(s for s in self._positive(rules) if s in self.flags and s not in skip)

    def question(self, symptom: str) -> Question:
        """The question about `symptom`, without its gain (see `questions`)."""
        found = self._evaluate().get(symptom)
        if found is not None:
            return found.question
        return self._question(symptom, 0.0, 0.0)

    def _question(self, symptom: str, gain: float, p_yes: float) -> Question:
        spec = self.kb.symptoms[symptom]
        text = spec.question or LocalizedText(
            zh=f"来电人是否反映“{spec.name.zh}”？", en=f"Does the caller report: {spec.name.en}?"
        )
        return Question(symptom, spec.name, text, spec.cost, gain, p_yes)

    def _evaluate(self, extra: str | None = None) -> dict[str, _Eval]:
        key = self._key()
        if extra is None and key in self._evals:
            return self._evals[key]
        pool = self.pool()
        if extra is not None and extra not in pool:
            pool.append(extra)
        now = self.diagnosis
        before = {d.fault_id: d.certainty for d in now.diagnoses}
        p_now = _normalised(self._weights(now))
        faults = len(self.kb.faults)
        h_now = _entropy(p_now, faults)
        after = {s: self._diagnose((*self.confirmed, s)) for s in pool}

        raised: dict[str, set[str]] = {}
        blocked: dict[str, set[str]] = {}
        for s, d in after.items():
            cert = {r.fault_id: r.certainty for r in d.diagnoses}
            raised[s] = {f for f, c in cert.items() if c > before.get(f, 0.0) + _EPS}
            blocked[s] = {f for f, c in before.items() if cert.get(f, 0.0) < c - _EPS}
        # how many of the questions could raise each weighted fault: its chance of showing
        # one of its symptoms is spread over them; unweighted faults use their rules' flags
        supporting = {f: sum(f in up for up in raised.values()) for f in p_now if f is not OTHER}
        unweighted = [f for f in self.kb.faults if f not in p_now]

        out: dict[str, _Eval] = {}
        for s in pool:
            q: dict[str | None, float] = {}
            for f in self.kb.faults:
                if f in raised[s]:
                    n = supporting.get(f) or self._flag_count[f]
                    q[f] = min(Q_MAX, max(Q_LOW, Q_SUPPORT / max(1, n)))
                elif f in blocked[s]:
                    q[f] = Q_BLOCK
                else:
                    q[f] = Q_LOW
            # "something else" is any unweighted fault, each as likely as the others
            q[OTHER] = sum(q[f] for f in unweighted) / len(unweighted) if unweighted else Q_LOW
            p_yes = sum(p * q[f] for f, p in p_now.items())
            h_yes = _entropy(_normalised(self._weights(after[s])), faults)
            h_no = _entropy(_normalised({f: p * (1 - q[f]) for f, p in p_now.items()}), faults)
            gain = max(0.0, h_now - p_yes * h_yes - (1 - p_yes) * h_no)
            out[s] = _Eval(self._question(s, gain, p_yes), q)
        if extra is None:
            self._evals[key] = out
        return out

    def questions(self) -> list[Question]:
        """Questions worth asking, best first: gain per cost, then gain, cost, symptom id."""
        useful = [e.question for e in self._evaluate().values() if e.question.gain > self.min_gain]
        return sorted(useful, key=lambda q: (-q.score, -q.gain, q.cost, q.symptom))

    def stop_reason(self) -> Stop | None:
        """Why nothing more should be asked, or None while a useful question is left."""
        ranked = self.diagnosis.diagnoses
        if ranked:
            second = ranked[1].certainty if len(ranked) > 1 else 0.0
            if ranked[0].certainty >= CLEAR_CERTAINTY and ranked[0].certainty - second >= (
                CLEAR_LEAD - _EPS
            ):
                return Stop.CLEAR
        if len(self._answers) >= self.max_questions:
            return Stop.LIMIT
        if not self.questions():
            return Stop.NOTHING_TO_ASK
        return None

    def next_question(self) -> Question | None:
        """The question to ask now, or None when the session should stop."""
        if self.stop_reason() is not None:
            return None
        return self.questions()[0]

    # --- answers ---------------------------------------------------------------------------

    def answer(self, symptom: str, answer: Answer | str) -> None:
        """Record an answer about a flag symptom.

        "yes" adds the symptom to the ticket (certainty 1.0); "no" remembers it as absent and
        weighs the candidates by how much they needed it; "unknown" only marks it as asked.
        """
        answer = Answer(answer)
        if symptom not in self.flags:
            raise ValueError(f"{symptom!r} is not a flag symptom of the knowledge base")
        if any(a.symptom == symptom for a in self._answers):
            raise ValueError(f"{symptom!r} has been answered already")
        weights: dict[str | None, float] = {}
        if answer is Answer.NO:
            evaluated = self._evaluate().get(symptom) or self._evaluate(extra=symptom)[symptom]
            weights = {f: 1.0 - q for f, q in evaluated.likelihood.items()}
        self._answers.append(Answered(symptom, answer, weights))

    def back(self) -> Answered | None:
        """Undo the last answer; return it (None when there was none)."""
        return self._answers.pop() if self._answers else None

    # --- explanations ----------------------------------------------------------------------

    def why(self, symptom: str) -> list[RuleUse]:
        """The rules that test `symptom`, those about current candidates first."""
        candidates = set(self.candidates())
        uses: list[RuleUse] = []
        for rule in self._rules:
            positive, absent = self._tested[rule.id]
            if symptom not in positive | absent:
                continue
            faults = self._leads_to(rule)
            uses.append(
                RuleUse(
                    rule=rule.id,
                    absent=symptom in absent and symptom not in positive,
                    fault=rule.then.fault,
                    derive=rule.then.derive,
                    faults=faults,
                    certainty=rule.then.certainty,
                    because=rule.then.because,
                    candidate=bool(candidates & set(faults)),
                )
            )
        return sorted(uses, key=lambda u: (not u.candidate, u.absent, u.faults, u.rule))

    def _positive(self, rules: Iterable[RuleSpec]) -> set[str]:
        """Symptoms the rules test positively, and those their derived symptoms come from."""
        seen: set[str] = set()
        todo = [s for r in rules for s in self._tested[r.id][0]]
        while todo:
            symptom = todo.pop()
            if symptom not in seen:
                seen.add(symptom)
                todo.extend(
                    s for r in self._deriving.get(symptom, ()) for s in self._tested[r.id][0]
                )
        return seen

    def _leads_to(self, rule: RuleSpec) -> tuple[str, ...]:
        if rule.then.fault:
            return (rule.then.fault,)
        out: set[str] = set()
        seen: set[str] = set()
        todo = [rule.then.derive]
        while todo:
            symptom = todo.pop()
            if symptom is None or symptom in seen:
                continue
            seen.add(symptom)
            for other in self._rules:
                if symptom in self._tested[other.id][0]:
                    if other.then.fault:
                        out.add(other.then.fault)
                    else:
                        todo.append(other.then.derive)
        return tuple(sorted(out))

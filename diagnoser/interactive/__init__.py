"""A question-and-answer diagnosis session: which question to ask next, and what answers change.

First come the questions the emergency process needs (seed V): the error code on the screen,
when the fault began (the recorded fault time) and how far it reaches (users, shop, district,
city) — each only when the ticket does not say it already. Then come the questions that
separate the candidate faults, chosen as below. Answers may be typed as free text: they are read
through intake, so "打印机灯在闪" answers the printer question, and whatever else the caller
mentions is taken too. An answer settles what it implies ("only this computer" means no other
shop or district is affected), and questions for the administrator (cost 3: a test or a log) are
left out unless the session is told the one on the line can run them.

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
screen, 3 run a test or ask the admin), a question that would confirm the leading fault counting
its gain LEADER_BONUS times. A "no" is remembered: the symptom is not asked again and
its weights stay applied to the distribution. The session stops when one fault is clear (top
certainty ≥ CLEAR_CERTAINTY and ahead of the second by ≥ CLEAR_LEAD), when no question gains
more than `min_gain` bits, or after `max_questions` answers.

The report is the engine's diagnosis of the ticket with every "yes" added as an explicit
symptom (certainty 1.0): the engine assumes absent whatever is not reported, so a "no" does not
change its certainties; it changes which questions follow and when the session stops.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..kb.models import (
    LocalizedText,
    Phase,
    RuleSpec,
    SymptomKind,
)
from ..result import ConsultationEntry, Diagnosis, SourceKind
from ..service import Diagnoser
from ..ticket import Scope, Ticket, parse_scope

CLEAR_CERTAINTY = 0.85
CLEAR_LEAD = 0.3
MAX_QUESTIONS = 10
MIN_GAIN = 0.1  # bits: a question that gains less is not worth the caller's time
# a question whose "yes" would raise the leading fault counts its gain this many times: the
# agent checks the likely thing first ("is the printer offline?" before "upgraded lately?")
LEADER_BONUS = 1.5
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


class Field(StrEnum):
    """The ticket fields the emergency process needs first (seed V.3: record the time)."""

    CODE = "error_codes"
    TIME = "reported_at"
    SCOPE = "scope"


FIELD_QUESTIONS: dict[Field, LocalizedText] = {
    Field.CODE: LocalizedText(
        zh="屏幕上有错误代码或提示信息吗？有的话请照读（没有就答“没有”）。",
        en="Is there an error code or message on the screen? Read it out (or say no).",
    ),
    Field.TIME: LocalizedText(
        zh="问题是什么时候开始的？（如 9:05、20分钟前、刚才）",
        en="When did it begin? (e.g. 9:05, 20 minutes ago, just now)",
    ),
    Field.SCOPE: LocalizedText(
        zh="影响多大？几个人，只是这一台、这一家店、一个区，还是全市？",
        en="How far does it reach: how many users — this one computer, this shop, a district, "
        "the whole city?",
    ),
}
FIELD_NAMES: dict[Field, LocalizedText] = {
    Field.CODE: LocalizedText(zh="错误代码", en="error code"),
    Field.TIME: LocalizedText(zh="故障开始时间", en="when it began"),
    Field.SCOPE: LocalizedText(zh="影响范围", en="impact scope"),
}

# Which impact scopes each scope flag is true in, and whether it is surely true there: an
# answer narrows the possible scopes, and a flag that is false in every scope left (or surely
# true in all of them) is settled without asking. Written out here because it is about what
# one answer implies for another question, not about any fault. "The merchant's other shops
# fail too" needs more than one user, but a citywide outage does not make a merchant have
# branches, and "only this shop" is not sure at site scope (the merchant's other shops may
# fail as well): those two are never implied true. A settled flag is only not asked: it adds
# nothing to the ticket, so the report stays the diagnosis of what was said.
SCOPE_FLAGS: dict[str, tuple[frozenset[str], bool]] = {
    "only_one_user": (frozenset({Scope.SINGLE_USER}), True),
    "only_one_site": (frozenset({Scope.SINGLE_USER, Scope.SITE}), False),
    "own_branches_affected": (frozenset({Scope.SITE, Scope.REGION, Scope.CITY}), False),
    "other_merchants_affected": (frozenset({Scope.REGION, Scope.CITY}), True),
    "region_reports": (frozenset({Scope.REGION, Scope.CITY}), True),
    "citywide_reports": (frozenset({Scope.CITY}), True),
}
_ALL_SCOPES = frozenset(Scope)

_NOW_WORDS = re.compile(r"^(?:now|just now|right now|刚才|刚刚|现在|就现在|刚)$")
_AGO = re.compile(
    r"^(?P<n>\d{1,4})\s*(?P<unit>分钟|分|小时|个小时|钟头|天|min(?:ute)?s?|h(?:our)?s?|days?)"
    r"\s*(?:前|之前|以前|ago)$"
)
_CLOCK = re.compile(
    r"^(?P<day>昨天|今天|yesterday|today)?\s*(?P<half>上午|早上|下午|晚上|中午)?\s*"
    r"(?P<h>\d{1,2})(?:\s*[:：点时]\s*(?P<m>\d{1,2})?分?|\s*(?=am|pm))?\s*(?P<ampm>am|pm)?$"
)
_NUMBER = re.compile(
    r"^(?:about |around |大约|大概|约)?(?P<n>\d{1,7})\s*"
    r"(?:users?|people|persons?|computers?|machines?|cashiers?|个用户|个人|人|台|家|个)?"
    r"(?:\s*(?:affected|受影响))?$"
)


def parse_when(text: str, now: dt.datetime) -> dt.datetime | None:
    """When a fault began, from what a caller says: an ISO time, '9:05', '下午3点', '昨天 17:30',
    '20 minutes ago', '2小时前', 'just now' (None when it says none of these)."""
    said = unicodedata.normalize("NFKC", text).strip().lower().rstrip("。.!！")
    if not said:
        return None
    if _NOW_WORDS.match(said):
        return now.replace(second=0, microsecond=0)
    try:
        found = dt.datetime.fromisoformat(said.upper() if "t" in said else said)
    except ValueError:
        found = None
    if found is not None:
        return found if found.tzinfo else found.replace(tzinfo=now.tzinfo)
    ago = _AGO.match(said)
    if ago:
        n, unit = int(ago["n"]), ago["unit"]
        if unit in ("天",) or unit.startswith("day"):
            delta = dt.timedelta(days=n)
        elif unit in ("小时", "个小时", "钟头") or unit.startswith("h"):
            delta = dt.timedelta(hours=n)
        else:
            delta = dt.timedelta(minutes=n)
        return (now - delta).replace(second=0, microsecond=0)
    clock = _CLOCK.match(said)
    if clock:
        hour, minute = int(clock["h"]), int(clock["m"] or 0)
        if clock["half"] in ("下午", "晚上") or clock["ampm"] == "pm":
            hour += 12 if hour < 12 else 0
        elif clock["half"] == "中午" and hour < 6:
            hour += 12
        elif clock["ampm"] == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            return None
        when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if clock["day"] in ("昨天", "yesterday") or (clock["day"] is None and when > now):
            when -= dt.timedelta(days=1)
        return when
    return None


@dataclass(frozen=True)
class Question:
    """A question about one flag symptom, with its expected information gain."""

    symptom: str
    name: LocalizedText
    text: LocalizedText
    cost: int
    gain: float  # expected information gain, bits
    p_yes: float  # estimated chance of a "yes"
    field: Field | None = None  # a question the process needs (symptom is the field's name)

    @property
    def score(self) -> float:
        """Gain per unit of cost: what questions are ranked by."""
        return self.gain / self.cost


@dataclass(frozen=True)
class Answered:
    """One answer about a flag, and (for "no") the weight it put on each fault.

    `implied` marks a flag settled by another answer ("only this computer" settles "the whole
    city?"); `turn` is the exchange it belongs to (see Session.exchanges)."""

    symptom: str
    answer: Answer
    weights: Mapping[str | None, float] = field(default_factory=dict)
    implied: bool = False
    turn: int = 0


@dataclass(frozen=True)
class Exchange:
    """One question put and what was answered: the record a desk keeps (seed V.3)."""

    question: Question
    said: str  # what was typed
    answer: str  # what it was taken to mean: yes / no / unknown, or the value recorded
    asked_at: dt.datetime
    update: Mapping[str, Any] = field(default_factory=dict)  # ticket fields it filled

    @property
    def symptom(self) -> str:
        """The flag asked about, or the field's name."""
        return self.question.symptom

    def entry(self, lang: str) -> ConsultationEntry:
        """This exchange as it is carried in the JSON output."""
        return ConsultationEntry(
            question=self.question.text.get(lang),
            symptom=self.symptom,
            answer=self.answer,
            said=self.said,
            asked_at=self.asked_at,
        )


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
    `process`: ask first for the error code, the time and the scope when the ticket lacks them.
    `ask_tests`: the one on the line can run tests or read logs (cost-3 questions are asked).
    `clock`: what "now" is (for "20 minutes ago" and the asked_at of each exchange).
    """

    def __init__(
        self,
        diagnoser: Diagnoser,
        ticket: Ticket | Mapping[str, Any],
        *,
        max_questions: int = MAX_QUESTIONS,
        min_gain: float = MIN_GAIN,
        process: bool = True,
        ask_tests: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.diagnoser = diagnoser
        self.kb = diagnoser.kb
        self.original = Ticket.parse(dict(ticket) if isinstance(ticket, Mapping) else ticket)
        self.base = self.original
        self.max_questions = max_questions
        self.min_gain = min_gain
        self.process = process
        self.ask_tests = ask_tests
        self.clock = clock or (lambda: dt.datetime.now().astimezone().replace(microsecond=0))
        self._answers: list[Answered] = []
        self._exchanges: list[Exchange] = []
        self._diagnoses: dict[tuple[str, ...], Diagnosis] = {}
        self._evals: dict[tuple[tuple[str, Answer], ...], dict[str, _Eval]] = {}

        self.flags = frozenset(
            s.id for s in self.kb.symptoms.values() if s.kind is SymptomKind.FLAG
        )
        # the rules the diagnoser runs (none deprecated), as its rule index knows them
        self._index = index = diagnoser.index
        # flags the rules of each fault test positively, through derived symptoms too
        self._flag_count = {
            fault: len(self._positive(index.concluding(fault)) & self.flags)
            for fault in self.kb.faults
        }
        # a derived flag that can come from another flag is asked through that flag
        # ("month end?" rather than "peak period?")
        self._through_source = frozenset(
            symptom
            for symptom, rules in index.derived().items()
            if symptom in self.flags and any(index.positive(r.id) & self.flags for r in rules)
        )
        # flags the caller cannot answer: for the administrator (a test or a log)
        self._for_admin = frozenset(
            s.id for s in self.kb.symptoms.values() if s.kind is SymptomKind.FLAG and s.cost >= 3
        )
        self._diagnose(())  # now, so that an invalid ticket fails here
        self._settle(0)  # what the ticket's own scope implies

    # --- state -----------------------------------------------------------------------------

    @property
    def answers(self) -> tuple[Answered, ...]:
        """Every answer about a flag, oldest first (implied ones too)."""
        return tuple(self._answers)

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        """Every question put and its answer, oldest first."""
        return tuple(self._exchanges)

    @property
    def asked(self) -> int:
        """How many questions have been answered."""
        return len(self._exchanges)

    def consultation(self, lang: str) -> tuple[ConsultationEntry, ...]:
        """The record of the exchanges, questions in `lang`."""
        return tuple(e.entry(lang) for e in self._exchanges)

    def result(self, lang: str) -> Diagnosis:
        """The diagnosis with the consultation record (what `--format json` prints)."""
        return self.diagnosis.model_copy(update={"consultation": self.consultation(lang)})

    @property
    def confirmed(self) -> tuple[str, ...]:
        """Symptoms answered "yes", in the order given (not those only implied)."""
        return tuple(a.symptom for a in self._answers if a.answer is Answer.YES and not a.implied)

    @property
    def denied(self) -> tuple[str, ...]:
        """Symptoms answered "no"."""
        return tuple(a.symptom for a in self._answers if a.answer is Answer.NO)

    @property
    def ticket(self) -> Ticket:
        """The ticket as first described, with the fields the answers filled and every "yes"
        added as an explicit symptom: `diagnose` of it gives `diagnosis`."""
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

    def _rebase(self) -> None:
        """Apply the field updates of every exchange to the original ticket."""
        fields: dict[str, Any] = {}
        for exchange in self._exchanges:
            for name, value in exchange.update.items():
                if name == "error_codes":
                    fields[name] = (*fields.get(name, self.original.error_codes), *value)
                elif name == "text":
                    before = fields.get(name, self.original.text)
                    fields[name] = f"{before}\n{value}" if before else value
                else:
                    fields[name] = value
        self.base = Ticket.parse({**self.original.model_dump(), **fields})
        self._diagnoses.clear()
        self._evals.clear()

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
        for rule in self._index.rules.values():
            if known & self._index.positive(rule.id) & self.flags:
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
        rules = [r for f in self.candidates() for r in self._index.concluding(f)]
        answered = {a.symptom for a in self._answers}
        skip = answered | self.present() | self._through_source
        if not self.ask_tests:
            skip |= self._for_admin
        return sorted(s for s in self._positive(rules) if s in self.flags and s not in skip)

    def question(self, symptom: str) -> Question:
        """The question about `symptom` (or a process field), without its gain."""
        if symptom in Field._value2member_map_:
            return self._field_question(Field(symptom))
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
        leader = now.diagnoses[0].fault_id if now.diagnoses else None
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
            if leader is not None and leader in raised[s]:
                gain *= LEADER_BONUS
            out[s] = _Eval(self._question(s, gain, p_yes), q)
        if extra is None:
            self._evals[key] = out
        return out

    def questions(self) -> list[Question]:
        """Questions worth asking, best first: gain per cost, then gain, cost, symptom id."""
        useful = [e.question for e in self._evaluate().values() if e.question.gain > self.min_gain]
        return sorted(useful, key=lambda q: (-q.score, -q.gain, q.cost, q.symptom))

    def _field_question(self, which: Field) -> Question:
        return Question(which.value, FIELD_NAMES[which], FIELD_QUESTIONS[which], 1, 0.0, 0.0, which)

    def pending_field(self) -> Field | None:
        """The first field the process needs that neither the ticket nor an answer gave."""
        if not self.process:
            return None
        asked = {e.question.field for e in self._exchanges}
        now = self.diagnosis
        if Field.CODE not in asked and not any(s.id == "error_code" for s in now.symptoms):
            return Field.CODE
        if Field.TIME not in asked and self.base.reported_at is None:
            return Field.TIME
        if Field.SCOPE not in asked and now.scope is None and self.base.affected_users is None:
            return Field.SCOPE
        return None

    def stop_reason(self) -> Stop | None:
        """Why nothing more should be asked, or None while a useful question is left."""
        if self.pending_field() is not None:
            return None
        ranked = self.diagnosis.diagnoses
        if ranked:
            second = ranked[1].certainty if len(ranked) > 1 else 0.0
            if ranked[0].certainty >= CLEAR_CERTAINTY and ranked[0].certainty - second >= (
                CLEAR_LEAD - _EPS
            ):
                return Stop.CLEAR
        if self.asked >= self.max_questions:
            return Stop.LIMIT
        if not self.questions():
            return Stop.NOTHING_TO_ASK
        return None

    def next_question(self) -> Question | None:
        """The question to ask now, or None when the session should stop."""
        pending = self.pending_field()
        if pending is not None:
            return self._field_question(pending)
        if self.stop_reason() is not None:
            return None
        return self.questions()[0]

    # --- answers ---------------------------------------------------------------------------

    def answer(
        self,
        symptom: str,
        answer: Answer | str,
        *,
        said: str | None = None,
        asked_at: dt.datetime | None = None,
    ) -> None:
        """Record an answer about a flag symptom.

        "yes" adds the symptom to the ticket (certainty 1.0); "no" remembers it as absent and
        weighs the candidates by how much they needed it; "unknown" only marks it as asked.
        """
        answer = Answer(answer)
        self._check_flag(symptom)
        question = self.question(symptom)
        turn = len(self._exchanges) + 1
        self._record(symptom, answer, turn)
        self._exchanges.append(
            Exchange(
                question, answer.value if said is None else said, answer.value, self._at(asked_at)
            )
        )
        self._settle(turn)

    def _check_flag(self, symptom: str) -> None:
        if symptom not in self.flags:
            raise ValueError(f"{symptom!r} is not a flag symptom of the knowledge base")
        if any(a.symptom == symptom for a in self._answers):
            raise ValueError(f"{symptom!r} has been answered already")

    def _at(self, asked_at: dt.datetime | None) -> dt.datetime:
        return asked_at if asked_at is not None else self.clock()

    def _record(self, symptom: str, answer: Answer, turn: int, implied: bool = False) -> None:
        weights: dict[str | None, float] = {}
        if answer is Answer.NO and not implied:
            evaluated = self._evaluate().get(symptom) or self._evaluate(extra=symptom)[symptom]
            weights = {f: 1.0 - q for f, q in evaluated.likelihood.items()}
        self._answers.append(Answered(symptom, answer, weights, implied, turn))

    def take(self, question: Question, said: str, *, asked_at: dt.datetime | None = None) -> bool:
        """Take what was typed in answer to `question`; False when it says nothing usable.

        y/n/u (see parse_reply) answer a flag; anything else is read through intake: the flag
        asked about, mentioned, is a yes ("打印机灯在闪"), denied ("没有卡纸") a no, and every
        other flag mentioned is taken as a yes too. A process question takes the code or
        message on the screen, a time ("9:05", "20 minutes ago") or a scope ("just me", "全市",
        "3 users"). Commands (why, back, quit) are the front end's and are not taken here.
        """
        at = self._at(asked_at)
        reply = parse_reply(said)
        if isinstance(reply, Command):
            raise ValueError(f"{said!r} is a command, not an answer")
        if question.field is not None:
            return self._take_field(question, said, reply, at)
        if reply is not None:
            self.answer(question.symptom, reply, said=said, asked_at=at)
            return True
        found, denied = self._read(said, question.symptom)
        found = [s for s in found if s not in {a.symptom for a in self._answers}]
        if question.symptom in found:
            meaning = Answer.YES.value
        elif denied:
            meaning = Answer.NO.value
        elif found:
            names = ", ".join(found)
            meaning = f"noted: {names}"
        else:
            return False
        turn = len(self._exchanges) + 1
        if meaning == Answer.NO.value:
            self._record(question.symptom, Answer.NO, turn)
        for symptom in found:
            self._record(symptom, Answer.YES, turn)
        self._exchanges.append(Exchange(question, said, meaning, at))
        self._settle(turn)
        return True

    def _read(self, said: str, asked: str) -> tuple[list[str], bool]:
        """(flags the text mentions, whether it denies `asked`), read through intake."""
        read = self.diagnoser.diagnose({"text": said, "system": self.base.system})
        found = [
            s.id for s in read.symptoms if s.source.kind is SourceKind.TEXT and s.id in self.flags
        ]
        denied = asked not in found and any(
            aside.symptom == asked and aside.scope == "negation"
            for aside in self.diagnoser.read_text(said).set_aside
        )
        return list(dict.fromkeys(found)), denied

    def _take_field(
        self, question: Question, said: str, reply: Answer | Command | None, at: dt.datetime
    ) -> bool:
        which = question.field
        update: dict[str, Any] = {}
        text = unicodedata.normalize("NFKC", said).strip()
        if reply is Answer.UNKNOWN:
            meaning = Answer.UNKNOWN.value
        elif which is Field.CODE:
            if reply is Answer.NO:
                meaning = "none"
            elif reply is Answer.YES or len(text) < 2:
                return False  # "yes" without the code, or a stray key: ask again
            elif re.fullmatch(r"\S*\d\S*", text) and len(text) <= 40:
                update["error_codes"] = (text,)
                meaning = text
            else:
                update["text"] = text
                codes = self.diagnoser.diagnose({"text": text, "system": self.base.system})
                found = [str(s.value) for s in codes.symptoms if s.id == "error_code"]
                meaning = ", ".join(dict.fromkeys(found)) or "message"
        elif which is Field.TIME:
            when = None if reply is not None else parse_when(text, at)
            if when is None:
                return False
            update["reported_at"] = when
            meaning = when.isoformat(timespec="minutes")
        else:
            if reply is not None:
                return False
            number = _NUMBER.match(text.lower())
            scope: str | None = None
            try:
                scope = parse_scope(text).value
            except ValueError:
                scope = None
            if number:
                users = int(number["n"])
                update["affected_users"] = users
                if users == 1:
                    update["scope"] = Scope.SINGLE_USER.value
                meaning = f"{users} users"
            elif scope is not None:
                update["scope"] = scope
                meaning = scope
            else:
                read = self.diagnoser.diagnose({"text": text, "system": self.base.system})
                scopes = [str(s.value) for s in read.symptoms if s.id == "scope"]
                if not scopes and not any(s.source.kind is SourceKind.TEXT for s in read.symptoms):
                    return False
                update["text"] = text
                if read.scope:
                    update["scope"] = read.scope
                meaning = read.scope or "noted"
        turn = len(self._exchanges) + 1
        self._exchanges.append(Exchange(question, said, meaning, at, update))
        if update:
            self._rebase()
        self._settle(turn)
        return True

    def _settle(self, turn: int) -> None:
        """Answer the scope flags that the known scope and the answers so far imply."""
        while True:
            possible = set(_ALL_SCOPES)
            scope = self.diagnosis.scope
            if scope in _ALL_SCOPES:
                possible &= {scope}
            for a in self._answers:
                where, sure = SCOPE_FLAGS.get(a.symptom, (None, False))
                if where is not None and a.answer is Answer.YES:
                    possible &= where
                elif where is not None and sure and a.answer is Answer.NO:
                    possible -= where
            if not possible or possible == _ALL_SCOPES:
                return
            known = {a.symptom for a in self._answers} | self.present()
            settled = False
            for flag, (where, sure) in SCOPE_FLAGS.items():
                if flag not in self.flags or flag in known:
                    continue
                if sure and possible <= where:
                    self._record(flag, Answer.YES, turn, implied=True)
                elif not possible & where:
                    self._record(flag, Answer.NO, turn, implied=True)
                else:
                    continue
                settled = True
            if not settled:
                return

    def back(self) -> Exchange | None:
        """Undo the last exchange (and what it implied); return it (None when there was none)."""
        if not self._exchanges:
            return None
        turn = len(self._exchanges)
        undone = self._exchanges.pop()
        self._answers = [a for a in self._answers if a.turn != turn]
        if undone.update:
            self._rebase()
        return undone

    # --- explanations ----------------------------------------------------------------------

    def why(self, symptom: str) -> list[RuleUse]:
        """The rules that test `symptom`, those about current candidates first."""
        candidates = set(self.candidates())
        uses: list[RuleUse] = []
        for rule_id in self._index.testing(symptom):
            rule = self._index.rules[rule_id]
            positive, absent = self._index.positive(rule_id), self._index.absent(rule_id)
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
        return self._index.upstream(s for r in rules for s in self._index.positive(r.id))

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
            for other_id in self._index.testing(symptom):
                other = self._index.rules[other_id]
                if symptom in self._index.positive(other_id):
                    if other.then.fault:
                        out.add(other.then.fault)
                    else:
                        todo.append(other.then.derive)
        return tuple(sorted(out))


# --- the closing summary ---------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What the agent reads out at the end of a call: one screen."""

    fault_id: str | None
    title: str | None
    certainty: float | None
    priority: str | None
    next_steps: tuple[str, ...]  # the plan's first three steps (but the one naming whom to call)
    call: str | None  # who to call: a site contact when one is known, else the plan's step
    asked: int


def summarise(
    session: Session, lang: str, contacts: Mapping[str, str] | None = None, steps: int = 3
) -> Summary:
    """The closing summary of `session` in `lang`.

    `contacts` maps a fault id or a category (or "default") to whom to call, as a site profile
    carries them; without one the plan's contact step ("call the repair station …") says it.
    """
    diagnosis = session.diagnosis
    top = diagnosis.top
    plan = diagnosis.plan
    ordered = sorted(plan.steps, key=lambda s: list(Phase).index(s.phase)) if plan else []
    call: str | None = None
    if contacts and top is not None:
        call = contacts.get(top.fault_id) or contacts.get(top.category) or contacts.get("default")
    contact = next((s for s in ordered if s.phase is Phase.CONTACT), None)
    if call is None and contact is not None:
        call = contact.text.get(lang)
        ordered = [s for s in ordered if s is not contact]  # said once, under "who to call"
    return Summary(
        fault_id=top.fault_id if top else None,
        title=top.title.get(lang) if top else None,
        certainty=top.certainty if top else None,
        priority=diagnosis.priority.value if diagnosis.priority else None,
        next_steps=tuple(s.text.get(lang) for s in ordered[:steps]),
        call=call,
        asked=session.asked,
    )

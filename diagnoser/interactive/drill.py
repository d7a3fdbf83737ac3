"""A training drill: a caller with a fault from the knowledge base, and a trainee to find it.

Staff training and rehearsed emergency plans (seed VI.2–VI.3). A `Drill` plays a caller whose
fault is drawn from the knowledge base (one fault, or one of a category, or any), seeded so a
drill can be repeated. It opens the way a caller would, with one of the fault's symptoms in the
vocabulary's own words; it answers the trainee's questions — read through intake, so "is the
printer offline?" is a question about `printer_offline` — from the fault's symptoms
(diagnoser.interactive.caller); then it asks the trainee to pick the fault and to put the
emergency steps in order. The score weighs the diagnosis, the questions spent (against what a
Session needs for the same caller) and the order of the steps against the plan and the three
principles. It has no I/O: `diagnoser drill` (diagnoser/cli/drill.py) is its terminal front end.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass, field

from ..kb.models import Fault, LocalizedText, Phase, Principle
from ..result import SCHEMA_VERSION, SourceKind
from ..service import Diagnoser
from . import Session
from .caller import Caller

MAX_QUESTIONS = 15  # a drill ends its questions here, whatever the trainee wants
CHOICES = 4  # faults offered for the diagnosis
POINTS = {"diagnosis": 50, "questions": 20, "steps": 30}
# question words a trainee puts around the symptom ("打印机是不是脱机了？"): intake reads the
# symptom better without them
_QUESTION_WORDS = re.compile(r"是不是|有没有|是否|会不会|能不能|有无|吗|呢|么|[?？]")


def _t(zh: str, en: str) -> LocalizedText:
    return LocalizedText(zh=zh, en=en)


OPENINGS = (
    _t("您好，我们这边开票出问题了：{what}。", "Hello, we have a problem with invoicing: {what}."),
    _t("喂，你好，{what}，怎么办？", "Hi — {what}. What do we do?"),
    _t("您好，麻烦看一下，{what}。", "Hello, could you help? {what}."),
)
YES = (_t("对，是这样。", "Yes, that's right."), _t("是的。", "Yes."), _t("有。", "Yes, it is."))
NO = (
    _t("没有。", "No."),
    _t("不是。", "No, not that."),
    _t("没注意到，应该没有。", "I don't think so."),
)
NOT_UNDERSTOOD = _t(
    "（来电人没听懂这个问题。请问一个具体的现象。）",
    "(The caller does not understand the question. Ask about one thing they can see.)",
)

# the principles the order of steps is checked against (seed III), with what keeping them means
PRINCIPLE_CHECKS: dict[str, LocalizedText] = {
    Principle.RESPOND_AT_ONCE.value: _t(
        "立即响应：先控制（止损、保住核心开票），再做别的",
        "respond at once: contain first (stop the damage, keep core invoicing alive)",
    ),
    Principle.DATA_SAFETY.value: _t(
        "数据安全：先隔离和备份，再切换、重装或恢复",
        "data safety: isolate and back up before switching over, reinstalling or restoring",
    ),
    Principle.COMPLIANCE.value: _t(
        "合规：先联系技术支持并记录故障时间，再转手工或离线开票",
        "compliance: contact support with the recorded time before the manual or offline procedure",
    ),
}


@dataclass(frozen=True)
class Asked:
    """One question of the trainee and the caller's answer."""

    said: str
    symptoms: tuple[str, ...]  # the symptoms the question was about (none: not understood)
    answer: str  # what the caller said
    present: bool | None  # whether the caller sees it (None: not understood)


@dataclass(frozen=True)
class Check:
    """One principle checked against the trainee's order of steps."""

    principle: str
    kept: bool
    text: str


@dataclass(frozen=True)
class Score:
    """A drill's outcome, for the debrief and a training log."""

    fault_id: str
    diagnosed: str | None
    correct: bool
    questions: int
    reference_questions: int  # what a Session needed for the same caller
    order_given: tuple[int, ...]  # plan step numbers (1-based, plan order) as the trainee put them
    order_score: float  # share of step pairs in the plan's order
    checks: tuple[Check, ...]
    points: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Points out of 100."""
        return sum(self.points.values())


class Drill:
    """One drill: a caller with one fault, seeded.

    `fault_id` picks the fault; else `category` limits the draw to one category; else any
    fault of the knowledge base with rules to find it. Raises ValueError for an unknown fault
    or a category without faults.
    """

    def __init__(
        self,
        diagnoser: Diagnoser,
        *,
        fault_id: str | None = None,
        category: str | None = None,
        lang: str = "zh",
        seed: int | None = None,
    ) -> None:
        self.diagnoser = diagnoser
        self.kb = diagnoser.kb
        self.lang = lang
        self.seed = seed if seed is not None else random.SystemRandom().randrange(10**6)
        self._rng = random.Random(self.seed)
        findable = sorted(
            f for f in self.kb.faults if any(r.then.fault == f for r in diagnoser.rules.values())
        )
        if fault_id is not None:
            if fault_id not in self.kb.faults:
                raise ValueError(f"unknown fault {fault_id!r}; see `diagnoser kb show faults`")
            pool = [fault_id]
        else:
            pool = [f for f in findable if category is None or f.split(".", 1)[0] == category]
            if not pool:
                known = ", ".join(sorted({f.split(".", 1)[0] for f in findable}))
                raise ValueError(f"no fault in category {category!r}; categories: {known}")
        self.fault_id = self._rng.choice(pool)
        self.fault: Fault = self.kb.faults[self.fault_id]
        self.caller = Caller.for_fault(diagnoser, self.fault_id)
        self.opening_symptom = self._pick_opening()
        self.asked: list[Asked] = []
        self.diagnosed: str | None = None
        self.order_given: tuple[int, ...] = ()
        # the steps as shown to the trainee: shuffled, never already in order (when they can be)
        steps = list(range(len(self.fault.emergency_steps)))
        shown = steps[:]
        for _ in range(20):
            self._rng.shuffle(shown)
            if shown != steps or len(steps) < 2:
                break
        self.shown_steps = tuple(shown)

    # --- the caller ------------------------------------------------------------------------

    def _said(self, symptom: str) -> str:
        return self.kb.symptoms[symptom].name.get(self.lang)

    def _recognised(self, symptom: str) -> bool:
        read = self.diagnoser.diagnose({"text": self._said(symptom)})
        return symptom in {s.id for s in read.symptoms}

    def _pick_opening(self) -> str | None:
        """A symptom of the fault that its rules need, said in the vocabulary's words."""
        needed: list[str] = []
        index = self.diagnoser.index
        for rule in sorted(index.concluding(self.fault_id), key=lambda r: -r.then.certainty):
            for use in index.conditions(rule.id):
                if use.top_level and use.symptom in self.caller.sees and use.symptom not in needed:
                    needed.append(use.symptom)
        said = [s for s in needed if self._recognised(s)] or needed
        return said[0] if said else (sorted(self.caller.sees)[0] if self.caller.sees else None)

    @property
    def opening(self) -> str:
        """What the caller says first."""
        if self.opening_symptom:
            what = self._said(self.opening_symptom)
        else:
            what = self.fault.title.get(self.lang)
        template = random.Random(f"{self.seed}:opening").choice(OPENINGS)
        return template.get(self.lang).format(what=what)

    def _rng_pick(self, options: tuple[LocalizedText, ...], salt: str) -> LocalizedText:
        # the same drill says the same things: the choice depends on the seed and the moment
        rng = random.Random(f"{self.seed}:{salt}:{len(self.asked)}")
        return rng.choice(options)

    def ask(self, said: str) -> Asked:
        """The trainee asks; the caller answers from the fault's symptoms."""
        if len(self.asked) >= MAX_QUESTIONS:
            raise ValueError(f"a drill takes at most {MAX_QUESTIONS} questions")
        read = self.diagnoser.diagnose({"text": f"{said}\n{_QUESTION_WORDS.sub('', said)}"})
        symptoms = tuple(
            dict.fromkeys(
                s.id
                for s in read.symptoms
                if s.source.kind is SourceKind.TEXT and s.id in self.caller_flags
            )
        )
        if not symptoms:
            asked = Asked(said, (), NOT_UNDERSTOOD.get(self.lang), None)
        else:
            present = any(s in self.caller.sees or s == self.opening_symptom for s in symptoms)
            reply = self._rng_pick(YES if present else NO, "answer").get(self.lang)
            asked = Asked(said, symptoms, reply, present)
        self.asked.append(asked)
        return asked

    @property
    def caller_flags(self) -> frozenset[str]:
        """The flag symptoms a question can be about."""
        return frozenset(s.id for s in self.kb.symptoms.values() if s.kind.value == "flag")

    # --- the diagnosis ---------------------------------------------------------------------

    def choices(self) -> list[str]:
        """The faults offered: the real one, the engine's next best for what was learnt, and
        others of the same category, in a seeded order."""
        known = [self.opening_symptom] if self.opening_symptom else []
        known += [s for a in self.asked if a.present for s in a.symptoms]
        ranked = self.diagnoser.diagnose({"symptoms": known}).diagnoses if known else ()
        out = [self.fault_id]
        for fault in [d.fault_id for d in ranked] + sorted(
            f for f in self.kb.faults if f.split(".", 1)[0] == self.fault.category
        ):
            if fault not in out and len(out) < CHOICES:
                out.append(fault)
        rest = sorted(f for f in self.kb.faults if f not in out)
        random.Random(f"{self.seed}:rest").shuffle(rest)
        out += rest[: max(0, CHOICES - len(out))]
        random.Random(f"{self.seed}:choices").shuffle(out)
        return out

    def diagnose(self, answer: str) -> bool:
        """The trainee's diagnosis: a number of `choices()`, a fault id or a fault title."""
        options = self.choices()
        text = answer.strip()
        chosen: str | None = None
        if text.isdigit() and 1 <= int(text) <= len(options):
            chosen = options[int(text) - 1]
        elif text in self.kb.faults:
            chosen = text
        else:
            for fault in options:
                title = self.kb.faults[fault].title
                if text and text.lower() in (title.zh.lower(), title.en.lower()):
                    chosen = fault
        if chosen is None:
            raise ValueError(f"{answer!r} is not one of the choices, a fault id or a title")
        self.diagnosed = chosen
        return chosen == self.fault_id

    # --- the steps -------------------------------------------------------------------------

    def steps(self) -> list[str]:
        """The plan's steps as shown to the trainee (shuffled), in the drill's language."""
        return [self.fault.emergency_steps[i].text.get(self.lang) for i in self.shown_steps]

    def order(self, given: list[int]) -> None:
        """The trainee's order: the numbers of `steps()` (1-based), each once."""
        n = len(self.shown_steps)
        if sorted(given) != list(range(1, n + 1)):
            raise ValueError(f"give each of the numbers 1 to {n} once, in the order to do them")
        self.order_given = tuple(self.shown_steps[g - 1] + 1 for g in given)

    # --- the score -------------------------------------------------------------------------

    def reference_questions(self) -> int:
        """How many questions a Session needs for this caller, from the same opening."""
        session = Session(self.diagnoser, {"symptoms": self._opening_list()}, process=False)
        while (question := session.next_question()) is not None:
            session.answer(question.symptom, self.caller.answer(question.symptom))
        return session.asked

    def _opening_list(self) -> list[str]:
        return [self.opening_symptom] if self.opening_symptom else []

    def _checks(self, order: tuple[int, ...]) -> tuple[Check, ...]:
        steps = self.fault.emergency_steps
        phases = [steps[i - 1].phase for i in order]
        checks: list[Check] = []

        def before(first: set[Phase], then: set[Phase]) -> bool | None:
            a = [i for i, p in enumerate(phases) if p in first]
            b = [i for i, p in enumerate(phases) if p in then]
            return None if not a or not b else max(a) < min(b)

        rules = {
            Principle.RESPOND_AT_ONCE.value: (
                None if Phase.CONTAIN not in phases else phases[0] is Phase.CONTAIN
            ),
            Principle.DATA_SAFETY.value: before({Phase.ISOLATE}, {Phase.FALLBACK}),
            Principle.COMPLIANCE.value: before({Phase.CONTACT}, {Phase.FALLBACK}),
        }
        for principle, kept in rules.items():
            if kept is not None:
                checks.append(Check(principle, kept, PRINCIPLE_CHECKS[principle].get(self.lang)))
        return tuple(checks)

    def score(self) -> Score:
        """Points for the diagnosis, the questions and the steps (out of 100)."""
        correct = self.diagnosed == self.fault_id
        reference = self.reference_questions()
        asked = len(self.asked)
        order = self.order_given
        n = len(self.fault.emergency_steps)
        pairs = list(itertools.combinations(range(len(order)), 2))
        in_order = sum(order[i] < order[j] for i, j in pairs)
        order_score = (in_order / len(pairs) if pairs else 1.0) if order else 0.0
        checks = self._checks(order) if order else ()
        # every question past the Session's own count (and one to spare) costs 4 points
        spare = max(0, asked - (reference + 1))
        broken = any(not c.kept for c in checks)
        points = {
            "diagnosis": POINTS["diagnosis"] if correct else 0,
            "questions": max(0, POINTS["questions"] - 4 * spare) if correct else 0,
            # a broken principle halves what the order earns
            "steps": round(POINTS["steps"] * order_score * (0.5 if broken else 1.0))
            if n
            else POINTS["steps"],
        }
        return Score(
            fault_id=self.fault_id,
            diagnosed=self.diagnosed,
            correct=correct,
            questions=asked,
            reference_questions=reference,
            order_given=order,
            order_score=round(order_score, 3),
            checks=checks,
            points=points,
        )

    def record(self) -> dict[str, object]:
        """The drill as a training-log record (what `--format json` prints)."""
        score = self.score()
        return {
            "schema_version": SCHEMA_VERSION,
            "drill": {
                "seed": self.seed,
                "lang": self.lang,
                "fault_id": self.fault_id,
                "category": self.fault.category,
                "opening": self.opening,
            },
            "questions": [
                {
                    "said": a.said,
                    "symptoms": list(a.symptoms),
                    "answer": a.answer,
                    "present": a.present,
                }
                for a in self.asked
            ],
            "diagnosis": {"given": score.diagnosed, "correct": score.correct},
            "steps": {
                "given": list(score.order_given),
                "expected": list(range(1, len(self.fault.emergency_steps) + 1)),
                "order_score": score.order_score,
            },
            "principles": [{"principle": c.principle, "kept": c.kept} for c in score.checks],
            "reference_questions": score.reference_questions,
            "score": {**score.points, "total": score.total},
        }

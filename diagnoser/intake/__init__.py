"""Intake: a ticket becomes symptom facts; whatever matched nothing is reported, not dropped."""

from __future__ import annotations

import bisect
import difflib
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import Issue, KnowledgeBaseError, Location
from ..facts import FactIn
from ..kb.models import Patterns, SymptomKind, fold_case
from ..result import InputKind, Source, Unrecognised
from ..result import UnrecognisedReason as Why
from ..ticket import Ticket
from ._hanzi import to_simplified
from .codes import canonical_code, codes_in_text

if TYPE_CHECKING:  # the loader imports intake.codes; a runtime import would be circular
    from ..kb.loader import KnowledgeBase

TEXT_CF = 0.9  # a phrase found in free text is a little less certain than an explicit symptom

_CLAUSE = re.compile(r"[。！？!?；;，,、\n]+|\.(?=\s|$)")
_NEG_EN = re.compile(
    r"\b(?:not|no|never|without|isn't|wasn't|aren't|don't|doesn't|didn't|hasn't|haven't)"
    r"(?:\s+[\w'-]+){0,2}\s*$",
    re.IGNORECASE,
)
# Chinese negation right before the symptom: "没卡纸", "也不卡纸", "无报错", "未发现病毒".
_NEG_ZH = re.compile(
    r"(?:不是|并非|并不|没有出现|未出现|没出现|排除了?|不存在|没有|没发现|未发现|也没|没|不|未|无|无需)$"
)
# Strong cues may stand a few characters before the symptom: "不是我们输错的", "排除了网络故障".
_NEG_ZH_WIDE = re.compile(r"(?:不是|并非|并不是|排除了?)[\u4e00-\u9fff]{1,4}$")
# A question is not a denial: "是不是没插盘" asks whether the disk is missing.
_QUESTION_ZH = re.compile(r"(?:是不是|是否|有没有)[\u4e00-\u9fff]{0,4}$")
_WORDISH = re.compile(r"[\w\u4e00-\u9fff]{2,}")


def normalise_text(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms), traditional Chinese characters
    folded to simplified ones, and collapsed spaces."""
    folded = to_simplified(unicodedata.normalize("NFKC", text))
    return re.sub(r"[ \t\r\f\v]+", " ", folded).strip()


def _negated(before: str) -> bool:
    """Whether the clause text just before a symptom denies it."""
    tail = before.rstrip()
    if _NEG_EN.search(tail):
        return True
    if _QUESTION_ZH.search(tail):
        return False
    return bool(_NEG_ZH.search(tail) or _NEG_ZH_WIDE.search(tail))


@dataclass(frozen=True)
class TextReading:
    """What one ticket text says: symptoms (not denied), codes and systems, and the clauses
    that matched nothing."""

    text: str
    symptoms: tuple[tuple[str, Source], ...]
    codes: tuple[tuple[str, Source], ...]
    systems: tuple[tuple[str, Source], ...]
    unrecognised: tuple[Unrecognised, ...]


@dataclass
class Vocabulary:
    """The knowledge base compiled for intake: regexes per symptom and system, known codes."""

    kb: KnowledgeBase
    system_names: dict[str, str]
    known_codes: frozenset[str]
    metrics: frozenset[str]
    flags: frozenset[str]
    uses_text: bool

    cache_size: int = 8192
    _readings: OrderedDict[str, TextReading] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _patterns: tuple[list[Any], list[Any]] | None = field(default=None, repr=False)

    @property
    def symptom_patterns(self) -> list[tuple[str, re.Pattern[str] | None, re.Pattern[str] | None]]:
        """(symptom id, regex of its patterns with Chinese characters, regex of the others)."""
        return self._compiled()[0]

    @property
    def system_patterns(self) -> list[tuple[str, re.Pattern[str] | None, re.Pattern[str] | None]]:
        """(system id, regex of its patterns with Chinese characters, regex of the others)."""
        return self._compiled()[1]

    def _compiled(self) -> tuple[list[Any], list[Any]]:
        # compiled on first use: a ticket with only codes or metrics never needs them
        if self._patterns is None:
            with self._lock:
                if self._patterns is None:
                    self._patterns = (
                        [
                            (s.id, *self._compile(s.patterns, "symptom", s.id))
                            for s in sorted(self.kb.symptoms.values(), key=lambda s: s.id)
                            if s.patterns.all()
                        ],
                        [
                            (s.system, *self._compile(s.patterns, "system", s.system))
                            for s in sorted(self.kb.systems.values(), key=lambda s: s.system)
                            if s.patterns.all()
                        ],
                    )
        return self._patterns

    def _compile(
        self, patterns: Patterns, kind: str, ident: str
    ) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        problem = patterns.check()
        if problem:
            where = self.kb.location(kind, ident) or Location(f"{kind} {ident}")
            raise KnowledgeBaseError([Issue(where, f"{kind} {ident!r}: patterns.{problem}")])
        return patterns.compiled()

    def read_text(self, raw: str) -> TextReading:
        """What `raw` says, from the cache when the same text was read before."""
        reading = self._readings.get(raw)
        if reading is None:
            reading = read_text(raw, self)
            if self.cache_size > 0:
                with self._lock:
                    self._readings[raw] = reading
                    while len(self._readings) > self.cache_size:
                        self._readings.popitem(last=False)
        return reading

    @classmethod
    def build(cls, kb: KnowledgeBase) -> Vocabulary:
        """Compile the vocabulary of `kb` once."""

        names: dict[str, str] = {}
        for s in kb.systems.values():
            for name in (s.system, s.name.zh, s.name.en):
                names[name.lower()] = s.system
        rule_codes: set[str] = set()
        uses_text = False
        for rule in kb.rules.values():
            for cond in rule.when.conditions():
                if cond.symptom == "text":
                    uses_text = True
                if cond.symptom == "error_code" and cond.operator in ("equals", "in"):
                    values = cond.operand if cond.operator == "in" else (cond.operand,)
                    rule_codes.update(canonical_code(str(v)) for v in values)
        catalog = {canonical_code(e.code) for s in kb.systems.values() for e in s.codes}
        return cls(
            kb=kb,
            system_names=names,
            known_codes=frozenset(catalog | rule_codes),
            metrics=frozenset(s.id for s in kb.symptoms.values() if s.kind is SymptomKind.METRIC),
            flags=frozenset(s.id for s in kb.symptoms.values() if s.kind is SymptomKind.FLAG),
            uses_text=uses_text,
        )


@dataclass
class Intake:
    """Facts for the engine, and what could not be understood."""

    facts: list[FactIn] = field(default_factory=list)
    unrecognised: list[Unrecognised] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)

    def add(self, fact: FactIn) -> None:
        """Add a fact; a repeat of the same symptom and value keeps the more certain one."""
        for i, old in enumerate(self.facts):
            if old.id == fact.id and old.value == fact.value:
                if fact.cf > old.cf:
                    self.facts[i] = fact
                return
        self.facts.append(fact)


def _matches(regexes: list[re.Pattern[str] | None], text: str) -> Iterator[re.Match[str]]:
    """Matches of (Chinese-character patterns, other patterns) in `text`.

    The first regex only runs when the text has Chinese characters: it cannot match otherwise.
    """
    cjk, other = regexes
    if cjk is not None and _HAS_CJK.search(text):
        yield from cjk.finditer(text)
    if other is not None:
        yield from other.finditer(text)


_HAS_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _did_you_mean(name: str, choices: frozenset[str] | set[str]) -> str | None:
    hint = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return hint[0] if hint else None


def _span(text: str, start: int, end: int) -> Source:
    return Source.text(start, end, text[start:end])


def read_text(raw: str, vocab: Vocabulary) -> TextReading:
    """Read one ticket text: systems, codes and symptoms it names, and what matched nothing."""
    text = normalise_text(raw)
    if not text:
        return TextReading("", (), (), (), ())
    covered: list[tuple[int, int]] = []
    folded = fold_case(text)  # patterns match lower-cased text; positions index `text` too
    systems: dict[str, Source] = {}
    for sid, *regexes in vocab.system_patterns:
        for match in _matches(regexes, folded):
            covered.append(match.span())
            if sid not in systems:
                systems[sid] = _span(text, *match.span())
    codes: list[tuple[str, Source]] = []
    for code, start, end in codes_in_text(text, vocab.known_codes):
        covered.append((start, end))
        codes.append((code, _span(text, start, end)))
    # symptoms written in the text, unless negated ("no paper jam", "不是网络问题")
    symptoms: dict[str, Source] = {}
    clause_starts = [0] + [m.end() for m in _CLAUSE.finditer(text)]
    for sid, *regexes in vocab.symptom_patterns:
        for match in _matches(regexes, folded):
            covered.append(match.span())  # every mention is understood, even a repeated one
            start = clause_starts[bisect.bisect_right(clause_starts, match.start()) - 1]
            if sid not in symptoms and not _negated(text[start : match.start()]):
                symptoms[sid] = _span(text, *match.span())
    unrecognised: list[Unrecognised] = []
    start = 0
    for sep in [*_CLAUSE.finditer(text), None]:
        end = sep.start() if sep else len(text)
        clause = text[start:end].strip()
        if _WORDISH.search(clause) and not any(s < end and e > start for s, e in covered):
            unrecognised.append(
                Unrecognised(kind=InputKind.TEXT, value=clause, reason=Why.NO_MATCH)
            )
        start = sep.end() if sep else end
    return TextReading(
        text,
        tuple(symptoms.items()),
        tuple(codes),
        tuple(systems.items()),
        tuple(unrecognised),
    )


def take_in(ticket: Ticket, kb: KnowledgeBase, vocab: Vocabulary) -> Intake:
    """Turn one ticket into symptom facts."""
    out = Intake()

    for sid in ticket.symptoms:
        if sid in vocab.flags:
            out.add(FactIn(sid, True, 1.0, Source.ticket("symptoms")))
        elif sid in kb.symptoms:
            out.unrecognised.append(
                Unrecognised(kind=InputKind.SYMPTOM, value=sid, reason=Why.NEEDS_VALUE)
            )
        else:
            out.unrecognised.append(
                Unrecognised(
                    kind=InputKind.SYMPTOM,
                    value=sid,
                    reason=Why.UNKNOWN_SYMPTOM,
                    suggestion=_did_you_mean(sid, vocab.flags),
                )
            )

    for name, value in sorted(ticket.metrics.items()):
        if name in vocab.metrics:
            out.add(FactIn(name, value, 1.0, Source.ticket("metrics")))
        else:
            out.unrecognised.append(
                Unrecognised(
                    kind=InputKind.METRIC,
                    value=f"{name}={value:g}",
                    reason=Why.UNKNOWN_METRIC,
                    suggestion=_did_you_mean(name, vocab.metrics),
                )
            )

    if ticket.scope is not None:
        out.add(FactIn("scope", ticket.scope.value, 1.0, Source.ticket("scope")))
    if ticket.affected_users is not None:
        out.add(
            FactIn("affected_users", ticket.affected_users, 1.0, Source.ticket("affected_users"))
        )

    if ticket.reported_at is not None:
        when = Source.derived("reported_at")
        out.add(FactIn("day_of_month", ticket.reported_at.day, 1.0, when))
        out.add(FactIn("hour", ticket.reported_at.hour, 1.0, when))

    # systems: named by the ticket, or recognised in its text
    if ticket.system:
        system = vocab.system_names.get(ticket.system.strip().lower())
        if system is None:
            for sid, *regexes in vocab.system_patterns:
                if any(True for _ in _matches(regexes, fold_case(ticket.system))):
                    system = sid
                    break
        if system is None:
            out.unrecognised.append(
                Unrecognised(
                    kind=InputKind.SYSTEM,
                    value=ticket.system,
                    reason=Why.UNKNOWN_SYSTEM,
                    suggestion=_did_you_mean(ticket.system, set(kb.systems)),
                )
            )
        else:
            out.systems.append(system)
            out.add(FactIn("system", system, 1.0, Source.ticket("system")))
    # what the text says: computed once per distinct text (backlogs repeat texts a lot)
    said = vocab.read_text(ticket.text)
    for sid, where in said.systems:
        if sid not in out.systems:
            out.systems.append(sid)
            out.add(FactIn("system", sid, TEXT_CF, where))

    # error codes: given explicitly, or written in the text
    codes: list[tuple[str, Source]] = []
    for raw in ticket.error_codes:
        code = canonical_code(raw)
        if code:
            codes.append((code, Source.ticket("error_codes")))
        else:
            out.unrecognised.append(
                Unrecognised(kind=InputKind.ERROR_CODE, value=raw, reason=Why.EMPTY_CODE)
            )
    codes.extend(said.codes)
    seen_codes: set[str] = set()
    for code, source in codes:
        if code in seen_codes:
            continue
        seen_codes.add(code)
        out.add(FactIn("error_code", code, 1.0, source))
        meanings = kb.code_meanings(code)
        named = [(s, e) for s, e in meanings if s in out.systems]
        for system, entry in named or meanings:
            for fault in entry.faults:
                out.add(
                    FactIn("code_fault", fault, entry.certainty, Source.catalog(system, entry.code))
                )
        if not meanings and code not in vocab.known_codes:
            out.unrecognised.append(
                Unrecognised(kind=InputKind.ERROR_CODE, value=code, reason=Why.NOT_IN_CATALOG)
            )

    for sid, where in said.symptoms:
        out.add(FactIn(sid, True, TEXT_CF, where))
    if said.text and vocab.uses_text:
        out.add(FactIn("text", said.text, 1.0, Source.ticket("text")))
    out.unrecognised.extend(said.unrecognised)
    return out

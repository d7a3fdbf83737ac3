"""Intake: a ticket becomes symptom facts; whatever matched nothing is reported, not dropped."""

from __future__ import annotations

import bisect
import functools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._text import marks_or_dot
from ..errors import Issue, KnowledgeBaseError, Location
from ..facts import FactIn
from ..kb.models import Patterns, SymptomKind, fold_case
from ..result import InputKind, Source, Unrecognised, construct
from ..result import UnrecognisedReason as Why
from ..ticket import Ticket
from ._hanzi import to_simplified
from .codes import canonical_code, code_spellings, codes_in_text

MAX_NEED_SET = 64  # a regex's literal set with more alternatives is left to the best set

if TYPE_CHECKING:  # the loader imports intake.codes; a runtime import would be circular
    from ..kb.loader import KnowledgeBase
    from .context import Context
    from .matcher import (
        AhoCorasickFinder,
        Carry,
        ClauseIndex,
        Combination,
        Hits,
        ReferenceFinder,
    )
    from .similar import SimilarIndex

# The text machinery (the matcher and its automaton, context scopes, the similarity fallback,
# the literal analysis of regexes) is imported by the functions that read a text: a ticket of
# codes, symptoms or metrics only never loads it (a short `diagnose --code` process starts
# faster; tests/test_cli.py checks what such a process imports).

# the matcher, noise and similarity modules, imported when the first vocabulary compiles (see
# above): the readers of a text find them here rather than import them at every call
_matcher: Any = None
_noise: Any = None
_similar: Any = None

TEXT_CF = 0.9  # a phrase found in free text is a little less certain than an explicit symptom

_CLAUSE_MARKS = "。！？!?；;，,、\n"
_CLAUSE = re.compile(marks_or_dot(_CLAUSE_MARKS, r"\s|$"))  # [。…、\n]+|\.(?=\s|$)


@functools.cache
def _wordish() -> re.Pattern[str]:
    # compiled with the first text that leaves something unread: re builds the bitmap of its
    # CJK range in Python, milliseconds a short process need not spend
    return re.compile(r"[\w\u4e00-\u9fff]{2,}")


_SPACES = re.compile(r"[ \t\r\f\v]+")
# "doesnt", "wont", "cant" as typed on phones, and the typographic apostrophe of "doesn’t": read
# as "doesn't", so one spelling in the vocabulary serves all three. By hand rather than one
# regex: an alternation with a look-behind tried at every position cost 30-50 µs per text, the
# few "n" before a word-final "t" that a plain scan finds cost 4.
_NT_END = re.compile(r"[nN](?=[tT](?![A-Za-z]))")
# the word before its "n't": doesn't, don't, won't, can't, …
_BARE_NT = frozenset(
    [
        "does",
        "do",
        "did",
        "wo",
        "ca",
        "is",
        "was",
        "are",
        "were",
        "has",
        "have",
        "had",
        "could",
        "would",
        "should",
    ]
)


def _restore_nt(text: str) -> str:
    """The apostrophe put back into "doesnt", "cant", … (whole words, any case)."""
    pieces: list[str] = []
    last = 0
    for hit in _NT_END.finditer(text):
        at = start = hit.start()
        # back over the word's letters only: each word is walked once, so the scan is linear
        while start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
            start -= 1
        if text[start:at].lower() in _BARE_NT:
            pieces += (text[last : at + 1], "'")
            last = at + 1
    return "".join((*pieces, text[last:])) if pieces else text


# The full-width forms of ASCII (，：！？ in nearly every Chinese ticket) and the ideographic
# space: each decomposes, under NFKC, to the one ASCII character it stands for, which
# decomposes no further (tests/test_intake.py checks every one). Put in their place, they
# leave a text whose NFKC form is the text's own: NFKC composes what the compatibility
# decomposition gives, and that is the same for both.
_FULL_WIDTH = re.compile("[\u3000\uff01-\uff5e]")


def _half_width(m: re.Match[str]) -> str:
    c = m.group()
    return " " if c == "\u3000" else chr(ord(c) - 0xFEE0)


def _nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), cheaper for a text whose only characters NFKC
    changes are full-width forms (most Chinese tickets): those put back by a regex, and the
    rest asked of the quick check again (normalising a whole text costs about four times
    that)."""
    if unicodedata.is_normalized("NFKC", text):  # most texts are: a quick check
        return text
    text = _FULL_WIDTH.sub(_half_width, text)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def normalise_text(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms), the apostrophe of "n't" restored
    (doesnt, doesn’t -> doesn't), traditional Chinese characters converted to simplified ones
    (OpenCC), and collapsed spaces."""
    text = _nfkc(text)
    if "\u2019" in text:
        text = text.replace("\u2019", "'")
    text = to_simplified(_restore_nt(text))
    # only a run of two spaces or a tab, CR, form feed or vertical tab changes: most texts
    # have none, and a few substring tests are cheaper than the substitution's copy
    if "  " in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


@dataclass(frozen=True)
class SetAside:
    """A symptom mentioned in the text but not taken as present, and the scope that decided."""

    symptom: str
    mention: str
    scope: str  # negation | hypothetical | history
    trigger: str


@dataclass(frozen=True)
class TextReading:
    """What one ticket text says: symptoms (present ones), codes and systems, the mentions set
    aside by their context, and the clauses that matched nothing."""

    text: str
    symptoms: tuple[tuple[str, Source], ...]
    codes: tuple[tuple[str, Source], ...]
    systems: tuple[tuple[str, Source], ...]
    unrecognised: tuple[Unrecognised, ...]
    set_aside: tuple[SetAside, ...] = ()
    # symptoms read by the similarity fallback (similar.py), with their certainty
    similar: tuple[tuple[str, Source, float], ...] = ()


class _Regex:
    """A kept regex as tried on a text (`finditer`): compiled when the vocabulary is, and when a
    vocabulary read from the cache first tries it. Pickled as its pattern and flags: unpickling
    a compiled pattern compiles it again, and a start that read the cache would compile every
    one of them (some 260, a tenth of loading the entry) where a text tries four or five."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int, compiled: re.Pattern[str] | None = None) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled = compiled

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        compiled = self._compiled
        if compiled is None:  # two threads may both compile it: to the same regex
            compiled = self._compiled = re.compile(self.pattern, self.flags)
        return compiled.finditer(text)

    def __reduce__(self) -> tuple[type[_Regex], tuple[str, int]]:
        return _Regex, (self.pattern, self.flags)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Regex):
            return NotImplemented
        return (self.pattern, self.flags) == (other.pattern, other.flags)

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __repr__(self) -> str:
        return f"_Regex({self.pattern!r}, {self.flags})"


@dataclass(frozen=True)
class _Entry:
    """How one symptom or system is recognised: combinations, and regexes kept for shapes."""

    id: str
    combinations: tuple[Combination, ...]
    regexes: tuple[_Regex, ...]
    needs: tuple[tuple[str, ...] | None, ...]  # per regex: literals it cannot match without
    # per regex: every literal set it needs one of (the fast path's sharper test)
    need_all: tuple[tuple[tuple[str, ...], ...], ...] = ()
    # the combinations that read as an object and its state, the object carried from an
    # earlier clause (matcher.split_carry); slots after the regexes'
    carries: tuple[Carry, ...] = ()


def _rarest(groups: list[frozenset[str]]) -> frozenset[str]:
    """Of the literal sets a candidate needs, the one least likely to be in a text: its
    shortest literal the longest, then the fewest literals (a key literal '打印' or ' ' would
    wake the candidate on most texts; '不出来' on few)."""
    return max(groups, key=lambda g: (min(map(len, g)), -len(g)))


@dataclass
class _Compiled:
    systems: list[_Entry]
    symptoms: list[_Entry]
    finder: AhoCorasickFinder | ReferenceFinder
    context: Context
    similar: SimilarIndex | None
    # every literal set a combination part or a regex needs (one of) is a bit; a literal's
    # mask has the bits of the sets it is in, a text's mask those of the sets it has
    bits: dict[str, int] = field(default_factory=dict)
    # literal → (entry by its place in `entries`, combination or regex slot, the bits it
    # needs): each candidate is filed under the literals of its rarest set only
    index: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    always: list[tuple[int, int]] = field(default_factory=list)  # regexes with no literal
    entries: list[_Entry] = field(default_factory=list)  # systems, then symptoms
    literals: frozenset[str] = frozenset()  # every literal the finder looks for
    # literal → (its bits, the candidates filed under it that need nothing more, those that
    # need bits, as (key, bits)); a candidate's key is its place << SLOT_BITS | its slot, so
    # the chosen ones are a set of ints, sorted by entry then slot
    table: dict[str, tuple[int, frozenset[int], tuple[tuple[int, int], ...]]] = field(
        default_factory=dict
    )
    always_keys: frozenset[int] = frozenset()
    # the phrases of every object (a carried one, or one a combination opens with): a clause
    # with one names an object of its own, and no object is carried into it or past it
    objects: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.entries = [*self.systems, *self.symptoms]
        numbered: dict[frozenset[str], int] = {}

        def bit(group: frozenset[str]) -> int:
            if group not in numbered:
                numbered[group] = 1 << len(numbered)
                for lit in group:
                    self.bits[lit] = self.bits.get(lit, 0) | numbered[group]
            return numbered[group]

        def file(place: int, slot: int, groups: list[frozenset[str]]) -> None:
            # the rarest set needs no bit: a candidate is only looked at through one of its
            # literals. Fewer sets with a bit keep the masks short (a mask is an int as wide
            # as its highest bit) and leave most literals with none to add.
            rarest = _rarest(groups)
            need = 0
            for group in groups:
                if group != rarest:
                    need |= bit(group)
            for lit in rarest:
                self.index.setdefault(lit, []).append((place, slot, need))

        for place, entry in enumerate(self.entries):
            for i, comb in enumerate(entry.combinations):
                # every part needs one of the literals it can start with, one of its anchor
                # piece's (a match of the part contains one) and of its pair literals: the
                # sets of them that are not vague (matcher.combination_groups)
                file(place, i, _matcher.combination_groups(comb.parts))
            for j, need in enumerate(entry.needs):
                slot = len(entry.combinations) + j
                if need is None:
                    self.always.append((place, slot))
                else:
                    extra = entry.need_all[j] if entry.need_all else ()
                    file(place, slot, [frozenset(need), *map(frozenset, extra)])
            for k, carry in enumerate(entry.carries):
                slot = len(entry.combinations) + len(entry.regexes) + k
                file(place, slot, _carry_groups(carry))
        slots = max((_slot_count(e) for e in self.entries), default=0)
        if slots > SLOT_MASK:
            raise ValueError(f"an entry has {slots} combinations and regexes: over {SLOT_MASK}")

        empty: tuple[int, frozenset[int], tuple[tuple[int, int], ...]] = (0, frozenset(), ())
        # every literal of the automaton has a row (those no candidate needs, such as context
        # triggers, the one empty row), so a text's literals are looked up without a test each
        self.table = dict.fromkeys(self.literals, empty)
        for lit, mask in self.bits.items():
            self.table[lit] = (mask, frozenset(), ())
        for lit, under in self.index.items():
            free = frozenset(p << SLOT_BITS | s for p, s, need in under if not need)
            needy = tuple((p << SLOT_BITS | s, need) for p, s, need in under if need)
            self.table[lit] = (self.bits.get(lit, 0), free, needy)
        self.always_keys = frozenset(p << SLOT_BITS | s for p, s in self.always)

    def candidates(self, hits: Hits) -> list[tuple[int, _Entry, list[int]]]:
        """The entries (in order: systems, then symptoms) with the combinations and regexes
        (by slot, in order) worth trying: those whose literal sets the text all has (a
        combination lacking one cannot match, nor a regex lacking all its required ones)."""
        have = 0
        chosen = set(self.always_keys)
        needy = []
        # the finder's rows are this table's (attached in _compile_all)
        rows: Iterable[tuple[int, frozenset[int], tuple[tuple[int, int], ...]]] = (
            hits.rows if hits.rows is not None else map(self.table.__getitem__, hits.by_literal)
        )
        for bits, free, under in rows:
            if bits:
                have |= bits
            if free:  # a candidate filed with no other set to need: chosen outright
                chosen |= free
            if under:
                needy.append(under)
        for under in needy:
            for key, need in under:
                if need & have == need:
                    chosen.add(key)
        out: list[tuple[int, _Entry, list[int]]] = []
        last = -1
        entries = self.entries
        slots: list[int] = []
        for key in sorted(chosen):
            place = key >> SLOT_BITS
            if place != last:
                slots = []
                out.append((place, entries[place], slots))
                last = place
            slots.append(key & SLOT_MASK)
        return out

    def __getstate__(self) -> dict[str, Any]:
        # pickled (the compiled vocabulary cache, intake/_cache.py) as plain data: the finder as
        # its name, built again from `literals` (its automaton cannot be pickled with the rows
        # attached to its values, and building it costs less than unpickling a dump of it);
        # without `bits` and `index`, which serve only to make `table` (two fifths of the
        # entry, and of the time to load it)
        state = self.__dict__.copy()
        state["finder"] = self.finder.name
        state["bits"], state["index"] = {}, {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from .matcher import AhoCorasickFinder, ReferenceFinder

        self.__dict__.update(state)
        if state["finder"] == ReferenceFinder.name:
            self.finder = ReferenceFinder(self.literals)
        else:
            self.finder = AhoCorasickFinder(self.literals)
            self.finder.attach(self.table)  # type: ignore[arg-type]


def _import_readers() -> None:
    """Import the text machinery for the readers of a text (see _matcher above)."""
    global _matcher, _noise, _similar
    from . import matcher as _matcher
    from . import noise as _noise
    from . import similar as _similar


SLOT_BITS = 16  # a candidate's key: its entry's place, then its slot in these low bits
SLOT_MASK = (1 << SLOT_BITS) - 1


def _slot_count(entry: _Entry) -> int:
    """How many slots an entry has: combinations, regexes, then carries."""
    return len(entry.combinations) + len(entry.regexes) + len(entry.carries)


def _carry_groups(carry: Carry) -> list[frozenset[str]]:
    """The literal sets a carry needs one of each: its object's, and its state parts' as a
    combination's parts need them."""
    groups: list[frozenset[str]] = _matcher.combination_groups((carry.obj, *carry.state.parts))
    return groups


@dataclass
class Vocabulary:
    """The knowledge base compiled for intake: term combinations and kept regexes per symptom
    and system, the context triggers, known codes; one automaton over every literal."""

    kb: KnowledgeBase
    system_names: dict[str, str]
    known_codes: frozenset[str]
    metrics: frozenset[str]
    flags: frozenset[str]
    uses_text: bool

    # "aho-corasick" (the fast path) or "reference": str.find per literal, every combination
    # and regex tried, codes by the plain token loop (the path tests hold the fast one to)
    finder: str = "aho-corasick"
    # every spelling a bare token of a known code can have (see codes.code_spellings)
    code_spellings: frozenset[str] = frozenset()
    # the similarity fallback: clauses no term matched compared with the symptoms' examples
    similar: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _compiled_: _Compiled | None = field(default=None, repr=False)

    def _compiled(self) -> _Compiled:
        # compiled on first use: a ticket with only codes or metrics never needs it; what an
        # earlier process compiled from the same knowledge base is read from the cache
        # (intake/_cache.py)
        if self._compiled_ is None:
            with self._lock:
                if self._compiled_ is None:
                    from ._cache import cached

                    _import_readers()
                    self._compiled_ = cached(self, self._compile_all)
        return self._compiled_

    def compile(self) -> None:
        """Compile the vocabulary now rather than on the first text (once per Vocabulary)."""
        self._compiled()

    def _compile_all(self) -> _Compiled:
        _import_readers()
        from .context import Context
        from .matcher import AhoCorasickFinder, ReferenceFinder, combination_groups
        from .similar import SimilarIndex

        terms = {name: tuple(p.lower() for p in t.all()) for name, t in self.kb.terms.items()}
        context = Context(self.kb.context)
        stops = _carry_stops(context)
        symptoms = [
            self._entry("symptom", s.id, s.match, s.patterns, terms)
            for s in sorted(self.kb.symptoms.values(), key=lambda s: s.id)
            if s.patterns.all() or s.match
        ]
        symptoms, objects = _with_carries(symptoms, stops)
        systems = [
            self._entry("system", s.system, (), s.patterns, terms)
            for s in sorted(self.kb.systems.values(), key=lambda s: s.system)
            if s.patterns.all()
        ]
        literals: set[str] = set(context.literals())
        for entry in (*symptoms, *systems):
            for comb in entry.combinations:
                # only the literal sets the candidate index files a combination under are
                # looked up in the hits: a part is matched around the hits of its first
                # literals or its anchor's (the rest of it by a regex over that stretch)
                for group in combination_groups(comb.parts):
                    literals.update(group)
            for need in entry.needs:
                literals.update(need or ())
            for sets in entry.need_all:
                for extra in sets:
                    literals.update(extra)
            for carry in entry.carries:
                for group in _carry_groups(carry):
                    literals.update(group)
        make = ReferenceFinder if self.finder == "reference" else AhoCorasickFinder
        similar = SimilarIndex(self.kb.symptoms.values()) if self.similar else None
        similar = similar or None  # an index without examples is no fallback
        literals |= objects  # a clause naming one is found from the hits
        found = make(literals)
        compiled = _Compiled(
            systems,
            symptoms,
            found,
            context,
            similar,
            literals=frozenset(literals),
            objects=objects,
        )
        if isinstance(found, AhoCorasickFinder):
            found.attach(compiled.table)  # type: ignore[arg-type]
        return compiled

    def _entry(
        self,
        kind: str,
        ident: str,
        match: tuple[str, ...],
        patterns: Patterns,
        terms: dict[str, tuple[str, ...]],
    ) -> _Entry:
        from .matcher import CombinationError, parse_combination
        from .regexes import required_literal_sets, required_literals

        where = self.kb.location(kind, ident) or Location(f"{kind} {ident}")
        # each pattern compiled alone, as it is used: a bad one is named by its place
        # (Patterns.check, which the loader runs, would compile every pattern a second time)
        regexes = []
        for lang in ("zh", "en"):
            for i, p in enumerate(getattr(patterns, lang)):
                flags = re.IGNORECASE if _has_upper(p) else 0
                try:
                    regexes.append(_Regex(p, flags, re.compile(p, flags)))
                except re.error as exc:
                    problem = f"{lang}[{i}]: invalid regular expression: {exc}"
                    raise KnowledgeBaseError(
                        [Issue(where, f"{kind} {ident!r}: patterns.{problem}")]
                    ) from None
        try:
            combinations = tuple(parse_combination(m, terms) for m in match)
        except CombinationError as exc:
            raise KnowledgeBaseError([Issue(where, f"{kind} {ident!r}: match: {exc}")]) from None
        needs = tuple(required_literals(p) for p in patterns.all())
        need_all = tuple(
            tuple(
                x
                for x in required_literal_sets(p)
                if len(x) <= MAX_NEED_SET and min(map(len, x)) >= 2 and not _matcher.vague(x)
            )
            for p in patterns.all()
        )
        return _Entry(ident, combinations, tuple(regexes), needs, need_all)

    @property
    def finder_name(self) -> str:
        """Which literal finder the vocabulary uses."""
        return self._compiled().finder.name

    def read_text(self, raw: str) -> TextReading:
        """What `raw` says.

        Not cached by text: in a backlog hardly any text repeats, so a text-keyed cache costs
        a hash and an entry per ticket and is almost never hit."""
        return read_text(raw, self)

    @classmethod
    def build(
        cls, kb: KnowledgeBase, *, finder: str = "aho-corasick", similar: bool = True
    ) -> Vocabulary:
        """Compile the vocabulary of `kb` once; `similar=False` turns the similarity fallback
        off."""

        names: dict[str, str] = {}
        for s in kb.systems.values():
            for name in (s.system, s.name.zh, s.name.en):
                names[name.lower()] = s.system
        rule_codes: set[str] = set()
        uses_text = False
        for use in kb.rule_index().all_conditions():
            cond = use.condition
            if cond.symptom == "text":
                uses_text = True
            if cond.symptom == "error_code" and cond.operator in ("equals", "in"):
                values = cond.operand if cond.operator == "in" else (cond.operand,)
                rule_codes.update(canonical_code(str(v)) for v in values)
        catalog = {canonical_code(e.code) for s in kb.systems.values() for e in s.codes}
        known = frozenset(catalog | rule_codes)
        return cls(
            kb=kb,
            system_names=names,
            known_codes=known,
            code_spellings=code_spellings(known) if finder != "reference" else frozenset(),
            metrics=frozenset(s.id for s in kb.symptoms.values() if s.kind is SymptomKind.METRIC),
            flags=frozenset(s.id for s in kb.symptoms.values() if s.kind is SymptomKind.FLAG),
            uses_text=uses_text,
            finder=finder,
            similar=similar,
        )


def _has_upper(pattern: str) -> bool:
    """Whether a pattern has an upper-case letter outside an escape (\\S, \\B, … don't count)."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i].isupper():
            return True
        i += 1
    return False


# Where an object lent to a later clause was fine before, not now: "the printer was fine
# yesterday, today it shows offline", "税控盘昨天还好好的，今天插上去又没反应了". An object clause
# that denies or clears its object lends it only with one of these; "打印机没问题，就是…" does
# not. Kept with the carry it belongs to (it decides nothing else).
_BEFORE_NOW = re.compile(
    r"昨天|前天|之前|以前|刚才|早上|上午|上周|本来|原来|一直都|"
    r"(?<![a-z])(?:yesterday|before|earlier|this morning|last week|until)(?![a-z])"
)
_SENTENCE_END = frozenset("。！？!?；;\n.")


def _with_carries(
    entries: list[_Entry], stops: Callable[..., bool]
) -> tuple[list[_Entry], frozenset[str]]:
    """The entries with their carries: combinations whose first piece names an object by
    @terms, then those whose written first piece only uses those terms' phrases; and the
    phrases of every object a combination opens with (carried or not: 开票软件 in a clause
    is an object of its own even where no state of it is carried)."""
    from dataclasses import replace

    from .matcher import split_carry

    by_terms = [[split_carry(c, stops) for c in e.combinations] for e in entries]
    objects = frozenset(
        x.strip() for found in by_terms for c in found if c for x in c.obj.pieces[0].literals
    )
    out = []
    for entry, found in zip(entries, by_terms, strict=True):
        carries = tuple(
            c or split_carry(comb, stops, objects)
            for c, comb in zip(found, entry.combinations, strict=True)
        )
        kept = tuple(c for c in carries if c is not None)
        out.append(replace(entry, carries=kept) if kept else entry)
    heads = {
        x
        for e in entries
        for c in e.combinations
        for head in (c.parts[0].pieces[0],)
        # @terms, or English words written out that are objects' phrases ("connection timed
        # out" is said of the connection, not of the GSP named before it); a written word
        # that names no object (after, since, update, is) tells a circumstance or a state
        if (head.terms or all(_matcher.has_latin(y) for y in head.literals))
        and not head.optional
        and not any(stops(y.strip()) for y in head.literals)
        for x in head.literals
        if len(x.strip()) >= 2 and (head.terms or x.strip() in objects)
    }
    return out, frozenset(heads) | frozenset(
        lit
        for e in out
        for c in e.carries
        for lit in c.obj._firsts  # type: ignore[attr-defined]
    )


def _carry_stops(context: Context) -> Callable[..., bool]:
    """Whether a phrase opens with a trigger that names no object (不能, not, 无法, 如果, 但是):
    such a first piece is not carried (matcher.split_carry); with `state`, whether it is a
    phrase that says something works (fine, 没问题, 正常): no state of one object in
    particular."""
    from .matcher import has_latin

    leads = [t.phrase for t in context.triggers if not t.after and t.scope != "history"]
    leads += context.pseudo + context.contrast
    latin = tuple({p + " " for p in leads if has_latin(p)} | {p for p in leads if has_latin(p)})
    cjk = tuple(p for p in leads if not has_latin(p))
    spaced = tuple(p for p in latin if p[-1] == " ")
    phrases = frozenset(
        [t.phrase for t in context.triggers if t.after and t.scope == "negation"] + context.resolved
    )

    @functools.cache  # one answer per phrase: the term phrases recur across combinations
    def stops(phrase: str, state: bool = False) -> bool:
        if state:
            return phrase in phrases
        if has_latin(phrase):
            return phrase in latin or phrase.startswith(spaced)
        return phrase.startswith(cjk)

    return stops


class _Carrying:
    """What one text's carries need: where its clauses join, the objects each clause names,
    and whether an object's clause lends it (see matcher.carried_spans)."""

    __slots__ = ("_objects", "clauses", "compiled", "hits", "systems")

    def __init__(self, compiled: _Compiled, hits: Hits, clauses: ClauseIndex) -> None:
        self.compiled = compiled
        self.hits = hits
        self.clauses = clauses
        self._objects: list[tuple[int, int]] | None = None
        # where the text names a system (GSP, 绿界): an object too, found before any symptom
        self.systems: list[tuple[int, int]] = []

    def joined(self, index: int) -> bool:
        """Whether clause `index` goes on the clause before it (a comma, not a sentence end)."""
        text = self.hits.text
        pos = self.clauses.starts[index]
        # the separator run before the clause: _CLAUSE's marks, at most a few characters
        sep = pos
        while sep > 0 and pos - sep < 8 and text[sep - 1] in "。！？!?；;，,、\n.":
            sep -= 1
        return not any(ch in _SENTENCE_END for ch in text[sep:pos])

    def names_object(self, index: int, lo: int, hi: int) -> bool:
        """Whether clause `index` names an object (of any carry) outside text[lo:hi]."""
        if self._objects is None:
            text = self.hits.text
            found = []
            objects = self.compiled.objects
            # the text's few dozen literals looked up among the objects, not the other way
            for lit in [x for x in self.hits.by_literal if x in objects]:
                latin = _matcher.has_latin(lit)
                for pos in self.hits.by_literal[lit]:
                    end = pos + len(lit)
                    if latin and (
                        (pos > 0 and "a" <= text[pos - 1] <= "z")
                        or (end < len(text) and "a" <= text[end] <= "z")
                    ):
                        continue
                    found.append((pos, end))
            found += self.systems
            found.sort()
            self._objects = found
        start, end = self.clauses.bounds(index, len(self.hits.text))
        i = bisect.bisect_left(self._objects, (start, -1))
        for pos, stop in self._objects[i:]:
            if pos >= end:
                return False
            if stop <= lo or pos >= hi:
                return True
        return False

    def lends(self, start: int, end: int) -> bool:
        """Whether the object text[start:end] is lent to a later clause: not when its own
        clause sets it aside (如果打印机…, 打印机没问题), unless what cleared it was before
        now (昨天还好好的, was fine yesterday)."""
        decision = self.compiled.context.decide(self.hits, self.clauses, start, end)
        if decision is None:
            return True
        if decision.scope != "negation":
            return False
        lo, hi = self.clauses.bounds(self.clauses(start), len(self.hits.text))
        return _BEFORE_NOW.search(self.hits.text, lo, hi) is not None


def _spans(
    entry: _Entry,
    hits: Hits,
    clauses: ClauseIndex,
    slots: list[int] | None = None,
    carrying: _Carrying | None = None,
) -> Iterator[tuple[int, int, Combination | None, tuple[int, int] | None]]:
    """Where `entry` is mentioned: its combinations, then its regexes, with the combination
    that matched (None for a regex), then (with `carrying`) its states whose object an
    earlier clause named, with that object's span.

    With `slots` (the fast path), only those, which the candidate index chose because the
    text has every literal set they need; without, every one, each checked here (the plain
    path)."""
    n = len(entry.combinations)
    r = n + len(entry.regexes)
    checked = slots is not None
    every = r + len(entry.carries) if carrying is not None else r
    for slot in slots if slots is not None else range(every):
        if slot < n:
            comb = entry.combinations[slot]
            for start, end in _matcher.combination_spans(comb, hits, clauses, checked=checked):
                yield start, end, comb, None
            continue
        if slot >= r:
            if carrying is None:
                continue
            carry = entry.carries[slot - r]
            for start, end, o_start, o_end in _matcher.carried_spans(
                carry, hits, clauses, carrying.joined, carrying.names_object, checked=checked
            ):
                if carrying.lends(o_start, o_end):
                    yield start, end, carry.state, (o_start, o_end)
            continue
        need = entry.needs[slot - n]
        if not checked and need is not None and not any(hits.has(lit) for lit in need):
            continue
        for m in entry.regexes[slot - n].finditer(hits.text):
            yield m.start(), m.end(), None, None


def _did_you_mean(name: str, choices: frozenset[str] | set[str]) -> str | None:
    import difflib  # for a name that is not known: not on the way of a valid ticket

    hint = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return hint[0] if hint else None


def _span(text: str, start: int, end: int) -> Source:
    return Source.text(start, end, text[start:end])


def read_text(raw: str, vocab: Vocabulary) -> TextReading:
    """Read one ticket text: systems, codes and symptoms it names, and what matched nothing."""
    text = normalise_text(raw)
    if not text:
        return TextReading("", (), (), (), ())
    compiled = vocab._compiled()
    codes: list[tuple[str, Source]] = []
    covered: list[tuple[int, int]] = []
    spellings = vocab.code_spellings or None
    for code, start, end in codes_in_text(text, vocab.known_codes, spellings):
        covered.append((start, end))
        codes.append((code, _span(text, start, end)))
    # noise out: matching reads the clean text; `where` maps its offsets back to `text` (its
    # patterns compile with the first ticket text: a ticket of codes only never needs them)
    cleaned, where = _noise.strip_noise(text, _noise.noise_spans(text, covered))
    folded = fold_case(cleaned)
    hits = compiled.finder.find(folded)
    clause_starts = [0] + [m.end() for m in _CLAUSE.finditer(folded)]
    clauses = _matcher.ClauseIndex(clause_starts)

    def source(start: int, end: int) -> Source:
        return _span(text, where[start], where[end - 1] + 1)

    # the codes' spans, in clean-text offsets, so their clauses count as understood
    code_spans = [(bisect.bisect_left(where, s), bisect.bisect_left(where, e)) for s, e in covered]
    found = list(code_spans)
    context = compiled.context
    allowed: list[tuple[int, _Entry, list[int] | None]]
    if vocab.finder == "reference":  # the plain path: every entry, each slot checked
        allowed = [(place, entry, None) for place, entry in enumerate(compiled.entries)]
    else:
        allowed = compiled.candidates(hits)  # type: ignore[assignment]
    n_systems = len(compiled.systems)
    systems: dict[str, Source] = {}
    # every mention in the present of each symptom (all of them only when a resolution
    # such as "已经好了" may take some back; otherwise the first one is enough)
    present: dict[str, list[tuple[int, int]]] = {}
    asks = context.questions(hits, clauses)  # yes/no question clauses: 停用了吗？
    every = context.has_resolution(hits) or bool(asks)
    mentioned: list[tuple[int, int]] = list(code_spans)  # symptoms' and codes' mentions
    set_aside: list[SetAside] = []
    carrying = _Carrying(compiled, hits, clauses)
    carried: dict[tuple[int, int], tuple[int, int]] = {}  # a state's span → its object's

    def said(span: tuple[int, int]) -> Source:
        lent = carried.get(span)
        if lent is None:
            return source(*span)
        return source(*span).carried(text[where[lent[0]] : where[lent[1] - 1] + 1].strip())

    for place, entry, slots in allowed:
        if place < n_systems:
            for start, end, _, _ in _spans(entry, hits, clauses, slots):
                found.append((start, end))
                carrying.systems.append((start, end))
                if entry.id not in systems:
                    systems[entry.id] = source(start, end)
            continue
        # symptoms written in the text, unless their context sets them aside
        decided: SetAside | None = None
        outright: set[tuple[int, int]] = set()  # this entry's mentions without a carry
        for start, end, comb, lent in _spans(entry, hits, clauses, slots, carrying):
            if lent is None:
                outright.add((start, end))
            else:
                if entry.id in present or (start, end) in outright:
                    found.append((start, end))
                    continue  # said outright already: the carry adds nothing
                found.append(lent)  # the object is understood too
                carried[start, end] = lent
            found.append((start, end))  # every mention is understood, even a denied one
            if every:
                mentioned.append((start, end))
            if entry.id in present and not every:
                continue
            decision = context.decide(hits, clauses, start, end, comb, checked=slots is not None)
            if decision is None:
                present.setdefault(entry.id, []).append((start, end))
            elif decided is None:
                quote = text[where[start] : where[end - 1] + 1]
                decided = SetAside(entry.id, quote, decision.scope, decision.trigger)
        if decided is not None and entry.id not in present:
            set_aside.append(decided)
    # codes are mentions too: "如果报00305怎么办", "上周00305被拒，改了税号已经好了"
    kept_codes: list[tuple[str, Source]] = []
    for (code, where_code), (start, end) in zip(codes, code_spans, strict=True):
        decision = context.decide(hits, clauses, start, end) if end > start else None
        if decision is None:
            kept_codes.append((code, where_code))
        else:
            set_aside.append(SetAside("error_code", code, decision.scope, decision.trigger))
    symptoms: dict[str, Source] = {}
    if every:  # what a later resolution takes back is in the past
        resolved = context.resolved_spans(hits, clauses, mentioned)
        for sid, spans in present.items():
            live = [m for m in spans if _resolution_of(resolved, m) is None]
            if live:
                symptoms[sid] = said(live[0])
            else:
                start, end = spans[0]
                quote = text[where[start] : where[end - 1] + 1]
                trigger = _resolution_of(resolved, spans[0]) or ""
                set_aside.append(SetAside(sid, quote, "history", trigger))
        codes_now: list[tuple[str, Source]] = []
        for (code, where_code), (start, end) in zip(codes, code_spans, strict=True):
            if (code, where_code) not in kept_codes:
                continue
            resolution = _resolution_of(resolved, (start, end))
            if resolution is None:
                codes_now.append((code, where_code))
            else:
                set_aside.append(SetAside("error_code", code, "history", resolution))
        kept_codes = codes_now
    else:
        symptoms = {sid: said(spans[0]) for sid, spans in present.items()}
    if asks and (symptoms or kept_codes):  # a ticket that only asks yes/no reports nothing
        spans = [m for sid in symptoms for m in present[sid]]
        spans += [m for c, m in zip(codes, code_spans, strict=True) if c in kept_codes]
        marker = context.asked_only(folded, asks, spans)
        if marker is not None:
            for sid, where_sid in symptoms.items():
                set_aside.append(SetAside(sid, where_sid.quote or "", "hypothetical", marker))
            set_aside.extend(
                SetAside("error_code", c, "hypothetical", marker) for c, _ in kept_codes
            )
            symptoms, kept_codes = {}, []
    similar: list[tuple[str, Source, float]] = []
    # the clauses nothing covered: what the fallback reads, and (when it reads nothing in
    # them, as on most texts) what is reported as not understood, found once for both
    left: list[tuple[int, int]] | None = None
    if compiled.similar is not None:
        left = list(_matcher.clauses_uncovered(clause_starts, found, len(folded)))
        uncovered = _similar.uncovered_clauses(folded, clause_starts, found, left)
        for s in compiled.similar.read(hits, clauses, uncovered, compiled.context):
            found.append((s.start, s.end))
            left = None
            if s.symptom not in symptoms:
                where_ = source(s.start, s.end).similar(s.example, s.score)
                similar.append((s.symptom, where_, round(TEXT_CF * s.score, 4)))
    return TextReading(
        text,
        tuple(symptoms.items()),
        tuple(kept_codes),
        tuple(systems.items()),
        _unrecognised(cleaned, clause_starts, found, left),
        tuple(set_aside),
        tuple(similar),
    )


_TEXT_INPUT = InputKind.TEXT


def _resolution_of(resolved: list[tuple[int, int, str]], span: tuple[int, int]) -> str | None:
    """The resolution whose stretch (sorted, disjoint) holds the mention `span`, if one does."""
    i = bisect.bisect_right(resolved, (span[0], float("inf"), "")) - 1
    if i >= 0 and resolved[i][0] <= span[0] and span[1] <= resolved[i][1]:
        return resolved[i][2]
    return None


def _unrecognised(
    text: str,
    clause_starts: list[int],
    covered: list[tuple[int, int]],
    uncovered: list[tuple[int, int]] | None = None,
) -> tuple[Unrecognised, ...]:
    """Clauses (with words left after noise was blanked) that nothing covered (`uncovered`:
    those clauses, `clauses_uncovered`'s answer, when the caller has it already)."""
    out = []
    if uncovered is None:
        uncovered = list(_matcher.clauses_uncovered(clause_starts, covered, len(text)))
    for start, end in uncovered:
        if not _wordish().search(text, start, end):
            continue
        sep = _CLAUSE.search(text, start, end)
        clause = " ".join(text[start : sep.start() if sep else end].split())
        if clause:
            out.append(construct(Unrecognised, kind=_TEXT_INPUT, value=clause, reason=Why.NO_MATCH))
    return tuple(out)


# the sources of ticket fields, built once: a Source is immutable, and building one validates
_FIELD = {
    name: Source.ticket(name)
    for name in (
        "symptoms", "metrics", "scope", "affected_users", "system", "error_codes", "text",
    )
}  # fmt: skip
_REPORTED_AT = Source.derived("reported_at")


@functools.lru_cache(maxsize=4096)
def _catalog(system: str, code: str) -> Source:
    """Source.catalog(system, code), each built once (a catalog has a bounded set of them)."""
    return Source.catalog(system, code)


@dataclass
class Intake:
    """Facts for the engine, and what could not be understood."""

    facts: list[FactIn] = field(default_factory=list)
    unrecognised: list[Unrecognised] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)
    # symptoms the text mentions but whose context (negation, hypothetical, history) set aside
    set_aside: list[SetAside] = field(default_factory=list)

    def add(self, fact: FactIn) -> None:
        """Add a fact; a repeat of the same symptom and value keeps the more certain one."""
        for i, old in enumerate(self.facts):
            if old.id == fact.id and old.value == fact.value:
                if fact.cf > old.cf:
                    self.facts[i] = fact
                return
        self.facts.append(fact)


def _system_named(name: str, vocab: Vocabulary) -> str | None:
    from .matcher import ClauseIndex

    compiled = vocab._compiled()
    hits = compiled.finder.find(name)
    clauses = ClauseIndex([0])
    for entry in compiled.systems:
        if next(_spans(entry, hits, clauses), None) is not None:
            return entry.id
    return None


def take_in(
    ticket: Ticket, kb: KnowledgeBase, vocab: Vocabulary, said: TextReading | None = None
) -> Intake:
    """Turn one ticket into symptom facts (`said`: the reading of its text, if already read)."""
    out = Intake()

    for sid in ticket.symptoms:
        if sid in vocab.flags:
            out.add(FactIn(sid, True, 1.0, _FIELD["symptoms"]))
        elif sid in kb.symptoms:
            out.unrecognised.append(
                construct(Unrecognised, kind=InputKind.SYMPTOM, value=sid, reason=Why.NEEDS_VALUE)
            )
        else:
            out.unrecognised.append(
                construct(
                    Unrecognised,
                    kind=InputKind.SYMPTOM,
                    value=sid,
                    reason=Why.UNKNOWN_SYMPTOM,
                    suggestion=_did_you_mean(sid, vocab.flags),
                )
            )

    for name, value in sorted(ticket.metrics.items()):
        if name in vocab.metrics:
            out.add(FactIn(name, value, 1.0, _FIELD["metrics"]))
        else:
            out.unrecognised.append(
                construct(
                    Unrecognised,
                    kind=InputKind.METRIC,
                    value=f"{name}={value:g}",
                    reason=Why.UNKNOWN_METRIC,
                    suggestion=_did_you_mean(name, vocab.metrics),
                )
            )

    if ticket.scope is not None:
        out.add(FactIn("scope", ticket.scope.value, 1.0, _FIELD["scope"]))
    if ticket.affected_users is not None:
        out.add(FactIn("affected_users", ticket.affected_users, 1.0, _FIELD["affected_users"]))

    if ticket.reported_at is not None:
        when = _REPORTED_AT
        out.add(FactIn("day_of_month", ticket.reported_at.day, 1.0, when))
        out.add(FactIn("hour", ticket.reported_at.hour, 1.0, when))

    # systems: named by the ticket, or recognised in its text
    if ticket.system:
        system = vocab.system_names.get(ticket.system.strip().lower())
        if system is None:
            system = _system_named(fold_case(normalise_text(ticket.system)), vocab)
        if system is None:
            out.unrecognised.append(
                construct(
                    Unrecognised,
                    kind=InputKind.SYSTEM,
                    value=ticket.system,
                    reason=Why.UNKNOWN_SYSTEM,
                    suggestion=_did_you_mean(ticket.system, set(kb.systems)),
                )
            )
        else:
            out.systems.append(system)
            out.add(FactIn("system", system, 1.0, _FIELD["system"]))
    # what the text says
    if said is None:
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
            codes.append((code, _FIELD["error_codes"]))
        else:
            out.unrecognised.append(
                construct(Unrecognised, kind=InputKind.ERROR_CODE, value=raw, reason=Why.EMPTY_CODE)
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
                out.add(FactIn("code_fault", fault, entry.certainty, _catalog(system, entry.code)))
        if not meanings and code not in vocab.known_codes:
            out.unrecognised.append(
                construct(
                    Unrecognised, kind=InputKind.ERROR_CODE, value=code, reason=Why.NOT_IN_CATALOG
                )
            )

    for sid, where in said.symptoms:
        out.add(FactIn(sid, True, TEXT_CF, where))
    for sid, where, cf in said.similar:
        out.add(FactIn(sid, True, cf, where))
    if said.text and vocab.uses_text:
        out.add(FactIn("text", said.text, 1.0, _FIELD["text"]))
    out.unrecognised.extend(said.unrecognised)
    out.set_aside.extend(said.set_aside)
    return out

"""The vocabulary matcher: every literal of every term and symptom found in one pass.

A symptom is written as combinations of terms within a clause (knowledge/vocabulary/ declares
the terms once). One combination is a string:

    "@printer ... @no_response"            both terms, in this order, in the same clause
    "@print+不出来|不了|不出"                 adjacent pieces: 打印不出来, 列印不了, …
    "@paper ..6 出不来|拿不出来"               at most 6 characters between the two parts
    "<jam|jammed|jams>"                    a whole word: no Latin letter just before or after
    "纸+卡住|塞住"                            a piece is @term or literal alternatives
    "打印机|+不出纸"                          an empty alternative makes a piece optional

All literals — term phrases, symptom pieces, context triggers and the literals a kept regex
needs — go into one Aho–Corasick automaton (pyahocorasick), so a text is scanned once,
in time linear in its length plus the hits. `ReferenceFinder` finds the same hits with
str.find, literal by literal: the plain path the fast one is tested against.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

TERM_REF = re.compile(r"@([a-z][a-z0-9_]*)")
_SEP = re.compile(r"\s+(\.\.\.|\.\.\d+)\s+")
_LATIN = re.compile(r"[a-z]")


class CombinationError(ValueError):
    """A combination string that cannot be read (unknown term, empty piece)."""


@dataclass(frozen=True)
class Piece:
    """Literal alternatives (term phrases or written ones); optional when one is empty."""

    literals: tuple[str, ...]
    optional: bool
    terms: tuple[str, ...] = ()  # the @terms it was written with, when only those


@dataclass(frozen=True)
class Part:
    """Adjacent pieces; `word` asks for no Latin letter just outside the part."""

    pieces: tuple[Piece, ...]
    word_start: bool
    word_end: bool

    if not TYPE_CHECKING:  # hidden from the checker: the compiled attributes stay undeclared

        def __getattr__(self, name: str) -> object:
            # a part compiles its regex when first matched: most are never tried by a text,
            # and compiling all of them up front was most of the first text's cost (about
            # 2,500 regexes: over a second for a one-ticket `diagnose --text`)
            if name == "_regex":
                compiled = self.regex()
                object.__setattr__(self, "_regex", compiled)
                return compiled
            raise AttributeError(name)

    def __getstate__(self) -> dict[str, object]:
        # pickled (the compiled vocabulary cache) without its regex: compiled again when first
        # tried, as it was here
        state = self.__dict__.copy()
        state.pop("_regex", None)
        return state

    def regex(self) -> re.Pattern[str]:
        """The part as a regex over a finite language (alternations of escaped literals, longest
        first; optional pieces as `?`): no nested repeat, so matching is linear in the text."""
        body = "".join(
            "(?:"
            + "|".join(re.escape(x) for x in sorted(p.literals, key=lambda x: (-len(x), x)))
            + (")?" if p.optional else ")")
            for p in self.pieces
        )
        return re.compile(
            ("(?<![a-z])" if self.word_start else "")
            + body
            + ("(?![a-z])" if self.word_end else "")
        )


@dataclass(frozen=True)
class Combination:
    """Parts in order within a clause; gaps[i] bounds the characters between part i and i+1."""

    source: str
    parts: tuple[Part, ...]
    gaps: tuple[int | None, ...]

    def literals(self) -> Iterable[str]:
        """Every literal any part uses."""
        for part in self.parts:
            for piece in part.pieces:
                yield from piece.literals


def parse_combination(text: str, terms: dict[str, tuple[str, ...]]) -> Combination:
    """Read one combination string; `terms` maps a term name to its phrases."""
    chunks = _SEP.split(text.strip())
    parts: list[Part] = []
    gaps: list[int | None] = []
    for i, chunk in enumerate(chunks):
        if i % 2:
            gaps.append(None if chunk == "..." else int(chunk[2:]))
            continue
        parts.append(_parse_part(chunk, terms, text))
    return Combination(text, tuple(parts), tuple(gaps))


def _parse_part(chunk: str, terms: dict[str, tuple[str, ...]], whole: str) -> Part:
    word_start = chunk.startswith("<")
    word_end = chunk.endswith(">") and len(chunk) > 1
    body = chunk[1 if word_start else 0 : -1 if word_end else None]
    pieces: list[Piece] = []
    for raw in body.split("+"):
        literals: list[str] = []
        named: list[str] = []
        optional = False
        for alt in raw.split("|"):
            alt = alt.lower()
            if not alt:
                optional = True
                continue
            ref = TERM_REF.fullmatch(alt)
            if ref:
                if ref.group(1) not in terms:
                    raise CombinationError(f"{whole!r}: unknown term @{ref.group(1)}")
                literals.extend(terms[ref.group(1)])
                named.append(ref.group(1))
            elif "@" in alt:
                raise CombinationError(f"{whole!r}: {alt!r} is not a term reference (@name)")
            else:
                literals.append(alt)
                named.append("")
        if not literals:
            raise CombinationError(f"{whole!r}: an empty piece in {chunk!r}")
        only_terms = tuple(named) if named and all(named) else ()
        pieces.append(Piece(tuple(dict.fromkeys(literals)), optional, only_terms))
    if all(p.optional for p in pieces):
        raise CombinationError(f"{whole!r}: every piece of {chunk!r} is optional")
    part = Part(tuple(pieces), word_start, word_end)
    _prepare(part, lazy=True)  # its regex compiled when first tried: most parts never are
    return part


def _prepare(part: Part, *, lazy: bool = False) -> None:
    """What matching a part needs, computed once: its regex (`lazy`: on first use), first,
    anchor and pair literals."""
    if "_firsts" in part.__dict__:
        return  # a part of the combination itself, prepared when it was read
    if not lazy:
        object.__setattr__(part, "_regex", part.regex())
    firsts = frozenset(first_literals(part))
    anchor = frozenset(anchor_literals(part))
    pairs = pair_literals(part)
    object.__setattr__(part, "_firsts", firsts)
    object.__setattr__(part, "_anchor", anchor)
    object.__setattr__(part, "_pairs", pairs)
    longest = [max(map(len, p.literals)) for p in part.pieces]
    # the longest a match can be: a match starting at the last first literal ends before that
    object.__setattr__(part, "_maxlen", sum(longest))
    # the literal sets a match needs one of each that say something: a vague one (' ', 'e',
    # '1', 'in') is in most texts, rules out nothing and costs a hit at each of its places,
    # so it is left out of the automaton (unless a part with no other set needs it)
    object.__setattr__(
        part, "_groups", tuple(g for g in (firsts, anchor, pairs) if g is not None and not vague(g))
    )
    # where a match is looked for (part_spans_fast): at the hits of its first literals; when
    # those are vague, around the hits of its anchor piece (a match starts at most `_before`
    # characters before one and ends at most `_reach` after it); when both are, the whole
    # text is scanned (`_lead` None; only once the part's combination has passed the index)
    if not vague(firsts):
        lead: frozenset[str] | None = firsts
        before, reach = 0, sum(longest)
    elif not vague(anchor):
        at = anchor_index(part)
        lead, before, reach = anchor, sum(longest[:at]), sum(longest[at:])
    else:
        lead, before, reach = None, 0, 0
    object.__setattr__(part, "_lead", lead)
    object.__setattr__(part, "_before", before)
    object.__setattr__(part, "_reach", reach)
    # a part of one piece is matched from the hits alone (part_spans_fast): its literals in
    # the regex's order of alternatives, longest first
    single = len(part.pieces) == 1 and not part.pieces[0].optional
    object.__setattr__(
        part,
        "_order",
        {x: i for i, x in enumerate(sorted(part.pieces[0].literals, key=lambda x: (-len(x), x)))}
        if single
        else None,
    )


@dataclass(frozen=True)
class Carry:
    """A combination read as the object it names first and the state told of it after: the
    state may stand in a later clause of the sentence, the object carried to it ("打印机，换了新纸，
    还是打不出来", "the printer was fine yesterday, today it shows offline")."""

    combination: Combination
    obj: Part  # the object: the first part, or the first piece of a one-part combination
    state: Combination  # the rest: what must match in the state's own clause


MIN_CARRY = 2  # an object or a state whose shortest literal is shorter says too little alone


def split_carry(
    combination: Combination,
    stops: Callable[..., bool],
    objects: frozenset[str] | None = None,
) -> Carry | None:
    """The combination as object and state, when it reads as one: a first part (or the first
    piece of a one-part combination) that is one mandatory piece written as @terms only (a
    thing named: @printer, @tax_disk; a written word is most often a state or a verb), none
    of whose phrases is shorter than two characters or opens with a context trigger
    (`stops`: 不能, not, 无法 name no object), and a state whose telling pieces are two
    characters or more (不了 or 离线, not 了) and say more than that something works
    (`stops(x, True)`: 'fine', 正常 are said of whatever a clause is about). A single piece
    is no object and state.
    With `objects` (the phrases of the @terms that are objects elsewhere), a written piece
    whose phrases are all among them is an object too ('printer +is |shows +offline')."""
    parts = combination.parts
    first = parts[0]
    if len(parts) > 1:
        if len(first.pieces) != 1:
            return None  # 打+出来 is an act, not a thing named
        obj = Part(first.pieces, first.word_start, first.word_end or _latin_piece(first.pieces[0]))
        state = Combination(combination.source, parts[1:], combination.gaps[1:])
    else:
        if len(first.pieces) < 2 or first.pieces[0].optional:
            return None
        head, rest = first.pieces[0], first.pieces[1:]
        if all(p.optional for p in rest):
            return None
        obj = Part((head,), first.word_start or _opens_latin(head), _latin_piece(head))
        # the state stands alone now: a Latin word of it starts a word ('ok' not in 'looks')
        state_part = Part(rest, True, first.word_end)
        state = Combination(combination.source, (state_part,), ())
    head = obj.pieces[0]
    named = bool(head.terms) or (
        objects is not None and all(x.strip() in objects for x in head.literals)
    )
    if not named or min(len(x.strip()) for x in head.literals) < MIN_CARRY:
        return None
    if any(stops(x.strip()) for x in head.literals):
        return None

    for part in state.parts:
        if min(len(x) for x in anchor_literals(part)) < MIN_CARRY:
            return None
    for part in (obj, *state.parts):
        _prepare(part, lazy=True)
    if any(stops(x.strip(), True) for p in state.parts for x in p._anchor):  # type: ignore[attr-defined]
        return None  # 'fine', 正常: said of whatever the clause is about
    return Carry(combination, obj, state)


def _opens_latin(piece: Piece) -> bool:
    """Whether a literal of the piece opens with a Latin letter."""
    return any("a" <= x[:1] <= "z" for x in piece.literals)


def _latin_piece(piece: Piece) -> bool:
    """Whether a piece's literals are words of Latin letters, to be matched as whole words
    apart ('printer ' is one already: its space ends it)."""
    return all(_LATIN.search(x) and x == x.strip() for x in piece.literals)


class Hits:
    """Where each literal occurs in one text: literal → sorted start positions."""

    __slots__ = ("by_literal", "found", "has", "memo", "rows", "text")

    def __init__(
        self, text: str, by_literal: dict[str, list[int]], rows: list[Any] | None = None
    ) -> None:
        self.text = text
        self.by_literal = by_literal
        # the literals found, as a set: a set intersects another by walking the smaller one
        # (a dict is walked whole), and most parts lead with fewer literals than a text has
        self.found = frozenset(by_literal)
        # the row attached to each literal found (AhoCorasickFinder.attach), in the order
        # first found; None when the finder has none
        self.rows = rows
        self.memo: dict[str, object] = {}  # what a reader computes once per text
        # whether `literal` occurs at all: the dict's own test, called as a method by readers
        # that ask for many literals (no Python frame per question)
        self.has: Callable[[str], bool] = by_literal.__contains__

    def starts(self, literal: str) -> list[int]:
        """Start positions of `literal` (sorted)."""
        return self.by_literal.get(literal, [])

    def at(self, literal: str, pos: int) -> bool:
        """Whether `literal` starts at `pos`."""
        found = self.by_literal.get(literal)
        if not found:
            return False
        i = bisect.bisect_left(found, pos)
        return i < len(found) and found[i] == pos


class AhoCorasickFinder:
    """The fast path: one automaton over every literal."""

    name = "aho-corasick"

    def __init__(self, literals: Iterable[str]) -> None:
        import ahocorasick  # here: built for the first ticket with text, never for codes only

        self._automaton = ahocorasick.Automaton()
        # each literal's value: its length less one (the automaton gives where a hit ends:
        # that much before it, it starts), itself and the row a reader attached to it
        self._values: dict[str, list[object]] = {}
        for literal in sorted(set(literals)):
            value: list[object] = [len(literal) - 1, literal, None]
            self._values[literal] = value
            self._automaton.add_word(literal, value)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()
        self._rows = False

    def attach(self, rows: dict[str, object]) -> None:
        """Give each literal its row (what a reader looks up for it in every text): `find`
        then lists the rows of the literals a text has (Hits.rows) from the values the
        automaton hands out anyway, with no look-up of its own in a table of every literal
        (one that, beside the automaton's own nodes, mostly missed the CPU's caches)."""
        for literal, value in self._values.items():
            value[2] = rows.get(literal)
        self._rows = True

    def find(self, text: str) -> Hits:
        """Every occurrence (overlapping ones too) of every literal in `text`."""
        found: dict[str, list[int]] = {}
        rows: list[Any] = []
        if not self._empty:
            get = found.get
            add = rows.append
            for end, (back, literal, row) in self._automaton.iter(text):
                at = get(literal)
                if at is None:
                    found[literal] = [end - back]
                    add(row)
                else:
                    at.append(end - back)
        return Hits(text, found, rows if self._rows else None)


class ReferenceFinder:
    """The plain path: str.find for each literal in turn. Same hits, slower."""

    name = "reference"

    def __init__(self, literals: Iterable[str]) -> None:
        self._literals = sorted(set(literals))

    def find(self, text: str) -> Hits:
        """Every occurrence (overlapping ones too) of every literal in `text`."""
        found: dict[str, list[int]] = {}
        for literal in self._literals:
            i = text.find(literal)
            while i >= 0:
                found.setdefault(literal, []).append(i)
                i = text.find(literal, i + 1)
        return Hits(text, found)


def part_spans(part: Part, hits: Hits) -> list[tuple[int, int]]:
    """Where `part` matches, by start: leftmost-longest, not overlapping (as a regex finds).

    A match can only start where one of the part's first literals starts, and the hits say
    where those are: the regex is tried anchored there (lookbehinds still see the text before),
    which gives what `finditer` over the whole text gives, without scanning it. A part whose
    first literals are vague (not in the automaton) is matched by `finditer` over the text."""
    regex: re.Pattern[str] = part._regex  # type: ignore[attr-defined]
    if part._lead is not part._firsts:  # type: ignore[attr-defined]
        return [m.span() for m in regex.finditer(hits.text)]
    by_literal = hits.by_literal
    starts: list[int] = []
    for lit in part._firsts:  # type: ignore[attr-defined]
        found = by_literal.get(lit)
        if found:
            starts.extend(found)
    if not starts:
        return []
    if len(starts) > 1:
        starts = sorted(set(starts))
    return _matches_at(regex, hits.text, starts)


def _matches_at(regex: re.Pattern[str], text: str, starts: list[int]) -> list[tuple[int, int]]:
    """The regex tried anchored at each of the sorted `starts`, skipping those inside the last
    match: the leftmost-longest, non-overlapping matches `finditer` would give there."""
    out = []
    last = 0
    for pos in starts:
        if pos < last:
            continue
        m = regex.match(text, pos)
        if m is not None:
            out.append(m.span())
            last = m.end()
    return out


def part_spans_fast(part: Part, hits: Hits) -> list[tuple[int, int]]:
    """What `part_spans` gives, cheaper: pieces by their order, the regex anchored at the few
    starts a text has, or one scan of the stretch around a vague part's anchor hits."""
    by_literal = hits.by_literal
    lead: frozenset[str] | None = part._lead  # type: ignore[attr-defined]
    text = hits.text
    if lead is None:  # vague all through: the index let the combination by on its other parts
        return [m.span() for m in part._regex.finditer(text)]  # type: ignore[attr-defined]
    # the part's lead literals the text has: two sets intersect by walking the smaller one
    # (a part's few lead literals or the text's few dozen; @printer leads with hundreds)
    present = lead & hits.found
    if not present:
        return []
    if lead is part._firsts:  # type: ignore[attr-defined]
        order: dict[str, int] | None = part._order  # type: ignore[attr-defined]
        if order is not None:
            return _piece_spans(part, present, order, by_literal, text)
        # the regex tried anchored at each start, as part_spans does: a match call per start
        # (most parts have one or two in a text) costs less than a scan of the stretch between
        # the first and the last, which the regex engine walks position by position
        regex: re.Pattern[str] = part._regex  # type: ignore[attr-defined]
        if len(present) == 1:
            (lit,) = present
            starts = by_literal[lit]
        else:
            starts = sorted({pos for lit in present for pos in by_literal[lit]})
        return _matches_at(regex, text, starts)
    lo = hi = -1
    for lit in present:
        found = by_literal[lit]
        if lo < 0 or found[0] < lo:
            lo = found[0]
        if found[-1] > hi:
            hi = found[-1]
    # every match has a lead literal at most `_before` characters after its start (none before
    # the first such hit's window starts) and ends at most `_reach` after it; one character
    # past that, so a lookahead at a match's end sees the real text
    lo = max(0, lo - part._before)  # type: ignore[attr-defined]
    end = min(len(text), hi + part._reach + 1)  # type: ignore[attr-defined]
    return [m.span() for m in part._regex.finditer(text, lo, end)]  # type: ignore[attr-defined]


def _piece_spans(
    part: Part,
    present: AbstractSet[str],
    order: dict[str, int],
    by_literal: dict[str, list[int]],
    text: str,
) -> list[tuple[int, int]]:
    """What the regex of a one-piece part finds, from the hits: at each start from the left,
    the first of its alternatives (longest first) that starts there and passes the word test
    at its end; the next match starts after it. Every match starts at a hit of one of the
    piece's literals, and the hits are every occurrence of each, so nothing is missed."""
    if len(present) == 1:
        (lit,) = present
        at = [(pos, lit) for pos in by_literal[lit]]
    else:
        at = sorted(
            ((pos, lit) for lit in present for pos in by_literal[lit]),
            key=lambda x: (x[0], order[x[1]]),
        )
    word_start, word_end = part.word_start, part.word_end
    out: list[tuple[int, int]] = []
    last = 0
    for pos, lit in at:
        if pos < last:  # inside the last match (its other alternatives at its start too)
            continue
        if word_start and pos > 0 and "a" <= text[pos - 1] <= "z":
            continue
        end = pos + len(lit)
        if word_end and end < len(text) and "a" <= text[end] <= "z":
            continue  # a shorter alternative at the same start may still pass
        out.append((pos, end))
        last = end
    return out


def could_match(combination: Combination, hits: Hits) -> bool:
    """A cheap test: does every part have, in the text, a literal of each of its telling
    literal sets (`_groups`: one it can start with, one of its anchor piece, one of its pair
    literals — a match contains one of each); a vague set is not tested."""
    keys = hits.by_literal.keys()
    return all(
        not keys.isdisjoint(g)
        for p in combination.parts
        for g in p._groups  # type: ignore[attr-defined]
    )


def anchor_literals(part: Part) -> tuple[str, ...]:
    """The literals of the part's most telling mandatory piece — the one whose shortest
    literal is longest (then the one with fewest literals): every match contains one of them,
    and a rare one rules a part out on most texts where its first literals ('2', ' ') occur."""
    return part.pieces[anchor_index(part)].literals


def anchor_index(part: Part) -> int:
    """Which piece `anchor_literals` takes its literals from (the first of equals)."""
    mandatory = [i for i, p in enumerate(part.pieces) if not p.optional]
    return max(
        mandatory,
        key=lambda i: (min(len(x) for x in part.pieces[i].literals), -len(part.pieces[i].literals)),
    )


VAGUE = 2  # a Latin, digit or blank literal this short (stripped) is in most English texts


def vague(literals: Iterable[str]) -> bool:
    """Whether a literal set says too little to be looked for: it has one of at most VAGUE
    ASCII characters once stripped (' ', 'e', '1', 'in', '10'). Such a literal is in most
    texts ('e' in nearly every English word), so a test of it rules out nothing, and each
    of its places is a hit to file. A Chinese character or pair says more (卡, 打印)."""
    return any(len(s) <= VAGUE and s.isascii() for s in (x.strip() for x in literals))


def combination_groups(parts: Iterable[Part]) -> list[frozenset[str]]:
    """The literal sets the candidate index files parts under, one of each needed: each part's
    telling ones (`_groups`); when no part has one, every set of every part, vague or not
    (they are then looked for: a candidate needs at least one set)."""
    parts = list(parts)
    groups = [g for p in parts for g in p._groups]  # type: ignore[attr-defined]
    if groups:
        return groups
    for p in parts:
        groups += [p._firsts, p._anchor]  # type: ignore[attr-defined]
        if p._pairs is not None:  # type: ignore[attr-defined]
            groups.append(p._pairs)  # type: ignore[attr-defined]
    return groups


MAX_PAIRS = 256  # pair literals of one part at most: beyond, the test is not worth its literals


def pair_literals(part: Part) -> frozenset[str] | None:
    """Every match of `part` contains a literal of a mandatory piece directly followed by one
    of the next piece when that one is mandatory too (打印 + 不出来 → 打印不出来): those
    concatenations, for the adjacent pair with fewest (None when no pair is small enough).
    A text with both pieces apart (打印机…不出来) lacks them: a far sharper test than the
    pieces one by one."""
    best: frozenset[str] | None = None
    for a, b in zip(part.pieces, part.pieces[1:], strict=False):
        if a.optional or b.optional or len(a.literals) * len(b.literals) > MAX_PAIRS:
            continue
        pairs = frozenset(x + y for x in a.literals for y in b.literals)
        if best is None or len(pairs) < len(best):
            best = pairs
    return best


def first_literals(part: Part) -> Iterable[str]:
    """The literals a match of `part` can start with."""
    for piece in part.pieces:
        yield from piece.literals
        if not piece.optional:
            return


def combination_spans(
    combination: Combination, hits: Hits, clause_of: ClauseIndex, *, checked: bool = False
) -> list[tuple[int, int]]:
    """Every span (first part's start, last part's end) where the combination matches.

    `checked`: the caller knows `could_match` holds (the fast path's candidate index tested
    it); the parts are then found by `part_spans_fast`, else by the plain `part_spans`."""
    if not checked and not could_match(combination, hits):
        return []
    spans_of = part_spans_fast if checked else part_spans
    parts = combination.parts
    spans = spans_of(parts[0], hits)
    if len(parts) == 1:
        return spans
    # two positions are in one clause when as many clause starts come at or before each:
    # bisect on the starts themselves (ClauseIndex's numbers, less one), no call of its own
    clause_starts = clause_of.starts
    one_clause = len(clause_starts) == 1
    for part, gap in zip(parts[1:], combination.gaps, strict=True):
        if not spans:
            return []
        nexts = spans_of(part, hits)
        if not nexts:
            return []
        starts = [s for s, _ in nexts]
        joined = []
        for start, end in spans:
            j = bisect.bisect_left(starts, end)
            if j == len(starts):
                continue
            n_start, n_end = nexts[j]
            if gap is not None and n_start - end > gap:
                continue
            if not one_clause and bisect.bisect_right(
                clause_starts, n_start
            ) != bisect.bisect_right(clause_starts, start):
                continue
            joined.append((start, n_end))
        spans = joined
    return spans


def clauses_covered(clause_starts: list[int], covered: Iterable[tuple[int, int]]) -> list[bool]:
    """For each clause (given by its start offset), whether a covered span reaches into it."""
    hit = [False] * len(clause_starts)
    for start, end in covered:
        first = bisect.bisect_right(clause_starts, start) - 1
        last = bisect.bisect_right(clause_starts, max(start, end - 1)) - 1
        for i in range(max(first, 0), last + 1):
            hit[i] = True
    return hit


def clauses_uncovered(
    clause_starts: list[int], covered: Iterable[tuple[int, int]], length: int
) -> Iterator[tuple[int, int]]:
    """(start, end) of each clause of a text of `length` characters that no covered span
    reaches into; `end` is the next clause's start (its separator included)."""
    hit = clauses_covered(clause_starts, covered)
    for i, start in enumerate(clause_starts):
        if not hit[i]:
            yield start, clause_starts[i + 1] if i + 1 < len(clause_starts) else length


class ClauseIndex:
    """Which clause a position falls in (clauses as start offsets)."""

    __slots__ = ("starts",)

    def __init__(self, starts: list[int]) -> None:
        self.starts = starts

    def __call__(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos) - 1

    def bounds(self, index: int, length: int) -> tuple[int, int]:
        """(start, end) of clause `index` in a text of `length` characters."""
        end = self.starts[index + 1] if index + 1 < len(self.starts) else length
        return self.starts[index], end


def has_latin(literal: str) -> bool:
    """Whether a literal has Latin letters (English triggers are matched as whole words)."""
    return bool(_LATIN.search(literal))


MAX_CARRY_BACK = 3  # clauses an object is carried over at most: 打印机，换了新纸，还是打不出来


def carried_spans(
    carry: Carry,
    hits: Hits,
    clauses: ClauseIndex,
    joined: Callable[[int], bool],
    names_object: Callable[[int, int, int], bool],
    *,
    checked: bool = False,
) -> list[tuple[int, int, int, int]]:
    """(state start, state end, object start, object end) for each match of the carry's state
    in a clause without its object, the object carried from the nearest clause before it that
    names one: clauses of the same sentence (`joined(i)`: clause i goes on clause i - 1
    across a comma, not a sentence end), at most MAX_CARRY_BACK back, none of those between
    nor the state's own clause naming another object (`names_object(clause, lo, hi)`: an
    object outside text[lo:hi] — the state's own words). Context is the caller's to decide.

    `checked`: the candidate index knows every part can match (the fast path)."""
    if not checked and not (
        could_match(carry.state, hits)
        and could_match(Combination(carry.combination.source, (carry.obj,), ()), hits)
    ):
        return []
    states = combination_spans(carry.state, hits, clauses, checked=checked)
    if not states:
        return []
    objects = (part_spans_fast if checked else part_spans)(carry.obj, hits)
    if not objects:
        return []
    by_clause: dict[int, tuple[int, int]] = {}  # clause → its last object
    for span in objects:
        by_clause[clauses(span[0])] = span
    out = []
    for start, end in states:
        here = clauses(start)
        if here in by_clause or names_object(here, start, end):
            continue  # its own clause names the object, or another one
        back = here
        while back > 0 and here - back < MAX_CARRY_BACK and joined(back):
            back -= 1
            if back in by_clause:
                out.append((start, end, *by_clause[back]))
                break
            if names_object(back, 0, 0):
                break
    return out

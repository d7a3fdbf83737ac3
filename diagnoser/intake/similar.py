"""The similarity fallback: a clause no term matched, compared with the symptoms' examples.

Symptoms may list a few whole phrasings (`examples:` in knowledge/symptoms/*.yaml). A clause of
a ticket that no term, code or system covered is compared with them: character n-grams (Chinese
bigrams, Latin trigrams) pick a few candidate examples from an inverted index, and rapidfuzz's
normalised Indel similarity scores them — the whole clause against the example, or, when the
clause is the longer, its best-aligned part (`partial_ratio_alignment`) if that scores higher.
A score of at least `threshold` gives the example's symptom at TEXT_CF × score, and the source
says why:
"similar to '打印不出来' (0.84)". On by default (`Diagnoser(similar=False)` turns it off): on a
tuning set it was not tuned on it raised accuracy without diagnosing more non-faults.

It respects context as the vocabulary does: a clause whose aligned part stands in a negated,
hypothetical or historical scope, or holds such a trigger its example does not (设置没有错误),
gives nothing; nor does a question. The work per text is bounded: at most MAX_CLAUSES clauses
of at most MAX_CLAUSE characters, at most MAX_CANDIDATES scored per clause.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

from .._text import marks_or_dot
from ..kb.models import MIN_EXAMPLE, Symptom, SymptomKind, fold_case
from ._hanzi import to_simplified
from .context import Context, Decision
from .matcher import ClauseIndex, Hits, clauses_uncovered, has_latin

THRESHOLD = 0.8  # the least similarity that counts: below it a clause is merely "not understood"
MAX_CLAUSES = 32  # uncovered clauses compared per text
MAX_CLAUSE = 160  # characters of one clause compared (the rest of a longer one is left)
MAX_CANDIDATES = 6  # examples scored per clause, those sharing the most n-grams
# what ends the sentence of a clause: a question mark, or another sentence end ('.' followed by
# a space or the end of the text)
_STOP_MARKS = "?？。！!\n"
# ([?？。！!\n]|\.(?= |\Z), written to open with a class: see marks_or_dot)
_SENTENCE_STOP = re.compile(marks_or_dot(_STOP_MARKS, r" |\Z", run=False))
_second = itemgetter(1)  # the (gram, postings) value of an automaton hit


def example_key(text: str) -> str:
    """An example as intake reads text: NFKC, traditional → simplified, lower case, one space."""
    folded = to_simplified(unicodedata.normalize("NFKC", text))
    return fold_case(" ".join(folded.split()))


def grams(text: str) -> set[str]:
    """Character n-grams of `text`: bigrams where a Chinese character starts, trigrams (spaces
    allowed inside) where a Latin letter or digit does; none across punctuation. Only candidates
    are picked with them, so they stay short and cheap (str methods, no regex per character)."""
    out: set[str] = set()
    last = len(text)
    for i, c in enumerate(text):
        if not c.isalnum():
            continue
        if "\u3400" <= c <= "\u9fff":
            if i + 2 <= last and text[i + 1].isalnum():
                out.add(text[i : i + 2])
        elif i + 3 <= last:
            g = text[i : i + 3]
            if g[2] != " " and g.replace(" ", "").isalnum():
                out.add(g)
    return out


def uncovered_clauses(
    text: str,
    clause_starts: list[int],
    covered: list[tuple[int, int]],
    uncovered: Iterable[tuple[int, int]] | None = None,
) -> list[tuple[int, int]]:
    """The clauses (start, end without the separator) no span of `covered` touches, with a
    word in them: what the fallback may read (`uncovered`: those clauses with their
    separators, `clauses_uncovered`'s answer, when the caller has it already)."""
    out = []
    if uncovered is None:
        uncovered = clauses_uncovered(clause_starts, covered, len(text))
    for start, end in uncovered:
        while end > start and not text[end - 1].isalnum():
            end -= 1  # the separator and trailing punctuation
        if end - start >= 2:
            out.append((start, end))
    return out


@dataclass(frozen=True)
class Example:
    """One example phrasing of a symptom, as written and as compared."""

    symptom: str
    text: str
    key: str
    n_grams: int


@dataclass(frozen=True)
class Similar:
    """A clause read through the fallback: the symptom, where (clean-text offsets), the example
    it resembles and how closely (0..1)."""

    symptom: str
    start: int
    end: int
    example: str
    score: float


class SimilarIndex:
    """The examples of a knowledge base, indexed by their n-grams."""

    def __init__(self, symptoms: Iterable[Symptom], threshold: float = THRESHOLD) -> None:
        from rapidfuzz import fuzz  # the one place that needs it: intake without examples doesn't

        self._fuzz = fuzz
        self.threshold = threshold
        self.examples: list[Example] = []
        self._by_gram: dict[str, list[int]] = {}
        for symptom in sorted(symptoms, key=lambda s: s.id):
            if symptom.kind is not SymptomKind.FLAG:
                continue
            for text in symptom.examples:
                key = example_key(text)
                g = grams(key)
                if not g:
                    continue
                place = len(self.examples)
                self.examples.append(Example(symptom.id, text, key, len(g)))
                for gram in g:
                    self._by_gram.setdefault(gram, []).append(place)
        # the examples' n-grams in one automaton: a clause's n-grams that some example has are
        # its occurrences of them (whether a position starts an n-gram, and which, depends on
        # the n-gram's own characters only), found in one pass instead of the clause's every
        # n-gram made and looked up (most uncovered clauses are names and places: few hits)
        self._grams: Any = self._automaton()

    def _automaton(self) -> Any:
        if not self._by_gram:
            return None
        import ahocorasick

        grams = ahocorasick.Automaton()
        for gram, places in self._by_gram.items():
            grams.add_word(gram, (gram, places))
        grams.make_automaton()
        return grams

    def __getstate__(self) -> dict[str, Any]:
        # pickled as its examples and n-grams (the compiled vocabulary cache): the module and
        # the automaton are found and built again
        state = self.__dict__.copy()
        del state["_fuzz"], state["_grams"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from rapidfuzz import fuzz

        self.__dict__.update(state)
        self._fuzz = fuzz
        self._grams = self._automaton()

    def __len__(self) -> int:
        return len(self.examples)

    def best(self, clause: str) -> tuple[Example, float, int, int] | None:
        """The example `clause` is most similar to, its score and the aligned span of the
        clause, when the score reaches the threshold."""
        clause = clause[:MAX_CLAUSE]
        if self._grams is None:
            return None
        # each n-gram once, as grams(clause) has it: {gram: its examples}
        postings = dict(map(_second, self._grams.iter(clause)))
        # an example is in a gram's postings once: it shares at most len(postings) n-grams,
        # and a candidate shares two at least
        if len(postings) < 2:
            return None
        shared = Counter(chain.from_iterable(postings.values()))  # counted in C
        examples = self.examples
        # an example sharing under half its n-grams cannot reach the threshold's similarity
        ranked = sorted(
            (
                (-count / examples[p].n_grams, p)
                for p, count in shared.items()
                if count >= 2 and 2 * count >= examples[p].n_grams
            ),
        )[:MAX_CANDIDATES]
        found: tuple[Example, float, int, int] | None = None
        for _, place in ranked:
            example = examples[place]
            # the whole clause, or (when it is the longer) its best-aligned part
            score = self._fuzz.ratio(example.key, clause) / 100
            start, end = 0, len(clause)
            if len(clause) > len(example.key):
                aligned = self._fuzz.partial_ratio_alignment(example.key, clause)
                # an aligned part much shorter than the example resembles only a piece of it
                # ("打印机没" of 打印机没有坏掉 against 打印机没纸了): not a phrasing of it
                covers = aligned is not None and (
                    aligned.dest_end - aligned.dest_start >= len(example.key) - 1
                )
                if aligned is not None and covers and aligned.score / 100 > score:
                    score = aligned.score / 100
                    start, end = aligned.dest_start, aligned.dest_end
            if score >= self.threshold and (found is None or score > found[1]):
                found = (example, score, start, end)
        return found

    def read(
        self,
        hits: Hits,
        clauses: ClauseIndex,
        uncovered: Iterable[tuple[int, int]],
        context: Context,
    ) -> list[Similar]:
        """The symptoms the `uncovered` clauses (clean-text spans, no separator) resemble, one
        per symptom (the closest), leaving out any whose context sets it aside."""
        text = hits.text
        out: dict[str, Similar] = {}
        for n, (lo, hi) in enumerate(uncovered):
            if n >= MAX_CLAUSES:
                break
            if _asks(text, hi):
                continue  # a question asks about a symptom; it does not report one
            clause = text[lo:hi]
            stripped = clause.lstrip()
            lo += len(clause) - len(stripped)
            clause = stripped.rstrip()
            if len(clause) < MIN_EXAMPLE:
                continue  # shorter than any example can be: nothing to compare
            best = self.best(clause)
            if best is None:
                continue
            example, score, start, end = best
            start, end = lo + start, lo + end
            if _set_aside(hits, clauses, context, start, end, example.key) is not None:
                continue
            old = out.get(example.symptom)
            if old is None or score > old.score:
                out[example.symptom] = Similar(example.symptom, start, end, example.text, score)
        return sorted(out.values(), key=lambda s: s.start)


def _set_aside(
    hits: Hits, clauses: ClauseIndex, context: Context, start: int, end: int, example: str
) -> Decision | None:
    """Whether a resembling span is not a present symptom: its context decides so, as for any
    mention, or a trigger inside it the example lacks (设置没有错误 is not 设置错误)."""
    decision = context.decide(hits, clauses, start, end)
    if decision is not None:
        return decision
    text = hits.text
    voided = []
    seen = hits.by_literal  # the few phrases the text has are looked up, not the lists' every one
    for phrase in context.pseudo:
        if phrase not in seen:
            continue
        for pos in _within(seen[phrase], start, end):
            if _whole(text, pos, pos + len(phrase), phrase):
                voided.append((pos, pos + len(phrase)))
    for trigger in context.triggers:
        if trigger.phrase not in seen or trigger.phrase in example:
            continue
        for pos in _within(seen[trigger.phrase], start, end):
            t_end = pos + len(trigger.phrase)
            if t_end > end or not _whole(text, pos, t_end, trigger.phrase):
                continue
            if any(s <= pos and t_end <= e for s, e in voided):
                continue
            return Decision(trigger.scope, trigger.phrase)
    return None


def _asks(text: str, end: int) -> bool:
    """Whether the sentence a clause ending at `end` belongs to is a question ("If the device
    gets locked, what should we do?"): the first sentence end after it is a question mark."""
    # within MAX_CLAUSE characters; one character more is searched so a '.' at the window's
    # last place still sees what follows it
    m = _SENTENCE_STOP.search(text, end, end + MAX_CLAUSE + 1)
    return m is not None and m.start() < end + MAX_CLAUSE and m.group() in "?？"


def _within(found: list[int], start: int, end: int) -> list[int]:
    return found[bisect.bisect_left(found, start) : bisect.bisect_left(found, end)]


def _whole(text: str, start: int, end: int, phrase: str) -> bool:
    """An English phrase counts only as whole words."""
    if not has_latin(phrase):
        return True
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalpha()) and not (after.isascii() and after.isalpha())

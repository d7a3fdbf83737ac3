"""Context scopes, NegEx-style: is a mention of a symptom present, denied, hypothetical or past?

The trigger lists are data (knowledge/vocabulary/context.yaml). A trigger decides a mention
when it stands before (or after) it in the same clause, within the scope's window, and no
contrast ("but", 但是) stands between them. A trigger inside a pseudo-trigger ("not only",
是不是) or right after one is no trigger. Everything is looked up in the hits of the one
automaton pass, so a decision costs a few bisections, whatever the length of the text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..kb.models import ContextFile, Phrases, Scope
from .matcher import ClauseIndex, Hits, has_latin

SCOPES = ("negation", "hypothetical", "history")
_EN_GAP = re.compile(r"[\s\w'’-]*")
_REACH = 120  # no window reaches further than this many characters


@dataclass(frozen=True)
class Trigger:
    """One trigger phrase of a scope, with how far it reaches."""

    phrase: str
    scope: str
    after: bool
    window: int
    latin: bool


@dataclass(frozen=True)
class Decision:
    """Why a mention is not a present symptom: the scope and the trigger that decided it."""

    scope: str
    trigger: str


class Context:
    """The compiled trigger lists of a knowledge base."""

    def __init__(self, spec: ContextFile) -> None:
        self.triggers: list[Trigger] = []
        for name in SCOPES:
            scope: Scope = getattr(spec, name)
            for after, phrases in ((False, scope.before), (True, scope.after)):
                for lang, phrase in _phrases(phrases):
                    window = scope.wide.get(phrase, scope.window.get(lang, 0))
                    self.triggers.append(
                        Trigger(phrase.lower(), name, after, window, has_latin(phrase))
                    )
        self.pseudo = [p.lower() for _, p in _phrases(spec.pseudo.before)]
        self.pseudo_window = spec.pseudo.window
        self.contrast = [p.lower() for _, p in _phrases(spec.contrast)]
        # phrase → the triggers (by their place in the list) it is: a text's triggers are
        # found from its hits, not by testing every trigger against them
        self._by_phrase: dict[str, list[int]] = {}
        for i, trigger in enumerate(self.triggers):
            self._by_phrase.setdefault(trigger.phrase, []).append(i)

    def literals(self) -> list[str]:
        """Every phrase the automaton must find for context decisions."""
        return [t.phrase for t in self.triggers] + self.pseudo + self.contrast

    def decide(self, hits: Hits, clauses: ClauseIndex, start: int, end: int) -> Decision | None:
        """The scope that takes the mention text[start:end] out of the present symptoms.

        Nothing further than _REACH from the mention can decide it, so the decision is a
        function of that window: a text that repeats itself is decided once per distinct window.
        """
        text = hits.text
        lo = max(0, start - _REACH)
        key = (start - lo, end - lo, text[lo : end + _REACH])
        memo: dict[tuple[int, int, str], Decision | None] = hits.memo.setdefault("decided", {})  # type: ignore[assignment]
        if key in memo:
            return memo[key]
        decision = memo[key] = self._decide(hits, clauses, start, end)
        return decision

    def _decide(self, hits: Hits, clauses: ClauseIndex, start: int, end: int) -> Decision | None:
        text = hits.text
        lo, hi = clauses.bounds(clauses(start), len(text))
        # a contrast ends the scope: only what stands between the contrasts around the mention
        for phrase in self._present(hits, "contrast", self.contrast):
            found = hits.starts(phrase)
            size = len(phrase)
            i = bisect.bisect_right(found, start - size)  # the last one ending before the mention
            for pos in found[max(0, i - 4) : i]:
                if pos >= lo and _word_ok(text, pos, pos + size, has_latin(phrase)):
                    lo = max(lo, pos + size)
            j = bisect.bisect_left(found, end)  # the first one after it
            for pos in found[j : j + 4]:
                if pos < hi and _word_ok(text, pos, pos + size, has_latin(phrase)):
                    hi = min(hi, pos)
                    break
        near_lo, near_hi = max(lo, start - _REACH), min(hi, end + _REACH)
        voided = self._pseudo_spans(hits, near_lo, near_hi)
        present = hits.memo.get("triggers")
        if present is None:  # the triggers this text has at all, computed once per text
            index = self._by_phrase
            found_at = sorted(i for lit in hits.by_literal if lit in index for i in index[lit])
            present = hits.memo["triggers"] = [self.triggers[i] for i in found_at]
        for trigger in present:  # type: ignore[attr-defined]
            size = len(trigger.phrase)
            found = hits.starts(trigger.phrase)
            if not found:
                continue
            if trigger.after:
                window = range(bisect.bisect_left(found, end), bisect.bisect_left(found, near_hi))
            else:
                window = range(
                    bisect.bisect_left(found, near_lo), bisect.bisect_right(found, start - size)
                )
            # nearest first; further ones are outside the window anyway
            order = list(window)[-8:] if not trigger.after else list(window)[:8]
            for k in order:
                pos = found[k]
                t_end = pos + size
                if t_end > near_hi or (pos < end and t_end > start):
                    continue
                if not _word_ok(text, pos, t_end, trigger.latin):
                    continue
                if any(s <= pos and t_end <= e + self._reach(trigger) for s, e in voided):
                    continue
                gap = text[end:pos] if trigger.after else text[t_end:start]
                if _near(gap, trigger):
                    return Decision(trigger.scope, trigger.phrase)
        return None

    @staticmethod
    def _present(hits: Hits, key: str, phrases: list[str]) -> list[str]:
        """The phrases of `phrases` that occur in the text, computed once per text."""
        found = hits.memo.get(key)
        if found is None:
            found = hits.memo[key] = [p for p in phrases if hits.has(p)]
        return found  # type: ignore[return-value]

    def _reach(self, trigger: Trigger) -> int:
        # a negation just after a pseudo-trigger is void too: 是不是没插盘 asks, it does not deny
        if trigger.scope == "negation" and not trigger.after:
            lang = "en" if trigger.latin else "zh"
            return self.pseudo_window.get(lang, 0) + len(trigger.phrase)
        return 0

    def _pseudo_spans(self, hits: Hits, lo: int, hi: int) -> list[tuple[int, int]]:
        spans = []
        for phrase in self._present(hits, "pseudo", self.pseudo):
            found = hits.starts(phrase)
            for pos in found[bisect.bisect_left(found, lo) : bisect.bisect_left(found, hi)][:32]:
                if _word_ok(hits.text, pos, pos + len(phrase), has_latin(phrase)):
                    spans.append((pos, pos + len(phrase)))
        return spans


def _phrases(phrases: Phrases) -> list[tuple[str, str]]:
    return [("zh", p) for p in phrases.zh] + [("en", p) for p in phrases.en]


def _word_ok(text: str, start: int, end: int, latin: bool) -> bool:
    if not latin:
        return True
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalpha()) and not (after.isascii() and after.isalpha())


def _near(gap: str, trigger: Trigger) -> bool:
    """Whether the text between trigger and mention is within the trigger's window."""
    if trigger.latin:
        if len(gap) > 12 * (trigger.window + 1) or not _EN_GAP.fullmatch(gap):
            return False
        return len(gap.split()) <= trigger.window
    return len(gap.strip()) <= trigger.window

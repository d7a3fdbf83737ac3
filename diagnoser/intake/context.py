"""Context scopes, NegEx-style: is a mention of a symptom present, denied, hypothetical or past?

The trigger lists are data (knowledge/vocabulary/context.yaml). A trigger decides a mention
when it stands before (or after) it in the same clause, within the scope's window, and no
contrast ("but", 但是) stands between them. A trigger inside a pseudo-trigger ("not only",
是不是) or right after one is no trigger. Everything is looked up in the hits of the one
automaton pass, so a decision costs a few bisections, whatever the length of the text.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from .._text import marks_or_dot
from ..kb.models import ContextFile, Phrases, Scope
from .matcher import ClauseIndex, Combination, Hits, has_latin, part_spans, part_spans_fast

SCOPES = ("negation", "hypothetical", "history")
_EN_GAP = re.compile(r"[\s\w'’:-]*")  # "quick question: is …" is one stretch
_REACH = 120  # no window reaches further than this many characters
_SENTENCE_MARKS = "。！？!?\n"
_SENTENCE = re.compile(marks_or_dot(_SENTENCE_MARKS, r"\s|$"))  # [。！？!?\n]+|\.(?=\s|$)
_QUESTION = re.compile(r"\?+")  # the text is NFKC-normalised: ？ is ?
_WORDS = re.compile(r"[^\W\d_]")  # a letter or a hanzi: a sentence with words in it
# the first word of a clause, and the second: "how many …?" opens with two
_LEAD = re.compile(r"[^a-z]*([a-z][a-z']*)(?: ([a-z][a-z']*))?")
# A short follow-up ask after a question, written without its question mark: "开错的数电票要走
# 红字确认单吗？步骤是啥", "…? steps please". Few, fixed words of asking; a short sentence only.
_FOLLOW_UP = re.compile(r"步骤|流程|怎么弄|怎么做|怎么操作|如何操作|是啥|是什么|咋弄|steps|how to")
_FOLLOW_UP_LEN = 16
# A space between two hanzi is a clause mark where people type without punctuation (LINE,
# WeChat): "機台說沒有可用的發票號碼 是不是這期號碼沒配給這一台？" asks only after the space.
_CLAUSE_PIECE = re.compile(r"[^,;、]+")  # the clauses of a sentence
_HAN_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
# what may stand before a label at the start of its sentence: "[", "【", "** ", spaces
_LABEL_LEAD = re.compile(r"[^\w]{0,8}")
# and what ends a label: a colon, a dash, a closing bracket or a comma ("Feature request: …",
# "[RESOLVED]", "Test message, please ignore")
_LABEL_END = re.compile(r"\s{0,2}[:\-–—\])】|>,]")
# a label written with its colon may follow a short name of who posts it: "加值中心公告：…"
_LABEL_NAMED = 8
_MARKS = ",;、"  # clause marks a trigger may be written with ("的时候,应该怎么", ",期间")
# what a resolution names as what came back (`resolved.subjects`: 网络, the internet) opens its
# clause, after a time word or an article at most, and stands right before it, an adverb or
# an auxiliary between: "網路已經恢復了", "but now the internet is back up"
_SUBJECT_LEAD = re.compile(
    r"[\W_]{0,4}(?:(?:现在|目前|后来|今天|而家|然后|and|but|now|then|later|today|also|the|our)"
    r"[\s,]{0,2}){0,3}"
)
_SUBJECT_GAP = re.compile(
    # a time it came back at may stand between too: "網路上週就修好了", "网络早就好了", and an
    # adverb of fact before it: "网络其实早就好了"
    r"\s{0,2}(?:其实|实际上|确实)?\s{0,2}(?:上周|上星期|上礼拜|昨天|昨晚|前天|今早|早上|刚才|刚刚|之前|早)?"
    r"\s{0,2}[已经现在也都就又终于总算目前而家]{0,4}\s{0,2}"
    r"|(?:\s{0,2}(?:is|are|was|were|has|have|been|now|all|finally|also|'s)\b){0,3}\s{0,2}"
)


def _sentence_starts(hits: Hits) -> list[int]:
    """Where each sentence of the text starts (0 and after every sentence end), found once per
    text: labels and resolutions both reach back to the start of their sentence."""
    starts: list[int] | None = hits.memo.get("sentences")  # type: ignore[assignment]
    if starts is None:
        starts = [0] + [m.end() for m in _SENTENCE.finditer(hits.text)]
        hits.memo["sentences"] = starts
    return starts


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
        res = spec.resolved
        self.resolved = [p.lower() for _, p in _phrases(res.after)]
        self.void_before = [
            Trigger(p.lower(), "history", False, res.void_window.get(lang, 0), has_latin(p))
            for lang, p in _phrases(res.void_before)
        ]
        self.recur = [p.lower() for _, p in _phrases(res.recur)]
        # the void words by phrase: a text asks only about those it has (_voided_resolution)
        self._void_by_phrase = {t.phrase: t for t in self.void_before}
        self.void_phrases = list(self._void_by_phrase)
        self.res_subjects = [p.lower() for _, p in _phrases(res.subjects)]
        self.res_means = [p.lower() for _, p in _phrases(res.means)]
        self.ask_openers = [p.lower() for _, p in _phrases(spec.asked.before)]
        self.ask_howto = [p.lower() for _, p in _phrases(spec.asked.after)]
        self.ask_stated = [p.lower() for _, p in _phrases(spec.asked.stated)]
        self.recall_openers = [p.lower() for _, p in _phrases(spec.recalled.before)]
        self.recall_asks = [p.lower() for _, p in _phrases(spec.recalled.after)]
        self.to_come = [p.lower() for _, p in _phrases(spec.to_come)]
        questions = spec.questions
        self.question_asks = [p.lower() for p in questions.asks.zh]
        # an English yes/no question opens with its auxiliary: "is the portal down?"
        self.question_leads = frozenset(p.lower() for p in questions.asks.en)
        self.question_reports = [p.lower() for _, p in _phrases(questions.reports)]
        self.question_asides = [p.lower() for _, p in _phrases(questions.asides)]
        self.question_topics = [p.lower() for _, p in _phrases(questions.topics)]
        # labels that open a sentence ("[resolved]", "feature request:"), with their scope
        self.label_scope: dict[str, str] = {}
        for name in ("history", "hypothetical"):
            for _, phrase in _phrases(getattr(spec.labels, name)):
                self.label_scope.setdefault(phrase.lower(), name)
        self.labels = list(self.label_scope)
        # a resolution is also a history trigger after a mention in its own clause
        # ("打印机卡纸已经修好了", "the duplicate invoice issue was sorted")
        known = {(t.phrase, t.scope, t.after) for t in self.triggers}
        for lang, phrase in _phrases(res.after):
            if (phrase.lower(), "history", True) not in known:
                window = spec.history.window.get(lang, 0)
                self.triggers.append(
                    Trigger(phrase.lower(), "history", True, window, has_latin(phrase))
                )
        # phrase → the triggers (by their place in the list) it is: a text's triggers are
        # found from its hits, not by testing every trigger against them
        self._by_phrase: dict[str, list[int]] = {}
        for i, trigger in enumerate(self.triggers):
            self._by_phrase.setdefault(trigger.phrase, []).append(i)
        # the same for the phrase lists _present asks about: phrase → (list, place in it)
        self._lists = {
            "contrast": self.contrast,
            "resolved": self.resolved,
            "recur": self.recur,
            "void_before": self.void_phrases,
            "res_subjects": self.res_subjects,
            "res_means": self.res_means,
            "pseudo": self.pseudo,
            "ask_openers": self.ask_openers,
            "ask_howto": self.ask_howto,
            "ask_stated": self.ask_stated,
            "recall_openers": self.recall_openers,
            "recall_asks": self.recall_asks,
            "to_come": self.to_come,
            "question_asks": self.question_asks,
            "question_reports": self.question_reports,
            "question_asides": self.question_asides,
            "question_topics": self.question_topics,
            "labels": self.labels,
        }
        self._in_lists: dict[str, list[tuple[str, int]]] = {}
        for key, listed in self._lists.items():
            for i, text in enumerate(listed):
                self._in_lists.setdefault(text, []).append((key, i))
        # both tables in one row per phrase: a text's literals are looked up once for the
        # triggers and every list (_index), not once per table
        self._rows: dict[str, tuple[list[int], list[tuple[str, int]]]] = {
            phrase: (self._by_phrase.get(phrase, []), self._in_lists.get(phrase, []))
            for phrase in {*self._by_phrase, *self._in_lists}
        }

    def literals(self) -> list[str]:
        """Every phrase the automaton must find for context decisions."""
        return [
            *(t.phrase for t in self.triggers),
            *self.pseudo,
            *self.contrast,
            *self.resolved,
            *(t.phrase for t in self.void_before),
            *self.recur,
            *self.res_subjects,
            *self.res_means,
            *self.ask_openers,
            *self.ask_howto,
            *self.ask_stated,
            *self.recall_openers,
            *self.recall_asks,
            *self.to_come,
            *self.question_asks,
            *self.question_reports,
            *self.question_asides,
            *self.question_topics,
            *self.labels,
        ]

    def decide(
        self,
        hits: Hits,
        clauses: ClauseIndex,
        start: int,
        end: int,
        combination: Combination | None = None,
        *,
        checked: bool = False,
    ) -> Decision | None:
        """The scope that takes the mention text[start:end] out of the present symptoms.

        A mention of a combination is also denied by a negation inside a gap between its
        parts, before the part it denies: "接口没有报错", "the ERP did not fail" (`checked`:
        the combination was found on the fast path, whose way of finding parts this uses).
        Nothing further than _REACH from the mention can decide it, so the decision is a
        function of that window: a text that repeats itself is decided once per distinct window.
        Only a label opening the sentence (_labelled) reaches further, to the sentence start.
        """
        text = hits.text
        lo = max(0, start - _REACH)
        source = combination.source if combination is not None else ""
        key = (start - lo, end - lo, text[lo : end + _REACH], source)
        memo: dict[tuple[int, int, str, str], Decision | None]
        memo = hits.memo.setdefault("decided", {})  # type: ignore[assignment]
        if key in memo:
            decision = memo[key]
        else:
            decision = self._decide(hits, clauses, start, end)
            if decision is None and combination is not None and len(combination.parts) > 1:
                decision = self._gap_negation(hits, combination, start, end, checked)
            if decision is None:
                decision = self._to_come(hits, start, end)
            if decision is None:
                decision = self._asked(hits, start, end)
            if decision is None:
                decision = self._aside_of(hits, start, end)
            if (
                decision is not None
                and decision.scope == "hypothetical"
                and self._stated(hits, end)
            ):
                decision = None
            memo[key] = decision
        # a label reaches back to the start of its sentence, beyond the window: not memoised
        return decision if decision is not None else self._labelled(hits, start)

    def _stated(self, hits: Hits, end: int) -> bool:
        """Whether the mention's sentence is a question and the sentence right after it, within
        _REACH, a statement that says the fault is here now: "请问打印机卡纸了应该怎么处理？
        现在完全打不了" asks what to do about a jam it has. An aside (先问问, no issue now) or a
        second question states nothing."""
        stated = self._present(hits, "ask_stated", self.ask_stated)
        if not stated:
            return False
        text = hits.text
        hi = min(len(text), end + _REACH)
        cut = _SENTENCE.search(text, end, hi)
        if cut is None or "?" not in cut.group():
            return False
        lo = cut.end()
        cut_after = _SENTENCE.search(text, lo, hi)
        if cut_after is not None:
            if "?" in cut_after.group():
                return False
            hi = cut_after.start()
        asides = self._present(hits, "question_asides", self.question_asides)
        if any(self._has_word(hits, p, lo, hi) for p in asides):
            return False
        return any(self._has_word(hits, p, lo, hi) for p in stated)

    def _gap_negation(
        self, hits: Hits, combination: Combination, start: int, end: int, checked: bool
    ) -> Decision | None:
        negations = [
            t
            for t in self._triggers_of(hits)
            if t.scope == "negation" and not t.after and _inside(hits.starts(t.phrase), start, end)
        ]
        if not negations:  # the usual case: no negation inside the mention at all
            return None
        bounds = _part_bounds(combination, hits, start, checked)
        voided = self._pseudo_spans(hits, start, end)
        for (_, gap_start), (next_start, _) in itertools.pairwise(bounds):
            for trigger in negations:
                found = hits.starts(trigger.phrase)
                size = len(trigger.phrase)
                i = bisect.bisect_left(found, gap_start)
                j = bisect.bisect_right(found, next_start - size)
                for pos in found[i:j][-8:]:
                    t_end = pos + size
                    if not _word_ok(hits.text, pos, t_end, trigger.latin):
                        continue
                    if any(s <= pos and t_end <= e + self._reach(trigger) for s, e in voided):
                        continue
                    if _near(hits.text[t_end:next_start], trigger):
                        return Decision(trigger.scope, trigger.phrase)
        return None

    def _to_come(self, hits: Hits, start: int, end: int) -> Decision | None:
        """A time still to come (`to_come`) that starts inside the mention, past its first
        character, between or over its parts: "证书快到期", "憑證下個月到期", "the certificate
        expires in 30 days" warn of what has not happened. One inside a pseudo-trigger is void
        ("session expiring in the middle of billing")."""
        phrases = self._present(hits, "to_come", self.to_come)
        if not phrases:  # the usual case
            return None
        text = hits.text
        voided: list[tuple[int, int]] | None = None
        for phrase in phrases:
            found = hits.starts(phrase)
            i = bisect.bisect_left(found, start + 1)
            for pos in found[i : i + 4]:
                t_end = pos + len(phrase)
                if pos >= end:
                    break
                if not _word_ok(text, pos, t_end, has_latin(phrase)):
                    continue
                if voided is None:
                    voided = self._pseudo_spans(hits, start, end + _REACH)
                if not any(s <= pos and t_end <= e for s, e in voided):
                    return Decision("hypothetical", phrase)
        return None

    def _asked(self, hits: Hits, start: int, end: int) -> Decision | None:
        """A question told across clauses, within _REACH of the mention: an opener (请问)
        before it and a how-to ask (应该怎么处理) after it, in the same sentence; or a past
        fault (上次, last month) and how to prevent it (这次要怎么预防, to prevent that from
        happening again), in its sentence or the next, with nothing saying it is back (又)."""
        asked = self._ask_pair(hits, start, end, "ask_openers", "ask_howto", recalled=False)
        if asked is None:
            asked = self._ask_pair(hits, start, end, "recall_openers", "recall_asks", recalled=True)
        return asked

    def _aside_of(self, hits: Hits, start: int, end: int) -> Decision | None:
        """A mention inside an aside that says nothing is wrong ("nothing broken", "no issue
        rn", "目前没问题"): the words deny it themselves."""
        for phrase in self._present(hits, "question_asides", self.question_asides):
            found = hits.starts(phrase)
            i = bisect.bisect_right(found, start) - 1
            if (
                i >= 0
                and end <= found[i] + len(phrase)
                and _word_ok(hits.text, found[i], found[i] + len(phrase), has_latin(phrase))
            ):
                return Decision("negation", phrase)
        return None

    def _labelled(self, hits: Hits, start: int) -> Decision | None:
        """A label that opens the mention's sentence, however long: "[RESOLVED]
        invoice-api latency high", "Feature request: bulk cancel, one by one takes forever",
        "维护通知：下周二凌晨升级，届时暂停上传" report nothing in that sentence."""
        labels = self._present(hits, "labels", self.labels)
        if not labels:
            return None
        text = hits.text
        # the start of the mention's sentence, however long it is: a label covers all of it
        # ("Feature request: …, because at month end …, the portal is slow"); each mention
        # costs a bisection
        starts = _sentence_starts(hits)
        lo = starts[bisect.bisect_right(starts, start) - 1]
        lead = _LABEL_LEAD.match(text, lo, start)
        first = lead.end() if lead is not None else lo
        for phrase in labels:
            found = hits.starts(phrase)
            i = bisect.bisect_left(found, lo)
            # (the name may be part of the mention: 加值中心 is the provider that posts)
            named = phrase[-1] == ":"
            limit = max(first, lo + _LABEL_NAMED) if named else first
            if i < len(found) and found[i] <= limit and (named or found[i] <= start):
                pos = found[i]
                t_end = pos + len(phrase)
                if not _word_ok(text, pos, t_end, has_latin(phrase)):
                    continue
                # a label is set off as one: "Feature request: …", not "feature request aside, …"
                if phrase[-1] not in ":]】" and _LABEL_END.match(text, t_end) is None:
                    continue
                # "Cleared: the jam, and it jams again": back in its sentence, it is present
                if not self._back(hits, t_end):
                    return Decision(self.label_scope[phrase], phrase)
        return None

    def _ask_pair(
        self, hits: Hits, start: int, end: int, before: str, after: str, *, recalled: bool
    ) -> Decision | None:
        openers = self._present(hits, before, self._lists[before])
        if not openers:
            return None
        howto = self._present(hits, after, self._lists[after])
        if not howto:
            return None
        text = hits.text
        lo, hi = max(0, start - _REACH), min(len(text), end + _REACH)
        # the sentence around the mention (and for a recalled fault the next one): nothing
        # of another sentence counts
        for cut in _SENTENCE.finditer(text, lo, start):
            lo = cut.end()
        cut_after = _SENTENCE.search(text, end, hi)
        if cut_after is not None and recalled:
            cut_after = _SENTENCE.search(text, cut_after.end(), hi)
        if cut_after is not None:
            hi = cut_after.start()
        if not any(self._has_word(hits, p, lo, start - len(p) + 1) for p in openers):
            return None
        for phrase in howto:
            found = hits.starts(phrase)
            i = bisect.bisect_left(found, end)
            while i < len(found) and found[i] + len(phrase) <= hi:
                pos = found[i]
                i += 1
                if not _word_ok(text, pos, pos + len(phrase), has_latin(phrase)):
                    continue
                # "上次卡纸，这次又卡了，怎么预防" reports the jam again: it is back
                if recalled and any(
                    self._has_word(hits, r, lo, pos)
                    for r in self._present(hits, "recur", self.recur)
                ):
                    return None
                return Decision("hypothetical", phrase)
        return None

    @staticmethod
    def _has_word(hits: Hits, phrase: str, lo: int, hi: int) -> bool:
        """Whether `phrase` starts in [lo, hi), as whole words when it is English."""
        found = hits.starts(phrase)
        latin = has_latin(phrase)
        i = bisect.bisect_left(found, lo)
        for pos in found[i : i + 8]:
            if pos >= hi:
                return False
            if _word_ok(hits.text, pos, pos + len(phrase), latin):
                return True
        return False

    def questions(self, hits: Hits, clauses: ClauseIndex) -> list[tuple[int, int, str]]:
        """The yes/no question clauses of the text (start, end, what marks them), those that
        ask whether something is so ("客户的邮箱停用了吗？", "is the IRP portal down?") and
        say nothing that makes them a report (为什么一直, why does it keep, anyone else)."""
        text = hits.text
        if "?" not in text:
            return []
        asks = self._present(hits, "question_asks", self.question_asks)
        reports = self._present(hits, "question_reports", self.question_reports)
        topics = self._present(hits, "question_topics", self.question_topics)
        out: list[tuple[int, int, str]] = []
        # bounded: at most 32 question marks are looked at, each clause costs a few bisections
        for mark in itertools.islice(_QUESTION.finditer(text), 32):
            q = mark.start()
            if q == 0:
                continue
            k = clauses(q - 1)
            lo = clauses.bounds(k, len(text))[0]
            for gap in _HAN_SPACE.finditer(text, lo, q):  # bounded by the clause
                lo = gap.end()
            # the clause before only names what is asked about: "…那兩天開的票，…會順延嗎？"
            if (
                topics
                and k > 0
                and lo > 0
                and text[lo - 1] in ",、"
                and text.endswith(tuple(topics), 0, lo - 1)
            ):
                lo = clauses.bounds(k - 1, len(text))[0]
            marker = next((p for p in asks if self._has_word(hits, p, lo, q)), None)
            if marker is None:
                lead = _LEAD.match(text, lo, q)
                if lead is not None:
                    words = (lead.group(1), f"{lead.group(1)} {lead.group(2)}")
                    marker = next((w for w in words if w in self.question_leads), None)
            if marker is None or any(self._has_word(hits, r, lo, q) for r in reports):
                continue
            out.append((lo, q, marker))
        if out:
            out = sorted({*out, *self._aside_sentences(hits)})
        return out

    def _aside_sentences(self, hits: Hits) -> list[tuple[int, int, str]]:
        """Sentences without a question that only say the caller asks ahead ("先问问",
        "Planning our month-end run."), as (start, end, ""): `asked_only` counts them as asking,
        though a mention inside one is told, not asked."""
        text = hits.text
        found = sorted(
            pos
            for phrase in self._present(hits, "question_asides", self.question_asides)
            for pos in hits.starts(phrase)[:8]
            if _word_ok(text, pos, pos + len(phrase), has_latin(phrase))
        )
        out: set[tuple[int, int, str]] = set()
        for pos in found[:16]:
            lo = 0
            for cut in _SENTENCE.finditer(text, max(0, pos - _REACH), pos):
                lo = cut.end()
            if lo == 0 and pos > _REACH:
                continue  # a sentence longer than any aside: it says more than that
            cut_after = _SENTENCE.search(text, pos, min(len(text), pos + _REACH))
            hi = cut_after.start() if cut_after is not None else len(text)
            if hi - pos > _REACH or (cut_after is not None and "?" in cut_after.group()):
                continue  # says more than an aside, or a question of its own: `questions` reads it
            # every clause of the sentence asks ahead: "我还没开始开票，先问问"; one that says
            # more ("先问问，我们这边上传全部失败") makes the sentence a statement
            pieces = [
                m.span() for m in _CLAUSE_PIECE.finditer(text, lo, hi) if _WORDS.search(m.group())
            ]
            if all(_inside(found, a, b) for a, b in pieces):
                out.add((lo, hi, ""))
        return sorted(out)

    @staticmethod
    def asked_only(
        text: str, asks: list[tuple[int, int, str]], spans: list[tuple[int, int]]
    ) -> str | None:
        """The marker of the yes/no questions (`questions`) when every mention `spans` lies in
        one and every sentence of the text with words in it holds one: then the ticket only
        asks. A mention or a sentence told outside them makes it a report, the questions
        included ("发票额度用完了吗？一直提示超限开不了", "Is the IRP down? All fail with 504")."""
        starts = [lo for lo, _, _ in asks]
        marker = None
        for start, end in spans:
            i = bisect.bisect_right(starts, start) - 1
            if i < 0 or end > asks[i][1] or not asks[i][2]:
                return None  # told outside the questions, or in an aside sentence
            marker = marker or asks[i][2]
        lo = 0
        for cut in itertools.chain(_SENTENCE.finditer(text), (None,)):
            hi = cut.start() if cut is not None else len(text)
            i = bisect.bisect_left(starts, lo)
            if (i == len(starts) or starts[i] >= hi) and _WORDS.search(text, lo, hi):
                follow_up = (
                    i > 0
                    and len(text[lo:hi].strip()) <= _FOLLOW_UP_LEN
                    and _FOLLOW_UP.search(text, lo, hi) is not None
                )
                if not follow_up:
                    return None  # a sentence that asks nothing: a statement
            lo = cut.end() if cut is not None else hi
        return marker

    def _triggers_of(self, hits: Hits) -> list[Trigger]:
        """The triggers this text has at all, computed once per text."""
        present = hits.memo.get("triggers")
        if present is None:
            self._index(hits)
            present = hits.memo["triggers"]
        return present  # type: ignore[return-value]

    def _index(self, hits: Hits) -> None:
        """The triggers the text has (memo "triggers") and, for every phrase list the text has
        phrases of, those phrases in the list's order (memo by the list's key; a list with
        none has no entry, see `_present`): the text's literals (a few dozen) met with the
        context's phrases in one set intersection, in C, and only the few that are context
        phrases looked up, rather than one pass per table."""
        rows = self._rows
        found_at: list[int] = []
        places: dict[str, list[int]] = {}
        for lit in hits.by_literal.keys() & rows.keys():
            triggers, in_lists = rows[lit]
            found_at += triggers
            for name, i in in_lists:
                where = places.get(name)
                if where is None:
                    places[name] = [i]
                else:
                    where.append(i)
        found_at.sort()  # the set's order is none: triggers and phrases go by their lists
        memo = hits.memo
        memo["triggers"] = [self.triggers[i] for i in found_at]
        lists = self._lists
        for name, where in places.items():
            listed = lists[name]
            memo[name] = (
                [listed[i] for i in sorted(where)] if len(where) > 1 else [listed[where[0]]]
            )

    def has_resolution(self, hits: Hits) -> bool:
        """Whether the text has any resolution word ("已经好了", "fixed now") at all."""
        return bool(self._present(hits, "resolved", self.resolved))

    def resolved_spans(
        self, hits: Hits, clauses: ClauseIndex, mentions: list[tuple[int, int]]
    ) -> list[tuple[int, int, str]]:
        """Stretches (start, end, resolution), sorted and disjoint, that a later resolution
        takes back.

        A resolution reaches back to the start of its sentence, across clauses and contrasts
        ("上周00305被拒，改了税号已经好了", "printer was jammed but it's fixed now"), when its own
        clause names no problem before it (`mentions`: every mention and code, by start) —
        "开票软件打不开，打印机卡纸已经修好了" resolves the jam only, in its own clause — and
        when it is not denied or hoped for (还没好, not fixed yet) and the problem does not
        come back after it (又不行了, still failing).
        """
        text = hits.text
        phrases = self._present(hits, "resolved", self.resolved)
        if not phrases:
            return []
        sentences = ClauseIndex(_sentence_starts(hits))
        mention_starts = sorted(s for s, _ in mentions)
        recur = self._present(hits, "recur", self.recur)
        # each resolution costs a few bisections: a text repeating "fixed now" stays linear
        found = sorted(
            (pos, phrase)
            for phrase in phrases
            for pos in hits.starts(phrase)
            if _word_ok(text, pos, pos + len(phrase), has_latin(phrase))
        )
        out: list[tuple[int, int, str]] = []
        means = self._present(hits, "res_means", self.res_means)
        for pos, phrase in found:
            s_lo, s_hi = sentences.bounds(sentences(pos), len(text))
            c_lo, c_hi = clauses.bounds(clauses(pos), len(text))
            c_lo = _han_clause(text, self._after_contrast(hits, max(c_lo, s_lo), pos), pos)
            if self._voided_resolution(hits, pos, max(s_lo, pos - _REACH)):
                continue
            t_end = pos + len(phrase)
            # inside a pseudo-trigger it resolves nothing: "cleared by zatca" is an invoice
            # the clearance platform accepted, no fix
            if any(s <= pos and t_end <= e for s, e in self._pseudo_spans(hits, pos - 32, pos + 1)):
                continue
            if any(_inside(hits.starts(r), t_end, s_hi) for r in recur):
                continue
            # a problem named in its own clause before it: the resolution is about that one,
            # however far back in the clause ("上周停电导致开票中断的问题已经解决"), the mention
            # ending or starting in the resolution's words too ("the upload errors are gone",
            # "jam gone")
            k = bisect.bisect_left(mention_starts, c_lo)
            if k < len(mention_starts) and mention_starts[k] < t_end:
                lo, hi = max(c_lo, pos - _REACH), t_end
            elif self._subject_before(hits, c_lo, pos, s_lo):
                # what came back is named, and it is none of the faults before: "離線開票時間
                # 超限 開不了票 網路已經恢復了" reports the lock, the network is what is back
                lo, hi = c_lo, c_lo
            else:
                lo, hi = max(s_lo, c_lo - 4 * _REACH), c_lo
            # what fixed it, told after it in its clause, is past too: "… gone after the patch"
            if any(self._has_word(hits, m, t_end, t_end + 2) for m in means):
                hi = max(hi, min(c_hi, s_hi, t_end + _REACH))
                lo = min(lo, t_end) if lo >= hi else lo
            if lo >= hi:
                continue
            if out and lo <= out[-1][1]:  # overlapping stretches merge: sorted, disjoint
                out[-1] = (min(out[-1][0], lo), max(out[-1][1], hi), out[-1][2])
            else:
                out.append((lo, hi, phrase))
        return out

    def _subject_before(self, hits: Hits, lo: int, pos: int, s_lo: int) -> bool:
        """Whether what the resolution at `pos` says came back (`resolved.subjects`) opens
        text[lo:pos] and stands right before it, not named earlier in its sentence (from
        `s_lo`): "網路已經恢復了" is about the network only; "网络断了，网络已经恢复了" is
        about the outage."""
        text = hits.text
        for phrase in self._present(hits, "res_subjects", self.res_subjects):
            found = hits.starts(phrase)
            size = len(phrase)
            i = bisect.bisect_left(found, lo)
            for p in found[i : i + 4]:
                if p + size > pos:
                    break
                if not _word_ok(text, p, p + size, has_latin(phrase)):
                    continue
                if (
                    _SUBJECT_GAP.fullmatch(text, p + size, pos) is not None
                    and _SUBJECT_LEAD.fullmatch(text, lo, p) is not None
                    and not self._has_word(hits, phrase, s_lo, lo)
                ):
                    return True
        return False

    def _after_contrast(self, hits: Hits, lo: int, pos: int) -> int:
        """Where the part of a clause that holds `pos` begins: after its last contrast."""
        for phrase in self._present(hits, "contrast", self.contrast):
            found = hits.starts(phrase)
            size = len(phrase)
            i = bisect.bisect_right(found, pos - size)
            for p in found[max(0, i - 4) : i]:
                if p >= lo and _word_ok(hits.text, p, p + size, has_latin(phrase)):
                    lo = max(lo, p + size)
        return lo

    def _voided_resolution(self, hits: Hits, pos: int, lo: int) -> bool:
        for phrase in self._present(hits, "void_before", self.void_phrases):
            trigger = self._void_by_phrase[phrase]
            found = hits.starts(phrase)
            size = len(trigger.phrase)
            i = bisect.bisect_left(found, lo)
            j = bisect.bisect_right(found, pos - size)
            for p in found[i:j][-4:]:
                gap = hits.text[p + size : pos]
                # a denial in the clause before is no denial of it: "开不了票，我们没受影响"
                if (
                    _word_ok(hits.text, p, p + size, trigger.latin)
                    and _near(gap, trigger)
                    and (trigger.latin or not any(c in gap for c in ",;、"))
                ):
                    return True
        return False

    def _decide(self, hits: Hits, clauses: ClauseIndex, start: int, end: int) -> Decision | None:
        triggers = self._triggers_of(hits)
        if not triggers:  # contrasts and pseudo-triggers only bound triggers: none, no scope
            return None
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
        for trigger in triggers:
            size = len(trigger.phrase)
            found = hits.starts(trigger.phrase)
            if not found:
                continue
            if trigger.after:
                window = range(bisect.bisect_left(found, end), bisect.bisect_left(found, near_hi))
            else:
                # a before trigger written with the clause mark that opens the mention's
                # clause (",期间") starts on that mark, just before the clause
                first = near_lo - 1 if trigger.phrase[:1] in _MARKS else near_lo
                window = range(
                    bisect.bisect_left(found, first), bisect.bisect_right(found, start - size)
                )
            # nearest first; further ones are outside the window anyway
            order = list(window)[-8:] if not trigger.after else list(window)[:8]
            for k in order:
                pos = found[k]
                t_end = pos + size
                # an after trigger need only start in the clause: one written across a
                # clause mark ("的时候,应该怎么") reaches into the next clause by its own words
                if (pos >= near_hi if trigger.after else t_end > near_hi) or (
                    pos < end and t_end > start
                ):
                    continue
                if not _word_ok(text, pos, t_end, trigger.latin):
                    continue
                if any(s <= pos and t_end <= e + self._reach(trigger) for s, e in voided):
                    continue
                gap = text[end:pos] if trigger.after else text[t_end:start]
                if not _near(gap, trigger):
                    continue
                # a past or fixed state that is denied or asked is none: 还没解决, not resolved;
                # nor one said of something else named before it, in a clause of its own
                # ("開不了票 網路已經恢復了": the network is back, the fault is not gone)
                if (
                    trigger.scope == "history"
                    and trigger.after
                    and (
                        self._voided_resolution(hits, pos, max(end, pos - _REACH))
                        or _han_clause(text, end, pos) > end
                        or self._subject_before(hits, end, pos, self._sentence_of(hits, start))
                        # fixed, and back later in its sentence: "卡纸修好了，但是又卡了"
                        or self._back(hits, t_end)
                    )
                ):
                    continue
                # a past fault that is back in its sentence is present: 之前也出现过卡纸，今天又卡了
                if trigger.scope == "history" and not trigger.after and self._back(hits, end):
                    continue
                return Decision(trigger.scope, trigger.phrase)
        return None

    @staticmethod
    def _sentence_of(hits: Hits, pos: int) -> int:
        """Where the sentence holding `pos` starts."""
        starts = _sentence_starts(hits)
        return starts[bisect.bisect_right(starts, pos) - 1]

    def _back(self, hits: Hits, end: int) -> bool:
        """Whether a recurrence word (又, again, still) follows `end` in its sentence."""
        text = hits.text
        cut = _SENTENCE.search(text, end, min(len(text), end + _REACH))
        hi = cut.start() if cut is not None else min(len(text), end + _REACH)
        for phrase in self._present(hits, "recur", self.recur):
            if phrase in self.question_asks:  # 吗, 了没 ask whether it is back: not a report
                continue
            found = hits.starts(phrase)
            i = bisect.bisect_left(found, end)
            for pos in found[i : i + 4]:
                if pos >= hi:
                    break
                if _word_ok(text, pos, pos + len(phrase), has_latin(phrase)):
                    return True
        return False

    def _present(self, hits: Hits, key: str, phrases: list[str]) -> list[str]:
        """The phrases of `phrases` that occur in the text (in their order), computed once per
        text: for every list at once, from the text's literals (a few dozen) rather than by
        asking for each phrase of every list (a few hundred)."""
        memo = hits.memo
        found = memo.get(key)
        if found is None:
            if self._lists.get(key) is not phrases:  # a list of no key: ask phrase by phrase
                return [p for p in phrases if hits.has(p)]
            if "triggers" not in memo:  # not indexed yet
                self._index(hits)
                found = memo.get(key)
            if found is None:  # indexed: the text has none of the list's phrases
                return []
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


def _han_clause(text: str, lo: int, pos: int) -> int:
    """Where the clause holding `pos` starts when a space between two hanzi is a clause mark,
    as people type in LINE or WeChat ("離線開票時間超限 開不了票 網路已經恢復了"): after the
    last such space in text[lo:pos], looked for within the usual reach."""
    for gap in _HAN_SPACE.finditer(text, max(lo, pos - 4 * _REACH), pos):
        lo = gap.end()
    return lo


def _inside(found: list[int], lo: int, hi: int) -> bool:
    """Whether a sorted list of positions has one in [lo, hi)."""
    i = bisect.bisect_left(found, lo)
    return i < len(found) and found[i] < hi


def _part_bounds(
    combination: Combination, hits: Hits, start: int, checked: bool
) -> list[tuple[int, int]]:
    """The (start, end) of each part of the combination's match that starts at `start`, found
    as combination_spans finds them: each part the first match after the one before.

    `checked`: the mention was found on the fast path, so the parts are found as it finds
    them (`part_spans_fast`: from the hits, most parts without compiling their regex, which
    the first mention of a part in a process would otherwise pay, about 0.1 ms a part); else
    by the plain `part_spans`. The first part's match at `start` is one of its spans, as the
    regex anchored there finds it; a `start` that opens none is matched by the regex."""
    spans_of = part_spans_fast if checked else part_spans
    firsts = spans_of(combination.parts[0], hits)
    i = bisect.bisect_left(firsts, (start, -1))
    if i < len(firsts) and firsts[i][0] == start:
        bounds = [firsts[i]]
    else:
        first = combination.parts[0]._regex.match(hits.text, start)  # type: ignore[attr-defined]
        if first is None:
            return []
        bounds = [first.span()]
    for part in combination.parts[1:]:
        nexts = spans_of(part, hits)
        j = bisect.bisect_left([s for s, _ in nexts], bounds[-1][1])
        if j == len(nexts):
            break
        bounds.append(nexts[j])
    return bounds


def _near(gap: str, trigger: Trigger) -> bool:
    """Whether the text between trigger and mention is within the trigger's window."""
    if trigger.latin:
        if len(gap) > 12 * (trigger.window + 1) or not _EN_GAP.fullmatch(gap):
            return False
        return len(gap.split()) <= trigger.window
    return len(gap.strip()) <= trigger.window

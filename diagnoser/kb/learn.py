"""What a knowledge base should learn next: the clauses a batch run did not understand, grouped.

Each group is keyed by its most telling word (jieba segments Chinese; English is split on
letters), counted, shown with examples, and given a proposed entry to paste into knowledge/:
a term class for the word, and a `match` combination with the word most often written with it.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import MAX_LINE, LineReadError, bounded_lines
from .._text import CJK as _CJK
from ..errors import DiagnoserError

_EN_WORD = re.compile(r"[a-z][a-z'-]{2,}")
_STOP_EN = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "our",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "this",
        "that",
        "from",
        "but",
        "not",
        "can",
        "cannot",
        "can't",
        "when",
        "what",
        "which",
        "who",
        "will",
        "would",
        "could",
        "should",
        "there",
        "their",
        "they",
        "them",
        "then",
        "than",
        "into",
        "onto",
        "its",
        "it's",
        "been",
        "being",
        "also",
        "just",
        "only",
        "very",
        "any",
        "all",
        "some",
        "more",
        "most",
        "such",
        "please",
        "thanks",
    ]
)
_STOP_ZH = frozenset(
    [
        "我们",
        "你们",
        "他们",
        "一下",
        "一直",
        "现在",
        "今天",
        "昨天",
        "这个",
        "那个",
        "怎么",
        "什么",
        "为什么",
        "可以",
        "没有",
        "已经",
        "还是",
        "就是",
        "但是",
        "然后",
        "所以",
        "因为",
        "如果",
        "请问",
        "还有",
        "一个",
        "这样",
        "那样",
        "时候",
        "问题",
        "我",
        "你",
        "他",
        "的",
        "了",
        "是",
        "在",
        "也",
        "都",
        "就",
        "吗",
        "呢",
        "吧",
        "啊",
    ]
)
MAX_CLAUSE = 200  # characters of a clause kept for grouping; the rest says nothing new
MAX_DISTINCT = 100_000  # distinct clauses grouped; beyond, new ones are only counted


class LearnError(DiagnoserError):
    """A results file that cannot be read (names the file and line)."""


@dataclass
class Group:
    """Clauses that share their most telling word."""

    key: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    neighbours: Counter[str] = field(default_factory=Counter)

    def proposal(self) -> dict[str, Any]:
        """A term entry and a symptom `match` combination to paste into knowledge/."""
        lang = "zh" if _CJK.search(self.key) else "en"
        name = _slug(self.key)
        term = {"terms": {name: {lang: [self.key]}}}
        partner = self.neighbours.most_common(1)
        combination = f"@{name} ... {partner[0][0]}" if partner else f"@{name}"
        return {"term": term, "match": [combination]}

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "key": self.key,
            "count": self.count,
            "examples": self.examples,
            "proposal": self.proposal(),
        }


def _slug(word: str) -> str:
    ascii_part = re.sub(r"[^a-z0-9]+", "_", word.lower()).strip("_")
    if ascii_part and ascii_part[0].isalpha():
        return ascii_part
    return "term_" + "_".join(f"{ord(c):x}" for c in word[:4])


def _tokenizer() -> Any:
    try:
        import jieba
    except ImportError:  # pragma: no cover - the extra is installed with the tests
        raise LearnError(
            "kb learn segments Chinese with jieba: pip install 'diagnoser[learn]'"
        ) from None
    jieba.setLogLevel(logging.WARNING)
    return jieba


def words(clause: str, jieba: Any) -> list[str]:
    """The content words of a clause: jieba's words for Chinese, letter runs for English."""
    text = clause[:MAX_CLAUSE].lower()
    out: list[str] = []
    if _CJK.search(text):
        for token in jieba.lcut(text):
            token = token.strip()
            if len(token) >= 2 and _CJK.search(token) and token not in _STOP_ZH:
                out.append(token)
    out += [w for w in _EN_WORD.findall(text) if w not in _STOP_EN]
    return list(dict.fromkeys(out))


def unrecognised_clauses(path: Path) -> Iterator[str]:
    """The unrecognised text clauses of a `diagnoser batch` results file (JSONL).

    Raises LearnError naming the file (and line) for a file that cannot be read, a line that
    is not UTF-8, not JSON, not an object, or longer than MAX_LINE bytes."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise LearnError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        lines = bounded_lines(handle, MAX_LINE)
        while True:
            try:
                n, raw = next(lines)
            except StopIteration:
                return
            except LineReadError as exc:
                raise LearnError(f"{path}:{exc.line}: cannot read: {exc.strerror}") from None
            if raw is None:
                raise LearnError(f"{path}:{n}: a line longer than {MAX_LINE:,} bytes")
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                why = f"{exc.reason} at byte {exc.start}"
                raise LearnError(f"{path}:{n}: not UTF-8 ({why})") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LearnError(f"{path}:{n}: not JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise LearnError(f"{path}:{n}: not a batch record (a JSON object)")
            for item in record.get("unrecognised") or ():
                if isinstance(item, dict) and item.get("kind") == "text" and item.get("value"):
                    yield str(item["value"])


class Learning(list[Group]):
    """The largest groups, largest first; `ungrouped` counts the clauses that came after
    MAX_DISTINCT distinct ones and were counted without being grouped."""

    ungrouped: int = 0


def learn(
    clauses: Iterable[str], top: int = 20, examples: int = 3, max_distinct: int | None = None
) -> Learning:
    """Group clauses by their most frequent content word; the `top` largest groups.

    Memory stays bounded whatever the input: a clause is kept to its first MAX_CLAUSE
    characters, and at most `max_distinct` (MAX_DISTINCT) distinct clauses are grouped (a
    clause seen before is still counted; a new one beyond the bound goes to `ungrouped`)."""
    bound = MAX_DISTINCT if max_distinct is None else max_distinct
    jieba = _tokenizer()
    tokenised = []
    frequency: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    ungrouped = 0
    for clause in clauses:
        clause = clause[:MAX_CLAUSE]
        if clause in seen:
            seen[clause] += 1
            continue
        if len(seen) >= bound:
            ungrouped += 1
            continue
        seen[clause] = 1
        toks = words(clause, jieba)
        if toks:
            tokenised.append((clause, toks))
            frequency.update(toks)
    groups: dict[str, Group] = {}
    for clause, toks in tokenised:
        key = max(toks, key=lambda t: (frequency[t], len(t)))
        group = groups.setdefault(key, Group(key))
        group.count += seen[clause]
        if len(group.examples) < examples:
            group.examples.append(clause)
        group.neighbours.update(t for t in toks if t != key)
    out = Learning(sorted(groups.values(), key=lambda g: (-g.count, g.key))[:top])
    out.ungrouped = ungrouped
    return out


def format_text(groups: list[Group]) -> str:
    """Per group: its count, examples and the entries to paste."""
    import yaml

    lines: list[str] = []
    for g in groups:
        lines.append(f"{g.count:>6}  {g.key}")
        lines.extend(f"        e.g. {json.dumps(e, ensure_ascii=False)}" for e in g.examples)
        proposal = g.proposal()
        term = yaml.safe_dump(proposal["term"], allow_unicode=True, default_flow_style=None)
        lines.append("        knowledge/vocabulary/terms.yaml:")
        lines.extend("          " + row for row in term.strip().splitlines()[1:])
        lines.append(
            f"        a symptom's match: {json.dumps(proposal['match'], ensure_ascii=False)}"
        )
        lines.append("")
    return "\n".join(lines)

"""Accuracy of a knowledge base on labelled tickets: top-1 / top-3, per fault, confusion."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnoser import Diagnoser
from .errors import DiagnoserError

NONE = "(none)"


@dataclass(frozen=True)
class Miss:
    """A ticket whose top diagnosis differs from its label."""

    id: str
    expected: tuple[str, ...]
    got: tuple[str, ...]


@dataclass
class Evaluation:
    """Counts over a labelled set; fractions are computed on demand."""

    total: int = 0
    top1_category: int = 0
    top1_fault: int = 0
    top3_fault: int = 0
    per_fault: dict[str, Counter[str]] = field(default_factory=dict)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[Miss] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def rate(self, hits: int, total: int | None = None) -> float:
        """hits / total (0 when there is nothing to count)."""
        total = self.total if total is None else total
        return hits / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "tickets": self.total,
            "top1_category_accuracy": round(self.rate(self.top1_category), 4),
            "top1_fault_accuracy": round(self.rate(self.top1_fault), 4),
            "top3_fault_accuracy": round(self.rate(self.top3_fault), 4),
            "per_fault": {
                fid: {
                    "tickets": c["n"],
                    "top1": round(self.rate(c["top1"], c["n"]), 4),
                    "top3": round(self.rate(c["top3"], c["n"]), 4),
                }
                for fid, c in sorted(self.per_fault.items())
            },
            "confusion": [
                {"expected": e, "got": g, "count": n}
                for (e, g), n in sorted(self.confusion.items())
            ],
            "misses": [m.__dict__ for m in self.misses],
            "errors": self.errors,
        }


def read_labelled(path: Path) -> Iterator[tuple[str, dict[str, Any] | None, str]]:
    """(where, record, error) for each record of a JSONL file or a JSON array."""
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            yield f"{path}:{exc.lineno}", None, f"invalid JSON: {exc.msg}"
            return
        for i, record in enumerate(records, 1):
            yield f"{path}[{i}]", record, ""
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"{path}:{number}", json.loads(line), ""
        except json.JSONDecodeError as exc:
            yield f"{path}:{number}", None, f"invalid JSON: {exc.msg}"


def _labels(record: dict[str, Any], label_field: str) -> tuple[str, ...]:
    value = record.get(label_field)
    if isinstance(value, str):
        value = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"no label: {label_field!r} must be a fault id or a list of fault ids")
    return tuple(value)


def evaluate(
    diagnoser: Diagnoser,
    records: Iterable[tuple[str, dict[str, Any] | None, str]],
    label_field: str = "expected",
) -> Evaluation:
    """Diagnose each labelled record and compare with its first label (the root cause)."""
    result = Evaluation()
    for where, record, error in records:
        if record is None or not isinstance(record, dict):
            result.errors.append(f"{where}: {error or 'a ticket must be a JSON object'}")
            continue
        try:
            labels = _labels(record, label_field)
            unknown = [fid for fid in labels if fid not in diagnoser.kb.faults]
            if unknown:
                raise ValueError(f"unknown fault id(s) in the label: {', '.join(unknown)}")
            ticket = {k: v for k, v in record.items() if k != label_field}
            got = diagnoser.diagnose(ticket)
        except (ValueError, DiagnoserError) as exc:
            result.errors.append(f"{where}: {exc}")
            continue
        expected = labels[0]
        ranked = tuple(d.fault_id for d in got.diagnoses)
        top = ranked[0] if ranked else NONE
        expected_category = expected.split(".", 1)[0]
        got_category = top.split(".", 1)[0] if ranked else NONE
        counts = result.per_fault.setdefault(expected, Counter())
        result.total += 1
        counts["n"] += 1
        result.confusion[(expected_category, got_category)] += 1
        if got_category == expected_category:
            result.top1_category += 1
        if top == expected:
            result.top1_fault += 1
            counts["top1"] += 1
        else:
            result.misses.append(Miss(str(record.get("id", where)), labels, ranked[:3]))
        if expected in ranked[:3]:
            result.top3_fault += 1
            counts["top3"] += 1
    return result


def format_text(ev: Evaluation, show_misses: bool = True) -> str:
    """A plain-text report: headline figures, per-fault table, confusion matrix, misses."""
    lines = [
        f"tickets evaluated:      {ev.total}",
        f"top-1 category accuracy: {ev.rate(ev.top1_category):.1%}",
        f"top-1 fault accuracy:    {ev.rate(ev.top1_fault):.1%}",
        f"top-3 fault accuracy:    {ev.rate(ev.top3_fault):.1%}",
        "",
        f"{'fault':38} {'n':>4} {'top-1':>7} {'top-3':>7}",
    ]
    for fid, c in sorted(ev.per_fault.items()):
        lines.append(
            f"{fid:38} {c['n']:>4} {ev.rate(c['top1'], c['n']):>7.0%} "
            f"{ev.rate(c['top3'], c['n']):>7.0%}"
        )
    rows = sorted({e for e, _ in ev.confusion})
    cols = [*sorted(set(rows) | {g for _, g in ev.confusion if g != NONE}), NONE]
    width = max([len(c) for c in rows] + [9])
    lines += ["", "confusion (rows: expected category, columns: top-1 category)"]
    lines.append(" " * width + "".join(f" {c[:9]:>9}" for c in cols))
    for e in rows:
        row = "".join(f" {ev.confusion.get((e, g), 0) or '.':>9}" for g in cols)
        lines.append(f"{e:{width}}{row}")
    if show_misses and ev.misses:
        lines += ["", "disagreements (expected → top 3):"]
        lines += [
            f"  {m.id}: {', '.join(m.expected)} → {', '.join(m.got) or NONE}" for m in ev.misses
        ]
    if ev.errors:
        lines += ["", f"{len(ev.errors)} record(s) could not be evaluated:"]
        lines += [f"  {e}" for e in ev.errors]
    return "\n".join(lines) + "\n"

"""Accuracy of a knowledge base on labelled tickets: top-1 / top-3 per fault and per category,
a confusion matrix of categories, and the tickets where the diagnosis disagreed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..result import SCHEMA_VERSION

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
    per_category: dict[str, Counter[str]] = field(default_factory=dict)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[Miss] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unlabelled: int = 0  # tickets without a label: left out of every figure

    def rate(self, hits: int, total: int | None = None) -> float:
        """hits / total (0 when there is nothing to count)."""
        total = self.total if total is None else total
        return hits / total if total else 0.0

    def add(
        self, ticket_id: str, labels: tuple[str, ...], diagnoses: Iterable[Mapping[str, Any]]
    ) -> None:
        """Count one labelled ticket against its ranked diagnoses (fault_id, category).

        No labels means: this ticket is not a fault and must get no diagnosis."""
        expected = labels[0] if labels else NONE
        ranked = tuple(str(d["fault_id"]) for d in diagnoses)
        top = ranked[0] if ranked else NONE
        expected_category = expected.split(".", 1)[0]
        got_category = top.split(".", 1)[0] if ranked else NONE
        counts = self.per_fault.setdefault(expected, Counter())
        by_category = self.per_category.setdefault(expected_category, Counter())
        self.total += 1
        counts["n"] += 1
        by_category["n"] += 1
        self.confusion[(expected_category, got_category)] += 1
        if got_category == expected_category:
            self.top1_category += 1
            by_category["category"] += 1
        if top == expected:
            self.top1_fault += 1
            counts["top1"] += 1
            by_category["top1"] += 1
        else:
            self.misses.append(Miss(ticket_id, labels, ranked[:3]))
        if expected in ranked[:3] or (expected == NONE and not ranked):
            self.top3_fault += 1
            counts["top3"] += 1
            by_category["top3"] += 1

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tickets": self.total,
            "unlabelled": self.unlabelled,
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
            "per_category": {
                cat: {
                    "tickets": c["n"],
                    "top1_category": round(self.rate(c["category"], c["n"]), 4),
                    "top1": round(self.rate(c["top1"], c["n"]), 4),
                    "top3": round(self.rate(c["top3"], c["n"]), 4),
                }
                for cat, c in sorted(self.per_category.items())
            },
            "confusion": [
                {"expected": e, "got": g, "count": n}
                for (e, g), n in sorted(self.confusion.items())
            ],
            "misses": [m.__dict__ for m in self.misses],
            "errors": self.errors,
        }


def _labels(
    value: Any, label_name: str, label_map: Mapping[str, str | None] | None = None
) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"bad label: {label_name} must be a fault id or a list of fault ids")
    if label_map:
        mapped = []
        for v in value:
            key = v.strip().casefold()
            target = label_map.get(key, v) if key in label_map else v
            if target:  # a desk name mapped to nothing: not a fault
                mapped.append(target)
        value = mapped
    return tuple(value)


def load_label_map(path: str | Path) -> dict[str, str | None]:
    """A label map file (YAML or JSON): the desk's root-cause name -> fault id, or null (or
    '' / 'none') for a name that means "not a fault". Names match ignoring case."""
    from .._yaml import YamlError, load_yaml
    from .errors import InputError

    try:
        data, _ = load_yaml(Path(path))
    except YamlError as exc:
        raise InputError(f"--label-map: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"--label-map {path}: a mapping of name: fault id is expected")
    out: dict[str, str | None] = {}
    for name, target in data.items():
        if target is not None and not isinstance(target, str):
            raise InputError(f"--label-map {path}: {name!r}: a fault id or null is expected")
        value = None if target is None or target.strip().lower() in ("", "none") else target
        out[str(name).strip().casefold()] = value.strip() if value else None
    return out


def evaluate_records(
    records: Iterable[Mapping[str, Any]],
    faults: Collection[str],
    label_name: str = "'expected'",
    label_map: Mapping[str, str | None] | None = None,
) -> Evaluation:
    """Compare batch records (with the mapped "label") to their first label, the root cause.

    A record without a label is unlabelled: counted in `unlabelled` and left out of every
    figure. An empty label (`"expected": []`, or a desk name the label map maps to null) is a
    ticket that must get no diagnosis. Error records and labels that name no fault of
    `faults` (after `label_map`) are listed in `errors` as "source:line: reason".
    """
    result = Evaluation()
    for record in records:
        where = f"{record.get('source')}:{record.get('line')}"
        if record.get("status") != "ok":
            result.errors.append(f"{where}: {record.get('error')}")
            continue
        if record.get("label") is None:
            result.unlabelled += 1
            continue
        try:
            labels = _labels(record.get("label"), label_name, label_map)
        except ValueError as exc:
            result.errors.append(f"{where}: {exc}")
            continue
        unknown = [fid for fid in labels if fid not in faults]
        if unknown:
            result.errors.append(f"{where}: unknown fault id(s) in the label: {', '.join(unknown)}")
            continue
        result.add(str(record.get("id") or where), labels, record.get("diagnoses") or ())
    return result


def format_text(ev: Evaluation, show_misses: bool = True) -> str:
    """A plain-text report: headline figures, per-fault table, confusion matrix, misses."""
    lines = [
        f"tickets evaluated:      {ev.total}"
        + (f" ({ev.unlabelled} unlabelled left out)" if ev.unlabelled else ""),
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
    lines += ["", f"{'category':38} {'n':>4} {'top-1':>7} {'top-3':>7} {'category':>9}"]
    for cat, c in sorted(ev.per_category.items()):
        lines.append(
            f"{cat:38} {c['n']:>4} {ev.rate(c['top1'], c['n']):>7.0%} "
            f"{ev.rate(c['top3'], c['n']):>7.0%} {ev.rate(c['category'], c['n']):>9.0%}"
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

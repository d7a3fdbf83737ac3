"""Accuracy per language on a labelled JSONL set: top-1 category, top-3 fault, coverage (fault
tickets with any diagnosis), and non-fault tickets (`"expected": []`) that got a diagnosis.

    python benchmarks/eval_by_language.py examples/tickets/realworld-dev.jsonl [--misses]

Uses only the public API (Diagnoser.diagnose), so it also measures an older checkout:
PYTHONPATH=/path/to/old/checkout python benchmarks/eval_by_language.py FILE
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from diagnoser import Diagnoser

FIELDS = ("id", "text", "error_codes", "symptoms", "metrics", "scope", "system", "site")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--misses", action="store_true", help="print the tickets missed")
    args = parser.parse_args()
    diagnoser = Diagnoser()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    misses = []
    for line in args.file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        expected = row["expected"]
        got = diagnoser.diagnose({k: row[k] for k in FIELDS if k in row})
        ranked = [d.fault_id for d in got.diagnoses]
        for lang in (row.get("lang", "?"), "all"):
            c = counts[lang]
            if not expected:
                c["non_faults"] += 1
                c["non_faults_diagnosed"] += bool(ranked)
                continue
            c["faults"] += 1
            c["covered"] += bool(ranked)
            c["top1_category"] += (
                bool(ranked) and ranked[0].split(".")[0] == expected[0].split(".")[0]
            )
            c["top3_fault"] += expected[0] in ranked[:3]
        if (expected and expected[0] not in ranked[:3]) or (not expected and ranked):
            misses.append((row["id"], expected[:1], ranked[:3], row["text"]))
    print(
        f"{'lang':8} {'faults':>6} {'top1 cat':>9} {'top3':>7} {'coverage':>9}"
        f" {'non-faults':>10} {'diagnosed':>9}"
    )
    for lang in sorted(counts, key=lambda k: (k == "all", k)):
        c = counts[lang]
        f = c["faults"] or 1
        print(
            f"{lang:8} {c['faults']:>6} {c['top1_category'] / f:>9.1%} {c['top3_fault'] / f:>7.1%}"
            f" {c['covered'] / f:>9.1%} {c['non_faults']:>10} {c['non_faults_diagnosed']:>9}"
        )
    if args.misses:
        for m in misses:
            print(*m, sep="\t")


if __name__ == "__main__":
    main()

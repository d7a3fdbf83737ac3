"""Where the rules and the ranking lose fault tickets that intake did read, per labelled JSONL set.

    python benchmarks/rule_gaps.py examples/tickets/realworld-dev*.jsonl [--list] [--ranked]

Two kinds of loss are counted and grouped by the symptoms intake recognised (built-in facts
such as `system`, `scope` and `hour` are left out of the grouping):

- *unfired*: a fault ticket (`expected` not empty) where intake recognised at least one symptom
  but no rule concluded anything;
- *misranked*: the expected category is ranked first but the expected fault is not in the top 3.

`--list` prints every such ticket under its group; `--ranked` adds the top three faults with
their certainties. Uses only the public API (Diagnoser.diagnose), so it also measures an older
checkout: PYTHONPATH=/path/to/old/checkout python benchmarks/rule_gaps.py FILES
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from diagnoser import Diagnoser

FIELDS = ("id", "text", "error_codes", "symptoms", "metrics", "scope", "system", "site")
BUILT_IN = frozenset({"system", "scope", "affected_users", "day_of_month", "hour", "text"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--list", action="store_true", help="print each ticket under its group")
    parser.add_argument("--ranked", action="store_true", help="with --list: the top 3 and scores")
    args = parser.parse_args()
    diagnoser = Diagnoser()
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    print(f"{'set':28} {'faults':>6} {'read':>5} {'unfired':>7} {'misranked':>9}")
    totals = [0, 0, 0, 0]
    for path in args.files:
        faults = read = unfired = misranked = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            expected = row["expected"]
            if not expected:
                continue
            faults += 1
            got = diagnoser.diagnose({k: row[k] for k in FIELDS if k in row})
            present = tuple(sorted({s.id for s in got.symptoms} - BUILT_IN))
            if present:
                read += 1
            ranked = got.diagnoses
            top = ", ".join(f"{d.fault_id} {d.certainty:.3f}" for d in ranked[:3])
            entry = f"{path.name}:{row['id']} want {expected[0]}"
            if args.ranked:
                entry += f"\n      got [{top}]"
            entry += f"\n      {row.get('text', '')[:200]}"
            if present and not ranked:
                unfired += 1
                groups[("unfired", present)].append(entry)
            elif (
                ranked
                and ranked[0].category == expected[0].split(".")[0]
                and expected[0] not in [d.fault_id for d in ranked[:3]]
            ):
                misranked += 1
                groups[("misranked", present)].append(entry)
        print(f"{path.name:28} {faults:>6} {read:>5} {unfired:>7} {misranked:>9}")
        for i, n in enumerate((faults, read, unfired, misranked)):
            totals[i] += n
    print(f"{'all':28} {totals[0]:>6} {totals[1]:>5} {totals[2]:>7} {totals[3]:>9}")
    for kind in ("unfired", "misranked"):
        mine = sorted(
            ((k[1], v) for k, v in groups.items() if k[0] == kind),
            key=lambda kv: (-len(kv[1]), kv[0]),
        )
        if not mine:
            continue
        print(f"\n== {kind}: {sum(len(v) for _, v in mine)} tickets in {len(mine)} groups")
        for present, entries in mine:
            print(f"{len(entries):>3}  {' + '.join(present) or '(nothing)'}")
            if args.list:
                for e in entries:
                    print(f"    {e}")


if __name__ == "__main__":
    main()

"""Context errors per labelled JSONL set: non-faults diagnosed, fault tickets context voided.

    python benchmarks/eval_context.py examples/tickets/realworld-dev*.jsonl [--list]

A fault ticket is *voided by context* when its expected fault is not in the top 3 and intake set
aside at least one mention (negated, hypothetical or historical): the text named something that
context took out. `--list` prints each such ticket with what was set aside and by which trigger.
Uses only the public API (Diagnoser.diagnose), so it also measures an older checkout.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from diagnoser import Diagnoser

FIELDS = ("id", "text", "error_codes", "symptoms", "metrics", "scope", "system", "site")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--list", action="store_true", help="print each ticket counted")
    args = parser.parse_args()
    diagnoser = Diagnoser()
    print(f"{'set':28} {'non-faults':>10} {'diagnosed':>9} {'faults':>6} {'voided':>6}")
    listed = []
    for path in args.files:
        non_faults = diagnosed = faults = voided = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            got = diagnoser.diagnose({k: row[k] for k in FIELDS if k in row})
            ranked = [d.fault_id for d in got.diagnoses]
            expected = row["expected"]
            if not expected:
                non_faults += 1
                if ranked:
                    diagnosed += 1
                    listed.append((row["id"], "non-fault diagnosed", ranked[:3], row["text"]))
                continue
            faults += 1
            if expected[0] not in ranked[:3] and got.set_aside:
                voided += 1
                why = [f"{a.symptom}:{a.scope}:{a.trigger}" for a in got.set_aside]
                listed.append((row["id"], "voided " + ", ".join(why), ranked[:3], row["text"]))
        print(f"{path.name:28} {non_faults:>10} {diagnosed:>9} {faults:>6} {voided:>6}")
    if args.list:
        for ticket_id, what, ranked, text in listed:
            print(f"\n{ticket_id}: {what}\n  got {ranked}\n  {text}")


if __name__ == "__main__":
    main()

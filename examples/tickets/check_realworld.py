"""Validate and count the real-phrasing ticket sets (realworld-dev*, realworld-holdout*).

Run: python examples/tickets/check_realworld.py
     python examples/tickets/check_realworld.py --near realworld-dev7.jsonl [--at 0.30]
The second form lists, for every ticket of one file, its closest ticket in the other files when
the trigram Jaccard is at least --at (default: the refusal limit): ids and scores only, so a
writer can reword every near-copy at once without reading the other sets.
Checks every line is a JSON object with the ticket fields, ids are unique across both files,
`expected` holds only known fault ids, `lang` is one of zh / zh-Hant / en / mixed; prints the
counts per language and per fault (root cause = first label), the non-faults, text lengths, and
the most similar dev/holdout pair (character trigrams) as a near-duplicate guard. Exit 1 on an
error. Reads only the two ticket files — never the rules or the vocabulary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = [
    "realworld-dev.jsonl",
    "realworld-holdout.jsonl",
    "realworld-dev2.jsonl",
    "realworld-holdout2.jsonl",
    "realworld-dev3.jsonl",
    "realworld-dev4.jsonl",
    "realworld-dev5.jsonl",
    "realworld-holdout3.jsonl",
    "realworld-dev6.jsonl",
    "realworld-dev7.jsonl",
    "realworld-holdout4.jsonl",
    "realworld-dev8.jsonl",
    "realworld-holdout5.jsonl",
    "realworld-holdout6.jsonl",
    "realworld-dev9.jsonl",
    "realworld-dev10.jsonl",
    "realworld-dev11.jsonl",
    "realworld-holdout7.jsonl",
    "realworld-dev12.jsonl",
    "realworld-dev13.jsonl",
    "realworld-dev15.jsonl",
    "realworld-dev14.jsonl",
    "realworld-dev16.jsonl",
    "realworld-holdout10.jsonl",
    "realworld-dev17.jsonl",
    "realworld-dev18.jsonl",
    "realworld-dev19.jsonl",
    "realworld-dev20.jsonl",
    "realworld-dev21.jsonl",
    "realworld-dev22.jsonl",
    "realworld-dev23.jsonl",
    "realworld-dev24.jsonl",
    "realworld-dev25.jsonl",
    "realworld-dev26.jsonl",
    "realworld-dev27.jsonl",
    "realworld-dev28.jsonl",
]
FAULTS = [
    "external.cyber_attack",
    "external.natural_disaster",
    "external.platform_outage",
    "external.power_outage",
    "external.intermediary_outage",
    "external.receiver_unreachable",
    "external.api_access_blocked",
    "hardware.printer_failure",
    "hardware.server_crash",
    "hardware.storage_failure",
    "hardware.tax_device_failure",
    "hardware.terminal_failure",
    "network.congestion",
    "network.disconnected",
    "network.unstable_connection",
    "operation.config_error",
    "operation.credential_problem",
    "operation.overdue_filing_lock",
    "operation.user_error",
    "operation.credit_quota_exceeded",
    "operation.invoice_stock_exhausted",
    "operation.filing_sync_failure",
    "operation.issuing_restricted",
    "operation.invalid_invoice_data",
    "software.data_corruption",
    "software.duplicate_submission",
    "software.program_error",
    "software.resource_exhaustion",
    "software.version_incompatibility",
]
LANGS = ("zh", "zh-Hant", "en", "mixed")
FIELDS = {
    "id",
    "text",
    "error_codes",
    "system",
    "scope",
    "metrics",
    "affected_users",
    "expected",
    "lang",
}
SCOPES = {"single_user", "site", "region", "city"}


def load(path: Path, errors: list[str]) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{n}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: invalid JSON ({exc})")
            continue
        if not isinstance(rec, dict):
            errors.append(f"{where}: not an object")
            continue
        if set(rec) - FIELDS:
            errors.append(f"{where}: unknown fields {sorted(set(rec) - FIELDS)}")
        if not isinstance(rec.get("id"), str) or not rec["id"]:
            errors.append(f"{where}: id missing")
        if not isinstance(rec.get("text"), str) or not rec["text"].strip():
            errors.append(f"{where}: text missing")
        exp = rec.get("expected")
        if (
            not isinstance(exp, list)
            or any(e not in FAULTS for e in exp)
            or len(set(exp)) != len(exp)
        ):
            errors.append(f"{where}: bad expected {exp!r}")
        if rec.get("lang") not in LANGS:
            errors.append(f"{where}: bad lang {rec.get('lang')!r}")
        if "scope" in rec and rec["scope"] not in SCOPES:
            errors.append(f"{where}: bad scope {rec['scope']!r}")
        if "error_codes" in rec and not all(isinstance(c, str) for c in rec["error_codes"]):
            errors.append(f"{where}: error codes must be strings")
        rows.append(rec)
    return rows


def trigrams(text: str) -> set[str]:
    t = "".join(text.lower().split())
    return {t[i : i + 3] for i in range(len(t) - 2)}


MAX_JACCARD = 0.35


def read_texts(path: Path) -> list[dict]:
    """Id and text of every ticket in any ticket file (other formats are only compared)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("text"), str):
            rows.append({"id": f"{path.name}:{rec.get('id')}", "text": rec["text"]})
    return rows


def trigram_index(others: list[tuple[dict, set[str]]]) -> dict[str, list[int]]:
    """Which of `others` hold each trigram."""
    index: dict[str, list[int]] = defaultdict(list)
    for k, (_, gb) in enumerate(others):
        for g in gb:
            index[g].append(k)
    return index


def closest(
    rows: list[dict],
    others: list[tuple[dict, set[str]]],
    index: dict[str, list[int]] | None = None,
) -> tuple[float, str, str]:
    """The most similar (row, other) pair by trigram Jaccard: (score, row id, other id).

    Through an inverted index of the others' trigrams, so only pairs that share a trigram are
    scored (exact: a pair sharing none scores 0); ties go to the first pair in input order."""
    if index is None:
        index = trigram_index(others)
    best = (0.0, "", "")
    for a in rows:
        ga = trigrams(a["text"])
        shared: Counter[int] = Counter()
        for g in ga:
            shared.update(index.get(g, ()))
        for k in sorted(shared):
            inter, (b, gb) = shared[k], others[k]
            j = inter / (len(ga) + len(gb) - inter)
            if j > best[0]:
                best = (j, a["id"], b["id"])
    return best


def near(name: str, at: float) -> int:
    """Every ticket of `name` whose closest ticket in another file scores at least `at`."""
    path = HERE / name
    if not path.is_file():
        print(f"ERROR no such ticket file: {path}", file=sys.stderr)
        return 1
    others = [
        (r, trigrams(r["text"]))
        for p in sorted(HERE.glob("*.jsonl"))
        if p.name != name
        for r in read_texts(p)
    ]
    found, index = 0, trigram_index(others)
    for row in read_texts(path):
        j, a, b = closest([row], others, index)
        if j >= at:
            found += 1
            print(f"{j:.2f}  {a.split(':', 1)[1]} ~ {b}")
    print(f"{found} ticket(s) of {name} at or above {at:.2f}")
    return 1 if found and at >= MAX_JACCARD else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--near", metavar="FILE", help="list the near-copies of one ticket file")
    parser.add_argument("--at", type=float, default=MAX_JACCARD, help="threshold for --near")
    args = parser.parse_args()
    if args.near:
        return near(Path(args.near).name, args.at)
    errors: list[str] = []
    sets = {name: load(HERE / name, errors) for name in FILES}
    ids = Counter(r.get("id") for rows in sets.values() for r in rows)
    errors += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    for name, rows in sets.items():
        langs = Counter(r["lang"] for r in rows)
        roots = Counter(r["expected"][0] for r in rows if r["expected"])
        anywhere = Counter(e for r in rows for e in r["expected"])
        lengths = [len(r["text"]) for r in rows]
        print(f"== {name}: {len(rows)} tickets")
        print("  lang: " + ", ".join(f"{k} {langs[k]} ({langs[k] / len(rows):.0%})" for k in LANGS))
        none = sum(1 for r in rows if not r["expected"])
        multi = sum(1 for r in rows if len(r["expected"]) > 1)
        print(f"  non-faults (expected []): {none} ({none / len(rows):.0%}); two labels: {multi}")
        print(
            f"  with system: {sum(1 for r in rows if 'system' in r)}; error_codes field: "
            f"{sum(1 for r in rows if 'error_codes' in r)}; "
            f"scope: {sum(1 for r in rows if 'scope' in r)}; "
            f"metrics: {sum(1 for r in rows if 'metrics' in r)}"
        )
        print(
            f"  text length: median {statistics.median(lengths):.0f}, "
            f"min {min(lengths)}, max {max(lengths)}; "
            f"10-40 chars: {sum(1 for n in lengths if 10 <= n <= 40)}"
        )
        print("  root cause per fault (and anywhere in expected):")
        for f in sorted(FAULTS):
            print(f"    {f:38} {roots[f]:3}  ({anywhere[f]})")
            if roots[f] < 3:
                errors.append(f"{name}: {f} is the root cause of only {roots[f]} tickets (need 3)")
    dev, hold = sets[FILES[0]], sets[FILES[1]]
    best = closest(dev, [(r, trigrams(r["text"])) for r in hold])
    print(f"most similar dev/holdout pair: {best[1]} ~ {best[2]} (trigram Jaccard {best[0]:.2f})")
    # Every further set is compared with every other ticket file in this folder.
    for name in FILES[2:]:
        others = []
        for path in sorted(HERE.glob("*.jsonl")):
            if path.name != name:
                others += [(r, trigrams(r["text"])) for r in read_texts(path)]
        j, a, b = closest(sets[name], others)
        print(f"most similar {name} / other files pair: {a} ~ {b} (trigram Jaccard {j:.2f})")
        if j >= MAX_JACCARD:
            errors.append(f"{name}: {a} is a near-copy of {b} (trigram Jaccard {j:.2f})")
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

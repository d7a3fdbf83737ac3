"""Build examples/reports/summary-example.html from a real run over the labelled tickets.

Every ticket of examples/tickets/tickets.jsonl and holdout.jsonl goes through the shipped
Diagnoser and becomes one record of the batch schema (status ok or error); the records are then
summarised with the shipped knowledge base. To give the timeline a help desk's shape, the sets
are replayed as one working week: each ticket is stamped with a deterministic arrival time
(seeded, weighted to office hours). The ticket itself is diagnosed as written; the stamp only
goes into the record. Three tickets as a real export would also contain them (a wrong field
type, an unknown scope, a line that is not a mapping) fill the rejected-records section.

Run: python examples/make_summary_example.py [OUTPUT.html|OUTPUT.md] [--lang zh|en]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from diagnoser import Diagnoser, DiagnoserError, Diagnosis
from diagnoser.batch.summary import write_summary

HERE = Path(__file__).resolve().parent
SETS = (HERE / "tickets" / "tickets.jsonl", HERE / "tickets" / "holdout.jsonl")
OUTPUT = HERE / "reports" / "summary-example.html"
WEEK = dt.datetime(2024, 6, 3, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Monday
BROKEN = [
    {"id": "exp-901", "text": "打印机又卡纸了", "affected_users": "several"},
    {"id": "exp-902", "text": "system down for the whole floor", "scope": "building"},
    ["exp-903", "a line that is not a ticket"],
]


def arrival(rng: random.Random) -> dt.datetime:
    """A time in the replayed week: weekdays, mostly 08:00-18:00, busiest mid-morning."""
    day = rng.choices(range(7), weights=[24, 20, 18, 17, 15, 4, 2])[0]
    hour = min(23, max(0, round(rng.gauss(11.5, 3.2))))
    return WEEK + dt.timedelta(days=day, hours=hour, minutes=rng.randrange(60))


def record(diagnosis: Diagnosis, line: int, source: str, reported_at: dt.datetime) -> dict:
    """One ticket's diagnosis in the batch record schema."""
    return {
        "line": line,
        "source": source,
        "status": "ok",
        **diagnosis.to_record(),
        "reported_at": reported_at.isoformat(),
    }


def tickets() -> Iterator[tuple[str, int, Any]]:
    """(source, line, ticket) of every labelled ticket, then the broken ones."""
    for path in SETS:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield path.name, number, json.loads(line)
    for number, ticket in enumerate(BROKEN, start=1):
        yield "export.jsonl", number, ticket


def records(diagnoser: Diagnoser) -> Iterator[dict[str, Any]]:
    rng = random.Random(20240603)
    for source, number, ticket in tickets():
        stamp = arrival(rng)
        ident = ticket.get("id") if isinstance(ticket, dict) else None
        if isinstance(ticket, dict):
            ticket = {k: v for k, v in ticket.items() if k != "expected"}  # the label, not input
        try:
            diagnosis = diagnoser.diagnose(ticket)
        except DiagnoserError as exc:
            error = {"line": number, "source": source, "id": ident, "status": "error"}
            yield {**error, "error": str(exc)}
            continue
        yield record(diagnosis, number, source, stamp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=OUTPUT)
    parser.add_argument("--lang", choices=["zh", "en"], default="en")
    args = parser.parse_args()
    diagnoser = Diagnoser()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    summary = write_summary(records(diagnoser), args.output, diagnoser.kb, lang=args.lang)
    print(
        f"{args.output}: {summary.records} records, {summary.diagnosed} diagnosed, "
        f"{summary.rejected} rejected, {summary.p1} P1",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

"""Questions an interactive consultation spends before a clear answer, over the labelled tickets.

Every labelled ticket of examples/tickets/*.jsonl except the sealed sets (*holdout*, scored only
once, after tuning) is played as a caller: the session starts from
the ticket as written, and the caller answers from the ticket's (first) expected fault — yes to
the flag symptoms that fault's rules test, no to the rest (diagnoser.interactive.caller). The
process questions get what such a caller would say: no code beyond the ticket's, "20 minutes
ago" for the time, and the scope the fault's symptoms imply (else "don't know").

Run: python benchmarks/bench_consult.py [--files GLOB ...] [--ask-tests]
Prints, side by side: the median (and p90) of questions asked in all and of those that separate
faults, how often the session ends with one fault clear, how often the expected fault is on top,
and the milliseconds a session takes. The target is a median of at most 5 questions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import statistics
import sys
import time
from pathlib import Path

from diagnoser import Diagnoser
from diagnoser.interactive import Field, Session, Stop
from diagnoser.interactive.caller import Caller

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SCOPE_SAID = {
    "single_user": "只有这一台",
    "site": "就这家店",
    "region": "全区都这样",
    "city": "全市",
}
MAX_QUESTIONS = 20  # a safety net: the session's own stop rules end every consultation sooner


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def consult(diagnoser: Diagnoser, ticket: dict, fault: str, ask_tests: bool) -> Session:
    """One simulated call: the session asks, the caller of `fault` answers."""
    caller = Caller.for_fault(diagnoser, fault)
    session = Session(
        diagnoser, ticket, max_questions=MAX_QUESTIONS, ask_tests=ask_tests, clock=lambda: NOW
    )
    while (question := session.next_question()) is not None:
        if question.field is Field.CODE:
            said = "没有"
        elif question.field is Field.TIME:
            said = "20分钟前"
        elif question.field is Field.SCOPE:
            said = SCOPE_SAID.get(caller.scope or "", "不知道")
        else:
            said = caller.answer(question.symptom)
        if not session.take(question, said):
            raise SystemExit(f"{ticket.get('id')}: the session did not take {said!r}")
    return session


DEFAULT_FILES = str(ROOT / "examples" / "tickets" / "*.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--files", nargs="*", default=[DEFAULT_FILES], help="default: every set but the sealed ones"
    )
    parser.add_argument("--ask-tests", action="store_true", help="the caller can run tests")
    args = parser.parse_args()

    diagnoser = Diagnoser()
    total: list[int] = []
    separating: list[int] = []
    times: list[float] = []
    clear = right = unknown = 0
    for pattern in args.files:
        for path in sorted(glob.glob(pattern)):
            if pattern == DEFAULT_FILES and "holdout" in Path(path).name:
                continue  # sealed sets are not read by the default run
            for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    ticket = json.loads(line)
                except json.JSONDecodeError as exc:
                    sys.exit(f"{path}:{number}: not a JSON object: {exc}")
                expected = ticket.pop("expected", None) or []
                if not expected:
                    continue
                if expected[0] not in diagnoser.kb.faults:
                    unknown += 1  # labelled with a fault this knowledge base does not have
                    continue
                start = time.perf_counter()
                session = consult(diagnoser, ticket, expected[0], args.ask_tests)
                times.append((time.perf_counter() - start) * 1000)
                total.append(session.asked)
                separating.append(sum(e.question.field is None for e in session.exchanges))
                clear += session.stop_reason() is Stop.CLEAR
                top = session.diagnosis.top
                right += bool(top and top.fault_id in expected)
    if not total:
        sys.exit("no labelled tickets found")
    n = len(total)
    print(f"tickets simulated as callers   {n}   (skipped, fault not in the kb: {unknown})")
    print(
        f"questions asked, all           median {statistics.median(total):.1f}   "
        f"p90 {pct(total, 0.9):.0f}   max {max(total)}   (target: median <= 5)"
    )
    print(
        f"questions separating faults    median {statistics.median(separating):.1f}   "
        f"p90 {pct(separating, 0.9):.0f}   max {max(separating)}"
    )
    print(f"ended with one fault clear     {clear / n:6.1%}")
    print(f"expected fault on top          {right / n:6.1%}")
    print(
        f"ms per consultation            median {statistics.median(times):.1f}   "
        f"p90 {pct(times, 0.9):.1f}"
    )


if __name__ == "__main__":
    main()

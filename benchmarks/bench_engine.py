"""Cost of one engine run, per matcher, on the fact sets a realistic backlog sends to the engine.

Run: python benchmarks/bench_engine.py [--tickets 20000 100000] [--sample 400] [--repeat 5]

Generates each backlog as bench_batch.py does (every text distinct), diagnoses it as `diagnoser
batch` does (`Diagnoser.diagnose_record`, one process, the default caches) and prints, per
backlog: the share of tickets whose record was not cached and the share that reached the engine
(ran it). The distinct fact sets that reached the engine in the largest backlog are then run
on one warm engine per matcher — experta's stock RETE matcher, the RETE `FastMatcher` and the
`DirectMatcher` — and the median CPU microseconds per run are printed side by side (each set
timed `--repeat` times, its fastest kept; the median over a seeded sample of `--sample` sets),
with the ratios. Every matcher's firings are checked to be identical on every sampled set.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_batch

from diagnoser import Diagnoser
from diagnoser.engine import MatcherKind, compile_rules
from diagnoser.facts import FactIn
from diagnoser.service import _normalise


def collect(diagnoser: Diagnoser, backlog: Path) -> tuple[int, int, list[tuple[FactIn, ...]]]:
    """(tickets, engine runs, the fact sets run) of diagnosing `backlog` record by record."""
    ran: list[tuple[FactIn, ...]] = []
    run = diagnoser._run

    def counting(facts: tuple[FactIn, ...]) -> Any:
        misses = diagnoser.cache_misses
        out = run(facts)
        if diagnoser.cache_misses != misses:
            ran.append(facts)
        return out

    diagnoser._run = counting  # type: ignore[method-assign]
    tickets = 0
    with open(backlog, encoding="utf-8") as handle:
        for line in handle:
            diagnoser.diagnose_record(json.loads(line))
            tickets += 1
    return tickets, len(ran), ran


def per_run_us(engine: Any, facts: tuple[FactIn, ...], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time_ns()
        engine.run(facts)
        best = min(best, time.process_time_ns() - start)
    return best / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--sample", type=int, default=400, help="fact sets timed per matcher")
    parser.add_argument("--repeat", type=int, default=5, help="runs per fact set (fastest kept)")
    args = parser.parse_args()

    sets: list[tuple[FactIn, ...]] = []
    print(f"{'tickets':>8} {'record misses':>14} {'engine runs':>12} {'distinct sets':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.tickets:
            backlog = Path(tmp) / f"backlog-{count}.jsonl"
            bench_batch.make_backlog(backlog, count)
            diagnoser = Diagnoser()
            tickets, runs, ran = collect(diagnoser, backlog)
            records = len(diagnoser._record_cache) if diagnoser.cache_size else tickets
            misses = diagnoser.cache_hits + diagnoser.cache_misses  # one _run per record miss
            distinct = len(set(ran))
            print(
                f"{tickets:>8} {misses / tickets:>13.1%} {runs / tickets:>11.1%} {distinct:>14}"
                f"   (record cache holds {records})"
            )
            sets = list(dict.fromkeys(ran))

    rng = random.Random(11)
    sample = rng.sample(sets, min(args.sample, len(sets)))
    sizes = sorted(len(s) for s in sample)
    print(
        f"\nfact sets timed: {len(sample)} of {len(sets)} distinct "
        f"(facts per set: median {sizes[len(sizes) // 2]}, max {sizes[-1]})"
    )
    diagnoser = Diagnoser()
    rules = list(diagnoser.rules.values())
    results: dict[MatcherKind, list[float]] = {}
    firings: dict[MatcherKind, list[Any]] = {}
    for kind in (MatcherKind.STOCK, MatcherKind.RETE, MatcherKind.DIRECT):
        engine = compile_rules(rules, normalise=_normalise, matcher=kind).new_engine()
        engine.prepare()
        for facts in sample[:20]:  # warm up
            engine.run(facts)
        results[kind] = [per_run_us(engine, facts, args.repeat) for facts in sample]
        firings[kind] = [engine.run(facts).firings for facts in sample]
    same = all(firings[k] == firings[MatcherKind.STOCK] for k in firings)
    stock = statistics.median(results[MatcherKind.STOCK])
    print(f"\n{'matcher':>8} {'median µs/run':>14} {'p90 µs/run':>11} {'vs stock':>9}")
    for kind, times in results.items():
        median = statistics.median(times)
        p90 = sorted(times)[int(len(times) * 0.9)]
        print(f"{kind.value:>8} {median:>14.0f} {p90:>11.0f} {stock / median:>8.1f}x")
    rete = statistics.median(results[MatcherKind.RETE])
    direct = statistics.median(results[MatcherKind.DIRECT])
    print(f"\ndirect vs rete (FastMatcher): {rete / direct:.1f}x fewer µs per run")
    print(f"identical firings on every sampled set: {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

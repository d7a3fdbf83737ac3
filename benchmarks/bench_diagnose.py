"""Speed of one diagnosis: cold start of the CLI, building a Diagnoser, warm diagnose.

Run: python benchmarks/bench_diagnose.py [--runs N]
Prints medians (the machine may be shared and noisy: compare ratios, not single numbers).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

TICKETS = [
    {"id": "1", "error_codes": ["1001"]},
    {"id": "2", "text": "开票时提示错误代码1001，无法连接服务器"},
    {"id": "3", "text": "the invoice printer jammed"},
    {"id": "4", "text": "系统很慢，一直转圈", "metrics": {"cpu_percent": 97, "memory_percent": 93}},
    {"id": "5", "text": "升级后打不开了，闪退", "scope": "site"},
    {"id": "6", "text": "IRN 2150 duplicate after timeout", "system": "india_irp"},
    {"id": "7", "text": "全市商户都报1001，开不了票", "scope": "city"},
    {"id": "8", "text": "打印错位，发票内容偏到右边"},
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="process runs for the cold start")
    parser.add_argument("--diagnoses", type=int, default=3000, help="warm diagnoses to time")
    args = parser.parse_args()

    exe = shutil.which("diagnoser")
    cmd = [exe] if exe else [sys.executable, "-m", "diagnoser.cli"]
    cold = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([*cmd, "diagnose", "--code", "1001"], check=True, capture_output=True)
        cold.append(time.perf_counter() - start)

    start = time.perf_counter()
    from diagnoser import Diagnoser

    imported = time.perf_counter() - start
    start = time.perf_counter()
    diagnoser = Diagnoser()
    built = time.perf_counter() - start
    uncached_diagnoser = Diagnoser(diagnoser.kb, cache_size=0)

    def timings(d: Diagnoser) -> list[float]:
        for ticket in TICKETS:  # warm up the engine (and the cache, where there is one)
            d.diagnose(ticket)
        out = []
        for i in range(args.diagnoses):
            ticket = TICKETS[i % len(TICKETS)]
            start = time.perf_counter()
            d.diagnose(ticket)
            out.append(time.perf_counter() - start)
        return out

    uncached = timings(uncached_diagnoser)
    warm = timings(diagnoser)

    kb = diagnoser.kb
    print(
        f"knowledge base: {len(kb.faults)} faults, {len(diagnoser.rules)} rules "
        f"({len(kb.rules)} declarative), {len(kb.symptoms)} symptoms, "
        f"{sum(len(s.codes) for s in kb.systems.values())} error codes"
    )
    print(
        "cold start `diagnoser diagnose --code 1001`: "
        f"median {statistics.median(cold) * 1000:.0f} ms"
        f" (min {min(cold) * 1000:.0f}, max {max(cold) * 1000:.0f}, {args.runs} runs)"
    )
    print(f"import diagnoser: {imported * 1000:.0f} ms; Diagnoser(): {built * 1000:.0f} ms")
    print(
        f"warm Diagnoser.diagnose, engine run every time (cache off): "
        f"p50 {pct(uncached, 0.5) * 1000:.3f} ms, p95 {pct(uncached, 0.95) * 1000:.3f} ms"
    )
    print(
        f"warm Diagnoser.diagnose, repeated symptom sets (cache on): "
        f"p50 {pct(warm, 0.5) * 1000:.3f} ms, "
        f"p95 {pct(warm, 0.95) * 1000:.3f} ms "
        f"({args.diagnoses} diagnoses over {len(TICKETS)} kinds of ticket)"
    )


if __name__ == "__main__":
    main()

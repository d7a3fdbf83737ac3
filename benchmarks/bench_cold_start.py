"""Cold start of `diagnoser diagnose --code 1001` next to a bare `python -c "import json"`.

Run: python benchmarks/bench_cold_start.py [--runs N]
Both commands run N times, interleaved, in one run; prints the medians and their ratio (the
machine may be shared and noisy: the ratio is the figure to compare). The knowledge-base cache
is measured warm (the usual case: the first run of a version fills it) and off
(DIAGNOSER_CACHE=0, what every start cost before the cache).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="runs of each command")
    args = parser.parse_args()

    exe = shutil.which("diagnoser", path=os.path.dirname(sys.executable)) or shutil.which(
        "diagnoser"
    )
    if exe is None:
        sys.exit("diagnoser is not installed in this environment")
    cache = tempfile.mkdtemp(prefix="diagnoser-bench-cache-")
    warm = {**os.environ, "DIAGNOSER_CACHE_DIR": cache}
    off = {**warm, "DIAGNOSER_CACHE": "0"}
    commands = {
        "python -c 'import json'": ([sys.executable, "-c", "import json"], warm),
        "diagnose --code 1001 (cache warm)": ([exe, "diagnose", "--code", "1001"], warm),
        "diagnose --code 1001 (DIAGNOSER_CACHE=0)": ([exe, "diagnose", "--code", "1001"], off),
    }
    try:
        for cmd, env in commands.values():  # fills the cache, compiles the bytecode
            timed(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (cmd, env) in commands.items():
                times[name].append(timed(cmd, env))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    base = statistics.median(times["python -c 'import json'"])
    print(f"{args.runs} runs each, interleaved; median, ratio to a bare python")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:42} {median * 1000:7.0f} ms  {median / base:5.1f}x")


if __name__ == "__main__":
    main()

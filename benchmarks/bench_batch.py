"""Speed of `diagnoser batch` on a generated backlog, against what it must be compared with.

Run: python benchmarks/bench_batch.py [--tickets 100000] [--big 1000000] [--runs 3]

Prints, in one run: tickets/s of `diagnoser batch` end to end; the time of a bare JSONL read +
write of the same file and the ratio; a naive mode (one worker, no cache); p50/p95 of one warm
Diagnoser.diagnose; the whole-process time of `diagnoser diagnose --code 1001`; peak memory
(largest process) of batch runs over --tickets and --big tickets. Medians of --runs; the machine
may be shared and noisy, so compare ratios rather than single numbers.

The backlog is made like a real export: tickets written from the labelled examples'
texts and a set of short canned phrases, with error codes, systems, scopes, metrics and
timestamps varied per ticket, and a share of tickets whose text is unique (--unique).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANNED = [
    "开不了票",
    "打印不出来",
    "系统很慢",
    "printer jammed again",
    "cannot connect to the server",
    "上传失败",
    "invoice upload keeps failing",
    "税控盘读不到",
    "",
]
CODES = ["1001", "E1001", "错误代码1001", "0x11", "6A80", "2150", "-79", "GSPERR300", "9999"]
SYSTEMS = [None, None, None, "generic", "tax_controller", "tax_register", "india_irp"]
SCOPES = [None, None, None, "single_user", "site", "region", "city", "门店"]


# How often a ticket carries each structured field, per backlog profile. "helpdesk" is an export
# of one helpdesk: text first, codes mostly written in the text, fields filled now and then.
# "diverse" varies every field independently, so that few tickets share a symptom set: the
# worst case for the result cache.
PROFILES = {
    "helpdesk": {"codes": 0.10, "system": 0.0, "scope": 0.05, "metrics": 0.05, "users": 0.03},
    "diverse": {"codes": 0.35, "system": 4 / 7, "scope": 5 / 8, "metrics": 0.10, "users": 0.10},
}


def make_backlog(
    path: Path, count: int, unique: float, seed: int = 7, profile: str = "helpdesk"
) -> None:
    """Write `count` tickets as JSONL."""
    rng = random.Random(seed)
    share = PROFILES[profile]
    texts = []
    for name in ("tickets.jsonl", "holdout.jsonl"):
        with open(ROOT / "examples" / "tickets" / name, encoding="utf-8") as handle:
            texts += [json.loads(line).get("text", "") for line in handle if line.strip()]
    start = dt.datetime(2026, 1, 1, 8, 0)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            roll = rng.random()
            if roll < 0.45:
                text = rng.choice(texts)
            elif roll < 0.8:
                text = rng.choice(CANNED)
            else:
                text = f"{rng.choice(CANNED)}，{rng.choice(CANNED)}"
            if rng.random() < unique:
                text = f"{text} 门店{rng.randrange(10**6)}号收银台"
            ticket: dict[str, object] = {
                "id": f"T{i:07d}",
                "text": text,
                "reported_at": (start + dt.timedelta(minutes=7 * i)).isoformat(),
            }
            if rng.random() < share["codes"]:
                ticket["error_codes"] = [rng.choice(CODES)]
            if rng.random() < share["system"]:
                ticket["system"] = rng.choice([s for s in SYSTEMS if s])
            if rng.random() < share["scope"]:
                ticket["scope"] = rng.choice([s for s in SCOPES if s])
            if rng.random() < share["metrics"]:
                ticket["metrics"] = {"cpu_percent": rng.choice([40, 85, 97])}
            if rng.random() < share["users"]:
                ticket["affected_users"] = rng.choice([1, 5, 50, 500])
            out.write(json.dumps(ticket, ensure_ascii=False) + "\n")


def bare_read_write(src: Path, dst: Path) -> float:
    """Seconds to parse every line as JSON and write it back."""
    start = time.perf_counter()
    with open(src, encoding="utf-8") as inp, open(dst, "w", encoding="utf-8") as out:
        for line in inp:
            out.write(json.dumps(json.loads(line), ensure_ascii=False) + "\n")
    return time.perf_counter() - start


_PEAK = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
)


def timed(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak resident MB of the largest process) of one command."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, *cmd], check=True, capture_output=True, text=True
    ).stdout.split()
    seconds, peak_kb, rc = float(out[0]), int(out[1]), int(out[2])
    if rc not in (0, 4):
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {rc}")
    return seconds, peak_kb / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000, help="0 skips the big run")
    parser.add_argument("--naive", type=int, default=10_000, help="tickets for the naive mode")
    parser.add_argument("--unique", type=float, default=0.1, help="share of unique texts")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="helpdesk",
        help="how often tickets carry codes, systems, scopes, metrics (see PROFILES)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    args = parser.parse_args()

    exe = shutil.which("diagnoser")
    cli = [exe] if exe else [sys.executable, "-m", "diagnoser.cli"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        backlog = tmp / "backlog.jsonl"
        make_backlog(backlog, args.tickets, args.unique, profile=args.profile)
        naive_in = tmp / "naive.jsonl"
        with open(backlog, encoding="utf-8") as src, open(naive_in, "w", encoding="utf-8") as dst:
            for _, line in zip(range(args.naive), src, strict=False):
                dst.write(line)

        batch = [*cli, "batch", "-q", "--workers", str(args.workers)]
        bare = statistics.median(bare_read_write(backlog, tmp / "bare.jsonl") for _ in range(3))
        runs = [
            timed([*batch, str(backlog), "-o", str(tmp / "out.jsonl")]) for _ in range(args.runs)
        ]
        seconds = statistics.median(s for s, _ in runs)
        peak = max(m for _, m in runs)
        naive_s, _ = timed(
            [*cli, "batch", "-q", "--workers", "1", "--cache-size", "0", str(naive_in),
             "-o", str(tmp / "naive-out.jsonl")]
        )  # fmt: skip

        from diagnoser import Diagnoser

        diagnoser = Diagnoser()
        with open(backlog, encoding="utf-8") as handle:
            sample = [json.loads(line) for _, line in zip(range(3000), handle, strict=False)]
        for ticket in sample:
            diagnoser.diagnose(ticket)
        warm = []
        for ticket in sample:
            start = time.perf_counter()
            diagnoser.diagnose(ticket)
            warm.append(time.perf_counter() - start)
        cold = statistics.median(
            timed([*cli, "diagnose", "--code", "1001"])[0] for _ in range(max(5, args.runs))
        )

        cores = os.cpu_count()
        print(
            f"backlog: {args.tickets:,} tickets, profile {args.profile}, "
            f"{args.unique:.0%} unique texts; {cores} cores"
        )
        print(
            f"diagnoser batch:        {args.tickets / seconds:,.0f} tickets/s "
            f"({seconds:.2f} s, median of {args.runs})"
        )
        print(f"bare JSONL read+write:  {args.tickets / bare:,.0f} tickets/s ({bare:.2f} s)")
        print(f"ratio batch / bare:     {seconds / bare:.1f}x")
        print(
            f"naive (1 worker, no cache, {args.naive:,} tickets): "
            f"{args.naive / naive_s:,.0f} tickets/s"
        )
        print(
            f"warm Diagnoser.diagnose: p50 {pct(warm, 0.5) * 1000:.3f} ms, "
            f"p95 {pct(warm, 0.95) * 1000:.3f} ms ({len(warm)} backlog tickets)"
        )
        print(f"cold start `diagnoser diagnose --code 1001`: {cold * 1000:.0f} ms (median)")
        print(f"peak memory, {args.tickets:,} tickets: {peak:.0f} MB (largest process)")
        if args.big:
            big = tmp / "big.jsonl"
            make_backlog(big, args.big, args.unique, seed=11, profile=args.profile)
            backlog.unlink()
            big_s, big_peak = timed([*batch, str(big), "-o", str(tmp / "big-out.jsonl")])
            print(
                f"peak memory, {args.big:,} tickets: {big_peak:.0f} MB "
                f"({args.big / big_s:,.0f} tickets/s)"
            )


if __name__ == "__main__":
    main()

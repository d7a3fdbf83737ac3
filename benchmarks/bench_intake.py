"""µs per text of intake alone (reading one ticket text), on unique texts.

Run: python benchmarks/bench_intake.py [--texts 20000] [--runs 3] [--old PATH]

Texts are every example and dev-set phrasing, each made unique the way a real helpdesk export
is: a greeting, a store name, a ticket number, a date, a signature now and then. No text repeats,
so no cache helps. Prints medians over --runs of: the fast path (one Aho-Corasick pass), the
reference path (str.find per literal, same readings), the similarity fallback off and on (in
turn, same texts), and — with --old PATH, a checkout of an
earlier diagnoser — that version's intake and this one's, each in its own subprocess, run after
run in turn (so a machine whose load changes treats both alike), timed in CPU seconds of the
process (what a shared machine's other jobs do not inflate). Also the time of one
100,000-character repetitive text (the shape that used to take tens of seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GREETINGS = ["", "", "你好，", "您好，", "Hi team, ", "Hello, ", "在吗？", "Dear support, "]
SIGNS = ["", "", "\n谢谢", "\nThanks, John | Acme Stores", "\n-- \n王经理 138 0013 8000", " 急！"]
STORES = ["旺角店", "Store #{n}", "天河{n}号店", "Acme Mart {n}", "門市{n}"]


def make_texts(count: int, seed: int = 11) -> list[str]:
    """`count` distinct ticket texts from the example phrasings."""
    rng = random.Random(seed)
    base: list[str] = []
    for path in sorted((ROOT / "examples" / "tickets").glob("*.jsonl")):
        if "holdout" in path.name:
            continue  # the sealed set stays out of everything but its one evaluation
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text") or ""
                if text:
                    base.append(text)
    texts = []
    for i in range(count):
        store = rng.choice(STORES).format(n=rng.randrange(1, 999))
        ticket = f"工单{100000 + i}" if rng.random() < 0.5 else f"ticket #{100000 + i}"
        day = f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        texts.append(
            f"{rng.choice(GREETINGS)}{store} {ticket} {day}：{rng.choice(base)}{rng.choice(SIGNS)}"
        )
    return texts


def time_reader(read, texts: list[str], runs: int) -> float:  # type: ignore[no-untyped-def]
    """Median µs per text over `runs` passes."""
    per = []
    for _ in range(runs):
        start = time.perf_counter()
        for text in texts:
            read(text)
        per.append((time.perf_counter() - start) / len(texts) * 1e6)
    return statistics.median(per)


def bench_here(count: int, runs: int) -> dict[str, float]:
    from diagnoser import Diagnoser
    from diagnoser.intake import Vocabulary, read_text

    kb = Diagnoser().kb
    texts = make_texts(count)
    out = {}
    for name in ("aho-corasick", "reference"):
        vocab = Vocabulary.build(kb, finder=name)
        read_text("warm up", vocab)
        n = texts if name == "aho-corasick" else texts[: max(200, count // 10)]
        out[name] = time_reader(lambda t, v=vocab: read_text(t, v), n, runs)
    # the similarity fallback on and off, pass after pass in turn, on the same texts
    off, on = Vocabulary.build(kb, similar=False), Vocabulary.build(kb)
    read_text("warm up", off), read_text("warm up", on)
    off_runs, on_runs = [], []
    for _ in range(runs):
        off_runs.append(time_reader(lambda t: read_text(t, off), texts, 1))
        on_runs.append(time_reader(lambda t: read_text(t, on), texts, 1))
    out["similar off"], out["similar on"] = statistics.median(off_runs), statistics.median(on_runs)
    vocab = Vocabulary.build(kb)
    for unit in ("not jammed ", "没有卡纸"):
        long_text = unit * (100_000 // len(unit))
        start = time.perf_counter()
        read_text(long_text, vocab)
        out[f"100k x {unit.strip()!r} (s)"] = time.perf_counter() - start
    return out


def bench_matchers(count: int, runs: int) -> dict[str, float]:
    """The one-pass candidate matcher, two ways, on the real vocabulary and the same texts
    (normalised and case-folded, as intake scans them): pyahocorasick's automaton over every
    literal (what intake uses; it gives every hit's position), and google-re2's `Set` over the
    same literals and over the combination parts as regexes (it says only which patterns
    match). Median µs per text; {} when google-re2 is not installed (pip install google-re2)."""
    try:
        import re2  # type: ignore[import-not-found]
    except ImportError:
        return {}
    import re

    from diagnoser import Diagnoser
    from diagnoser.intake import fold_case, normalise_text

    compiled = Diagnoser()._vocab._compiled()
    texts = [fold_case(normalise_text(t)) for t in make_texts(count)]
    automaton = compiled.finder._automaton  # type: ignore[union-attr]
    literals = sorted(automaton.keys())
    parts = [p for e in compiled.entries for c in e.combinations for p in c.parts]
    out = {
        "pyahocorasick, hits with positions": time_reader(compiled.finder.find, texts, runs),
        "pyahocorasick, the scan alone": time_reader(
            lambda t: list(automaton.iter(t)), texts, runs
        ),
    }
    for name, patterns in (
        ("re2 Set, the literals", [re.escape(x) for x in literals]),
        ("re2 Set, the parts", [p._regex.pattern for p in parts]),
    ):
        options = re2.Options()
        options.max_mem = 256 << 20
        matcher = re2.Set.SearchSet(options)
        for pattern in patterns:
            # re2 has no lookbehind: word edges left out (a superset, so the fairest case)
            matcher.Add(pattern.replace("(?<![a-z])", "").replace("(?![a-z])", ""))
        start = time.perf_counter()
        matcher.Compile()
        out[f"{name} (compile {time.perf_counter() - start:.3f} s)"] = time_reader(
            matcher.Match, texts, runs
        )
        if name.endswith("literals"):  # what intake needs: where each literal is, too

            def positions(text: str, matcher: Any = matcher) -> dict[str, list[int]]:
                found = {}
                for i in matcher.Match(text) or ():
                    literal, at = literals[i], []
                    j = text.find(literal)
                    while j >= 0:
                        at.append(j)
                        j = text.find(literal, j + 1)
                    found[literal] = at
                return found

            out["re2 Set, the literals, then str.find positions"] = time_reader(
                positions, texts, runs
            )
    return out


PASS_SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from diagnoser import Diagnoser
from diagnoser.intake import read_text
texts = json.load(sys.stdin)
v = Diagnoser()._vocab
read_text("warm up", v)
s = time.process_time()
for t in texts:
    read_text(t, v)
print((time.process_time() - s) / len(texts) * 1e6)
"""


def one_pass(path: Path, texts: list[str]) -> float:
    """CPU µs per text of one pass of the diagnoser checked out at `path`, in a subprocess."""
    # PYTHONSAFEPATH: `python -c` run from this project would put it first on the path
    env = {**os.environ, "PYTHONPATH": str(path), "PYTHONSAFEPATH": "1"}
    done = subprocess.run(
        [sys.executable, "-c", PASS_SCRIPT, str(path)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=1800,
    )
    return float(done.stdout.strip().splitlines()[-1])


def bench_old(path: Path, count: int, runs: int) -> tuple[float, float]:
    """Median CPU µs per text of (this checkout, the one at `path`), passes taken in turn."""
    texts = make_texts(count)
    here, old = [], []
    for _ in range(runs):
        here.append(one_pass(ROOT, texts))
        old.append(one_pass(path, texts))
    return statistics.median(here), statistics.median(old)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--old", type=Path, help="a checkout of an earlier diagnoser")
    args = parser.parse_args()
    here = bench_here(args.texts, args.runs)
    print(f"unique texts: {args.texts}, median of {args.runs} runs")
    print(f"  fast path (Aho-Corasick)     {here['aho-corasick']:8.1f} µs/text")
    print(f"  reference path (str.find)    {here['reference']:8.1f} µs/text")
    off, on = here["similar off"], here["similar on"]
    print(f"  similarity fallback off / on {off:8.1f} / {on:.1f} µs/text ({on / off:.2f}×)")
    if args.old:
        new, old = bench_old(args.old, args.texts, args.runs)
        print(f"  in turn, CPU time, {args.runs} passes each:")
        print(f"    this checkout              {new:8.1f} µs/text")
        print(f"    old intake ({args.old})  {old:8.1f} µs/text")
        print(f"    old / this                 {old / new:8.2f}×")
    for key, value in here.items():
        if key.startswith("100k"):
            print(f"  {key:28} {value:8.3f}")
    matchers = bench_matchers(min(args.texts, 5000), args.runs)
    if matchers:
        print(f"  one-pass matcher, {min(args.texts, 5000)} texts, µs per text:")
        for key, value in matchers.items():
            print(f"    {key:52} {value:8.1f}")


if __name__ == "__main__":
    main()

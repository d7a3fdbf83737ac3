"""Cold start of `diagnoser diagnose --code 1001` next to a bare `python -c "import json"`.

Run: python benchmarks/bench_cold_start.py [--runs N] [--baseline DIR]
Every command runs N times, interleaved, in one run; prints the medians of the wall-clock time,
their ratio to a bare python, and the median CPU time (user + system) of the process, the steadier
figure on a shared, loaded machine. The knowledge-base cache is measured warm (the usual case: the
first run of a version fills it), cold (an empty cache directory at every run: the first start
of a new version, which loads the files and fills the cache) and off (DIAGNOSER_CACHE=0, what
every start cost before the cache). The caches are the knowledge base's and, for a text, the
compiled vocabulary's; "batch parent" is what `diagnoser batch` does before its workers start
(the knowledge base, the vocabulary and the full rule network: Diagnoser().prepare(engine=True)).
`--baseline DIR` adds the same commands run from another
source tree (e.g. a worktree of an older commit: `git worktree add --detach /tmp/base main`),
side by side in the same run; both run as `python -m diagnoser`, the installed command's entry.

Two reference lines give the floor of the chosen stack: a bare process that imports pydantic
(with BaseModel), jinja2, click and experta and does nothing else — what any start of ours
pays before a line of diagnoser runs — and the same without jinja2, which `--format json`
never loads. The gap between a command and its floor is diagnoser's own.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# a ticket's own words (intake's text machinery loads with it): a printer that will not print
TEXT = "开票时打印机不出纸，提示错误代码1001"
# what `diagnoser batch` does before it starts its workers: the knowledge base loaded, the
# vocabulary compiled (or read from its cache) and the full rule network built
# what a batch parent does before it forks its workers; a tree from before 0.5 had no
# prepare(engine=...) and compiled only the vocabulary there
BATCH_PARENT = (
    "from diagnoser import Diagnoser\n"
    "d = Diagnoser()\n"
    "try:\n    d.prepare(engine=True)\n"
    "except TypeError:\n    d.prepare()\n"
)
COLD = os.path.join(tempfile.gettempdir(), f"diagnoser-bench-cold-{os.getpid()}")

# the stack alone, in a bare process: experta needs collections.Mapping while its frozendict 1.2
# is first imported (what diagnoser/engine/_experta.py does); pydantic.BaseModel loads the part
# of pydantic every model needs
_FLOOR = (
    "import collections, collections.abc; collections.Mapping = collections.abc.Mapping; "
    "import pydantic, click, experta{jinja2}; pydantic.BaseModel"
)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of the child) of one run of `cmd`; a cache directory
    named COLD in `env` is emptied first."""
    if env.get("DIAGNOSER_CACHE_DIR") == COLD:
        shutil.rmtree(COLD, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="runs of each command")
    parser.add_argument(
        "--baseline", metavar="DIR", help="a source tree to compare with (its diagnoser package)"
    )
    args = parser.parse_args()

    exe = shutil.which("diagnoser", path=os.path.dirname(sys.executable)) or shutil.which(
        "diagnoser"
    )
    if exe is None:
        sys.exit("diagnoser is not installed in this environment")
    cache = tempfile.mkdtemp(prefix="diagnoser-bench-cache-")
    # bytecode written by the first run, as an installed package has it
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    warm = {**env, "DIAGNOSER_CACHE_DIR": cache}
    cold = {**env, "DIAGNOSER_CACHE_DIR": COLD}
    off = {**warm, "DIAGNOSER_CACHE": "0"}
    commands = {
        "python -c 'import json'": ([sys.executable, "-c", "import json"], warm),
        "floor: import pydantic, jinja2, click, experta": (
            [sys.executable, "-c", _FLOOR.format(jinja2=", jinja2")],
            warm,
        ),
        "floor without jinja2 (what --format json needs)": (
            [sys.executable, "-c", _FLOOR.format(jinja2="")],
            warm,
        ),
        "diagnose --code 1001 (cache warm)": ([exe, "diagnose", "--code", "1001"], warm),
        "diagnose --code 1001 (cache cold)": ([exe, "diagnose", "--code", "1001"], cold),
        "diagnose --code 1001 (DIAGNOSER_CACHE=0)": ([exe, "diagnose", "--code", "1001"], off),
        "diagnose --code 1001 --format json (cache warm)": (
            [exe, "diagnose", "--code", "1001", "--format", "json"],
            warm,
        ),
        "diagnose --text '...' (cache warm)": ([exe, "diagnose", "--text", TEXT], warm),
        "diagnose --text '...' (cache cold)": ([exe, "diagnose", "--text", TEXT], cold),
        "diagnose --text '...' (DIAGNOSER_CACHE=0)": ([exe, "diagnose", "--text", TEXT], off),
        "batch parent before its workers (cache warm)": (
            [sys.executable, "-c", BATCH_PARENT],
            warm,
        ),
    }
    if args.baseline:
        # both from source through the same entry, so that only the tree differs
        entry = [sys.executable, "-m", "diagnoser"]
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for label, tree in (("this tree", here), ("baseline", args.baseline)):
            # PYTHONSAFEPATH: `python -m` would otherwise put the current directory (a source
            # tree itself, when run from one) before PYTHONPATH, and import that tree instead
            env = {**warm, "PYTHONPATH": os.path.abspath(tree), "PYTHONSAFEPATH": "1"}
            for fmt in ("text", "json"):
                commands[f"diagnose --code 1001 --format {fmt}, {label} (cache warm)"] = (
                    [*entry, "diagnose", "--code", "1001", "--format", fmt],
                    env,
                )
            commands[f"diagnose --text '...', {label} (cache warm)"] = (
                [*entry, "diagnose", "--text", TEXT],
                env,
            )
            commands[f"batch parent before its workers, {label} (cache warm)"] = (
                [sys.executable, "-c", BATCH_PARENT],
                env,
            )
    try:
        for cmd, env in commands.values():  # fills the cache, compiles the bytecode
            timed(cmd, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (cmd, env) in commands.items():
                times[name].append(timed(cmd, env))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(COLD, ignore_errors=True)
    bare = times["python -c 'import json'"]
    base = statistics.median(wall for wall, _ in bare)
    base_cpu = statistics.median(cpu for _, cpu in bare)
    print(
        f"{args.runs} runs each, interleaved; medians: wall-clock and CPU, each with its ratio "
        "to a bare python"
    )
    for name, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(
            f"  {name:62} {wall * 1000:7.0f} ms {wall / base:5.1f}x"
            f"   cpu {cpu * 1000:5.0f} ms {cpu / base_cpu:5.1f}x"
        )


if __name__ == "__main__":
    main()

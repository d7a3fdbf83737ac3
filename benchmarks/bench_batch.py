"""Speed of `diagnoser batch` on a generated backlog, against what it must be compared with.

Run: python benchmarks/bench_batch.py [--tickets 100000] [--big 1000000] [--runs 3]
     [--old PATH] [--stages 20000]

Prints, in one run: tickets/s of `diagnoser batch` end to end and its CPU time per ticket (all
processes); the time of a bare JSONL read + write of the same file and the ratio; the batch on
the same backlog with its texts removed (the runner and the engine without text matching); CPU
microseconds per text of intake alone (texts it has not read before, in one process); a naive
mode (one worker, no cache); p50/p95 of one warm Diagnoser.diagnose; the whole-process time of
`diagnoser diagnose --code 1001`; peak memory (largest process) of batch runs over --tickets
and --big tickets; where the CPU time of a ticket goes, stage by stage (read+parse, intake,
engine, record build, encode+write, pickling to and from the workers), measured in one process
over the first --stages tickets of the backlog, with the share of tickets whose record body
and engine run were made rather than taken from the caches keyed by the facts; the main
process's CPU per ticket and share of the run (reading, dispatch, writing), split into what it
spent before the workers started (imports, the knowledge base, compiling the vocabulary: a
cost per run) and per ticket after. With --old PATH
(a checkout of an earlier diagnoser), its batch runs in turn with this one's and its stages
beside them. Medians of
--runs; the machine may be shared and noisy, so compare ratios and CPU times rather than single
wall-clock numbers.

The backlog is made like a real export, seeded: every text is distinct, a base phrasing in
simplified or traditional Chinese or English (the labelled examples and canned phrases)
wrapped in greetings, store names, dates, ticket and order numbers and signatures, with error
codes, systems, scopes, metrics and timestamps varied per ticket (see PROFILES).
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
# base phrasings of the texts: the labelled examples and the tuning set (never the sealed
# held-out set), plus short canned phrases as people type them
BASES = ("tickets.jsonl", "holdout.jsonl", "realworld-dev.jsonl")
CANNED = {
    "zh": ["开不了票", "打印不出来", "系统很慢", "上传失败", "税控盘读不到", "开票软件打不开"],
    "zh-Hant": ["發票開不出來", "列印沒反應", "系統很慢", "上傳失敗", "連線逾時"],
    "en": ["printer jammed again", "cannot connect to the server", "invoice upload keeps failing"],
}
# what a real export wraps around the problem: greetings, stores, numbers, dates, signatures
GREETINGS = {
    "zh": ["您好，", "你好，", "老师好，", "在吗？", "麻烦看一下，", ""],
    "zh-Hant": ["您好，", "不好意思打擾，", "請問一下，", ""],
    "en": ["Hi team, ", "Hello, ", "Good morning, ", "Dear support, ", ""],
}
STORES = {
    "zh": ["{city}{road}店", "{city}第{n}分店", "{city}{road}{n}号门店"],
    "zh-Hant": ["{city}{road}門市", "{city}第{n}門市"],
    "en": ["{city} store #{n}", "{road} Rd branch {n}", "outlet {n} ({city})"],
}
CITIES = {
    "zh": ["北京", "上海", "杭州", "成都", "武汉", "深圳", "南京", "西安"],
    "zh-Hant": ["台北", "新竹", "台中", "高雄", "香港", "九龍"],
    "en": ["Leeds", "Austin", "Pune", "Milan", "Lyon", "Dublin", "Osaka"],
}
ROADS = {
    "zh": ["人民路", "中山路", "解放路", "建设路", "长江路"],
    "zh-Hant": ["忠孝", "中正", "民生", "復興"],
    "en": ["Station", "Church", "High", "Mill", "Park"],
}
NUMBERS = {
    "zh": ["订单号{n}", "工单#{n}", "发票号码{n}", "单号 {n}"],
    "zh-Hant": ["訂單編號{n}", "發票號碼{n}"],
    "en": ["order {n}", "ticket #{n}", "ref INV-{n}", "PO {n}"],
}
DATES = {
    "zh": ["{m}月{d}日上午", "{m}月{d}号下午{h}点", "2026-{m:02d}-{d:02d} {h}:{mi:02d}"],
    "zh-Hant": ["{m}月{d}日", "2026/{m:02d}/{d:02d} {h}:{mi:02d}"],
    "en": ["on {m}/{d}", "since {h}:{mi:02d} today", "2026-{m:02d}-{d:02d}"],
}
SIGNATURES = {
    "zh": ["谢谢！", "急，谢谢", "——{name}", "{name} {phone}", ""],
    "zh-Hant": ["謝謝！", "感恩", "——{name}", ""],
    "en": ["Thanks,\n{name}", "Regards, {name} | {store}", "Sent from my iPhone", ""],
}
NAMES = {
    "zh": ["张伟", "王芳", "李娜", "刘强", "陈静"],
    "zh-Hant": ["陳怡君", "林志明", "黃美玲"],
    "en": ["John Smith", "Priya Rao", "Marco Bianchi", "Anna Lee"],
}
CODES = ["1001", "E1001", "错误代码1001", "0x11", "6A80", "2150", "-79", "GSPERR300", "9999"]
SYSTEMS = [None, None, None, "generic", "tax_controller", "tax_register", "india_irp"]
SCOPES = [None, None, None, "single_user", "site", "region", "city", "门店"]


# How often a ticket carries each structured field, per backlog profile. "realistic" is an
# export of one helpdesk: text first, codes mostly written in the text, fields filled now and
# then. "diverse" varies every field independently as well. In both, every text is distinct,
# as in a real backlog: the results cannot come from a cache keyed by text.
PROFILES = {
    "realistic": {"codes": 0.10, "system": 0.0, "scope": 0.05, "metrics": 0.05, "users": 0.03},
    "diverse": {"codes": 0.35, "system": 4 / 7, "scope": 5 / 8, "metrics": 0.10, "users": 0.10},
}


def _language(text: str, declared: str | None) -> str:
    if declared in ("zh", "zh-Hant", "en"):
        return declared
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def base_texts() -> dict[str, list[str]]:
    """The base phrasings per language (zh, zh-Hant, en)."""
    texts: dict[str, list[str]] = {lang: list(canned) for lang, canned in CANNED.items()}
    for name in BASES:
        with open(ROOT / "examples" / "tickets" / name, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    data = json.loads(line)
                    text = data.get("text") or ""
                    if text:
                        texts[_language(text, data.get("lang"))].append(text)
    return texts


def make_text(rng: random.Random, bases: dict[str, list[str]], serial: int) -> str:
    """One ticket text: a base phrasing in a language, wrapped as a desk's export has it."""
    lang = rng.choices(("zh", "zh-Hant", "en"), (0.55, 0.15, 0.30))[0]
    sep = " " if lang == "en" else "，"
    fill = {
        "city": rng.choice(CITIES[lang]),
        "road": rng.choice(ROADS[lang]),
        "n": rng.randrange(1, 999),
        "m": rng.randrange(1, 13),
        "d": rng.randrange(1, 29),
        "h": rng.randrange(7, 23),
        "mi": rng.randrange(60),
        "name": rng.choice(NAMES[lang]),
        "phone": f"1{rng.randrange(30, 99)}{rng.randrange(10**8):08d}",
    }
    fill["store"] = rng.choice(STORES[lang]).format(**fill)
    parts = [rng.choice(GREETINGS[lang])]
    if rng.random() < 0.6:
        parts.append(fill["store"] + sep)
    if rng.random() < 0.4:
        parts.append(rng.choice(DATES[lang]).format(**fill) + sep)
    parts.append(rng.choice(bases[lang]))
    if rng.random() < 0.15:
        parts.append(sep + rng.choice(bases[lang]))
    # a ticket or order number: the serial keeps every text distinct
    number = f"{2026_0000_0000 + serial * 7919 % 10**8 + rng.randrange(100)}"
    parts.append(sep + rng.choice(NUMBERS[lang]).format(n=number))
    signature = rng.choice(SIGNATURES[lang]).format(**fill)
    if signature:
        parts.append("\n" + signature)
    return "".join(parts)


def make_backlog(path: Path, count: int, seed: int = 7, profile: str = "realistic") -> int:
    """Write `count` tickets as JSONL; return how many distinct texts they have."""
    rng = random.Random(seed)
    share = PROFILES[profile]
    bases = base_texts()
    start = dt.datetime(2026, 1, 1, 8, 0)
    seen: set[int] = set()
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            text = make_text(rng, bases, i)
            seen.add(hash(text))
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
    return len(seen)


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
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(time.perf_counter() - t, u.ru_maxrss, rc, u.ru_utime + u.ru_stime)\n"
)
CPU: list[float] = []  # CPU seconds of every timed command, in order


def old_environment(tree: Path) -> dict[str, str]:
    """The environment that runs an older checkout: its tree first on the path, and no current
    directory (PYTHONSAFEPATH; `python -c` started from this project would otherwise put it
    first and import this tree instead). Checked: the old process must import the old tree."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve()), "PYTHONSAFEPATH": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "import diagnoser; print(diagnoser.__file__)"],
        check=True, capture_output=True, text=True, env=env,
    ).stdout.strip()  # fmt: skip
    if not Path(where).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"--old {tree}: its process imports {where}, not that tree")
    return env


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak resident MB of the largest process) of one command; its CPU seconds
    (all its processes) are appended to CPU."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, *cmd], check=True, capture_output=True, text=True, env=env
    ).stdout.split()
    seconds, peak_kb, rc = float(out[0]), int(out[1]), int(out[2])
    if rc not in (0, 4, 5):
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {rc}")
    CPU.append(float(out[3]))
    return seconds, peak_kb / 1024


# Where the CPU time of one ticket goes, in one process over the backlog: reading and mapping
# the input and validating the Ticket (read+parse), intake (the text read and the facts made),
# the engine runs, the rest of the record (ranking, triage, the record itself), encoding the
# JSONL and writing it, and pickling what a worker receives (the chunk as the runner sends it:
# JSONL lines unparsed, where the workers parse and map them) and sends back. Each stage is timed
# by wrapping the function that does it (CPU time; a wrapper counts only its outermost call).
STAGES_SCRIPT = r"""
import json, pickle, sys, time
path, count = sys.argv[1], int(sys.argv[2])
from diagnoser import service
from diagnoser.batch import runner
from diagnoser.batch.output import AtomicFile

cpu = time.process_time
spent = {"ticket": 0.0, "intake": 0.0, "engine": 0.0}


depth = {"ticket": 0, "intake": 0, "engine": 0}


def timed(name, fn):
    def wrapper(*args, **kwargs):
        depth[name] += 1
        start = cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            depth[name] -= 1
            if not depth[name]:  # the outermost call only (reading a text is part of intake)
                spent[name] += cpu() - start
    return wrapper


config = runner.BatchConfig([path])
diagnoser = runner.diagnoser_for(config.kb_spec())
start = cpu()
items = list(runner.iter_items(config))
read = cpu() - start
read /= len(items)
runner.diagnose_items(diagnoser, items[:200])  # compiles what is compiled on first use
items = items[200:]  # texts not read before
n = len(items)
ticket_parse = service.Ticket.parse
service.Ticket.parse = timed("ticket", ticket_parse)
service.take_in = timed("intake", service.take_in)
diagnoser._vocab.read_text = timed("intake", diagnoser._vocab.read_text)
diagnoser._run = timed("engine", diagnoser._run)
built = [0]  # record bodies made (the others came from the cache keyed by the facts)
record_body = diagnoser._record_body


def counted(*args, **kwargs):
    built[0] += 1
    return record_body(*args, **kwargs)


diagnoser._record_body = counted
runs_before = diagnoser.cache_misses
start = cpu()
records = runner.diagnose_items(diagnoser, items)
total = cpu() - start
service.Ticket.parse = ticket_parse
how = runner.Encoding("jsonl")
start = cpu()
out = AtomicFile(__import__("pathlib").Path(path + ".stages.out"))
for i in range(0, n, 500):
    out.write(runner.encode_records(records[i : i + 500], how).out)
out.discard()
encode = cpu() - start
# what crosses the process boundary: the chunks out (JSONL lines as the main process decoded
# them, where the runner leaves parsing and mapping to the workers), encoded text back
sent = list(runner._read(config, None, True))[200:] if hasattr(runner, "_read") else items
start = cpu()
for i in range(0, n, 500):
    pickle.loads(pickle.dumps(sent[i : i + 500]))
    pickle.loads(pickle.dumps(runner.encode_records(records[i : i + 500], how)))
transfer = cpu() - start - encode
intake_ = spent["intake"]
record = total - spent["ticket"] - intake_ - spent["engine"]
print(json.dumps({
    "read+parse": read * 1e6 + spent["ticket"] / n * 1e6,
    "intake": intake_ / n * 1e6,
    "engine": spent["engine"] / n * 1e6,
    "record build": record / n * 1e6,
    "encode+write": encode / n * 1e6,
    "to/from workers": transfer / n * 1e6,
    "record bodies built": built[0] / n,
    "engine runs": (diagnoser.cache_misses - runs_before) / n,
}))
"""

STAGES = ("read+parse", "intake", "engine", "record build", "encode+write", "to/from workers")


def stages(backlog: Path, count: int, env: dict[str, str] | None = None) -> dict[str, float]:
    """CPU µs per ticket of each stage (STAGES), in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", STAGES_SCRIPT, str(backlog), str(count)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return {k: float(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


# The main process's share of the CPU time of a batch run: the CLI run in this process, the
# workers its children (reaped when the pool shuts down); and how much of the main process's
# time went before the workers started (imports, loading the knowledge base, compiling the
# vocabulary, building the rule network: Diagnoser.prepare, called just before the pool forks),
# a cost per run, not per ticket. The tickets the main process diagnoses itself after that, to
# warm what the workers inherit (runner.WARM_UP), count in its part per ticket.
_SHARE = (
    "import os, resource, sys\n"
    "os.environ.setdefault('PYDANTIC_DISABLE_PLUGINS', '__all__')\n"
    "def used(who):\n"
    "    u = resource.getrusage(who)\n"
    "    return u.ru_utime + u.ru_stime\n"
    "from diagnoser import service\n"
    "prepare, ready = service.Diagnoser.prepare, []\n"
    "def prepared(self, *args, **kwargs):\n"
    "    done = prepare(self, *args, **kwargs)\n"
    "    ready.append(used(resource.RUSAGE_SELF))\n"
    "    return done\n"
    "service.Diagnoser.prepare = prepared\n"
    "from diagnoser.cli import main\n"
    "sys.argv = ['diagnoser', *sys.argv[1:]]\n"
    "code = 0\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exc:\n"
    "    code = exc.code if isinstance(exc.code, int) else 1\n"
    "me, kids = used(resource.RUSAGE_SELF), used(resource.RUSAGE_CHILDREN)\n"
    "print(me, kids, ready[0] if ready else 0.0, code, file=sys.stderr)\n"
)


def main_share(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(CPU seconds of the main process, of its workers, of the main process before the
    workers started) of one `diagnoser batch ARGS` run."""
    done = subprocess.run(
        [sys.executable, "-c", _SHARE, *args], check=True, capture_output=True, text=True, env=env
    )
    me, kids, start, code = done.stderr.strip().splitlines()[-1].split()
    if int(code) not in (0, 4, 5):  # a failed run would be timed as a fast one
        raise SystemExit(f"diagnoser {' '.join(args)} failed with exit code {code}")
    return float(me), float(kids), float(start)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000, help="0 skips the big run")
    parser.add_argument("--naive", type=int, default=10_000, help="tickets for the naive mode")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="realistic",
        help="how often tickets carry codes, systems, scopes, metrics (see PROFILES)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    parser.add_argument(
        "--old",
        type=Path,
        help="a checkout of an earlier diagnoser: its batch and stages too, run for run in turn",
    )
    parser.add_argument(
        "--stages", type=int, default=20_000, help="tickets for the per-stage breakdown"
    )
    args = parser.parse_args()

    # the diagnoser of this interpreter's environment, even when it is not on PATH
    exe = shutil.which("diagnoser", path=str(Path(sys.executable).parent)) or shutil.which(
        "diagnoser"
    )
    cli = [exe] if exe else [sys.executable, "-c", "from diagnoser.cli import main; main()"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        backlog = tmp / "backlog.jsonl"
        distinct = make_backlog(backlog, args.tickets, profile=args.profile)
        naive_in = tmp / "naive.jsonl"
        with open(backlog, encoding="utf-8") as src, open(naive_in, "w", encoding="utf-8") as dst:
            for _, line in zip(range(args.naive), src, strict=False):
                dst.write(line)

        batch = [*cli, "batch", "-q", "--workers", str(args.workers)]
        bare = statistics.median(bare_read_write(backlog, tmp / "bare.jsonl") for _ in range(3))
        old_env = None
        old_batch = [sys.executable, "-c", "from diagnoser.cli import main; main()"]
        old_batch += ["batch", "-q", "--workers", str(args.workers)]
        if args.old:
            old_env = old_environment(args.old)
        runs, old_runs, old_cpu = [], [], []
        for _ in range(args.runs):  # in turn, so a machine whose load changes treats both alike
            runs.append(timed([*batch, str(backlog), "-o", str(tmp / "out.jsonl")]))
            cpu_here = CPU.pop()
            if args.old:
                old_runs.append(
                    timed([*old_batch, str(backlog), "-o", str(tmp / "old.jsonl")], old_env)
                )
                old_cpu.append(CPU.pop())
            CPU.append(cpu_here)
        seconds = statistics.median(s for s, _ in runs)
        cpu = statistics.median(CPU[-args.runs :])
        peak = max(m for _, m in runs)
        staged = min(args.stages, args.tickets)
        here_stages = stages(backlog, staged)
        old_stages = stages(backlog, staged, old_env) if args.old else None
        # the same backlog without its texts: what reading, mapping, the engine and writing
        # cost, without intake's text matching
        bare_in = tmp / "no-text.jsonl"
        with open(backlog, encoding="utf-8") as src, open(bare_in, "w", encoding="utf-8") as dst:
            for line in src:
                dst.write(json.dumps({**json.loads(line), "text": ""}, ensure_ascii=False) + "\n")
        floor_runs = [
            timed([*batch, str(bare_in), "-o", str(tmp / "no-text-out.jsonl")])[0]
            for _ in range(args.runs)
        ]
        floor = statistics.median(floor_runs)
        bare_in.unlink()
        share_args = ["batch", "-q", "--workers", str(args.workers), str(backlog), "-o"]
        share = main_share([*share_args, str(tmp / "share.jsonl")])
        old_share = (
            main_share([*share_args, str(tmp / "old-share.jsonl")], old_env) if args.old else None
        )
        naive_s, _ = timed(
            [*cli, "batch", "-q", "--workers", "1", "--cache-size", "0", str(naive_in),
             "-o", str(tmp / "naive-out.jsonl")]
        )  # fmt: skip

        from diagnoser import Diagnoser, Ticket
        from diagnoser.intake import take_in

        diagnoser = Diagnoser()
        passes = max(3, args.runs)
        with open(backlog, encoding="utf-8") as handle:
            lines = [line for _, line in zip(range(1000 * (passes + 1)), handle, strict=False)]
        # intake alone, each pass over texts it has not read before (intake may remember texts)
        slices = [
            [Ticket.parse(json.loads(x)) for x in lines[i :: passes + 1]] for i in range(passes + 1)
        ]
        for ticket in slices[0]:  # the first use compiles the patterns
            take_in(ticket, diagnoser.kb, diagnoser._vocab)
        intake_runs = []
        for part in slices[1:]:
            start = time.process_time()  # CPU time: one thread, whatever else the machine runs
            for ticket in part:
                take_in(ticket, diagnoser.kb, diagnoser._vocab)
            intake_runs.append((time.process_time() - start) / len(part))
        intake_us = statistics.median(intake_runs) * 1e6
        intake_n = len(slices[1])
        sample = [json.loads(x) for x in lines[:3000]]
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
            f"{distinct:,} distinct texts; {cores} cores"
        )
        print(
            f"diagnoser batch:        {args.tickets / seconds:,.0f} tickets/s "
            f"({seconds:.2f} s, median of {args.runs})"
        )
        print(
            f"  CPU, all processes:   {cpu / args.tickets * 1e6:,.0f} µs per ticket "
            f"({cpu:.1f} s; a busy machine stretches the wall time, less the CPU time)"
        )
        if args.old:
            old_s = statistics.median(s for s, _ in old_runs)
            print(
                f"  old ({args.old}): {args.tickets / old_s:,.0f} tickets/s ({old_s:.2f} s), "
                f"{statistics.median(old_cpu) / args.tickets * 1e6:,.0f} µs CPU per ticket; "
                f"this / old: {old_s / seconds:.2f}x tickets/s"
            )
        print(f"bare JSONL read+write:  {args.tickets / bare:,.0f} tickets/s ({bare:.2f} s)")
        print(f"ratio batch / bare:     {seconds / bare:.1f}x")
        print(
            f"batch, texts removed:   {args.tickets / floor:,.0f} tickets/s "
            f"({floor / bare:.1f}x bare): the runner and engine without text matching"
        )
        print(
            f"intake alone:           {intake_us:,.0f} µs CPU per text "
            f"(one process, median of {len(intake_runs)} passes over {intake_n:,} new texts each)"
        )
        line = (
            f"main process:           {share[0] / args.tickets * 1e6:,.0f} µs CPU per ticket, "
            f"{share[0] / sum(share[:2]):.0%} of the run's CPU (reading, dispatch, writing)"
        )
        if old_share is not None:
            old_us = old_share[0] / args.tickets * 1e6
            line += f"; old {old_us:,.0f} µs, {old_share[0] / sum(old_share[:2]):.0%}"
        print(line)
        line = (
            f"  of it, before workers: {share[2]:.2f} s (imports, knowledge base, vocabulary); "
            f"after: {(share[0] - share[2]) / args.tickets * 1e6:,.1f} µs per ticket"
        )
        if old_share is not None:
            old_after = (old_share[0] - old_share[2]) / args.tickets * 1e6
            line += f"; old {old_share[2]:.2f} s, {old_after:,.1f} µs"
        print(line)
        print(f"stages, µs CPU per ticket (one process, {staged:,} tickets):")
        for name in STAGES:
            line = f"  {name:16} {here_stages[name]:8.1f}"
            if old_stages is not None:
                line += f"   old {old_stages[name]:8.1f}"
            print(line)
        for name in ("record bodies built", "engine runs"):
            line = f"  {name + ' per ticket':32} {here_stages[name]:6.1%}"
            if old_stages is not None and name in old_stages:
                line += f"   old {old_stages[name]:6.1%}"
            print(line)
        total = sum(here_stages[name] for name in STAGES)
        line = f"  {'total':16} {total:8.1f}"
        if old_stages is not None:
            line += f"   old {sum(old_stages[name] for name in STAGES):8.1f}"
        print(line)
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
            make_backlog(big, args.big, seed=11, profile=args.profile)
            backlog.unlink()
            big_s, big_peak = timed([*batch, str(big), "-o", str(tmp / "big-out.jsonl")])
            print(
                f"peak memory, {args.big:,} tickets: {big_peak:.0f} MB "
                f"({args.big / big_s:,.0f} tickets/s)"
            )


if __name__ == "__main__":
    main()

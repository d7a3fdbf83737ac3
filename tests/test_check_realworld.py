"""examples/tickets/check_realworld.py: the guard that keeps the real-phrasing sets valid and
independent of one another (no ticket a near-copy of another file's)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "tickets" / "check_realworld.py"


def run(*args: str, script: Path = SCRIPT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=300
    )


def test_the_shipped_sets_are_valid_and_no_ticket_is_a_near_copy() -> None:
    done = run()
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr


def test_near_lists_every_near_copy_by_id_and_fails(tmp_path: Path) -> None:
    script = tmp_path / "check_realworld.py"
    shutil.copy(SCRIPT, script)
    new = [
        {"id": "n-1", "text": "打印机一直脱机，测试页也打不出来"},
        {"id": "n-2", "text": "the tax portal answers 503 since this morning"},
    ]
    old = [{"id": "o-1", "text": "打印机一直脱机，测试页都打不出来"}]
    (tmp_path / "new.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in new), encoding="utf-8"
    )
    (tmp_path / "old.jsonl").write_text(json.dumps(old[0], ensure_ascii=False) + "\n", "utf-8")
    done = run("--near", "new.jsonl", script=script)
    assert done.returncode == 1
    assert "n-1 ~ old.jsonl:o-1" in done.stdout
    assert "n-2" not in done.stdout
    assert "1 ticket(s) of new.jsonl" in done.stdout


def test_near_names_a_missing_file(tmp_path: Path) -> None:
    done = run("--near", "no-such-set.jsonl")
    assert done.returncode == 1
    assert "no-such-set.jsonl" in done.stderr


def test_the_indexed_closest_pair_is_the_brute_force_one() -> None:
    import importlib.util
    import random

    spec = importlib.util.spec_from_file_location("check_realworld", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rng = random.Random(5)
    words = ["打印机", "脱机", "税控盘", "printer", "offline", "超时", "timeout", "发票", "上传"]
    rows = [
        {"id": f"r{i}", "text": "".join(rng.choice(words) for _ in range(rng.randrange(1, 5)))}
        for i in range(60)
    ]
    others = [(r, mod.trigrams(r["text"])) for r in rows[30:]]
    best = (0.0, "", "")
    for a in rows[:30]:  # every pair, the slow way
        ga = mod.trigrams(a["text"])
        for b, gb in others:
            if ga and gb and len(ga & gb) / len(ga | gb) > best[0]:
                best = (len(ga & gb) / len(ga | gb), a["id"], b["id"])
    assert best[0] > 0
    assert mod.closest(rows[:30], others) == best

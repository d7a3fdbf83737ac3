"""The examples run as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_embed_example_runs():
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples/embed.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("HD-1001: network.disconnected")
    assert any(line.startswith("HD-1002: hardware.printer_failure") for line in lines)
    assert any(line.startswith("HD-1004: rejected:") and "cpu_percent" in line for line in lines)

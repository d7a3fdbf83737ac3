"""No dead code in the package: vulture finds nothing that the package, its tests and benchmarks
do not use, but for the names tests/vulture_whitelist.py lists with who uses them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("vulture")

ROOT = Path(__file__).resolve().parent.parent
# decorated functions that pydantic calls: validators and serializers
DECORATORS = "@field_validator,@model_validator,@model_serializer"


def test_vulture_finds_no_dead_code_in_the_package():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vulture",
            "diagnoser",
            "tests",
            "benchmarks",
            "tests/vulture_whitelist.py",
            "--min-confidence",
            "60",
            "--ignore-decorators",
            DECORATORS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # the tests and benchmarks count as users, but only the package is held to it
    dead = [line for line in done.stdout.splitlines() if line.startswith("diagnoser")]
    assert not dead, "\n".join(dead)
    assert done.returncode in (0, 3), done.stderr  # 3: something found (in tests/benchmarks)

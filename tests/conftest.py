"""Shared fixtures: a small, stable knowledge base for unit tests, and the shipped one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from diagnoser import Diagnoser

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"


# the compiled knowledge-base cache of the tests (and of the processes they start) is their own
_CACHE = tempfile.mkdtemp(prefix="diagnoser-test-cache-")
os.environ["DIAGNOSER_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def mini() -> Diagnoser:
    """A Diagnoser over tests/fixtures/mini (three faults, two systems)."""
    return Diagnoser.from_paths(rules=MINI / "rules", knowledge=MINI / "knowledge")


@pytest.fixture(scope="session")
def shipped() -> Diagnoser:
    """A Diagnoser over the shipped default knowledge base."""
    return Diagnoser()


@pytest.fixture
def kb_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of the mini knowledge base: (rules, knowledge)."""
    shutil.copytree(MINI, tmp_path / "kb")
    return tmp_path / "kb" / "rules", tmp_path / "kb" / "knowledge"

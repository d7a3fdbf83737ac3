"""Shared fixtures: a small, stable knowledge base for unit tests, and the shipped one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from diagnoser import Diagnoser

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"


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

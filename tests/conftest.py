"""Shared fixtures: a small, stable knowledge base for unit tests, and the shipped one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from diagnoser import Diagnoser

if TYPE_CHECKING:
    from diagnoser.kb.scenarios import Scenario

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"


# the compiled knowledge-base cache of the tests (and of the processes they start) is their own
_CACHE = tempfile.mkdtemp(prefix="diagnoser-test-cache-")
os.environ["DIAGNOSER_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of its own for the test, the cache turned on."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("DIAGNOSER_CACHE_DIR", str(directory))
    monkeypatch.delenv("DIAGNOSER_CACHE", raising=False)
    return directory


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


class _FailingReader:
    """An open file whose every read fails as a dying disk does (EIO)."""

    def __enter__(self) -> _FailingReader:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def readline(self, limit: int = -1) -> str:
        raise OSError(5, "Input/output error")


@pytest.fixture
def fail_reading(monkeypatch):
    """`fail_reading(path)`: from now on, opening `path` gives a file whose reads fail."""

    def install(path: Path) -> None:
        real_open = Path.open
        monkeypatch.setattr(
            Path,
            "open",
            lambda self, *a, **k: _FailingReader() if self == path else real_open(self, *a, **k),
        )

    return install


@pytest.fixture(scope="session")
def shipped_scenarios(shipped: Diagnoser) -> dict[str, list[Scenario]]:
    """The shipped scenarios, parsed and validated as `kb test` reads them, by file stem."""
    from diagnoser._resources import default_paths
    from diagnoser.kb.scenarios import load_scenarios

    groups: dict[str, list[Scenario]] = {}
    for loaded in load_scenarios(default_paths()[0], shipped.kb.faults)[0]:
        groups.setdefault(loaded.group, []).append(loaded.scenario)
    return groups

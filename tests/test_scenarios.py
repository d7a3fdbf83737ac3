"""Whole-knowledge-base scenarios (rules/scenarios/*.yaml), through the runner `kb test` uses."""

from __future__ import annotations

import pytest

from diagnoser import Diagnoser
from diagnoser._resources import default_paths
from diagnoser.kb.scenarios import load_scenarios, run_scenario

_RULES, _KNOWLEDGE = default_paths()
_D: Diagnoser | None = None


def _diagnoser() -> Diagnoser:
    global _D
    if _D is None:
        _D = Diagnoser()
    return _D


def _scenarios():
    # collected without building a Diagnoser: a broken knowledge base fails tests, not import
    faults = {p.stem for p in (_KNOWLEDGE / "faults").rglob("*.yaml")}
    return load_scenarios(_RULES, faults)[0]


SCENARIOS = _scenarios()


@pytest.mark.parametrize(
    "loaded", SCENARIOS, ids=[f"{s.group}: {s.scenario.name}" for s in SCENARIOS]
)
def test_scenario(loaded):
    result = run_scenario(_diagnoser(), loaded)
    if loaded.scenario.known_gap:
        if result.passed:
            pytest.fail(
                f"{result.location}: passes now; remove known_gap ({loaded.scenario.known_gap})"
            )
        pytest.xfail(loaded.scenario.known_gap)
    assert result.passed, f"{result.location}: {result.message}"


def test_scenario_files_are_valid():
    _, issues = load_scenarios(_RULES, _diagnoser().kb.faults)
    assert [str(i) for i in issues] == []

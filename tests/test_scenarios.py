"""Whole-knowledge-base scenarios (rules/scenarios/*.yaml), through the runner `kb test` uses."""

from __future__ import annotations

import pytest

from diagnoser._resources import default_paths
from diagnoser.kb.scenarios import load_scenarios, run_scenario

_RULES, _KNOWLEDGE = default_paths()


def _scenarios():
    # collected without building a Diagnoser: a broken knowledge base fails tests, not import
    faults = {p.stem for p in (_KNOWLEDGE / "faults").rglob("*.yaml")}
    return load_scenarios(_RULES, faults)[0]


SCENARIOS = _scenarios()


@pytest.mark.parametrize(
    "loaded", SCENARIOS, ids=[f"{s.group}: {s.scenario.name}" for s in SCENARIOS]
)
def test_scenario(loaded, shipped):
    result = run_scenario(shipped, loaded)
    if loaded.scenario.known_gap:
        if result.passed:
            pytest.fail(
                f"{result.location}: passes now; remove known_gap ({loaded.scenario.known_gap})"
            )
        pytest.xfail(loaded.scenario.known_gap)
    assert result.passed, f"{result.location}: {result.message}"


def test_scenario_files_are_valid(shipped):
    _, issues = load_scenarios(_RULES, shipped.kb.faults)
    assert [str(i) for i in issues] == []


def test_a_scenario_result_has_the_shape_of_a_case_result(shipped):
    # one outcome type for rule cases, incident cases and scenarios: a tool running `kb test`'s
    # runners handles them alike
    from diagnoser.kb.casetest import CaseResult, load_cases, run_case

    scenario = run_scenario(shipped, SCENARIOS[0])
    case = run_case(shipped, load_cases(_RULES, set(shipped.kb.rules))[0][0])
    assert type(scenario) is type(case) is CaseResult
    assert scenario.subject == SCENARIOS[0].group and scenario.ok

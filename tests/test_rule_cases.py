"""Every fixture case of the shipped rules (rules/cases/*.yaml), through the shared runner."""

from __future__ import annotations

import pytest

from diagnoser._resources import default_paths
from diagnoser.kb.casetest import coverage_issues, load_cases, run_case

_RULES, _ = default_paths()


def _cases():
    # collected without building a Diagnoser, so a broken knowledge base fails tests, not import
    rule_ids = {p.stem for p in _RULES.rglob("*.yaml") if "cases" not in p.parts}
    cases, _ = load_cases(_RULES, rule_ids)
    return cases


CASES = _cases()


@pytest.mark.parametrize("loaded", CASES, ids=[f"{c.rule}: {c.case.name}" for c in CASES])
def test_rule_case(loaded, shipped):
    result = run_case(shipped, loaded)
    if loaded.case.known_gap:
        if result.passed:
            pytest.fail(
                f"{result.location}: passes now; remove known_gap ({loaded.case.known_gap})"
            )
        pytest.xfail(loaded.case.known_gap)
    assert result.passed, f"{result.location}: {result.message}"


def test_case_files_are_valid(shipped):
    _, issues = load_cases(_RULES, set(shipped.kb.rules))
    assert [str(i) for i in issues] == []


def test_every_rule_has_a_positive_and_a_negative_case(shipped):
    cases, _ = load_cases(_RULES, set(shipped.kb.rules))
    assert [str(i) for i in coverage_issues(shipped, cases)] == []

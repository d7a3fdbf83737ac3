"""Triage (diagnoser.triage): the priority from severity, impact scope and affected users."""

from __future__ import annotations

from diagnoser.facts import FactIn
from diagnoser.kb.models import Severity
from diagnoser.result import Priority, Signal, Source
from diagnoser.ticket import Scope
from diagnoser.triage import assess, triage, triage_band, widest_scope


def scope(value: str) -> FactIn:
    return FactIn("scope", value, 1.0, Source.ticket("scope"))


def test_the_widest_scope_wins_and_unknown_values_are_ignored():
    assert widest_scope(["site", "city", "single_user"]) is Scope.CITY
    assert widest_scope(["galaxy", "site"]) is Scope.SITE
    assert widest_scope([]) is None


def test_affected_users_bands():
    assert [triage_band(n) for n in (None, 9, 10, 100, 999, 1000)] == [
        None,
        None,
        Priority.P3,
        Priority.P2,
        Priority.P2,
        Priority.P1,
    ]


def test_the_most_urgent_signal_decides_and_every_signal_calling_for_it_is_a_reason():
    priority, reasons = triage(Severity.MEDIUM, Scope.CITY, 5)
    assert priority is Priority.P1
    assert [r.signal for r in reasons] == [Signal.SCOPE]
    priority, reasons = triage(Severity.HIGH, Scope.REGION, 150)
    assert priority is Priority.P2
    assert [r.signal for r in reasons] == [Signal.SEVERITY, Signal.SCOPE, Signal.AFFECTED_USERS]


def test_nothing_diagnosed_has_no_priority():
    assert triage(None, Scope.CITY, 5000) == (None, ())


def test_assess_takes_the_widest_scope_among_the_facts_a_derived_one_too():
    derived = FactIn("scope", "city", 0.8, Source.by_rule("scope-from-reports"))
    other = FactIn("paper_jam", True, 1.0, Source.ticket("symptoms"))
    priority, reasons, found = assess([scope("site"), other, derived], Severity.LOW, None)
    assert found is Scope.CITY and priority is Priority.P1
    assert [r.signal for r in reasons] == [Signal.SCOPE]
    assert assess([other], Severity.LOW, None) == (
        Priority.P4,
        triage(Severity.LOW, None, None)[1],
        None,
    )

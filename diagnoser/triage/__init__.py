"""Triage: the priority of a diagnosis from the fault's severity and the impact scope."""

from __future__ import annotations

from collections.abc import Iterable

from ..facts import FactIn
from ..kb.models import LocalizedText, Severity
from ..result import Priority, PriorityReason, Signal
from ..ticket import Scope

_BY_SEVERITY = {
    Severity.CRITICAL: Priority.P1,
    Severity.HIGH: Priority.P2,
    Severity.MEDIUM: Priority.P3,
    Severity.LOW: Priority.P4,
}
# The seed (II.3): the wider the impact, the more urgent — the whole city is the top priority.
_BY_SCOPE = {
    Scope.CITY: Priority.P1,
    Scope.REGION: Priority.P2,
    Scope.SITE: Priority.P3,
    Scope.SINGLE_USER: Priority.P4,
}
_BY_USERS = ((1000, Priority.P1), (100, Priority.P2), (10, Priority.P3))

RESPONSE_TIME: dict[Priority, LocalizedText] = {
    Priority.P1: LocalizedText.model_construct(
        zh="立即响应，15 分钟内", en="at once, within 15 minutes"
    ),
    Priority.P2: LocalizedText.model_construct(zh="1 小时内", en="within 1 hour"),
    Priority.P3: LocalizedText.model_construct(zh="4 小时内", en="within 4 hours"),
    Priority.P4: LocalizedText.model_construct(
        zh="下一个工作日内", en="within the next business day"
    ),
}

_ORDER = list(Priority)


def widest_scope(scopes: Iterable[str]) -> Scope | None:
    """The widest of the given scope values (unknown values are ignored)."""
    known = [Scope(s) for s in scopes if s in Scope._value2member_map_]
    return max(known, key=list(Scope).index, default=None)


def triage_band(affected_users: int | None) -> Priority | None:
    """The priority that the number of affected users alone calls for, if any."""
    if affected_users is not None:
        for threshold, priority in _BY_USERS:
            if affected_users >= threshold:
                return priority
    return None


def triage(
    severity: Severity | None, scope: Scope | None, affected_users: int | None
) -> tuple[Priority | None, tuple[PriorityReason, ...]]:
    """The most urgent priority any of the three signals calls for, and the signals that call
    for it."""
    if severity is None:
        return None, ()
    candidates = [
        PriorityReason.model_construct(
            signal=Signal.SEVERITY, priority=_BY_SEVERITY[severity], severity=severity
        )
    ]
    if scope is not None:
        candidates.append(
            PriorityReason.model_construct(
                signal=Signal.SCOPE, priority=_BY_SCOPE[scope], scope=scope
            )
        )
    band = triage_band(affected_users)
    if band is not None:
        candidates.append(
            PriorityReason.model_construct(
                signal=Signal.AFFECTED_USERS, priority=band, affected_users=affected_users
            )
        )
    best = min((c.priority for c in candidates), key=_ORDER.index)
    return best, tuple(c for c in candidates if c.priority == best)


def assess(
    facts: Iterable[FactIn], severity: Severity | None, affected_users: int | None
) -> tuple[Priority | None, tuple[PriorityReason, ...], Scope | None]:
    """The priority of a diagnosis, the signals that call for it and the impact scope: the
    widest `scope` among the facts (the ticket's own, or one a rule derived) with the top
    fault's `severity` (None: nothing diagnosed, no priority) and the affected users."""
    scope = widest_scope(str(f.value) for f in facts if f.id == "scope")
    priority, reasons = triage(severity, scope, affected_users)
    return priority, reasons, scope

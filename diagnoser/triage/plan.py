"""The emergency plan of a diagnosis: the fault's steps for the ticket's jurisdiction, with the
desk's own contacts filled in from the site profile."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from ..kb.models import Fault, Jurisdiction, LocalizedText, Step, SystemProfile, TaggedText
from ..result import Escalation, Plan, PlanStep
from .site import HOW_TO_CONFIGURE, SiteProfile, contact_values, fill

T = TypeVar("T", Step, TaggedText)


def plan_jurisdictions(
    systems: Sequence[str],
    known: Mapping[str, SystemProfile],
    site: SiteProfile | None,
    *,
    named_by_ticket: bool = False,
) -> tuple[str, ...]:
    """The jurisdictions whose specific steps a plan keeps; () keeps every step.

    The ticket's own system decides when it has one jurisdiction (`named_by_ticket`: the first
    of `systems` is the ticket's field); else the systems recognised in the text; else the site
    profile's jurisdiction. Generic systems (`any`) say nothing about the jurisdiction.
    """

    def specific(ids: Iterable[str]) -> tuple[str, ...]:
        out: list[str] = []
        for sid in ids:
            system = known.get(sid)
            if (
                system is not None
                and system.jurisdiction is not Jurisdiction.ANY
                and system.jurisdiction.value not in out
            ):
                out.append(system.jurisdiction.value)
        return tuple(out)

    if named_by_ticket and systems:
        own = specific(systems[:1])
        if own:
            return own
    found = specific(systems)
    if found:
        return found
    if site is not None and site.jurisdiction not in (None, Jurisdiction.ANY):
        assert site.jurisdiction is not None
        return (site.jurisdiction.value,)
    return ()


def _applies(items: Iterable[T], jurisdictions: tuple[str, ...]) -> list[T]:
    """The items that hold everywhere or in one of `jurisdictions` (every item when unknown)."""
    if not jurisdictions:
        return list(items)
    return [i for i in items if not i.jurisdictions or set(i.jurisdictions) & set(jurisdictions)]


def _plain(text: LocalizedText, values: Mapping[str, LocalizedText]) -> LocalizedText:
    filled = fill(text, values)
    return LocalizedText(zh=filled.zh, en=filled.en)


def build_plan(
    fault: Fault,
    *,
    jurisdictions: tuple[str, ...] = (),
    site: SiteProfile | None = None,
    priority: str | None = None,
) -> Plan:
    """The plan for `fault`: its steps, workaround, recovery, prevention and notice that hold in
    `jurisdictions`, contacts filled from `site` (or named by role), and the escalation contact
    that applies to this priority and fault."""
    escalation = site.escalation_for(priority, fault.id) if site is not None else None
    values = contact_values(site, escalation)
    notice = None
    if fault.customer_notice is not None and _applies([fault.customer_notice], jurisdictions):
        notice = _plain(fault.customer_notice, values)
    return Plan(
        fault_id=fault.id,
        steps=tuple(
            PlanStep(phase=s.phase, text=_plain(s.text, values), principles=s.principles)
            for s in _applies(fault.emergency_steps, jurisdictions)
        ),
        workaround=tuple(_plain(t, values) for t in _applies(fault.workaround, jurisdictions)),
        recovery=tuple(_plain(t, values) for t in _applies(fault.recovery, jurisdictions)),
        prevention=tuple(_plain(t, values) for t in _applies(fault.prevention, jurisdictions)),
        customer_notice=notice,
        references=fault.references,
        jurisdictions=jurisdictions,
        escalation=Escalation(contact=escalation.contact, when=escalation.when.describe())
        if escalation is not None
        else None,
        contacts_note=HOW_TO_CONFIGURE if site is None else None,
    )

"""Incidents: many tickets and alerts explained as one fault, by the rules of rules/incidents/.

from diagnoser import Diagnoser
from diagnoser.incidents import correlate_tickets

result = correlate_tickets(tickets, Diagnoser())
for incident in result.incidents:   # dicts: incident_id, fault_id, priority, scope, ...
    print(incident["incident_id"], incident["scope"], incident["tickets"])
for record in result.records:       # one per ticket, in order; members name their incident
    print(record["id"], record["diagnoses"][0]["fault_id"], record.get("incident"))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import DiagnoserError
from ..service import Diagnoser
from ..ticket import Ticket
from .correlate import (
    SCHEMA_VERSION,
    Correlator,
    Incident,
    IncidentError,
    Report,
    membership,
    record_fingerprint,
    report_from_record,
)
from .rerank import rerank_diagnosis, rerank_record

__all__ = [
    "SCHEMA_VERSION",
    "Correlation",
    "Correlator",
    "Incident",
    "IncidentError",
    "Report",
    "apply_incidents",
    "correlate_tickets",
    "membership",
    "record_fingerprint",
    "report_from_record",
    "rerank_diagnosis",
    "rerank_record",
]


@dataclass(frozen=True)
class Correlation:
    """Records (one per ticket, in input order) and the incidents found among them."""

    records: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    undated: int  # diagnosed tickets without reported_at: they cannot be placed in a window


def apply_incidents(
    records: Iterable[dict[str, Any]], incidents: list[Incident], diagnoser: Diagnoser
) -> Iterable[dict[str, Any]]:
    """The records again, each member of an incident re-ranked with it and naming it."""
    members = membership(incidents)
    for record in records:
        incident = None
        if record.get("status", "ok") == "ok":
            incident = members.get(record_fingerprint(record))
        yield rerank_record(record, incident, diagnoser.kb) if incident else record


def correlate_tickets(
    tickets: Iterable[Ticket | Mapping[str, Any]], diagnoser: Diagnoser | None = None
) -> Correlation:
    """Diagnose every ticket, group them into incidents, and re-rank the members.

    A ticket that cannot be diagnosed becomes an error record naming it (nothing is dropped).
    The records are kept in memory: for backlogs of millions use `diagnoser batch --incidents`.
    """
    diagnoser = diagnoser or Diagnoser()
    correlator = Correlator(list(diagnoser.kb.incident_rules.values()))
    records: list[dict[str, Any]] = []
    for index, ticket in enumerate(tickets):
        try:
            record = {"status": "ok", **diagnoser.diagnose_record(ticket)}
        except DiagnoserError as exc:
            ticket_id = ticket.id if isinstance(ticket, Ticket) else (ticket or {}).get("id")
            record = {"status": "error", "id": ticket_id, "index": index, "error": str(exc)}
        correlator.add_record(record)
        records.append(record)
    found = correlator.incidents()
    return Correlation(
        records=list(apply_incidents(records, found, diagnoser)),
        incidents=[i.as_dict(diagnoser.kb.faults[i.rule.then.fault].category) for i in found],
        undated=correlator.undated,
    )

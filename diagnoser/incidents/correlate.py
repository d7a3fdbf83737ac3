"""Correlation: diagnosed tickets and alerts grouped into incidents by rules/incidents/.

A report is what correlation keeps of one diagnosed ticket: a few short fields, so a backlog of
millions fits in memory. Each incident rule looks at the reports it matches (an error code it
lists, else the top fault), groups them by a fingerprint (the code or fault, and optionally the
system and the region), splits each group into chains where no gap is longer than the rule's
window, and makes a chain an incident when some stretch of it no longer than the window holds at
least the rule's tickets, sites and regions. Rules with the widest scope go first; a ticket
belongs to one incident at most. The same report repeated (same fingerprint) counts once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DiagnoserError
from ..intake.codes import canonical_code
from ..kb.models import IncidentRule, RuleStatus

SCHEMA_VERSION = "1"
MAX_REPORTS = 2_000_000  # matching reports kept for one correlation (about 300 bytes each)
_SCOPE_ORDER = {"city": 0, "region": 1, "site": 2}


class IncidentError(DiagnoserError):
    """Correlation cannot go on as asked (too many reports, a bad payload)."""


def _utc(value: dt.datetime) -> dt.datetime:
    """Timestamps with an offset compare in UTC; naive ones as given (the desk's local time)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def parse_time(value: Any) -> dt.datetime | None:
    """A datetime from a datetime or an ISO 8601 text; None when there is none or it is bad."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Report:
    """What correlation keeps of one diagnosed ticket or alert."""

    fingerprint: str  # equal for the same ticket or alert repeated
    ticket_id: str
    at: dt.datetime  # when it was reported (UTC when the source said an offset)
    site: str | None
    region: str | None
    system: str | None
    codes: tuple[str, ...]
    fault: str | None  # the top diagnosis before correlation


def fingerprint_of(parts: Iterable[Any]) -> str:
    """A short stable hash of some JSON-able values."""
    text = json.dumps(list(parts), ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def record_fingerprint(record: Mapping[str, Any]) -> str:
    """The dedup fingerprint of a batch record: an alert's own, else the ticket's identity."""
    given = record.get("fingerprint")
    if isinstance(given, str) and given:
        return given
    diagnoses = record.get("diagnoses") or []
    return fingerprint_of(
        [
            record.get("id"),
            record.get("site"),
            record.get("region"),
            sorted(record.get("systems") or ()),
            sorted(record.get("error_codes") or ()),
            record.get("reported_at"),
            diagnoses[0].get("fault_id") if diagnoses else None,
        ]
    )


def report_from_record(record: Mapping[str, Any], at: dt.datetime | None = None) -> Report | None:
    """A Report from a batch record (see Diagnoser.diagnose_record); None without a time.

    `at` stands in when the record has no reported_at (the server uses the arrival time).
    """
    if record.get("status", "ok") != "ok":
        return None
    when = parse_time(record.get("reported_at")) or at
    if when is None:
        return None
    diagnoses = record.get("diagnoses") or []
    systems = record.get("systems") or ()
    return Report(
        fingerprint=record_fingerprint(record),
        ticket_id=str(record.get("id") or ""),
        at=_utc(when),
        site=record.get("site") or None,
        region=record.get("region") or None,
        system=systems[0] if systems else None,
        codes=tuple(canonical_code(str(c)) for c in record.get("error_codes") or ()),
        fault=diagnoses[0].get("fault_id") if diagnoses else None,
    )


def match_key(rule: IncidentRule, report: Report) -> str | None:
    """What a rule groups a report by: 'code:1001' for a code it lists, else 'fault:<id>'."""
    for code in rule.match.codes:
        if canonical_code(code) in report.codes:
            return f"code:{canonical_code(code)}"
    if report.fault is not None and report.fault in rule.match.faults:
        return f"fault:{report.fault}"
    return None


@dataclass
class Incident:
    """Many reports explained as one fault by one incident rule."""

    incident_id: str
    rule: IncidentRule
    key: str
    system: str | None
    region: str | None
    reports: list[Report]
    densest: dict[str, Any]  # the stretch within the window that met the thresholds
    duplicates: int = 0
    # counts kept by whoever grows the incident (the store); None: counted from `reports`
    site_count: int | None = None
    region_count: int | None = None

    @property
    def start(self) -> dt.datetime:
        return self.reports[0].at

    @property
    def end(self) -> dt.datetime:
        return self.reports[-1].at

    @property
    def sites(self) -> set[str]:
        return {r.site for r in self.reports if r.site}

    @property
    def regions(self) -> set[str]:
        return {r.region for r in self.reports if r.region}

    def ticket_ids(self) -> list[str]:
        return list(dict.fromkeys(r.ticket_id for r in self.reports))

    def counts(self) -> dict[str, int]:
        """How many tickets, sites and regions the incident holds."""
        return {
            "tickets": len(self.reports),
            "sites": len(self.sites) if self.site_count is None else self.site_count,
            "regions": len(self.regions) if self.region_count is None else self.region_count,
        }

    def as_dict(self, category: str | None = None) -> dict[str, Any]:
        """The incident record (the JSON contract of incidents.jsonl and /v1/incidents)."""
        rule = self.rule
        counts = self.counts()
        return {
            "schema_version": SCHEMA_VERSION,
            "incident_id": self.incident_id,
            "fault_id": rule.then.fault,
            "category": category or rule.then.fault.split(".", 1)[0],
            "priority": rule.then.priority,
            "scope": {"level": rule.then.scope, **counts},
            "window": {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "minutes": rule.window_minutes,
            },
            "fingerprint": {"key": self.key, "system": self.system, "region": self.region},
            "tickets": self.ticket_ids(),
            "evidence": {
                "rule": rule.id,
                "title": rule.title,
                "certainty": rule.then.certainty,
                "because": rule.then.because.model_dump(),
                "counts": counts,
                "thresholds": rule.at_least.model_dump(),
                "densest": self.densest,
                "duplicates": self.duplicates,
            },
        }


def _densest(chain: list[Report], rule: IncidentRule) -> dict[str, Any] | None:
    """The first stretch of the chain within the window that meets every threshold, if any."""
    window = dt.timedelta(minutes=rule.window_minutes)
    need = rule.at_least
    sites: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    left = 0
    for right, report in enumerate(chain):
        if report.site:
            sites[report.site] += 1
        if report.region:
            regions[report.region] += 1
        while report.at - chain[left].at > window:
            gone = chain[left]
            for counter, value in ((sites, gone.site), (regions, gone.region)):
                if value:
                    counter[value] -= 1
                    if not counter[value]:
                        del counter[value]
            left += 1
        tickets = right - left + 1
        if tickets >= need.tickets and len(sites) >= need.sites and len(regions) >= need.regions:
            return {
                "start": chain[left].at.isoformat(),
                "end": report.at.isoformat(),
                "tickets": tickets,
                "sites": len(sites),
                "regions": len(regions),
            }
    return None


def _chains(reports: list[Report], window: dt.timedelta) -> Iterator[list[Report]]:
    chain: list[Report] = []
    for report in reports:
        if chain and report.at - chain[-1].at > window:
            yield chain
            chain = []
        chain.append(report)
    if chain:
        yield chain


def active_rules(rules: Iterable[IncidentRule]) -> list[IncidentRule]:
    """The rules that correlate, widest scope first (then by id)."""
    return sorted(
        (r for r in rules if r.status is not RuleStatus.DEPRECATED),
        key=lambda r: (_SCOPE_ORDER[r.then.scope], r.id),
    )


def incident_id_for(rule: IncidentRule, group: tuple[Any, ...], first: str) -> str:
    """A stable id: the same rule, fingerprint and first report give the same incident."""
    return "INC-" + fingerprint_of([rule.id, *group, first])[:12].upper()


@dataclass
class Correlator:
    """Collects reports, then groups them into incidents (bounded in memory by `limit`)."""

    rules: list[IncidentRule]
    limit: int = MAX_REPORTS
    reports: dict[str, Report] = field(default_factory=dict)
    repeats: Counter[str] = field(default_factory=Counter)
    undated: int = 0

    def __post_init__(self) -> None:
        self.rules = active_rules(self.rules)

    def matches(self, report: Report) -> bool:
        return any(match_key(rule, report) for rule in self.rules)

    def add(self, report: Report | None) -> bool:
        """Keep a report if some rule matches it; a repeat only counts as a duplicate."""
        if report is None:
            return False
        if report.fingerprint in self.reports:
            self.repeats[report.fingerprint] += 1
            return True
        if not self.matches(report):
            return False
        if len(self.reports) >= self.limit:
            raise IncidentError(
                f"more than {self.limit:,} tickets match an incident rule; correlate a shorter "
                "period at a time"
            )
        self.reports[report.fingerprint] = report
        return True

    def add_record(self, record: Mapping[str, Any]) -> bool:
        """Keep what correlation needs of one batch record (records without a time are counted)."""
        if record.get("status", "ok") != "ok":
            return False
        report = report_from_record(record)
        if report is None:
            if record.get("diagnoses"):
                self.undated += 1
            return False
        return self.add(report)

    def incidents(self) -> list[Incident]:
        """Every incident the rules find, earliest first."""
        claimed: set[str] = set()
        found: list[Incident] = []
        ordered = sorted(self.reports.values(), key=lambda r: (r.at, r.fingerprint))
        for rule in self.rules:
            window = dt.timedelta(minutes=rule.window_minutes)
            groups: dict[tuple[Any, ...], list[Report]] = {}
            for report in ordered:
                if report.fingerprint in claimed:
                    continue
                key = match_key(rule, report)
                if key is None:
                    continue
                group = tuple(
                    key if part == "key" else getattr(report, part) for part in rule.group_by
                )
                groups.setdefault(group, []).append(report)
            for group, members in groups.items():
                values = dict(zip(rule.group_by, group, strict=True))
                for chain in _chains(members, window):
                    densest = _densest(chain, rule)
                    if densest is None:
                        continue
                    claimed.update(r.fingerprint for r in chain)
                    found.append(
                        Incident(
                            incident_id=incident_id_for(rule, group, chain[0].fingerprint),
                            rule=rule,
                            key=values["key"],
                            system=values.get("system"),
                            region=values.get("region"),
                            reports=chain,
                            densest=densest,
                            duplicates=sum(self.repeats[r.fingerprint] for r in chain),
                        )
                    )
        found.sort(key=lambda i: (i.start, i.incident_id))
        return found


def membership(incidents: Iterable[Incident]) -> dict[str, Incident]:
    """report fingerprint -> the incident it belongs to."""
    return {r.fingerprint: incident for incident in incidents for r in incident.reports}


MAX_INCIDENT_LINES = 1_000_000  # incidents one file may hold
_NEEDED = (
    ("incident_id", str),
    ("fault_id", str),
    ("priority", str),
    ("scope.level", str),
    ("scope.sites", int),
    ("scope.regions", int),
    ("window.start", str),
    ("window.end", str),
    ("tickets", list),
    ("evidence.rule", str),
)


def read_incidents(path: Path) -> list[dict[str, Any]]:
    """The incident records of an incidents.jsonl file (as `batch --incidents` writes it).

    Raises IncidentError naming the file and line of the first line that is not one."""
    out: list[dict[str, Any]] = []
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise IncidentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if number > MAX_INCIDENT_LINES:
                raise IncidentError(f"{where}: more than {MAX_INCIDENT_LINES:,} incidents")
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise IncidentError(f"{where}: not UTF-8 ({exc.reason})") from None
            if not text.strip():
                continue
            try:
                item = json.loads(text)
            except json.JSONDecodeError as exc:
                raise IncidentError(
                    f"{where}: invalid JSON: {exc.msg} (column {exc.colno})"
                ) from None
            if not isinstance(item, dict):
                raise IncidentError(f"{where}: not an incident record but {type(item).__name__}")
            for name, kind in _NEEDED:
                value: Any = item
                for part in name.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if not isinstance(value, kind) or isinstance(value, bool):
                    raise IncidentError(
                        f"{where}: not an incident record: '{name}' is missing or not "
                        f"{'a number' if kind is int else 'a list' if kind is list else 'text'}"
                    )
            out.append(item)
    return out

"""The incident store: reports, incidents and their timeline in SQLite, so a restart loses nothing.

Correlation here is incremental. The store keeps in memory, for each incident rule and each
group of its fingerprint, the chains of open reports (reports no further apart than the rule's
window) with their counts of sites and regions. A new report joins, starts or bridges chains;
a chain that is already an incident just gains a member; a chain that is not yet one is tested
on the reports within one window of the new one (the only stretches that can newly meet the
thresholds). Rules with the widest scope go first and claim their reports from narrower ones,
as in the batch correlation (diagnoser.incidents.correlate): fed in time order, both find the
same incidents.

Each ingest is one SQLite transaction: the new reports, the members that changed incident, the
incidents' counts (a fixed-size row; the ticket list is read only when incidents are listed)
and the timeline events. WAL mode lets readers go on while it writes. stdlib sqlite3 is
enough: the memory is rebuilt from the file at start, and again whenever another process wrote
to the file (PRAGMA data_version), so a second server on the same file stays consistent.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..kb.models import IncidentRule
from .correlate import Incident, IncidentError, Report, active_rules, incident_id_for, match_key

MEMORY_LIMIT = 200_000  # open reports kept in memory; the chains that ended first go beyond it
RETAIN = dt.timedelta(days=2)  # chains no report joined for this long (wall time) are let go
MEMBERS_LIMIT = 100_000  # members of one incident listed by incidents()
SCHEMA_VERSION = 2  # PRAGMA user_version of the file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    fingerprint TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    at TEXT NOT NULL,
    site TEXT, region TEXT, system TEXT, codes TEXT NOT NULL, fault TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    incident_id TEXT,
    received_at TEXT NOT NULL,
    repeats INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS reports_at ON reports (status, at);
CREATE INDEX IF NOT EXISTS reports_incident ON reports (incident_id, at, fingerprint);
CREATE TABLE IF NOT EXISTS incidents (
    incident_id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    status TEXT NOT NULL,
    key TEXT NOT NULL, system TEXT, region TEXT,
    tickets INTEGER NOT NULL, sites INTEGER NOT NULL, regions INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    densest TEXT NOT NULL,
    fault_time TEXT NOT NULL,
    contact_time TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    resolved_at TEXT,
    merged_into TEXT
);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status, last_seen);
CREATE TABLE IF NOT EXISTS events (
    incident_id TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_incident ON events (incident_id);
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _report(row: sqlite3.Row) -> Report:
    return Report(
        fingerprint=row["fingerprint"],
        ticket_id=row["ticket_id"],
        at=dt.datetime.fromisoformat(row["at"]),
        site=row["site"],
        region=row["region"],
        system=row["system"],
        codes=tuple(json.loads(row["codes"])),
        fault=row["fault"],
    )


def _order(report: Report) -> tuple[dt.datetime, str]:
    return (report.at, report.fingerprint)


@dataclass(eq=False)
class _Chain:
    """Reports of one rule and group, no two consecutive ones further apart than its window."""

    rule: IncidentRule
    group: tuple[Any, ...]
    reports: list[Report] = field(default_factory=list)  # in (at, fingerprint) order
    sites: Counter[str] = field(default_factory=Counter)
    regions: Counter[str] = field(default_factory=Counter)
    incident_id: str | None = None
    densest: dict[str, Any] | None = None
    duplicates: int = 0
    touched: float = field(default_factory=time.monotonic)  # when a report last joined

    @property
    def start(self) -> dt.datetime:
        return self.reports[0].at

    @property
    def end(self) -> dt.datetime:
        return self.reports[-1].at

    def insert(self, report: Report) -> None:
        if not self.reports or _order(report) > _order(self.reports[-1]):
            self.reports.append(report)  # the usual case: reports come in time order
        else:
            bisect.insort(self.reports, report, key=_order)
        self._count(report, 1)
        self.touched = time.monotonic()

    def remove(self, report: Report) -> None:
        index = bisect.bisect_left(self.reports, _order(report), key=_order)
        if index < len(self.reports) and self.reports[index].fingerprint == report.fingerprint:
            del self.reports[index]
            self._count(report, -1)

    def absorb(self, other: _Chain) -> None:
        self.reports = sorted([*self.reports, *other.reports], key=_order)
        self.sites.update(other.sites)
        self.regions.update(other.regions)
        self.duplicates += other.duplicates

    def _count(self, report: Report, step: int) -> None:
        for counter, value in ((self.sites, report.site), (self.regions, report.region)):
            if value:
                counter[value] += step
                if counter[value] <= 0:
                    del counter[value]

    def meets(self, around: Report) -> dict[str, Any] | None:
        """The first stretch within the window that meets the thresholds, looking only at the
        reports within one window of `around` (a stretch that newly meets them holds it)."""
        window = dt.timedelta(minutes=self.rule.window_minutes)
        low = bisect.bisect_left(self.reports, around.at - window, key=lambda r: r.at)
        high = bisect.bisect_right(self.reports, around.at + window, key=lambda r: r.at)
        return _densest(self.reports[low:high], self.rule)

    def incident(self) -> Incident:
        """A snapshot of the incident this chain is (the counts kept, not recounted)."""
        assert self.incident_id is not None and self.densest is not None
        values = dict(zip(self.rule.group_by, self.group, strict=True))
        return Incident(
            incident_id=self.incident_id,
            rule=self.rule,
            key=values["key"],
            system=values.get("system"),
            region=values.get("region"),
            reports=list(self.reports),
            densest=self.densest,
            duplicates=self.duplicates,
            site_count=len(self.sites),
            region_count=len(self.regions),
        )


def _densest(reports: list[Report], rule: IncidentRule) -> dict[str, Any] | None:
    from .correlate import _densest as densest

    return densest(reports, rule)


@dataclass
class _Changes:
    """What one ingest changed, written in one transaction at its end."""

    new: list[Report] = field(default_factory=list)
    moved: dict[str, str | None] = field(default_factory=dict)  # fingerprint -> incident
    repeats: Counter[str] = field(default_factory=Counter)
    dirty: dict[str, _Chain] = field(default_factory=dict)  # incident id -> its chain
    opened: set[str] = field(default_factory=set)
    grown: Counter[str] = field(default_factory=Counter)
    merged: dict[str, str] = field(default_factory=dict)  # incident id -> the one it joined


class Store:
    """Reports and incidents in one SQLite file (':memory:' for a throwaway store)."""

    def __init__(self, path: str | Path, rules: Iterable[IncidentRule]) -> None:
        self.path = str(path)
        self.rules = active_rules(rules)
        self._rank = {rule.id: n for n, rule in enumerate(self.rules)}  # widest first
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = self._db.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            if tables and version != SCHEMA_VERSION:
                raise IncidentError(
                    f"{self.path}: an incident store of another diagnoser version "
                    f"(schema {version}, this one reads {SCHEMA_VERSION}); give a new --store file"
                )
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._load()
        except sqlite3.Error as exc:
            raise IncidentError(f"{self.path}: cannot open the incident store: {exc}") from None

    # --- memory ---------------------------------------------------------------------------------

    def _load(self) -> None:
        """Rebuild the chains from the file: the open reports, and the members of open
        incidents, received within the last RETAIN, replayed in time order."""
        self._chains: dict[tuple[str, tuple[Any, ...]], list[_Chain]] = {}
        self._where: dict[str, dict[str, _Chain]] = {}  # fingerprint -> rule id -> chain
        self._known: dict[str, Report] = {}
        self._trimmed = time.monotonic()
        self._version = self._db.execute("PRAGMA data_version").fetchone()[0]
        since = (dt.datetime.fromisoformat(_now()) - RETAIN).isoformat()
        rows = self._db.execute(
            "SELECT r.*, i.rule AS incident_rule FROM reports r "
            "LEFT JOIN incidents i USING (incident_id) "
            "WHERE (r.status = 'open' OR i.status = 'open') AND r.received_at >= ? "
            "ORDER BY r.at, r.fingerprint LIMIT ?",
            (since, MEMORY_LIMIT),
        ).fetchall()
        stored: dict[str, tuple[str, str]] = {}  # fingerprint -> (incident, rule) on file
        changes = _Changes()
        for row in rows:
            report = _report(row)
            if row["incident_id"]:
                stored[report.fingerprint] = (row["incident_id"], row["incident_rule"])
            self._place(report, changes, stored)
            for chain in self._where.get(report.fingerprint, {}).values():
                chain.duplicates += row["repeats"]

    def _place(
        self,
        report: Report,
        changes: _Changes,
        stored: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        """Correlate one new report: every rule, widest first, until one claims it."""
        self._known[report.fingerprint] = report
        for rule in self.rules:
            key = match_key(rule, report)
            if key is None:
                continue
            group = tuple(key if part == "key" else getattr(report, part) for part in rule.group_by)
            chains = self._chains.setdefault((rule.id, group), [])
            window = dt.timedelta(minutes=rule.window_minutes)
            near = [c for c in chains if c.start - window <= report.at <= c.end + window]
            if not near:
                chain = _Chain(rule, group)
                chains.append(chain)
            else:
                chain = self._join(near, chains, changes)
            chain.insert(report)
            self._where.setdefault(report.fingerprint, {})[rule.id] = chain
            if chain.incident_id is not None:
                changes.dirty[chain.incident_id] = chain
                changes.grown[chain.incident_id] += 1
                changes.moved[report.fingerprint] = chain.incident_id
                return  # claimed: narrower rules do not see it
            densest = chain.meets(report)
            if densest is not None:
                self._open(chain, densest, changes, stored)
                return

    def _join(self, near: list[_Chain], chains: list[_Chain], changes: _Changes) -> _Chain:
        """The one chain a report bridging `near` joins (the incident with the lowest id, else
        the earliest); the others are absorbed into it."""
        near.sort(key=lambda c: (c.incident_id is None, c.incident_id or "", c.start))
        chain = near[0]
        for other in near[1:]:
            chain.absorb(other)
            chains.remove(other)
            for report in other.reports:
                self._where[report.fingerprint][chain.rule.id] = chain
            if chain.incident_id is not None:
                for report in other.reports:
                    changes.moved[report.fingerprint] = chain.incident_id
                if other.incident_id is not None:
                    changes.merged[other.incident_id] = chain.incident_id
                changes.dirty[chain.incident_id] = chain
        return chain

    def _open(
        self,
        chain: _Chain,
        densest: dict[str, Any],
        changes: _Changes,
        stored: dict[str, tuple[str, str]] | None,
    ) -> None:
        """The chain becomes an incident and claims its reports from narrower rules."""
        # rebuilding from the file: keep the id the file gave (it may predate an earlier report)
        known = sorted(
            {
                stored[r.fingerprint][0]
                for r in chain.reports
                if stored and stored.get(r.fingerprint, ("", ""))[1] == chain.rule.id
            }
        )
        first = chain.reports[0].fingerprint
        chain.incident_id = known[0] if known else incident_id_for(chain.rule, chain.group, first)
        chain.densest = densest
        changes.dirty[chain.incident_id] = chain
        changes.opened.add(chain.incident_id)
        for report in chain.reports:
            changes.moved[report.fingerprint] = chain.incident_id
            for rule_id, other in list(self._where[report.fingerprint].items()):
                if self._rank[rule_id] <= self._rank[chain.rule.id]:
                    continue  # wider rules keep counting it (they may yet claim it)
                other.remove(report)
                del self._where[report.fingerprint][rule_id]
                if other.incident_id is not None:
                    changes.dirty[other.incident_id] = other
                    if not other.reports:  # all its tickets are the wider incident's now
                        changes.merged[other.incident_id] = chain.incident_id
                if not other.reports:
                    self._drop(other)

    def _drop(self, chain: _Chain) -> None:
        chains = self._chains.get((chain.rule.id, chain.group), [])
        if chain in chains:
            chains.remove(chain)
        for report in chain.reports:
            where = self._where.get(report.fingerprint, {})
            if where.get(chain.rule.id) is chain:
                del where[chain.rule.id]
            if not where:
                self._where.pop(report.fingerprint, None)
                self._known.pop(report.fingerprint, None)

    def _trim(self) -> None:
        """Let go of chains no report joined for RETAIN, and of the least recently joined
        ones while more than MEMORY_LIMIT reports are kept (the file keeps them all)."""
        now = time.monotonic()
        if now - self._trimmed < 60 and len(self._known) <= MEMORY_LIMIT:
            return
        self._trimmed = now
        every = [c for chains in self._chains.values() for c in chains]
        old = now - RETAIN.total_seconds()
        for chain in every:
            if chain.touched < old:
                self._drop(chain)
        if len(self._known) > MEMORY_LIMIT:
            for chain in sorted(every, key=lambda c: c.touched):
                if len(self._known) <= MEMORY_LIMIT * 9 // 10:
                    break
                self._drop(chain)

    # --- the file -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:  # another process wrote to the file: catch up
            self._load()

    def ingest(self, reports: Iterable[Report]) -> dict[str, Incident]:
        """Store reports, correlate them with the open ones, and return the incident of each
        given report that belongs to one (by report fingerprint)."""
        given = list(reports)
        if not given or not self.rules:
            return {}
        given = [r for r in given if any(match_key(rule, r) for rule in self.rules)]
        if not given:
            return {}
        with self._lock:
            try:
                return self._ingest(given)
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                self._load()  # the memory may be ahead of the file: read it again
                raise

    def _ingest(self, given: list[Report]) -> dict[str, Incident]:
        self._begin()
        now = _now()
        changes = _Changes()
        unseen = [r.fingerprint for r in given if r.fingerprint not in self._known]
        on_file: dict[str, str | None] = {}
        for start in range(0, len(unseen), 500):
            part = unseen[start : start + 500]
            on_file.update(
                (row[0], row[1])
                for row in self._db.execute(
                    "SELECT fingerprint, incident_id FROM reports WHERE fingerprint IN "
                    f"({','.join('?' * len(part))})",
                    part,
                )
            )
        for report in given:
            if report.fingerprint in self._known or report.fingerprint in on_file:
                changes.repeats[report.fingerprint] += 1  # the same report again counts once
                for seen in self._where.get(report.fingerprint, {}).values():
                    seen.duplicates += 1
                    if seen.incident_id is not None:
                        changes.dirty[seen.incident_id] = seen
                continue
            changes.new.append(report)
            self._place(report, changes)
        self._write(changes, now)
        self._db.execute("COMMIT")
        self._trim()
        out: dict[str, Incident] = {}
        snapshots: dict[str, Incident] = {}
        for report in given:
            chain = next(
                (c for c in self._where.get(report.fingerprint, {}).values() if c.incident_id),
                None,
            )
            if chain is not None and chain.incident_id is not None:
                if chain.incident_id not in snapshots:
                    snapshots[chain.incident_id] = chain.incident()
                out[report.fingerprint] = snapshots[chain.incident_id]
            elif on_file.get(report.fingerprint):
                found = self._from_file(on_file[report.fingerprint])  # type: ignore[arg-type]
                if found is not None:
                    out[report.fingerprint] = found
        return out

    def _write(self, changes: _Changes, now: str) -> None:
        db = self._db
        new = {r.fingerprint for r in changes.new}
        db.executemany(
            "INSERT INTO reports (fingerprint, ticket_id, at, site, region, system, codes, fault,"
            " incident_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.fingerprint,
                    r.ticket_id,
                    r.at.isoformat(),
                    r.site,
                    r.region,
                    r.system,
                    json.dumps(list(r.codes)),
                    r.fault,
                    changes.moved.get(r.fingerprint),
                    now,
                )
                for r in changes.new
            ],
        )
        db.executemany(
            "UPDATE reports SET incident_id = ? WHERE fingerprint = ?",
            [(i, f) for f, i in changes.moved.items() if f not in new],
        )
        db.executemany(
            "UPDATE reports SET repeats = repeats + ? WHERE fingerprint = ?",
            [(n, f) for f, n in changes.repeats.items()],
        )
        for incident_id, chain in changes.dirty.items():
            if incident_id in changes.merged:
                continue
            values = dict(zip(chain.rule.group_by, chain.group, strict=True))
            counts = {
                "tickets": len(chain.reports),
                "sites": len(chain.sites),
                "regions": len(chain.regions),
            }
            db.execute(
                "INSERT INTO incidents (incident_id, rule, status, key, system, region, tickets,"
                " sites, regions, duplicates, densest, fault_time, contact_time, last_seen)"
                " VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (incident_id) DO UPDATE SET tickets = excluded.tickets,"
                " sites = excluded.sites, regions = excluded.regions,"
                " duplicates = excluded.duplicates, fault_time = excluded.fault_time,"
                " last_seen = excluded.last_seen",
                (
                    incident_id,
                    chain.rule.id,
                    values["key"],
                    values.get("system"),
                    values.get("region"),
                    counts["tickets"],
                    counts["sites"],
                    counts["regions"],
                    chain.duplicates,
                    json.dumps(chain.densest, ensure_ascii=False),
                    chain.start.isoformat(),
                    now,
                    chain.end.isoformat(),
                ),
            )
            if incident_id in changes.opened:
                self._event(incident_id, now, "opened", {"level": chain.rule.then.scope, **counts})
            elif changes.grown[incident_id]:
                grown = {"new_tickets": changes.grown[incident_id]}
                self._event(incident_id, now, "grew", {**grown, "level": chain.rule.then.scope})
        for incident_id, into in changes.merged.items():
            db.execute(
                "UPDATE incidents SET status = 'merged', merged_into = ?, resolved_at = ? "
                "WHERE incident_id = ?",
                (into, now, incident_id),
            )
            self._event(incident_id, now, "merged", {"into": into})

    def _event(self, incident_id: str, at: str, kind: str, detail: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO events (incident_id, at, kind, detail) VALUES (?, ?, ?, ?)",
            (incident_id, at, kind, json.dumps(detail, ensure_ascii=False)),
        )

    def _from_file(self, incident_id: str) -> Incident | None:
        """An incident as the file has it (its members read back)."""
        rules = {r.id: r for r in self.rules}
        row = self._db.execute(
            "SELECT * FROM incidents WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        if row is None or row["rule"] not in rules:
            return None
        members = self._db.execute(
            "SELECT * FROM reports WHERE incident_id = ? ORDER BY at, fingerprint LIMIT ?",
            (incident_id, MEMBERS_LIMIT),
        ).fetchall()
        if not members:
            return None
        return Incident(
            incident_id=incident_id,
            rule=rules[row["rule"]],
            key=row["key"],
            system=row["system"],
            region=row["region"],
            reports=[_report(m) for m in members],
            densest=json.loads(row["densest"]),
            duplicates=row["duplicates"],
            site_count=row["sites"],
            region_count=row["regions"],
        )

    def resolve(self, fingerprints: Iterable[str]) -> list[str]:
        """Mark reports resolved; close each incident none of whose reports is still open.

        Returns the ids of the incidents closed."""
        prints = list(dict.fromkeys(fingerprints))
        if not prints:
            return []
        closed = []
        with self._lock:
            try:
                self._begin()
                now = _now()
                touched: set[str] = set()
                for start in range(0, len(prints), 500):
                    part = prints[start : start + 500]
                    marks = ",".join("?" * len(part))
                    touched.update(
                        row[0]
                        for row in self._db.execute(
                            f"SELECT DISTINCT incident_id FROM reports WHERE fingerprint IN "
                            f"({marks}) AND incident_id IS NOT NULL",
                            part,
                        )
                    )
                    self._db.execute(
                        f"UPDATE reports SET status = 'resolved' WHERE fingerprint IN ({marks})",
                        part,
                    )
                for incident_id in sorted(touched):
                    still = self._db.execute(
                        "SELECT COUNT(*) FROM reports WHERE incident_id = ? AND status = 'open'",
                        (incident_id,),
                    ).fetchone()[0]
                    if still == 0:
                        done = self._db.execute(
                            "UPDATE incidents SET status = 'resolved', resolved_at = ? "
                            "WHERE incident_id = ? AND status = 'open'",
                            (now, incident_id),
                        ).rowcount
                        if done:
                            self._event(incident_id, now, "resolved", {})
                            closed.append(incident_id)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                self._load()
                raise
            # memory: a closed incident is let go (new reports start a new one); a resolved
            # report no longer counts towards an incident that is not yet one
            for fingerprint in prints:
                for chain in list(self._where.get(fingerprint, {}).values()):
                    if chain.incident_id in closed:
                        self._drop(chain)
                    elif chain.incident_id is None:
                        chain.remove(self._known[fingerprint])
                        del self._where[fingerprint][chain.rule.id]
                if not self._where.get(fingerprint):
                    self._where.pop(fingerprint, None)
                    self._known.pop(fingerprint, None)
        return closed

    def incidents(self, status: str = "open", limit: int = 500) -> list[dict[str, Any]]:
        """Incidents (open, resolved, merged or all), newest first, each with its timeline."""
        where = "" if status == "all" else "WHERE status = ?"
        args: tuple[Any, ...] = () if status == "all" else (status,)
        with self._lock:
            rows = self._db.execute(
                f"SELECT incident_id FROM incidents {where} ORDER BY last_seen DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
            out = []
            for (incident_id,) in rows:
                row = self._db.execute(
                    "SELECT * FROM incidents WHERE incident_id = ?", (incident_id,)
                ).fetchone()
                incident = self._from_file(incident_id)
                if incident is None:
                    continue
                events = self._db.execute(
                    "SELECT at, kind, detail FROM events WHERE incident_id = ? ORDER BY rowid",
                    (incident_id,),
                ).fetchall()
                record = incident.as_dict()
                record["status"] = row["status"]
                if row["merged_into"]:
                    record["merged_into"] = row["merged_into"]
                record["timeline"] = {
                    "first_seen": record["window"]["start"],
                    "last_seen": row["last_seen"],
                    "fault_time": row["fault_time"],
                    "contact_time": row["contact_time"],
                    "resolved_at": row["resolved_at"],
                    "events": [
                        {"at": e["at"], "kind": e["kind"], "detail": json.loads(e["detail"])}
                        for e in events
                    ],
                }
                out.append(record)
        return out

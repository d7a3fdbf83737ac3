"""The incident store: reports, incidents and their timeline in SQLite, so a restart loses nothing.

stdlib sqlite3 is enough: one writer (the server process), WAL mode so reads do not block it,
and every operation behind one lock, so one Store may be shared by the server's threads.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..kb.models import IncidentRule
from .correlate import Correlator, Incident, IncidentError, Report, active_rules, incident_id_for

LOOKBACK_LIMIT = 50_000  # open reports read back to correlate one ingest
MEMBERS_LIMIT = 100_000  # reports of one incident read back to describe it

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
CREATE INDEX IF NOT EXISTS reports_incident ON reports (incident_id);
CREATE TABLE IF NOT EXISTS incidents (
    incident_id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    fault_time TEXT NOT NULL,
    contact_time TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    resolved_at TEXT
);
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


class Store:
    """Reports and incidents in one SQLite file (':memory:' for a throwaway store)."""

    def __init__(self, path: str | Path, rules: Iterable[IncidentRule]) -> None:
        self.path = str(path)
        self.rules = active_rules(rules)
        self.window = dt.timedelta(minutes=max((r.window_minutes for r in self.rules), default=1))
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise IncidentError(f"{self.path}: cannot open the incident store: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def ingest(self, reports: Iterable[Report]) -> dict[str, Incident]:
        """Store reports, correlate them with the open ones around them, and return the
        incident of each given report that belongs to one (by report fingerprint)."""
        given = list(reports)
        if not given or not self.rules:
            return {}
        correlator = Correlator(self.rules, limit=LOOKBACK_LIMIT)
        given = [r for r in given if correlator.matches(r)]
        if not given:
            return {}
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            now = _now()
            for r in given:
                self._db.execute(
                    "INSERT INTO reports (fingerprint, ticket_id, at, site, region, system, codes,"
                    " fault, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (fingerprint) DO UPDATE SET repeats = repeats + 1",
                    (
                        r.fingerprint,
                        r.ticket_id,
                        r.at.isoformat(),
                        r.site,
                        r.region,
                        r.system,
                        json.dumps(list(r.codes)),
                        r.fault,
                        now,
                    ),
                )
            low = (min(r.at for r in given) - self.window).isoformat()
            high = (max(r.at for r in given) + self.window).isoformat()
            rows = self._db.execute(
                "SELECT * FROM reports WHERE status = 'open' AND at BETWEEN ? AND ? "
                "ORDER BY at LIMIT ?",
                (low, high, LOOKBACK_LIMIT),
            ).fetchall()
            for row in rows:
                correlator.add(_report(row))
            wanted = {r.fingerprint for r in given}
            out: dict[str, Incident] = {}
            for found in correlator.incidents():
                incident = self._save(found, now)
                for report in incident.reports:
                    if report.fingerprint in wanted:
                        out[report.fingerprint] = incident
            return out

    def _save(self, found: Incident, now: str) -> Incident:
        marks = ",".join("?" * len(found.reports))
        prints = [r.fingerprint for r in found.reports]
        known = self._db.execute(
            f"SELECT DISTINCT r.incident_id FROM reports r JOIN incidents i USING (incident_id) "
            f"WHERE i.status = 'open' AND i.rule = ? AND r.fingerprint IN ({marks})",
            (found.rule.id, *prints),
        ).fetchall()
        group = (found.key, found.system, found.region)
        incident_id = (
            min(row[0] for row in known)
            if known
            else incident_id_for(found.rule, group, found.first_fingerprint)
        )
        self._db.execute(
            f"UPDATE reports SET incident_id = ? WHERE fingerprint IN ({marks})",
            (incident_id, *prints),
        )
        rows = self._db.execute(
            "SELECT * FROM reports WHERE incident_id = ? ORDER BY at, fingerprint LIMIT ?",
            (incident_id, MEMBERS_LIMIT),
        ).fetchall()
        repeats = sum(row["repeats"] for row in rows)
        incident = Incident(
            incident_id=incident_id,
            rule=found.rule,
            key=found.key,
            system=found.system,
            region=found.region,
            reports=[_report(row) for row in rows],
            densest=found.densest,
            duplicates=repeats,
            first_fingerprint=rows[0]["fingerprint"],
        )
        record = incident.as_dict()
        before = self._db.execute(
            "SELECT record FROM incidents WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        if before is None:
            self._db.execute(
                "INSERT INTO incidents (incident_id, rule, status, record, fault_time,"
                " contact_time, last_seen) VALUES (?, ?, 'open', ?, ?, ?, ?)",
                (
                    incident_id,
                    found.rule.id,
                    json.dumps(record, ensure_ascii=False),
                    incident.start.isoformat(),
                    now,
                    incident.end.isoformat(),
                ),
            )
            self._event(incident_id, now, "opened", record["scope"])
        else:
            old = json.loads(before["record"])
            self._db.execute(
                "UPDATE incidents SET record = ?, fault_time = ?, last_seen = ? "
                "WHERE incident_id = ?",
                (
                    json.dumps(record, ensure_ascii=False),
                    incident.start.isoformat(),
                    incident.end.isoformat(),
                    incident_id,
                ),
            )
            grown = len(record["tickets"]) - len(old["tickets"])
            if grown > 0:
                self._event(incident_id, now, "grew", {"new_tickets": grown, **record["scope"]})
        return incident

    def _event(self, incident_id: str, at: str, kind: str, detail: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO events (incident_id, at, kind, detail) VALUES (?, ?, ?, ?)",
            (incident_id, at, kind, json.dumps(detail, ensure_ascii=False)),
        )

    def resolve(self, fingerprints: Iterable[str]) -> list[str]:
        """Mark reports resolved; close each incident none of whose reports is still open.

        Returns the ids of the incidents closed."""
        prints = list(dict.fromkeys(fingerprints))
        if not prints:
            return []
        closed = []
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            now = _now()
            marks = ",".join("?" * len(prints))
            touched = [
                row[0]
                for row in self._db.execute(
                    f"SELECT DISTINCT incident_id FROM reports WHERE fingerprint IN ({marks}) "
                    "AND incident_id IS NOT NULL",
                    prints,
                )
            ]
            self._db.execute(
                f"UPDATE reports SET status = 'resolved' WHERE fingerprint IN ({marks})", prints
            )
            for incident_id in touched:
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
        return closed

    def incidents(self, status: str = "open", limit: int = 500) -> list[dict[str, Any]]:
        """Incidents (open, resolved or all), newest first, each with its timeline."""
        where = "" if status == "all" else "WHERE status = ?"
        args: tuple[Any, ...] = () if status == "all" else (status,)
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM incidents {where} ORDER BY last_seen DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
            out = []
            for row in rows:
                events = self._db.execute(
                    "SELECT at, kind, detail FROM events WHERE incident_id = ? ORDER BY rowid",
                    (row["incident_id"],),
                ).fetchall()
                record = json.loads(row["record"])
                record["status"] = row["status"]
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

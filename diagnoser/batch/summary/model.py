"""The summary's result: the rows, buckets and counts a report shows, and the names of its keys."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ...errors import DiagnoserError
from ...kb.knowledge import KnowledgeBase
from ...kb.models import LocalizedText
from ...report.labels import CATEGORY_NAMES as CATEGORY_NAMES  # the one table, re-exported
from ...report.labels import SCOPE_NAMES as _SCOPES
from ...result import Priority
from ...ticket import Scope

EXAMPLES = 20  # example tickets kept for the unmatched and rejected lists
PHRASE_EXAMPLES = 5  # ticket references kept per unrecognised phrase
KEY_CAPACITY = 1000  # distinct faults, systems, codes, scopes kept before the tail is pruned
PHRASE_CAPACITY = 500  # distinct unrecognised phrases kept before the tail is pruned
PLACE_COLUMNS = 8  # carried columns (store, organisation, region …) tallied as "where"
SOURCE_CAPACITY = 20  # distinct input sources named in the report
TEXT_LIMIT = 200  # characters kept of one unrecognised phrase or rejection reason
PRIORITIES = tuple(p.value for p in Priority)  # most urgent first
SCOPES = tuple(s.value for s in Scope)  # narrowest first
NONE_KEY = "-"  # the bucket of records without a priority, scope or system

Lang = Literal["zh", "en"]
Fmt = Literal["html", "md"]


class SummaryError(DiagnoserError, ValueError):
    """A summary cannot be written as asked (e.g. an unknown file suffix)."""


def _lt(zh: str, en: str) -> LocalizedText:
    return LocalizedText(zh=zh, en=en)


PRIORITY_NAMES = {
    "P1": _lt("P1 紧急", "P1 critical"),
    "P2": _lt("P2 高", "P2 high"),
    "P3": _lt("P3 中", "P3 medium"),
    "P4": _lt("P4 低", "P4 low"),
    NONE_KEY: _lt("未定级（未诊断）", "no priority (undiagnosed)"),
}
# a scope's name as a row label (the one table of scope names is report/labels.py's)
SCOPE_NAMES = {
    **{key: name.label for key, name in _SCOPES.items()},
    NONE_KEY: _lt("未知", "unknown"),
}
NO_SYSTEM = _lt("未识别开票系统", "system not identified")


# --- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One bucket of a breakdown: a fault, category, priority, system, scope or error code."""

    key: str
    count: int
    share: float  # of the breakdown's denominator (see Summary)
    title: LocalizedText | None = None  # fault title, system name, code meaning …
    note: str = ""  # e.g. the systems an error code is documented for
    p1: int = 0  # how many of these tickets were P1
    mean_certainty: float | None = None  # of the top diagnosis, for faults and categories

    def label(self, lang: str) -> str:
        """The title in `lang`, else the key."""
        return self.title.get(lang) if self.title else self.key


@dataclass(frozen=True)
class TicketRef:
    """Where a ticket came from: input line, source file and id (any may be missing)."""

    line: int | None
    source: str | None
    id: str | None

    def __str__(self) -> str:
        where = f"{self.source or '?'}:{self.line}" if self.line is not None else self.source or ""
        if self.id and where:
            return f"{self.id} ({where})"
        return self.id or where or "?"


@dataclass(frozen=True)
class Rejection:
    """A record the batch run rejected, or one that was malformed."""

    ticket: TicketRef
    reason: str


@dataclass(frozen=True)
class Unmatched:
    """A ticket nothing matched, with the input the knowledge base did not understand."""

    ticket: TicketRef
    unrecognised: tuple[str, ...]  # text as written; other kinds as 'kind: value'


@dataclass(frozen=True)
class Phrase:
    """An unrecognised phrase of unmatched tickets: what the knowledge base should learn next."""

    kind: str  # text, error_code, symptom, metric or system
    text: str  # as first seen
    tickets: int  # unmatched tickets that contained it
    examples: tuple[TicketRef, ...]


@dataclass(frozen=True)
class Bucket:
    """One column of the timeline."""

    start: dt.datetime
    label: str
    count: int
    p1: int


@dataclass(frozen=True)
class Timeline:
    """Tickets over time, by hour when the run spans less than two days, else by day or month."""

    grain: Literal["hour", "day", "month", "year"]
    buckets: tuple[Bucket, ...]
    first: dt.datetime
    last: dt.datetime
    timezone: str | None  # e.g. "UTC+08:00"; None when the timestamps carry no offset
    undated: int  # accepted tickets without a usable reported_at


@dataclass(frozen=True)
class IncidentRow:
    """One incident of the run (diagnoser.incidents): what, since when, how many sites, which
    tickets (the first few; `more` counts the rest)."""

    incident_id: str
    fault_id: str
    title: LocalizedText | None
    priority: str
    scope: str
    sites: int
    regions: int
    tickets: int
    since: str
    until: str
    ticket_ids: tuple[str, ...]
    more: int
    rule: str


INCIDENT_TICKETS = 10  # ticket ids named per incident in the summary


def _incident_rows(
    incidents: Iterable[Mapping[str, Any]], kb: KnowledgeBase | None
) -> tuple[IncidentRow, ...]:
    rows = []
    for item in incidents:
        scope, window, tickets = item["scope"], item["window"], list(item["tickets"])
        fault = kb.faults.get(item["fault_id"]) if kb is not None else None
        rows.append(
            IncidentRow(
                incident_id=str(item["incident_id"]),
                fault_id=str(item["fault_id"]),
                title=fault.title if fault else None,
                priority=str(item["priority"]),
                scope=str(scope["level"]),
                sites=int(scope["sites"]),
                regions=int(scope["regions"]),
                tickets=len(tickets),
                since=str(window["start"])[:16].replace("T", " "),
                until=str(window["end"])[:16].replace("T", " "),
                ticket_ids=tuple(_clip(str(t), 60) for t in tickets[:INCIDENT_TICKETS]),
                more=max(0, len(tickets) - INCIDENT_TICKETS),
                rule=str(item["evidence"]["rule"]),
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.priority, r.since)))


@dataclass(frozen=True)
class Summary:
    """What a batch run found. Shares of faults and categories are of the diagnosed tickets;
    shares of priorities, systems and scopes are of the accepted tickets."""

    records: int
    accepted: int
    rejected: int
    diagnosed: int
    p1: int
    mean_certainty: float | None
    faults: tuple[Row, ...]
    categories: tuple[Row, ...]
    priorities: tuple[Row, ...]
    systems: tuple[Row, ...]
    scopes: tuple[Row, ...]
    error_codes: tuple[Row, ...]
    tickets_with_codes: int
    rejections: tuple[Rejection, ...]
    unmatched: tuple[Unmatched, ...]
    phrases: tuple[Phrase, ...]
    unmatched_without_input: int  # unmatched tickets that had no unrecognised input either
    timeline: Timeline | None
    sources: tuple[str, ...]
    more_sources: bool
    approximate: tuple[str, ...]  # breakdowns whose long tail was pruned (counts are lower bounds)
    chinese_text: int  # unrecognised text fragments that are Chinese …
    other_text: int  # … and that are not: the basis of `language`
    with_kb: bool
    incidents: tuple[IncidentRow, ...] = ()  # shown first, when the run correlated them
    # where tickets came from, per carried column (store, organisation, region …), most first
    places: tuple[tuple[str, tuple[Row, ...]], ...] = ()
    by: str = "system"  # what `systems` groups by: the system, or a carried column (--by)

    @property
    def undiagnosed(self) -> int:
        """Accepted tickets without any diagnosis."""
        return self.accepted - self.diagnosed

    @property
    def diagnosed_share(self) -> float:
        """Diagnosed tickets of the accepted ones (0 when none were accepted)."""
        return self.diagnosed / self.accepted if self.accepted else 0.0

    @property
    def rejected_share(self) -> float:
        """Rejected records of all records."""
        return self.rejected / self.records if self.records else 0.0

    @property
    def language(self) -> Lang:
        """'zh' when most of the ticket text seen (the unrecognised part) is Chinese, else 'en'."""
        return "zh" if self.chinese_text > self.other_text else "en"


_SPACES = re.compile(r"\s+")


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"

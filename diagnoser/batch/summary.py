"""The summary report of a batch run: what is failing, where, how badly and what nothing matched.

`summarise` reads batch records one at a time and keeps only bounded aggregates: counters capped
at a fixed number of keys (the long tail is pruned and the report says so), a few example tickets
per bucket and a timeline whose granularity coarsens as the run's span grows. Memory does not
grow with the number of records. `render_summary` turns a `Summary` into one self-contained HTML
file (inline CSS and SVG charts, no scripts, no network) or Markdown; `write_summary` does both
and writes the file atomically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from .._files import write_atomic
from .._resources import templates_path
from ..errors import DiagnoserError
from ..kb.loader import KnowledgeBase
from ..kb.models import LocalizedText
from ..report import display_width

EXAMPLES = 20  # example tickets kept for the unmatched and rejected lists
PHRASE_EXAMPLES = 5  # ticket references kept per unrecognised phrase
KEY_CAPACITY = 1000  # distinct faults, systems, codes, scopes kept before the tail is pruned
PHRASE_CAPACITY = 500  # distinct unrecognised phrases kept before the tail is pruned
PLACE_COLUMNS = 8  # carried columns (store, organisation, region …) tallied as "where"
SOURCE_CAPACITY = 20  # distinct input sources named in the report
TEXT_LIMIT = 200  # characters kept of one unrecognised phrase or rejection reason
PRIORITIES = ("P1", "P2", "P3", "P4")
SCOPES = ("single_user", "site", "region", "city")
NONE_KEY = "-"  # the bucket of records without a priority, scope or system

Lang = Literal["zh", "en"]
Fmt = Literal["html", "md"]


class SummaryError(DiagnoserError, ValueError):
    """A summary cannot be written as asked (e.g. an unknown file suffix)."""


def _lt(zh: str, en: str) -> LocalizedText:
    return LocalizedText(zh=zh, en=en)


CATEGORY_NAMES = {
    "software": _lt("软件故障", "Software fault"),
    "hardware": _lt("硬件故障", "Hardware fault"),
    "network": _lt("网络故障", "Network fault"),
    "operation": _lt("操作与配置错误", "Operation or configuration error"),
    "external": _lt("外部因素", "External cause"),
}
PRIORITY_NAMES = {
    "P1": _lt("P1 紧急", "P1 critical"),
    "P2": _lt("P2 高", "P2 high"),
    "P3": _lt("P3 中", "P3 medium"),
    "P4": _lt("P4 低", "P4 low"),
    NONE_KEY: _lt("未定级（未诊断）", "no priority (undiagnosed)"),
}
SCOPE_NAMES = {
    "single_user": _lt("单个用户", "single user"),
    "site": _lt("单个网点", "one site"),
    "region": _lt("区域", "region"),
    "city": _lt("全市", "city-wide"),
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


# --- reading records ----------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Ranked(_In):
    fault_id: str
    category: str = ""
    certainty: float = Field(ge=0, le=1)


class _Unrecognised(_In):
    kind: str
    value: str

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        # records written before schema_version 2 carried 'kind: value' strings
        if isinstance(data, str):
            kind, value = _phrase(data)
            return {"kind": kind, "value": value}
        return data


class _Ok(_In):
    status: Literal["ok"]
    line: int | None = None
    source: str | None = None
    id: str | int | None = None
    diagnoses: list[_Ranked] = []
    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    scope: str | None = None
    systems: list[str] = []
    error_codes: list[str] = []
    unrecognised: list[_Unrecognised] = []
    reported_at: str | dt.datetime | None = None
    extra: dict[str, Any] = {}  # the columns carried with --keep (store, organisation, region …)


class _Error(_In):
    status: Literal["error"]
    line: int | None = None
    source: str | None = None
    id: str | int | None = None
    error: str = ""


_RECORD: TypeAdapter[_Ok | _Error] = TypeAdapter(_Ok | _Error)
_CJK = re.compile(r"[\u3400-\u9fff]")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_EDGE_PUNCT = " \t\"'“”‘’「」『』()（）[]【】<>《》.,;:!?。，；：！？、-—…"


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


PLACE_LIMIT = 80  # characters of a --by value shown


def _places(raw: Mapping[str, Any], by: str) -> list[str]:
    """The values of column `by` of a record: from its `extra` (--keep), else its own field
    (site, region); a list (a repeated column) gives each of its items."""
    extra = raw.get("extra")
    value = extra.get(by) if isinstance(extra, Mapping) and by in extra else raw.get(by)
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if item is None or isinstance(item, Mapping | list):
            continue
        text = _clip(str(item), PLACE_LIMIT)
        if text:
            out.append(text)
    return out


def _no_value(by: str) -> LocalizedText:
    return _lt(f"未填写 {by}", f"no {by} given")


def _ref(record: Mapping[str, Any]) -> TicketRef:
    line = record.get("line")
    source = record.get("source")
    ident = record.get("id")
    return TicketRef(
        line if isinstance(line, int) and not isinstance(line, bool) else None,
        source if isinstance(source, str) and source else None,
        str(ident) if isinstance(ident, str | int) and not isinstance(ident, bool) else None,
    )


def _malformed(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:3]:
        loc = [str(p) for p in err["loc"] if p not in ("_Ok", "_Error", "ok", "error")]
        problems.append(f"{'.'.join(loc) or 'record'}: {err['msg']}")
    return "malformed record: " + "; ".join(problems)


def _parse_time(value: str | dt.datetime | None) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _phrase(entry: str) -> tuple[str, str]:
    """(kind, text) of one 'kind: value' entry of a schema-1 record's `unrecognised`."""
    kind, sep, value = entry.partition(": ")
    if not sep or not kind or " " in kind:
        return "text", entry.strip()
    return kind.strip(), value.strip()


def _phrase_key(kind: str, text: str) -> str:
    """Phrases that differ only in case, width, spacing, edge punctuation or numbers group."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    norm = _SPACES.sub(" ", norm).strip(_EDGE_PUNCT)
    if kind == "text":
        norm = _DIGITS.sub("#", norm)
    return f"{kind}\x00{norm[:TEXT_LIMIT]}"


# --- bounded aggregates -------------------------------------------------------------------------


class _Stat:
    __slots__ = ("certainty", "count", "examples", "p1", "text")

    def __init__(self) -> None:
        self.count = 0
        self.p1 = 0
        self.certainty = 0.0
        self.examples: list[TicketRef] = []
        self.text = ""


class _Tally:
    """Counts per key, at most `capacity` keys: when full, the less frequent half is dropped.

    A key that survives every pruning is counted exactly; `floor` is the largest count ever
    dropped, so a key's count may be low by at most that much.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: dict[str, _Stat] = {}
        self.floor = 0

    def get(self, key: str) -> _Stat:
        stat = self.items.get(key)
        if stat is None:
            if len(self.items) >= self.capacity:
                self._prune()
            stat = self.items[key] = _Stat()
        return stat

    def _prune(self) -> None:
        ranked = sorted(self.items.items(), key=lambda kv: kv[1].count, reverse=True)
        keep = max(1, self.capacity // 2)
        self.floor = max(self.floor, *(s.count for _, s in ranked[keep:]))
        self.items = dict(ranked[:keep])

    def ranked(self, by_key: bool = True) -> list[tuple[str, _Stat]]:
        """Most frequent first; ties by key, or in the order first seen."""
        if by_key:
            return sorted(self.items.items(), key=lambda kv: (-kv[1].count, kv[0]))
        return sorted(self.items.items(), key=lambda kv: -kv[1].count)


_GRAINS: tuple[Literal["hour", "day", "month", "year"], ...] = ("hour", "day", "month", "year")


def _truncate(when: dt.datetime, grain: int) -> dt.datetime:
    if grain == 0:
        return when.replace(minute=0, second=0, microsecond=0)
    if grain == 1:
        return when.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == 2:
        return when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return when.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def _next(when: dt.datetime, grain: int) -> dt.datetime:
    if grain == 0:
        return when + dt.timedelta(hours=1)
    if grain == 1:
        return when + dt.timedelta(days=1)
    if grain == 2:
        return when.replace(year=when.year + when.month // 12, month=when.month % 12 + 1)
    return when.replace(year=when.year + 1)


_BUCKET_LABEL = ("%Y-%m-%d %H:00", "%Y-%m-%d", "%Y-%m", "%Y")


class _Timeline:
    """Counts per hour while the span is under two days, then per day (up to 92 days), per month
    (up to 20 years) or per year: at most a few hundred buckets whatever the run."""

    def __init__(self) -> None:
        self.grain = 0
        self.buckets: dict[dt.datetime, list[int]] = {}
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None
        self.tz: dt.timezone | None = None
        self.undated = 0

    def add(self, when: dt.datetime | None, p1: bool) -> None:
        if when is None:
            self.undated += 1
            return
        if when.tzinfo is not None and when.utcoffset() is not None:
            if self.tz is None:
                self.tz = dt.timezone(when.utcoffset() or dt.timedelta(0))
            when = when.astimezone(self.tz)
        when = when.replace(tzinfo=None)  # wall time of the run's zone
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)
        span = self.last - self.first
        grain = (
            0
            if span < dt.timedelta(days=2)
            else 1
            if span <= dt.timedelta(days=92)
            else 2
            if span <= dt.timedelta(days=366 * 20)
            else 3
        )
        if grain > self.grain:
            self.grain = grain
            merged: dict[dt.datetime, list[int]] = {}
            for start, (n, p) in self.buckets.items():
                slot = merged.setdefault(_truncate(start, grain), [0, 0])
                slot[0] += n
                slot[1] += p
            self.buckets = merged
        slot = self.buckets.setdefault(_truncate(when, self.grain), [0, 0])
        slot[0] += 1
        slot[1] += int(p1)

    def result(self) -> Timeline | None:
        if self.first is None or self.last is None:
            return None
        buckets = []
        start = _truncate(self.first, self.grain)
        end = _truncate(self.last, self.grain)
        while start <= end:
            n, p = self.buckets.get(start, (0, 0))
            buckets.append(Bucket(start, start.strftime(_BUCKET_LABEL[self.grain]), n, p))
            start = _next(start, self.grain)
        zone = None
        if self.tz is not None:
            offset = self.tz.utcoffset(None)
            minutes = round(offset.total_seconds() / 60)
            sign = "+" if minutes >= 0 else "-"
            zone = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        return Timeline(
            _GRAINS[self.grain], tuple(buckets), self.first, self.last, zone, self.undated
        )


# --- summarising --------------------------------------------------------------------------------


class _Acc:
    def __init__(self, examples: int, by: str = "system") -> None:
        self.examples = examples
        self.by = by
        self.records = self.accepted = self.rejected = self.diagnosed = self.p1 = 0
        self.certainty = 0.0
        self.faults = _Tally(KEY_CAPACITY)
        self.categories = _Tally(KEY_CAPACITY)
        self.priorities = _Tally(KEY_CAPACITY)
        self.systems = _Tally(KEY_CAPACITY)
        self.scopes = _Tally(KEY_CAPACITY)
        self.codes = _Tally(KEY_CAPACITY)
        self.phrases = _Tally(PHRASE_CAPACITY)
        self.places: dict[str, _Tally] = {}  # per carried column, at most PLACE_COLUMNS
        self.tickets_with_codes = 0
        self.rejections: list[Rejection] = []
        self.unmatched: list[Unmatched] = []
        self.unmatched_without_input = 0
        self.timeline = _Timeline()
        self.sources: dict[str, None] = {}
        self.more_sources = False
        self.chinese_text = self.other_text = 0

    def source(self, ref: TicketRef) -> None:
        if ref.source is None or ref.source in self.sources:
            return
        if len(self.sources) < SOURCE_CAPACITY:
            self.sources[ref.source] = None
        else:
            self.more_sources = True

    def reject(self, ref: TicketRef, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < self.examples:
            self.rejections.append(Rejection(ref, _clip(reason or "no reason given")))

    def add(self, raw: Any) -> None:
        self.records += 1
        if not isinstance(raw, Mapping):
            self.reject(TicketRef(None, None, None), f"not a record: {type(raw).__name__}")
            return
        ref = _ref(raw)
        self.source(ref)
        try:
            record = _RECORD.validate_python(raw)
        except ValidationError as exc:
            status = raw.get("status")
            if status not in ("ok", "error"):
                self.reject(
                    ref, f"malformed record: status must be 'ok' or 'error', got {status!r}"
                )
            else:
                self.reject(ref, _malformed(exc))
            return
        if isinstance(record, _Error):
            self.reject(ref, record.error)
            return
        places = record.systems if self.by == "system" else _places(raw, self.by)
        self.ok(record, ref, places)

    def ok(self, record: _Ok, ref: TicketRef, places: Sequence[str] = ()) -> None:
        self.accepted += 1
        p1 = record.priority == "P1"
        self.p1 += p1
        top = record.diagnoses[0] if record.diagnoses else None
        if top is not None:
            self.diagnosed += 1
            self.certainty += top.certainty
            for tally, key in ((self.faults, top.fault_id), (self.categories, top.category)):
                stat = tally.get(key or top.fault_id.split(".", 1)[0])
                stat.count += 1
                stat.p1 += p1
                stat.certainty += top.certainty
        for tally, key in (
            (self.priorities, record.priority or NONE_KEY),
            (self.scopes, record.scope or NONE_KEY),
        ):
            stat = tally.get(key)
            stat.count += 1
            stat.p1 += p1
        for place in dict.fromkeys(places or [NONE_KEY]):  # systems, or the --by column
            stat = self.systems.get(place)
            stat.count += 1
            stat.p1 += p1
        codes = dict.fromkeys(c for c in record.error_codes if c)
        self.tickets_with_codes += bool(codes)
        for code in codes:
            stat = self.codes.get(code)
            stat.count += 1
            stat.p1 += p1
        self.timeline.add(_parse_time(record.reported_at), p1)
        for column, value in record.extra.items():
            if column == self.by:
                continue  # it is the "where" breakdown already
            if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
                continue
            column_tally = self.places.get(column)
            if column_tally is None:
                if len(self.places) >= PLACE_COLUMNS:
                    continue
                column_tally = self.places[column] = _Tally(KEY_CAPACITY)
            stat = column_tally.get(_clip(str(value)))
            stat.count += 1
            stat.p1 += p1

        entries = [(u.kind, u.value.strip()) for u in record.unrecognised if u.value.strip()]
        for kind, text in entries:
            if kind == "text":
                if _CJK.search(text):
                    self.chinese_text += 1
                else:
                    self.other_text += 1
        if top is not None:
            return
        if not entries:
            self.unmatched_without_input += 1
        if len(self.unmatched) < self.examples:
            shown = tuple(_clip(t if k == "text" else f"{k}: {t}") for k, t in entries[:8])
            self.unmatched.append(Unmatched(ref, shown))
        seen = set()
        for kind, text in entries:
            key = _phrase_key(kind, text)
            if key in seen:
                continue
            seen.add(key)
            stat = self.phrases.get(key)
            if not stat.count:
                stat.text = _clip(text)
            stat.count += 1
            if len(stat.examples) < PHRASE_EXAMPLES:
                stat.examples.append(ref)

    def result(self, kb: KnowledgeBase | None) -> Summary:
        def rows(
            tally: _Tally,
            total: int,
            title: Callable[[str], LocalizedText | None],
            note: Callable[[str], str] = lambda key: "",
            certainty: bool = False,
        ) -> tuple[Row, ...]:
            return tuple(
                Row(
                    key=key,
                    count=stat.count,
                    share=stat.count / total if total else 0.0,
                    title=title(key),
                    note=note(key),
                    p1=stat.p1,
                    mean_certainty=stat.certainty / stat.count
                    if certainty and stat.count
                    else None,
                )
                for key, stat in tally.ranked()
            )

        def fault_title(key: str) -> LocalizedText | None:
            fault = kb.faults.get(key) if kb else None
            return fault.title if fault else None

        def category_title(key: str) -> LocalizedText | None:
            category = kb.categories.get(key) if kb else None
            return category.name if category else CATEGORY_NAMES.get(key)

        def system_title(key: str) -> LocalizedText | None:
            if key == NONE_KEY:
                return NO_SYSTEM if self.by == "system" else _no_value(self.by)
            if self.by != "system":
                return None
            system = kb.systems.get(key) if kb else None
            return system.name if system else None

        def code_title(key: str) -> LocalizedText | None:
            meanings = kb.code_meanings(key) if kb else []
            return meanings[0][1].message if meanings else None

        def code_note(key: str) -> str:
            if kb is None:
                return ""
            return ", ".join(s for s, _ in kb.code_meanings(key))

        def order(found: tuple[Row, ...], keys: Sequence[str]) -> tuple[Row, ...]:
            rank = {k: i for i, k in enumerate(keys)}
            return tuple(sorted(found, key=lambda r: (rank.get(r.key, len(rank)), r.key)))

        phrases = tuple(
            Phrase(key.split("\x00", 1)[0], stat.text, stat.count, tuple(stat.examples))
            for key, stat in self.phrases.ranked(by_key=False)
        )
        tallies = {
            "faults": self.faults,
            "categories": self.categories,
            "systems": self.systems,
            "scopes": self.scopes,
            "error_codes": self.codes,
            "phrases": self.phrases,
        }
        return Summary(
            records=self.records,
            accepted=self.accepted,
            rejected=self.rejected,
            diagnosed=self.diagnosed,
            p1=self.p1,
            mean_certainty=self.certainty / self.diagnosed if self.diagnosed else None,
            faults=rows(self.faults, self.diagnosed, fault_title, certainty=True),
            categories=rows(self.categories, self.diagnosed, category_title, certainty=True),
            priorities=order(
                rows(self.priorities, self.accepted, PRIORITY_NAMES.get),
                [*PRIORITIES, NONE_KEY],
            ),
            systems=rows(self.systems, self.accepted, system_title),
            scopes=order(rows(self.scopes, self.accepted, SCOPE_NAMES.get), [*SCOPES, NONE_KEY]),
            error_codes=rows(self.codes, self.tickets_with_codes, code_title, code_note),
            tickets_with_codes=self.tickets_with_codes,
            rejections=tuple(self.rejections),
            unmatched=tuple(self.unmatched),
            phrases=phrases,
            unmatched_without_input=self.unmatched_without_input,
            timeline=self.timeline.result(),
            sources=tuple(self.sources),
            more_sources=self.more_sources,
            approximate=tuple(name for name, tally in tallies.items() if tally.floor),
            chinese_text=self.chinese_text,
            other_text=self.other_text,
            with_kb=kb is not None,
            places=tuple(
                (column, rows(tally, self.accepted, lambda key: None))
                for column, tally in sorted(self.places.items())
            ),
            by=self.by,
        )


def summarise(
    records: Iterable[Any],
    kb: KnowledgeBase | None = None,
    *,
    examples: int = EXAMPLES,
    incidents: Iterable[Mapping[str, Any]] = (),
    by: str = "system",
) -> Summary:
    """Summarise batch records in one pass, in memory bounded whatever their number.

    Records follow the batch schema ({"status": "ok", "diagnoses": [...], ...} or
    {"status": "error", "error": ...}); a malformed record counts as rejected with the reason.
    With a knowledge base, faults, categories, systems and error codes get their titles.
    `examples` is how many unmatched and rejected tickets are kept as examples; `incidents`
    (the records of diagnoser.incidents) are listed first. `by` is what "where" groups by:
    "system" (the invoicing systems recognised), or a column carried with --keep into the
    record's `extra` (store, organisation), or a record field such as site or region; the
    other carried columns get their own breakdowns (`places`).
    """
    by = by.strip() or "system"
    acc = _Acc(max(0, examples), by)
    for record in records:
        acc.add(record)
    summary = acc.result(kb)
    rows = _incident_rows(incidents, kb)
    if rows:
        summary = dataclasses.replace(summary, incidents=rows)
    return summary


# --- rendering ----------------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "eyebrow": "batch run report",
        "title": "Batch diagnosis summary",
        "subtitle": "What is failing, where, and how badly",
        "sources": "Input",
        "more_sources": "and more",
        "period": "Reported",
        "to": "to",
        "tickets": "Tickets",
        "accepted": "accepted",
        "diagnosed": "Diagnosed",
        "of_accepted": "of accepted tickets",
        "rejected": "Rejected",
        "of_records": "of all records",
        "p1": "P1 incidents",
        "need_response": "of accepted tickets",
        "fault_chart_note": "The {k} most frequent of {n} faults; the table lists them all.",
        "no_recurring": "No unrecognised phrase recurs across unmatched tickets yet; "
        "they are listed one by one below.",
        "certainty": "Mean certainty",
        "of_top": "of the top diagnosis",
        "findings": "Key findings",
        "failing": "What is failing",
        "faults": "Top faults",
        "fault": "Fault",
        "fault_id": "Fault id",
        "categories": "By category",
        "category": "Category",
        "how_bad": "How badly",
        "priorities": "By priority",
        "priority": "Priority",
        "scopes": "By impact scope",
        "where": "Where",
        "systems": "By invoicing system",
        "system": "System",
        "codes": "Top error codes",
        "code": "Code",
        "meaning": "Meaning",
        "documented_for": "Catalog",
        "unknown_code": "not in any catalog",
        "when": "When",
        "incidents": "Incidents",
        "incidents_note": "Tickets that incident rules group into one fault (rules/incidents/).",
        "incident": "Incident",
        "since": "Since",
        "until": "Last",
        "sites": "Sites",
        "regions": "Regions",
        "incident_tickets": "Tickets",
        "and_more": "and {n} more",
        "timeline": "Tickets over time",
        "grain_hour": "per hour",
        "grain_day": "per day",
        "grain_month": "per month",
        "grain_year": "per year",
        "timezone": "times in",
        "local_time": "times as recorded",
        "undated": "tickets without a report time are not shown",
        "no_timeline": "No record carries a report time, so there is no timeline.",
        "learn": "What the knowledge base should learn next",
        "learn_intro": "Tickets that no rule matched, grouped by the input nothing understood. "
        "The most frequent phrases are the first candidates for new symptoms, codes or rules.",
        "phrase": "Unrecognised input",
        "kind": "Kind",
        "in_tickets": "Tickets",
        "examples": "Examples",
        "unmatched_examples": "Unmatched tickets (first {n} of {total})",
        "unmatched_all": "Unmatched tickets ({n})",
        "rejections_all": "{n} record(s) were rejected:",
        "ticket": "Ticket",
        "no_input": "{n} unmatched ticket(s) had no unrecognised input either "
        "(e.g. empty text or only known symptoms that no rule combines).",
        "nothing_unmatched": "Every accepted ticket got a diagnosis.",
        "rejections": "Rejected records",
        "rejections_intro": "{n} record(s) were rejected; the first {k} reasons:",
        "no_rejections": "No record was rejected.",
        "line": "Ticket (source:line)",
        "reason": "Reason",
        "count": "Tickets",
        "share": "Share",
        "p1_col": "P1",
        "mean_cf": "Mean certainty",
        "other": "other ({n})",
        "none": "none",
        "approximate": "Counts of {names} are lower bounds: their rarest entries were pruned "
        "to keep memory bounded.",
        "footer": "Generated by diagnoser {version}. Shares of faults and categories are of "
        "diagnosed tickets; of priorities, scopes and systems, of accepted tickets (a ticket "
        "may name several systems); of error codes, of the tickets that carried one.",
        "no_kb": "Fault titles are not shown: no knowledge base was given.",
        "legend_p1": "P1",
        "legend_other": "other tickets",
        "f_top": "The most frequent fault is {label} — {n} ticket(s), {share} of diagnosed.",
        "f_category": "{share} of diagnosed tickets are {label}.",
        "f_p1": "{n} P1 ticket(s); most of them are {label} ({k}).",
        "f_p1_none": "No ticket was triaged as P1.",
        "f_system": "The most affected system is {label} ({n} ticket(s)).",
        "f_code": "The most frequent error code is {code} ({meaning}), in {n} ticket(s).",
        "f_code_plain": "The most frequent error code is {code}, in {n} ticket(s).",
        "f_where": "By {column}, most tickets come from “{value}” ({n}, {share}).",
        "f_unmatched": "{n} ticket(s) ({share}) got no diagnosis; the most frequent unrecognised "
        "input is “{phrase}” ({k}).",
        "f_unmatched_plain": "{n} ticket(s) ({share}) got no diagnosis.",
        "f_rejected": "{n} record(s) were rejected ({share} of all records).",
        "f_peak": "The busiest {grain} was {label} with {n} ticket(s).",
        "peak_hour": "hour",
        "peak_day": "day",
        "peak_month": "month",
        "peak_year": "year",
        "chart_tickets": "tickets",
    },
    "zh": {
        "eyebrow": "批量诊断运行报告",
        "title": "批量诊断汇总报告",
        "subtitle": "哪里出了故障、影响多大",
        "sources": "输入",
        "more_sources": "等",
        "period": "报障时间",
        "to": "至",
        "tickets": "工单数",
        "accepted": "已受理",
        "diagnosed": "已诊断",
        "of_accepted": "占已受理工单",
        "rejected": "被拒绝",
        "of_records": "占全部记录",
        "p1": "P1 事件",
        "need_response": "占已受理工单",
        "fault_chart_note": "图中为 {n} 种故障中最常见的 {k} 种；下表列出全部。",
        "no_recurring": "未诊断的工单之间还没有重复出现的未识别短语；下面逐张列出。",
        "certainty": "平均可信度",
        "of_top": "首位诊断",
        "findings": "要点",
        "failing": "故障分布",
        "faults": "主要故障",
        "fault": "故障",
        "fault_id": "故障编号",
        "categories": "按故障类别",
        "category": "类别",
        "how_bad": "严重程度",
        "priorities": "按优先级",
        "priority": "优先级",
        "scopes": "按影响范围",
        "where": "发生在哪里",
        "systems": "按开票系统",
        "system": "开票系统",
        "codes": "常见错误代码",
        "code": "错误代码",
        "meaning": "含义",
        "documented_for": "所属目录",
        "unknown_code": "不在任何目录中",
        "when": "时间分布",
        "incidents": "事件",
        "incidents_note": "事件规则（rules/incidents/）归为同一故障的工单。",
        "incident": "事件",
        "since": "开始",
        "until": "最近",
        "sites": "网点数",
        "regions": "区域数",
        "incident_tickets": "工单",
        "and_more": "另有 {n} 张",
        "timeline": "工单时间分布",
        "grain_hour": "按小时",
        "grain_day": "按天",
        "grain_month": "按月",
        "grain_year": "按年",
        "timezone": "时区",
        "local_time": "按记录中的时间",
        "undated": "张工单没有报障时间，未计入",
        "no_timeline": "记录中没有报障时间，无法给出时间分布。",
        "learn": "知识库下一步应补充的内容",
        "learn_intro": "没有任何规则命中的工单，按未能识别的输入归组。"
        "出现最多的短语最值得补充为新的症状、错误代码或规则。",
        "phrase": "未识别的输入",
        "kind": "类型",
        "in_tickets": "工单数",
        "examples": "示例",
        "unmatched_examples": "未诊断的工单（共 {total} 张，列出前 {n} 张）",
        "unmatched_all": "未诊断的工单（{n} 张）",
        "rejections_all": "共 {n} 条记录被拒绝：",
        "ticket": "工单",
        "no_input": "其中 {n} 张未诊断的工单没有任何未识别的输入"
        "（例如内容为空，或症状已识别但没有规则能组合得出结论）。",
        "nothing_unmatched": "所有已受理的工单都得到了诊断。",
        "rejections": "被拒绝的记录",
        "rejections_intro": "共 {n} 条记录被拒绝；前 {k} 条原因：",
        "no_rejections": "没有被拒绝的记录。",
        "line": "工单（来源:行）",
        "reason": "原因",
        "count": "工单数",
        "share": "占比",
        "p1_col": "P1",
        "mean_cf": "平均可信度",
        "other": "其他（{n} 项）",
        "none": "无",
        "approximate": "{names} 的计数为下限：为限制内存，最少见的条目已被舍弃。",
        "footer": "由 diagnoser {version} 生成。故障与类别的占比以已诊断工单为基数；"
        "优先级、影响范围与开票系统的占比以已受理工单为基数（一张工单可能涉及多个开票系统）；"
        "错误代码的占比以带有错误代码的工单为基数。",
        "no_kb": "未提供知识库，故不显示故障名称。",
        "legend_p1": "P1",
        "legend_other": "其他工单",
        "f_top": "最常见的故障是{label}：{n} 张工单，占已诊断的 {share}。",
        "f_category": "已诊断工单中 {share} 属于{label}。",
        "f_p1": "P1 工单 {n} 张，其中最多的是{label}（{k} 张）。",
        "f_p1_none": "没有工单被定为 P1。",
        "f_system": "受影响最多的开票系统是{label}（{n} 张工单）。",
        "f_code": "最常见的错误代码是 {code}（{meaning}），出现在 {n} 张工单中。",
        "f_code_plain": "最常见的错误代码是 {code}，出现在 {n} 张工单中。",
        "f_where": "按 {column} 看，工单最多的是“{value}”（{n} 张，{share}）。",
        "f_unmatched": "{n} 张工单（{share}）未能诊断；最常见的未识别输入是“{phrase}”（{k} 张）。",
        "f_unmatched_plain": "{n} 张工单（{share}）未能诊断。",
        "f_rejected": "{n} 条记录被拒绝（占全部记录的 {share}）。",
        "f_peak": "工单最多的{grain}是 {label}，共 {n} 张。",
        "peak_hour": "小时",
        "peak_day": "一天",
        "peak_month": "月份",
        "peak_year": "年份",
        "chart_tickets": "张工单",
    },
}

SECTION_NAMES = {
    "faults": _lt("故障", "faults"),
    "categories": _lt("类别", "categories"),
    "systems": _lt("开票系统", "systems"),
    "scopes": _lt("影响范围", "scopes"),
    "error_codes": _lt("错误代码", "error codes"),
    "phrases": _lt("未识别短语", "unrecognised phrases"),
}
KIND_NAMES = {
    "text": _lt("文本", "text"),
    "error_code": _lt("错误代码", "error code"),
    "symptom": _lt("症状", "symptom"),
    "metric": _lt("指标", "metric"),
    "system": _lt("开票系统", "system"),
    "scope": _lt("影响范围", "scope"),
}
CATEGORY_COLOURS = {
    "software": "#2f6db5",
    "hardware": "#7b4fa8",
    "network": "#15867f",
    "operation": "#c9761a",
    "external": "#6b7785",
}
PRIORITY_COLOURS = {
    "P1": "#c0392b",
    "P2": "#e07b24",
    "P3": "#d9a521",
    "P4": "#5b8bb8",
    NONE_KEY: "#a3acb6",
}
SCOPE_COLOURS = {
    "single_user": "#8fb3d9",
    "site": "#5b8bb8",
    "region": "#2f6db5",
    "city": "#1b3f73",
    NONE_KEY: "#a3acb6",
}
ACCENT = "#2f6db5"
FAULT_BARS = 12  # faults drawn in the chart; the table lists up to 25
PHRASE_ROWS = 25  # recurring unrecognised phrases listed
MUTED = "#a3acb6"
P1_COLOUR = "#c0392b"


def _num(value: int | float) -> str:
    return f"{value:,}"


def _pct(share: float) -> str:
    if share and share < 0.001:
        return "<0.1%"
    return f"{share * 100:.1f}%".replace(".0%", "%")


def _fit(text: str, columns: int) -> str:
    """`text` cut to `columns` display columns (CJK characters take two), with an ellipsis."""
    if display_width(text) <= columns:
        return text
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > columns - 1:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + "…"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class _Bar:
    label: str
    count: int
    share: float
    colour: str
    tooltip: str
    other: bool = False  # the folded tail: drawn muted, never sets the scale


def _bar_chart(bars: Sequence[_Bar], width: int = 520, label_columns: int = 30) -> Markup:
    """A horizontal bar chart as inline SVG: label, bar scaled to the largest count, value."""
    if not bars:
        return Markup("")
    row, bar_h, top = 26, 15, 4
    label_columns = max(10, min(label_columns, max(display_width(b.label) for b in bars)))
    label_w = label_columns * 6.4 + 8
    value_w = 92
    plot_w = width - label_w - value_w
    height = top * 2 + row * len(bars)
    peak = max((b.count for b in bars if not b.other), default=0) or max(b.count for b in bars) or 1
    parts = [
        f'<svg class="chart bar-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet">'
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        mid = y + row / 2
        length = min(plot_w, max(1.5, plot_w * bar.count / peak)) if bar.count else 0
        parts.append(f"<g><title>{_e(bar.tooltip)}</title>")
        parts.append(
            f'<text x="{label_w - 8:.1f}" y="{mid:.1f}" text-anchor="end" '
            f'dominant-baseline="central" class="lbl">{_e(_fit(bar.label, label_columns))}</text>'
        )
        parts.append(
            f'<rect x="{label_w:.1f}" y="{mid - bar_h / 2:.1f}" width="{plot_w:.1f}" '
            f'height="{bar_h}" rx="2" class="track"/>'
        )
        parts.append(
            f'<rect x="{label_w:.1f}" y="{mid - bar_h / 2:.1f}" width="{length:.1f}" '
            f'height="{bar_h}" rx="2" fill="{_e(bar.colour)}"/>'
        )
        parts.append(
            f'<text x="{label_w + plot_w + 8:.1f}" y="{mid:.1f}" dominant-baseline="central" '
            f'class="val">{_e(_num(bar.count))}<tspan class="share"> · {_e(_pct(bar.share))}'
            f"</tspan></text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_step(peak: int, ticks: int = 4) -> int:
    raw = max(1.0, peak / ticks)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw and float(step).is_integer():
            return int(step)
    return int(10 * magnitude)


def _bucket_ticks(bucket: Bucket, grain: str, previous: Bucket | None) -> tuple[str, str]:
    """(first line, second line) of a timeline label; the second names a new day, month or year."""
    start = bucket.start
    if grain == "hour":
        new_day = previous is None or previous.start.date() != start.date()
        return start.strftime("%H:00"), start.strftime("%m-%d") if new_day else ""
    if grain == "day":
        new_year = previous is None or previous.start.year != start.year
        return start.strftime("%m-%d"), str(start.year) if new_year else ""
    if grain == "month":
        new_year = previous is None or previous.start.year != start.year
        return start.strftime("%m"), str(start.year) if new_year else ""
    return str(start.year), ""


def _column_chart(timeline: Timeline, t: Mapping[str, str], width: int = 1000) -> Markup:
    """A column chart of tickets per bucket as inline SVG, P1 tickets stacked at the bottom."""
    buckets = timeline.buckets
    left, right, top, bottom, plot_h = 48, 12, 14, 44, 190
    height = top + plot_h + bottom
    plot_w = width - left - right
    slot = plot_w / len(buckets)
    bar_w = max(1.0, slot * 0.72)
    peak = max((b.count for b in buckets), default=0)
    step = _nice_step(peak)
    ceiling = max(step, math.ceil(peak / step) * step)
    scale = plot_h / ceiling
    base = top + plot_h
    parts = [
        f'<svg class="chart column-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet">'
    ]
    for value in range(0, ceiling + 1, step):
        y = base - value * scale
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="central" '
            f'class="axis">{_e(_num(value))}</text>'
        )
    label_every = max(1, math.ceil(46 / slot))
    previous: Bucket | None = None
    for i, bucket in enumerate(buckets):
        x = left + i * slot + (slot - bar_w) / 2
        p1_h = bucket.p1 * scale
        rest_h = (bucket.count - bucket.p1) * scale
        tip = f"{bucket.label}: {_num(bucket.count)} {t['chart_tickets']}"
        if bucket.p1:
            tip += f" ({_num(bucket.p1)} P1)"
        parts.append(f"<g><title>{_e(tip)}</title>")
        parts.append(
            f'<rect x="{x:.1f}" y="{top}" width="{bar_w:.1f}" height="{plot_h}" class="hit"/>'
        )
        if rest_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - p1_h - rest_h:.1f}" width="{bar_w:.1f}" '
                f'height="{rest_h:.1f}" fill="{ACCENT}"/>'
            )
        if p1_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - p1_h:.1f}" width="{bar_w:.1f}" '
                f'height="{p1_h:.1f}" fill="{P1_COLOUR}"/>'
            )
        parts.append("</g>")
        first, second = _bucket_ticks(bucket, timeline.grain, previous)
        if i % label_every == 0 or second:
            cx = left + i * slot + slot / 2
            if i % label_every == 0:
                parts.append(
                    f'<text x="{cx:.1f}" y="{base + 15}" text-anchor="middle" class="axis">'
                    f"{_e(first)}</text>"
                )
            if second:
                parts.append(
                    f'<line x1="{left + i * slot:.1f}" x2="{left + i * slot:.1f}" y1="{base}" '
                    f'y2="{base + 34}" class="tick"/>'
                    f'<text x="{left + i * slot + 3:.1f}" y="{base + 32}" class="axis strong">'
                    f"{_e(second)}</text>"
                )
        previous = bucket
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" class="baseline"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _limited(rows: Sequence[Row], limit: int, t: Mapping[str, str]) -> list[tuple[Row, bool]]:
    """The first `limit` rows, and the rest folded into one 'other' row (flag True)."""
    shown = [(row, False) for row in rows[:limit]]
    rest = rows[limit:]
    if rest:
        count = sum(r.count for r in rest)
        share = sum(r.share for r in rest)
        p1 = sum(r.p1 for r in rest)
        key = t["other"].format(n=len(rest))
        shown.append((Row(key=key, count=count, share=share, p1=p1), True))
    return shown


def _bars(
    rows: Sequence[Row],
    lang: str,
    colour: Callable[[Row], str],
    limit: int,
    t: Mapping[str, str],
    with_key: bool = False,
) -> list[_Bar]:
    out = []
    for row, other in _limited(rows, limit, t):
        label = row.label(lang)
        tooltip = f"{row.key} — {label}" if row.title and with_key else label
        out.append(
            _Bar(
                label=label,
                count=row.count,
                share=row.share,
                colour=MUTED if other else colour(row),
                tooltip=f"{tooltip}: {_num(row.count)} ({_pct(row.share)})",
                other=other,
            )
        )
    return out


# what a key finding never cites as "the most frequent unrecognised input": greetings, thanks,
# fillers and markup say nothing about the fault (they stay listed under the phrases)
_MARKUP = re.compile(r"<[^>]*>|&[a-z]+;|&#\d+;|https?://\S+|\[/?[a-z]+\]", re.IGNORECASE)
_SMALL_TALK = re.compile(
    r"^(?:您好|你好|喂|在吗|谢谢|多谢|感谢|麻烦(?:了|你|您)?|请问|急|急急急|辛苦了|[嗯啊哦呃]+|好的|"
    r"hi|hello|hey|dear \w+|thanks?(?: you)?|thx|please|pls|regards|best regards|urgent|asap|"
    r"ok|okay)$",
    re.IGNORECASE,
)
_WORDY = re.compile(r"[\u3400-\u9fff]{2}|[A-Za-z]{3}|\d")


def citable(text: str) -> bool:
    """Whether an unrecognised phrase may be cited in a key finding: not markup, not a
    greeting, thanks or filler, and with some substance (two Chinese characters, a word, a
    digit) left once markup is taken out."""
    plain = _SPACES.sub(" ", _MARKUP.sub(" ", text)).strip(_EDGE_PUNCT + " ")
    if not plain or plain != _SPACES.sub(" ", text).strip(_EDGE_PUNCT + " "):
        return False  # markup in it: a finding quotes no markup, even cleaned
    parts = [p for p in re.split(r"[，,。.!！?？\s]+", plain) if p]
    if all(_SMALL_TALK.match(p) for p in parts):
        return False
    return bool(_WORDY.search(plain))


def _findings(summary: Summary, lang: str, t: Mapping[str, str]) -> list[str]:
    out = []
    if summary.faults:
        top = summary.faults[0]
        label = top.label(lang) if top.title else top.key
        out.append(t["f_top"].format(label=label, n=_num(top.count), share=_pct(top.share)))
    if summary.categories and len(summary.categories) > 1:
        cat = summary.categories[0]
        out.append(t["f_category"].format(label=cat.label(lang), share=_pct(cat.share)))
    if summary.p1:
        worst = max(summary.faults, key=lambda r: (r.p1, -summary.faults.index(r)), default=None)
        if worst is not None and worst.p1:
            out.append(
                t["f_p1"].format(n=_num(summary.p1), label=worst.label(lang), k=_num(worst.p1))
            )
    elif summary.accepted:
        out.append(t["f_p1_none"])
    if summary.error_codes:
        code = summary.error_codes[0]
        meaning = code.title.get(lang) if code.title else ""
        key = "f_code" if meaning else "f_code_plain"
        out.append(t[key].format(code=code.key, meaning=meaning, n=_num(code.count)))
    named = [r for r in summary.systems if r.key != NONE_KEY]
    if named:
        out.append(t["f_system"].format(label=named[0].label(lang), n=_num(named[0].count)))
    # "where" is also any carried column: the store, organisation or region with most tickets
    for column, rows in summary.places[:3]:
        if rows and len(rows) > 1:
            out.append(
                t["f_where"].format(
                    column=column,
                    value=_fit(rows[0].key, 40),
                    n=_num(rows[0].count),
                    share=_pct(rows[0].share),
                )
            )
    if summary.timeline and len(summary.timeline.buckets) > 1:
        peak = max(summary.timeline.buckets, key=lambda b: b.count)
        out.append(
            t["f_peak"].format(
                grain=t["peak_" + summary.timeline.grain], label=peak.label, n=_num(peak.count)
            )
        )
    if summary.undiagnosed:
        share = _pct(summary.undiagnosed / summary.accepted)
        phrase = next((p for p in summary.phrases if p.tickets > 1 and citable(p.text)), None)
        if phrase is not None:
            out.append(
                t["f_unmatched"].format(
                    n=_num(summary.undiagnosed),
                    share=share,
                    phrase=_fit(phrase.text, 60),
                    k=_num(phrase.tickets),
                )
            )
        else:
            out.append(t["f_unmatched_plain"].format(n=_num(summary.undiagnosed), share=share))
    if summary.rejected:
        out.append(
            t["f_rejected"].format(n=_num(summary.rejected), share=_pct(summary.rejected_share))
        )
    return out


def _md(value: object) -> str:
    """Text made safe for a Markdown table cell: no markup, no HTML, no broken columns."""
    text = _SPACES.sub(" ", str(value)).strip()
    text = text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;")
    text = text.replace(">", "&gt;").replace("|", "\\|")
    return re.sub(r"([`*_\[\]#~])", r"\\\1", text)


def _md_code(value: object) -> str:
    """Text for inside a Markdown code span in a table cell."""
    return _SPACES.sub(" ", str(value)).strip().replace("`", "'").replace("|", "\\|")


def _text_bar(share: float, width: int = 20) -> str:
    filled = round(max(0.0, min(1.0, share)) * width)
    if share > 0 and filled == 0:
        return "▏" + "░" * (width - 1)
    return "█" * filled + "░" * (width - filled)


def _environment(fmt: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_path())),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=fmt == "html",
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["md"] = _md
    env.filters["mdcode"] = _md_code
    env.filters["textbar"] = _text_bar
    env.filters["fit"] = _fit
    return env


def _context(summary: Summary, lang: str, fmt: str) -> dict[str, Any]:
    from .. import __version__

    t = _grouped_labels(LABELS[lang], summary.by, lang)

    def localised(table: Mapping[str, LocalizedText], key: str) -> str:
        return table[key].get(lang) if key in table else key

    fault_colour = lambda row: CATEGORY_COLOURS.get(row.key.split(".", 1)[0], ACCENT)  # noqa: E731
    charts: dict[str, Any] = {}
    if fmt == "html":
        half, full = 480, 1000
        charts = {
            "faults": _bar_chart(
                _bars(summary.faults[:FAULT_BARS], lang, fault_colour, FAULT_BARS, t, True),
                width=full,
                label_columns=64,
            ),
            "categories": _bar_chart(
                _bars(
                    summary.categories, lang, lambda r: CATEGORY_COLOURS.get(r.key, ACCENT), 8, t
                ),
                width=full,
                label_columns=64,
            ),
            "priorities": _bar_chart(
                _bars(
                    summary.priorities, lang, lambda r: PRIORITY_COLOURS.get(r.key, ACCENT), 8, t
                ),
                width=half,
                label_columns=26,
            ),
            "scopes": _bar_chart(
                _bars(summary.scopes, lang, lambda r: SCOPE_COLOURS.get(r.key, ACCENT), 8, t),
                width=half,
                label_columns=26,
            ),
            "systems": _bar_chart(
                _bars(
                    summary.systems,
                    lang,
                    lambda r: MUTED if r.key == NONE_KEY else ACCENT,
                    12,
                    t,
                    with_key=True,
                ),
                width=full,
                label_columns=64,
            ),
            "timeline": _column_chart(summary.timeline, t) if summary.timeline else Markup(""),
        }
    peaks = {
        name: max((r.count for r in rows), default=0) or 1
        for name, rows in (
            ("faults", summary.faults),
            ("categories", summary.categories),
            ("priorities", summary.priorities),
            ("scopes", summary.scopes),
            ("systems", summary.systems),
            ("error_codes", summary.error_codes),
            ("timeline", summary.timeline.buckets if summary.timeline else ()),
        )
    }
    return {
        "s": summary,
        "t": t,
        "lang": lang,
        "version": __version__,
        "charts": charts,
        "peaks": peaks,
        "findings": _findings(summary, lang, t),
        "faults": _limited(summary.faults, 25, t),
        "categories": _limited(summary.categories, 8, t),
        "priorities": summary.priorities,
        "scopes": summary.scopes,
        "systems": _limited(summary.systems, 15, t),
        "codes": summary.error_codes[:15],
        "phrases": [p for p in summary.phrases[:PHRASE_ROWS] if p.tickets > 1],
        "fault_bars": FAULT_BARS,
        "kind_name": lambda kind: localised(KIND_NAMES, kind),
        "approximate": "、".join(localised(SECTION_NAMES, n) for n in summary.approximate)
        if lang == "zh"
        else ", ".join(localised(SECTION_NAMES, n) for n in summary.approximate),
        "none_key": NONE_KEY,
    }


def _grouped_labels(t: dict[str, str], by: str, lang: str) -> dict[str, str]:
    """The labels of the "where" breakdown when it groups by a column rather than the system."""
    if by == "system":
        return t
    heading = f"按 {by}" if lang == "zh" else f"By {by}"
    most = (
        "受影响最多的 {by}是{{label}}（{{n}} 张工单）。"
        if lang == "zh"
        else ("The most affected {by} is {{label}} ({{n}} ticket(s)).")
    )
    return {**t, "systems": heading, "system": by, "f_system": most.format(by=by)}


def render_summary(summary: Summary, fmt: Fmt = "html", lang: Lang = "en") -> str:
    """The summary as one self-contained HTML page or as Markdown, in Chinese or English."""
    if fmt not in ("html", "md"):
        raise SummaryError(f"unknown summary format {fmt!r}; use 'html' or 'md'")
    if lang not in LABELS:
        raise SummaryError(f"unknown language {lang!r}; use 'zh' or 'en'")
    template = _environment(fmt).get_template(f"summary.{fmt}.j2")
    return template.render(**_context(summary, lang, fmt))


SUFFIXES: dict[str, Fmt] = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}


def summary_format(path: str | os.PathLike[str]) -> Fmt:
    """The report format for a file name: .html/.htm → html, .md/.markdown → md."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise SummaryError(
            f"{os.fspath(path)}: cannot tell the report format from the suffix "
            f"{suffix or '(none)'!r}; use .html, .htm or .md"
        )
    return SUFFIXES[suffix]


def write_summary(
    records: Iterable[Any],
    path: str | os.PathLike[str],
    kb: KnowledgeBase | None = None,
    lang: Lang | None = None,
    incidents: Iterable[Mapping[str, Any]] = (),
    by: str = "system",
) -> Summary:
    """Summarise `records` and write the report to `path`, formatted by its suffix.

    The language defaults to Chinese when most of the ticket text the records show (their
    unrecognised input) is Chinese, else English. Raises SummaryError (a ValueError) for an
    unknown suffix before reading any record; OSError when the file cannot be written.
    """
    fmt = summary_format(path)
    if lang is not None and lang not in LABELS:
        raise SummaryError(f"unknown language {lang!r}; use 'zh' or 'en'")
    summary = summarise(records, kb, incidents=incidents, by=by)
    write_atomic(path, render_summary(summary, fmt, lang or summary.language))
    return summary

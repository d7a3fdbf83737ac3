"""Batch records into a `Summary`: reading records, bounded tallies and the coarsening timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from ..._text import CJK as _CJK
from ...kb.knowledge import KnowledgeBase
from ...kb.models import LocalizedText
from .model import (
    _SPACES,
    CATEGORY_NAMES,
    EXAMPLES,
    KEY_CAPACITY,
    NO_SYSTEM,
    NONE_KEY,
    PHRASE_CAPACITY,
    PHRASE_EXAMPLES,
    PLACE_COLUMNS,
    PRIORITIES,
    PRIORITY_NAMES,
    SCOPE_NAMES,
    SCOPES,
    SOURCE_CAPACITY,
    TEXT_LIMIT,
    Bucket,
    Phrase,
    Rejection,
    Row,
    Summary,
    TicketRef,
    Timeline,
    Unmatched,
    _clip,
    _incident_rows,
    _lt,
)

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
_DIGITS = re.compile(r"\d+")
_EDGE_PUNCT = " \t\"'“”‘’「」『』()（）[]【】<>《》.,;:!?。，；：！？、-—…"


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

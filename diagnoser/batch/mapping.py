"""Column mapping: an exported row becomes a ticket dict, or a reason naming the field.

Sources of a mapping, later ones winning per field: the built-in default, a preset
(`--preset jira`), a mapping file (YAML or JSON: `field: Column` or `field: [Col1, Col2]`,
optionally `preset: NAME`), and `--map field=Column` (repeat a field to give several columns).
`metrics.NAME=Column` reads one metric from its own column. `Column[KEY]` picks, from a list of
`{"id": ..., "value": ...}` objects (Zendesk's `custom_fields`), the value of the one whose id
is KEY. `--keep Column` carries a column as it is to the record's `extra`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ticket import MAX_TEXT
from .errors import InputError
from .presets import DEFAULT, PRESETS, Preset

FIELDS = tuple(DEFAULT)
MULTI = frozenset({"text", "error_codes", "symptoms"})  # every column found is used
MAX_FIELD = MAX_TEXT  # characters of any one mapped field

_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# either of the two: one pass finds that a text is clean (nearly all are), the two above say
# which problem a text that is not has, in the order they are reported
_UNCLEAN = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")
_ITEM = re.compile(r"^(.*)\[([^\[\]]+)\]$")
MAX_DATE = 64  # characters of a date worth handing to the parser
_TAG = re.compile(r"<(?:/?[a-zA-Z][a-zA-Z0-9]*\b[^<>]*|!--.*?--)>", re.DOTALL)
_BLOCK = re.compile(r"<(?:br|/p|/div|/li|/tr|/h[1-6]|p|div|li|tr)\b[^<>]*>", re.IGNORECASE)
_DROP = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d/%b/%y %I:%M %p",  # Jira CSV: 05/Jan/24 10:22 AM
    "%d/%b/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)


def html_to_text(value: str) -> str:
    """Plain text of an HTML body (blocks and <br> become line breaks, entities decoded)."""
    if "<" not in value or not _TAG.search(value):
        return html.unescape(value) if "&" in value else value
    value = _DROP.sub(" ", value)
    value = _BLOCK.sub("\n", value)
    value = _TAG.sub("", value)
    value = html.unescape(value)
    return _LINES.sub("\n", _SPACES.sub(" ", value)).strip()


def parse_date(value: str) -> str:
    """An ISO timestamp from the date spellings helpdesk exports use; ValueError otherwise.

    The spellings of the presets are tried first (exact, and Jira's day-first one); anything
    else goes to dateutil's parser (month first, as US-configured exports write: osTicket's
    `11/03/26 12:44 PM` is 3 November 2026).
    """
    text = value.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    if 0 < len(text) <= MAX_DATE:
        from dateutil import parser as date_parser

        try:
            return date_parser.parse(text).isoformat()
        except (ValueError, OverflowError, date_parser.ParserError):
            pass
    raise ValueError(f"unrecognised date {value[:40]!r}")


@dataclass
class ColumnMap:
    """field -> candidate columns, plus single metric columns."""

    fields: dict[str, tuple[str, ...]]
    metric_columns: dict[str, str] = field(default_factory=dict)
    preset: str | None = None
    keep: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        preset: str | None = None,
        map_file: str | Path | None = None,
        overrides: Iterable[str] = (),
        label_field: str | None = None,
        keep: Iterable[str] = (),
    ) -> ColumnMap:
        """Combine the default, a preset, a mapping file and --map overrides."""
        file_fields: dict[str, Any] = {}
        if map_file is not None:
            file_fields = _load_map_file(Path(map_file))
            preset = preset or file_fields.pop("preset", None)
            file_fields.pop("preset", None)
        if preset is not None and preset not in PRESETS:
            raise InputError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
        fields: Preset = {**DEFAULT, **(PRESETS[preset] if preset else {})}
        metric_columns: dict[str, str] = {}
        given: dict[str, list[str]] = {}
        for name, columns in file_fields.items():
            cols = [columns] if isinstance(columns, str) else columns
            if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
                raise InputError(f"{map_file}: {name}: a column name or a list of them expected")
            given[name] = list(cols)
        cli: dict[str, list[str]] = {}
        for item in overrides:
            name, sep, column = item.partition("=")
            if not sep or not name.strip() or not column.strip():
                raise InputError(f"--map {item!r}: FIELD=COLUMN expected")
            cli.setdefault(name.strip(), []).append(column.strip())
        given.update(cli)
        if label_field is not None:
            given.setdefault("label", [label_field])
        for name, cols in given.items():
            if name.startswith("metrics.") and len(name) > 8:
                metric_columns[name[8:]] = cols[-1]
            elif name in fields:
                fields[name] = tuple(cols)
            else:
                raise InputError(
                    f"unknown field {name!r} in the mapping; fields: {', '.join(FIELDS)}, "
                    "metrics.NAME"
                )
        kept = tuple(dict.fromkeys(c.strip() for c in keep if c.strip()))
        return cls(dict(fields), metric_columns, preset, kept)

    def bind(self, columns: Sequence[str] | None) -> BoundMap:
        """The mapping for one input: against a CSV header, or per record (columns=None)."""
        return BoundMap(self, list(columns) if columns is not None else None)


def _load_map_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the mapping file: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:  # the knowledge base's loader: size and alias limits, file:line in errors
            from .._yaml import YamlError, load_yaml

            try:
                data, _ = load_yaml(path)
            except YamlError as exc:
                raise InputError(f"not a valid mapping file: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not a valid mapping file: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a mapping of field: column is expected")
    return data


_MISSING = object()


Getter = Callable[[Mapping[str, Any]], Any]


def _getter(column: str) -> Getter:
    """How to read `column` from a record (its value or _MISSING), decided once per column:
    a JSON input is mapped per record, so parsing each candidate name again for every record
    would cost more than the reading itself."""
    item = _ITEM.match(column)
    if item is not None:  # custom_fields[360001234]: the value of the entry with that id
        inner, key = _getter(item.group(1)), item.group(2).strip()

        def entry_value(data: Mapping[str, Any]) -> Any:
            if column in data:
                return data[column]
            entries = inner(data)
            if not isinstance(entries, list):
                return _MISSING
            for entry in entries:
                if isinstance(entry, Mapping) and str(entry.get("id")) == key:
                    return entry.get("value")
            return _MISSING

        return entry_value
    if "." in column:
        parts = column.split(".")

        def nested(data: Mapping[str, Any]) -> Any:
            if column in data:
                return data[column]
            node: Any = data
            for part in parts:
                if not isinstance(node, Mapping) or part not in node:
                    return _MISSING
                node = node[part]
            return node

        return nested

    def plain(data: Mapping[str, Any]) -> Any:
        return data.get(column, _MISSING)

    return plain


def _roots(column: str) -> frozenset[str]:
    """The top-level keys of a record one of which must be there for `column` to be read from
    it (_getter reads nothing otherwise): the name itself, and the first step of a dotted or
    [KEY] name."""
    item = _ITEM.match(column)
    if item is not None:
        return frozenset((column, *_roots(item.group(1))))
    if "." in column:
        return frozenset((column, column.split(".")[0]))
    return frozenset((column,))


MAX_PLANS = 256  # key sets of one input remembered; an export has a handful

# (field, every column found is used, (column, its getter) for each that the record may hold)
Plan = tuple[tuple[str, bool, tuple[tuple[str, Getter], ...]], ...]


class BoundMap:
    """A ColumnMap bound to the columns of one input."""

    def __init__(self, cmap: ColumnMap, header: list[str] | None) -> None:
        self.cmap = cmap
        self.header = header
        self.fields: dict[str, tuple[str, ...]] = {}
        self.metric_columns = dict(cmap.metric_columns)
        folded = {h.strip().casefold(): h for h in header or ()}
        for name, candidates in cmap.fields.items():
            if header is None:
                self.fields[name] = candidates
                continue
            found = []
            for col in candidates:
                real = col if col in header else folded.get(col.strip().casefold())
                if real is not None and real not in found:
                    found.append(real)
            self.fields[name] = tuple(found)
        self.keep = tuple(
            (col if header is None or col in header else folded.get(col.casefold(), col))
            for col in cmap.keep
        )
        if header is not None:
            for metric, col in list(self.metric_columns.items()):
                real = col if col in header else folded.get(col.strip().casefold())
                if real is None:
                    del self.metric_columns[metric]
                else:
                    self.metric_columns[metric] = real
        self._get = {
            col: _getter(col)
            for col in (
                *(c for cols in self.fields.values() for c in cols),
                *self.metric_columns.values(),
                *self.keep,
            )
        }
        self._roots = {col: _roots(col) for col in self._get}
        self._plans: dict[tuple[str, ...], Plan] = {}

    def _plan(self, data: Mapping[str, Any]) -> Plan:
        """The fields and candidate columns worth looking at in a record with these keys.

        The records of one export nearly all have the same few keys, while the mapping has
        some thirty candidate columns; so the candidates that cannot be there (none of their
        _roots is a key of the record) are left out once per key set rather than looked up
        in every record. The order of fields and columns is the mapping's."""
        keys = tuple(data)
        plan = self._plans.get(keys)
        if plan is None:
            present = frozenset(keys)
            found = []
            for name, cols in self.fields.items():
                getters = tuple(
                    (col, self._get[col])
                    for col in cols
                    if not present.isdisjoint(self._roots[col])
                )
                if getters:
                    found.append((name, name in MULTI, getters))
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            plan = self._plans[keys] = tuple(found)
        return plan

    def describe(self) -> dict[str, Any]:
        """The resolved mapping, for --dry-run."""
        out: dict[str, Any] = {}
        for name, cols in self.fields.items():
            out[name] = list(cols) if cols else None
        for metric, col in self.metric_columns.items():
            out[f"metrics.{metric}"] = col
        if self.keep:
            out["extra (--keep)"] = list(self.keep)
        return out

    def apply(self, data: Mapping[str, Any]) -> Mapped:
        """The ticket, its label, kept columns and warnings, or the error naming the field and
        column that is bad. A date that cannot be read is a warning, and left out."""
        ticket: dict[str, Any] = {}
        warnings: list[str] = []
        extra: dict[str, Any] = {}
        for col in self.keep:
            value = self._get[col](data)
            if value is not _MISSING:
                if isinstance(value, str) and _SURROGATE.search(value):
                    value = _SURROGATE.sub("\ufffd", value)
                extra[col] = value
        label, error = self._apply(data, ticket, warnings)
        return Mapped(ticket, label, error, warnings, extra)

    def _where(self, name: str, cols: str) -> str:
        """Where a bad value was found: the ticket field, and the input column or JSON field
        it came from when that is another name ("text (column 'Beschreibung')")."""
        if cols == name:
            return name
        kind = "column" if self.header is not None else "field"
        shown = cols if ", " in cols else repr(cols)
        return f"{name} ({kind} {shown})"

    def _apply(
        self, data: Mapping[str, Any], ticket: dict[str, Any], warnings: list[str]
    ) -> tuple[Any, str | None]:
        """Fill `ticket`; (the label, None), or (None, why a field is bad)."""
        label: Any = None
        for name, multi, getters in self._plan(data):
            if multi:
                parts: list[Any] = []
                used = []
                for col, get in getters:
                    value = get(data)
                    if value is _MISSING or value is None or value == "" or value == []:
                        continue
                    parts.append(value)
                    used.append(col)
                if not parts:
                    continue
                try:
                    value = _multi(name, parts)
                except ValueError as exc:
                    return None, f"{self._where(name, ', '.join(used))}: {exc}"
                col = ", ".join(used)
            else:
                for candidate, get in getters:
                    value = get(data)
                    if value is not _MISSING and value is not None and value != "":
                        col = candidate
                        break
                else:
                    continue
            try:
                value = _convert(name, value)
            except ValueError as exc:
                if name == "reported_at" and not isinstance(exc, _Fatal):
                    warnings.append(f"{self._where(name, col)}: {exc}; left out")
                    continue
                return None, f"{self._where(name, col)}: {exc}"
            if name == "label":
                label = value
            elif value is not None:
                ticket[name] = value
        if self.metric_columns:
            metrics = dict(ticket.get("metrics") or {})
            for metric, col in self.metric_columns.items():
                value = self._get[col](data)
                if value is _MISSING or value is None or value == "":
                    continue
                try:
                    metrics[metric] = _number(value)
                except ValueError as exc:
                    return None, f"{self._where('metrics.' + metric, col)}: {exc}"
            if metrics:
                ticket["metrics"] = metrics
        ticket_id = ticket.get("id")
        if ticket_id is None:
            if self.header is None:
                return None, f"id: missing (fields tried: {', '.join(self.fields['id'])})"
            if self.fields["id"]:
                return None, f"id: missing (columns tried: {', '.join(self.fields['id'])})"
            looked = ", ".join(self.cmap.fields["id"])
            return (
                None,
                f"id: no column of the header holds it (looked for: {looked}; --map id=COLUMN)",
            )
        return label, None


@dataclass(frozen=True, slots=True)
class Mapped:
    """What one input record maps to."""

    ticket: dict[str, Any]
    label: Any
    error: str | None
    warnings: list[str]
    extra: dict[str, Any]


class _Fatal(ValueError):
    """A field error that is never only a warning (binary data, a lone surrogate, size)."""


def _check_text(value: str) -> str:
    if len(value) > MAX_FIELD:
        raise _Fatal(f"too large: {len(value)} characters (limit {MAX_FIELD})")
    if _UNCLEAN.search(value) is None:
        return value
    if _BINARY.search(value):
        raise _Fatal("contains binary data (control characters)")
    bad = _SURROGATE.search(value)
    if bad is not None:
        raise _Fatal(f"contains a lone surrogate (\\u{ord(bad.group()):04x}), which is not text")
    return value  # pragma: no cover - _UNCLEAN matches only what one of the two does


def _flat(parts: list[Any]) -> list[Any]:
    out: list[Any] = []
    for part in parts:
        if isinstance(part, list | tuple):
            out.extend(part)
        else:
            out.append(part)
    return out


def _multi(name: str, parts: list[Any]) -> Any:
    items = _flat(parts)
    if name == "text":
        texts = []
        changed = False  # by html_to_text: only then can the joined text hold what no item did
        for item in items:
            if not isinstance(item, str):
                raise ValueError(f"a string expected, got {type(item).__name__}")
            text = html_to_text(_check_text(item))
            changed = changed or text is not item
            texts.append(text)
        joined = "\n".join(t for t in texts if t)
        if changed:
            return _check_text(joined)
        if len(joined) > MAX_FIELD:  # checked items and line breaks: only the size is new
            raise _Fatal(f"too large: {len(joined)} characters (limit {MAX_FIELD})")
        return joined
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            _check_text(item)
            out.extend(p for p in (x.strip() for x in item.replace(";", ",").split(",")) if p)
        else:
            out.append(item)  # the ticket model names what is wrong with it
    return out


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"a number is needed, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%"))
        except ValueError:
            raise ValueError(f"a number is needed, got {value[:40]!r}") from None
    else:
        raise ValueError(f"a number is needed, got {type(value).__name__}")
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _convert(name: str, value: Any) -> Any:
    if isinstance(value, str) and name not in MULTI:  # _multi has checked those
        _check_text(value)
    if name == "id":
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(f"text or an integer expected, got {type(value).__name__}")
        value = str(value).strip()
        return value or None
    if name in ("scope", "system", "site", "region"):
        if isinstance(value, list):  # a repeated CSV column: the first one given
            value = value[0] if value else None
        return value.strip() if isinstance(value, str) else value
    if name == "affected_users":
        if isinstance(value, str):
            text = value.strip().replace(",", "")
            if not text.isdigit():
                raise ValueError(f"a whole number is needed, got {value[:40]!r}")
            return int(text)
        return value
    if name == "reported_at":
        return parse_date(value) if isinstance(value, str) else value
    if name == "metrics":
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:
                    raise ValueError("invalid JSON") from None
            else:
                pairs = {}
                for item in re.split(r"[;,]", text):
                    key, sep, raw = item.partition("=")
                    if not sep:
                        raise ValueError(f"NAME=NUMBER expected, got {item.strip()[:40]!r}")
                    pairs[key.strip()] = _number(raw)
                return pairs
        if not isinstance(value, dict):
            raise ValueError(f"a mapping of NAME: NUMBER expected, got {type(value).__name__}")
        return {str(k): _number(v) for k, v in value.items()}
    if name == "label":
        if isinstance(value, str):
            return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
        return value
    return value

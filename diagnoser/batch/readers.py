"""Readers: every input format becomes a stream of raw records, in input order, none dropped.

A raw record is (line, data, error): `line` is the physical line where the record starts (CSV,
TSV, JSONL) or its 1-based position in the array (JSON); `data` is a dict, or None with `error`
saying why the record could not be read. Readers stream: memory does not grow with the input.

What breaks one record (a line that cannot be decoded, JSON nested past the recursion limit, an
integer of thousands of digits, a CSV row with a stray quote) becomes that record's error and
the reader goes on. Structure errors are loud: a quoted CSV field that does not close within
MAX_CSV_LINES lines (or by the end of the file) is reported at the line it opens and the lines
after it are read again; content after the JSON value, a repeated envelope key or a second
ticket list in one envelope become error records rather than being dropped.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from .encodings import Lines, open_text
from .errors import InputError

FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx", "parquet")
ENVELOPE_KEYS = ("tickets", "result", "results", "issues", "records", "items", "data", "requests")
MAX_RECORD = 16 << 20  # characters of one JSON record or line; beyond it the record is rejected
MAX_CSV_LINES = 5000  # physical lines of one CSV record (a quoted field may hold line breaks)
MAX_CSV_CHARS = 8 << 20
_READ = 1 << 16

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # sizes are checked per field, with a reason


@dataclass(frozen=True, slots=True)
class Raw:
    """One record as read: its line (or position), the data, or why it could not be read."""

    line: int
    data: dict[str, Any] | None
    error: str | None = None
    columns: list[str] | None = None  # the header, for tabular inputs
    warnings: tuple[str, ...] = ()
    text: str | None = None  # a JSONL line left to be parsed where it is used (see jsonl_raw)


def _checked(raw: Raw, lines: Lines, first: int, last: int) -> Raw:
    """`raw` with the decoding problem (an error) or notes (warnings) of its lines."""
    problem, notes = lines.take(first, last)
    if problem is not None and raw.data is not None:
        return Raw(raw.line, None, problem, raw.columns, tuple(notes))
    if notes:
        return Raw(raw.line, raw.data, raw.error, raw.columns, tuple(notes))
    return raw


def format_of(path: str, forced: str | None = None) -> str | None:
    """The format named by --format or by the file name; None means: look at the content.

    'json?' is a .json file: JSON, or JSONL when its first line is a whole ticket.
    """
    if forced:
        return forced
    name = path.lower().removesuffix(".gz")
    for ext, fmt in ((".csv", "csv"), (".tsv", "tsv"), (".tab", "tsv"), (".jsonl", "jsonl")):
        if name.endswith(ext):
            return fmt
    if name.endswith(".ndjson"):
        return "jsonl"
    if name.endswith(".json"):
        return "json?"
    return None


class BadValue(Exception):
    """A JSON value that the decoder cannot take (too deep, an over-long integer); skipped."""


_CLOSE = {"[": "]", "{": "}"}


def _value_end(buf: str, pos: int) -> int:
    """End of the JSON value starting at buf[pos], found without recursion; -1: needs more."""
    n = len(buf)
    if buf[pos] not in "[{":  # a scalar: up to the next delimiter
        end = pos
        while end < n and buf[end] not in ",]}\r\n\t ":
            end += 1
        return end if end < n else -1
    depth, i, in_string = 0, pos, False
    while i < n:
        c = buf[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


class _Scanner:
    """Incremental JSON values out of decoded lines, with line tracking."""

    def __init__(self, stream: Lines) -> None:
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.base_line = stream.line_no + 1  # line number of buf[0]
        self.eof = False
        self.decoder = json.JSONDecoder(strict=False)  # raw tabs and CRs inside strings

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(max(_READ, len(self.buf) - self.pos))
        if not chunk:
            self.eof = True
            return False
        self.base_line += self.buf.count("\n", 0, self.pos)
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next non-space character ('' at the end)."""
        while True:
            buf, pos, n = self.buf, self.pos, len(self.buf)
            while pos < n and buf[pos] in " \t\r\n\ufeff":
                pos += 1
            self.pos = pos
            if pos < n:
                return buf[pos]
            if not self._more():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at line {self.line()}")
        self.pos += 1

    def line(self) -> int:
        return self.base_line + self.buf.count("\n", 0, self.pos)

    def value(self) -> Any:
        """The next JSON value; json.JSONDecodeError when it is invalid (or over MAX_RECORD),
        BadValue (after skipping it) when it is valid but cannot be taken."""
        self.peek()
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if len(self.buf) - self.pos < MAX_RECORD and self._more():
                    continue
                raise
            except (RecursionError, ValueError) as exc:
                reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
                self._skip()
                raise BadValue(reason) from None
            if end == len(self.buf) and self._more():  # a number may go on in the next chunk
                continue
            self.pos = end
            return obj

    def _skip(self) -> None:
        while True:
            end = _value_end(self.buf, self.pos)
            if end >= 0:
                self.pos = end
                return
            if len(self.buf) - self.pos >= MAX_RECORD or not self._more():
                self.pos = len(self.buf)
                return

    def error_line(self, exc: json.JSONDecodeError) -> str:
        line = self.base_line + self.buf.count("\n", 0, exc.pos)
        col = exc.pos - (self.buf.rfind("\n", 0, exc.pos) + 1) + 1
        return f"invalid JSON at line {line}, column {col}: {exc.msg}"


_REST = "; the rest of the file cannot be read"


def _json_records(lines: Lines, name: str) -> Iterator[Raw]:
    """A JSON array, an envelope holding one ({"tickets": [...]}), or one object."""
    sc = _Scanner(lines)
    first = sc.peek()
    if first == "[":
        if (yield from _array(sc, lines)):
            yield from _trailing(sc)
        return
    if first != "{":
        raise InputError(f"{name}: not JSON: a JSON array or object was expected")
    start_line = sc.line()
    sc.take("{")
    found: str | None = None
    whole: dict[str, Any] = {}
    try:
        while sc.peek() != "}":
            if whole or found:
                sc.take(",")
            key_line = sc.line()
            key = sc.value()
            sc.take(":")
            is_list = isinstance(key, str) and key.lower() in ENVELOPE_KEYS and sc.peek() == "["
            if str(key) in whole or (is_list and found is not None):
                what = "a repeated key" if str(key) in whole else "a second ticket list"
                yield Raw(key_line, None, f"{what} {key!r} at line {key_line}" + _REST)
                return
            if is_list:
                found = str(key)
                if not (yield from _array(sc, lines)):
                    return
                whole[found] = None
            else:
                whole[str(key)] = sc.value()
        sc.take("}")
    except json.JSONDecodeError as exc:
        yield Raw(start_line, None, sc.error_line(exc) + _REST)
        return
    except BadValue as exc:
        yield Raw(start_line, None, f"invalid JSON object: {exc}" + _REST)
        return
    except ValueError as exc:
        yield Raw(start_line, None, f"invalid JSON: {exc}" + _REST)
        return
    if found is None:  # a single ticket
        yield _checked(Raw(start_line, whole), lines, start_line, sc.line())
    yield from _trailing(sc)


def _trailing(sc: _Scanner) -> Iterator[Raw]:
    if sc.peek():
        line = sc.line()
        yield Raw(
            line,
            None,
            f"content after the end of the JSON value, at line {line} (a JSON file holds one "
            "value; JSONL holds one ticket per line)" + _REST,
        )


def _array(sc: _Scanner, lines: Lines) -> Generator[Raw, None, bool]:
    """The tickets of an array; returns False when the array was broken (and said so)."""
    sc.take("[")
    number = 0
    while True:
        char = sc.peek()
        if char == "]":
            sc.pos += 1
            return True
        if number:
            if char != ",":
                where = f"invalid JSON at line {sc.line()}: ',' or ']' expected"
                yield Raw(number + 1, None, where + _REST)
                return False
            sc.pos += 1
            sc.peek()
        number += 1
        first = sc.line()
        try:
            value = sc.value()
        except json.JSONDecodeError as exc:
            yield Raw(number, None, sc.error_line(exc) + _REST)
            return False
        except BadValue as exc:
            lines.take(first, sc.line())
            yield Raw(number, None, f"invalid JSON at line {first}: {exc}")
            continue
        if isinstance(value, dict):
            yield _checked(Raw(number, value), lines, first, sc.line())
        else:
            lines.take(first, sc.line())
            yield Raw(number, None, f"a ticket must be a JSON object, got {_kind(value)}")


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _jsonl_records(lines: Lines, defer: bool = False) -> Iterator[Raw]:
    """One record per line that is not blank. With `defer`, a line that decodes is handed on
    unparsed (Raw.text) for jsonl_raw to parse where the record is used: a batch's workers, so
    that the main process does not build the objects it would only pickle to them."""
    for line in lines:
        number = lines.line_no
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        problem, notes = lines.take(number, number)
        if problem is not None:
            yield Raw(number, None, problem)
            continue
        if not line.strip():
            continue
        if defer:
            yield Raw(number, None, None, None, tuple(notes), line)
        else:
            yield jsonl_raw(number, line, tuple(notes))


_LOADS = json.JSONDecoder(strict=False).decode  # raw tabs and CRs inside strings
MAX_DEPTH = 500  # arrays and objects nested in one JSONL line; deeper is that record's error
_NESTING = re.compile(r'\\.|["\[\]{}]', re.DOTALL)  # an escape, a quote or a bracket


def _too_deep(line: str) -> bool:
    """Whether the JSON of `line` nests more than MAX_DEPTH arrays and objects, counted outside
    strings without recursion. The decoder's own limit is the interpreter's recursion limit
    less the depth of its caller's stack, which differs between the main process and a worker;
    a fixed limit below it makes a line's record the same wherever it is parsed."""
    if line.count("[") + line.count("{") <= MAX_DEPTH:
        return False
    depth, in_string = 0, False
    for token in _NESTING.finditer(line):
        char = token.group()
        if char == '"':
            in_string = not in_string
        elif in_string or len(char) == 2:
            continue
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def jsonl_raw(number: int, line: str, notes: tuple[str, ...] = ()) -> Raw:
    """The record of one decoded, non-blank JSONL line (its physical line `number`)."""
    if len(line) > MAX_RECORD:
        return Raw(number, None, f"line too long ({len(line)} characters; limit {MAX_RECORD})")
    if _too_deep(line):
        return Raw(number, None, "invalid JSON: nested too deeply")
    try:
        value = _LOADS(line)
    except json.JSONDecodeError as exc:
        return Raw(number, None, f"invalid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return Raw(number, None, "invalid JSON: nested too deeply")
    except ValueError as exc:  # e.g. an integer over the conversion limit
        return Raw(number, None, f"invalid JSON: {str(exc)[:120]}")
    if isinstance(value, dict):
        return Raw(number, value, None, None, notes)
    return Raw(number, None, f"a ticket must be a JSON object, got {_kind(value)}")


def _delimiter(header_line: str, fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Runaway(Exception):
    """A CSV record grew past MAX_CSV_LINES or MAX_CSV_CHARS: a quote that does not close."""


class _Feed:
    """Lines for csv.reader, remembering those of the record being read (to read them again)."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines
        self.replay: deque[tuple[int, str]] = deque()
        self.current: list[tuple[int, str]] = []
        self.chars = 0

    def start(self) -> None:
        self.current = []
        self.chars = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.replay:
            number, line = self.replay.popleft()
        else:
            line = self.lines.readline()
            if not line:
                raise StopIteration
            number = self.lines.line_no
        self.current.append((number, line))
        self.chars += len(line)
        if len(self.current) > MAX_CSV_LINES or self.chars > MAX_CSV_CHARS:
            raise _Runaway
        return line


def _csv_records(lines: Lines, fmt: str, name: str) -> Iterator[Raw]:
    head = lines.readline()
    while head and not head.strip():
        head = lines.readline()
    header_line = lines.line_no
    problem, _ = lines.take(header_line, header_line)
    if problem is not None:
        raise InputError(f"{name}: the header (line {header_line}) cannot be read: {problem}")
    head = head.lstrip("\ufeff")
    if not head.strip():
        return
    delimiter = _delimiter(head, fmt)
    header = next(csv.reader([head], delimiter=delimiter))
    names = [h.strip() for h in header]
    repeated = {n for n in names if names.count(n) > 1}
    width = len(names)
    feed = _Feed(lines)
    reader = csv.reader(feed, delimiter=delimiter, strict=True)
    while True:
        feed.start()
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csv.Error, _Runaway) as exc:
            taken = feed.current
            first = taken[0][0] if taken else lines.line_no
            if isinstance(exc, _Runaway) or "unexpected end of data" in str(exc):
                limit = (
                    "before the end of the file"
                    if not isinstance(exc, _Runaway)
                    else (f"within {MAX_CSV_LINES:,} lines")
                )
                reason = (
                    f"a quoted field opened on line {first} does not close {limit}; "
                    "the lines after it are read again"
                )
            else:
                reason = f"unreadable CSV row: {exc}"
            lines.take(first, first)
            yield Raw(first, None, reason)
            feed.replay.extendleft(reversed(taken[1:]))
            reader = csv.reader(feed, delimiter=delimiter, strict=True)
            continue
        first, last = feed.current[0][0], feed.current[-1][0]
        if not row or (len(row) == 1 and not row[0].strip()):
            lines.take(first, last)
            continue
        if len(row) > width and any(v.strip() for v in row[width:]):
            lines.take(first, last)
            yield Raw(first, None, f"the row has {len(row)} fields, the header {width}")
            continue
        if not repeated:
            yield _checked(Raw(first, dict(zip(names, row, strict=False)), None, names), lines,
                           first, last)  # fmt: skip
            continue
        data: dict[str, Any] = {}
        for key, value in zip(names, row, strict=False):
            if key in repeated:  # Jira repeats Comment, Labels, Component/s...: keep them all
                data.setdefault(key, [])
                if value.strip():
                    data[key].append(value)
            else:
                data[key] = value
        yield _checked(Raw(first, data, None, names), lines, first, last)


def _sniff_jsonl(first: str) -> str:
    """'jsonl' when the first line of a '{'-document is a whole ticket, else 'json'."""
    try:
        value = json.loads(first.lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return "json"
    if isinstance(value, dict) and not any(
        k.lower() in ENVELOPE_KEYS and isinstance(v, list) for k, v in value.items()
    ):
        return "jsonl"
    return "json"


SHEETS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def read_records(
    path: str, fmt: str | None = None, encoding: str | None = None, defer: bool = False
) -> Iterator[Raw]:
    """Raw records of one input ('-' is stdin; .gz is decompressed); `defer` leaves JSONL
    lines unparsed (Raw.text, for jsonl_raw)."""
    name = path.lower()
    if fmt == "xlsx" or (fmt is None and name.endswith(SHEETS)):
        yield from _sheet_records(path)
        return
    if fmt == "parquet" or (fmt is None and name.endswith((".parquet", ".pq"))):
        yield from _parquet_records(path)
        return
    with open_text(path, encoding) as (lines, _):
        yield from records_from(lines, path, format_of(path, fmt), defer)


def _cell(value: Any) -> Any:
    """A spreadsheet or Parquet value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # Excel stores every number as a float: ids stay 12345
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _need(module: str, extra: str, what: str, path: str) -> Any:
    import importlib

    if path == "-":
        raise InputError(f"{what} cannot be read from stdin; give the file")
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(
            f"{path}: reading {what} needs the {extra} extra: pip install 'diagnoser[{extra}]'"
        ) from None


def _sheet_records(path: str) -> Iterator[Raw]:
    """The first sheet of a workbook, streamed row by row (python-calamine); row 1 is the
    header, `line` the row number."""
    calamine = _need("python_calamine", "xlsx", "Excel workbooks", path)
    try:
        workbook = calamine.CalamineWorkbook.from_path(path)
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header = next(rows, None)
    except Exception as exc:  # calamine raises its own error types for a broken file
        raise InputError(f"{path}: not a readable workbook: {exc}") from None
    if header is None:
        return
    names = [str(_cell(h)).strip() for h in header]
    width = len(names)
    for number, row in enumerate(rows, 2):
        values = [_cell(v) for v in row]
        if not any(str(v).strip() for v in values):
            continue
        if len(values) > width and any(str(v).strip() for v in values[width:]):
            yield Raw(number, None, f"the row has {len(values)} cells, the header {width}")
            continue
        yield Raw(number, dict(zip(names, values, strict=False)), None, names)


def _parquet_records(path: str) -> Iterator[Raw]:
    """Rows of a Parquet file, in batches (pyarrow); `line` is the 1-based row number."""
    _need("pyarrow", "parquet", "Parquet files", path)
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        names = list(handle.schema_arrow.names)
        number = 0
        for batch in handle.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                number += 1
                yield Raw(number, {k: _cell(v) for k, v in row.items()}, None, names)
    except (OSError, ValueError) as exc:  # pyarrow.ArrowException derives from these
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from None


def records_from(lines: Lines, name: str, fmt: str | None, defer: bool = False) -> Iterator[Raw]:
    """Raw records of decoded lines in a given format (None: look at the content); `defer`:
    JSONL lines unparsed, as in read_records."""
    if fmt in ("csv", "tsv"):
        yield from _csv_records(lines, fmt, name)
        return
    if fmt == "jsonl":
        yield from _jsonl_records(lines, defer)
        return
    if fmt == "json":
        yield from _json_records(lines, name)
        return
    # JSON, or unknown: decide on the first character, then (for '{') on the first line
    while True:
        line = lines.peek()
        if not line:
            return
        stripped = line.lstrip("\ufeff \t\r\n")
        if stripped:
            break
        lines.readline()
    char = stripped[0]
    if char == "[":
        yield from _json_records(lines, name)
    elif char == "{":
        if _sniff_jsonl(line) == "jsonl":
            yield from _jsonl_records(lines, defer)
        else:
            yield from _json_records(lines, name)
    elif fmt == "json?":
        raise InputError(
            f"{name}: not JSON: a JSON array or object was expected, found {stripped[:20]!r} "
            "(give --input-format csv if it is a CSV file)"
        )
    else:
        yield from _csv_records(lines, "csv", name)

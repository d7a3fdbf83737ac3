"""Readers: every input format becomes a stream of raw records, in input order, none dropped.

A raw record is (line, data, error): `line` is the physical line where the record starts (CSV,
TSV, JSONL) or its 1-based position in the array (JSON); `data` is a dict, or None with `error`
saying why the record could not be read. Readers stream: memory does not grow with the input.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from .encodings import open_text
from .errors import InputError

FORMATS = ("csv", "tsv", "json", "jsonl")
ENVELOPE_KEYS = ("tickets", "result", "results", "issues", "records", "items", "data", "requests")
MAX_RECORD = 16 << 20  # characters of one JSON record or line; beyond it the record is rejected
_READ = 1 << 16

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # sizes are checked per field, with a reason


@dataclass(frozen=True, slots=True)
class Raw:
    """One record as read: its line (or position), the data, or why it could not be read."""

    line: int
    data: dict[str, Any] | None
    error: str | None = None
    columns: list[str] | None = None  # the header, for tabular inputs


def format_of(path: str, forced: str | None = None) -> str | None:
    """The format named by --format or by the file name; None means: look at the content."""
    if forced:
        return forced
    name = path.lower().removesuffix(".gz")
    for ext, fmt in ((".csv", "csv"), (".tsv", "tsv"), (".tab", "tsv"), (".jsonl", "jsonl")):
        if name.endswith(ext):
            return fmt
    if name.endswith(".ndjson"):
        return "jsonl"
    return None


class _Scanner:
    """Incremental JSON values out of a text stream, with line tracking."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.base_line = 1  # line number of buf[0]
        self.eof = False
        self.decoder = json.JSONDecoder()

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
            while pos < n and buf[pos] in " \t\r\n":
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
        """The next JSON value; json.JSONDecodeError when it is invalid (or over MAX_RECORD)."""
        self.peek()
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if len(self.buf) - self.pos < MAX_RECORD and self._more():
                    continue
                raise
            if end == len(self.buf) and self._more():  # a number may go on in the next chunk
                continue
            self.pos = end
            return obj

    def error_line(self, exc: json.JSONDecodeError) -> str:
        line = self.base_line + self.buf.count("\n", 0, exc.pos)
        col = exc.pos - (self.buf.rfind("\n", 0, exc.pos) + 1) + 1
        return f"invalid JSON at line {line}, column {col}: {exc.msg}"


def _json_records(stream: TextIO, name: str) -> Iterator[Raw]:
    """A JSON array, an envelope holding one ({"tickets": [...]}), or one object."""
    sc = _Scanner(stream)
    first = sc.peek()
    if first == "\ufeff":
        sc.pos += 1
        first = sc.peek()
    if first == "[":
        yield from _array(sc, name)
        return
    if first != "{":
        raise InputError(f"{name}: not JSON: a JSON array or object was expected")
    start_line = sc.line()
    sc.take("{")
    found = False
    whole: dict[str, Any] = {}
    try:
        while sc.peek() != "}":
            if whole or found:
                sc.take(",")
            key = sc.value()
            sc.take(":")
            if (
                isinstance(key, str)
                and key.lower() in ENVELOPE_KEYS
                and sc.peek() == "["
                and not found
            ):
                found = True
                yield from _array(sc, name)
                whole[key] = None
            else:
                whole[str(key)] = sc.value()
        sc.take("}")
    except json.JSONDecodeError as exc:
        yield Raw(start_line, None, sc.error_line(exc) + "; the rest of the file cannot be read")
        return
    except ValueError as exc:
        yield Raw(start_line, None, f"invalid JSON: {exc}; the rest of the file cannot be read")
        return
    if not found:  # a single ticket
        yield Raw(1, whole)


def _array(sc: _Scanner, name: str) -> Iterator[Raw]:
    sc.take("[")
    number = 0
    while True:
        char = sc.peek()
        if char == "]":
            sc.pos += 1
            return
        if number:
            if char != ",":
                yield Raw(
                    number + 1,
                    None,
                    f"invalid JSON at line {sc.line()}: ',' or ']' expected; "
                    "the rest of the file cannot be read",
                )
                return
            sc.pos += 1
        number += 1
        try:
            value = sc.value()
        except json.JSONDecodeError as exc:
            yield Raw(number, None, sc.error_line(exc) + "; the rest of the file cannot be read")
            return
        if isinstance(value, dict):
            yield Raw(number, value)
        else:
            yield Raw(number, None, f"a ticket must be a JSON object, got {_kind(value)}")


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _jsonl_records(stream: TextIO) -> Iterator[Raw]:
    loads = json.loads
    for number, line in enumerate(stream, 1):
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        if not line.strip():
            continue
        if len(line) > MAX_RECORD:
            yield Raw(number, None, f"line too long ({len(line)} characters; limit {MAX_RECORD})")
            continue
        try:
            value = loads(line)
        except json.JSONDecodeError as exc:
            yield Raw(number, None, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        if isinstance(value, dict):
            yield Raw(number, value)
        else:
            yield Raw(number, None, f"a ticket must be a JSON object, got {_kind(value)}")


def _delimiter(header_line: str, fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_records(stream: TextIO, fmt: str, name: str) -> Iterator[Raw]:
    head = stream.readline()
    if head.startswith("\ufeff"):
        head = head[1:]
    if not head.strip():
        return
    delimiter = _delimiter(head, fmt)
    header = next(csv.reader([head], delimiter=delimiter))
    names = [h.strip() for h in header]
    repeated = {n for n in names if names.count(n) > 1}
    width = len(names)
    reader = csv.reader(stream, delimiter=delimiter)
    last = 1
    while True:
        start = last + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last = reader.line_num + 1
            yield Raw(start, None, f"unreadable CSV row: {exc}")
            continue
        last = reader.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) > width and any(v.strip() for v in row[width:]):
            yield Raw(start, None, f"the row has {len(row)} fields, the header {width}")
            continue
        if not repeated:
            yield Raw(start, dict(zip(names, row, strict=False)), None, names)
            continue
        data: dict[str, Any] = {}
        for key, value in zip(names, row, strict=False):
            if key in repeated:  # Jira repeats Comment, Labels, Component/s...: keep them all
                data.setdefault(key, [])
                if value.strip():
                    data[key].append(value)
            else:
                data[key] = value
        yield Raw(start, data, None, names)


def _sniff_jsonl(first: str) -> str:
    """'jsonl' when the first line of a '{'-document is a whole ticket, else 'json'."""
    try:
        value = json.loads(first.lstrip("\ufeff"))
    except json.JSONDecodeError:
        return "json"
    if isinstance(value, dict) and not any(
        k.lower() in ENVELOPE_KEYS and isinstance(v, list) for k, v in value.items()
    ):
        return "jsonl"
    return "json"


class _Prefixed:
    """A text stream with some already-read text put back in front."""

    def __init__(self, prefix: str, stream: TextIO) -> None:
        self.prefix = prefix
        self.stream = stream

    def read(self, size: int = -1) -> str:
        if self.prefix:
            out, self.prefix = self.prefix, ""
            return out
        return self.stream.read(size)

    def readline(self) -> str:
        if self.prefix:
            out, self.prefix = self.prefix, ""
            return out
        return self.stream.readline()

    def __iter__(self) -> Iterator[str]:
        if self.prefix:
            prefix, self.prefix = self.prefix, ""
            yield from prefix.splitlines(keepends=True)
        yield from self.stream


def read_records(path: str, fmt: str | None = None, encoding: str | None = None) -> Iterator[Raw]:
    """Raw records of one input ('-' is stdin; .gz is decompressed)."""
    with open_text(path, encoding) as (stream, _):
        yield from records_from(stream, path, format_of(path, fmt))


def records_from(stream: TextIO, name: str, fmt: str | None) -> Iterator[Raw]:
    """Raw records of an open text stream in a given format (None: look at the content)."""
    if fmt in ("csv", "tsv"):
        yield from _csv_records(stream, fmt, name)
        return
    if fmt == "jsonl":
        yield from _jsonl_records(stream)
        return
    if fmt == "json":
        yield from _json_records(stream, name)
        return
    # JSON, or unknown: decide on the first character, then (for '{') on the first line
    head = ""
    while True:
        char = stream.read(1)
        if not char:
            return
        head += char
        if char.strip() and char != "\ufeff":
            break
    rest: TextIO = _Prefixed(head, stream)  # type: ignore[assignment]
    if char == "[":
        yield from _json_records(rest, name)
    elif char == "{":
        line = head + stream.readline()
        kind = _sniff_jsonl(line)
        rest = _Prefixed(line, stream)  # type: ignore[assignment]
        if kind == "jsonl":
            yield from _jsonl_records(rest)
        else:
            yield from _json_records(rest, name)
    else:
        rest_line = head + stream.readline()
        yield from _csv_records(_Prefixed(rest_line, stream), "csv", name)  # type: ignore[arg-type]

"""Opening inputs: stdin or a file, gzip, and the text encoding, decided line by line.

A byte-order mark decides the encoding of the whole file (UTF-8, UTF-16, UTF-32). Otherwise
every line is decoded on its own: as UTF-8 when it is valid UTF-8 (GB18030 or Big5 text almost
never is, while UTF-8 bytes often "decode" as GB18030 into nonsense), else in the legacy Chinese
encoding of the file, which charset-normalizer picks between GB18030 (mainland Excel) and Big5
(Taiwan and Hong Kong Excel) from the first megabyte's non-UTF-8 lines. So one GB18030 line in
a UTF-8 file changes that line only, and the record says so in a warning; a line that decodes
in neither becomes that record's error. `--encoding NAME` forces one codec for every line.

Lines are split on LF bytes only, which no byte of a multi-byte UTF-8, GB18030 or Big5
character can be, so a raw CR or U+2028 inside a JSON string does not split a record.
"""

from __future__ import annotations

import codecs
import gzip
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, cast

from .._files import MAX_LINE  # one physical line; a longer one is that record's error
from .errors import InputError

SAMPLE = 1 << 20  # bytes looked at to choose the legacy encoding
CHUNK = 1 << 16
LEGACY = {"gb18030": ("gb18030",), "big5": ("cp950", "big5hkscs")}
_NAMES = {"gb18030": "GB18030", "big5": "Big5", "utf-8": "UTF-8"}
_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
MARK = "\ufffd"


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def choose_legacy(lines: list[bytes]) -> str:
    """'gb18030' or 'big5' for non-UTF-8 Chinese lines (charset-normalizer decides)."""
    data = b"\n".join(lines)[:SAMPLE]
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency; be usable without it
        return "gb18030"
    chaos: dict[str, float] = {}
    for match in from_bytes(data, cp_isolation=["gb18030", "big5", "cp950"]):
        family = "big5" if match.encoding in ("big5", "cp950") else "gb18030"
        chaos[family] = min(chaos.get(family, 1.0), match.chaos)
    # a tie (short text that is valid, and as clean, in both) goes to the far commoner GB18030
    if "big5" in chaos and chaos["big5"] < chaos.get("gb18030", 1.0):
        return "big5"
    return "gb18030"


class Lines:
    """Decoded physical lines of a binary stream, with per-line problems and notes.

    `problems` maps a line number to why it could not be decoded (the record it belongs to is
    rejected); `notes` maps a line number to a warning (decoded other than the file's majority).
    Readers take them per record with `take(first, last)`.
    """

    def __init__(self, stream: BinaryIO, name: str, forced: str | None, sample: bytes) -> None:
        self.stream = stream
        self.name = name
        self.line_no = 0
        self.problems: dict[int, str] = {}
        self.notes: dict[int, str] = {}
        self._peeked: str | None = None  # a line looked at by peek(), not yet returned
        self._wide: codecs.IncrementalDecoder | None = None
        self._wide_lines: list[str] = []
        self._wide_tail = ""
        self.forced = forced
        self.legacy: str | None = None
        self.majority = "utf-8"
        bom = next(((b, e) for b, e in _BOMS if sample.startswith(b)), None)
        if forced is None and bom is not None:
            stream.read(len(bom[0]))
            if bom[1] != "utf-8-sig":  # UTF-8 with a BOM still decodes line by line
                forced = bom[1]
        self.encoding = forced or "utf-8"
        if forced is not None:
            name_ = codecs.lookup(forced).name
            if name_ in _WIDE:
                self._wide = codecs.getincrementaldecoder(name_)("diagnoser-mark")
            return
        legacy_lines, utf8_lines = [], 0
        for line in sample.split(b"\n")[:-1] or [sample]:
            if line.isascii():
                continue
            if _utf8(line):
                utf8_lines += 1
            else:
                legacy_lines.append(line)
        if legacy_lines:
            self.legacy = choose_legacy(legacy_lines)
            if len(legacy_lines) > utf8_lines:
                self.majority = self.legacy
                self.encoding = LEGACY[self.legacy][0]

    # --- decoding -----------------------------------------------------------------------

    def _raw_line(self) -> bytes | None:
        try:
            return self._read_line()
        except (OSError, EOFError) as exc:
            raise InputError(f"{self.name}: cannot read after line {self.line_no}: {exc}") from None

    def _read_line(self) -> bytes | None:
        data = self.stream.readline(MAX_LINE)
        if not data:
            return None
        if len(data) == MAX_LINE and not data.endswith(b"\n"):
            while True:  # skip the rest of the line, in bounded pieces
                more = self.stream.readline(MAX_LINE)
                if not more or more.endswith(b"\n"):
                    break
            self.problems[self.line_no + 1] = f"line longer than {MAX_LINE:,} bytes"
            return b"\n"
        return data

    def _decode(self, data: bytes, number: int) -> str:
        if self.forced is not None:
            try:
                return data.decode(self.forced)
            except UnicodeDecodeError as exc:
                self.problems[number] = (
                    f"not {self.forced} (invalid byte 0x{data[exc.start]:02x} at column "
                    f"{exc.start + 1})"
                )
                return data.decode(self.forced, "replace")
        if data.isascii():
            return data.decode("ascii")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = exc
        else:
            if self.majority != "utf-8":
                self.notes[number] = (
                    f"line {number} decoded as UTF-8 (the rest of the file is "
                    f"{_NAMES[self.majority]})"
                )
            return text
        if self.legacy is None:
            self.legacy = choose_legacy([data])
        for codec in LEGACY[self.legacy]:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if self.majority != self.legacy:
                self.notes[number] = (
                    f"line {number} decoded as {_NAMES[self.legacy]} (the rest of the file "
                    "is UTF-8)"
                )
            return text
        self.problems[number] = (
            f"line {number} is neither UTF-8 nor {_NAMES[self.legacy]} (invalid byte "
            f"0x{data[bad.start]:02x} at column {bad.start + 1}); give --encoding"
        )
        return data.decode("utf-8", "replace")

    def _wide_line(self) -> str | None:
        assert self._wide is not None
        while not self._wide_lines:
            try:
                chunk = self.stream.read(CHUNK)
            except (OSError, EOFError) as exc:
                raise InputError(f"{self.name}: cannot read: {exc}") from None
            text = self._wide_tail + self._wide.decode(chunk, final=not chunk)
            if not text:
                return None
            parts = text.split("\n")
            self._wide_tail = "" if not chunk else parts.pop()
            self._wide_lines = [p + "\n" for p in parts]
            if not chunk:
                last = self._wide_lines.pop()[:-1]
                if last:
                    self._wide_lines.append(last)
                if not self._wide_lines:
                    return None
            if len(self._wide_tail) > MAX_LINE:
                self._wide_tail = ""
                self._wide_lines.append("\n")
                self.problems[self.line_no + len(self._wide_lines)] = "line too long"
        line = self._wide_lines.pop(0)
        if "\udcff" in line:
            self.problems[self.line_no + 1] = f"not {self.encoding} (an invalid code unit)"
            line = line.replace("\udcff", MARK)
        return line

    def peek(self) -> str:
        """The next line without taking it ('' at the end)."""
        if self._peeked is None:
            line = self.readline()
            if line:
                self.line_no -= 1
            self._peeked = line
        return self._peeked

    def readline(self) -> str:
        if self._peeked is not None:
            line, self._peeked = self._peeked, None
            if line:
                self.line_no += 1
            return line
        if self._wide is not None:
            wide = self._wide_line()
            if wide is None:
                return ""
            self.line_no += 1
            return wide
        data = self._raw_line()
        if data is None:
            return ""
        self.line_no += 1
        return self._decode(data, self.line_no)

    def __iter__(self) -> Iterator[str]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def read(self, size: int = -1) -> str:
        """At least `size` characters (whole lines), '' at the end."""
        parts, total = [], 0
        while size < 0 or total < size:
            line = self.readline()
            if not line:
                break
            parts.append(line)
            total += len(line)
        return "".join(parts)

    def take(self, first: int, last: int) -> tuple[str | None, list[str]]:
        """(the first problem, the notes) of lines first..last; older entries are dropped."""
        problem = None
        notes = []
        for number in [n for n in self.problems if n <= last]:
            reason = self.problems.pop(number)
            if number >= first and problem is None:
                problem = reason
        for number in [n for n in self.notes if n <= last]:
            note = self.notes.pop(number)
            if number >= first:
                notes.append(note)
        return problem, notes


def _mark(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    return "\udcff", exc.end


codecs.register_error("diagnoser-mark", _mark)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _binary(path: str) -> tuple[BinaryIO, bool]:
    if path == "-":
        # stdin's raw stream, buffered anew so that peek() sees SAMPLE bytes
        raw = cast("io.RawIOBase", getattr(sys.stdin.buffer, "raw", sys.stdin.buffer))
        return io.BufferedReader(raw, SAMPLE), False
    try:
        handle: BinaryIO = open(path, "rb")  # noqa: SIM115 (closed by open_text)
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror}") from None
    return handle, True


def _sample(stream: io.BufferedReader) -> bytes:
    """The first SAMPLE bytes, left in the stream (peek, which may give fewer: loop)."""
    data = stream.peek(SAMPLE)
    return data[:SAMPLE]


@contextmanager
def open_text(path: str, encoding: str | None = None) -> Iterator[tuple[Lines, str]]:
    """(decoded lines, encoding) of a path, '-' for stdin; a .gz file is decompressed."""
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}") from None
    raw, seekable = _binary(path)
    try:
        stream: io.BufferedReader
        if path.endswith(".gz"):
            stream = io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), SAMPLE)
        elif isinstance(raw, io.BufferedReader) and seekable:
            raw.close()
            raw = open(path, "rb", buffering=SAMPLE)  # noqa: SIM115 (closed below)
            stream = raw  # type: ignore[assignment]
        else:
            stream = raw  # type: ignore[assignment]
        try:
            sample = _sample(stream)
            lines = Lines(stream, path, encoding, sample)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from None
        yield lines, lines.encoding
    finally:
        if seekable:
            raw.close()

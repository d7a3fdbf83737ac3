"""Opening inputs: stdin or a file, gzip, and the text encoding, detected without guessing wildly.

Detection order: a byte-order mark (UTF-8, UTF-16 LE/BE) decides; otherwise strict UTF-8,
then GB18030 (what Chinese Excel saves as "CSV"). UTF-8 goes first because UTF-8 bytes very
often decode "successfully" as GB18030 into nonsense, while GB18030 text is rarely valid UTF-8.
A seekable file is checked from start to end before a byte is parsed; stdin is decided on its
first megabyte.
"""

from __future__ import annotations

import codecs
import gzip
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, TextIO

from .errors import InputError

SAMPLE = 1 << 20  # bytes of stdin looked at before deciding
CHUNK = 1 << 20

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _check_utf8(stream: BinaryIO) -> int | None:
    """None if the whole stream is valid UTF-8, else the offset of the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    while True:
        chunk = stream.read(CHUNK)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            return offset + exc.start - len(decoder.getstate()[0])
        if not chunk:
            return None
        offset += len(chunk)


def _valid(stream: BinaryIO, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    while True:
        chunk = stream.read(CHUNK)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            return False
        if not chunk:
            return True


def detect(stream: BinaryIO, name: str, seekable: bool) -> str:
    """The encoding of a binary stream positioned at its start (left at its start again)."""
    head = stream.peek(4)[:4] if isinstance(stream, io.BufferedReader) else b""
    if not head and seekable:
        head = stream.read(4)
        stream.seek(0)
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    if not seekable:
        assert isinstance(stream, io.BufferedReader)
        sample = stream.peek(SAMPLE)
        try:
            sample.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as exc:
            if exc.end >= len(sample) - 3:  # a character cut by the end of the sample
                return "utf-8"
        try:
            codecs.getincrementaldecoder("gb18030")("strict").decode(sample, final=False)
            return "gb18030"
        except UnicodeDecodeError:
            raise InputError(f"{name}: neither UTF-8 nor GB18030; give --encoding") from None
    bad = _check_utf8(stream)
    stream.seek(0)
    if bad is None:
        return "utf-8"
    ok = _valid(stream, "gb18030")
    stream.seek(0)
    if ok:
        return "gb18030"
    raise InputError(
        f"{name}: not UTF-8 (invalid byte at offset {bad}) nor GB18030; give --encoding"
    )


def _binary(path: str) -> tuple[BinaryIO, bool]:
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
        return buffered, False
    try:
        handle: BinaryIO = open(path, "rb")  # noqa: SIM115 (closed by open_text)
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror}") from None
    return handle, True


@contextmanager
def open_text(path: str, encoding: str | None = None) -> Iterator[tuple[TextIO, str]]:
    """(text stream, encoding) for a path, '-' for stdin; a .gz file is decompressed."""
    raw, seekable = _binary(path)
    try:
        stream: BinaryIO = raw
        if path.endswith(".gz"):
            stream = io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), CHUNK)
        try:
            chosen = encoding or detect(stream, path, seekable)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from None
        try:
            codecs.lookup(chosen)
        except LookupError:
            raise InputError(f"unknown encoding {chosen!r}") from None
        if chosen.replace("_", "-").lower() in ("utf-8", "utf8") and not encoding:
            chosen = "utf-8"
        text = io.TextIOWrapper(stream, encoding=chosen, errors="strict", newline="")
        try:
            yield text, chosen
        finally:
            text.detach()
    finally:
        if seekable:
            raw.close()

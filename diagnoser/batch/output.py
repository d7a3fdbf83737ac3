"""Output: JSONL or CSV records, written to a temporary file that replaces the target at the end.

While a run goes on, records go to `OUT.partial` beside the target (same directory, so the final
os.replace is atomic) and a checkpoint `OUT.partial.state` says how many records and bytes are
safely on disk. A finished run fsyncs and renames; an interrupted one leaves the target as it
was, and `--resume` truncates the partial file to its last checkpoint and carries on.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from .._files import fsync_directory
from ..errors import DiagnoserError

try:  # advisory locks where the platform has them (POSIX)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CSV_COLUMNS = (
    "line",
    "source",
    "id",
    "status",
    "fault_id",
    "category",
    "certainty",
    "diagnoses",
    "priority",
    "scope",
    "systems",
    "error_codes",
    "evidence",
    "unrecognised",
    "reported_at",
    "error",
    "warnings",
    "incident",
)

# What must not reach a reader unseen: C0/C1 controls (a terminal obeys ESC, OSC, CSI ...),
# bidirectional overrides and isolates (they reorder what is shown), line and paragraph
# separators (they end a line for some readers, not for JSON), lone surrogates (not text).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# OWASP "CSV injection": a cell starting with one of these is a formula to a spreadsheet; only a
# plain negative number (-79) is left as it is
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class OutputError(DiagnoserError):
    """An output cannot be written: no space, no permission, or another run holds it."""


def io_message(path: Path | str, exc: OSError) -> str:
    """A clear sentence for an OSError while writing `path`."""
    reason = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the file system is read-only",
        errno.ENOENT: "the directory does not exist",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return f"cannot write {path}: {reason}"


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def jsonl_line(record: dict[str, Any]) -> str:
    """One record as a JSON line; unsafe characters are JSON escapes, so data is kept."""
    return _UNSAFE.sub(_escape, _dumps(record)) + "\n"


def safe_text(value: str) -> str:
    """Text with unsafe characters replaced by U+FFFD (tab: a space), for terminals and CSV."""
    if not _UNSAFE.search(value) and "\t" not in value:
        return value
    return _UNSAFE.sub("\ufffd", value.replace("\t", " "))


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: formula starts get a leading quote."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_FORMULA) and not _NUMBER.fullmatch(value):
        value = "'" + value
    return safe_text(value)


def _extra(record: dict[str, Any], keep: Sequence[str]) -> list[Any]:
    extra = record.get("extra") or {}
    return [_plain(extra.get(column)) for column in keep]


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def csv_row(record: dict[str, Any], keep: Sequence[str] = ()) -> list[Any]:
    """One record flattened: the top diagnosis in its own columns, lists joined with ';'."""
    diagnoses = record.get("diagnoses") or []
    top = diagnoses[0] if diagnoses else {}
    row = [
        record.get("line"),
        record.get("source"),
        record.get("id") or "",
        record.get("status"),
        top.get("fault_id", ""),
        top.get("category", ""),
        top.get("certainty", ""),
        ";".join(f"{d['fault_id']}:{d['certainty']}" for d in diagnoses),
        record.get("priority") or "",
        record.get("scope") or "",
        ";".join(record.get("systems") or ()),
        ";".join(record.get("error_codes") or ()),
        ";".join(
            f"{e['fault_id']}={'+'.join(e['rules'])}[{'+'.join(e['symptoms'])}]"
            for e in record.get("evidence") or ()
        ),
        " | ".join(f"{u['kind']}: {u['value']}" for u in record.get("unrecognised") or ()),
        record.get("reported_at") or "",
        record.get("error") or "",
        " | ".join(record.get("warnings") or ()),
        record.get("incident") or "",
        *_extra(record, keep),
    ]
    return [csv_cell(v) for v in row]


class Encoder:
    """Records to text in one output format (CSV: with a BOM unless bom=False; `keep`
    columns carried from the input come last)."""

    def __init__(self, fmt: str, keep: Sequence[str] = (), bom: bool = True) -> None:
        self.fmt = fmt
        self.keep = tuple(keep)
        self.bom = bom
        self._buf = io.StringIO()
        self._csv = csv.writer(self._buf, lineterminator="\r\n")

    def header(self) -> str:
        if self.fmt != "csv":
            return ""
        self._csv.writerow([csv_cell(c) for c in (*CSV_COLUMNS, *self.keep)])
        return ("\ufeff" if self.bom else "") + self._take()

    def encode(self, records: list[dict[str, Any]]) -> str:
        if self.fmt == "csv":
            keep = self.keep
            self._csv.writerows(csv_row(r, keep) for r in records)
            return self._take()
        if not records:
            return ""
        # one pass of the escape over the chunk, not one per line: the characters it escapes
        # are single ones, and a JSON line ends in a newline, which it leaves alone
        text = "\n".join(map(_dumps, records)) + "\n"
        return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text

    def _take(self) -> str:
        text = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        return text


def partial_path(target: Path) -> Path:
    return target.with_name(target.name + ".partial")


def lock(handle: BinaryIO, what: Path) -> None:
    """Hold an exclusive lock on an open file, or fail at once naming `what`."""
    if fcntl is None:  # pragma: no cover
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise OutputError(
                f"{what}: another diagnoser run is writing it (its {partial_path(what).name} "
                "is locked); wait for it to end or choose another -o"
            ) from None
        raise


class AtomicFile:
    """A target written through `<target>.partial`, moved into place by commit().

    The partial file is locked while it is written: a second run on the same target fails at
    once instead of interleaving its records.
    """

    def __init__(self, target: Path, resume_at: int | None = None) -> None:
        self.target = target
        self.partial = partial_path(target)
        while True:
            try:
                if resume_at is not None:
                    handle: BinaryIO = open(self.partial, "r+b")  # noqa: SIM115
                else:
                    fd = os.open(self.partial, os.O_RDWR | os.O_CREAT, 0o666)
                    handle = os.fdopen(fd, "r+b")
            except FileNotFoundError:
                raise OutputError(
                    f"--resume: {self.partial} is gone; run again without --resume"
                ) from None
            except OSError as exc:
                raise OutputError(io_message(self.partial, exc)) from None
            try:
                lock(handle, target)
                with contextlib.suppress(FileNotFoundError):
                    # the lock is on this inode; another run may have renamed it meanwhile
                    if os.stat(self.partial).st_ino == os.fstat(handle.fileno()).st_ino:
                        break
            except BaseException:
                handle.close()
                raise
            handle.close()
        self.handle = handle
        size = os.fstat(handle.fileno()).st_size
        if resume_at is not None and size < resume_at:
            handle.close()
            raise OutputError(
                f"--resume: {self.partial} is shorter ({size:,} bytes) than its checkpoint "
                f"({resume_at:,}); run again without --resume"
            )
        at = resume_at or 0
        self._guard(lambda: (handle.truncate(at), handle.seek(at)))

    def _guard(self, action: Any) -> Any:
        try:
            return action()
        except OSError as exc:
            raise OutputError(io_message(self.target, exc)) from None

    def write(self, text: str | bytes) -> None:
        """Append text (as UTF-8) or bytes already encoded."""
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        self._guard(lambda: self.handle.write(data))

    def sync(self) -> int:
        """Flush to disk; the byte offset now safely written."""

        def flush() -> int:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            return self.handle.tell()

        return int(self._guard(flush))

    def commit(self) -> None:
        """Make the target the finished file, atomically."""
        self.sync()

        def move() -> None:
            os.replace(self.partial, self.target)
            fsync_directory(self.target.parent)

        self._guard(move)
        self.handle.close()

    def close(self) -> None:
        """Stop writing, keeping the partial file (for --resume)."""
        if not self.handle.closed:
            self.handle.close()

    def discard(self) -> None:
        """Stop writing and remove the partial file."""
        self.close()
        self.partial.unlink(missing_ok=True)

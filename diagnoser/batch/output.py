"""Output: JSONL or CSV records, written to a temporary file that replaces the target at the end.

While a run goes on, records go to `OUT.partial` beside the target (same directory, so the final
os.replace is atomic) and a checkpoint `OUT.partial.state` says how many records and bytes are
safely on disk. A finished run fsyncs and renames; an interrupted one leaves the target as it
was, and `--resume` truncates the partial file to its last checkpoint and carries on.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, BinaryIO

from .._files import fsync_directory

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
)


def jsonl_line(record: dict[str, Any]) -> str:
    """One record as a JSON line."""
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"


def csv_row(record: dict[str, Any]) -> list[Any]:
    """One record flattened: the top diagnosis in its own columns, lists joined with ';'."""
    diagnoses = record.get("diagnoses") or []
    top = diagnoses[0] if diagnoses else {}
    return [
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
    ]


class Encoder:
    """Records to text in one output format."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self._buf = io.StringIO()
        self._csv = csv.writer(self._buf, lineterminator="\n")

    def header(self) -> str:
        if self.fmt != "csv":
            return ""
        self._csv.writerow(CSV_COLUMNS)
        return self._take()

    def encode(self, records: list[dict[str, Any]]) -> str:
        if self.fmt == "csv":
            self._csv.writerows(csv_row(r) for r in records)
            return self._take()
        return "".join(map(jsonl_line, records))

    def _take(self) -> str:
        text = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        return text


class AtomicFile:
    """A target written through `<target>.partial`, moved into place by commit()."""

    def __init__(self, target: Path, resume_at: int | None = None) -> None:
        self.target = target
        self.partial = target.with_name(target.name + ".partial")
        mode = "r+b" if resume_at is not None else "wb"
        self.handle: BinaryIO = open(self.partial, mode)  # noqa: SIM115 (closed by commit/close)
        if resume_at is not None:
            self.handle.truncate(resume_at)
            self.handle.seek(resume_at)

    def write(self, text: str) -> None:
        self.handle.write(text.encode("utf-8"))

    def sync(self) -> int:
        """Flush to disk; the byte offset now safely written."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        return self.handle.tell()

    def commit(self) -> None:
        """Make the target the finished file, atomically."""
        self.sync()
        self.handle.close()
        os.replace(self.partial, self.target)
        fsync_directory(self.target.parent)

    def close(self) -> None:
        """Stop writing, keeping the partial file (for --resume)."""
        if not self.handle.closed:
            self.handle.close()

    def discard(self) -> None:
        """Stop writing and remove the partial file."""
        self.close()
        self.partial.unlink(missing_ok=True)

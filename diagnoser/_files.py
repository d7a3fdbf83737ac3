"""Files written so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

MAX_LINE = 16 << 20  # bytes of one line of a results or ticket file; a longer one is refused


class LineReadError(OSError):
    """Reading a file failed at line `line` (1-based)."""

    def __init__(self, line: int, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.line = line


def bounded_lines(handle: BinaryIO, limit: int = MAX_LINE) -> Iterator[tuple[int, bytes | None]]:
    """(number, bytes) of each line of `handle`, or (number, None) for a line longer than
    `limit` bytes, whose rest is skipped in bounded pieces without being kept: memory stays
    within `limit` whatever the file holds. A read that fails raises LineReadError."""
    number = 0
    while True:
        number += 1
        try:
            raw = handle.readline(limit + 1)
            too_long = len(raw) > limit
            while too_long and raw and not raw.endswith(b"\n"):
                raw = handle.readline(limit)
        except OSError as exc:
            raise LineReadError(number, exc) from None
        if not raw:
            return
        yield number, None if too_long else raw


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path` so readers see the old file or the new one, never half.

    The text goes to a new file in the same directory, is flushed to disk, and replaces `path`
    in one rename. An existing file keeps its permissions; a new one gets the umask's.
    """
    write_atomic_bytes(path, text.encode("utf-8"))


def write_atomic_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically, as `write_atomic` does."""
    target = Path(path)
    directory = target.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_directory(directory)


def fsync_directory(directory: Path) -> None:
    """Make the rename durable where the platform lets a directory be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)

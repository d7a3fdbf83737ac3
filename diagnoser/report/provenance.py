"""What a report says about how it was made: when, by which diagnoser, on which knowledge base.

The knowledge-base version is a content hash: SHA-256 over the relative path and the bytes of
every YAML file of the rules and knowledge directories (rule fixture cases excluded: they test
the rules, they do not change a diagnosis). Two reports with the same hash were made from the
same rules and knowledge, whatever the directories were called.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..kb.knowledge import KnowledgeBase

HASH_LENGTH = 12  # hex digits shown; enough to tell knowledge bases apart at a glance
_SUFFIXES = (".yaml", ".yml")
_lock = threading.Lock()
_cache: dict[tuple[object, ...], str] = {}


def _files(root: Path, skip: tuple[str, ...]) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix in _SUFFIXES and p.relative_to(root).parts[0] not in skip
    )


def content_hash(rules: Path | None, knowledge: Path | None) -> str | None:
    """The knowledge base's content hash (HASH_LENGTH hex digits); None without paths."""
    # the rule cases and scenarios test the knowledge base; they are not part of it
    fixtures = ("cases", "scenarios")
    roots = [(r, skip) for r, skip in ((rules, fixtures), (knowledge, ())) if r is not None]
    if not roots:
        return None
    listed = [(tag, root, _files(root, skip)) for tag, (root, skip) in enumerate(roots)]
    # the files' sizes and times say whether the hash is still the one computed before
    key = tuple(
        (tag, str(p.relative_to(root)), p.stat().st_mtime_ns, p.stat().st_size)
        for tag, root, files in listed
        for p in files
    )
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    digest = hashlib.sha256()
    for tag, root, files in listed:
        for path in files:
            digest.update(f"{tag}:{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    value = digest.hexdigest()[:HASH_LENGTH]
    with _lock:
        if len(_cache) > 32:  # bounded: a long-lived service may load many knowledge bases
            _cache.clear()
        _cache[key] = value
    return value


def kb_version(kb: KnowledgeBase) -> str | None:
    """The content hash of the knowledge base `kb` was loaded from (None when it has no paths).

    Computed once per loaded knowledge base and kept on it (and so in the compiled cache, which
    stores it when it stores the knowledge base): what it was loaded from is what it holds.
    """
    if kb._content_hash is None and (kb.rules_path or kb.knowledge_path):
        kb._content_hash = content_hash(kb.rules_path, kb.knowledge_path)
    return kb._content_hash


def version() -> str:
    """Which program made the report: 'diagnoser 0.1.0'."""
    from .. import __version__  # here: the package's __init__ may import the report package

    return f"diagnoser {__version__}"


def now() -> dt.datetime:
    """The time a report is generated (local, with its offset).

    `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds convention) fixes it, so
    the same input renders the same report byte for byte; a value that is not a number is
    ignored.
    """
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if fixed.isdigit():
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return dt.datetime.fromtimestamp(int(fixed), dt.UTC)
    return dt.datetime.now().astimezone()

"""The compiled knowledge-base cache: a loaded KnowledgeBase kept on disk, keyed by content.

Loading the shipped knowledge base parses some 150 YAML files and validates them (most of a
cold start). The result is pickled into the user's cache directory under a key made of the
content of every file under rules/ and knowledge/ that a load reads (all but the rule fixture
cases and scenarios), their paths, the diagnoser and pydantic versions and the package's own
source files: any change to one of them gives another key, so a stale entry is never read. An
entry that cannot be read (truncated, corrupt, from another version) is ignored and rebuilt.
`DIAGNOSER_CACHE=0` turns the cache off; `DIAGNOSER_CACHE_DIR` puts it elsewhere. Writes are
atomic; the directory keeps the newest MAX_ENTRIES entries.

The cache lives in the user's own cache directory (created private, 0o700): what it holds is
trusted as the user's own files are.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .._cachedir import cache_dir, enabled
from .._files import write_atomic_bytes

if TYPE_CHECKING:
    from .knowledge import KnowledgeBase

log = logging.getLogger("diagnoser.cache")

MAX_ENTRIES = 8
_FORMAT = b"diagnoser-kb-cache 1\n"
_PACKAGE = Path(__file__).resolve().parent.parent


def _files(root: str, unread: Callable[[str], bool] | None = None) -> Iterator[tuple[str, str]]:
    """(path relative to root, full path) of every file under root, in a stable order, but in
    the directories `unread` names (given the directory's path relative to root).

    Plain strings and os.walk, not pathlib or os.path.relpath: this runs over every file at
    each start, and os.walk's paths all begin with root.
    """
    skip = len(os.path.join(root, ""))
    for dirpath, dirnames, filenames in os.walk(root):
        if unread is not None:
            here = os.path.join(dirpath, "")[skip:]
            dirnames[:] = [d for d in dirnames if not unread(here + d)]
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            yield full[skip:], full


def _not_loaded(directory: str) -> bool:
    """A directory under rules/ whose files no load reads: the rule fixture cases (any `cases/`)
    and the scenarios (`scenarios/` but under incidents/, whose files the incident rules are);
    see load_rules and load_incident_rules in kb/loader.py. They are more than half the files
    under rules/, and a start need not read them to know the knowledge base is the same."""
    from .knowledge import CASES_DIR, INCIDENTS_DIR, SCENARIOS_DIR

    parts = directory.split(os.sep)
    return parts[-1] == CASES_DIR or (parts[-1] == SCENARIOS_DIR and parts[0] != INCIDENTS_DIR)


def cache_key(rules: Path, knowledge: Path, check_patterns: bool) -> str:
    """A digest of everything a loaded knowledge base depends on."""
    from .. import __version__

    digest = hashlib.sha256()
    for part in (__version__, sys.version, _pydantic_version(), str(check_patterns)):
        digest.update(part.encode() + b"\0")
    for root, unread in ((rules, _not_loaded), (knowledge, None)):
        resolved = str(root.resolve())
        digest.update(resolved.encode() + b"\0")
        for relative, full in _files(resolved, unread):
            digest.update(relative.encode() + b"\0")
            with open(full, "rb") as file:
                digest.update(hashlib.sha256(file.read()).digest())
    # a changed loader or model gives another key too (a source checkout changes under one
    # version); the stat of each module is enough for that
    for relative, full in _files(str(_PACKAGE)):
        if relative.endswith(".py"):
            stat = os.stat(full)
            digest.update(f"{relative}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _pydantic_version() -> str:
    import pydantic

    return str(pydantic.VERSION)


def cached(
    rules: Path, knowledge: Path, check_patterns: bool, build: Callable[[], KnowledgeBase]
) -> KnowledgeBase:
    """The knowledge base from the cache, else `build()` (stored for the next process)."""
    if not enabled():
        return build()
    try:
        key = cache_key(rules, knowledge, check_patterns)
    except OSError as exc:  # an unreadable file: the loader reports it with its name
        log.debug("no cache key: %s", exc)
        return build()
    directory = cache_dir()
    path = directory / f"kb-{key[:32]}.pickle"
    kb = _read(path, key)
    if kb is not None:
        log.debug("knowledge base from the cache %s", path)
        return kb
    kb = build()
    from ..report.provenance import kb_version

    kb_version(kb)  # stored with it: a report then needs no second pass over the files
    _write(directory, path, key, kb)
    return kb


def _read(path: Path, key: str) -> KnowledgeBase | None:
    from .knowledge import KnowledgeBase

    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = _FORMAT + key.encode() + b"\n"
    if not data.startswith(header):
        log.debug("cache entry %s is not for this key: ignored", path)
        return None
    # the collector off while the some 25,000 containers of an entry are made: every 700 start
    # a collection, every tenth of those traverses what was unpickled so far, all of it kept
    collecting = gc.isenabled()
    gc.disable()
    try:
        kb = pickle.loads(data[len(header) :])
    except Exception as exc:  # a truncated or foreign entry is rebuilt, never trusted half
        log.debug("cache entry %s unreadable (%s): rebuilt", path, exc)
        return None
    finally:
        if collecting:
            gc.enable()
    return kb if isinstance(kb, KnowledgeBase) else None


def _write(directory: Path, path: Path, key: str, kb: KnowledgeBase) -> None:
    try:
        data = pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic_bytes(path, _FORMAT + key.encode() + b"\n" + data)
        _prune(directory)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        # a read-only home or an unpicklable custom value: run without the cache
        log.debug("knowledge base not cached in %s: %s", directory, exc)


def _prune(directory: Path) -> None:
    entries = sorted(
        directory.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True
    )
    for old in entries[MAX_ENTRIES:]:
        with contextlib.suppress(OSError):  # another process may have removed it first
            old.unlink()

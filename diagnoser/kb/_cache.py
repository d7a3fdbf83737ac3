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
_FORMAT = b"diagnoser-kb-cache 2\n"
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
    # version)
    package_stamp(digest)
    return digest.hexdigest()


def package_stamp(digest: hashlib._Hash) -> None:
    """Add the package's own source files to `digest`: the stat of each module is enough to
    tell a changed one (a source checkout changes under one version)."""
    for relative, full in _files(str(_PACKAGE)):
        if relative.endswith(".py"):
            stat = os.stat(full)
            digest.update(f"{relative}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())


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

    kb = read_entry(path, _FORMAT, key)
    return kb if isinstance(kb, KnowledgeBase) else None


def _write(directory: Path, path: Path, key: str, kb: KnowledgeBase) -> None:
    write_entry(directory, path, _FORMAT, key, kb, "kb-*.pickle")


# An entry is its format line, then a line of its key and the digest of what follows, then
# the pickle: an entry of another format or key is never unpickled, and one whose pickle was
# cut short or changed (a full disk, a bad sector) is never trusted half.


def read_entry(path: Path, form: bytes, key: str) -> object | None:
    """What the entry at `path` holds, when it is one of format `form` for `key` and whole;
    None otherwise (no entry, another key, truncated, corrupt: rebuilt, never an error)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = form + key.encode() + b" "
    end = data.find(b"\n", len(header))
    if not data.startswith(header) or end < 0:
        log.debug("cache entry %s is not for this key: ignored", path)
        return None
    body = memoryview(data)[end + 1 :]
    if data[len(header) : end] != _digest(body):
        log.debug("cache entry %s is damaged: rebuilt", path)
        return None
    # the collector off while the tens of thousands of containers of an entry are made: every
    # 700 start a collection, every tenth of those traverses what was unpickled so far, all of
    # it kept
    collecting = gc.isenabled()
    gc.disable()
    try:
        value: object = pickle.loads(body)
    except Exception as exc:  # a foreign entry (its classes changed) is rebuilt
        log.debug("cache entry %s unreadable (%s): rebuilt", path, exc)
        return None
    finally:
        if collecting:
            gc.enable()
    return value


def _digest(body: bytes | memoryview) -> bytes:
    return hashlib.sha256(body).hexdigest()[:32].encode()


def write_entry(
    directory: Path, path: Path, form: bytes, key: str, value: object, pattern: str
) -> None:
    """Store `value` at `path` (in `directory`, created private) as an entry of format `form`
    for `key`, atomically: a reader sees the whole entry or none, and of processes writing the
    same entry at once the last one's stays. Then keep the newest MAX_ENTRIES entries that
    match `pattern`. A directory that cannot be written means no cache, never an error."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic_bytes(path, form + key.encode() + b" " + _digest(data) + b"\n" + data)
        _prune(directory, pattern)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        # a read-only home or an unpicklable custom value: run without the cache
        log.debug("%s not cached in %s: %s", path.name, directory, exc)


def _prune(directory: Path, pattern: str) -> None:
    entries = sorted(directory.glob(pattern), key=_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        with contextlib.suppress(OSError):  # another process may have removed it first
            old.unlink()


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # removed by another process since it was listed: the oldest
        return 0

"""The compiled vocabulary cache: what intake compiles from a knowledge base, kept on disk.

Compiling the vocabulary (every term combination parsed, every symptom pattern and its
literals analysed, the candidate index over some 23,000 literals, the carried objects, the
similarity index) is most of the first text's cost in a new process, and a batch's parent pays
it before its workers start. The result is pickled beside the compiled knowledge base
(kb/_cache.py: same directory, same switches, same entry format and atomic writes) under a key
made of what the compiled form is made from: the knowledge base's symptoms, systems, terms and
context as they are (so any change of a file they come from, a custom knowledge directory or a
knowledge base built in memory gives its own key), the finder and similarity options, the
diagnoser version and source files, the Python version and the versions of the libraries whose
output it holds or whose objects it rebuilds (pydantic, pyahocorasick, rapidfuzz, opencc).
A site profile is no part of it: the vocabulary is compiled from the knowledge base alone.

What cannot be pickled is rebuilt on load from the plain data kept with it: the Aho–Corasick
automaton from its literals (about as fast as unpickling its own dump, a third of the entry's
size) and the similarity index's automaton from its n-grams (see _Compiled and SimilarIndex).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Callable
from importlib.util import find_spec
from typing import TYPE_CHECKING

from .._cachedir import cache_dir, enabled
from ..kb._cache import package_stamp, read_entry, write_entry

if TYPE_CHECKING:
    from . import Vocabulary, _Compiled

log = logging.getLogger("diagnoser.cache")

_FORMAT = b"diagnoser-vocabulary-cache 1\n"
# the libraries whose code makes or rebuilds what an entry holds
_LIBRARIES = ("pydantic", "ahocorasick", "rapidfuzz", "opencc")


def vocabulary_key(vocab: Vocabulary) -> str:
    """A digest of everything the compiled form of `vocab` depends on."""
    from .. import __version__

    digest = hashlib.sha256()
    for part in (__version__, sys.version, vocab.finder, str(vocab.similar), *_versions()):
        digest.update(part.encode() + b"\0")
    kb = vocab.kb
    # the models as they are, not the files they were read from: a knowledge base changed or
    # made in memory has a key of its own too
    for name, models in (("symptoms", kb.symptoms), ("systems", kb.systems), ("terms", kb.terms)):
        digest.update(name.encode() + b"\0")
        for ident, model in models.items():
            digest.update(ident.encode() + b"\0" + model.model_dump_json().encode() + b"\0")
    digest.update(kb.context.model_dump_json().encode())
    package_stamp(digest)
    return digest.hexdigest()


def _versions() -> list[str]:
    """Each library's module file and its stat: another version installed is other files.
    (importlib.metadata would give the version numbers, but reading the installed packages'
    metadata takes longer than loading the whole entry's header.)"""
    found = []
    for name in _LIBRARIES:
        try:
            spec = find_spec(name)
            origin = spec.origin if spec is not None else None
            stat = os.stat(origin) if origin else None
        except (ImportError, ValueError, OSError):
            stat = origin = None
        found.append(f"{name}:{origin}:{stat.st_size}:{stat.st_mtime_ns}" if stat else name)
    return found


def cached(vocab: Vocabulary, build: Callable[[], _Compiled]) -> _Compiled:
    """The compiled vocabulary from the cache, else `build()` (stored for the next process)."""
    from . import _Compiled

    if not enabled():
        return build()
    key = vocabulary_key(vocab)
    directory = cache_dir()
    path = directory / f"vocab-{key[:32]}.pickle"
    compiled = read_entry(path, _FORMAT, key)
    if isinstance(compiled, _Compiled):
        log.debug("vocabulary from the cache %s", path)
        return compiled
    compiled = build()  # stored as compiled, before a text has compiled any part's regex
    write_entry(directory, path, _FORMAT, key, compiled, "vocab-*.pickle")
    return compiled

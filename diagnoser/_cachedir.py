"""Where diagnoser keeps what it compiles once for the next process, and the switch to stop it.

`DIAGNOSER_CACHE=0` (or off, no, false) turns every on-disk cache off; `DIAGNOSER_CACHE_DIR`
puts them elsewhere than the platform's user cache directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def enabled() -> bool:
    """False when DIAGNOSER_CACHE is 0, off, no or false."""
    return os.environ.get("DIAGNOSER_CACHE", "1").strip().lower() not in ("0", "off", "no", "false")


def cache_dir() -> Path:
    """DIAGNOSER_CACHE_DIR, else the platform's user cache directory for diagnoser."""
    configured = os.environ.get("DIAGNOSER_CACHE_DIR")
    if configured:
        return Path(configured)
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        return Path(base) / "diagnoser"
    return Path(platformdirs.user_cache_dir("diagnoser", appauthor=False))


def subdir(name: str) -> Path | None:
    """The cache's directory `name`, created private (0o700); None when off or not creatable."""
    if not enabled():
        return None
    path = cache_dir() / name
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None

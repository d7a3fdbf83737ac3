"""Batch diagnosis of ticket backlogs: readers, column mapping, parallel runs, atomic output.

The names below are imported on first use, so that the CLI can list the presets without
loading the runner (start-up time of `diagnoser diagnose` matters).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import InputError
    from .mapping import ColumnMap
    from .presets import PRESETS
    from .readers import read_records
    from .runner import BatchConfig, BatchResult, Progress, iter_records, run_batch

_WHERE = {
    "InputError": "errors",
    "ColumnMap": "mapping",
    "PRESETS": "presets",
    "read_records": "readers",
    "BatchConfig": "runner",
    "BatchResult": "runner",
    "Progress": "runner",
    "iter_records": "runner",
    "run_batch": "runner",
}

__all__ = [
    "PRESETS",
    "BatchConfig",
    "BatchResult",
    "ColumnMap",
    "InputError",
    "Progress",
    "iter_records",
    "read_records",
    "run_batch",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)

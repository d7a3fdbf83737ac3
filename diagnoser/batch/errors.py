"""Errors of batch runs."""

from __future__ import annotations

from ..errors import DiagnoserError


class InputError(DiagnoserError):
    """An input as a whole cannot be read (missing file, unknown encoding or format, bad map)."""

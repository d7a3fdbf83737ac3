"""Limits for custom templates (`--template-dir`): a time budget, an output size, no files
from outside the directory.

Jinja's sandbox keeps a template away from Python's internals, but not from work without end:
`{% for a in range(99999) %}{% for b in range(99999) %}…`, `{{ "x" * 10**10 }}` or
`{{ ""|center(10**10) }}` run until the machine gives out. Here a custom template renders
under a line tracer on its own code only (checking the clock), its output is counted as it
is produced, and the operators and calls that could allocate a huge value in one step are
checked before they run. Shipped templates render without any of this.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

MAX_SECONDS = 5.0  # to render one report from a custom template
MAX_OUTPUT = 2_000_000  # characters of one report (a shipped report is a few thousand)


class TemplateLimitError(Exception):
    """A custom template went over a limit: time, output size, or a value too large."""


class ConfinedLoader(FileSystemLoader):
    """A FileSystemLoader that refuses a template whose real path (symlinks followed) is
    outside its directory."""

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = os.path.realpath(filename)
        roots = [os.path.realpath(p) for p in self.searchpath]
        if not any(os.path.commonpath([root, real]) == root for root in roots):
            raise TemplateLimitError(
                f"template {template!r} is a link to {real}, outside the template directory"
            )
        return source, filename, uptodate


def _too_big(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT


def _bounded(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """A filter whose integer arguments (widths, counts) are at most MAX_OUTPUT."""

    @functools.wraps(func)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        if any(_too_big(a) for a in (*args, *kwargs.values())):
            raise TemplateLimitError(f"filter {name}: a number over {MAX_OUTPUT:,}")
        return func(*args, **kwargs)

    return filter_


class LimitedSandbox(SandboxedEnvironment):
    """The sandbox, with `*` and `**` and every call checked for values that could not fit in
    a report."""

    intercepted_binops = frozenset({"*", "**"})

    def bound_filters(self) -> None:
        """Check the arguments of every filter (call after the filters are registered)."""
        self.filters = {name: _bounded(f, name) for name, f in self.filters.items()}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        big_power = isinstance(right, int | float) and abs(right) > 64
        if (
            operator == "**"
            and big_power
            and not (isinstance(left, int | float) and abs(left) <= 1)
        ):
            raise TemplateLimitError(f"{left!r} ** {right!r} is too large")
        sized, count = (left, right) if isinstance(right, int) else (right, left)
        if (
            operator == "*"
            and isinstance(sized, str | list | tuple)
            and isinstance(count, int)
            and len(sized) * max(count, 0) > MAX_OUTPUT
        ):
            raise TemplateLimitError(
                f"a value of {len(sized):,} × {count:,} items is over {MAX_OUTPUT:,}"
            )
        return super().call_binop(context, operator, left, right)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if any(_too_big(a) for a in (*args, *kwargs.values())):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            raise TemplateLimitError(f"{name}(): a number over {MAX_OUTPUT:,}")
        return super().call(__context, __obj, *args, **kwargs)


def render_limited(chunks: Iterator[str], template_files: Callable[[str], bool]) -> str:
    """Join a template's output chunks within MAX_SECONDS and MAX_OUTPUT.

    template_files(filename) tells a frame of template code: only those are traced, line by
    line, so Python code (filters, the view) runs at full speed.
    """
    deadline = time.monotonic() + MAX_SECONDS

    def on_line(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and time.monotonic() > deadline:
            raise TemplateLimitError(f"took longer than {MAX_SECONDS:g} s to render")
        return on_line

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call" and template_files(frame.f_code.co_filename):
            return on_line
        return None

    previous = sys.gettrace()
    parts: list[str] = []
    size = 0
    sys.settrace(on_call)
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateLimitError(f"wrote more than {MAX_OUTPUT:,} characters")
            if time.monotonic() > deadline:
                raise TemplateLimitError(f"took longer than {MAX_SECONDS:g} s to render")
            parts.append(chunk)
    finally:
        sys.settrace(previous)
    return "".join(parts)

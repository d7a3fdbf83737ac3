"""Output formats and their renderers: the Jinja environments (shipped, sandboxed) and `render`."""

from __future__ import annotations

import datetime as dt
import functools
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from .. import _cachedir
from .._resources import templates_path
from ..errors import DiagnoserError
from ..result import (
    Diagnosis,
)
from ..ticket import Ticket
from ..triage import RESPONSE_TIME
from .labels import LABELS, LANGUAGES, PHASE_NAMES

# Jinja, the text filters (which import Jinja) and the view load with the first template
# report: the JSON format never needs them
if TYPE_CHECKING:
    from jinja2 import Environment

    from ..service import Diagnoser


class Format(StrEnum):
    """Output formats of `diagnoser diagnose`."""

    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    JSON = "json"

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Format | None:
        """The format a file name implies by its suffix (.txt .md .html .json), if any."""
        return _SUFFIXES.get(Path(path).suffix.lower())


_SUFFIXES = {
    ".txt": Format.TEXT,
    ".text": Format.TEXT,
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".json": Format.JSON,
}


class ReportTemplateError(DiagnoserError):
    """A report template cannot be loaded or rendered; names the template file and line."""

    def __init__(self, message: str, template: str | None = None, line: int | None = None):
        self.template = template
        self.line = line
        where = f"{template}:{line}: " if template and line else f"{template}: " if template else ""
        super().__init__(f"report template {where}{message}")


# --- environments -------------------------------------------------------------------------------


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html.j2", ".htm.j2", ".html", ".htm"))


def _configure(env: Environment) -> Environment:
    from .text import (
        _bar,
        _heading,
        _style,
        breakable,
        clean,
        display_width,
        md_code,
        md_escape,
        wrap,
    )
    from .view import _percent

    env.filters["wrap"] = wrap
    env.filters["pct"] = _percent
    env.filters["bar"] = _bar
    env.filters["style"] = _style
    env.filters["heading"] = _heading
    env.filters["width"] = display_width
    env.filters["md"] = md_escape
    env.filters["code"] = md_code
    env.filters["clean"] = clean
    env.filters["breakable"] = breakable
    return env


def _options(finalize: Callable[[Any], Any] | None) -> dict[str, Any]:
    from jinja2 import StrictUndefined

    return {
        "undefined": StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        "autoescape": _autoescape,
        "finalize": finalize,
    }


def shipped_environment(
    filters: Mapping[str, Callable[..., Any]], *, finalize: Callable[[Any], Any] | None = None
) -> Environment:
    """The one Jinja setup of the shipped templates (reports and batch summaries).

    Undefined names are errors, block tags leave no blank lines, a template's trailing newline
    is kept, and `.html.j2` templates are autoescaped. Compiled templates are kept for the next
    process in the cache directory: Jinja checks each against its source, the directory's name
    against the version, this module (where the compile-time options are set) and `finalize`.
    """
    from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader

    from .. import __version__

    stamp = Path(__file__).stat().st_mtime_ns
    # a finalize step is compiled into the template code: environments with and without one
    # keep their templates apart
    kind = "finalized" if finalize is not None else "plain"
    directory = _cachedir.subdir(f"templates-{__version__}-{stamp}-{kind}")
    cache = FileSystemBytecodeCache(str(directory)) if directory is not None else None
    env = Environment(
        loader=FileSystemLoader(str(templates_path())), bytecode_cache=cache, **_options(finalize)
    )
    env.filters.update(filters)
    return env


@functools.cache
def _shipped_environment() -> Environment:
    from .text import clean

    return _configure(shipped_environment({}, finalize=clean))


@functools.lru_cache(maxsize=8)
def _sandboxed_environment(template_dir: str) -> Environment:
    # no file from outside template_dir (a symlink out of it is refused); see _limits.py
    from jinja2 import ChoiceLoader, FileSystemLoader

    from ._limits import ConfinedLoader, LimitedSandbox

    loader = ChoiceLoader([ConfinedLoader(template_dir), FileSystemLoader(str(templates_path()))])
    from .text import clean

    env = _configure(LimitedSandbox(loader=loader, **_options(clean)))
    assert isinstance(env, LimitedSandbox)
    env.bound_filters()
    return env


def _template_frame(tb: TracebackType | None) -> tuple[str | None, int | None]:
    """The innermost traceback frame that belongs to a template: (file, line)."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".jinja", ".html", ".htm", ".md", ".txt")):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


# --- renderers ----------------------------------------------------------------------------------


class Renderer(ABC):
    """Turns a Diagnosis into the text of one format."""

    format: ClassVar[Format]

    @abstractmethod
    def render(
        self,
        diagnosis: Diagnosis,
        lang: str,
        *,
        color: bool = False,
        template_dir: str | os.PathLike[str] | None = None,
        diagnoser: Diagnoser | None = None,
        ticket: Ticket | None = None,
        generated_at: dt.datetime | None = None,
    ) -> str:
        """The report, ending with a newline."""


class JsonRenderer(Renderer):
    """The JSON contract: the Diagnosis model itself, whatever the language."""

    format = Format.JSON

    def render(
        self,
        diagnosis: Diagnosis,
        lang: str,
        *,
        color: bool = False,
        template_dir: str | os.PathLike[str] | None = None,
        diagnoser: Diagnoser | None = None,
        ticket: Ticket | None = None,
        generated_at: dt.datetime | None = None,
    ) -> str:
        return diagnosis.model_dump_json(indent=2) + "\n"


class TemplateRenderer(Renderer):
    """A report through a Jinja template (shipped, or overridden from a template directory)."""

    template: ClassVar[str]
    colored: ClassVar[bool] = False

    def render(
        self,
        diagnosis: Diagnosis,
        lang: str,
        *,
        color: bool = False,
        template_dir: str | os.PathLike[str] | None = None,
        diagnoser: Diagnoser | None = None,
        ticket: Ticket | None = None,
        generated_at: dt.datetime | None = None,
    ) -> str:
        from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

        from .text import PRIORITY_STYLES
        from .view import build_view

        # the sandbox and its limits (jinja2.sandbox) load only for a custom template: only
        # its loader and its rendering raise TemplateLimitError
        limit_errors: tuple[type[Exception], ...] = ()
        if template_dir is not None:
            from ._limits import TemplateLimitError, render_limited

            limit_errors = (TemplateLimitError,)
            env = _sandboxed_environment(str(Path(template_dir).resolve()))
        else:
            env = _shipped_environment()
        context = {
            "r": build_view(diagnosis, lang, diagnoser, ticket, generated_at),
            "d": diagnosis,
            "lang": lang,
            "t": {key: text.get(lang) for key, text in LABELS.items()},
            "color": color and self.colored,
            "priority_styles": PRIORITY_STYLES,
            # kept for templates written against the first text report
            "phase_names": PHASE_NAMES,
            "response_time": RESPONSE_TIME,
        }
        try:
            template = env.get_template(self.template)
            if template_dir is None:
                return template.render(context)
            # a custom template: within a time budget and an output size (see _limits.py)
            own = (str(Path(template_dir).resolve()), str(templates_path()))
            try:
                return render_limited(template.generate(context), lambda f: f.startswith(own))
            except limit_errors as exc:
                filename, line = _template_frame(exc.__traceback__)
                raise ReportTemplateError(str(exc), filename or template.filename, line) from None
        except limit_errors as exc:  # from the loader: a link out of the directory
            raise ReportTemplateError(str(exc), self.template) from None
        except TemplateSyntaxError as exc:
            raise ReportTemplateError(exc.message or str(exc), exc.filename, exc.lineno) from exc
        except TemplateNotFound as exc:
            raise ReportTemplateError(f"template not found: {exc.name}", self.template) from exc
        except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            filename, line = _template_frame(exc.__traceback__)
            raise ReportTemplateError(
                f"{type(exc).__name__}: {exc}", filename or self.template, line
            ) from exc


class TextRenderer(TemplateRenderer):
    """Plain text for a terminal, 80 columns; ANSI colour when asked."""

    format = Format.TEXT
    template = "report.txt.j2"
    colored = True


class MarkdownRenderer(TemplateRenderer):
    """Markdown for tickets and wikis; ticket text is escaped."""

    format = Format.MARKDOWN
    template = "report.md.j2"


class HtmlRenderer(TemplateRenderer):
    """One self-contained, print-friendly HTML page; everything is autoescaped."""

    format = Format.HTML
    template = "report.html.j2"


RENDERERS: dict[Format, Renderer] = {
    r.format: r for r in (TextRenderer(), MarkdownRenderer(), HtmlRenderer(), JsonRenderer())
}


def render(
    diagnosis: Diagnosis,
    fmt: Format | str,
    lang: str,
    *,
    color: bool = False,
    template_dir: str | os.PathLike[str] | None = None,
    diagnoser: Diagnoser | None = None,
    ticket: Ticket | Mapping[str, Any] | None = None,
    generated_at: dt.datetime | None = None,
) -> str:
    """The diagnosis as a report in `fmt` ('text', 'markdown', 'html' or 'json') and `lang`.

    color: ANSI colour in the text format (the caller decides: a TTY and no NO_COLOR).
    template_dir: templates overriding the shipped ones, rendered sandboxed.
    diagnoser: the Diagnoser that made the diagnosis; gives symptom and system names, the top
    fault's causes and what would tell two close faults apart.
    ticket: the ticket diagnosed (a Ticket or its fields); the report then quotes it.
    generated_at: the time the report says it was generated (default: now).
    Raises ReportTemplateError (a DiagnoserError) naming the template file and line.
    """
    try:
        fmt = Format(fmt)
    except ValueError:
        names = ", ".join(f.value for f in Format)
        raise DiagnoserError(f"unknown report format {fmt!r}; use one of {names}") from None
    if lang not in LANGUAGES:
        raise DiagnoserError(f"unknown report language {lang!r}; use zh or en")
    if ticket is not None and not isinstance(ticket, Ticket):
        ticket = Ticket.parse(dict(ticket))
    return RENDERERS[fmt].render(
        diagnosis,
        lang,
        color=color,
        template_dir=template_dir,
        diagnoser=diagnoser,
        ticket=ticket,
        generated_at=generated_at,
    )

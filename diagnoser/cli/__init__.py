"""The `diagnoser` command line. Data goes to stdout; errors and progress to stderr.

Exit codes (one set for every command, `_common.Exit`): 0 a fault was identified (or the command
succeeded), 1 nothing identified or a check failed, 2 usage error, 3 invalid knowledge base,
4 input invalid or unreadable, 5 some records rejected, 6 an output cannot be written, 70 internal
error.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ._common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_KB,
    EXIT_NOTHING,
    EXIT_OK,
    Finished,
    cannot_write,
    fail,
    finish,
    kb_options,
    make_diagnoser,
    report_language,
    site_option,
)

# the formats of `diagnose --format`, spelled here so that the renderers load only when used
# (tests/test_cli.py checks they are report.Format's values)
FORMATS = ("text", "markdown", "html", "json")


def _metric(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(raw)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not NAME=NUMBER (e.g. cpu_percent=95)") from None
    return out


def _timestamp(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date and time such as 2026-11-24T09:12 or 2026-11-24 09:12+08:00"
        ) from None


class LazyGroup(click.Group):
    """A group whose commands from other modules are imported only when they are used.

    `diagnoser diagnose` must start fast; the batch, summary, interactive and knowledge
    commands (and what they import) load when called, or when help lists them.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module, _, attr = self.lazy[name].partition(":")
            command = getattr(importlib.import_module(module, __package__), attr)
            self.add_command(command, name)
        return super().get_command(ctx, name)


def ticket_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What a ticket says, as options: --text, --code, --symptom, --metric, --scope, --system,
    --affected-users, --id (shared by `diagnose` and `interactive`)."""
    options = [
        click.option("--text", "-t", help="What the caller or ticket says ('-' reads stdin)."),
        click.option("--code", "-c", "codes", multiple=True, help="An error code (repeatable)."),
        click.option(
            "--symptom", "-s", "symptoms", multiple=True, help="A symptom id (repeatable)."
        ),
        click.option(
            "--metric",
            "-m",
            "metrics",
            multiple=True,
            callback=_metric,
            help="A monitoring metric NAME=NUMBER (repeatable).",
        ),
        click.option("--scope", help="Impact scope: single_user, site, region or city."),
        click.option("--system", help="The invoicing system, when known (e.g. generic)."),
        click.option(
            "--affected-users", type=click.IntRange(min=0), help="How many users are affected."
        ),
        click.option("--id", "ticket_id", default="", help="A ticket id to carry into the output."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(
    cls=LazyGroup,
    lazy={
        "batch": ".batch:batch",
        "evaluate": ".batch:evaluate",
        "interactive": ".interactive:interactive",
        "drill": ".drill:drill",
        "explain": ".kb:explain",
        "codes": ".kb:codes",
        "summary": ".summary:summary",
        "serve": ".serve:serve",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="diagnoser")
@click.option(
    "--verbose",
    "-v",
    count=True,
    help="Diagnostics on stderr: -v for info, -vv for debug (or DIAGNOSER_LOG=LEVEL).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Rule-based fault diagnosis for invoice-issuing systems."""
    _configure_logging(verbose, os.environ.get("DIAGNOSER_LOG"))
    if ctx.invoked_subcommand not in _ONE_SHOT:
        gc.enable()  # run() turned the collector off for a one-shot command only


# Commands that diagnose one ticket and end: run() leaves the cyclic garbage collector off for
# them. Their start allocates some 80,000 containers (imports, the cached knowledge base), which
# costs a hundred collections, every one traversing objects that all live to the end; the
# garbage one ticket leaves is small, and the process ends right after.
_ONE_SHOT = frozenset({"diagnose"})


def _configure_logging(verbose: int, level_name: str | None) -> None:
    """Send the 'diagnoser' loggers to stderr at the level asked for (nothing when not asked)."""
    import logging

    if verbose:
        level = logging.DEBUG if verbose > 1 else logging.INFO
    elif level_name:
        level = logging.getLevelNamesMapping().get(level_name.strip().upper(), -1)
        if level < 0:
            raise click.BadParameter(
                f"{level_name!r} is not a logging level (debug, info, warning, error)",
                param_hint="DIAGNOSER_LOG",
            )
    else:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("diagnoser: %(levelname)s: %(name)s: %(message)s"))
    logger = logging.getLogger("diagnoser")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


@cli.command()
@ticket_options
@click.option(
    "--reported-at",
    callback=_timestamp,
    help="When the fault was reported, ISO 8601 (e.g. 2026-11-24T09:12+08:00).",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format: text, markdown, html or json "
    "(default: from the -o file's suffix, else text).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="Report language (default: the input's language, else the locale).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to FILE (atomically) instead of stdout.",
)
@click.option(
    "--template-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Report templates overriding the shipped ones (rendered sandboxed).",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="ANSI colour in the text report (default: on a terminal, unless NO_COLOR is set).",
)
@kb_options
@site_option
def diagnose(
    text: str | None,
    codes: tuple[str, ...],
    symptoms: tuple[str, ...],
    metrics: dict[str, float],
    scope: str | None,
    system: str | None,
    affected_users: int | None,
    ticket_id: str,
    reported_at: dt.datetime | None,
    fmt: str | None,
    lang: str | None,
    output: Path | None,
    template_dir: Path | None,
    color: bool | None,
    rules: Path | None,
    knowledge: Path | None,
) -> None:
    """Diagnose one incident from text, error codes, symptoms and metrics."""
    if text == "-":
        text = sys.stdin.read()
    if not (text and text.strip()) and not codes and not symptoms and not metrics:
        raise click.UsageError("give at least one of --text, --code, --symptom or --metric")
    ticket: dict[str, Any] = {
        "id": ticket_id,
        "text": text or "",
        "error_codes": list(codes),
        "symptoms": list(symptoms),
        "metrics": metrics,
        "scope": scope,
        "system": system,
        "affected_users": affected_users,
        "reported_at": reported_at,
    }
    from ..report import Format, render

    diagnoser = make_diagnoser(rules, knowledge)
    result = diagnoser.diagnose(ticket)
    report_format = Format(fmt) if fmt else (output and Format.from_path(output)) or Format.TEXT
    if color is None:
        color = output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    report = render(
        result,
        report_format,
        report_language(lang, text or "", diagnoser),
        color=color,
        template_dir=template_dir,
        diagnoser=diagnoser,
        ticket=ticket,
    )
    if output is None:
        click.echo(report, nl=False, color=color)
    else:
        from .._files import write_atomic

        try:
            write_atomic(output, report)
        except OSError as exc:
            cannot_write(output, exc)
    finish(EXIT_OK if result.diagnoses else EXIT_NOTHING)


@cli.group(
    cls=LazyGroup,
    lazy={
        "lint": ".kb:kb_lint",
        "test": ".kb:kb_test",
        "show": ".kb:kb_show",
        "learn": ".kb:kb_learn",
    },
)
def kb() -> None:
    """Check and test a knowledge base."""


@cli.command()
@click.argument("name", type=click.Choice(["diagnosis", "record", "ticket"]), default="diagnosis")
def schema(name: str) -> None:
    """Print the JSON Schema of a diagnosis (JSON output), a batch record or a ticket."""
    from ..schemas import shipped

    click.echo(shipped(name), nl=False)


def main() -> None:
    """Entry point: turns every error into one clear message and a documented exit code."""
    # pydantic looks its plugins up in every installed package's metadata when it builds its
    # first validator; a command line has none to load (PYDANTIC_DISABLE_PLUGINS= set empty
    # turns them back on)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from ..errors import DiagnoserError, KnowledgeBaseError

    try:
        cli.main(standalone_mode=False, prog_name="diagnoser")
    except click.exceptions.Abort:
        fail("aborted", EXIT_INTERRUPTED)
    except click.ClickException as exc:
        # one documented form for every error: `diagnoser: error: ...` (usage errors also
        # show the command's usage line first)
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            click.echo(exc.ctx.get_usage(), err=True)
        click.echo(f"diagnoser: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except KnowledgeBaseError as exc:
        fail(str(exc), EXIT_KB)
    except DiagnoserError as exc:  # a TicketError, an unreadable input, ...
        fail(str(exc), EXIT_INPUT)
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_OK)
    except Exception as exc:  # one clear line instead of a traceback, unless asked
        if os.environ.get("DIAGNOSER_DEBUG"):
            traceback.print_exc()
        fail(
            f"internal error: {type(exc).__name__}: {exc} (set DIAGNOSER_DEBUG=1 for details)",
            EXIT_INTERNAL,
        )


def run() -> None:
    """The installed `diagnoser` command (and `python -m diagnoser`): main(), and after a command
    that ended with `finish()`, the end of the process without the interpreter's teardown.

    A short process such as `diagnoser diagnose` spends a sixth of its time in that teardown:
    clearing some 600 modules and freeing their objects one by one, memory the system takes
    back at once. os._exit skips it (and atexit): what the teardown would still do for such a
    command is flushing stdout and stderr, done here first. When the flush fails (a closed
    pipe), the process ends the ordinary way, reporting it as it always did.
    """
    gc.disable()  # until cli() knows the command: see _ONE_SHOT
    try:
        main()
    except Finished as end:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # ValueError: a stream closed before the end
            raise end from None
        os._exit(end.code if isinstance(end.code, int) else EXIT_INTERNAL)

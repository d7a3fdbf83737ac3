"""What every command module shares: the exit codes, the one way to fail, the knowledge-base paths.

Light on purpose: `diagnoser diagnose` imports it at start-up, so the knowledge base, the
service and the renderers are imported inside the functions that need them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from ..kb.knowledge import KnowledgeBase
    from ..service import Diagnoser


class Exit(IntEnum):
    """The exit codes of every command (README.md, "Exit codes")."""

    OK = 0  # a fault was identified, or the command succeeded
    NOTHING = 1  # nothing identified, or a check (kb lint, kb test) found problems
    USAGE = 2  # a bad option or value (also click's own code for usage errors)
    KB = 3  # the knowledge base is invalid
    INPUT = 4  # the input is invalid or cannot be read
    REJECTED = 5  # the run finished, and some records were rejected
    OUTPUT = 6  # an output cannot be written
    INTERNAL = 70  # a bug: one line on stderr, the traceback with DIAGNOSER_DEBUG=1
    INTERRUPTED = 130  # Ctrl-C


EXIT_OK = Exit.OK
EXIT_NOTHING = Exit.NOTHING
EXIT_KB = Exit.KB
EXIT_INPUT = Exit.INPUT
EXIT_REJECTED = Exit.REJECTED
EXIT_OUTPUT = Exit.OUTPUT
EXIT_INTERRUPTED = Exit.INTERRUPTED
EXIT_INTERNAL = Exit.INTERNAL


class Finished(SystemExit):
    """The end of a command that leaves nothing for the interpreter's teardown to do: no
    thread, child process, temporary file or open output (everything it wrote is flushed).

    An ordinary SystemExit to every caller (click's test runner, `main()`); the installed
    command (`run()` in cli/__init__.py) then ends the process at once rather than free each of
    the some 40,000 objects a start has made, one by one, a sixth of a `diagnose` process.
    """


def finish(code: int) -> NoReturn:
    """End a command that started nothing the teardown must stop (see Finished)."""
    raise Finished(int(code))


def fail(message: str, code: int) -> NoReturn:
    """One error line on stderr (`diagnoser: error: ...`), then exit with `code`."""
    click.echo(f"diagnoser: error: {message}", err=True)
    sys.exit(int(code))


def cannot_write(path: Path, exc: OSError) -> NoReturn:
    """An output file that cannot be written: its name and the reason, exit code 6."""
    fail(f"cannot write {str(path)!r}: {exc.strerror or exc}", Exit.OUTPUT)


def kb_paths(rules: Path | None, knowledge: Path | None) -> tuple[Path, Path]:
    """--rules and --knowledge, each defaulting to the shipped knowledge base."""
    if rules is not None and knowledge is not None:
        return rules, knowledge
    from .._resources import default_paths

    default_rules, default_knowledge = default_paths()
    return rules or default_rules, knowledge or default_knowledge


def load_kb(rules: Path | None, knowledge: Path | None) -> KnowledgeBase:
    """The knowledge base of --rules and --knowledge (the shipped one by default)."""
    from ..kb.knowledge import load_knowledge_base

    return load_knowledge_base(*kb_paths(rules, knowledge))


def kb_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--rules and --knowledge, also read from DIAGNOSER_RULES and DIAGNOSER_KNOWLEDGE."""
    path = click.Path(exists=True, file_okay=False, path_type=Path)
    func = click.option(
        "--knowledge",
        type=path,
        envvar="DIAGNOSER_KNOWLEDGE",
        help="Knowledge directory (default: the shipped one).",
    )(func)
    func = click.option(
        "--rules",
        type=path,
        envvar="DIAGNOSER_RULES",
        help="Rules directory (default: the shipped one).",
    )(func)
    return func


SITE_KEY = "diagnoser.site"


def _remember_site(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    ctx.meta[SITE_KEY] = value


def site_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--site FILE (also DIAGNOSER_SITE): the desk's site profile, kept on the context."""
    return click.option(
        "--site",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="DIAGNOSER_SITE",
        expose_value=False,
        callback=_remember_site,
        help="Site profile (YAML): the desk's contacts, escalation, jurisdiction, default "
        "system and language. See docs/site-profile.md.",
    )(func)


def site_path() -> Path | None:
    """The --site (or DIAGNOSER_SITE) of the running command, if any."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(SITE_KEY) if ctx is not None else None


def make_diagnoser(rules: Path | None, knowledge: Path | None) -> Diagnoser:
    """A Diagnoser over --rules / --knowledge with the command's --site profile."""
    from ..service import Diagnoser

    # DIAGNOSER_SIMILAR=0 turns the similarity fallback of intake off (docs/intake.md)
    similar = os.environ.get("DIAGNOSER_SIMILAR", "1").strip().lower() not in _OFF
    return Diagnoser.from_paths(rules=rules, knowledge=knowledge, site=site_path(), similar=similar)


_OFF = frozenset({"0", "off", "false", "no"})


def report_language(lang: str | None, text: str, diagnoser: Diagnoser) -> str:
    """--lang, else the language of the ticket text, else the site profile's, else the locale's."""
    from ..report.labels import detect_language

    if lang:
        return lang
    if text.strip() or diagnoser.site is None or diagnoser.site.language is None:
        return detect_language(text)
    return diagnoser.site.language

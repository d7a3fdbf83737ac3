"""`diagnoser summary`: the summary report of one or more batch result files (JSONL)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from .._files import MAX_LINE, LineReadError, bounded_lines
from ..batch.summary import summary_format, write_summary
from ..errors import DiagnoserError
from ._common import EXIT_INPUT, EXIT_OUTPUT, EXIT_REJECTED, cannot_write, fail, kb_options, load_kb


class _InputError(DiagnoserError):
    """A results file that fails while it is read (not a line that is unreadable)."""


def _lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """(number, bytes) of each line of `path`; None for a line longer than MAX_LINE (a
    rejected line). Raises _InputError naming the file (and line)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise _InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        try:
            yield from bounded_lines(handle, MAX_LINE)
        except LineReadError as exc:
            raise _InputError(f"{path}:{exc.line}: cannot read: {exc.strerror}") from None


def _read(paths: tuple[Path, ...], problems: list[str]) -> Iterator[Any]:
    """The records of every results file, in order; an unreadable line becomes a rejected
    record naming the file and line, and its message is added to `problems`."""
    for path in paths:
        for number, raw in _lines(path):
            reason = None
            if raw is None:
                reason = f"a line longer than {MAX_LINE:,} bytes"
            else:
                try:
                    text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    reason = f"not UTF-8 ({exc.reason} at byte {exc.start})"
                else:
                    if not text.strip():
                        continue
                    try:
                        record = json.loads(text)
                    except json.JSONDecodeError as exc:
                        reason = f"invalid JSON: {exc.msg} (column {exc.colno})"
                    else:
                        if isinstance(record, dict):
                            yield record
                            continue
                        reason = f"not a JSON object but {type(record).__name__}"
            message = f"{path}:{number}: {reason}"
            problems.append(message)
            click.echo(f"diagnoser: error: {message}", err=True)
            yield {
                "line": number,
                "source": str(path),
                "id": None,
                "status": "error",
                "error": f"unreadable result line: {reason}",
            }


@click.command("summary")
@click.argument(
    "results",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The report: .html (self-contained page) or .md (Markdown).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="Report language (default: Chinese when most unrecognised ticket text is, else English).",
)
@click.option(
    "--by",
    "--group-by",
    "group_by",
    default="system",
    show_default=True,
    metavar="COLUMN",
    help="What 'where' groups by: the system, or a column the batch carried with --keep "
    "(in each record's extra: store, organisation), or site or region.",
)
@click.option(
    "--incidents",
    "incidents_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The incidents (JSONL) of `batch --incidents`, shown first.",
)
@kb_options
def summary(
    results: tuple[Path, ...],
    output: Path,
    lang: str | None,
    group_by: str,
    incidents_path: Path | None,
    rules: Path | None,
    knowledge: Path | None,
) -> None:
    """Summarise batch results (JSONL) into one report: what is failing, where, how badly.

    Unreadable lines are reported as FILE:LINE on stderr and counted as rejected records; the
    report is still written, and the exit code is then 5.
    """
    try:
        summary_format(output)  # an unknown suffix fails before any reading
    except DiagnoserError as exc:
        raise click.BadParameter(str(exc), param_hint="'--output'") from None
    if not output.resolve().parent.is_dir():
        fail(f"cannot write {str(output)!r}: its directory does not exist", EXIT_OUTPUT)
    incidents: list[dict[str, Any]] = []
    if incidents_path is not None:
        from ..incidents.correlate import IncidentError, read_incidents

        try:
            incidents = read_incidents(incidents_path)
        except IncidentError as exc:
            raise click.BadParameter(str(exc), param_hint="'--incidents'") from None
    kb = load_kb(rules, knowledge)
    problems: list[str] = []
    try:
        result = write_summary(
            _read(results, problems),
            output,
            kb,
            lang,  # type: ignore[arg-type]
            incidents=incidents,
            by=group_by,
        )
    except _InputError as exc:  # before the OSError of writing: reading is not writing
        fail(str(exc), EXIT_INPUT)
    except OSError as exc:
        cannot_write(output, exc)
    click.echo(
        f"{output}: {result.records} record(s), {result.diagnosed} diagnosed, "
        f"{result.undiagnosed} undiagnosed, {result.rejected} rejected, {result.p1} P1"
        + (f", {len(incidents)} incident(s)" if incidents_path is not None else ""),
        err=True,
    )
    if problems:
        click.echo(f"diagnoser: {len(problems)} unreadable line(s) counted as rejected", err=True)
        sys.exit(EXIT_REJECTED)

"""`diagnoser batch` and `diagnoser evaluate`: ticket backlogs in, one record per ticket out.

The heavy modules (the batch runner, the knowledge base) are imported inside the commands, so
that `diagnoser diagnose` does not pay for them at start-up.
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from ..batch.presets import PRESETS
from ..errors import DiagnoserError
from ._common import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_REJECTED,
    fail,
    kb_options,
    load_kb,
    site_option,
    site_path,
)

MAX_REPORTED = 20  # rejected records named on stderr; the rest are counted (see --rejects)
# Exit codes of `batch` and `evaluate` (docs/batch.md): 0 every record done; 2 usage error;
# 4 an input cannot be read at all (or a mapping is wrong); 5 the run finished but some
# records were rejected; 6 an output cannot be written (disk full, permission, locked).


def _input_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """An unreadable input or a bad mapping: exit code 4; an unwritable output: 6."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..batch.output import OutputError

        try:
            return func(*args, **kwargs)
        except OutputError as exc:
            fail(_safe(str(exc)), EXIT_OUTPUT)
        except DiagnoserError as exc:
            fail(_safe(str(exc)), EXIT_INPUT)

    return wrapper


def _safe(text: str) -> str:
    from ..batch.output import safe_text

    return safe_text(text)


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Inputs and how to read and map them: shared by batch and evaluate."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.argument("inputs", nargs=-1, required=True),
        click.option(
            "--input-format",
            type=click.Choice(["csv", "tsv", "json", "jsonl", "xlsx", "parquet"]),
            help="Input format (default: from the file name, else from the content).",
        ),
        click.option(
            "--encoding",
            help="Input encoding (default: detected: BOM, strict UTF-8, then GB18030).",
        ),
        click.option("--preset", type=click.Choice(sorted(PRESETS)), help="Helpdesk export."),
        click.option(
            "--mapping",
            "map_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Mapping file (YAML/JSON): field: Column or field: [Col1, Col2].",
        ),
        click.option(
            "--map",
            "overrides",
            multiple=True,
            metavar="FIELD=COLUMN",
            help="Read FIELD from COLUMN (repeatable; repeat a field for several columns).",
        ),
        click.option(
            "--workers",
            "-j",
            type=click.IntRange(min=0),
            default=0,
            help="Worker processes (default 0: one per core).",
        ),
        click.option(
            "--executor",
            type=click.Choice(["local", "dask"]),
            default="local",
            show_default=True,
            help="Where to run: local processes or a Dask cluster.",
        ),
        click.option(
            "--scheduler", metavar="ADDRESS", help="Dask scheduler address (--executor dask)."
        ),
        click.option(
            "--keep",
            multiple=True,
            metavar="COLUMN",
            help="Carry COLUMN as it is to the record's `extra` (repeatable; e.g. a store).",
        ),
        click.option(
            "--cache-size",
            type=click.IntRange(min=0),
            default=16384,
            show_default=True,
            help="Results cached per worker (0: no cache).",
        ),
        click.option(
            "--chunk-size",
            type=click.IntRange(min=1),
            default=500,
            show_default=True,
            help="Tickets per task.",
        ),
        kb_options,
        site_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _config(
    inputs: tuple[str, ...],
    input_format: str | None,
    encoding: str | None,
    preset: str | None,
    map_file: Path | None,
    overrides: tuple[str, ...],
    workers: int,
    executor: str,
    scheduler: str | None,
    cache_size: int,
    chunk_size: int,
    rules: Path | None,
    knowledge: Path | None,
    keep: tuple[str, ...] = (),
    label_field: str | None = None,
) -> Any:
    from ..batch import BatchConfig, ColumnMap

    for path in inputs:
        if path != "-" and not Path(path).is_file():
            raise click.BadParameter(f"{path}: no such file", param_hint="INPUT")
    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS")
    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask (or the run would be local)")
    site = site_path()
    if site is not None:  # a bad profile stops the run before any worker starts
        from ..triage.site import load_site

        load_site(site)
    return BatchConfig(
        inputs=list(inputs),
        fmt=input_format,
        encoding=encoding,
        columns=ColumnMap.build(preset, map_file, overrides, label_field, keep),
        rules=str(rules) if rules else None,
        knowledge=str(knowledge) if knowledge else None,
        site=str(site) if site else None,
        workers=workers,
        executor=executor,
        scheduler=scheduler,
        chunk_size=chunk_size,
        cache_size=cache_size,
    )


class _Reporter:
    """Progress and rejected records on stderr: a bar on a terminal, plain lines otherwise."""

    def __init__(self, quiet: bool, every: float = 10.0) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.every = every
        self.last = time.monotonic()  # the first line after `every` seconds, not at once
        self.reported = 0
        self.drawn = False

    def progress(self, status: Any) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        elapsed = max(now - status.started, 1e-9)
        rate = f"{status.records / elapsed:,.0f}/s"
        rejected = f", {status.rejected:,} rejected" if status.rejected else ""
        if self.tty:
            done = status.bytes_total and min(1.0, status.bytes_read / status.bytes_total)
            bar = ""
            if done is not None and status.bytes_total:
                filled = int(done * 30)
                bar = f"[{'#' * filled}{'.' * (30 - filled)}] {done:4.0%} "
            click.echo(f"\r{bar}{status.records:,} records, {rate}{rejected}  ", nl=False, err=True)
            self.drawn = True
        elif now - self.last >= self.every:
            self.last = now
            click.echo(f"diagnoser: {status.records:,} records ({rate}){rejected}", err=True)

    def records(self, records: list[dict[str, Any]]) -> None:
        from ..batch.output import safe_text

        if self.quiet:
            return
        for record in records:
            if record["status"] != "error":
                continue
            self.reported += 1
            if self.reported <= MAX_REPORTED:
                self.end_line()
                reason = record["error"]
                if record.get("id") and not reason.startswith("ticket "):
                    reason = f"ticket {record['id']!r}: {reason}"
                where = f"{record['source']}:{record['line']}"
                click.echo(safe_text(f"diagnoser: {where}: {reason}"), err=True)

    def end_line(self) -> None:
        if self.drawn:
            click.echo("", err=True)
            self.drawn = False


@click.command()
@input_options
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file, written atomically (default: stdout).",
)
@click.option(
    "--output-format",
    type=click.Choice(["jsonl", "csv"]),
    help="Output format (default: from the output file name, else jsonl).",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the error records (JSONL) to this file.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run of the same -o.")
@click.option(
    "--dry-run", is_flag=True, help="Show the resolved mapping and the first parsed records."
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a summary report (.html or .md).",
)
@click.option(
    "--by",
    "--group-by",
    "group_by",
    default="system",
    show_default=True,
    metavar="COLUMN",
    help="What the summary's 'where' groups by: the system, or a column carried with --keep "
    "(store, organisation), or site or region.",
)
@click.option(
    "--bom/--no-bom",
    default=True,
    show_default=True,
    help="CSV output starts with a UTF-8 byte-order mark (so Excel reads Chinese right).",
)
@click.option(
    "--incidents",
    "incidents_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Correlate tickets into incidents (rules/incidents/), written as JSONL to this file; "
    "their tickets are re-ranked and name the incident.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or rejection lines on stderr.")
@_input_errors
def batch(
    inputs: tuple[str, ...],
    input_format: str | None,
    encoding: str | None,
    preset: str | None,
    map_file: Path | None,
    overrides: tuple[str, ...],
    workers: int,
    executor: str,
    scheduler: str | None,
    keep: tuple[str, ...],
    cache_size: int,
    chunk_size: int,
    rules: Path | None,
    knowledge: Path | None,
    output: Path | None,
    output_format: str | None,
    rejects: Path | None,
    resume: bool,
    dry_run: bool,
    summary_path: Path | None,
    group_by: str,
    bom: bool,
    incidents_path: Path | None,
    quiet: bool,
) -> None:
    """Diagnose every ticket of CSV/TSV, JSON, JSONL, Excel or Parquet exports ('-' is stdin;
    .gz works).

    One record per input record, in input order; records that cannot be processed become
    error records with their line and reason. Exit codes: 0 all done, 5 some records
    rejected, 4 an input cannot be read, 6 an output cannot be written, 2 usage error.
    """
    config = _config(
        inputs,
        input_format,
        encoding,
        preset,
        map_file,
        overrides,
        workers,
        executor,
        scheduler,
        cache_size,
        chunk_size,
        rules,
        knowledge,
        keep,
    )
    from ..batch.runner import check_paths

    try:
        check_paths(config.inputs, {"-o": output, "--rejects": rejects, "--summary": summary_path})
    except DiagnoserError as exc:
        raise click.UsageError(str(exc)) from None
    if dry_run:
        _dry_run(config)
        return
    if group_by != "system" and summary_path is None:
        raise click.UsageError("--by groups the summary: give --summary FILE too")
    out_format = output_format or (
        "csv" if output is not None and output.suffix.lower() == ".csv" else "jsonl"
    )
    from ..batch import run_batch
    from ..batch.output import jsonl_line
    from ..batch.runner import state_path

    reporter = _Reporter(quiet)

    def on_commit(records: Path) -> None:
        assert summary_path is not None
        _summary(records, summary_path, config, by=group_by)

    incidents: list[dict[str, Any]] = []
    try:
        if incidents_path is not None:
            from ..incidents.batchrun import run_batch_with_incidents

            spool = (
                tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below)
                    "w", encoding="utf-8", suffix=".jsonl", delete=False
                )
                if summary_path is not None
                else None
            )
            try:
                result, incidents = run_batch_with_incidents(
                    config,
                    incidents_path,
                    output=output,
                    out_format=out_format,
                    rejects=rejects,
                    resume=resume,
                    stdout=sys.stdout if output is None else None,
                    on_records=(lambda rs: spool.writelines(map(jsonl_line, rs)))
                    if spool is not None
                    else None,
                    on_errors=reporter.records,
                    progress=reporter.progress,
                    bom=bom,
                )
                if spool is not None and summary_path is not None:
                    spool.close()
                    _summary(Path(spool.name), summary_path, config, incidents, by=group_by)
            finally:
                if spool is not None:
                    spool.close()
                    Path(spool.name).unlink(missing_ok=True)
        else:
            result = run_batch(
                config,
                output=output,
                out_format=out_format,
                rejects=rejects,
                resume=resume,
                stdout=sys.stdout if output is None else None,
                on_errors=reporter.records,
                progress=reporter.progress,
                bom=bom,
                on_commit=on_commit if summary_path is not None else None,
            )
    except KeyboardInterrupt:
        reporter.end_line()
        if output is not None and state_path(output).exists():
            done = json.loads(state_path(output).read_text(encoding="utf-8"))["records"]
            click.echo(
                f"diagnoser: interrupted; {output} is untouched; {done:,} records are kept "
                f"for --resume in {output}.partial",
                err=True,
            )
        else:
            click.echo("diagnoser: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    reporter.end_line()
    if not quiet:
        rate = result.records / max(result.seconds, 1e-9)
        where = f"; error records in {rejects}" if rejects and result.rejected else ""
        more = result.rejected - MAX_REPORTED
        hidden = f" ({more:,} not shown)" if more > 0 and not rejects else ""
        click.echo(
            f"diagnoser: {result.records:,} records in {result.seconds:.1f} s "
            f"({rate:,.0f}/s), {result.rejected:,} rejected{hidden}{where}",
            err=True,
        )
        if incidents_path is not None:
            tickets = sum(len(i["tickets"]) for i in incidents)
            click.echo(
                f"diagnoser: {len(incidents):,} incident(s) covering {tickets:,} tickets "
                f"in {incidents_path}",
                err=True,
            )
    sys.exit(EXIT_REJECTED if result.rejected else EXIT_OK)


def _summary(
    spool: Path,
    path: Path,
    config: Any,
    incidents: list[dict[str, Any]] | None = None,
    by: str = "system",
) -> None:
    from ..batch.summary import write_summary

    kb = load_kb(config.rules, config.knowledge)

    def records() -> Iterator[dict[str, Any]]:
        with spool.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

    from ..batch.output import OutputError, io_message

    try:
        write_summary(records(), path, kb=kb, incidents=incidents or (), by=by)
    except OSError as exc:
        raise OutputError(io_message(path, exc)) from None


def _dry_run(config: Any, shown: int = 5) -> None:
    from ..batch.readers import read_records

    for path in config.inputs:
        click.echo(f"== {path}")
        bound = None
        for count, raw in enumerate(read_records(path, config.fmt, config.encoding), 1):
            if raw.data is None:
                click.echo(_safe(f"  line {raw.line}: error: {raw.error}"))
            else:
                if bound is None:
                    bound = config.columns.bind(raw.columns)
                    if raw.columns is not None:
                        click.echo(f"columns: {json.dumps(raw.columns, ensure_ascii=False)}")
                    click.echo("mapping (field: columns used):")
                    for name, cols in bound.describe().items():
                        click.echo(f"  {name}: {', '.join(cols) if cols else '-'}")
                m = bound.apply(raw.data)
                shown_ticket = {
                    **m.ticket,
                    **({"label": m.label} if m.label is not None else {}),
                    **({"extra": m.extra} if m.extra else {}),
                }
                line = json.dumps(shown_ticket, ensure_ascii=False)
                text = f"  line {raw.line}: " + (f"error: {m.error}" if m.error else line)
                for warning in [*raw.warnings, *m.warnings]:
                    text += f"\n    warning: {warning}"
                click.echo(_safe(text))
            if count >= shown:
                break


@click.command()
@input_options
@click.option(
    "--label-field",
    metavar="COLUMN",
    help="Column holding the resolved root cause (a fault id, or a list: first = root); "
    "default: expected, label or root_cause, or the preset's; same as --map label=COLUMN.",
)
@click.option(
    "--label-map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML/JSON file: the desk's root-cause names -> fault ids (null: not a fault).",
)
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--misses/--no-misses", default=True, help="List the tickets diagnosed wrongly.")
@_input_errors
def evaluate(
    inputs: tuple[str, ...],
    input_format: str | None,
    encoding: str | None,
    preset: str | None,
    map_file: Path | None,
    overrides: tuple[str, ...],
    workers: int,
    executor: str,
    scheduler: str | None,
    keep: tuple[str, ...],
    cache_size: int,
    chunk_size: int,
    rules: Path | None,
    knowledge: Path | None,
    label_field: str | None,
    label_map: Path | None,
    fmt: str,
    misses: bool,
) -> None:
    """Accuracy on labelled tickets: top-1 / top-3 per fault and category, confusion, misses.

    Reads every format `batch` reads; the label is a field mapped like any other.
    """
    from ..batch.evaluation import evaluate_records, format_text, load_label_map
    from ..batch.runner import iter_records

    config = _config(
        inputs,
        input_format,
        encoding,
        preset,
        map_file,
        overrides,
        workers,
        executor,
        scheduler,
        cache_size,
        chunk_size,
        rules,
        knowledge,
        keep,
        label_field,
    )
    names = load_label_map(label_map) if label_map is not None else None
    kb = load_kb(config.rules, config.knowledge)
    label_name = " or ".join(repr(c) for c in config.columns.fields["label"]) or "'label'"
    result = evaluate_records(iter_records(config), set(kb.faults), label_name, names)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(_safe(format_text(result, show_misses=misses)), nl=False)
    for error in result.errors:
        click.echo(_safe(f"diagnoser: {error}"), err=True)
    sys.exit(EXIT_REJECTED if result.errors else EXIT_OK)

"""`diagnoser batch --incidents FILE`: a batch run, then correlation, then the output re-ranked.

Correlation needs every ticket before any incident is known. With an output file the run is
the ordinary transactional batch run (so `--resume` works); its commit step correlates the
JSONL of every committed record (the whole output, resumed or not), then writes the output
again in input order, members of an incident re-ranked and naming it, and the incidents. A kill
during that step leaves the checkpoint at "committing": `--resume` does the step again. To
standard output, the records go to a spool file first. Only a short report per matching ticket
is kept in memory.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .._files import write_atomic
from ..batch.errors import InputError
from ..batch.output import AtomicFile, Encoder, jsonl_line
from ..batch.runner import BatchConfig, BatchResult, Progress, diagnoser_for, run_batch
from ..service import Diagnoser
from . import apply_incidents
from .correlate import Correlator, Incident

CHUNK = 500


def run_batch_with_incidents(
    config: BatchConfig,
    incidents_path: Path,
    output: Path | None = None,
    out_format: str = "jsonl",
    rejects: Path | None = None,
    resume: bool = False,
    stdout: TextIO | None = None,
    on_records: Callable[[list[dict[str, Any]]], None] | None = None,
    on_errors: Callable[[list[dict[str, Any]]], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    bom: bool = True,
    checkpoint_every: float = 1.0,
) -> tuple[BatchResult, list[dict[str, Any]]]:
    """Run a batch, correlate its records, write the output and the incidents (JSONL).

    `on_records` sees every final record (re-ranked where it joined an incident), in order.
    """
    diagnoser = diagnoser_for(config.kb_spec())
    kb = diagnoser.kb
    if output is not None:
        found_dicts: list[dict[str, Any]] = []

        def commit(records: Path) -> None:
            found = _correlate(records, diagnoser)
            target = AtomicFile(output)
            try:
                _write(records, found, diagnoser, out_format, config, bom, target.write, on_records)
                target.commit()
            except BaseException:
                target.discard()
                raise
            incidents = [i.as_dict(kb.faults[i.rule.then.fault].category) for i in found]
            write_atomic(incidents_path, "".join(jsonl_line(i) for i in incidents))
            found_dicts[:] = incidents

        result = run_batch(
            config,
            output=output,
            out_format=out_format,
            rejects=rejects,
            resume=resume,
            on_errors=on_errors,
            progress=progress,
            bom=bom,
            on_commit=commit,
            commit_tag="incidents",
            checkpoint_every=checkpoint_every,
        )
        return result, found_dicts
    if resume:
        raise InputError("--resume needs an output file (-o)")

    with tempfile.TemporaryDirectory(prefix="diagnoser-") as tmp:
        spool = Path(tmp) / "records.jsonl"
        result = run_batch(
            config,
            output=spool,
            out_format="jsonl",
            rejects=rejects,
            on_errors=on_errors,
            progress=progress,
        )
        found = _correlate(spool, diagnoser)
        write = stdout.write if stdout is not None else None
        _write(spool, found, diagnoser, out_format, config, bom, write, on_records)
    incidents = [i.as_dict(kb.faults[i.rule.then.fault].category) for i in found]
    write_atomic(incidents_path, "".join(jsonl_line(i) for i in incidents))
    return result, incidents


def _correlate(records: Path, diagnoser: Diagnoser) -> list[Incident]:
    correlator = Correlator(list(diagnoser.kb.incident_rules.values()))
    for record in _read(records):
        correlator.add_record(record)
    return correlator.incidents()


def _write(
    records: Path,
    found: list[Incident],
    diagnoser: Diagnoser,
    out_format: str,
    config: BatchConfig,
    bom: bool,
    write: Callable[[str], Any] | None,
    on_records: Callable[[list[dict[str, Any]]], None] | None,
) -> None:
    """The records again, in order, members re-ranked: to `write` and to `on_records`."""
    encoder = Encoder(out_format, keep=config.columns.keep, bom=bom)
    if write is not None:
        write(encoder.header())
    for chunk in _chunks(apply_incidents(_read(records), found, diagnoser)):
        if write is not None:
            write(encoder.encode(chunk))
        if on_records is not None:
            on_records(chunk)


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _chunks(records: Any) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

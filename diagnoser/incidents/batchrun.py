"""`diagnoser batch --incidents FILE`: a batch run, then correlation, then the output re-ranked.

The run writes its records to a spool file first (correlation needs every ticket before any
incident is known), keeping only a short report per matching ticket in memory; then the records
are written to the real output in input order, members of an incident re-ranked and naming it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .._files import write_atomic
from ..batch.output import AtomicFile, Encoder, jsonl_line
from ..batch.runner import BatchConfig, BatchResult, Progress, diagnoser_for, run_batch
from . import apply_incidents
from .correlate import Correlator

CHUNK = 500


def run_batch_with_incidents(
    config: BatchConfig,
    incidents_path: Path,
    output: Path | None = None,
    out_format: str = "jsonl",
    rejects: Path | None = None,
    stdout: TextIO | None = None,
    on_records: Callable[[list[dict[str, Any]]], None] | None = None,
    on_errors: Callable[[list[dict[str, Any]]], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    bom: bool = True,
) -> tuple[BatchResult, list[dict[str, Any]]]:
    """Run a batch, correlate its records, write the output and the incidents (JSONL).

    `on_records` sees every final record (re-ranked where it joined an incident), in order.
    """
    diagnoser = diagnoser_for(config.kb_spec())
    correlator = Correlator(list(diagnoser.kb.incident_rules.values()))

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
        for record in _read(spool):
            correlator.add_record(record)
        found = correlator.incidents()
        encoder = Encoder(out_format, keep=config.columns.keep, bom=bom)
        target = AtomicFile(output) if output is not None else None
        write = target.write if target is not None else (stdout.write if stdout else None)
        try:
            if write is not None:
                write(encoder.header())
            for chunk in _chunks(apply_incidents(_read(spool), found, diagnoser)):
                if write is not None:
                    write(encoder.encode(chunk))
                if on_records is not None:
                    on_records(chunk)
            if target is not None:
                target.commit()
        except BaseException:
            if target is not None:
                target.discard()
            raise
    kb = diagnoser.kb
    incidents = [i.as_dict(kb.faults[i.rule.then.fault].category) for i in found]
    write_atomic(incidents_path, "".join(jsonl_line(i) for i in incidents))
    return result, incidents


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

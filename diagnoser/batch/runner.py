"""Running a batch: inputs -> mapped tickets -> chunks -> executors -> records, in input order.

Exactly one output record per input record. The main process reads and maps; workers (local
processes, or Dask workers) each build one Diagnoser from the knowledge-base paths and diagnose
whole chunks. At most a few chunks per worker are in flight, so memory does not grow with the
backlog, and results are taken in submission order, so the output does not depend on the number
of workers.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .._files import write_atomic
from ..errors import DiagnoserError
from ..result import SCHEMA_VERSION
from ..service import Diagnoser
from .errors import InputError
from .mapping import BoundMap, ColumnMap
from .output import AtomicFile, Encoder
from .readers import read_records

# (source, line, ticket, label, error)
Item = tuple[str, int, dict[str, Any] | None, Any, str | None]
EXECUTORS = ("local", "dask")


@dataclass
class BatchConfig:
    """What to read, how to map it, which knowledge base, how to run."""

    inputs: list[str]
    fmt: str | None = None
    encoding: str | None = None
    columns: ColumnMap = field(default_factory=ColumnMap.build)
    rules: str | None = None
    knowledge: str | None = None
    workers: int = 0  # 0: one per core
    executor: str = "local"
    scheduler: str | None = None
    chunk_size: int = 500
    cache_size: int = 16384

    def kb_spec(self) -> tuple[str | None, str | None, int]:
        return self.rules, self.knowledge, self.cache_size

    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


@dataclass
class Progress:
    """Where a run is: records done, rejected, and input bytes read of the total (if known)."""

    records: int = 0
    rejected: int = 0
    bytes_read: int = 0
    bytes_total: int | None = None
    started: float = field(default_factory=time.monotonic)


# --- workers --------------------------------------------------------------------------------

_DIAGNOSERS: dict[tuple[str | None, str | None, int], Diagnoser] = {}


def diagnoser_for(spec: tuple[str | None, str | None, int]) -> Diagnoser:
    """The Diagnoser of this process for a knowledge base (built once per process)."""
    diagnoser = _DIAGNOSERS.get(spec)
    if diagnoser is None:
        rules, knowledge, cache_size = spec
        diagnoser = _DIAGNOSERS[spec] = Diagnoser.from_paths(
            rules=rules, knowledge=knowledge, cache_size=cache_size
        )
    return diagnoser


def diagnose_items(diagnoser: Diagnoser, items: list[Item]) -> list[dict[str, Any]]:
    """One record per item, in order: a diagnosis, or an error record with its reason."""
    out = []
    diagnose = diagnoser.diagnose_record
    for source, line, ticket, label, error in items:
        record: dict[str, Any]
        if error is None and ticket is not None:
            try:
                record = {"line": line, "source": source, "status": "ok", **diagnose(ticket)}
            except DiagnoserError as exc:
                error = str(exc)
            except Exception as exc:  # a bug must not lose the record, nor the run
                error = f"internal error: {type(exc).__name__}: {exc}"
        if error is not None:
            ticket_id = ticket.get("id") if ticket else None
            record = {
                "schema_version": SCHEMA_VERSION,
                "line": line,
                "source": source,
                "id": None if ticket_id is None else str(ticket_id),
                "status": "error",
                "error": error,
            }
        if label is not None:
            record["label"] = label
        out.append(record)
    return out


def _init_worker(spec: tuple[str | None, str | None, int]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    diagnoser_for(spec)


def _work(spec: tuple[str | None, str | None, int], items: list[Item]) -> list[dict[str, Any]]:
    return diagnose_items(diagnoser_for(spec), items)


# --- reading ---------------------------------------------------------------------------------


def iter_items(config: BatchConfig, progress: Progress | None = None) -> Iterator[Item]:
    """Every input record, mapped to a ticket (or carrying the reason it cannot be)."""
    if progress is not None:
        sizes = [
            os.path.getsize(p) if p != "-" and os.path.isfile(p) else None for p in config.inputs
        ]
        progress.bytes_total = None if None in sizes else sum(s for s in sizes if s is not None)
    done_bytes = 0
    for path in config.inputs:
        bound: BoundMap | None = None
        for raw in read_records(path, config.fmt, config.encoding):
            if raw.data is None:
                yield path, raw.line, None, None, raw.error
                continue
            if bound is None:
                bound = config.columns.bind(raw.columns)
            ticket, label, error = bound.apply(raw.data)
            yield path, raw.line, ticket, label, error
        if progress is not None and path != "-" and os.path.isfile(path):
            done_bytes += os.path.getsize(path)
            progress.bytes_read = done_bytes


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _skip(items: Iterator[Item], count: int) -> Iterator[Item]:
    for _ in range(count):
        if next(items, None) is None:
            raise InputError(
                f"--resume: the inputs hold fewer than the {count} records already written"
            )
    return items


# --- executors -------------------------------------------------------------------------------


def _local(config: BatchConfig, chunks: Iterator[list[Item]]) -> Iterator[list[dict[str, Any]]]:
    workers = config.worker_count()
    spec = config.kb_spec()
    first = next(chunks, None)
    second = next(chunks, None)
    if first is None:
        return
    if workers == 1 or second is None:  # one chunk is not worth starting processes for
        diagnoser = diagnoser_for(spec)
        for chunk in itertools.chain((first,), () if second is None else (second,), chunks):
            yield diagnose_items(diagnoser, chunk)
        return
    chunks = itertools.chain((first, second), chunks)
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ProcessPoolExecutor(workers, context, _init_worker, (spec,))
    pending: deque[Future[list[dict[str, Any]]]] = deque()
    try:
        for chunk in chunks:
            pending.append(pool.submit(_work, spec, chunk))
            if len(pending) >= workers * 3:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(config: BatchConfig, chunks: Iterator[list[Item]]) -> Iterator[list[dict[str, Any]]]:
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "the Dask executor needs the dask extra: pip install 'diagnoser[dask]'"
        ) from None
    if not config.scheduler:
        raise InputError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
    spec = config.kb_spec()
    try:
        client = Client(config.scheduler, timeout="20s", set_as_default=False)
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler {config.scheduler}: {exc}") from None
    try:
        window = max(4, 3 * max(1, sum(client.nthreads().values())))
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(client.submit(_work, spec, chunk, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        client.close()


def iter_results(
    config: BatchConfig, skip: int = 0, progress: Progress | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Chunks of output records, in input order (after the first `skip` records)."""
    if config.executor not in EXECUTORS:
        raise InputError(f"unknown executor {config.executor!r}; use one of {', '.join(EXECUTORS)}")
    items = iter_items(config, progress)
    if skip:
        items = _skip(items, skip)
    chunks = _chunks(items, config.chunk_size)
    run = _dask if config.executor == "dask" else _local
    yield from run(config, chunks)


def iter_records(config: BatchConfig) -> Iterator[dict[str, Any]]:
    """Every output record, in input order."""
    for chunk in iter_results(config):
        yield from chunk


# --- a whole run with its output files --------------------------------------------------------


@dataclass
class BatchResult:
    """How a run went."""

    records: int = 0
    rejected: int = 0
    resumed_from: int = 0
    seconds: float = 0.0


def fingerprint(config: BatchConfig, out_format: str) -> str:
    """What must not change between a run and its --resume."""
    inputs = []
    for path in config.inputs:
        stat = os.stat(path) if path != "-" else None
        inputs.append(
            [
                os.path.abspath(path),
                stat.st_size if stat else None,
                stat.st_mtime_ns if stat else None,
            ]
        )
    data = {
        "inputs": inputs,
        "format": config.fmt,
        "encoding": config.encoding,
        "columns": [
            sorted(config.columns.fields.items()),
            sorted(config.columns.metric_columns.items()),
        ],
        "rules": config.rules,
        "knowledge": config.knowledge,
        "out_format": out_format,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def state_path(output: Path) -> Path:
    """The checkpoint file of a run writing `output`."""
    return output.with_name(output.name + ".partial.state")


def run_batch(
    config: BatchConfig,
    output: Path | None = None,
    out_format: str = "jsonl",
    rejects: Path | None = None,
    resume: bool = False,
    stdout: TextIO | None = None,
    on_records: Callable[[list[dict[str, Any]]], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    checkpoint_every: float = 1.0,
) -> BatchResult:
    """Run a batch to `output` (or `stdout`), error records also to `rejects`.

    Output files are written atomically; after an interruption, `resume=True` continues from
    the last checkpoint. `on_records` sees every chunk of records; `progress` is called now
    and then (and once at the end) with a Progress.
    """
    if "-" in config.inputs and resume:
        raise InputError("--resume cannot re-read stdin; give the input as a file")
    if resume and output is None:
        raise InputError("--resume needs an output file (-o)")
    started = time.monotonic()
    result = BatchResult()
    state: dict[str, Any] = {"records": 0, "rejected": 0, "out_bytes": 0, "rejects_bytes": 0}
    print_ = fingerprint(config, out_format) if output is not None else ""
    if output is not None and resume:
        try:
            saved = json.loads(state_path(output).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(f"--resume: no interrupted run of {output} to continue") from None
        if saved.get("fingerprint") != print_:
            raise InputError(
                f"--resume: the inputs or options differ from the interrupted run of {output}"
            )
        if bool(saved.get("rejects")) != bool(rejects):
            raise InputError("--resume: give the same --rejects as the interrupted run")
        state.update({k: saved[k] for k in state})
    encoder = Encoder(out_format)
    rejects_encoder = Encoder("jsonl")
    out_file = rej_file = None
    resuming = resume and output is not None
    try:
        if output is not None:
            out_file = AtomicFile(output, state["out_bytes"] if resuming else None)
            if not resuming:
                out_file.write(encoder.header())
        elif stdout is not None:
            stdout.write(encoder.header())
        if rejects is not None:
            rej_file = AtomicFile(rejects, state["rejects_bytes"] if resuming else None)

        def checkpoint() -> None:
            if output is None:
                return
            assert out_file is not None
            state["out_bytes"] = out_file.sync()
            if rej_file is not None:
                state["rejects_bytes"] = rej_file.sync()
            saved = {**state, "fingerprint": print_, "rejects": str(rejects) if rejects else ""}
            write_atomic(state_path(output), json.dumps(saved))

        checkpoint()
        result.resumed_from = state["records"]
        status = Progress(records=state["records"], rejected=state["rejected"])
        last = time.monotonic()
        for records in iter_results(config, skip=state["records"], progress=status):
            text = encoder.encode(records)
            errors = [r for r in records if r["status"] == "error"]
            if out_file is not None:
                out_file.write(text)
            elif stdout is not None:
                stdout.write(text)
            if rej_file is not None and errors:
                rej_file.write(rejects_encoder.encode(errors))
            state["records"] += len(records)
            state["rejected"] += len(errors)
            if on_records is not None:
                on_records(records)
            status.records, status.rejected = state["records"], state["rejected"]
            now = time.monotonic()
            if now - last >= checkpoint_every:
                checkpoint()
                last = now
                if progress is not None:
                    progress(status)
        if out_file is not None:
            checkpoint()
            out_file.commit()
        if rej_file is not None:
            rej_file.commit()
        if output is not None:
            state_path(output).unlink(missing_ok=True)
        if progress is not None:
            progress(status)
    except BaseException:
        # keep what the last checkpoint covers, for --resume; the targets are untouched
        for handle in (out_file, rej_file):
            if handle is not None:
                handle.close()
        if output is None and rej_file is not None:
            rej_file.discard()
        raise
    result.records = state["records"]
    result.rejected = state["rejected"]
    result.seconds = time.monotonic() - started
    return result

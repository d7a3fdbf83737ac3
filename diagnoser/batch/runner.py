"""Running a batch: inputs -> mapped tickets -> chunks -> executors -> records, in input order.

Exactly one output record per input record. The main process reads; workers (local processes,
or Dask workers) each build one Diagnoser from the knowledge-base paths and diagnose whole
chunks. A JSONL line crosses to a worker as the text the main process decoded, and the worker
parses and maps it (the other formats are mapped in the main process). At most a few chunks
per worker are in flight, so memory does not grow with the backlog, and results are taken
in submission order, so the output does not depend on the number of workers.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from .._files import fsync_directory, write_atomic
from ..errors import DiagnoserError
from ..result import SCHEMA_VERSION
from ..service import Diagnoser
from .errors import InputError
from .mapping import BoundMap, ColumnMap
from .output import AtomicFile, Encoder, OutputError, io_message, partial_path
from .readers import jsonl_raw, read_records

# (source, line, ticket, label, error, warnings, extra)
Item = tuple[str, int, dict[str, Any] | None, Any, str | None, list[str], dict[str, Any]]
# a JSONL line decoded but not parsed: (source, line, text, warnings); see resolve_items
Pending = tuple[str, int, str, tuple[str, ...]]
EXECUTORS = ("local", "dask")
# tickets the main process diagnoses itself before it forks the workers (see _local)
WARM_UP = 100


# (rules, knowledge, cache size, site profile): what a worker builds its Diagnoser from
KbSpec = tuple[str | None, str | None, int, str | None]


@dataclass
class BatchConfig:
    """What to read, how to map it, which knowledge base, how to run."""

    inputs: list[str]
    fmt: str | None = None
    encoding: str | None = None
    columns: ColumnMap = field(default_factory=ColumnMap.build)
    rules: str | None = None
    knowledge: str | None = None
    site: str | None = None  # a site profile: its default system applies to every ticket
    workers: int = 0  # 0: one per core
    executor: str = "local"
    scheduler: str | None = None
    chunk_size: int = 500
    cache_size: int = 16384

    def kb_spec(self) -> KbSpec:
        return self.rules, self.knowledge, self.cache_size, self.site

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

_DIAGNOSERS: dict[KbSpec, Diagnoser] = {}


def diagnoser_for(spec: KbSpec) -> Diagnoser:
    """The Diagnoser of this process for a knowledge base (built once per process)."""
    diagnoser = _DIAGNOSERS.get(spec)
    if diagnoser is None:
        rules, knowledge, cache_size, site = spec
        diagnoser = _DIAGNOSERS[spec] = Diagnoser.from_paths(
            rules=rules, knowledge=knowledge, cache_size=cache_size, site=site
        )
    return diagnoser


_BOUND: dict[tuple[Any, ...], BoundMap] = {}


def _bound(columns: ColumnMap) -> BoundMap:
    """`columns` bound for records without a header (JSONL), once per process and mapping:
    the bound map remembers the key sets it has met (BoundMap._plan)."""
    key = (
        tuple(columns.fields.items()),
        tuple(columns.metric_columns.items()),
        columns.preset,
        columns.keep,
    )
    bound = _BOUND.get(key)
    if bound is None:
        if len(_BOUND) >= 8:
            _BOUND.clear()
        bound = _BOUND[key] = columns.bind(None)
    return bound


def resolve_items(chunk: list[Item | Pending], columns: ColumnMap) -> list[Item]:
    """The items of a chunk, its Pending JSONL lines parsed and mapped with `columns`: the
    item iter_items would have made of the line in the main process."""
    out: list[Item] = []
    bound: BoundMap | None = None
    for entry in chunk:
        if len(entry) != 4:
            out.append(entry)  # an Item (7 fields)
            continue
        source, line, text, notes = entry
        raw = jsonl_raw(line, text, notes)
        if raw.data is None:
            out.append((source, line, None, None, raw.error, list(raw.warnings), {}))
            continue
        if bound is None:
            bound = _bound(columns)
        m = bound.apply(raw.data)
        out.append(
            (source, line, m.ticket, m.label, m.error, [*raw.warnings, *m.warnings], m.extra)
        )
    return out


def diagnose_items(diagnoser: Diagnoser, items: list[Item]) -> list[dict[str, Any]]:
    """One record per item, in order: a diagnosis, or an error record with its reason."""
    out = []
    diagnose = diagnoser.diagnose_record
    for source, line, ticket, label, error, warnings, extra in items:
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
        if warnings:
            record["warnings"] = warnings
        if extra:
            record["extra"] = extra
        out.append(record)
    return out


@dataclass(frozen=True)
class Encoding:
    """How workers encode their records: the output format, and which side texts."""

    out_format: str
    keep: tuple[str, ...] = ()
    rejects: bool = False
    spool: bool = False  # JSONL of every record (for a summary)


@dataclass
class Encoded:
    """A chunk of records as the UTF-8 bytes to write (encoded where the records were made,
    so the main process, one for all the workers, only writes them)."""

    count: int
    rejected: int
    out: bytes
    rejects: bytes
    spool: bytes
    errors: list[dict[str, Any]]


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def encode_records(records: list[dict[str, Any]], how: Encoding) -> Encoded:
    errors = [r for r in records if r["status"] == "error"]
    out = _utf8(Encoder(how.out_format, how.keep).encode(records))
    jsonl = Encoder("jsonl")
    spool = (
        b"" if not how.spool else out if how.out_format == "jsonl" else _utf8(jsonl.encode(records))
    )
    rejects = _utf8(jsonl.encode(errors)) if how.rejects and errors else b""
    return Encoded(len(records), len(errors), out, rejects, spool, errors)


def _watch_parent(parent: int) -> None:
    """End this worker when the main process is gone (even killed with SIGKILL), so that no
    worker outlives it holding the caller's pipes open."""
    try:  # Linux: the kernel signals us when the parent dies
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - other platforms: the thread below
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    import threading

    threading.Thread(target=watch, name="diagnoser-parent-watch", daemon=True).start()


@contextmanager
def _long_lived() -> Iterator[None]:
    """Leave every object that exists now out of the garbage collector's passes while a batch
    runs, and hand them back to it afterwards.

    The objects are mostly the Diagnoser's (its knowledge base, rules and vocabulary: some
    hundreds of thousands), alive for the whole run. A batch makes many short-lived
    containers per ticket, so the collector runs often, and each of its full passes walked
    all of those objects again (about 3 % of a batch's CPU over all processes). Forked
    workers inherit the frozen set, and their passes no longer write to the pages they share
    with the main process. A set frozen by someone else is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _init_worker(spec: KbSpec, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    _watch_parent(parent)
    diagnoser_for(spec)
    gc.freeze()  # this process ends with the pool: what it holds now lives as long (_long_lived)


def _work(
    spec: KbSpec,
    chunk: list[Item | Pending],
    how: Encoding | None = None,
    columns: ColumnMap | None = None,
) -> list[dict[str, Any]] | Encoded:
    items = resolve_items(chunk, columns) if columns is not None else chunk
    # a worker diagnoses many chunks: the full rule network at once (inherited when forked)
    diagnoser = diagnoser_for(spec).prepare(engine=True)
    records = diagnose_items(diagnoser, items)  # type: ignore[arg-type]
    return records if how is None else encode_records(records, how)


# --- reading ---------------------------------------------------------------------------------


def iter_items(config: BatchConfig, progress: Progress | None = None) -> Iterator[Item]:
    """Every input record, mapped to a ticket (or carrying the reason it cannot be)."""
    yield from cast(Iterator[Item], _read(config, progress, defer=False))  # no Pending


def _read(config: BatchConfig, progress: Progress | None, defer: bool) -> Iterator[Item | Pending]:
    """Every input record as an Item, or with `defer` a JSONL line as Pending (one per record
    either way, so a --resume skips the same records)."""
    if progress is not None:
        sizes = [
            os.path.getsize(p) if p != "-" and os.path.isfile(p) else None for p in config.inputs
        ]
        progress.bytes_total = None if None in sizes else sum(s for s in sizes if s is not None)
    done_bytes = 0
    for path in config.inputs:
        bound: BoundMap | None = None
        for raw in read_records(path, config.fmt, config.encoding, defer):
            if raw.text is not None:
                yield path, raw.line, raw.text, raw.warnings
                continue
            if raw.data is None:
                yield path, raw.line, None, None, raw.error, list(raw.warnings), {}
                continue
            if bound is None:
                bound = config.columns.bind(raw.columns)
            m = bound.apply(raw.data)
            yield path, raw.line, m.ticket, m.label, m.error, [*raw.warnings, *m.warnings], m.extra
        if progress is not None and path != "-" and os.path.isfile(path):
            done_bytes += os.path.getsize(path)
            progress.bytes_read = done_bytes


def _chunks(items: Iterator[Item | Pending], size: int) -> Iterator[list[Item | Pending]]:
    chunk: list[Item | Pending] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _skip(items: Iterator[Item | Pending], count: int) -> Iterator[Item | Pending]:
    for _ in range(count):
        if next(items, None) is None:
            raise InputError(
                f"--resume: the inputs hold fewer than the {count} records already written"
            )
    return items


# --- executors -------------------------------------------------------------------------------


def _local(
    config: BatchConfig, chunks: Iterator[list[Item | Pending]], how: Encoding | None
) -> Iterator[Any]:
    workers = config.worker_count()
    spec = config.kb_spec()
    first = next(chunks, None)
    second = next(chunks, None)
    if first is None:
        return
    if workers == 1 or second is None:  # one chunk is not worth starting processes for
        diagnoser = diagnoser_for(spec)
        if second is not None and len(first) >= WARM_UP:  # many tickets: the full network now
            diagnoser.prepare(engine=True)
        with _long_lived():
            for chunk in itertools.chain((first,), () if second is None else (second,), chunks):
                records = diagnose_items(diagnoser, resolve_items(chunk, config.columns))
                yield records if how is None else encode_records(records, how)
        return
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    if fork:
        # built and compiled once, here: forked workers inherit it instead of each loading the
        # knowledge base, compiling the vocabulary and building the rule network again
        diagnoser = diagnoser_for(spec).prepare(engine=True)
        # and warmed on the first tickets, diagnosed here: what they compile on first use
        # (the regexes of the vocabulary parts they meet) and the cache entries they make are
        # inherited too, instead of each worker making its own
        head, first = first[:WARM_UP], first[WARM_UP:]
        with _long_lived():
            records = diagnose_items(diagnoser, resolve_items(head, config.columns))
        yield records if how is None else encode_records(records, how)
    chunks = itertools.chain((first, second) if first else (second,), chunks)
    context = multiprocessing.get_context("fork" if fork else "spawn")
    with _long_lived():
        pool = ProcessPoolExecutor(workers, context, _init_worker, (spec, os.getpid()))
        pending: deque[Future[Any]] = deque()
        try:
            for chunk in chunks:
                pending.append(pool.submit(_work, spec, chunk, how, config.columns))
                if len(pending) >= workers * 3:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)


def _dask(
    config: BatchConfig, chunks: Iterator[list[Item | Pending]], how: Encoding | None
) -> Iterator[Any]:
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
            pending.append(client.submit(_work, spec, chunk, how, config.columns, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        client.close()


def iter_results(
    config: BatchConfig,
    skip: int = 0,
    progress: Progress | None = None,
    how: Encoding | None = None,
) -> Iterator[Any]:
    """Chunks of output records (or, with `how`, their Encoded texts), in input order, after
    the first `skip` records."""
    if config.executor not in EXECUTORS:
        raise InputError(f"unknown executor {config.executor!r}; use one of {', '.join(EXECUTORS)}")
    items = _read(config, progress, defer=True)  # JSONL lines are parsed where diagnosed
    if skip:
        items = _skip(items, skip)
    chunks = _chunks(items, config.chunk_size)
    run = _dask if config.executor == "dask" else _local
    yield from run(config, chunks, how)


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


def fingerprint(config: BatchConfig, out_format: str, extra: Any = None) -> str:
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
            list(config.columns.keep),
        ],
        "rules": config.rules,
        "knowledge": config.knowledge,
        "out_format": out_format,
        "extra": extra,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def state_path(output: Path) -> Path:
    """The checkpoint file of a run writing `output`."""
    return output.with_name(output.name + ".partial.state")


def spool_path(output: Path) -> Path:
    """Every record of a run writing `output` as JSONL, kept for its summary."""
    return output.with_name(output.name + ".partial.records")


def check_paths(inputs: list[str], outputs: dict[str, Path | None]) -> None:
    """Every output path distinct from the others and from the inputs (InputError if not)."""
    seen: dict[str, str] = {}
    for source in inputs:
        if source != "-":
            seen[os.path.realpath(source)] = f"input {source}"
    for option, path in outputs.items():
        if path is None:
            continue
        real = os.path.realpath(path)
        names = {real, os.path.realpath(partial_path(path)), os.path.realpath(state_path(path))}
        for name in names:
            if name in seen:
                raise InputError(f"{option} {path} is the same file as {seen[name]}")
        for name in names:
            seen[name] = f"{option} {path}"


def _finish(output: Path, rejects: Path | None) -> None:
    """The renames of a committing run, any of which may already be done."""
    for target in (rejects, output):
        if target is not None and partial_path(target).exists():
            try:
                os.replace(partial_path(target), target)
            except OSError as exc:
                raise OutputError(io_message(target, exc)) from None
    fsync_directory(output.parent)


def run_batch(
    config: BatchConfig,
    output: Path | None = None,
    out_format: str = "jsonl",
    rejects: Path | None = None,
    resume: bool = False,
    stdout: TextIO | None = None,
    on_errors: Callable[[list[dict[str, Any]]], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    checkpoint_every: float = 1.0,
    bom: bool = True,
    on_commit: Callable[[Path], None] | None = None,
    commit_tag: str = "",
) -> BatchResult:
    """Run a batch to `output` (or `stdout`), error records also to `rejects`.

    `output`, `rejects`, the records kept for `on_commit` and the checkpoint are one
    transaction. Records go to `FILE.partial` files, locked so that a second run on the same
    output fails at once; a checkpoint `OUT.partial.state` (written atomically about every
    `checkpoint_every` seconds) says how many records and bytes of each are on disk. The end
    is a commit: the checkpoint says "committing", the partial files are renamed over the
    targets, `on_commit(records)` runs on the JSONL of every record (a summary is built from
    the whole output, resumed or not), and the checkpoint is removed. After a kill at any
    instant, `resume=True` carries on from the last checkpoint, or finishes the commit.
    `commit_tag` names what `on_commit` does (a --resume must do the same).
    `on_errors` sees the error records of every chunk; `progress` is called now and then
    (and once at the end) with a Progress.
    """
    if "-" in config.inputs and resume:
        raise InputError("--resume cannot re-read stdin; give the input as a file")
    if resume and output is None:
        raise InputError("--resume needs an output file (-o)")
    check_paths(config.inputs, {"-o": output, "--rejects": rejects})
    started = time.monotonic()
    result = BatchResult()
    state: dict[str, Any] = {
        "records": 0,
        "rejected": 0,
        "out_bytes": 0,
        "rejects_bytes": 0,
        "spool_bytes": 0,
    }
    keep = config.columns.keep
    print_ = ""
    if output is not None:
        tag = [commit_tag] if commit_tag else []
        print_ = fingerprint(config, out_format, [bom, bool(rejects), on_commit is not None, *tag])
    saved: dict[str, Any] = {}
    if output is not None and resume:
        try:
            saved = json.loads(state_path(output).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(f"--resume: no interrupted run of {output} to continue") from None
        if saved.get("fingerprint") != print_:
            raise InputError(
                f"--resume: the inputs or options differ from the interrupted run of {output}"
            )
        if saved.get("rejects", "") != (str(rejects) if rejects else ""):
            raise InputError("--resume: give the same --rejects as the interrupted run")
        state.update({k: saved.get(k, 0) for k in state})
        if saved.get("phase") == "committing":  # killed while committing: finish it
            _finish(output, rejects)
            if on_commit is not None:
                on_commit(partial_path(spool_path(output)))
            partial_path(spool_path(output)).unlink(missing_ok=True)
            state_path(output).unlink(missing_ok=True)
            result.records, result.rejected = state["records"], state["rejected"]
            result.resumed_from = state["records"]
            return result
    how = Encoding(out_format, keep, rejects is not None, on_commit is not None)
    header = Encoder(out_format, keep, bom).header()
    files: dict[str, AtomicFile] = {}
    temp_spool: Path | None = None
    resuming = resume and output is not None
    try:
        if output is not None:
            files["out"] = AtomicFile(output, state["out_bytes"] if resuming else None)
            if not resuming:  # this run owns the output now; an older checkpoint is void
                state_path(output).unlink(missing_ok=True)
                files["out"].write(header)
            if on_commit is not None:
                at = state["spool_bytes"] if resuming else None
                files["spool"] = AtomicFile(spool_path(output), at)
        elif stdout is not None:
            stdout.write(header)
        if on_commit is not None and output is None:
            import tempfile

            fd, name = tempfile.mkstemp(suffix=".jsonl", prefix="diagnoser-records-")
            os.close(fd)
            temp_spool = Path(name)
            files["spool"] = AtomicFile(temp_spool)
        if rejects is not None:
            files["rejects"] = AtomicFile(rejects, state["rejects_bytes"] if resuming else None)

        def checkpoint(phase: str = "running") -> None:
            if output is None:
                return
            for key, handle in files.items():
                state[f"{key}_bytes"] = handle.sync()
            saved = {
                **state,
                "fingerprint": print_,
                "rejects": str(rejects) if rejects else "",
                "phase": phase,
            }
            try:
                write_atomic(state_path(output), json.dumps(saved))
            except OSError as exc:
                raise OutputError(io_message(state_path(output), exc)) from None

        checkpoint()
        result.resumed_from = state["records"]
        status = Progress(records=state["records"], rejected=state["rejected"])
        last = time.monotonic()
        for done in iter_results(config, skip=state["records"], progress=status, how=how):
            if output is not None:
                files["out"].write(done.out)
            elif stdout is not None:
                try:
                    stdout.write(done.out.decode("utf-8", "surrogatepass"))
                except OSError as exc:
                    raise OutputError(io_message("standard output", exc)) from None
            if done.rejects:
                files["rejects"].write(done.rejects)
            if "spool" in files:
                files["spool"].write(done.spool)
            state["records"] += done.count
            state["rejected"] += done.rejected
            if on_errors is not None and done.errors:
                on_errors(done.errors)
            status.records, status.rejected = state["records"], state["rejected"]
            now = time.monotonic()
            if now - last >= checkpoint_every:
                checkpoint()
                last = now
                if progress is not None:
                    progress(status)
        if output is not None:
            checkpoint("committing")
            _finish(output, rejects)
            for key in ("out", "rejects"):
                if key in files:
                    files.pop(key).close()
        elif "rejects" in files:
            files.pop("rejects").commit()
        if "spool" in files:
            spool = files.pop("spool")
            spool.sync()
            spool.close()
            if on_commit is not None:
                on_commit(spool.partial)
            spool.partial.unlink(missing_ok=True)
        if output is not None:
            state_path(output).unlink(missing_ok=True)
        if progress is not None:
            progress(status)
    except BaseException:
        # keep what the last checkpoint covers, for --resume; the targets are untouched
        for handle in files.values():
            handle.close()
        if output is None:
            for handle in files.values():
                handle.partial.unlink(missing_ok=True)
        raise
    finally:
        if temp_spool is not None:
            temp_spool.unlink(missing_ok=True)
    result.records = state["records"]
    result.rejected = state["rejected"]
    result.seconds = time.monotonic() - started
    return result

"""Parsing a night's files on every core: a process pool inside the parse task.

Parsing is CPU-bound pure Python (plus calamine), so threads would not help: the
files are split into chunks and parsed by a :class:`ProcessPoolExecutor`. Chunks
amortise the cost of sending work and results between processes (one round trip per
chunk, not per file), and let a Prefect flow keep one task for the whole parse
instead of paying Prefect's per-task overhead for each of 10,000 files.

The catalog and the unit resolver are built once per call in the parent and handed
to each worker once, through the pool's initializer: with the ``fork`` start method
(Linux) the workers inherit them without any copying or pickling; with another start
method they are pickled once per worker, never per file.

Small inputs (the usual night: a handful of new or corrected files) are parsed in the
calling process, where starting a pool would cost more than it saves. Either way the
result is what :func:`flows.submission.read_submissions` returns for each file, in the
order of the input.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from flows import progress
from flows.catalog import Catalog, load_catalog
from flows.reference import load_reference
from flows.submission import FileReading, LandedFile, read_submissions
from flows.units import UnitResolver

DEFAULT_CHUNK_SIZE = 64

# The parser state of a worker process, set once by the pool's initializer.
_worker_state: tuple[Catalog, UnitResolver] | None = None


def default_workers() -> int:
    """The cores this process may run on (affinity and container limits included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _init_worker(catalog: Catalog, resolver: UnitResolver) -> None:
    global _worker_state
    _worker_state = (catalog, resolver)


def _read_chunk(files: Sequence[LandedFile]) -> list[FileReading]:
    """Parse one chunk in a worker, with the state its initializer received."""
    if _worker_state is None:
        raise RuntimeError("parser worker used without its initializer")
    catalog, resolver = _worker_state
    return [read_submissions(landed, catalog, resolver) for landed in files]


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork: workers start in milliseconds and share the parent's reference data
    # copy-on-write; elsewhere the platform default (spawn) still works, only slower.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def read_all(
    files: Sequence[LandedFile],
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    once_workers_started: Callable[[], None] | None = None,
) -> list[FileReading]:
    """One :class:`FileReading` per file, in input order, parsed on ``workers`` processes.

    Identical to ``[read_submissions(f, catalog, resolver) for f in files]``. Fewer than
    two chunks of files, or ``workers == 1``, are parsed in this process. An exception
    raised while parsing a file propagates as it would in the serial loop.
    ``once_workers_started`` is called in this process once the pool's workers exist
    (never when parsing here): a safe moment to start threads, since no fork follows.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    files = list(files)
    workers = default_workers() if workers is None else workers
    catalog = load_catalog()
    resolver = UnitResolver(load_reference())
    readings: list[FileReading] = []
    with progress.bar("parse", len(files)) as parsed:
        if workers <= 1 or len(files) < 2 * chunk_size:
            for landed in files:
                readings.append(read_submissions(landed, catalog, resolver))
                parsed.advance()
            return readings
        chunks = [files[start : start + chunk_size] for start in range(0, len(files), chunk_size)]
        with ProcessPoolExecutor(
            max_workers=min(workers, len(chunks)),
            mp_context=_pool_context(),
            initializer=_init_worker,
            initargs=(catalog, resolver),
        ) as pool:
            # map() submits every chunk at once (with fork, every worker starts then) and
            # yields chunk results in submission order, whatever order they finish in.
            chunk_results = pool.map(_read_chunk, chunks)
            if once_workers_started is not None:
                once_workers_started()
            for chunk_readings in chunk_results:
                readings.extend(chunk_readings)
                parsed.advance(len(chunk_readings))
    return readings

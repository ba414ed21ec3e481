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

The results come back pickled, and the parent unpickles them on a core the workers
need: they travel lean (an observation as its constructor's arguments, a submission
without the LandedFile the parent already holds) and are unpickled with the cyclic
garbage collector paused, since they are all kept and hold no cycles.

Small inputs (the usual night: a handful of new or corrected files) are parsed in the
calling process, where starting a pool would cost more than it saves. Either way the
result is what :func:`flows.reading.submission.read_submissions` returns for each file, in the
order of the input.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from flows import progress
from flows.domain.catalog import Catalog, load_catalog
from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.reading.submission import FileReading, LandedFile, read_submissions

DEFAULT_CHUNK_SIZE = 64

# The parser state of a worker process, set once by the pool's initializer.
_worker_state: tuple[Catalog, UnitResolver] | None = None


def default_workers() -> int:
    """The cores this process may run on (affinity and container limits included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# The resolver built for the catalog it was built with: a long-lived process (chitieu watch)
# builds it once, and again only if the catalog file changed.
_reader_cache: tuple[Catalog, UnitResolver] | None = None


def reader_state() -> tuple[Catalog, UnitResolver]:
    """The parser's catalog and unit resolver, built once per process (per catalog file).

    The reference data comes from the installed package and cannot change while the
    process runs; the catalog is re-read when its file changes (:func:`load_catalog`).
    """
    global _reader_cache
    catalog = load_catalog()
    if _reader_cache is None or _reader_cache[0] is not catalog:
        _reader_cache = (catalog, UnitResolver(load_reference()))
    return _reader_cache


def _init_worker(catalog: Catalog, resolver: UnitResolver) -> None:
    global _worker_state
    _worker_state = (catalog, resolver)
    # Everything inherited from the parent (reference frames, resolver, catalog, the
    # imported modules) lives as long as the worker: keep the cyclic garbage collector
    # from walking it again and again while the parse allocates. Walking it would also
    # write to every inherited page and so copy it out of the memory shared by fork.
    gc.freeze()


def _read_chunk(files: Sequence[LandedFile]) -> list[FileReading]:
    """Parse one chunk in a worker, with the state its initializer received.

    The submissions go back without their :class:`LandedFile` (``file`` is None): the
    parent holds an equal one already and puts it back (:func:`_with_files`), which
    spares pickling and unpickling a path and a datetime per file.
    """
    if _worker_state is None:
        raise RuntimeError("parser worker used without its initializer")
    catalog, resolver = _worker_state
    readings = [read_submissions(landed, catalog, resolver) for landed in files]
    for landed, reading in zip(files, readings, strict=True):
        for submission in reading.submissions:
            if submission.file is landed:
                submission.file = None  # type: ignore[assignment]
    return readings


def _with_files(files: Sequence[LandedFile], readings: list[FileReading]) -> Iterator[FileReading]:
    """The readings of one chunk, each submission given back its file (see _read_chunk)."""
    for landed, reading in zip(files, readings, strict=True):
        for submission in reading.submissions:
            if submission.file is None:
                submission.file = landed
        yield reading


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
    catalog, resolver = reader_state()
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
            # Unpickling the results creates ~40 objects per file, all kept: the cyclic
            # collector would walk the growing list again and again for no garbage (the
            # readings hold no cycles). It runs again as usual once they are all here.
            collector_was_on = gc.isenabled()
            gc.disable()
            try:
                for chunk, chunk_readings in zip(chunks, chunk_results, strict=True):
                    readings.extend(_with_files(chunk, chunk_readings))
                    parsed.advance(len(chunk_readings))
            finally:
                if collector_was_on:
                    gc.enable()
    return readings

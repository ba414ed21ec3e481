"""Parsing a night's files on every core, each worker under a memory and a CPU-time limit.

Parsing is CPU-bound pure Python (plus calamine), so threads would not help: the files
are split into chunks and parsed by a small pool of worker processes. Chunks amortise
the cost of sending work and results between processes (one round trip per chunk, not
per file), and let a Prefect flow keep one task for the whole parse instead of paying
Prefect's per-task overhead for each of 10,000 files.

Every night is parsed in workers, one file as much as ten thousand, because a worker is
where a file's cost can be bounded: its address space may grow by
:func:`flows.settings.parse_memory_bytes` past what it inherited, and each file may take
:func:`flows.settings.parse_cpu_seconds` of CPU time before the kernel stops the worker
(``RLIMIT_CPU``, SIGXCPU), and :data:`WALL_CLOCK_FACTOR` times that in wall-clock time
before the parent does (a file that blocks, or a starved worker). calamine aborts its
process when an allocation fails; a worker that dies, whatever kills it, costs the file it
was reading, which is rejected under the rule ``reader_limit`` (a signal, a limit) or
``internal_error`` (any other end), and the other files of its chunk go back to the queue.
The pool is this module's own, not a :class:`~concurrent.futures.ProcessPoolExecutor`,
because it must know that file: each worker writes the position of the file it starts
into memory shared with the parent, and the parent knows which chunk each worker holds.
An exception while reading a file never reaches the pool:
:func:`~flows.reading.files.read_submissions` turns it into that file's rejection.

The catalog and the unit resolver are built once per call in the parent and handed to
each worker when it starts: with the ``fork`` start method (Linux) the workers inherit
them without any copying or pickling (a worker killed by a file is replaced by a new
fork); with another start method they are pickled once per worker, never per file.

The results come back pickled, and the parent unpickles them on a core the workers
need: they travel lean (an observation as its constructor's arguments, a submission
without the LandedFile the parent already holds) and are unpickled with the cyclic
garbage collector paused, since they are all kept and hold no cycles. The parent sends a
worker its next chunk before it unpickles the last one's results.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import pickle
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from flows import progress
from flows.domain.catalog import Catalog, load_catalog
from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.reading.files import read_submissions
from flows.reading.headers import header_spellings
from flows.reading.phrasings import load_phrasings
from flows.reading.submission import (
    FileReading,
    LandedFile,
    internal_error,
    over_reader_limit,
)
from flows.settings import parse_cpu_seconds, parse_memory_bytes
from flows.subprocesses import die_with_parent

DEFAULT_CHUNK_SIZE = 64
# A worker may spend this many times its CPU allowance in wall-clock time on one file.
WALL_CLOCK_FACTOR = 3
# Chunks per worker a night is cut into at least, so that small nights use every worker.
_CHUNKS_PER_WORKER = 4
_NO_FILE = -1  # a worker's position while it reads no file of its chunk
_STOP = None  # sent to a worker that has nothing more to do


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
    process runs; the catalog is re-read when its file changes (:func:`load_catalog`). The
    header spellings and the prose phrasings are read here too, before any worker forks: the
    workers inherit them, and a curator's slip in a seed fails the parse with its line
    number instead of rejecting every file as an internal error.
    """
    global _reader_cache
    header_spellings()
    load_phrasings()
    catalog = load_catalog()
    if _reader_cache is None or _reader_cache[0] is not catalog:
        _reader_cache = (catalog, UnitResolver(load_reference()))
    return _reader_cache


def read_all(
    files: Sequence[LandedFile],
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    once_workers_started: Callable[[], None] | None = None,
) -> list[FileReading]:
    """One :class:`FileReading` per file, in input order, parsed on ``workers`` processes.

    Identical to ``[read_submissions(f, catalog, resolver) for f in files]`` for every file
    that stays within a worker's limits; a file that kills its worker, or runs out of time,
    is rejected instead (rule ``reader_limit``). Chunks hold at most ``chunk_size`` files,
    fewer on a small night so that every worker gets some. ``once_workers_started`` is
    called in this process once the first workers exist, before any result comes back: a
    moment to start threads, after which this process forks only to replace a worker that a
    file killed (the new worker runs nothing but the reader).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    files = list(files)
    workers = max(1, default_workers() if workers is None else workers)
    size = min(chunk_size, max(1, math.ceil(len(files) / (workers * _CHUNKS_PER_WORKER))))
    starts = range(0, len(files), size)
    chunks = [tuple(range(start, min(start + size, len(files)))) for start in starts]
    readings: list[FileReading | None] = [None] * len(files)
    with progress.bar("parse", len(files)) as parsed:
        if chunks:
            _Pool(files, readings, parsed.advance, min(workers, len(chunks))).run(
                deque(chunks), once_workers_started
            )
    return readings  # type: ignore[return-value]  # every one filled


@dataclass
class _Worker:
    """A worker process, the parent's end of its pipe, and the chunk it holds (file indices)."""

    process: multiprocessing.process.BaseProcess
    conn: Connection
    chunk: tuple[int, ...] | None = None
    stopped_at: int | None = None  # the position it was stopped at, past the wall clock


class _Pool:
    """Worker processes in fixed slots, each holding one chunk at a time."""

    def __init__(self, files, readings, advance, size: int) -> None:
        self.files, self.readings, self.advance = files, readings, advance
        self.catalog, self.resolver = reader_state()
        self.memory, self.seconds = parse_memory_bytes(), parse_cpu_seconds()
        self.wall_seconds = WALL_CLOCK_FACTOR * self.seconds
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else methods[0])
        # Per slot, written by its worker: the position in its chunk of the file it reads,
        # and when it started it (time.monotonic, the same clock in every process).
        self.position = self.context.RawArray("q", [_NO_FILE] * size)
        self.started = self.context.RawArray("d", size)
        self.slots: list[_Worker | None] = [None] * size

    def run(self, pending: deque, once_workers_started: Callable[[], None] | None) -> None:
        collector_was_on = gc.isenabled()
        try:
            for slot in range(len(self.slots)):
                self._start(slot, pending)
            if once_workers_started is not None:
                once_workers_started()
            # Unpickling the results creates ~40 objects per file, all kept: the cyclic
            # collector would walk the growing list again and again for no garbage (the
            # readings hold no cycles). It runs again as usual once they are all here.
            gc.disable()
            while busy := [(slot, w) for slot, w in enumerate(self.slots) if w and w.chunk]:
                ends = [w.conn for _, w in busy] + [w.process.sentinel for _, w in busy]
                ready = wait(ends, timeout=self._next_deadline(busy))
                for slot, worker in busy:
                    if worker.conn in ready:
                        self._collect(slot, worker, pending)
                    elif worker.process.sentinel in ready:
                        self._bury(slot, worker, pending)
                self._stop_overdue(busy)
        finally:
            if collector_was_on:
                gc.enable()
            self._close()

    def _start(self, slot: int, pending: deque) -> None:
        """A new worker in ``slot``, given the next chunk; none when no chunk waits."""
        if not pending:
            return
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=_work,
            args=(child_end, slot, self.position, self.started, self.catalog, self.resolver),
            kwargs={"memory_bytes": self.memory, "cpu_seconds": self.seconds},
            daemon=True,
        )
        process.start()
        child_end.close()  # so that the parent reads EOF when the worker dies
        self.slots[slot] = worker = _Worker(process, parent_end)
        self._give(slot, worker, pending)

    def _give(self, slot: int, worker: _Worker, pending: deque) -> None:
        """Send a worker the next chunk, or tell it to stop when none waits."""
        worker.chunk = pending.popleft() if pending else None
        self.position[slot] = _NO_FILE
        try:
            worker.conn.send([self.files[i] for i in worker.chunk] if worker.chunk else _STOP)
        except OSError:  # it died between chunks: the chunk waits for its replacement
            if worker.chunk:
                pending.appendleft(worker.chunk)
                worker.chunk = None
                self._bury(slot, worker, pending)

    def _collect(self, slot: int, worker: _Worker, pending: deque) -> None:
        """Take a worker's results, after giving it its next chunk."""
        try:
            payload = worker.conn.recv_bytes()
        except (EOFError, OSError):
            self._bury(slot, worker, pending)
            return
        chunk = worker.chunk
        self._give(slot, worker, pending)
        for index, reading in zip(chunk, pickle.loads(payload), strict=True):
            for submission in reading.submissions:
                if submission.file is None:  # sent without it: the parent holds it
                    submission.file = self.files[index]
            self.readings[index] = reading
        self.advance(len(chunk))

    def _bury(self, slot: int, worker: _Worker, pending: deque) -> None:
        """A worker died: reject the file it was reading, queue the rest, replace it."""
        worker.process.join()
        worker.conn.close()
        self.slots[slot] = None
        chunk = worker.chunk or ()
        position = self.position[slot] if worker.stopped_at is None else worker.stopped_at
        if len(chunk) == 1:
            position = 0
        if 0 <= position < len(chunk):
            culprit = chunk[position]
            self.readings[culprit] = FileReading([self._verdict(worker, culprit)])
            self.advance(1)
            rest = chunk[:position] + chunk[position + 1 :]
            if rest:
                pending.appendleft(rest)
        else:  # it died between files: each one alone in a worker tells which
            pending.extendleft((index,) for index in reversed(chunk))
        self._start(slot, pending)

    def _verdict(self, worker: _Worker, index: int):
        """The rejection of the file a worker died reading, for the way it died."""
        landed, code = self.files[index], worker.process.exitcode
        if worker.stopped_at is not None:
            return over_reader_limit(
                landed, f"quá {self.wall_seconds} giây", f"it took over {self.wall_seconds} s"
            )
        if code == -signal.SIGXCPU:
            return over_reader_limit(landed, "hết thời gian CPU", "it ran out of CPU time")
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            return over_reader_limit(
                landed,
                f"trình đọc bị dừng bởi tín hiệu {name}, thường do hết bộ nhớ",
                f"the reader was stopped by signal {name}, usually for want of memory",
            )
        return internal_error(landed, "parse worker", f"exited with code {code}")

    def _next_deadline(self, busy: list[tuple[int, _Worker]]) -> float:
        """Seconds until the first worker reading a file passes the wall-clock limit."""
        deadlines = [
            self.started[slot] + self.wall_seconds
            for slot, _ in busy
            if self.position[slot] != _NO_FILE
        ]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else self.wall_seconds

    def _stop_overdue(self, busy: list[tuple[int, _Worker]]) -> None:
        for slot, worker in busy:
            position = self.position[slot]
            overdue = time.monotonic() - self.started[slot] > self.wall_seconds
            if self.slots[slot] is worker and position != _NO_FILE and overdue:
                worker.stopped_at = position
                worker.process.kill()

    def _close(self) -> None:
        """Wait for every worker to stop (each was told to); kill one that holds a chunk still.

        A worker holds a chunk here only when the parse is left on an exception.
        """
        for worker in self.slots:
            if worker is None:
                continue
            if worker.chunk:
                worker.process.kill()
            worker.process.join(timeout=1)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()


def _work(conn, slot, position, started, catalog, resolver, *, memory_bytes, cpu_seconds):
    """A worker: read each chunk it is sent, under its limits, until told to stop."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops us
    _limit_memory(memory_bytes)
    cpu_hard_limit = resource.getrlimit(resource.RLIMIT_CPU)[1]
    # Everything inherited from the parent (reference frames, resolver, catalog, the
    # imported modules) lives as long as the worker: keep the cyclic garbage collector
    # from walking it again and again while the parse allocates. Walking it would also
    # write to every inherited page and so copy it out of the memory shared by fork.
    gc.freeze()
    gc.enable()  # a replacement worker is forked while the parent has it paused
    while (files := conn.recv()) is not _STOP:
        readings = []
        for index, landed in enumerate(files):
            started[slot] = time.monotonic()
            position[slot] = index
            _allow_cpu(cpu_seconds, cpu_hard_limit)
            readings.append(read_submissions(landed, catalog, resolver))
        position[slot] = _NO_FILE
        # The submissions go back without their LandedFile: the parent holds it already,
        # which spares pickling and unpickling a path and a datetime per file.
        for landed, reading in zip(files, readings, strict=True):
            for submission in reading.submissions:
                if submission.file is landed:
                    submission.file = None  # type: ignore[assignment]
        conn.send(readings)


def _limit_memory(memory_bytes: int) -> None:
    """Let this worker's address space grow by ``memory_bytes`` past what it holds now.

    A forked worker's address space already holds the parent's mappings, shared until
    written (and whatever room the parent's heap has free, which a file may use too).
    A worker stopped by a signal leaves no core file.
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            held = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: no address-space limit
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_within(held + memory_bytes, hard), hard))


def _allow_cpu(seconds: int, hard: int) -> None:
    """Let the kernel stop this worker (SIGXCPU) once the next file took ``seconds`` of CPU.

    The soft limit counts the process's CPU time in whole seconds: it is raised to the time
    used so far, rounded up, plus ``seconds``, before each file.
    """
    soft = int(time.process_time()) + 1 + seconds
    resource.setrlimit(resource.RLIMIT_CPU, (_within(soft, hard), hard))


def _within(soft: int, hard: int) -> int:
    """``soft``, lowered to a hard limit if there is one."""
    return soft if hard == resource.RLIM_INFINITY else min(soft, hard)

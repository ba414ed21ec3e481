"""One file cannot stop a night's parse (issue #21): real files, real worker processes.

A night of demo files with a bad file among them, in the same chunk as good ones: a file
whose reading raises, a file that kills its worker (out of memory, or killed by a signal),
a file over the CPU-time limit and one over the wall clock. Each bad file gets exactly one
rejected submission with the rule that says why; every other file reads exactly as the
serial loop reads it, in the input's order; no worker is left running.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from datetime import datetime
from pathlib import Path

import psutil
import pytest

from flows.reading.files import read_submissions
from flows.reading.parse import WALL_CLOCK_FACTOR, read_all, reader_state
from flows.reading.submission import FileReading, LandedFile
from flows.settings import PARSE_MEMORY_ENV, PARSE_SECONDS_ENV
from flows.warehouse.receive import landing_sha256
from tests.generators.processes import forks_left
from tests.generators.small_sheets import HEADER, METADATA


def _landed(path: Path, relative: str | None = None) -> LandedFile:
    is_file = path.is_file()
    return LandedFile(
        path=path,
        relative_path=relative or path.name,
        sha256=landing_sha256(path) if is_file else hashlib.sha256(path.name.encode()).hexdigest(),
        size_bytes=path.stat().st_size if is_file else 0,
        received_at=datetime(2025, 1, 1),
    )


@pytest.fixture(scope="module")
def good(demo) -> list[LandedFile]:
    out_dir, manifest = demo
    return [_landed(out_dir / name, name) for name in manifest.files]


@pytest.fixture(scope="module")
def serial(good) -> list[FileReading]:
    catalog, resolver = reader_state()
    return [read_submissions(landed, catalog, resolver) for landed in good]


def _night(good: list[LandedFile], bad: list[LandedFile]) -> list[LandedFile]:
    """The good files with the bad ones among them, each bad one inside a chunk of three."""
    night = list(good)
    for offset, landed in enumerate(bad):
        night.insert(4 + 5 * offset, landed)
    return night


def _check(night, readings, good, serial, bad_rules: dict[str, str]) -> dict[str, FileReading]:
    """Good files read as the serial loop; each bad one once rejected by its rule; order kept."""
    assert len(readings) == len(night)
    by_path = {
        landed.relative_path: reading for landed, reading in zip(night, readings, strict=True)
    }
    assert [r.submissions[0].file for r in readings] == night
    assert [by_path[landed.relative_path] for landed in good] == serial
    for name, rule in bad_rules.items():
        (submission,) = by_path[name].submissions
        assert submission.rejection is not None and submission.rejection.rule == rule, name
        assert submission.rejection.message_vi and submission.rejection.message_en
    assert forks_left() == []
    return by_path


def _slow_csv(path: Path, rows: int) -> Path:
    """A long CSV table of unknown indicators, within every extent limit: each row costs the
    table walk and the catalog's fuzzy match."""
    lines = [",".join(cell or "" for cell in row) for row in [*METADATA, HEADER]]
    lines += [
        f"{i},,Số hộ được công nhận loại {i} nhóm {i * 7919 % 10007} ấp {i % 97},hộ,,{i},"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _memory_hog(path: Path) -> Path:
    """An .ods of four sheets of a million 200-character texts: within the extent limits,
    so no scan refuses it, but calamine needs about 1 GB to open it. A tiny file."""
    from tests.test_extents import ods_file

    cell = (
        '<table:table-cell table:number-columns-repeated="1000" office:value-type="string" '
        f'office:string-value="{"x" * 200}"/>'
    )
    row = f'<table:table-row table:number-rows-repeated="1000">{cell}</table:table-row>'
    tables = "".join(f'<table:table table:name="T{i}">{row}</table:table>' for i in range(4))
    return ods_file(path, tables)


# ------------------------------------------------------------------ a file whose reading raises


def test_a_file_whose_reading_raises_is_rejected_and_the_night_goes_on(tmp_path, good, serial):
    # The archive lost a file: reading it raises FileNotFoundError, a real exception no
    # reader expects. A CSV cell of 140 KB raised csv.Error out of the reader before #21.
    lost = _landed(tmp_path / "da-xoa.xlsx")
    huge_cell = tmp_path / "o-qua-dai.csv"
    huge_cell.write_text("Chỉ tiêu;" + "x" * 140_000 + "\n", encoding="utf-8")
    bad = [lost, _landed(huge_cell)]
    night = _night(good, bad)
    readings = read_all(night, workers=2, chunk_size=3)
    by_path = _check(
        night,
        readings,
        good,
        serial,
        {"da-xoa.xlsx": "internal_error", "o-qua-dai.csv": "unreadable_file"},
    )
    lost_reason = by_path["da-xoa.xlsx"].submissions[0].rejection
    assert "Lỗi nội bộ" in lost_reason.message_vi and "báo cho" in lost_reason.message_vi
    assert (
        "Internal error" in lost_reason.message_en and "FileNotFoundError" in lost_reason.message_en
    )
    assert "report it" in lost_reason.message_en
    cell_reason = by_path["o-qua-dai.csv"].submissions[0].rejection
    assert (
        "32.767 ký tự" in cell_reason.message_vi and "32,767 characters" in cell_reason.message_en
    )
    # The same outcome in the serial loop: the rejection lives in read_submissions, so a
    # Dask worker calling it per file gets it too.
    catalog, resolver = reader_state()
    assert read_submissions(lost, catalog, resolver) == by_path["da-xoa.xlsx"]


def test_an_internal_error_s_reason_is_cut_short_and_on_one_line(tmp_path):
    from flows.reading.errors import internal_error_reason

    vi, en = internal_error_reason("ValueError", "dòng 1\n" + "x" * 1000)
    assert "\n" not in vi + en and len(en) < 600 and "ValueError: dòng 1 xxx" in en


# ------------------------------------------------------------------ a file that kills its worker


def test_a_file_over_the_memory_limit_costs_that_file_only(tmp_path, good, serial, monkeypatch):
    # A worker may take 48 MB more than it inherited (and what its heap has free).
    monkeypatch.setenv(PARSE_MEMORY_ENV, "48")
    dense = _landed(_memory_hog(tmp_path / "day-dac.ods"))
    night = _night(good, [dense])
    readings = read_all(night, workers=2, chunk_size=3)
    by_path = _check(night, readings, good, serial, {"day-dac.ods": "reader_limit"})
    reason = by_path["day-dac.ods"].submissions[0].rejection
    assert "48 MB" in reason.message_vi and "48 MB" in reason.message_en
    assert "bộ nhớ" in reason.message_vi and "memory" in reason.message_en


def test_a_one_file_night_is_read_in_a_worker_too(tmp_path, monkeypatch):
    # Were it read in this process, this file would raise MemoryError here, or abort the run.
    monkeypatch.setenv(PARSE_MEMORY_ENV, "48")
    dense = _landed(_memory_hog(tmp_path / "day-dac.ods"))
    (reading,) = read_all([dense], workers=4)
    assert reading.submissions[0].rejection.rule == "reader_limit"
    assert forks_left() == []


def _kill_the_reader_of(fifo: Path, held: int, stop: threading.Event) -> None:
    """SIGKILL the worker that opened ``fifo`` (it blocks reading it), once it has.

    Every worker inherits this process's descriptor ``held`` of the FIFO: the reader is the
    one with another.
    """
    while not stop.is_set():
        for child in psutil.Process().children(recursive=True):
            try:
                fds = Path(f"/proc/{child.pid}/fd").iterdir()
                if any(fd.name != str(held) and os.readlink(fd) == str(fifo) for fd in fds):
                    os.kill(child.pid, signal.SIGKILL)
                    return
            except OSError:  # gone meanwhile
                continue
        time.sleep(0.02)


def _blocking_fifo(path: Path) -> int:
    """A FIFO that opens at once (this process holds it open) and then never has data."""
    os.mkfifo(path)
    return os.open(path, os.O_RDWR | os.O_NONBLOCK)


def test_a_worker_killed_by_a_signal_costs_the_file_it_was_reading(tmp_path, good, serial):
    fifo = tmp_path / "treo.xlsx"
    held = _blocking_fifo(fifo)
    stop = threading.Event()
    killer = threading.Thread(target=_kill_the_reader_of, args=(fifo, held, stop), daemon=True)
    killer.start()
    try:
        night = _night(good, [_landed(fifo)])
        readings = read_all(night, workers=2, chunk_size=3)
    finally:
        stop.set()
        os.close(held)
    by_path = _check(night, readings, good, serial, {"treo.xlsx": "reader_limit"})
    reason = by_path["treo.xlsx"].submissions[0].rejection
    assert "SIGKILL" in reason.message_vi and "SIGKILL" in reason.message_en


# ------------------------------------------------------------------ time limits


def test_a_file_over_the_cpu_limit_costs_that_file_only(tmp_path, good, serial, monkeypatch):
    monkeypatch.setenv(PARSE_SECONDS_ENV, "1")
    slow = _landed(_slow_csv(tmp_path / "cham.csv", rows=60_000))  # several seconds of CPU
    night = _night(good, [slow])
    started = time.monotonic()
    readings = read_all(night, workers=2, chunk_size=3)
    assert time.monotonic() - started < 8
    by_path = _check(night, readings, good, serial, {"cham.csv": "reader_limit"})
    reason = by_path["cham.csv"].submissions[0].rejection
    assert "1 giây CPU" in reason.message_vi and "1 s of CPU time" in reason.message_en


def test_a_file_that_blocks_is_stopped_by_the_wall_clock(tmp_path, good, serial, monkeypatch):
    monkeypatch.setenv(PARSE_SECONDS_ENV, "1")
    fifo = tmp_path / "treo.xlsx"
    held = _blocking_fifo(fifo)
    try:
        night = _night(good, [_landed(fifo)])
        readings = read_all(night, workers=2, chunk_size=3)
    finally:
        os.close(held)
    by_path = _check(night, readings, good, serial, {"treo.xlsx": "reader_limit"})
    reason = by_path["treo.xlsx"].submissions[0].rejection
    assert f"quá {WALL_CLOCK_FACTOR} giây" in reason.message_vi
    assert f"took over {WALL_CLOCK_FACTOR} s" in reason.message_en


def test_several_bad_files_in_one_chunk_and_both_workers_lost(tmp_path, good, serial, monkeypatch):
    # Two files that each kill their worker, in the same chunk: each is found and rejected,
    # the chunk's good files are read again by a new worker.
    monkeypatch.setenv(PARSE_MEMORY_ENV, "48")
    first = _landed(_memory_hog(tmp_path / "mot.ods"))
    second = _landed(_memory_hog(tmp_path / "hai.ods"))
    night = [*good[:2], first, good[2], second, *good[3:]]
    readings = read_all(night, workers=2, chunk_size=5)
    _check(night, readings, good, serial, {"mot.ods": "reader_limit", "hai.ods": "reader_limit"})

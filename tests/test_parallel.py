"""flows.reading.parse.read_all parses exactly what the serial loop parses, in the same order."""

from __future__ import annotations

import copy
import pickle
import random
from datetime import datetime
from pathlib import Path

import pytest

from flows.domain.catalog import load_catalog
from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.reading.files import read_submissions
from flows.reading.parse import read_all
from flows.reading.submission import FileReading, LandedFile
from flows.warehouse.receive import landing_sha256
from tests.generators.processes import forks_left
from tools.demo import generate_demo


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> list[LandedFile]:
    """Every demo file (good, hidden-sheet, corrupt, unknown-unit) as the receive step lands it."""
    root: Path = tmp_path_factory.mktemp("parallel_demo")
    manifest = generate_demo(root)
    return [
        LandedFile(
            path=root / name,
            relative_path=name,
            sha256=landing_sha256(root / name),
            size_bytes=(root / name).stat().st_size,
            received_at=datetime(2025, 1, 1),
        )
        for name in manifest.files
    ]


@pytest.fixture(scope="module")
def serial(demo_files) -> list[FileReading]:
    """The reference: the serial loop the pipeline's parse task runs today."""
    catalog, resolver = load_catalog(), UnitResolver(load_reference())
    return [read_submissions(landed, catalog, resolver) for landed in demo_files]


def _essence(readings: list[FileReading]) -> list[tuple]:
    """What a reading means, spelled out, so a difference shows which part differs."""
    return [
        (
            tuple(reading.hidden_sheets),
            tuple(reading.sheets_without_table),
            tuple(
                (
                    s.submission_id,
                    s.file.relative_path,
                    s.source_sheet,
                    s.unit_key,
                    s.period_code,
                    s.report_date,
                    tuple(
                        (o.indicator_code, o.period_code, o.value, o.qualifier, o.source_cell)
                        for o in s.observations
                    ),
                    tuple((i.severity, i.rule, i.source_cell, i.message) for i in s.issues),
                    s.rejection.rule if s.rejection else None,
                    tuple(u.source_row for u in s.unmapped_rows),
                )
                for s in reading.submissions
            ),
        )
        for reading in readings
    ]


def test_the_demo_covers_what_must_survive_the_trip(serial):
    submissions = [s for reading in serial for s in reading.submissions]
    assert any(s.is_rejected for s in submissions)
    assert any(s.unmapped_rows for s in submissions)
    assert any(reading.hidden_sheets for reading in serial)
    assert any(reading.sheets_without_table for reading in serial)


@pytest.mark.parametrize("chunk_size", [1, 5])
def test_parallel_parse_equals_serial_parse(demo_files, serial, chunk_size):
    assert len(demo_files) >= 2 * 5  # every case takes the process-pool path
    readings = read_all(demo_files, workers=2, chunk_size=chunk_size)
    assert _essence(readings) == _essence(serial)
    assert readings == serial  # every field, down to metadata, targets and messages


def test_input_order_is_kept_across_chunks(demo_files, serial):
    order = list(range(len(demo_files)))
    random.Random(7).shuffle(order)
    readings = read_all([demo_files[i] for i in order], workers=2, chunk_size=3)
    assert [r.submissions[0].file.relative_path for r in readings] == [
        demo_files[i].relative_path for i in order
    ]
    assert readings == [serial[i] for i in order]


def test_small_nights_and_one_worker_are_parsed_in_workers_too(demo_files, serial):
    # Every night is parsed in worker processes, where a file's memory and time are bounded
    # (tests/test_parse_isolation.py shows a one-file night's worker under its limits).
    assert read_all(demo_files[:1], workers=2) == serial[:1]
    assert read_all(demo_files[:5], workers=2, chunk_size=64) == serial[:5]
    assert read_all(demo_files, workers=1, chunk_size=2) == serial
    assert read_all([], workers=2) == []
    assert forks_left() == []


def test_a_night_of_200_files(demo_files, serial):
    order = [i % len(demo_files) for i in range(200)]
    readings = read_all([demo_files[i] for i in order], workers=2)
    assert readings == [serial[i] for i in order]
    assert forks_left() == []


def test_readings_are_picklable_and_hold_no_sheet_grids(serial):
    restored = pickle.loads(pickle.dumps(serial))
    assert restored == serial
    biggest = max(len(pickle.dumps(reading)) for reading in serial)
    assert biggest < 200_000  # observations and issues only, never the sheet's cells


def test_each_submission_gets_back_the_callers_landed_file(demo_files):
    # Workers send submissions without their LandedFile; the parent puts its own back.
    readings = read_all(demo_files, workers=2, chunk_size=3)
    for landed, reading in zip(demo_files, readings, strict=True):
        assert all(submission.file is landed for submission in reading.submissions)


def test_observations_survive_pickling_and_copying(serial):
    observations = [o for reading in serial for s in reading.submissions for o in s.observations]
    assert observations
    assert pickle.loads(pickle.dumps(observations, pickle.HIGHEST_PROTOCOL)) == observations
    assert copy.deepcopy(observations) == observations
    assert [copy.copy(o) for o in observations] == observations


def test_chunk_size_must_be_positive(demo_files):
    with pytest.raises(ValueError):
        read_all(demo_files, chunk_size=0)


def test_reader_state_is_built_once_per_process():
    """A long-lived process (chitieu watch) builds the unit resolver once, not every night."""
    from flows.reading.parse import reader_state

    catalog, resolver = reader_state()
    assert reader_state() == (catalog, resolver)
    assert reader_state()[1] is resolver


def test_a_broken_header_seed_fails_the_parse_instead_of_every_file(
    demo_files, tmp_path, monkeypatch
):
    """A seed line no reader can use is the curator's to fix, said once with its line,
    not a night of files each rejected as an internal error."""
    from flows.reading import headers

    seed = tmp_path / "header_spellings.csv"
    seed.write_text("role,spelling,match,note\nnmae,Chỉ tiêu,exact,\n", encoding="utf-8")
    monkeypatch.setattr(headers, "HEADER_SPELLINGS_CSV", seed)
    monkeypatch.setattr(headers, "_spellings_read", None)
    with pytest.raises(ValueError, match=r"header_spellings\.csv, line 2: unknown role 'nmae'"):
        read_all(demo_files[:2], workers=2)
    assert forks_left() == []

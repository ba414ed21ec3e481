"""The decade workload's generator (bench/generate_decade.py, issue #26), on a tiny decade.

A handful of wards × 2016-2025, every writer drawn (the shares raised so that each
container appears), generated through the process pool and read back file by file with
the real reader: every sheet must give the unit, period, report date and values, cell by
cell, that the generator's manifest says it wrote, and nothing else. The manifest itself
is checked for what the benchmark relies on (every ward-year, the term reviews, trends and
ratios consistent), and the cache for reuse, keys and deterministic bytes.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from bench.generate_decade import (
    TERM_REVIEWS,
    WRITERS,
    DecadePlan,
    _years,
    generate_decade,
    read_manifest,
    revise_file,
)
from flows.reading.files import read_submissions
from flows.reading.parse import reader_state
from flows.reading.submission import LandedFile

WARDS = 4
# Raised from 5 % each so that four wards' forty ward-years hold every container.
SHARES = (("csv", 0.2), ("ods", 0.2), ("xls", 0.2))
PLAN = DecadePlan(wards=WARDS, shares=SHARES)


@pytest.fixture(scope="module")
def decade(tmp_path_factory) -> dict:
    # Two wards per chunk: two tasks, so that the process pool writes them.
    root = tmp_path_factory.mktemp("decade")
    return generate_decade(PLAN, root, workers=2, wards_per_chunk=2)


@pytest.fixture(scope="module")
def records(decade) -> list[dict]:
    return list(read_manifest(Path(decade["folder"])))


@pytest.fixture(scope="module")
def state():
    return reader_state()


def _read(raw_dir: Path, relative: str, state) -> dict:
    """The file's submissions as the real reader gives them, by sheet name."""
    path = raw_dir / relative
    landed = LandedFile(path, relative, "0" * 64, path.stat().st_size, datetime(2030, 1, 1))
    reading = read_submissions(landed, *state)
    return {submission.source_sheet: submission for submission in reading.submissions}


def _observed(submission) -> dict[tuple[str, str], tuple]:
    return {
        (o.indicator_code, o.period_code): (o.value, o.qualifier, o.is_estimate, o.source_cell)
        for o in submission.observations
    }


def _expected(sheet: dict) -> dict[tuple[str, str], tuple]:
    return {(v[0], v[1]): (v[2], v[3], v[4], v[5]) for v in sheet["values"]}


def _digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and the sha256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_every_file_reads_as_the_manifest_says(decade, records, state):
    raw_dir = Path(decade["raw_dir"])
    on_disk = {str(p.relative_to(raw_dir)) for p in raw_dir.rglob("*") if p.is_file()}
    assert on_disk == {record["file"] for record in records}
    for record in records:
        read = _read(raw_dir, record["file"], state)
        assert set(read) == {sheet["sheet"] for sheet in record["sheets"]}, record["file"]
        for sheet in record["sheets"]:
            submission = read[sheet["sheet"]]
            where = (record["writer"], record["file"], sheet["sheet"])
            assert submission.rejection is None, where
            assert submission.unit_key == f"pre2025:{record['unit_code']}", where
            assert submission.period_code == sheet["period_code"], where
            assert submission.report_date == date.fromisoformat(sheet["report_date"]), where
            assert _observed(submission) == _expected(sheet), where
            assert submission.issues == [], where  # a clean workload: not even a warning


def test_every_writer_and_every_ward_year_is_there(decade, records):
    writers = Counter(record["writer"] for record in records)
    assert set(writers) == set(WRITERS)
    assert decade["files_by_writer"] == dict(writers)
    assert decade["wards"] == WARDS and decade["ward_years"] == WARDS * 10
    periods = Counter(
        (record["unit_code"], sheet["period_code"])
        for record in records
        for sheet in record["sheets"]
    )
    units = {record["unit_code"] for record in records}
    expected = {str(year) for year in range(2016, 2026)}
    expected |= {review.period_code for review in TERM_REVIEWS.values()}
    assert len(units) == WARDS
    assert periods == Counter({(unit, period): 1 for unit in units for period in expected})
    # 35 indicators a column: one on a yearly sheet, 2+1 on a mid-term, 5 at a term's end.
    assert decade["values"] == WARDS * 35 * (10 + 3 + 5 + 3 + 5)
    assert decade["sheets"] == WARDS * 14


def test_term_reviews_report_their_years(records):
    for record in records:
        review = TERM_REVIEWS.get(record["year"])
        assert len(record["sheets"]) == (2 if review and record["writer"] != "csv" else 1)
        for sheet in record["sheets"]:
            if sheet["period_code"] == str(record["year"]):
                years, estimates = {str(record["year"])}, set()
            else:
                assert review is not None and sheet["period_code"] == review.period_code
                last = review.start + 3 if review.mid_term else review.end
                years = {str(year) for year in range(review.start + 1, last + 1)}
                estimates = {str(last)} if review.mid_term else set()
            assert {value[1] for value in sheet["values"]} == years
            assert {value[1] for value in sheet["values"] if value[4]} == estimates


def test_values_trend_and_ratios_agree_with_their_parts(records):
    yearly = {
        (record["unit_code"], int(sheet["period_code"])): {v[0]: v[2] for v in sheet["values"]}
        for record in records
        for sheet in record["sheets"]
        if sheet["period_code"] == str(record["year"])
    }
    for (unit, year), values in yearly.items():
        assert len(values) == 35
        for rate, part, whole in (
            ("VH.HO_NGHEO_TYLE", "VH.HO_NGHEO", "VH.TONG_HO"),
            ("VH.BHYT_TYLE", "VH.BHYT_SO_NGUOI", "VH.DAN_SO"),
            ("XD.DV_HOC_NQ_TYLE", "XD.DV_HOC_NQ", "XD.DV_TRIEU_TAP"),
        ):
            assert values[rate] == round(100 * values[part] / values[whole], 1), (unit, year)
        assert values["KT.VON_DAU_TU"] == values["KT.VON_NS_CAP_TREN"] + values["KT.VON_NS_XA"]
        if year > 2016:  # every ward grows a little every year
            assert values["VH.DAN_SO"] > yearly[(unit, year - 1)]["VH.DAN_SO"]


def test_the_cache_is_reused_keyed_and_deterministic(decade, tmp_path):
    again = generate_decade(PLAN, Path(decade["folder"]).parent, workers=1)
    assert again["reused"] and again["folder"] == decade["folder"]
    assert DecadePlan(wards=WARDS + 1).cache_key() != PLAN.cache_key()
    assert DecadePlan(wards=WARDS, first_year=2023).cache_key() != PLAN.cache_key()
    twin = generate_decade(PLAN, tmp_path, workers=1, force=True)
    assert not twin["reused"]

    # The pool and one process write the same bytes; the manifest is cut in other parts.
    assert _digests(Path(twin["raw_dir"])) == _digests(Path(decade["raw_dir"]))
    assert list(read_manifest(Path(twin["folder"]))) == list(read_manifest(Path(decade["folder"])))


def test_a_corrected_file_differs_by_its_value_and_date(decade, records, state, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(decade["folder"], folder)
    for writer in WRITERS:  # the correction comes from the ward's own tool
        record = next(
            r
            for r in records
            if r["writer"] == writer and r["sheets"][0]["period_code"] == str(r["year"])
        )
        year, first = record["year"], record["sheets"][0]
        corrected = revise_file(folder, record["file"])
        read = _read(folder / "raw", record["file"], state)[first["sheet"]]
        assert read.report_date == date(year + 1, 1, 10), record["file"]
        changed = {
            key: (was, now)
            for key, now in _observed(read).items()
            if (was := _expected(first)[key]) != now
        }
        assert list(changed) == [("XD.KET_NAP_DV", str(year))], record["file"]
        (was, *_), (now, *_) = changed[("XD.KET_NAP_DV", str(year))]
        assert now == was + 1
        assert _observed(read) == _expected(corrected["sheets"][0])
        # It arrives tonight, after every file of the decade.
        assert (folder / "raw" / record["file"]).stat().st_mtime > datetime(2026, 1, 1).timestamp()
    with pytest.raises(ValueError):
        revise_file(folder, "2024/99/99999-khong-co.xlsx")


def test_fewer_years_are_the_last_years_of_the_decade(decade, tmp_path):
    # The cost curves' 1- and 3-year workloads are the decade's last year folders, byte for byte.
    last_two = generate_decade(replace(PLAN, first_year=2024), tmp_path, workers=1)
    assert last_two["ward_years"] == WARDS * 2
    whole = _digests(Path(decade["raw_dir"]))
    assert _digests(Path(last_two["raw_dir"])) == {
        name: digest for name, digest in whole.items() if name.startswith(("2024/", "2025/"))
    }


def test_years_choose_the_range_and_scales_agree():
    assert _years("1") == (2025, 2025) and _years("3") == (2023, 2025)
    assert _years("2016-2025") == (2016, 2025)
    three = DecadePlan(wards=2, first_year=2023)
    assert {job.year for job in three.jobs()} == {2023, 2024, 2025}
    # The first wards of a larger plan are the smaller plan, with the same writers.
    small, large = DecadePlan(wards=3).jobs(), DecadePlan(wards=6).jobs()
    assert large[: len(small)] == small
    with pytest.raises(ValueError):
        DecadePlan(first_year=2015)
    with pytest.raises(ValueError):
        DecadePlan(shares=(("xls", 0.6), ("ods", 0.6)))

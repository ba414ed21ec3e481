"""Completeness and timeliness of reporting, on the real demo run.

The expected figures are computed here in plain Python: report dates and periods are
read back from the demo files by the parser, the deadlines from the seed CSV, and
period end dates from the period codes, independently of the SQL of the marts.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

import pytest

from flows.domain.catalog import load_catalog
from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.reading.files import read_submissions
from flows.reading.submission import LandedFile, submission_id
from flows.settings import SEEDS_DIR
from flows.warehouse.receive import landing_sha256

pytestmark = pytest.mark.slow

DISTRICT = "pre2025:534"  # Thị xã Đức Phổ: 15 wards, 12 report in the demo
PROVINCE = "pre2025:51"
MISSING = {"pre2025:21475", "pre2025:21478", "pre2025:21481"}
DEMO_PERIODS = {"2015-2020", "2020-2025-MID", "2024", "2025"}


@pytest.fixture(scope="module")
def days_after_end() -> dict[str, int]:
    with (SEEDS_DIR / "reporting_deadlines.csv").open(encoding="utf-8") as handle:
        return {row["period_type"]: int(row["days_after_end"]) for row in csv.DictReader(handle)}


def _period_type_and_end(period_code: str) -> tuple[str, date]:
    """The demo's periods: a year, a mid-term review `S-E-MID`, a whole term `S-E`."""
    if period_code.endswith("-MID"):
        start = int(period_code[:4])
        return "mid_term", date(start + 3, 12, 31)
    if "-" in period_code:
        return "term", date(int(period_code[5:9]), 12, 31)
    return "year", date(int(period_code), 12, 31)


def _deadline(period_code: str, days_after_end: dict[str, int]) -> date:
    period_type, end = _period_type_and_end(period_code)
    return end + timedelta(days=days_after_end[period_type])


@pytest.fixture(scope="module")
def sheets(demo_run) -> list[dict]:
    """Every accepted demo sheet as the parser reads it: id, unit, period, report date."""
    manifest, raw_dir = demo_run["manifest"], demo_run["raw_dir"]
    resolver, catalog = UnitResolver(load_reference()), load_catalog()
    rows = []
    for relative in manifest.files:
        if relative in manifest.bad_files:
            continue
        path = raw_dir / relative
        landed = LandedFile(
            path, relative, landing_sha256(path), path.stat().st_size, datetime(2030, 1, 1)
        )
        for sub in read_submissions(landed, catalog, resolver).submissions:
            assert sub.report_date is not None, relative  # every demo sheet is dated
            rows.append(
                {
                    "submission_id": sub.submission_id,
                    "file": relative,
                    "unit_key": sub.unit_key,
                    "period_code": sub.period_code,
                    "report_date": sub.report_date,
                }
            )
    assert {r["period_code"] for r in rows} == DEMO_PERIODS
    return rows


@pytest.fixture(scope="module")
def first_reports(sheets) -> dict[tuple[str, str], dict]:
    """(unit, period) → the ward's first report (earliest report date)."""
    first: dict[tuple[str, str], dict] = {}
    for row in sorted(sheets, key=lambda r: (r["report_date"], r["submission_id"])):
        first.setdefault((row["unit_key"], row["period_code"]), row)
    return first


def _rows(con, sql, params=()):
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_district_and_province_completeness_is_12_of_15(warehouse, first_reports, days_after_end):
    for unit_key, level in ((DISTRICT, "district"), (PROVINCE, "province")):
        rows = {
            r["period_code"]: r
            for r in _rows(
                warehouse,
                "select * from marts.rpt_completeness where unit_key = ? order by period_code",
                [unit_key],
            )
        }
        assert set(rows) == DEMO_PERIODS, unit_key
        for period, row in rows.items():
            deadline = _deadline(period, days_after_end)
            on_time = sum(
                first["report_date"] <= deadline
                for (_, p), first in first_reports.items()
                if p == period
            )
            assert row["level"] == level and row["scheme"] == "pre2025"
            assert row["deadline"] == deadline
            assert (
                row["n_units_expected"],
                row["n_units_reported"],
                row["n_units_missing"],
                row["n_units_on_time"],
                row["n_units_late"],
            ) == (15, 12, 3, on_time, 12 - on_time), (unit_key, period)
            assert row["completeness_pct"] == pytest.approx(80.0)
            assert row["timeliness_pct"] == pytest.approx(100 * on_time / 15)
            assert row["reported"] is None and row["is_on_time"] is None


def test_non_reporting_wards_are_missing_and_reporting_wards_are_timed(
    warehouse, first_reports, days_after_end
):
    rows = _rows(
        warehouse,
        "select * from marts.rpt_completeness where level = 'ward' and district_key = ?",
        [DISTRICT],
    )
    assert len(rows) == 15 * len(DEMO_PERIODS)
    for row in rows:
        key = (row["unit_key"], row["period_code"])
        deadline = _deadline(row["period_code"], days_after_end)
        assert row["deadline"] == deadline and row["n_units_expected"] == 1
        if row["unit_key"] in MISSING:
            assert key not in first_reports
            assert row["reported"] is False and row["n_units_missing"] == 1
            assert row["first_report_date"] is None and row["received_at"] is None
            assert row["is_on_time"] is None and row["days_late"] is None
            assert row["completeness_pct"] == 0 and row["timeliness_pct"] == 0
            continue
        first = first_reports[key]
        expected_late = max((first["report_date"] - deadline).days, 0)
        assert row["reported"] is True and row["n_units_missing"] == 0
        assert row["first_submission_id"] == first["submission_id"]
        assert row["first_report_date"] == first["report_date"]
        assert row["received_at"] is not None
        assert row["is_on_time"] is (first["report_date"] <= deadline)
        assert row["days_late"] == expected_late
        assert row["completeness_pct"] == 100


def test_a_correction_does_not_change_the_first_report(warehouse, demo_run):
    manifest, raw_dir = demo_run["manifest"], demo_run["raw_dir"]
    original = submission_id(landing_sha256(raw_dir / manifest.superseded_file), 0)
    row = _rows(
        warehouse,
        "select first_submission_id, reported from marts.rpt_completeness "
        "where unit_key = 'pre2025:21469' and period_code = '2024'",
    )
    assert row == [{"first_submission_id": original, "reported": True}]


def test_only_the_sheets_own_periods_and_the_deployment_scope_are_expected(warehouse):
    periods = {
        r[0]
        for r in warehouse.execute(
            "select distinct period_code from marts.rpt_completeness"
        ).fetchall()
    }
    assert periods == DEMO_PERIODS  # the year columns (2016..2023) are not expected reports
    scopes = warehouse.execute(
        "select distinct scheme, level, unit_key from marts.rpt_completeness where level <> 'ward'"
    ).fetchall()
    assert sorted(scopes) == [("pre2025", "district", DISTRICT), ("pre2025", "province", PROVINCE)]


def test_submission_status_carries_deadline_timing_and_area_rates(
    warehouse, demo_run, sheets, first_reports, days_after_end
):
    rows = {
        r["submission_id"]: r for r in _rows(warehouse, "select * from marts.rpt_submission_status")
    }
    timeliness = {
        r["period_code"]: r["timeliness_pct"]
        for r in _rows(
            warehouse,
            "select period_code, timeliness_pct from marts.rpt_completeness where unit_key = ?",
            [DISTRICT],
        )
    }
    for sheet in sheets:
        row = rows[sheet["submission_id"]]
        deadline = _deadline(sheet["period_code"], days_after_end)
        assert row["deadline"] == deadline
        assert row["is_on_time"] is (sheet["report_date"] <= deadline)
        assert row["days_late"] == max((sheet["report_date"] - deadline).days, 0)
        assert row["district_completeness_pct"] == pytest.approx(80.0)
        assert row["province_completeness_pct"] == pytest.approx(80.0)
        assert row["district_timeliness_pct"] == pytest.approx(timeliness[sheet["period_code"]])
        assert row["province_timeliness_pct"] == pytest.approx(timeliness[sheet["period_code"]])
    rejected = [r for r in rows.values() if r["status"] == "rejected"]
    assert len(rejected) == len(demo_run["manifest"].bad_files)
    for row in rejected:
        assert row["district_completeness_pct"] is None
        assert row["province_completeness_pct"] is None
        if row["period_code"] is None:
            assert row["deadline"] is None and row["is_on_time"] is None
            assert row["days_late"] is None

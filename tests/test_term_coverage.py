"""Comparisons that say what they compare (issue #25), through the real nightly flow.

Four wards of Thị xã Đức Phổ send a yearly sheet for each year 2016-2025, except Phổ Văn,
whose sheets for 2016-2020 are missing: the district's previous term sums three wards,
this one four. fct_term_comparison must say so (the counts and coverage_differs) and give
the change over the three wards present in both terms, which the test works out by hand
from the very numbers it wrote.
"""

from __future__ import annotations

import csv

import duckdb
import pytest

from flows.settings import INDICATOR_CATALOG_CSV
from tests.generators.small_sheets import HEADER, save_sheet

pytestmark = pytest.mark.slow

DISTRICT = "pre2025:534"
PROVINCE = "pre2025:51"
# code, name, slug; the last one misses the previous term.
WARDS = (
    ("21469", "Phường Phổ Hòa", "pho-hoa"),
    ("21460", "Phường Phổ Ninh", "pho-ninh"),
    ("21442", "Xã Phổ An", "pho-an"),
    ("21451", "Phường Phổ Văn", "pho-van"),
)
LATE_WARD = "21451"
YEARS = range(2016, 2026)
PREVIOUS = range(2016, 2021)  # the 2015-2020 term's full window
CURRENT = range(2021, 2026)  # the 2020-2025 term's full window
WRITTEN = ("VH.DAN_SO", "VH.TONG_HO", "VH.HO_NGHEO", "VH.HO_NGHEO_TYLE", "XD.KET_NAP_DV")


def _values(index: int, year: int) -> dict[str, float]:
    """One ward's yearly figures; the late ward is the largest, so leaving it out shows."""
    people = 9000 + 3000 * index + 60 * (year - 2016)
    households = people // 3
    poor = 220 - 15 * (year - 2016) + 20 * index
    return {
        "VH.DAN_SO": people,
        "VH.TONG_HO": households,
        "VH.HO_NGHEO": poor,
        "VH.HO_NGHEO_TYLE": round(100 * poor / households, 2),
        "XD.KET_NAP_DV": 3 + (index + year) % 5 + index + (year - 2016) // 2,
    }


def _sent(code: str, year: int) -> bool:
    return not (code == LATE_WARD and year in PREVIOUS)


TRUTH = {
    (code, year): _values(index, year)
    for index, (code, _, _) in enumerate(WARDS)
    for year in YEARS
    if _sent(code, year)
}


def _sheet_rows(code: str, name: str, year: int, catalog: dict[str, dict]) -> list[list]:
    # A 2025 report dated before July 2025 is a pre-2025 ward's (the reorganisation).
    reported = "20/06/2025" if year == 2025 else f"15/12/{year}"
    rows = [
        [f"Đơn vị: {name}"],
        ["Mã đơn vị:", None, code],
        [f"Kỳ báo cáo: Năm {year}"],
        [f"Ngày báo cáo: {reported}"],
        [],
        HEADER,
    ]
    for n, indicator in enumerate(WRITTEN, 1):
        entry = catalog[indicator]
        rows.append(
            [n, indicator, entry["name_vi"], entry["unit"], None, TRUTH[code, year][indicator]]
        )
    return rows


@pytest.fixture(scope="module")
def night(prefect_server, tmp_path_factory):
    """One real night on the folder of sheets; the published warehouse, read-only."""
    from flows.nightly import nightly_pipeline

    with open(INDICATOR_CATALOG_CSV, encoding="utf-8") as f:
        catalog = {row["indicator_code"]: row for row in csv.DictReader(f)}
    root = tmp_path_factory.mktemp("coverage")
    raw = root / "raw"
    for code, name, slug in WARDS:
        for year in YEARS:
            if _sent(code, year):
                (raw / f"nam-{year}").mkdir(parents=True, exist_ok=True)
                save_sheet(raw / f"nam-{year}/{slug}.xlsx", _sheet_rows(code, name, year, catalog))
    warehouse = root / "warehouse" / "warehouse.duckdb"
    summary = nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    con = duckdb.connect(str(warehouse), read_only=True)
    yield summary, con
    con.close()


def _comparison(con, unit_key: str, indicator: str, basis: str = "full") -> dict:
    cursor = con.execute(
        "select * from marts.fct_term_comparison where unit_key = ? and indicator_code = ?"
        " and term_code = '2020-2025' and basis = ?",
        [unit_key, indicator, basis],
    )
    names = [d[0] for d in cursor.description]
    (row,) = cursor.fetchall()
    return dict(zip(names, row, strict=True))


def _window_value(indicator: str, codes: list[str], years: range) -> float:
    """The district's window value over ``codes``, as the catalog says: a flow adds every
    year, a stock takes the window's last year; the poverty rate is recomputed from the
    poor and all households so taken."""
    if indicator == "VH.HO_NGHEO_TYLE":
        poor = _window_value("VH.HO_NGHEO", codes, years)
        return 100 * poor / _window_value("VH.TONG_HO", codes, years)
    if indicator == "XD.KET_NAP_DV":
        return sum(TRUTH[code, year][indicator] for code in codes for year in years)
    return sum(TRUTH[code, max(years)][indicator] for code in codes)


def test_the_night_loaded_every_sheet(night):
    _, con = night
    (loaded,) = con.execute(
        "select count(*) from marts.rpt_submission_status"
        " where status in ('loaded', 'loaded_with_warnings')"
    ).fetchone()
    assert loaded == len(TRUTH)


@pytest.mark.parametrize("basis", ["full", "mid"])
@pytest.mark.parametrize("indicator", ["XD.KET_NAP_DV", "VH.DAN_SO", "VH.HO_NGHEO_TYLE"])
def test_the_district_says_its_coverage_and_changes_like_for_like(night, indicator, basis):
    _, con = night
    row = _comparison(con, DISTRICT, indicator, basis)
    previous, current = (
        (PREVIOUS, CURRENT) if basis == "full" else (range(2016, 2019), range(2021, 2024))
    )
    all_wards = [code for code, _, _ in WARDS]
    in_both = [code for code in all_wards if code != LATE_WARD]
    (expected_wards,) = con.execute(
        "select n_wards from marts.dim_admin_unit where unit_key = ?", [DISTRICT]
    ).fetchone()

    if indicator == "VH.HO_NGHEO_TYLE":
        assert row["value_method"] == "ratio"
    assert (row["n_units_reporting"], row["prev_n_units_reporting"], row["n_units_in_both"]) == (
        4,
        3,
        3,
    )
    assert row["n_units_expected"] == row["prev_n_units_expected"] == expected_wards == 15
    assert row["coverage_differs"] is True

    # The plain change compares four wards with three; like for like, three with three.
    assert row["value"] == pytest.approx(_window_value(indicator, all_wards, current))
    assert row["prev_value"] == pytest.approx(_window_value(indicator, in_both, previous))
    before = _window_value(indicator, in_both, previous)
    after = _window_value(indicator, in_both, current)
    assert row["like_for_like_prev_value"] == pytest.approx(before, rel=1e-12)
    assert row["like_for_like_value"] == pytest.approx(after, rel=1e-12)
    assert row["like_for_like_abs_change"] == pytest.approx(after - before, rel=1e-9, abs=1e-9)
    assert row["like_for_like_pct_change"] == pytest.approx(
        100 * (after - before) / before, rel=1e-9
    )
    assert row["like_for_like_pct_change"] != pytest.approx(row["pct_change"])


def test_the_province_says_the_same_of_the_same_wards(night):
    _, con = night
    district = _comparison(con, DISTRICT, "VH.DAN_SO")
    province = _comparison(con, PROVINCE, "VH.DAN_SO")
    assert province["coverage_differs"] is True
    assert (province["n_units_reporting"], province["prev_n_units_reporting"]) == (4, 3)
    assert province["like_for_like_pct_change"] == district["like_for_like_pct_change"]


def test_a_ward_is_one_of_one_or_none(night):
    _, con = night
    steady = _comparison(con, "pre2025:21469", "VH.DAN_SO")
    assert (steady["n_units_reporting"], steady["n_units_expected"]) == (1, 1)
    assert (steady["prev_n_units_reporting"], steady["prev_n_units_expected"]) == (1, 1)
    assert steady["coverage_differs"] is False
    assert steady["like_for_like_pct_change"] == steady["pct_change"]

    late = _comparison(con, f"pre2025:{LATE_WARD}", "VH.DAN_SO")
    assert (late["n_units_reporting"], late["prev_n_units_reporting"]) == (1, 0)
    assert late["prev_value"] is None
    # No previous value, no comparison to qualify; no ward in both, no like-for-like value.
    assert late["coverage_differs"] is None
    assert late["like_for_like_value"] is None and late["like_for_like_prev_value"] is None


def test_the_same_wards_give_the_very_plain_values(night):
    """Wherever coverage does not differ, like for like is the comparison itself, to the bit."""
    _, con = night
    rows = con.execute(
        "select unit_key, indicator_code, term_code, basis, value, prev_value,"
        " like_for_like_value, like_for_like_prev_value"
        " from marts.fct_term_comparison where coverage_differs = false"
    ).fetchall()
    steady = {f"pre2025:{code}" for code, _, _ in WARDS if code != LATE_WARD}
    assert steady <= {r[0] for r in rows}
    differing = [r for r in rows if (r[4], r[5]) != (r[6], r[7])]
    assert differing == []

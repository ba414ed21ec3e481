"""``chitieu report``: the mid-term outlook section, and coverage beside the term comparisons.

The outlook reads ``marts.fct_target_outlook``; coverage and the like-for-like change read
the coverage columns of ``marts.fct_term_comparison``. The slow tests copy the demo
warehouse and write those relations with known rows (``synthetic_warehouse``), so that the
page can be checked against them whatever the models compute; a last test reads the demo
warehouse's own outlook when its model is there.
"""

from __future__ import annotations

import re
import shutil
from html import escape, unescape

import duckdb
import numpy as np
import pytest

from flows.operations.cli import main
from flows.outputs.report.data import (
    OUTLOOK_STATUSES,
    Comparison,
    Indicator,
    OutlookIndicator,
    OutlookRow,
    ReportData,
)
from flows.outputs.report.formats import (
    format_change,
    format_percent,
    format_target,
    format_value,
)
from flows.outputs.report.page import render_report
from tools import report_screenshot
from tools.report_screenshot import console_problems, read_png

DISTRICT = "pre2025:534"  # Thị xã Đức Phổ
TERM = "2020-2025"
PREV_TERM = "2015-2020"
AT_RISK_COLOUR = "#b54708"  # the at-risk chip: drawn only by the outlook section
COVERAGE_COLUMNS = (
    "n_units_reporting",
    "n_units_expected",
    "prev_n_units_reporting",
    "prev_n_units_expected",
    "coverage_differs",
    "like_for_like_prev_value",
    "like_for_like_value",
    "like_for_like_abs_change",
    "like_for_like_pct_change",
    "n_units_in_both",
)
LFL_NOTE = "So sánh trên {n} phường có số liệu ở cả hai nhiệm kỳ"


# --------------------------------------------------------------------------------------
# Reading the page back
# --------------------------------------------------------------------------------------


def _text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _section(page: str, css_class: str) -> str:
    found = re.search(rf'<section class="{css_class}">(.*?)</section>', page, re.S)
    assert found, f"no {css_class} section"
    return found.group(1)


def _outlook_rows(block: str) -> list[dict]:
    """The rows of one outlook table: status, disagreement, and the text of each cell."""
    rows = []
    for css, cells in re.findall(r'<tr class="(st-[a-z_]+(?: disagree)?)">(.*?)</tr>', block, re.S):
        texts = [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
        rows.append(
            {
                "status": css.split()[0].removeprefix("st-"),
                "disagree": css.endswith("disagree"),
                "label": texts[0],
                "cells": texts,
                "html": cells,
            }
        )
    return rows


def _group_order(block: str) -> list[str]:
    return re.findall(r'<tr class="status-group st-([a-z_]+)">', block)


def _indicator_block(page: str, code: str) -> str:
    found = re.search(
        rf'<div class="outlook-indicator" id="outlook-{re.escape(code)}">(.*?)</table></div>',
        page,
        re.S,
    )
    assert found, f"no outlook block for {code}"
    return found.group(1)


def _table_row(page: str, name_vi: str) -> str:
    """The term-over-term table's row of an indicator, by its Vietnamese name."""
    table = _section(page, "table")
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        if row.startswith(f"<td>{escape(name_vi)}<br>"):
            return row
    raise AssertionError(f"no table row for {name_vi}")


# --------------------------------------------------------------------------------------
# Targets, written the Vietnamese way
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "direction", "value_type", "per_year", "expected"),
    [
        (95, None, "at_least", "percent", False, "≥ 95,0%"),
        (None, 2, "at_most", "percent", False, "≤ 2,0%"),
        (10, 12, "range", "percent", False, "10,0%–12,0%"),
        (5, 7, "range", "count", True, "5–7 /năm"),
        (30, 30, "exact", "count", False, "30"),
        (5_000_000_000, None, "at_least", "money_vnd", False, "≥ 5 tỷ đồng"),
        (1234, None, None, "count", False, "≥ 1.234"),
        (None, None, "at_least", "count", False, "–"),
    ],
)
def test_format_target(low, high, direction, value_type, per_year, expected):
    assert format_target(low, high, direction, value_type, per_year=per_year) == expected


# --------------------------------------------------------------------------------------
# The page, from data
# --------------------------------------------------------------------------------------

BHYT = Indicator(
    "VH.BHYT_TYLE",
    "Tỷ lệ tham gia BHYT",
    "Health insurance",
    "%",
    "percent",
    "last",
    True,
    "van_hoa_xa_hoi",
)
NGHEO = Indicator(
    "VH.HO_NGHEO_TYLE", "Tỷ lệ hộ nghèo", "Poverty", "%", "percent", "last", False, "van_hoa_xa_hoi"
)
KET_NAP = Indicator(
    "XD.KET_NAP_DV",
    "Kết nạp đảng viên",
    "New members",
    "người",
    "count",
    "sum",
    True,
    "xay_dung_dang",
)
DAN_SO = Indicator(
    "VH.DAN_SO", "Dân số", "Population", "người", "count", "last", None, "van_hoa_xa_hoi"
)


def _row(name: str, status: str, projected: float, **extra) -> OutlookRow:
    values = {
        "unit_key": f"pre2025:{name}",
        "unit_name": name,
        "as_of_year": 2024,
        "status": status,
        "value_to_date": None if projected is None else projected * 0.8,
        "n_years_reported": 4,
        "n_years_in_term": 5,
        "projected_value": projected,
        "projection_method": "trend",
        "projected_achievement_pct": None if projected is None else 100 * projected / 95,
        "target_low": 95.0,
        "target_high": None,
        "target_direction": "at_least",
        "target_text": "≥ 95%",
        "target_per_year": False,
        "clerk_assessment": None,
        "agrees_with_clerk": None,
    }
    values.update(extra)
    return OutlookRow(**values)


def _data(level: str = "district", **overrides) -> ReportData:
    values = {
        "unit_key": DISTRICT if level == "district" else "pre2025:21469",
        "unit_name": "Thị xã Đức Phổ" if level == "district" else "Phường Phổ Hòa",
        "unit_type": "Thị xã" if level == "district" else "Phường",
        "level": level,
        "parent_names": ["Tỉnh Quảng Ngãi"],
        "term_code": TERM,
        "prev_term_code": PREV_TERM,
        "years": list(range(2016, 2026)),
        "this_term_years": list(range(2021, 2026)),
        "indicators": {i.code: i for i in (BHYT, NGHEO, KET_NAP, DAN_SO)},
        "comparisons": [],
        "ranking": {},
        "ranking_reference": {},
        "reference_name": None,
        "wards_in_scope": 15,
        "wards_without_data": {},
        "trends": {},
        "trend_targets": {},
        "coverage": None,
        "outlook_year": 2024,
        "term_last_year": 2025,
    }
    values.update(overrides)
    return ReportData(**values)


def test_outlook_groups_the_wards_by_status_worst_first_with_numbers_and_targets():
    rows = [
        _row("Xã <Achieved>", "achieved", 97.0),
        _row("Xã Off", "off_track", 71.25),
        _row("Xã Risk", "at_risk", 88.0, clerk_assessment="achieved", agrees_with_clerk=False),
        _row(
            "Xã On",
            "on_track",
            96.04,
            clerk_assessment="on_track",
            clerk_text="Có khả năng đạt",
            agrees_with_clerk=True,
        ),
        _row("Xã Empty", "no_data", None, value_to_date=None, projected_achievement_pct=None),
    ]
    poverty = [
        _row(
            "Xã Off",
            "off_track",
            3.6,
            target_low=None,
            target_high=2.0,
            target_direction="at_most",
            target_text="dưới 2%",
            projected_achievement_pct=100 * 2 / 3.6,
        )
    ]
    page = render_report(
        _data(outlook=[OutlookIndicator(BHYT, rows), OutlookIndicator(NGHEO, poverty)])
    )
    section = _section(page, "outlook")
    assert "Khả năng đạt mục tiêu nhiệm kỳ 2020–2025" in section
    assert "Will the term&#x27;s targets be met?" in section or "Will the term's" in section
    assert "theo số liệu đến năm 2024" in section

    block = _indicator_block(page, BHYT.code)
    assert _group_order(block) == ["off_track", "at_risk", "on_track", "achieved", "no_data"]
    found = {row["label"]: row for row in _outlook_rows(block)}
    assert set(found) == {"Xã <Achieved>", "Xã Off", "Xã Risk", "Xã On", "Xã Empty"}
    assert "<Achieved>" not in block  # escaped
    for source in rows:
        shown = found[source.unit_name]
        assert shown["status"] == source.status
        projected, target, achievement = shown["cells"][2], shown["cells"][3], shown["cells"][4]
        assert projected.startswith(format_percent(source.projected_value))
        assert target.startswith("≥ 95,0%")
        assert achievement == format_percent(source.projected_achievement_pct)
    assert found["Xã Off"]["cells"][2].startswith("71,3%")  # half rounds up, comma decimal
    # The disagreement is marked on its row only, with the ward's own words.
    assert [r["label"] for r in found.values() if r["disagree"]] == ["Xã Risk"]
    assert "≠ Đã đạt" in found["Xã Risk"]["cells"][5]  # a status alone, in words
    assert "≠" not in found["Xã On"]["cells"][5]
    assert "Có khả năng đạt = Dự báo đạt" in found["Xã On"]["cells"][5]

    (poor,) = _outlook_rows(_indicator_block(page, NGHEO.code))
    assert poor["cells"][2].startswith("3,6%") and poor["cells"][3].startswith("≤ 2,0%")
    assert poor["cells"][4] == "55,6%"


def test_a_per_year_target_shows_the_projection_per_year_and_a_late_ward_its_year():
    rows = [
        _row(
            "Xã A",
            "on_track",
            32.0,
            as_of_year=2025,
            value_to_date=32.0,
            n_years_reported=5,
            projection_method="run_rate",
            target_low=5.0,
            target_high=7.0,
            target_direction="range",
            target_text="5-7 đảng viên/năm",
            target_per_year=True,
            projected_achievement_pct=128.0,
        ),
        _row(
            "Xã B",
            "at_risk",
            22.5,
            as_of_year=2023,
            n_years_reported=3,
            projection_method="run_rate",
            target_per_year=True,
        ),
        _row(
            "Xã C",
            "off_track",
            2.0,
            as_of_year=2025,
            n_years_reported=1,
            projection_method="latest",
            target_per_year=True,
        ),
    ]
    page = render_report(_data(outlook=[OutlookIndicator(KET_NAP, rows)], outlook_year=2025))
    block = _indicator_block(page, KET_NAP.code)
    found = {row["label"]: row for row in _outlook_rows(block)}
    assert found["Xã A"]["cells"][2] == "32 (6,4 /năm)"
    assert found["Xã A"]["cells"][3] == "5–7 /năm"
    # The target as typed is on hover; the method most rows share is said once, above.
    assert 'title="Ghi trong báo cáo / as typed: 5-7 đảng viên/năm"' in found["Xã A"]["html"]
    assert "dự báo theo nhịp bình quân (run rate)" in _text(block)
    assert "giá trị mới nhất" in found["Xã C"]["cells"][2]
    # Below the value so far, only what is unusual: missing years, or an older year.
    assert found["Xã A"]["cells"][1] == "32"
    assert "1/5 năm có số liệu" in found["Xã C"]["cells"][1]
    assert "đến năm 2023" in found["Xã B"]["cells"][1]  # its data stop before the others'
    assert "năm có số liệu" not in found["Xã B"]["cells"][1]  # 3 of 2021-2023


def test_a_ward_report_lists_its_own_indicators_by_status():
    rows = {
        BHYT.code: [_row("Phường Phổ Hòa", "on_track", 96.0)],
        NGHEO.code: [
            _row(
                "Phường Phổ Hòa",
                "off_track",
                4.0,
                target_high=2.0,
                target_low=None,
                target_direction="at_most",
                clerk_assessment="achieved",
                clerk_text="Đạt",
                agrees_with_clerk=False,
            )
        ],
    }
    outlook = [OutlookIndicator(BHYT, rows[BHYT.code]), OutlookIndicator(NGHEO, rows[NGHEO.code])]
    page = render_report(_data("ward", outlook=outlook))
    block = _section(page, "outlook")
    assert _group_order(block) == ["off_track", "on_track"]
    shown = _outlook_rows(block)
    assert [r["label"] for r in shown] == [
        "Tỷ lệ hộ nghèo Poverty",
        "Tỷ lệ tham gia BHYT Health insurance",
    ]
    assert shown[0]["disagree"] and not shown[1]["disagree"]


def test_no_outlook_relation_no_section_and_no_rows_a_note():
    assert 'class="outlook"' not in render_report(_data(outlook=None))
    assert "Chưa có chỉ tiêu nào có số liệu để dự báo" in render_report(_data(outlook=[]))


def _comparison(indicator: Indicator, **extra) -> Comparison:
    values = {
        "indicator": indicator,
        "value": 142_294.0,
        "prev_value": 107_000.0,
        "abs_change": 35_294.0,
        "pct_change": 100 * 35_294 / 107_000,
        "target_value": None,
        "target_text": None,
        "achievement_pct": None,
        "improved": None,
        "n_units_reporting": 15,
        "n_units_expected": 15,
        "prev_n_units_reporting": 12,
        "prev_n_units_expected": 15,
        "coverage_differs": True,
        "like_for_like_prev_value": 107_000.0,
        "like_for_like_value": 110_500.0,
        "like_for_like_abs_change": 3_500.0,
        "like_for_like_pct_change": 100 * 3_500 / 107_000,
        "n_units_in_both": 12,
    }
    values.update(extra)
    return Comparison(**values)


def test_coverage_beside_each_comparison_and_the_like_for_like_change_when_it_differs():
    differs = _comparison(DAN_SO)
    same = _comparison(
        BHYT,
        value=90.7,
        prev_value=84.6,
        abs_change=6.1,
        pct_change=7.2,
        improved=True,
        n_units_reporting=12,
        n_units_expected=15,
        coverage_differs=False,
        like_for_like_prev_value=84.6,
        like_for_like_value=90.7,
        like_for_like_abs_change=6.1,
        like_for_like_pct_change=7.2,
    )
    page = render_report(_data(comparisons=[differs, same], trends={DAN_SO.code: {2025: 1.0}}))

    row = _text(_table_row(page, DAN_SO.name_vi))
    assert "12/15 phường báo cáo" in row and "15/15 phường báo cáo" in row
    assert LFL_NOTE.format(n=12) in row
    assert "Like for like: the 12 wards reporting in both terms" in row
    assert format_change(3_500.0, "count") in row  # the change shown is like for like
    assert "(+3,3%)" in row
    assert "107.000 → 110.500" in row
    assert "gộp mọi phường báo cáo: +35.294" in row  # the unadjusted change, said as such

    other = _text(_table_row(page, BHYT.name_vi))
    assert "12/15 phường báo cáo" in other
    assert "So sánh trên" not in other and "+6,1 điểm %" in other
    assert page.count("So sánh trên 12 phường") == 1
    # The headline card compares like for like too.
    card = re.search(r'<div class="card">(.*?)</div></div>', page, re.S).group(1)
    assert "+3.500" in _text(card) and "so sánh trên 12 phường" in _text(card)


def test_a_ward_comparison_has_no_coverage_and_a_warehouse_without_it_no_note():
    plain = _comparison(BHYT, **{column: None for column in COVERAGE_COLUMNS})
    page = render_report(_data("ward", comparisons=[plain]))
    row = _text(_table_row(page, BHYT.name_vi))
    assert "phường báo cáo" not in row and "So sánh trên" not in row
    assert "+35.294" in row or "+35.294 điểm %" in row
    page = render_report(_data(comparisons=[plain]))
    assert "phường báo cáo" not in _text(_table_row(page, BHYT.name_vi))


# --------------------------------------------------------------------------------------
# On a copy of the demo warehouse with known outlook and coverage rows
# --------------------------------------------------------------------------------------

# (indicator, target_low, target_high, direction, text, per year, value of ward i)
OUTLOOK_TARGETS = (
    ("VH.BHYT_TYLE", 95.0, None, "at_least", "≥ 95%", False, lambda i: 80.0 + 1.37 * i),
    ("VH.HO_NGHEO_TYLE", None, 2.0, "at_most", "dưới 2%", False, lambda i: 1.2 + 0.23 * i),
    ("XD.KET_NAP_DV", 5.0, 7.0, "range", "5-7 đảng viên/năm", True, lambda i: 18.0 + 3 * i),
)
CLERK_WORDS = {
    "off_track": "Không đạt",
    "at_risk": "Khó đạt",
    "on_track": "Khả năng đạt",
    "achieved": "Đạt",
}
COVERAGE_INDICATOR = "VH.DAN_SO"  # one ward's previous term is taken out of it


def _outlook_rows_for(wards: list[str]) -> list[tuple]:
    """Known outlook rows: ward i has status i mod 5 in 2025 (all on track in 2024), the
    last ward's data stop in 2024, and ward 1 wrote ``Vượt`` (achieved) where it is at
    risk. The verdict is a status, as the mart normalises it, and the words as written."""
    rows = []
    for code, low, high, direction, text, per_year, value_of in OUTLOOK_TARGETS:
        for i, ward in enumerate(wards):
            for year in (2024, 2025):
                if year == 2025 and i == len(wards) - 1:
                    continue
                status = OUTLOOK_STATUSES[i % 5] if year == 2025 else "on_track"
                projected = None if status == "no_data" else value_of(i)
                bound = low if low is not None else high
                if projected is None:
                    pct = None
                elif direction == "at_most":
                    pct = 100 * bound / projected
                else:
                    pct = 100 * (projected / 5 if per_year else projected) / bound
                words = CLERK_WORDS.get(status)
                clerk, agrees = (None, None) if words is None else (status, True)
                if i == 1 and year == 2025:
                    clerk, words, agrees = "achieved", "Vượt", False
                method = "run_rate" if per_year else "trend"
                higher_is_better = code != "VH.HO_NGHEO_TYLE"
                target = (low, high, direction, text, per_year, higher_is_better)
                outcome = (projected, method, pct, status, clerk, agrees)
                reported = 0 if status == "no_data" else year - 2020
                key = (ward, code, TERM, year, projected, reported, 5)
                rows.append((*key, *target, *outcome, "pre2025", "ward", words))
    return rows


def build_synthetic_warehouse(source, target) -> dict:
    """Copy a warehouse and write known outlook and coverage rows into the copy.

    ``marts.fct_target_outlook`` gets ``_outlook_rows_for`` the district's wards with
    targets; ``marts.fct_term_comparison`` gets the coverage columns: 12 of 15 wards in both
    terms everywhere, except the population, where one ward's previous term is taken out
    (as if its end-of-term sheet were missing) and the district's previous value, coverage
    and like-for-like change follow from the remaining wards' rows.
    """
    shutil.copyfile(source, target)
    con = duckdb.connect(str(target))
    try:
        wards = [
            key
            for (key,) in con.execute(
                "select distinct c.unit_key from marts.fct_term_comparison as c "
                "join marts.dim_admin_unit as u using (unit_key) where u.parent_key = ? "
                "and c.term_code = ? and c.target_value is not null order by 1",
                [DISTRICT, TERM],
            ).fetchall()
        ]
        con.execute(
            "create or replace table marts.fct_target_outlook (unit_key varchar, "
            "indicator_code varchar, term_code varchar, as_of_year integer, value_to_date double, "
            "n_years_reported integer, n_years_in_term integer, target_low double, "
            "target_high double, target_direction varchar, target_text varchar, "
            "target_per_year boolean, higher_is_better boolean, projected_value double, "
            "projection_method varchar, projected_achievement_pct double, status varchar, "
            "clerk_assessment varchar, agrees_with_clerk boolean, scheme varchar, level varchar, "
            "clerk_assessment_text varchar)"
        )
        con.executemany(
            f"insert into marts.fct_target_outlook values ({', '.join(['?'] * 22)})",
            _outlook_rows_for(wards),
        )

        kept = [
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = 'fct_term_comparison' order by ordinal_position"
            ).fetchall()
            if name not in COVERAGE_COLUMNS
        ]
        con.execute(
            f"create or replace table marts.fct_term_comparison as select {', '.join(kept)}, "
            "case when level = 'ward' then 1 else 12 end as n_units_reporting, "
            "case when level = 'ward' then 1 else 15 end as n_units_expected, "
            "case when prev_value is null then null when level = 'ward' then 1 else 12 end "
            "as prev_n_units_reporting, "
            "case when prev_value is null then null when level = 'ward' then 1 else 15 end "
            "as prev_n_units_expected, "
            "false as coverage_differs, prev_value as like_for_like_prev_value, "
            "value as like_for_like_value, abs_change as like_for_like_abs_change, "
            "pct_change as like_for_like_pct_change, "
            "case when prev_value is null then null when level = 'ward' then 1 else 12 end "
            "as n_units_in_both from marts.fct_term_comparison"
        )
        missing_ward = wards[0]
        con.execute(
            "delete from marts.fct_term_comparison where unit_key = ? and indicator_code = ? "
            "and term_code = ?",
            [missing_ward, COVERAGE_INDICATOR, PREV_TERM],
        )
        con.execute(
            "update marts.fct_term_comparison set prev_value = null, abs_change = null, "
            "pct_change = null, prev_n_units_reporting = null, prev_n_units_expected = null, "
            "n_units_in_both = null, "
            "like_for_like_prev_value = null, like_for_like_abs_change = null, "
            "like_for_like_pct_change = null "
            "where unit_key = ? and indicator_code = ? and term_code = ?",
            [missing_ward, COVERAGE_INDICATOR, TERM],
        )
        # The district over the wards left: its previous term summed 11 wards, this one 12.
        prev, lfl_prev, lfl_value = con.execute(
            "select sum(p.value), sum(p.value), sum(c.value) "
            "from marts.fct_term_comparison as c join marts.fct_term_comparison as p "
            "on p.unit_key = c.unit_key and p.indicator_code = c.indicator_code "
            "and p.basis = c.basis and p.term_code = c.prev_term_code "
            "join marts.dim_admin_unit as u on u.unit_key = c.unit_key "
            "where u.parent_key = ? and c.indicator_code = ? and c.term_code = ? "
            "and c.basis = 'full'",
            [DISTRICT, COVERAGE_INDICATOR, TERM],
        ).fetchone()
        con.execute(
            "update marts.fct_term_comparison set prev_value = $prev, abs_change = value - $prev, "
            "pct_change = 100 * (value - $prev) / $prev, prev_n_units_reporting = 11, "
            "n_units_in_both = 11, "
            "coverage_differs = true, like_for_like_prev_value = $lfl_prev, "
            "like_for_like_value = $lfl_value, like_for_like_abs_change = $lfl_value - $lfl_prev, "
            "like_for_like_pct_change = 100 * ($lfl_value - $lfl_prev) / $lfl_prev "
            "where unit_key = $unit and indicator_code = $code and term_code = $term "
            "and basis = 'full'",
            {
                "prev": prev,
                "lfl_prev": lfl_prev,
                "lfl_value": lfl_value,
                "unit": DISTRICT,
                "code": COVERAGE_INDICATOR,
                "term": TERM,
            },
        )
    finally:
        con.close()
    return {"path": target, "wards": wards, "missing_ward": missing_ward}


@pytest.fixture(scope="module")
def synthetic(demo_run, tmp_path_factory):
    """The demo warehouse with known outlook and coverage rows, and its district report."""
    root = tmp_path_factory.mktemp("outlook")
    built = build_synthetic_warehouse(demo_run["warehouse"], root / "warehouse.duckdb")
    out = root / "district.html"
    argv = ["report", "--unit", DISTRICT, "--term", TERM, "--warehouse", str(built["path"])]
    assert main([*argv, "--out", str(out)]) == 0
    built["report"] = out
    built["html"] = out.read_text(encoding="utf-8")
    built["con"] = duckdb.connect(str(built["path"]), read_only=True)
    yield built
    built["con"].close()


def _names(con) -> dict[str, str]:
    return dict(con.execute("select unit_key, unit_name from marts.dim_admin_unit").fetchall())


@pytest.mark.slow
def test_the_outlook_holds_the_relations_statuses_numbers_and_disagreements(synthetic):
    con, page = synthetic["con"], synthetic["html"]
    names = _names(con)
    types = dict(
        con.execute("select indicator_code, value_type from marts.dim_indicator").fetchall()
    )
    assert "Khả năng đạt mục tiêu nhiệm kỳ 2020–2025" in page
    assert "theo số liệu đến năm 2025" in page
    for code, *_ in OUTLOOK_TARGETS:
        block = _indicator_block(page, code)
        order = _group_order(block)
        assert order == [s for s in OUTLOOK_STATUSES if s in order]
        shown = {row["label"]: row for row in _outlook_rows(block)}
        # Each ward's latest row: 2025, or 2024 for the ward whose data stop there.
        expected = con.execute(
            "select * from marts.fct_target_outlook where indicator_code = ? qualify "
            "row_number() over (partition by unit_key order by as_of_year desc) = 1",
            [code],
        ).fetchall()
        columns = [c[0] for c in con.description]
        assert len(shown) == len(expected) == len(synthetic["wards"])
        for values in expected:
            row = dict(zip(columns, values, strict=True))
            cells = shown[names[row["unit_key"]]]
            assert cells["status"] == row["status"]
            assert cells["cells"][2].startswith(format_value(row["projected_value"], types[code]))
            target = format_target(
                row["target_low"],
                row["target_high"],
                row["target_direction"],
                types[code],
                per_year=row["target_per_year"],
            )
            assert cells["cells"][3].startswith(target)
            assert cells["cells"][4] == format_percent(row["projected_achievement_pct"])
            assert cells["disagree"] == (row["agrees_with_clerk"] is False)
            if row["clerk_assessment_text"]:
                assert row["clerk_assessment_text"] in cells["cells"][5]
            if row["agrees_with_clerk"] is False:
                assert f"≠ {row['clerk_assessment_text']}" in cells["cells"][5]
                assert "= Đã đạt" in cells["cells"][5]  # what the words were read as
            assert ("đến năm 2024" in cells["cells"][1]) == (row["as_of_year"] == 2024)
    assert _text(page).count("≠ Vượt") == len(OUTLOOK_TARGETS)


@pytest.mark.slow
def test_the_coverage_note_appears_exactly_where_coverage_differs(synthetic):
    con, page = synthetic["con"], synthetic["html"]
    rows = con.execute(
        "select i.name_vi, i.value_type, c.coverage_differs, c.like_for_like_abs_change, "
        "c.abs_change, c.n_units_reporting, c.prev_n_units_reporting "
        "from marts.fct_term_comparison as c join marts.dim_indicator as i using (indicator_code) "
        "where c.unit_key = ? and c.term_code = ? and c.basis = 'full'",
        [DISTRICT, TERM],
    ).fetchall()
    assert sum(1 for row in rows if row[2]) == 1
    for name, value_type, differs, lfl_change, raw_change, n, prev_n in rows:
        row = _text(_table_row(page, name))
        assert f"{n}/15 phường báo cáo" in row
        if prev_n is not None:
            assert f"{prev_n}/15 phường báo cáo" in row
        if differs:
            assert LFL_NOTE.format(n=11) in row
            assert row.index(format_change(lfl_change, value_type)) < row.index("So sánh trên")
            assert format_change(raw_change, value_type) in row.split("gộp mọi phường")[1]
        else:
            assert "So sánh trên" not in row
    assert page.count("So sánh trên 11 phường") == 1

    # The like-for-like change, by hand over the wards present in both terms.
    by_ward = con.execute(
        "select c.unit_key, c.value, p.value from marts.fct_term_comparison as c "
        "join marts.dim_admin_unit as u on u.unit_key = c.unit_key "
        "left join marts.fct_term_comparison as p on p.unit_key = c.unit_key "
        "and p.indicator_code = c.indicator_code and p.basis = c.basis "
        "and p.term_code = c.prev_term_code "
        "where u.parent_key = ? and c.indicator_code = ? and c.term_code = ? and c.basis = 'full'",
        [DISTRICT, COVERAGE_INDICATOR, TERM],
    ).fetchall()
    both = [(value, prev) for _, value, prev in by_ward if value is not None and prev is not None]
    assert len(both) == 11
    by_hand = sum(v for v, _ in both) - sum(p for _, p in both)
    name = con.execute(
        "select name_vi from marts.dim_indicator where indicator_code = ?", [COVERAGE_INDICATOR]
    ).fetchone()[0]
    assert format_change(by_hand, "count") in _text(_table_row(page, name))


@pytest.mark.slow
def test_the_outlook_renders_in_headless_chromium(synthetic, tmp_path):
    if report_screenshot.chromium_path() is None:
        pytest.skip("chromium is not installed: cannot check that the page renders")
    png = tmp_path / "r.png"
    log = report_screenshot.screenshot(synthetic["report"], png, width=1280, height=9000)
    assert console_problems(log) == []
    pixels = read_png(png)
    rgb = np.array([int(AT_RISK_COLOUR[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
    assert int(np.all(pixels == rgb, axis=2).sum()) > 200, "the status chips were painted"


@pytest.mark.slow
def test_a_ward_report_shows_its_own_outlook(synthetic, tmp_path):
    ward = synthetic["wards"][1]
    out = tmp_path / "ward.html"
    argv = ["report", "--unit", ward, "--term", TERM, "--warehouse", str(synthetic["path"])]
    assert main([*argv, "--out", str(out)]) == 0
    section = _section(out.read_text(encoding="utf-8"), "outlook")
    shown = _outlook_rows(section)
    assert len(shown) == len(OUTLOOK_TARGETS)
    assert {row["status"] for row in shown} == {OUTLOOK_STATUSES[1]}
    assert all(row["disagree"] for row in shown)


@pytest.mark.slow
def test_the_demo_warehouse_outlook_is_in_the_district_report(demo_run, warehouse, tmp_path):
    """Once ``marts.fct_target_outlook`` is built by the night, the report shows its rows."""
    found = warehouse.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' "
        "and table_name = 'fct_target_outlook'"
    ).fetchone()[0]
    if not found:
        pytest.skip("this warehouse has no marts.fct_target_outlook yet")
    out = tmp_path / "r.html"
    argv = ["report", "--unit", DISTRICT, "--term", TERM, "--warehouse", str(demo_run["warehouse"])]
    assert main([*argv, "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    latest = warehouse.execute(
        "select o.indicator_code, o.unit_key, o.status from marts.fct_target_outlook as o "
        "join marts.dim_admin_unit as u using (unit_key) where u.parent_key = ? "
        "and o.term_code = ? and o.as_of_year <= (select max(as_of_year) "
        "from marts.fct_target_outlook where term_code = ? and status <> 'no_data') "
        "and (o.target_low is not null or o.target_high is not null or o.target_text is not null) "
        "qualify row_number() over (partition by o.unit_key, o.indicator_code "
        "order by o.as_of_year desc) = 1",
        [DISTRICT, TERM, TERM],
    ).fetchall()
    assert latest, "the demo wards have targets for 2020-2025"
    names = _names(warehouse)
    for code in {code for code, _, _ in latest}:
        shown = {r["label"]: r["status"] for r in _outlook_rows(_indicator_block(page, code))}
        expected = {names[key]: status for c, key, status in latest if c == code}
        assert shown == expected, code

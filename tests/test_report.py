"""``chitieu report``: Vietnamese numbers, the HTML page, and the page as Chromium draws it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from flows.operations.cli import main
from flows.outputs.report.charts import COLOR_HIGHLIGHT, COLOR_PREV, COLOR_THIS
from flows.outputs.report.data import Comparison, Indicator, ReportData
from flows.outputs.report.formats import (
    format_change,
    format_money_vnd,
    format_number,
    format_percent,
    format_signed_percent,
    format_value,
)
from flows.outputs.report.page import default_out_path, render_report
from tools import report_screenshot
from tools.report_screenshot import console_problems, crop_to_content, read_png, write_png

DISTRICT = "pre2025:534"  # Thị xã Đức Phổ: 15 wards, 12 of them report in the demo
WARD = "pre2025:21469"  # Phường Phổ Hòa
TERM = "2020-2025"
REPORTING_WARDS = (
    "Phường Phổ Hòa",
    "Phường Nguyễn Nghiêm",
    "Phường Phổ Vinh",
    "Xã Phổ Phong",
    "Xã Phổ An",
)


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0, 0, "0"),
        (1234, 0, "1.234"),
        (142294, 0, "142.294"),
        (1234567.891, 2, "1.234.567,89"),
        (91.45, 1, "91,5"),  # half rounds up, as read (not 91,4 from binary 91.4499…)
        (0.05, 1, "0,1"),
        (-1234.5, 1, "−1.234,5"),
        (-0.04, 1, "0,0"),  # no negative zero
        (None, 1, "–"),
        (float("nan"), 1, "–"),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (91.46, "91,5%"),
        (90.69391541456422, "90,7%"),
        (2.0, "2,0%"),
        (100, "100,0%"),
        (None, "–"),
    ],
)
def test_format_percent(value, expected):
    assert format_percent(value) == expected


def test_format_percent_trimmed_for_axis_ticks():
    assert format_percent(25.0, trim=True) == "25%"
    assert format_percent(2.5, trim=True) == "2,5%"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_117_213_000, "1,1 tỷ đồng"),
        (136_207_442_000, "136,2 tỷ đồng"),
        (5_000_000_000, "5 tỷ đồng"),
        (1_234_500_000_000, "1.234,5 tỷ đồng"),
        (350_000_000, "350 triệu đồng"),
        (999_960_000, "1 tỷ đồng"),  # rounds up into tỷ, not "1.000 triệu"
        (148_027_000, "148 triệu đồng"),
        (999_960, "1 triệu đồng"),
        (12_000, "12.000 đồng"),
        (-2_100_000_000, "−2,1 tỷ đồng"),
        (None, "–"),
    ],
)
def test_format_money_vnd(value, expected):
    assert format_money_vnd(value) == expected


def test_format_value_follows_the_catalog_type():
    assert format_value(91.5, "percent") == "91,5%"
    assert format_value(1_100_000_000, "money_vnd") == "1,1 tỷ đồng"
    assert format_value(2193.0, "count") == "2.193"
    assert format_value(90.54166, "number") == "90,5"
    assert format_value(None, "count") == "–"


def test_changes_are_signed_and_rates_change_in_points():
    assert format_change(6.08, "percent") == "+6,1 điểm %"
    assert format_change(-3.43, "percent") == "−3,4 điểm %"
    assert format_change(0.0, "percent") == "0 điểm %"
    assert format_change(12, "count") == "+12"
    assert format_change(-2, "count") == "−2"
    assert format_change(148_027_000, "money_vnd") == "+148 triệu đồng"
    assert format_change(None, "count") == "–"
    assert format_signed_percent(7.19) == "+7,2%"
    assert format_signed_percent(-0.63) == "−0,6%"


# --------------------------------------------------------------------------------------
# Helpers for Chromium and PNG
# --------------------------------------------------------------------------------------

CHROMIUM_LOG = """\
[23966:23995:1128/211322.076745:ERROR:dbus/bus.cc:405] Failed to connect to the bus: no socket
[24007:24007:1128/211322.749543:WARNING:media/gpu/vaapi/vaapi_wrapper.cc:1655] no devices
[23966:23966:1128/211324.945315:INFO:CONSOLE:1] "boom", source: file:///tmp/t.html (1)
[23966:23966:1128/211324.945402:INFO:CONSOLE:1] "Uncaught ReferenceError: f is not defined", source: file:///tmp/t.html (1)
[1:1:1128/211324.9:INFO:CONSOLE(3)] "Failed to load resource: net::ERR_FILE_NOT_FOUND", source: x (3)
"""  # noqa: E501  (real Chromium log lines, as captured)


def test_console_problems_are_the_page_messages_not_chromium_noise():
    problems = console_problems(CHROMIUM_LOG)
    assert len(problems) == 3
    assert any("Uncaught ReferenceError" in line for line in problems)
    assert not any("dbus" in line for line in problems)
    assert console_problems("[1:1:ERROR:dbus/bus.cc:405] Failed to connect to the bus") == []


@pytest.mark.parametrize("filter_type", [None, 0, 1, 2, 3, 4])
def test_png_round_trip_through_every_row_filter(tmp_path, filter_type):
    rng = np.random.default_rng(8)
    image = np.full((23, 17, 3), 244, dtype=np.uint8)
    image[3:15, 2:12] = rng.integers(0, 256, size=(12, 10, 3), dtype=np.uint8)
    image[18:, :, 0] = np.arange(17, dtype=np.uint8) * 15
    path = tmp_path / "image.png"
    write_png(path, image, filter_type=filter_type)
    assert np.array_equal(read_png(path), image)


def test_crop_to_content_ends_below_the_content_or_at_a_section_gap():
    page = np.full((100, 10, 3), 244, dtype=np.uint8)
    page[10:30] = 255  # a first section
    page[40:60] = 255  # a second one
    assert crop_to_content(page, margin=5).shape[0] == 65
    assert crop_to_content(page, margin=5, max_height=50).shape[0] == 40


# --------------------------------------------------------------------------------------
# The page, from data
# --------------------------------------------------------------------------------------


def test_text_from_the_data_is_escaped():
    hostile = Indicator(
        code="X.<I>",
        name_vi="Tỷ lệ <script>alert(1)</script> & co",
        name_en='"quoted" <b onclick=x>',
        unit="<%>",
        value_type="percent",
        time_aggregation="last",
        higher_is_better=True,
        domain="van_hoa_xa_hoi",
    )
    row = Comparison(hostile, 91.5, 90.0, 1.5, 1.67, 95.0, "≥ 95% <img src=x>", 96.3, True)
    data = ReportData(
        unit_key="pre2025:1",
        unit_name='Phường <img src="x" onerror="alert(1)">',
        unit_type="Phường",
        level="ward",
        parent_names=["Quận <i class=evil>"],
        term_code=TERM,
        prev_term_code="2015-2020",
        years=list(range(2016, 2026)),
        this_term_years=list(range(2021, 2026)),
        indicators={hostile.code: hostile},
        comparisons=[row],
        ranking={hostile.code: [("Xã <script>", 91.5, True), ("Xã B", 80.0, False)]},
        ranking_reference={hostile.code: 85.0},
        reference_name="Quận <i class=evil>",
        wards_in_scope=3,
        wards_without_data={hostile.code: ["Xã <svg onload=alert(1)>"]},
        trends={hostile.code: {2016: 80.0, 2020: 85.0, 2021: 86.0, 2025: 91.5}},
        trend_targets={hostile.code: {TERM: 95.0}},
        coverage=None,
        source="<w>.duckdb",
    )
    page = render_report(data)
    for raw in ("<script", "<img", "<svg onload", "<i class=evil", "<b onclick", "<%>", "<w>"):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "Phường &lt;img src=&quot;x&quot; onerror=&quot;alert(1)&quot;&gt;" in page
    assert "91,5%" in page


# --------------------------------------------------------------------------------------
# `chitieu report` on the demo warehouse
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def district_report(demo_run, tmp_path_factory):
    """The district report of the demo run, written once through the CLI."""
    out = tmp_path_factory.mktemp("report") / "r.html"
    argv = ["report", "--unit", DISTRICT, "--term", TERM]
    argv += ["--warehouse", str(demo_run["warehouse"]), "--out", str(out)]
    status = main(argv)
    return {"status": status, "path": out, "html": out.read_text(encoding="utf-8")}


def _term_value(con, unit_key: str, indicator_code: str) -> float:
    return con.execute(
        "select value from marts.fct_term_comparison where unit_key = ? and indicator_code = ? "
        "and term_code = ? and basis = 'full'",
        [unit_key, indicator_code, TERM],
    ).fetchone()[0]


@pytest.mark.slow
def test_district_report_holds_wards_indicators_and_formatted_numbers(
    district_report, warehouse, capsys
):
    assert district_report["status"] == 0
    page = district_report["html"]
    assert "<h1>Thị xã Đức Phổ</h1>" in page
    for ward in REPORTING_WARDS:
        assert ward in page
    # The three wards that did not report are named, not silently left out.
    assert "Chưa có số liệu" in page
    for name in ("Tỷ lệ hộ nghèo", "Tỷ lệ người dân tham gia bảo hiểm y tế", "Xây dựng Đảng"):
        assert name in page
    assert re.search(r">\d{1,3},\d%<", page), "a percent with a decimal comma"
    assert format_percent(_term_value(warehouse, DISTRICT, "VH.BHYT_TYLE")) in page
    assert format_money_vnd(_term_value(warehouse, DISTRICT, "KT.VON_DAU_TU")) in page
    assert re.search(r"\d+,\d tỷ đồng", page)
    assert re.search(r">\d{1,3}(\.\d{3})+<", page), "a count with dots for thousands"
    # Ranking (2), trends (4) and the wards' target achievement (1).
    assert page.count('<svg class="chart"') == 7
    assert "12/15 phường, xã" in page  # partial coverage said out loud


@pytest.mark.slow
def test_report_is_one_self_contained_file(district_report):
    page = district_report["html"]
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    lowered = page.lower()
    for needle in ("http://", "https://", "<script", "<link", "<iframe", "<img", "url(", "@import"):
        assert needle not in lowered, needle
    assert not re.search(r"\b(src|href)\s*=", lowered)
    assert "@media print" in page


@pytest.mark.slow
def test_district_report_renders_in_headless_chromium(district_report, tmp_path):
    if report_screenshot.chromium_path() is None:
        pytest.skip("chromium is not installed: cannot check that the charts render")
    png = tmp_path / "r.png"
    log = report_screenshot.screenshot(district_report["path"], png, width=1280, height=2400)
    assert console_problems(log) == []
    pixels = read_png(png)
    assert pixels.shape == (2400, 1280, 3)
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    background_share = counts.max() / counts.sum()
    assert background_share < 0.8, "mostly one colour: a blank page"
    assert len(colours) > 500, "too few colours for text and charts"

    def pixels_of(hex_colour: str) -> int:
        rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
        return int(np.all(pixels == rgb, axis=2).sum())

    # The SVG bars and lines are drawn in their exact colours: they rendered.
    assert pixels_of(COLOR_THIS) > 20_000  # ranking bars, this term's lines
    assert pixels_of(COLOR_PREV) > 500  # the previous term's lines


@pytest.mark.slow
def test_ward_report_highlights_the_ward_and_its_targets(
    demo_run, warehouse, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    argv = ["report", "--unit", WARD, "--term", TERM, "--warehouse", str(demo_run["warehouse"])]
    assert main(argv) == 0
    written = tmp_path / "report-pre2025-21469-2020-2025.html"  # the default name
    page = written.read_text(encoding="utf-8")
    assert "<h1>Phường Phổ Hòa</h1>" in page
    assert "Thị xã Đức Phổ" in page  # the district: parent and reference line
    assert COLOR_HIGHLIGHT in page
    assert ">✓<" in page and ">✗<" in page
    achievement = warehouse.execute(
        "select target_achievement_pct from marts.fct_term_comparison where unit_key = ? "
        "and indicator_code = 'VH.BHYT_TYLE' and term_code = ? and basis = 'full'",
        [WARD, TERM],
    ).fetchone()[0]
    assert format_percent(achievement) in page
    # Ranking (2), trends (4) and its own target achievement (1).
    assert page.count('<svg class="chart"') == 7


@pytest.mark.slow
@pytest.mark.parametrize(
    ("unit_key", "term_code", "expected"),
    [
        ("pre2025:51", TERM, "Tỉnh Quảng Ngãi"),  # a province: its wards ranked
        ("2025:21439", TERM, "Phường Đức Phổ"),  # a 2025 ward built through the crosswalk
        (DISTRICT, "2015-2020", "Thị xã Đức Phổ"),  # the first term: no earlier data
        (DISTRICT, "2025-2030", "Chưa có số liệu"),  # a term with no data yet
    ],
)
def test_other_levels_and_terms_write_a_report(demo_run, tmp_path, unit_key, term_code, expected):
    out = tmp_path / "r.html"
    argv = ["report", "--unit", unit_key, "--term", term_code]
    assert main([*argv, "--warehouse", str(demo_run["warehouse"]), "--out", str(out)]) == 0
    assert expected in out.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("unit_key", "term_code", "message"),
    [
        ("pre2025:99999", TERM, "Không có đơn vị 'pre2025:99999'"),
        (DISTRICT, "2021-2026", "Không có nhiệm kỳ '2021-2026'"),
    ],
)
def test_unknown_unit_or_term_is_a_usage_error(
    demo_run, tmp_path, capsys, unit_key, term_code, message
):
    out = tmp_path / "r.html"
    argv = ["report", "--unit", unit_key, "--term", term_code]
    assert main([*argv, "--warehouse", str(demo_run["warehouse"]), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert " / " in error  # Vietnamese, then English
    assert not out.exists()


def test_missing_warehouse_is_reported(tmp_path, capsys):
    missing = tmp_path / "none" / "warehouse.duckdb"
    argv = ["report", "--unit", DISTRICT, "--term", TERM, "--warehouse", str(missing)]
    assert main([*argv, "--out", str(tmp_path / "r.html")]) == 1
    assert "không có kho dữ liệu" in capsys.readouterr().err


def test_default_name_is_safe_for_any_key():
    assert default_out_path("pre2025:534", "2020-2025") == Path("report-pre2025-534-2020-2025.html")
    assert "/" not in str(default_out_path("../../etc/x", "t"))

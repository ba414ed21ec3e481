"""A sheet's identity from its title block (flows.reading.metadata): unit, district,
province, period, term and report date, labelled or in the titles.
"""

from __future__ import annotations

from datetime import date

from flows.reading.table import parse_sheet
from flows.reading.workbook import SheetGrid


def test_sheet_identity(parsed_demo):
    sheet = parsed_demo["so-ket-2020-2025/pho-hoa.xlsx"]
    assert (sheet.unit_code, sheet.unit_name) == ("21469", "Phường Phổ Hòa")
    assert (sheet.district_name, sheet.province_name) == ("Thị xã Đức Phổ", "Tỉnh Quảng Ngãi")
    assert (sheet.period_code, sheet.term_code) == ("2020-2025-MID", "2020-2025")
    assert sheet.report_date is not None and sheet.report_date.year == 2023
    assert sheet.metadata["Mã đơn vị"] == "21469"
    assert parsed_demo["tong-ket-2015-2020/pho-an.xlsx"].period_code == "2015-2020"
    assert parsed_demo["nam-2024/pho-an.xlsx"].period_code == "2024"
    for relative, parsed in parsed_demo.items():
        assert parsed.unit_code and parsed.period_code and parsed.report_date, relative
        assert parsed.district_name == "Thị xã Đức Phổ", relative


def test_unknown_unit_file_is_well_formed(parsed_demo):
    sheet = parsed_demo["loi/don-vi-khong-ro.xlsx"]
    assert (sheet.unit_code, sheet.unit_name) == ("99999", "Phường Không Tồn Tại")
    assert len(sheet.observations) > 30


def test_worded_report_date_in_the_title(catalog):
    grid = SheetGrid(
        "s",
        0,
        True,
        [
            ["ĐẢNG ỦY PHƯỜNG PHỔ HÒA", None, "Phổ Hòa, ngày 18 tháng 5 năm 2023"],
            ["Phường:", "Phổ Hòa"],
            ["Thị xã: Đức Phổ", None, "Tỉnh: Quảng Ngãi"],
            ["Kỳ báo cáo", "Năm 2022"],
            ["STT", "Chỉ tiêu", "Năm 2022"],
            [1, "Dân số", 9000],
        ],
    )
    sheet = parse_sheet(grid, catalog)
    assert sheet.report_date == date(2023, 5, 18)
    assert (sheet.unit_name, sheet.district_name) == ("Phường Phổ Hòa", "Thị xã Đức Phổ")
    assert sheet.province_name == "Tỉnh Quảng Ngãi"
    assert sheet.period_code == "2022"


TITLE_LINES = [
    ["Kỳ báo cáo:", None, "Năm 2024", None],
    ["Kỳ báo cáo:", None, "Năm 2023", None],
    ["Mã đơn vị:", None, "21469"],
    ["Mã đơn vị:", None, 21469.0],
    ["Mã đơn vị:", None, 21469],
    ["Mã đơn vị:", None, True],
    ["Ngày báo cáo:", date(2024, 12, 15)],
    ["Huyện:", "Ba Bể", "Tỉnh:", "Bắc Kạn"],
    ["Đơn vị: Phường Phổ Hòa"],
    ["ĐẢNG BỘ HUYỆN BA BỂ", None, "ĐẢNG CỘNG SẢN VIỆT NAM"],
    ["Nhiệm kỳ:"],
    [None, None],
]


def test_kept_title_lines_read_as_fresh_ones():
    """A title line's metadata is kept per line of text; the same text reads the same,
    a changed text is read afresh, and a line holding a number or a date is never kept."""
    from flows.reading import metadata

    metadata._metadata_lines.clear()
    for _ in range(2):  # the second time from what was kept
        for line in TITLE_LINES:
            assert metadata._line_metadata(line) == tuple(metadata._row_metadata(line)), line
    assert metadata._line_metadata(TITLE_LINES[0])[0].raw == "Năm 2024"
    assert metadata._line_metadata(TITLE_LINES[1])[0].raw == "Năm 2023"
    assert {type(metadata._line_metadata(line)[0].raw) for line in TITLE_LINES[2:6]} == {
        str,
        float,
        int,
        bool,
    }
    for kept in metadata._metadata_lines:
        assert all(type(cell) in (str, type(None)) for cell in kept)

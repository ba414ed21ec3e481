"""Reading workbooks and parsing their indicator tables, on the demo data and small sheets."""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from flows.domain.catalog import load_catalog
from flows.domain.textnorm import TONE_MARKS
from flows.domain.values import parse_value
from flows.reading.ingest import (
    ParsedSheet,
    SheetGrid,
    UnreadableFile,
    cell_address,
    classify_header,
    find_header,
    parse_sheet,
    parse_workbook,
    read_workbook,
)
from tools.demo import DemoManifest, generate_demo


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, DemoManifest]:
    out_dir = tmp_path_factory.mktemp("demo")
    return out_dir, generate_demo(out_dir)


@pytest.fixture(scope="module")
def parsed_demo(demo, catalog) -> dict[str, ParsedSheet]:
    """The one parsed sheet of every readable demo file, by relative path."""
    out_dir, manifest = demo
    sheets = {}
    for relative in manifest.files:
        try:
            workbook = parse_workbook(out_dir / relative, catalog)
        except UnreadableFile:
            continue
        assert len(workbook.sheets) == 1, relative
        sheets[relative] = workbook.sheets[0]
    return sheets


def _observation(sheet: ParsedSheet, indicator_code: str, period_code: str):
    found = [
        o
        for o in sheet.observations
        if o.indicator_code == indicator_code and o.period_code == period_code
    ]
    assert len(found) == 1, (indicator_code, period_code, found)
    return found[0]


# ------------------------------------------------------------------ the demo


def test_demo_is_small_and_complete(demo):
    out_dir, manifest = demo
    total = sum((out_dir / relative).stat().st_size for relative in manifest.files)
    assert total < 1_000_000
    assert len(manifest.reporting_unit_codes) == 12
    assert set(manifest.non_reporting_unit_codes) == {"21475", "21478", "21481"}
    assert sorted(manifest.bad_files) == ["loi/bao-cao-hong.xlsx", "loi/don-vi-khong-ro.xlsx"]
    assert manifest.superseded_file == "nam-2024/pho-hoa.xlsx"
    assert len(manifest.files) == 12 * 4 + 1 + 2


def test_demo_is_deterministic(demo, tmp_path):
    out_dir, manifest = demo
    again = generate_demo(tmp_path)
    assert again.expected_values == manifest.expected_values
    for relative in manifest.files:
        assert (tmp_path / relative).read_bytes() == (out_dir / relative).read_bytes()


def test_demo_truth_is_internally_consistent(demo, catalog):
    _, manifest = demo
    truth = {
        (row["unit_code"], row["indicator_code"], row["period_code"]): row["value"]
        for row in manifest.expected_values
    }
    for (unit, code, period), value in truth.items():
        indicator = catalog.get(code)
        if indicator.min_value is not None:
            assert value >= indicator.min_value
        if indicator.max_value is not None:
            assert value <= indicator.max_value
        if indicator.numerator_code:
            numerator = truth[(unit, indicator.numerator_code, period)]
            denominator = truth[(unit, indicator.denominator_code, period)]
            assert numerator <= denominator
            assert value == round(100 * numerator / denominator, 1)
        if code == "VH.DAN_SO":
            assert 8000 <= value <= 15000
    for (unit, code, period), value in truth.items():
        if code == "KT.VON_DAU_TU":
            parts = (
                truth[(unit, "KT.VON_NS_CAP_TREN", period)] + truth[(unit, "KT.VON_NS_XA", period)]
            )
            assert value == parts


def test_every_expected_value_is_parsed_from_its_cell(demo, parsed_demo):
    _, manifest = demo
    for row in manifest.expected_values:
        sheet = parsed_demo[row["source_file"]]
        assert sheet.unit_code == row["unit_code"]
        observation = _observation(sheet, row["indicator_code"], row["period_code"])
        assert observation.value == pytest.approx(row["value"]), (row, observation)
        assert observation.is_estimate == row["is_estimate"]
        assert observation.qualifier == row["qualifier"]
        assert observation.source_cell == row["source_cell"]


def test_a_known_value_and_its_provenance(demo, parsed_demo, catalog):
    out_dir, manifest = demo
    truth = next(
        row
        for row in manifest.expected_values
        if (row["unit_code"], row["indicator_code"], row["period_code"])
        == ("21469", "VH.BHYT_TYLE", "2022")
    )
    assert truth["source_file"] == "so-ket-2020-2025/pho-hoa.xlsx"
    sheet = parsed_demo[truth["source_file"]]
    observation = _observation(sheet, "VH.BHYT_TYLE", "2022")
    assert observation.value == truth["value"]
    assert observation.target_direction in ("at_least",)
    workbook = openpyxl.load_workbook(out_dir / truth["source_file"])
    cell = workbook.worksheets[0][observation.source_cell]
    assert parse_value(cell.value, "percent").value == truth["value"]
    assert cell.row == observation.source_row
    name_cell = workbook.worksheets[0].cell(row=observation.source_row, column=3).value
    assert catalog.match(None, name_cell).indicator_code == "VH.BHYT_TYLE"


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


def test_two_row_header_gives_year_and_estimate_columns(parsed_demo):
    sheet = parsed_demo["so-ket-2020-2025/nguyen-nghiem.xlsx"]
    periods = {(o.period_code, o.is_estimate) for o in sheet.observations}
    assert periods == {("2021", False), ("2022", False), ("2023", True)}


def test_resubmission_is_later_and_differs_by_one_value(demo, parsed_demo):
    _, manifest = demo
    first = parsed_demo[manifest.superseded_file]
    second = parsed_demo[manifest.superseding_file]
    assert (first.unit_code, first.period_code) == (second.unit_code, second.period_code)
    assert second.report_date > first.report_date
    values = {}
    for sheet in (first, second):
        values[sheet.sheet_name + str(sheet.report_date)] = {
            (o.indicator_code, o.period_code): o.value for o in sheet.observations
        }
    before, after = values.values()
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {("XD.KET_NAP_DV", "2024")}


def test_hidden_sheet_is_skipped(demo, catalog):
    out_dir, manifest = demo
    relative, sheet_name = manifest.hidden_sheets[0]
    grids = read_workbook(out_dir / relative)
    assert [grid.visible for grid in grids if grid.name == sheet_name] == [False]
    workbook = parse_workbook(out_dir / relative, catalog)
    assert [s.sheet_name for s in workbook.sheets] == ["Bieu chi tieu"]
    assert [(s.sheet_name, s.reason) for s in workbook.skipped] == [(sheet_name, "hidden")]


def test_sheet_without_table_is_skipped(demo, catalog):
    out_dir, manifest = demo
    relative, sheet_name = manifest.sheets_without_table[0]
    workbook = parse_workbook(out_dir / relative, catalog)
    assert [(s.sheet_name, s.reason) for s in workbook.skipped] == [
        (sheet_name, "no_indicator_table")
    ]


def test_corrupt_file_is_unreadable_in_both_languages(demo):
    out_dir, _ = demo
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(out_dir / "loi/bao-cao-hong.xlsx")
    assert "hỏng" in caught.value.reason_vi and "xlsx" in caught.value.reason_vi
    assert "damaged" in caught.value.reason_en
    assert " / " in str(caught.value)


def test_unknown_unit_file_is_well_formed(parsed_demo):
    sheet = parsed_demo["loi/don-vi-khong-ro.xlsx"]
    assert (sheet.unit_code, sheet.unit_name) == ("99999", "Phường Không Tồn Tại")
    assert len(sheet.observations) > 30


def test_unmapped_rows_are_reported(demo, parsed_demo):
    _, manifest = demo
    assert manifest.unmapped_rows
    for expected in manifest.unmapped_rows:
        rows = parsed_demo[expected["file"]].unmapped_rows
        assert [(r.source_row, r.name_text) for r in rows] == [
            (expected["source_row"], expected["name"])
        ]
        assert rows[0].unit_text == "hộ" and rows[0].values_text


def test_no_cell_issues_in_the_demo(parsed_demo):
    assert not [issue for sheet in parsed_demo.values() for issue in sheet.cell_issues]


# ------------------------------------------------------------------ small sheets


def _save_sheet(path: Path, rows: list[list], origin: tuple[int, int] = (1, 1)) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(row=origin[0] + r, column=origin[1] + c, value=value)
    workbook.save(path)
    return path


HEADER = ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Thực hiện", "Ghi chú"]
METADATA = [
    ["Đơn vị: Phường Phổ Hòa"],
    ["Mã đơn vị:", None, "21469"],
    ["Kỳ báo cáo: Năm 2024"],
    [],
]


def test_addresses_are_real_when_the_sheet_does_not_start_at_a1(tmp_path, catalog):
    rows = [*METADATA, HEADER, ["1", "VH.DAN_SO", "Dân số", "người", None, 9876]]
    path = _save_sheet(tmp_path / "shifted.xlsx", rows, origin=(3, 2))
    grid = read_workbook(path)[0]
    assert grid.rows[2][1] == "Đơn vị: Phường Phổ Hòa"
    sheet = parse_sheet(grid, catalog)
    observation = _observation(sheet, "VH.DAN_SO", "2024")
    assert (observation.source_cell, observation.source_row, observation.value) == ("G8", 8, 9876)
    assert sheet.header_row == 7


def test_money_units_and_ditto_marks(tmp_path, catalog):
    rows = [
        *METADATA,
        HEADER,
        ["II", None, "KINH TẾ"],
        ["1", None, "Tổng vốn đầu tư xây dựng kết cấu hạ tầng", "triệu đồng", None, 1117.213],
        ["2", None, "Vốn ngân sách cấp trên hỗ trợ đầu tư", '"', "trên 1 tỷ", 900],
        ["3", None, "Vốn ngân sách xã/phường đầu tư", "nt", None, "217,213"],
        ["4", None, "Kinh phí vận động xây nhà đại đoàn kết", "đồng", None, "1,1 tỷ"],
    ]
    sheet = parse_sheet(read_workbook(_save_sheet(tmp_path / "money.xlsx", rows))[0], catalog)
    values = {o.indicator_code: o.value for o in sheet.observations}
    assert values == {
        "KT.VON_DAU_TU": 1_117_213_000,
        "KT.VON_NS_CAP_TREN": 900_000_000,
        "KT.VON_NS_XA": 217_213_000,
        "MT.VAN_DONG_NHA_DDK": 1_100_000_000,
    }
    target = _observation(sheet, "KT.VON_NS_CAP_TREN", "2024")
    assert (target.target_low, target.target_direction) == (1e9, "at_least")


def test_cell_errors_become_issues_and_the_sheet_goes_on(tmp_path, catalog):
    rows = [
        *METADATA,
        HEADER,
        ["1", "VH.DAN_SO", "Dân số", "người", None, "#REF!"],
        ["2", "VH.TONG_HO", "Tổng số hộ", "hộ", None, "=1/0"],
        ["3", "VH.HO_NGHEO", "Số hộ nghèo", "hộ", None, "nhiều lắm"],
        ["4", "VH.BHYT_TYLE", "Tỷ lệ BHYT", "%", "≥ 95%", "91,5"],
    ]
    sheet = parse_sheet(read_workbook(_save_sheet(tmp_path / "errors.xlsx", rows))[0], catalog)
    issues = {(i.rule, i.source_cell, i.indicator_code) for i in sheet.cell_issues}
    assert issues == {
        ("cell_error", "F6", "VH.DAN_SO"),
        ("formula_without_value", "F7", "VH.TONG_HO"),
        ("unparseable", "F8", "VH.HO_NGHEO"),
    }
    assert all(i.severity == "error" and i.message_vi and i.message_en for i in sheet.cell_issues)
    assert [(o.indicator_code, o.value) for o in sheet.observations] == [("VH.BHYT_TYLE", 91.5)]


def test_sections_footnotes_and_notes(tmp_path, catalog):
    header = [*HEADER[:6], "Đánh giá", "So với NQ (%)", "Ghi chú"]
    rows = [
        *METADATA,
        header,
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)"],
        ["I", None, "VĂN HÓA - XÃ HỘI"],
        ["1", None, "Tỷ lệ hộ nghèo", "%", "dưới 3%", "3,07", "Chưa đạt", 102.3, "cuối năm"],
        ["2", None, "Số hộ dùng nước sạch", "hộ", None, 2100],
        [None, None, "Cộng"],
        ["(1) Số liệu ước tính"],
        ["3", "VH.DAN_SO", "Dân số", "người", None, 9000],
    ]
    sheet = parse_sheet(read_workbook(_save_sheet(tmp_path / "notes.xlsx", rows))[0], catalog)
    assert [o.indicator_code for o in sheet.observations] == ["VH.HO_NGHEO_TYLE"]
    observation = sheet.observations[0]
    assert observation.note == "Đánh giá: Chưa đạt; cuối năm"
    assert (observation.target_high, observation.target_direction) == (3.0, "at_most")
    assert [(r.source_row, r.name_text, r.values_text) for r in sheet.unmapped_rows] == [
        (9, "Số hộ dùng nước sạch", "Thực hiện: 2100")
    ]


def test_year_columns_and_midterm_column(tmp_path, catalog):
    header = ["TT", "Nội dung", "Kế hoạch", "TH 2021", "Ước TH 2023", "Giữa nhiệm kỳ"]
    rows = [
        ["Kỳ báo cáo: Sơ kết giữa nhiệm kỳ 2020-2025"],
        header,
        [1, "Số hộ nghèo", 50, 40, 30, 30],
    ]
    sheet = parse_sheet(read_workbook(_save_sheet(tmp_path / "years.xlsx", rows))[0], catalog)
    assert [(o.period_code, o.is_estimate, o.value) for o in sheet.observations] == [
        ("2021", False, 40),
        ("2023", True, 30),
        ("2020-2025-MID", False, 30),
    ]
    assert sheet.observations[0].target_direction == "exact"


def test_value_column_without_a_period_is_an_issue(tmp_path, catalog):
    rows = [HEADER, ["1", "VH.DAN_SO", "Dân số", "người", None, 9000]]
    sheet = parse_sheet(read_workbook(_save_sheet(tmp_path / "noperiod.xlsx", rows))[0], catalog)
    assert sheet.period_code is None and not sheet.observations
    assert [i.rule for i in sheet.cell_issues] == ["period_unknown"]


def test_sheet_without_table_gives_none(catalog):
    grid = SheetGrid("notes", 0, True, [["Hướng dẫn"], ["Ghi số liệu vào cột Thực hiện"]])
    assert parse_sheet(grid, catalog) is None


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


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("STT", "stt"),
        ("Số TT", "stt"),
        ("Mã số", "code"),
        ("Tên chỉ tiêu", "name"),
        ("Nội dung chỉ tiêu", "name"),
        ("Đơn vị tính", "unit"),
        ("Chỉ tiêu Nghị quyết", "target"),
        ("Mục tiêu NQ", "target"),
        ("KH", "target"),
        ("Kết quả", "value"),
        ("Số liệu", "value"),
        ("Năm 2021", "year"),
        ("Sơ kết", "midterm"),
        ("So sánh", "computed"),
        ("Tỷ lệ đạt", "computed"),
        ("Đánh giá", "assessment"),
        ("Ghi chú", "note"),
        ("Lung tung", None),
    ],
)
def test_classify_header(header, kind):
    role = classify_header(header)
    assert (role.kind if role else None) == kind


def test_find_header_needs_a_name_and_a_value_column():
    assert find_header(SheetGrid("s", 0, True, [["STT", "Chỉ tiêu", "ĐVT"]])) is None


# ------------------------------------------------------------------ reading files


def _cp1258_bytes(text: str) -> bytes:
    """Windows-1258 has the vowels (ơ, ư, â...) precomposed but the tones as combining marks."""
    pieces = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
        bare = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in TONE_MARKS))
        pieces.append(bare + tones)
    return codecs.encode("".join(pieces), "cp1258")


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [("utf-8-sig", ";"), ("utf-8", ","), ("utf-16", ";"), ("cp1258", ";")],
)
def test_csv_encodings_and_separators(tmp_path, catalog, encoding, separator):
    lines = [
        ["Đơn vị", "Phường Phổ Hòa"],
        ["Kỳ báo cáo", "Năm 2024"],
        ["STT", "Chỉ tiêu", "ĐVT", "Thực hiện"],
        ["1", "Tỷ lệ hộ nghèo", "%", "3,07"],
    ]
    text = "\r\n".join(separator.join(f'"{cell}"' for cell in line) for line in lines)
    path = tmp_path / "report.csv"
    if encoding == "cp1258":
        path.write_bytes(_cp1258_bytes(text))
    else:
        path.write_bytes(text.encode(encoding))
    sheet = parse_sheet(read_workbook(path)[0], catalog)
    assert sheet.unit_name == "Phường Phổ Hòa"
    assert [(o.indicator_code, o.value, o.source_cell) for o in sheet.observations] == [
        ("VH.HO_NGHEO_TYLE", 3.07, "D4")
    ]


def test_unsupported_extension(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(path)
    assert ".pdf" in caught.value.reason_vi and ".pdf" in caught.value.reason_en


def test_empty_file_and_empty_workbook(tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(blank)
    for path in (empty, blank):
        with pytest.raises(UnreadableFile) as caught:
            read_workbook(path)
        assert "trống" in caught.value.reason_vi and "empty" in caught.value.reason_en


def test_truncated_workbook(tmp_path, demo):
    out_dir, manifest = demo
    data = (out_dir / manifest.files[-1]).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFile):
        read_workbook(path)


def test_password_protected_workbook(tmp_path):
    # An encrypted OOXML file is an OLE container with an "EncryptedPackage" stream.
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    )
    path = tmp_path / "locked.xlsx"
    path.write_bytes(ole + b"\x00" * 1024)
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(path)
    assert "mật khẩu" in caught.value.reason_vi and "password" in caught.value.reason_en


def test_xls_saved_under_xlsx_name_still_opens(tmp_path):
    path = _save_sheet(tmp_path / "report.xlsx", [["a"]])
    renamed = path.rename(tmp_path / "report.ods.xlsx")
    assert read_workbook(renamed)[0].rows[0][0] == "a"


@pytest.mark.parametrize(
    ("row_idx", "col_idx", "address"),
    [
        (0, 0, "A1"),
        (11, 5, "F12"),
        (0, 25, "Z1"),
        (0, 26, "AA1"),
        (9, 701, "ZZ10"),
        (0, 702, "AAA1"),
    ],
)
def test_cell_address(row_idx, col_idx, address):
    assert cell_address(row_idx, col_idx) == address


# ------------------------------------------------------------------ formats, warnings, XML safety


def _rezip(path: Path, replace_part: str, transform) -> None:
    """Rewrite one part of an xlsx package in place."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[replace_part] = transform(parts[replace_part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)


_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'.encode()
        for n in range(1, 10)
    )
    + b"]>"
)


def test_xml_entity_expansion_is_refused(tmp_path, catalog):
    rows = [*METADATA, HEADER, ["1", "VH.DAN_SO", "Dân số", "người", None, "=1+1"]]
    path = _save_sheet(tmp_path / "laughs.xlsx", rows)
    _rezip(path, "xl/styles.xml", lambda xml: _LAUGHS + re.sub(rb"^<\?xml[^>]*\?>", b"", xml))
    from flows.reading.ingest import _package_cell_extras

    # defusedxml refuses the DTD: no extras, no expansion, no exception.
    assert _package_cell_extras(path.read_bytes()) == {}
    with contextlib.suppress(UnreadableFile):  # refusing the whole file is as good
        read_workbook(path)


def test_percent_format_only_scales_percent_rows(tmp_path, catalog):
    rows = [
        *METADATA,
        HEADER,
        ["1", "VH.BHYT_TYLE", "Tỷ lệ BHYT", "%", None, 0.915],
        ["2", "VH.DAN_SO", "Dân số", "người", None, 0.5],
    ]
    path = _save_sheet(tmp_path / "percent.xlsx", rows)
    workbook = openpyxl.load_workbook(path)
    for address in ("F6", "F7"):
        workbook.active[address].number_format = "0.0%"
    workbook.save(path)
    grid = read_workbook(path)[0]
    assert grid.percent_cells == {(5, 5), (6, 5)}
    sheet = parse_sheet(grid, catalog)
    values = {o.indicator_code: (o.value, o.original_text) for o in sheet.observations}
    assert values == {"VH.BHYT_TYLE": (91.5, "0.915"), "VH.DAN_SO": (0.5, "0.5")}


def test_per_mille_unit_column_and_warning(tmp_path, catalog):
    rows = [
        *METADATA,
        HEADER,
        ["1", "VH.HO_NGHEO_TYLE", "Tỷ lệ hộ nghèo", "‰", None, "0,3"],
        ["2", "VH.BHYT_TYLE", "Tỷ lệ BHYT", "%", None, "91,5"],
    ]
    sheet = parse_sheet(read_workbook(_save_sheet(tmp_path / "mille.xlsx", rows))[0], catalog)
    units = {o.indicator_code: (o.value, o.unit) for o in sheet.observations}
    assert units == {"VH.HO_NGHEO_TYLE": (0.3, "‰"), "VH.BHYT_TYLE": (91.5, "%")}
    assert [(i.rule, i.severity, i.source_cell) for i in sheet.cell_issues] == [
        ("per_mille_in_percent_row", "warning", "F6")
    ]


def test_clerk_computed_columns_are_cross_checked_not_loaded(tmp_path, catalog):
    header = [*HEADER[:6], "So sánh", "Tỷ lệ đạt"]
    rows = [
        *METADATA,
        header,
        ["1", "VH.BHYT_TYLE", "Tỷ lệ BHYT", "%", "≥ 95%", "92", "96,8%", "96"],  # truncated: ok
        ["2", "VH.HO_NGHEO_TYLE", "Tỷ lệ hộ nghèo", "%", "dưới 3%", "3,07", "90", None],
        ["3", "VH.HO_CAN_NGHEO_TYLE", "Tỷ lệ hộ cận nghèo", "%", "10-12%", "11", "5", None],
        ["4", "XD.DV_HOC_NQ", "Số đảng viên", "người", None, "36/35 (90%)"],
    ]
    sheet = parse_sheet(read_workbook(_save_sheet(tmp_path / "computed.xlsx", rows))[0], catalog)
    assert [o.source_cell for o in sheet.observations] == ["F6", "F7", "F8", "F9"]
    warnings = [(i.rule, i.severity, i.source_cell) for i in sheet.cell_issues]
    # A range target has no single number to compare with: no check on row 8.
    assert warnings == [
        ("clerk_computed_mismatch", "warning", "G7"),
        ("clerk_computed_mismatch", "warning", "F9"),
    ]
    assert "102,3%" in sheet.cell_issues[0].message_vi
    assert "102.3%" in sheet.cell_issues[0].message_en


def test_legacy_encoded_sheet_is_matched_and_kept_as_typed(catalog):
    from flows.domain.textnorm import encode_tcvn3

    rows = [
        [encode_tcvn3("Đơn vị: Phường Phổ Hòa")],
        [encode_tcvn3("Kỳ báo cáo: Năm 2022")],
        [encode_tcvn3(text) for text in ("STT", "Chỉ tiêu", "ĐVT", "Thực hiện")],
        [1, encode_tcvn3("Tỷ lệ hộ nghèo"), "%", "3,07"],
        [2, encode_tcvn3("Số đảng viên tham gia học tập nghị quyết"), "", encode_tcvn3("98 đ/c")],
    ]
    sheet = parse_sheet(SheetGrid("s", 0, True, rows), catalog)
    assert sheet.unit_name == "Phường Phổ Hòa" and sheet.period_code == "2022"
    assert sheet.metadata == {"Đơn vị": "Ph\u00adêng Phæ Hßa", "Kỳ báo cáo": "N¨m 2022"}
    observations = {o.indicator_code: (o.value, o.original_text) for o in sheet.observations}
    assert observations == {"VH.HO_NGHEO_TYLE": (3.07, "3,07"), "XD.DV_HOC_NQ": (98, "98 ®/c")}


# ------------------------------------------------------------------ work shared across files


def test_kept_row_meanings_read_as_fresh_ones(tmp_path, catalog):
    """Rows repeat across files and their meaning is kept; a ditto mark's unit still
    comes from the row above in each file, and the notes' header still counts."""
    from flows.reading import ingest

    def money_sheet(first_unit: str, note_header: str):
        rows = [
            *METADATA,
            [*HEADER[:6], note_header],
            ["1", None, "Tổng vốn đầu tư xây dựng kết cấu hạ tầng", first_unit, None, 1117.213],
            ["2", None, "Vốn ngân sách cấp trên hỗ trợ đầu tư", '"', "trên 1 tỷ", 900, "ok"],
        ]
        path = _save_sheet(tmp_path / f"{first_unit}-{note_header}.xlsx", rows)
        return read_workbook(path)[0]

    grids = [money_sheet(unit, note) for unit in ("triệu đồng", "đồng") for note in HEADER[6:]]
    grids.append(money_sheet("triệu đồng", "Đánh giá"))
    ingest._row_meanings.clear()
    fresh = []
    for grid in grids:
        fresh.append(parse_sheet(grid, catalog))
        ingest._row_meanings.clear()
    kept = [parse_sheet(grid, catalog) for grid in grids + grids]
    assert kept == fresh + fresh
    ditto_values = [_observation(sheet, "KT.VON_NS_CAP_TREN", "2024").value for sheet in fresh]
    assert ditto_values == [900_000_000, 900, 900_000_000]
    notes = [_observation(sheet, "KT.VON_NS_CAP_TREN", "2024").note for sheet in fresh]
    assert notes == ["ok", "ok", "Đánh giá: ok"]


def test_container_check_shares_the_parts_it_inflated(tmp_path):
    import zipfile

    from flows.reading.safety import _inflate_whole, check_container

    rows = [*METADATA, HEADER, ["1", "VH.DAN_SO", "Dân số", "người", None, 9876]]
    deflated = _save_sheet(tmp_path / "deflated.xlsx", rows)
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(deflated) as source, zipfile.ZipFile(stored, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), zipfile.ZIP_STORED)
    for path in (deflated, stored):
        data = path.read_bytes()
        package = check_container(data)
        assert package is not None
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                assert package.read(info.filename) == archive.read(info)
                assert _inflate_whole(data, info) == archive.read(info)
        assert read_workbook(path, data, package)[0].rows == read_workbook(path)[0].rows
    # A part whose bytes do not match its CRC is left to zipfile, which reports it.
    data = bytearray(deflated.read_bytes())
    with zipfile.ZipFile(deflated) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data[info.header_offset + 30 + len(info.filename.encode()) + info.compress_size // 2] ^= 0x55
    assert _inflate_whole(bytes(data), info) is None


def _crc32_suffix(data: bytes, wanted_crc: int) -> bytes:
    """Four bytes that give ``data`` followed by them the CRC-32 ``wanted_crc``."""
    import zlib

    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table.append(crc)
    by_top_byte = {entry >> 24: index for index, entry in enumerate(table)}
    # Walk back from the wanted register to the four table entries that lead to it,
    # then pick the bytes that select them from the register after ``data``.
    register, indices = wanted_crc ^ 0xFFFFFFFF, []
    for _ in range(4):
        index = by_top_byte[register >> 24]
        indices.append(index)
        register = ((register ^ table[index]) << 8) & 0xFFFFFFFF
    register, suffix = zlib.crc32(data) ^ 0xFFFFFFFF, bytearray()
    for index in reversed(indices):
        suffix.append((register ^ index) & 0xFF)
        register = (register >> 8) ^ table[index]
    return bytes(suffix)


def test_a_remembered_part_is_given_back_only_for_the_same_bytes():
    """Parts are remembered by CRC and sizes across files: a part of another content with
    the same CRC and sizes (forged here) is inflated, never taken for the remembered one."""
    import io
    import zipfile
    import zlib

    from flows.reading.safety import _inflate_whole

    first = b'<?xml version="1.0"?><Types>one</Types>'
    second = b'<?xml version="1.0"?><Types>two</Ty'
    second += _crc32_suffix(second, zlib.crc32(first))
    assert len(second) == len(first) and zlib.crc32(second) == zlib.crc32(first)
    for content in (first, second, first):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("[Content_Types].xml", content)
        info = zipfile.ZipFile(out).getinfo("[Content_Types].xml")
        assert _inflate_whole(out.getvalue(), info) == content


@pytest.mark.parametrize(
    "sheet_xml",
    [
        b'<sheetData><row r="2"><c r="B2"><v>1</v></c><c r="AB70" s="1"><v>2</v></c></row>',
        b'<x:sheetData><x:row r="2"><x:c r="C3"><x:v>1</x:v></x:c><c t="s" r="D9"/></x:row>',
        b'<sheetData><c r="A1"><is><t>Ghi:chu:c r="ZZ9"</t></is></c><c\nr="B2"/><cx r="Q1"/>',
    ],
)
def test_cell_reference_scan_matches_the_full_pattern(sheet_xml):
    from flows.reading.safety import _CELL_REF, _cell_refs

    assert _cell_refs(sheet_xml) == _CELL_REF.findall(sheet_xml)


# ------------------------------------------------------------------ the table walk's shortcuts


FIRST_CELLS = [
    "(1)",
    "A",
    "I",
    "1",
    "12",
    "(a)",
    "Ghi chú: số liệu ước",
    "(*) Số liệu sơ bộ",
    "* Nguồn: UBND",
    "Người lập biểu",
    "T/M ĐẢNG ỦY",
    "Nơi nhận:",
    "Bí thư",
    "(2) Tính đến 31/12",
    "XD.DV_TRIEU_TAP",
    "",
    " ",
    1,
    7,
    0,
    -1,
    True,
    False,
    1.0,
    -0.0,
    float("inf"),
    float("-inf"),
    float("nan"),
    1e16,
    5e-324,
    date(2024, 12, 31),
]


def _is_footer_cell(first: object) -> bool:
    """The table walk's footer check before _first_cell_reading kept its answers."""
    from flows.domain.textnorm import fold
    from flows.reading.ingest import _FOOTER

    return isinstance(first, str) and _FOOTER.match(fold(first)) is not None


@pytest.mark.parametrize("first", FIRST_CELLS, ids=repr)
def test_first_cell_reading_is_the_two_checks_it_replaces(first):
    """_first_cell_reading (kept per text) says what _are_column_numbers and the footer
    check say of a row's first cell, twice in a row (the second time from what was kept)."""
    from flows.domain.textnorm import fold
    from flows.reading.ingest import _COLUMN_NUMBER, _first_cell_reading

    expected = (_COLUMN_NUMBER.match(fold(str(first))) is not None, _is_footer_cell(first))
    assert _first_cell_reading(first) == expected
    assert _first_cell_reading(first) == expected


def test_first_cell_reading_of_any_float_is_neither():
    """No float's text is a column number: str() writes a '.', an exponent sign, inf or nan."""
    from hypothesis import given
    from hypothesis import strategies as st

    from flows.reading.ingest import _are_column_numbers, _first_cell_reading

    @given(st.floats(allow_nan=True, allow_infinity=True))
    def check(number):
        assert _first_cell_reading(number) == (False, False)
        assert not _are_column_numbers([number, "1", "2"])
        assert not _is_footer_cell(number)

    check()


def test_rows_with_numeric_label_cells_are_read_afresh(catalog):
    """A row meaning is kept only for text labels: 1, 1.0 and True are equal keys but do
    not read alike, so a row labelled by a number is never answered from what was kept."""
    from flows.reading import ingest

    roles = {col: classify_header(text) for col, text in enumerate(HEADER)}
    layout = ingest.HeaderLayout(0, 0, roles)
    plan = ingest._ColumnPlan.of(layout)
    ingest._row_meanings.clear()
    for code in ("1", 1.0, 1, True, date(2024, 1, 1)):
        row = [1.0, code, "Tổng số đảng viên", "người", None, 5.0]
        state = ingest._TableState()
        meaning = ingest._row_meaning(row, 3, plan, state)
        fresh = ingest._read_row_meaning(row, 3, plan, None)
        assert (meaning.code_text, meaning.name_text, meaning.unit_text) == (
            fresh.code_text,
            fresh.name_text,
            fresh.unit_text,
        )
    kept_keys = list(ingest._row_meanings)
    assert len(kept_keys) == 1
    assert all(type(cell) in (str, type(None)) for cell in kept_keys[0][1])


@pytest.mark.parametrize("cell", [1.0, 2024.0, -0.0, 0.0, 2024.5, float("inf"), float("nan")])
def test_number_headers_read_as_fresh_ones(cell):
    """classify_header keeps a float's reading; it is the one worked out afresh."""
    from flows.reading.ingest import _classify_header_cell

    assert classify_header(cell) == _classify_header_cell(cell)
    assert classify_header(cell) == _classify_header_cell(cell)


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
    from flows.reading import ingest

    ingest._metadata_lines.clear()
    for _ in range(2):  # the second time from what was kept
        for line in TITLE_LINES:
            assert ingest._line_metadata(line) == tuple(ingest._row_metadata(line)), line
    assert ingest._line_metadata(TITLE_LINES[0])[0].raw == "Năm 2024"
    assert ingest._line_metadata(TITLE_LINES[1])[0].raw == "Năm 2023"
    assert {type(ingest._line_metadata(line)[0].raw) for line in TITLE_LINES[2:6]} == {
        str,
        float,
        int,
        bool,
    }
    for kept in ingest._metadata_lines:
        assert all(type(cell) in (str, type(None)) for cell in kept)


# Header cells, metadata labels and values, data cells: rows drawn from these are tried
# as headers and sub-headers against the rule the header search stops early on.
HEADER_SEARCH_CELLS = [
    *HEADER,
    "Năm 2023",
    "Ước 2024",
    "Kế hoạch",
    "Đơn vị:",
    "Xã Hoàng Trĩ",
    "I",
    "XÂY DỰNG ĐẢNG",
    2024.0,
    1.0,
    None,
    None,
]


def _header_roles_by_the_rule(row: list):
    """Every filled cell classified; the roles when they name a name and a value or target."""
    roles = {col: classify_header(cell) for col, cell in enumerate(row) if cell is not None}
    roles = {col: role for col, role in roles.items() if role is not None}
    kinds = {role.kind for role in roles.values()}
    if "name" in kinds and kinds & {"year", "value", "midterm", "target"}:
        return roles
    return None


def _sub_header_roles_by_the_rule(row: list):
    """Every filled cell classified; the roles when all are known and one holds values."""
    filled = {col: cell for col, cell in enumerate(row) if cell is not None}
    roles = {col: classify_header(cell) for col, cell in filled.items()}
    if not filled or None in roles.values():
        return None
    if not any(role.kind in {"year", "value", "midterm"} for role in roles.values()):
        return None
    return roles


def test_header_search_classifies_no_further_than_it_must():
    """The header search gives up on a row once its cells left cannot make it a header,
    and on a sub-header at its first unknown cell: the same answers as classifying all."""
    from hypothesis import given
    from hypothesis import strategies as st

    from flows.reading.ingest import _header_row_roles, _sub_header_roles

    @given(st.lists(st.sampled_from(HEADER_SEARCH_CELLS), max_size=8))
    def check(row):
        assert _header_row_roles(row) == _header_roles_by_the_rule(row)
        grid = SheetGrid("s", 0, True, [HEADER, row])
        assert _sub_header_roles(grid, 1) == _sub_header_roles_by_the_rule(row)

    check()
    assert _header_row_roles(["Đơn vị:", "Chỉ tiêu", "Thực hiện"]) is not None
    assert _header_row_roles(["Chỉ tiêu", "Đơn vị:", "Xã Hoàng Trĩ"]) is None


def test_cells_picker_reads_none_beyond_the_row():
    """A row shorter than the header reads None in the columns it does not reach."""
    from flows.reading.ingest import _cells_picker

    assert _cells_picker((1, 3))(["a", "b", "c", "d", "e"]) == ("b", "d")
    assert _cells_picker((1, 3))(["a", "b"]) == ("b", None)
    assert _cells_picker((2,))(["a"]) == (None,)
    assert _cells_picker((2,))(["a", "b", "c"]) == ("c",)
    assert _cells_picker(())(["a"]) == ()

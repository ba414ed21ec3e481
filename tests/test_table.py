"""The table walk (flows.reading.table): the demo's values parsed from their cells, small
sheets for money units, sections, notes, cell errors and the walk's shortcuts, sheets typed
wholly in a legacy font, and what a file without a table is told.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from flows.domain.textnorm import encode_tcvn3, encode_vni, repair_legacy_encoding
from flows.domain.values import parse_value
from flows.reading.headers import classify_header
from flows.reading.table import parse_sheet, parse_workbook, sheet_text_repaired
from flows.reading.workbook import SheetGrid, read_workbook
from tests.generators.small_sheets import HEADER, METADATA, one_observation, save_sheet
from tools.demo import generate_demo

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
        observation = one_observation(sheet, row["indicator_code"], row["period_code"])
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
    observation = one_observation(sheet, "VH.BHYT_TYLE", "2022")
    assert observation.value == truth["value"]
    assert observation.target_direction in ("at_least",)
    workbook = openpyxl.load_workbook(out_dir / truth["source_file"])
    cell = workbook.worksheets[0][observation.source_cell]
    assert parse_value(cell.value, "percent").value == truth["value"]
    assert cell.row == observation.source_row
    name_cell = workbook.worksheets[0].cell(row=observation.source_row, column=3).value
    assert catalog.match(None, name_cell).indicator_code == "VH.BHYT_TYLE"


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
    sheet = parse_sheet(read_workbook(save_sheet(tmp_path / "money.xlsx", rows))[0], catalog)
    values = {o.indicator_code: o.value for o in sheet.observations}
    assert values == {
        "KT.VON_DAU_TU": 1_117_213_000,
        "KT.VON_NS_CAP_TREN": 900_000_000,
        "KT.VON_NS_XA": 217_213_000,
        "MT.VAN_DONG_NHA_DDK": 1_100_000_000,
    }
    target = one_observation(sheet, "KT.VON_NS_CAP_TREN", "2024")
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
    sheet = parse_sheet(read_workbook(save_sheet(tmp_path / "errors.xlsx", rows))[0], catalog)
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
    sheet = parse_sheet(read_workbook(save_sheet(tmp_path / "notes.xlsx", rows))[0], catalog)
    assert [o.indicator_code for o in sheet.observations] == ["VH.HO_NGHEO_TYLE"]
    observation = sheet.observations[0]
    assert observation.note == "Đánh giá: Chưa đạt; cuối năm"
    assert (observation.target_high, observation.target_direction) == (3.0, "at_most")
    assert [(r.source_row, r.name_text, r.values_text) for r in sheet.unmapped_rows] == [
        (9, "Số hộ dùng nước sạch", "Thực hiện: 2100")
    ]


def test_a_footnote_line_marked_with_a_superscript_ends_the_table(catalog):
    rows = [
        ["Kỳ báo cáo: Năm 2024"],
        ["Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Thực hiện"],
        ["VH.DAN_SO", "Dân số¹", "người", 9000],
        ["¹ Số liệu ước tính đến 30/11"],
        ["VH.TONG_HO", "Tổng số hộ", "hộ", 3200],  # below the footnotes: not the table
    ]
    sheet = parse_sheet(SheetGrid("s", 0, True, rows), catalog)
    assert [o.indicator_code for o in sheet.observations] == ["VH.DAN_SO"]
    assert not sheet.unmapped_rows


def test_value_column_without_a_period_is_an_issue(tmp_path, catalog):
    rows = [HEADER, ["1", "VH.DAN_SO", "Dân số", "người", None, 9000]]
    sheet = parse_sheet(read_workbook(save_sheet(tmp_path / "noperiod.xlsx", rows))[0], catalog)
    assert sheet.period_code is None and not sheet.observations
    assert [i.rule for i in sheet.cell_issues] == ["period_unknown"]


def test_sheet_without_table_gives_none(catalog):
    grid = SheetGrid("notes", 0, True, [["Hướng dẫn"], ["Ghi số liệu vào cột Thực hiện"]])
    assert parse_sheet(grid, catalog) is None


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
    from flows.reading import table

    def money_sheet(first_unit: str, note_header: str):
        rows = [
            *METADATA,
            [*HEADER[:6], note_header],
            ["1", None, "Tổng vốn đầu tư xây dựng kết cấu hạ tầng", first_unit, None, 1117.213],
            ["2", None, "Vốn ngân sách cấp trên hỗ trợ đầu tư", '"', "trên 1 tỷ", 900, "ok"],
        ]
        path = save_sheet(tmp_path / f"{first_unit}-{note_header}.xlsx", rows)
        return read_workbook(path)[0]

    grids = [money_sheet(unit, note) for unit in ("triệu đồng", "đồng") for note in HEADER[6:]]
    grids.append(money_sheet("triệu đồng", "Đánh giá"))
    table._row_meanings.clear()
    fresh = []
    for grid in grids:
        fresh.append(parse_sheet(grid, catalog))
        table._row_meanings.clear()
    kept = [parse_sheet(grid, catalog) for grid in grids + grids]
    assert kept == fresh + fresh
    ditto_values = [one_observation(sheet, "KT.VON_NS_CAP_TREN", "2024").value for sheet in fresh]
    assert ditto_values == [900_000_000, 900, 900_000_000]
    notes = [one_observation(sheet, "KT.VON_NS_CAP_TREN", "2024").note for sheet in fresh]
    assert notes == ["ok", "ok", "Đánh giá: ok"]


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
    "¹ Số liệu ước tính",
    "²Nguồn: UBND",
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
    from flows.reading.table import _FOOTER

    return isinstance(first, str) and _FOOTER.match(fold(first)) is not None


@pytest.mark.parametrize("first", FIRST_CELLS, ids=repr)
def test_first_cell_reading_is_the_two_checks_it_replaces(first):
    """_first_cell_reading (kept per text) says what _are_column_numbers and the footer
    check say of a row's first cell, twice in a row (the second time from what was kept)."""
    from flows.domain.textnorm import fold
    from flows.reading.table import _COLUMN_NUMBER, _first_cell_reading

    expected = (_COLUMN_NUMBER.match(fold(str(first))) is not None, _is_footer_cell(first))
    assert _first_cell_reading(first) == expected
    assert _first_cell_reading(first) == expected


def test_first_cell_reading_of_any_float_is_neither():
    """No float's text is a column number: str() writes a '.', an exponent sign, inf or nan."""
    from hypothesis import given
    from hypothesis import strategies as st

    from flows.reading.table import _are_column_numbers, _first_cell_reading

    @given(st.floats(allow_nan=True, allow_infinity=True))
    def check(number):
        assert _first_cell_reading(number) == (False, False)
        assert not _are_column_numbers([number, "1", "2"], header_columns=5)
        assert not _is_footer_cell(number)

    check()


def test_rows_with_numeric_label_cells_are_read_afresh(catalog):
    """A row meaning is kept only for text labels: 1, 1.0 and True are equal keys but do
    not read alike, so a row labelled by a number is never answered from what was kept."""
    from flows.reading import table
    from flows.reading.headers import HeaderLayout

    roles = {col: classify_header(text) for col, text in enumerate(HEADER)}
    layout = HeaderLayout(0, 0, roles)
    plan = table._ColumnPlan.of(layout)
    table._row_meanings.clear()
    for code in ("1", 1.0, 1, True, date(2024, 1, 1)):
        row = [1.0, code, "Tổng số đảng viên", "người", None, 5.0]
        state = table._TableState()
        meaning = table._row_meaning(row, 3, plan, state)
        fresh = table._read_row_meaning(row, 3, plan, None)
        assert (meaning.code_text, meaning.name_text, meaning.unit_text) == (
            fresh.code_text,
            fresh.name_text,
            fresh.unit_text,
        )
    kept_keys = list(table._row_meanings)
    assert len(kept_keys) == 1
    assert all(type(cell) in (str, type(None)) for cell in kept_keys[0][1])


def test_cells_picker_reads_none_beyond_the_row():
    """A row shorter than the header reads None in the columns it does not reach."""
    from flows.reading.table import _cells_picker

    assert _cells_picker((1, 3))(["a", "b", "c", "d", "e"]) == ("b", "d")
    assert _cells_picker((1, 3))(["a", "b"]) == ("b", None)
    assert _cells_picker((2,))(["a"]) == (None,)
    assert _cells_picker((2,))(["a", "b", "c"]) == ("c",)
    assert _cells_picker(())(["a"]) == ()


# ------------------------------------------------------------------ a sheet typed in a legacy font


def write_sheet(path: Path, rows: list[list], merges: tuple[str, ...] = ()) -> Path:
    """One sheet written by the real writer of its container: openpyxl (.xlsx), xlwt (.xls)
    or odfpy (.ods), the casebook's writers. ``merges`` as Excel ranges (``"D5:H5"``)."""
    from openpyxl.utils.cell import range_boundaries

    from tests.generators.casebook_plan import SheetPlan
    from tests.generators.casebook_writers import _write_ods, _write_xls, _write_xlsx

    bounds = []
    for cells in merges:
        first_col, first_row, last_col, last_row = range_boundaries(cells)
        bounds.append((first_row, first_col, last_row, last_col))
    plan = SheetPlan("Bieu chi tieu", rows, unit_code="", period_code=None, merges=bounds)
    writer = {".xlsx": _write_xlsx, ".xls": _write_xls}.get(path.suffix, _write_ods)
    writer(path, [plan])
    return path


def legacy_sheet_rows(encode: Callable[[str], str]) -> list[list]:
    """The issue's sheet typed wholly in one font: title, metadata, header and rows.

    ``Néi dung``, ``Sè hé nghÌo`` and ``hé`` hold no character a Unicode text could not
    (TCVN3): only the whole sheet tells their encoding.
    """
    return [
        [encode("ĐẢNG ỦY PHƯỜNG PHỔ HÒA")],
        [encode("Đơn vị: Phường Phổ Hòa")],
        [encode("Mã đơn vị:"), None, "21469"],
        [encode("Kỳ báo cáo:"), encode("Năm 2024")],
        [],
        [encode(text) for text in ("TT", "Nội dung", "Đơn vị tính", "Chỉ tiêu NQ")]
        + [encode("Kết quả thực hiện")],
        [1, encode("Số hộ nghèo"), encode("hộ"), encode("dưới 100 hộ"), 66],
        [2, encode("Tỷ lệ hộ nghèo"), "%", encode("dưới 3%"), "2,2"],
        [
            3,
            encode("Số đảng viên tham gia học tập nghị quyết"),
            encode("người"),
            None,
            encode("98 đ/c"),
        ],
        [4, encode("Số hộ dùng nước sạch"), encode("hộ"), None, 2100],
        [encode("Người lập biểu")],
    ]


@pytest.mark.parametrize("container", [".xlsx", ".xls", ".ods"])
@pytest.mark.parametrize(
    "encode",
    [encode_tcvn3, encode_vni, lambda text: text, lambda text: nfd(text)],
    ids=["tcvn3", "vni", "nfc", "nfd"],
)
def test_a_sheet_typed_wholly_in_one_encoding_reads_the_same(tmp_path, catalog, encode, container):
    rows = legacy_sheet_rows(encode)
    grid = read_workbook(write_sheet(tmp_path / f"bieu{container}", rows))[0]
    sheet = parse_sheet(grid, catalog)
    assert sheet is not None and sheet.header_row == 6
    assert (sheet.unit_name, sheet.unit_code, sheet.period_code) == (
        "Phường Phổ Hòa",
        "21469",
        "2024",
    )
    # Metadata, values and targets keep the text as typed.
    assert sheet.metadata == {
        "Đơn vị": encode("Phường Phổ Hòa"),
        "Mã đơn vị": "21469",
        "Kỳ báo cáo": encode("Năm 2024"),
    }
    observations = {
        o.indicator_code: (o.value, o.original_text, o.target_text, o.target_high)
        for o in sheet.observations
    }
    assert observations == {
        "VH.HO_NGHEO": (66, "66", encode("dưới 100 hộ"), 100),
        "VH.HO_NGHEO_TYLE": (2.2, "2,2", encode("dưới 3%"), 3),
        "XD.DV_HOC_NQ": (98, encode("98 đ/c"), None, None),
    }
    # An unmapped row is shown to the curator repaired, as every row name is.
    assert [(r.name_text, r.unit_text) for r in sheet.unmapped_rows] == [
        ("Số hộ dùng nước sạch", "hộ")
    ]
    assert not sheet.cell_issues


def test_short_legacy_texts_cannot_tell_by_themselves():
    """Why the sheet decides: alone, these TCVN3 texts read as (odd) Unicode."""
    for text in ("Nội dung", "Số hộ nghèo", "hộ"):
        assert repair_legacy_encoding(encode_tcvn3(text)) == encode_tcvn3(text)
    assert classify_header(encode_tcvn3("Nội dung")) is None


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize("form", ["NFC", "NFD"])
@pytest.mark.parametrize("stray", [None, encode_tcvn3("Số liệu ước tính"), encode_vni("Ước tính")])
def test_a_unicode_sheet_is_never_repaired_whole(catalog, form, stray):
    """Names holding only letters 8-bit fonts have too (Hòa, Bình, Tân) stay as typed, even
    with a stray legacy text in the sheet: the sheet's Unicode texts outvote it."""
    rows = [
        ["Đơn vị: Xã Bình Hòa"],
        ["Huyện: Bình Sơn"],
        ["Kỳ báo cáo: Năm 2024"],
        ["TT", "Nội dung", "ĐVT", "Chỉ tiêu NQ", "Thực hiện", "Ghi chú"],
        [1, "Số hộ nghèo", "hộ", None, 66, stray],
        [2, "Tỷ lệ hộ nghèo", "%", "dưới 3%", "2,2", "Tân Hòa"],
        [3, "Dân số", "người", None, 9000, "Bình Tân"],
    ]
    rows = [[unicodedata.normalize(form, c) if isinstance(c, str) else c for c in r] for r in rows]
    grid = SheetGrid("s", 0, True, rows)
    assert sheet_text_repaired(grid) is grid
    sheet = parse_sheet(grid, catalog)
    assert (sheet.unit_name, sheet.district_name) == ("Xã Bình Hòa", "Huyện Bình Sơn")
    notes = {o.indicator_code: o.note for o in sheet.observations}
    assert notes["VH.HO_NGHEO_TYLE"] == "Tân Hòa" and notes["VH.DAN_SO"] == "Bình Tân"
    if stray is not None:  # the stray text itself is still repaired on its own evidence
        assert notes["VH.HO_NGHEO"] in ("Số liệu ước tính", "Ước tính")


# ------------------------------------------------------------------ a file with no table


@pytest.fixture(scope="module")
def resolver():
    from flows.domain.reference import load_reference
    from flows.domain.units import UnitResolver

    return UnitResolver(load_reference())


def _read_file(path: Path, catalog, resolver):
    from datetime import datetime

    from flows.reading.files import read_submissions
    from flows.reading.submission import LandedFile
    from flows.warehouse.receive import landing_sha256

    landed = LandedFile(path, path.name, landing_sha256(path), path.stat().st_size, datetime.now())
    return read_submissions(landed, catalog, resolver)


@pytest.mark.parametrize("container", [".xlsx", ".xls", ".ods"])
@pytest.mark.parametrize("encode", [lambda text: text, encode_tcvn3], ids=["unicode", "tcvn3"])
def test_a_file_without_a_table_says_what_was_nearly_one(
    tmp_path, catalog, resolver, encode, container
):
    rows = [
        [encode("BÁO CÁO KẾT QUẢ")],
        [encode("Đơn vị: Phường Phổ Hòa")],
        [encode("Kỳ báo cáo: Năm 2024")],
        [],
        [encode(text) for text in ("TT", "Nội dung", "ĐVT", "Số liệu cả năm")],
        [1, encode("Số hộ nghèo"), encode("hộ"), 66],
    ]
    reading = _read_file(write_sheet(tmp_path / f"gan-dung{container}", rows), catalog, resolver)
    (submission,) = reading.submissions
    assert reading.sheets_without_table == ["Bieu chi tieu"]
    rejection = submission.rejection
    assert rejection.rule == "unreadable_file"
    assert rejection.message_vi.startswith("Không tìm thấy bảng chỉ tiêu")
    assert (
        "Trang 'Bieu chi tieu': hàng 5 có cột số thứ tự ('TT'), cột tên chỉ tiêu ('Nội dung'), "
        "cột đơn vị tính ('ĐVT') nhưng không có cột kết quả/thực hiện hay chỉ tiêu NQ"
    ) in rejection.message_vi
    assert "các ô chưa nhận ra: 'Số liệu cả năm'" in rejection.message_vi
    assert (
        "Sheet 'Bieu chi tieu': row 5 has a row-number column ('TT'), an indicator-name column "
        "('Nội dung'), a unit column ('ĐVT') but no value or target column"
    ) in rejection.message_en
    assert " / " not in rejection.message_vi and " / " not in rejection.message_en

""".xls number formats: a percent-formatted cell (0,845 shown as 84,5 %) reads 84.5, as in .xlsx.

Every fixture is written by xlwt, and the same plan by openpyxl: both files go through the
real reader (container check, workbook reader, table walk) and must read the same values,
in layouts combined with the percent formats Excel offers. What xlwt does not write (a
formula's cached result) is made by rewriting its records in place.
"""

from __future__ import annotations

import hashlib
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
import xlrd
import xlwt

from flows.reading import xls_formats
from flows.reading.files import read_submissions
from flows.reading.parse import reader_state
from flows.reading.safety import Limits, check_container
from flows.reading.submission import LandedFile, Submission
from flows.reading.workbook import cell_address, read_workbook
from flows.reading.xls_formats import xls_percent_cells
from tests.generators.casebook_plan import (
    HEADER,
    NGUYEN_NGHIEM,
    PHO_AN,
    PHO_HOA,
    Put,
    SheetPlan,
    _name,
    _standard_metadata,
    _title,
    _value,
)
from tests.generators.casebook_writers import _write_xls, _write_xlsx

PERCENT_FORMATS = ("0.0%", "0%", "0.00%")
RATE, POOR_RATE, PEOPLE, MONEY = "VH.BHYT_TYLE", "VH.HO_NGHEO_TYLE", "VH.DAN_SO", "KT.VON_DAU_TU"
_COVERS = "issue 23: .xls number formats"


def _rate(case_id: str, fraction: float, percent_format: str, **expect: object) -> Put:
    """A rate stored as a fraction under a percent format: it reads in percentage points."""
    points = round(fraction * 100, 9)
    return _value(case_id, _COVERS, RATE, fraction, points, percent_format=percent_format, **expect)


def _plain(case_id: str, code: str, raw: object, value: float, **expect: object) -> Put:
    return _value(case_id, _COVERS, code, raw, value, **expect)


# ------------------------------------------------------------------ layouts


def _one_header_row(fmt: str) -> list[SheetPlan]:
    """The standard sheet: title, metadata, one header row; rates formatted, counts plain."""
    rows: list[list[object]] = [
        *_title(PHO_HOA[1]),
        *_standard_metadata(PHO_HOA, "Năm 2022"),
        HEADER,
        [1, RATE, _name(RATE), "%", "≥ 95%", _rate("rate", 0.845, fmt)],
        [2, POOR_RATE, _name(POOR_RATE), "%", "dưới 3%",
         _value("poor", _COVERS, POOR_RATE, 0.0307, 3.07, percent_format=fmt)],
        [3, PEOPLE, _name(PEOPLE), "người", None, _plain("people", PEOPLE, 12345, 12345)],
        [4, MONEY, _name(MONEY), "đồng", None, _plain("money", MONEY, 1_117_213_000, 1117213000)],
    ]  # fmt: skip
    return [SheetPlan("Biểu 01", rows, PHO_HOA[0], "2022")]


def _two_header_rows(fmt: str) -> list[SheetPlan]:
    """'Thực hiện' merged over year columns: each year's rate formatted, typed or plain."""
    top = ["STT", "Mã số", "Nội dung", "ĐVT", "Chỉ tiêu NQ", "Thực hiện", None, None, "Ghi chú"]
    sub = [None] * 5 + ["Năm 2021", "Năm 2022", "Ước 2023", None]
    rows: list[list[object]] = [
        *_title(NGUYEN_NGHIEM[1]),
        ["Phường/Xã:", "Nguyễn Nghiêm", None, "Mã ĐVHC:", NGUYEN_NGHIEM[0]],
        ["Kỳ:", "Sơ kết giữa nhiệm kỳ", None, "Nhiệm kỳ:", "2020 - 2025"],
        [],
        top,
        sub,
        ["I", None, "VĂN HÓA - XÃ HỘI"],
        [1, RATE, _name(RATE), "%", "≥ 95%",
         _rate("y2021", 0.9, fmt, period_code="2021"),
         _rate("y2022", 0.9125, fmt, period_code="2022"),
         _rate("y2023", 0.93, fmt, period_code="2023", is_estimate=True)],
        [2, POOR_RATE, _name(POOR_RATE), "%", "dưới 3%",
         _plain("poor-2021", POOR_RATE, "3,5", 3.5, period_code="2021"),
         _plain("poor-2022", POOR_RATE, 3.1, 3.1, period_code="2022"),
         _value("poor-2023", _COVERS, POOR_RATE, 0.028, 2.8, percent_format=fmt,
                period_code="2023", is_estimate=True)],
        [3, PEOPLE, _name(PEOPLE), "người", None,
         _plain("people-2021", PEOPLE, 8412, 8412, period_code="2021"),
         _plain("people-2022", PEOPLE, 8500, 8500, period_code="2022"),
         _plain("people-2023", PEOPLE, 8600, 8600, period_code="2023", is_estimate=True)],
    ]  # fmt: skip
    merges = [(2, 1, 2, 9), (6, 6, 6, 8), (6, 1, 7, 1), (6, 2, 7, 2), (6, 3, 7, 3), (8, 3, 8, 9)]
    return [SheetPlan("Tổng hợp", rows, NGUYEN_NGHIEM[0], "2020-2025-MID", merges)]


def _merged_cells_and_margins(fmt: str) -> list[SheetPlan]:
    """A table away from A1, merged titles and notes, label and value in adjacent cells."""
    table: list[list[object]] = [
        ["ĐẢNG BỘ XÃ PHỔ AN", None, None, "ĐẢNG CỘNG SẢN VIỆT NAM"],
        ["BIỂU KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU"],
        ["Đơn vị:", PHO_AN[1]],
        ["Mã đơn vị:", PHO_AN[0]],
        ["Kỳ báo cáo:", "Năm 2022"],
        [],
        HEADER,
        [1, RATE, _name(RATE), "%", "≥ 95%", _rate("rate", 0.961, fmt), "Vượt kế hoạch"],
        [2, PEOPLE, _name(PEOPLE), "người", None, _plain("people", PEOPLE, 7020, 7020)],
        [3, POOR_RATE, _name(POOR_RATE), "%", None, _plain("poor", POOR_RATE, 2.5, 2.5)],
        [],
        ["(1) Số liệu ước tính"],
    ]
    # One blank row and two blank columns before the table.
    rows = [[], *([None, None, *row] if row else [] for row in table)]
    merges = [(2, 3, 2, 5), (3, 3, 3, 9), (9, 9, 10, 9), (13, 3, 13, 9)]
    return [SheetPlan("Bieu chi tieu", rows, PHO_AN[0], "2022", merges)]


def _several_sheets(fmt: str) -> list[SheetPlan]:
    """Two sheets with percent cells in different rows: each sheet keeps its own formats."""
    first = _one_header_row(fmt)[0]
    rows: list[list[object]] = [
        *_title(PHO_HOA[1]),
        *_standard_metadata(PHO_HOA, "Năm 2023"),
        HEADER,
        [1, RATE, _name(RATE), "%", "≥ 95%", _plain("typed", RATE, "91,5", 91.5)],
        [2, PEOPLE, _name(PEOPLE), "người", None, _plain("count", PEOPLE, 0.5, 0.5)],
        [3, POOR_RATE, _name(POOR_RATE), "%", "dưới 3%",
         _value("poor", _COVERS, POOR_RATE, 0.0275, 2.75, percent_format=fmt)],
    ]  # fmt: skip
    second = SheetPlan("Năm 2023", rows, PHO_HOA[0], "2023")
    return [first, second]


def _percent_format_on_a_count(fmt: str) -> list[SheetPlan]:
    """A percent format scales percent rows only: a count under one keeps its number."""
    rows: list[list[object]] = [
        *_title(PHO_HOA[1]),
        *_standard_metadata(PHO_HOA, "Năm 2022"),
        HEADER,
        [1, PEOPLE, _name(PEOPLE), "người", None,
         _value("people", _COVERS, PEOPLE, 12, 12, percent_format=fmt)],
        [2, RATE, _name(RATE), "%", "≥ 95%", _rate("rate", 0.87, fmt)],
    ]  # fmt: skip
    return [SheetPlan("Biểu 01", rows, PHO_HOA[0], "2022")]


LAYOUTS = {
    "one-header-row": _one_header_row,
    "two-header-rows-merged": _two_header_rows,
    "merged-cells-and-margins": _merged_cells_and_margins,
    "several-sheets": _several_sheets,
    "percent-format-on-a-count": _percent_format_on_a_count,
}


# ------------------------------------------------------------------ reading


def _landed(path: Path) -> LandedFile:
    data = path.read_bytes()
    return LandedFile(
        path, path.name, hashlib.sha256(data).hexdigest(), len(data), datetime.now(UTC)
    )


def _read(path: Path) -> list[Submission]:
    catalog, resolver = reader_state()
    return read_submissions(_landed(path), catalog, resolver).submissions


def _values(submissions: list[Submission]) -> dict[tuple[str | None, str], tuple]:
    """(sheet, cell) → what was read there, and every issue, as the warehouse would get it."""
    read = {}
    for submission in submissions:
        assert not submission.is_rejected, submission.rejection
        for o in submission.observations:
            read[(submission.source_sheet, o.source_cell)] = (
                o.indicator_code, o.period_code, o.value, o.qualifier, o.is_estimate, o.unit
            )  # fmt: skip
        for issue in submission.issues:
            read[(submission.source_sheet, f"{issue.rule} {issue.source_cell}")] = (issue.severity,)
    return read


def _planned(plans: list[SheetPlan]) -> dict[tuple[str, str], float | None]:
    """(sheet, cell) → the value each planned cell must read."""
    return {
        (plan.name, cell_address(r, c)): item.expect.value
        for plan in plans
        for r, row in enumerate(plan.rows)
        for c, item in enumerate(row)
        if isinstance(item, Put) and item.expect is not None
    }


@pytest.mark.parametrize("fmt", PERCENT_FORMATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_xls_reads_what_the_same_xlsx_reads(tmp_path, layout, fmt):
    plans = LAYOUTS[layout](fmt)
    _write_xls(tmp_path / "bao-cao.xls", plans)
    _write_xlsx(tmp_path / "bao-cao.xlsx", plans)

    from_xls = _values(_read(tmp_path / "bao-cao.xls"))
    from_xlsx = _values(_read(tmp_path / "bao-cao.xlsx"))

    assert from_xls == from_xlsx
    for (sheet, cell), value in _planned(plans).items():
        assert from_xls[(sheet, cell)][2] == pytest.approx(value), (sheet, cell)


def test_the_reader_marks_only_numbers_under_a_percent_format(tmp_path):
    plans = _several_sheets("0.0%")
    _write_xls(tmp_path / "a.xls", plans)
    _write_xlsx(tmp_path / "a.xlsx", plans)

    def marked(path: Path) -> dict[str, frozenset]:
        return {grid.name: grid.percent_cells for grid in read_workbook(path)}

    assert marked(tmp_path / "a.xls") == marked(tmp_path / "a.xlsx")
    assert marked(tmp_path / "a.xls") == {"Biểu 01": {(8, 5), (9, 5)}, "Năm 2023": {(10, 5)}}


# ------------------------------------------------------------------ formats and records


def _one_cell_book(path: Path, value: object, number_format: str | None) -> bytes:
    """A rate row whose value cell (F2) is ``value`` under ``number_format``."""
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Biểu 01")
    for c, text in enumerate(HEADER):
        sheet.write(0, c, text)
    for c, text in enumerate([1, RATE, _name(RATE), "%"]):
        sheet.write(1, c, text)
    style = xlwt.easyxf(num_format_str=number_format) if number_format else xlwt.Style.default_style
    sheet.write(1, 5, value, style)
    workbook.save(str(path))
    return path.read_bytes()


@pytest.mark.parametrize(
    ("number_format", "percent"),
    [
        ("0%", True),
        ("0.00%", True),
        ("#,##0.0%", True),
        ("0.0%;[Red]-0.0%", True),
        ('0.0"%"', False),  # a quoted % is text shown after the number, not a scale
        ("0.0\\%", False),
        ("0.0", False),
        (None, False),
    ],
)
def test_which_formats_are_percent(tmp_path, number_format, percent):
    data = _one_cell_book(tmp_path / "a.xls", 0.845, number_format)
    assert xls_percent_cells(data) == ({"Biểu 01": {(1, 5)}} if percent else {})


def _workbook_records(data: bytes) -> list[tuple[int, int, int]]:
    """The Workbook stream's records (type, offset in the file, length), up to the sheet's EOF.

    xlwt writes the stream in one piece, right after the compound file's header, and one
    sheet after the globals.
    """
    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    assert book.base == 512 and book.mem is data
    records, offset, ends = [], book.base, 0
    while ends < 2:
        kind, length = struct.unpack_from("<HH", data, offset)
        records.append((kind, offset, length))
        ends += kind == 0x000A
        offset += 4 + length
    return records


def test_a_mulrk_record_keeps_each_cells_format(tmp_path):
    """A row's consecutive numbers are one MULRK record (xlwt writes them as Excel does)."""
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Biểu 01")
    sheet.write(0, 0, "Tỷ lệ")
    sheet.write(1, 1, 0.9, xlwt.easyxf(num_format_str="0.0%"))
    sheet.write(1, 2, 0.25)
    sheet.write(1, 3, 0.5, xlwt.easyxf(num_format_str="0%"))
    workbook.save(str(tmp_path / "a.xls"))
    data = (tmp_path / "a.xls").read_bytes()
    assert [kind for kind, _, _ in _workbook_records(data) if kind in (0x027E, 0x00BD)] == [0x00BD]

    grid = read_workbook(tmp_path / "a.xls", data)[0]
    assert grid.rows[1][1:4] == [0.9, 0.25, 0.5]
    assert grid.percent_cells == {(1, 1), (1, 3)}


def test_a_formula_counts_when_its_cached_result_is_a_number(tmp_path):
    """xlwt saves no result; the result bytes are set to a number, as Excel saves one."""
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Biểu 01")
    percent = xlwt.easyxf(num_format_str="0.0%")
    sheet.write(0, 0, 0.8, percent)
    sheet.write(1, 0, xlwt.Formula("A1+0.045"), percent)
    sheet.write(2, 0, xlwt.Formula("A1>0"), percent)
    workbook.save(str(tmp_path / "a.xls"))
    data = bytearray((tmp_path / "a.xls").read_bytes())
    formulas = [offset for kind, offset, _ in _workbook_records(bytes(data)) if kind == 0x0006]
    assert len(formulas) == 2
    data[formulas[0] + 10 : formulas[0] + 18] = struct.pack("<d", 0.845)
    # The second's result is TRUE: a type byte, the value, and 0xFFFF in bytes 6-7.
    data[formulas[1] + 10 : formulas[1] + 18] = b"\x01\x00\x01\x00\x00\x00\xff\xff"

    grid = read_workbook(tmp_path / "a.xls", bytes(data))[0]
    assert [row[0] for row in grid.rows] == [0.8, 0.845, True]
    assert grid.percent_cells == {(0, 0), (1, 0)}


# ------------------------------------------------------------------ failures and limits


def test_an_xlrd_failure_leaves_the_values_as_calamine_read_them(tmp_path, monkeypatch):
    data = _one_cell_book(tmp_path / "a.xls", 0.845, "0.0%")

    def refuse(*_args, **_kwargs):
        raise xlrd.XLRDError("Workbook corruption: seen[2] == 4")

    monkeypatch.setattr(xls_formats.xlrd, "open_workbook", refuse)
    grid = read_workbook(tmp_path / "a.xls", data)[0]
    assert grid.rows[1][5] == 0.845
    assert grid.percent_cells == frozenset()


def test_a_failure_reading_the_formats_does_not_reject_the_file(tmp_path, monkeypatch):
    plans = _one_header_row("0.0%")
    _write_xls(tmp_path / "bao-cao.xls", plans)

    def fail(*_args):
        raise AssertionError("xlrd asserts on what it does not expect")

    monkeypatch.setattr(xls_formats, "_percent_styles", fail)
    (submission,) = _read(tmp_path / "bao-cao.xls")
    assert not submission.is_rejected
    rate = next(o for o in submission.observations if o.indicator_code == RATE)
    assert rate.value == 0.845  # the stored fraction: the gate's rate rule then says so


def test_bytes_xlrd_cannot_open_give_no_formats(tmp_path):
    plans = _one_header_row("0.0%")
    _write_xlsx(tmp_path / "bao-cao.xlsx", plans)
    assert xls_percent_cells((tmp_path / "bao-cao.xlsx").read_bytes()) == {}
    assert xls_percent_cells(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600) == {}


def test_a_sheet_with_more_numbers_than_a_sheet_may_hold_gets_no_formats(tmp_path):
    workbook = xlwt.Workbook(encoding="utf-8")
    percent = xlwt.easyxf(num_format_str="0.0%")
    for name, count in (("Nhỏ", 10), ("Lớn", 40)):
        sheet = workbook.add_sheet(name)
        for row in range(count):
            sheet.write(row, 0, 0.5 + row / 1000, percent)
    workbook.save(str(tmp_path / "a.xls"))
    data = (tmp_path / "a.xls").read_bytes()
    check_container(data)

    limited = xls_percent_cells(data, Limits(max_cells_per_sheet=20))
    assert limited == {"Nhỏ": {(row, 0) for row in range(10)}}
    assert len(xls_percent_cells(data)["Lớn"]) == 40


def test_the_walk_reads_no_more_records_than_the_stream_holds():
    """Sheets pointed at one long substream would cost many walks: the budget ends them."""
    bof = struct.pack("<HH", 0x0809, 16) + bytes(16)
    number = struct.pack("<HHHHHd", 0x0203, 14, 0, 0, 7, 0.5)
    eof = struct.pack("<HH", 0x000A, 0)
    stream = bof + number * 50 + eof
    walk = xls_formats._SheetWalk(stream, frozenset({7}), Limits())
    walks = [walk.percent_cells(0) for _ in range(20)]
    assert walks[0] == {(0, 0)}
    assert walks[-1] is None


def test_sheets_sharing_a_name_get_no_formats(tmp_path):
    """calamine's grids are matched by name: when two sheets share one, neither is guessed."""
    plans = _several_sheets("0.0%")
    plans[1].name = "Biểu 02"
    _write_xls(tmp_path / "a.xls", plans)
    data = (tmp_path / "a.xls").read_bytes()
    assert xls_percent_cells(data).keys() == {"Biểu 01", "Biểu 02"}
    second = "Biểu 02".encode("utf-16-le")
    assert data.count(second) == 1  # in its BOUNDSHEET record only
    data = data.replace(second, "Biểu 01".encode("utf-16-le"))
    assert [grid.name for grid in read_workbook(tmp_path / "a.xls", data)] == ["Biểu 01"] * 2
    assert xls_percent_cells(data) == {}


# ------------------------------------------------------------------ through the real flow


@pytest.mark.slow
def test_a_percent_formatted_xls_rate_reaches_the_warehouse(prefect_server, tmp_path):
    import duckdb

    from flows.nightly import nightly_pipeline

    raw = tmp_path / "raw"
    raw.mkdir()
    plans = _one_header_row("0.0%")
    _write_xls(raw / "pho-hoa-2022.xls", plans)
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"

    nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))

    with duckdb.connect(str(warehouse), read_only=True) as con:
        values = dict(
            con.execute(
                "select indicator_code, value from marts.fct_indicator_value "
                "where unit_key = 'pre2025:21469' and period_code = '2022'"
            ).fetchall()
        )
        status = con.execute(
            "select status, reason from marts.rpt_submission_status "
            "where source_file = 'pho-hoa-2022.xls'"
        ).fetchall()
    assert status == [("loaded", None)]
    assert values[RATE] == pytest.approx(84.5)
    assert values[POOR_RATE] == pytest.approx(3.07)
    assert values[PEOPLE] == 12345

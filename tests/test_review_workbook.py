"""The review workbook, written, filled in as reviewers do, and read back.

A workbook is written for candidates of every value type, filled in with openpyxl (and once
re-saved by LibreOffice, as reviewers using it do), read with the project's reader and then
:func:`read_reviewed_workbook`. The fill-ins are drawn as combinations: accept mark ×
corrected value form (per value type) × corrected period form, on rows shuffled and partly
deleted; each row's expected decision, value, period and issues follow from its draw.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from flows.domain.periods import parse_period
from flows.domain.values import parse_number_text
from flows.outputs.review_workbook import (
    INSTRUCTIONS,
    TITLE,
    ReviewCandidate,
    ReviewDocument,
    display_value,
    period_label,
    vietnamese_number,
    write_review_workbook,
)
from flows.reading.errors import UnreadableFile
from flows.reading.reviewed import (
    MACHINE_SHEET,
    REVIEW_SHEET,
    ReviewedWorkbook,
    corrected_period_code,
    is_review_workbook,
    read_reviewed_workbook,
)
from flows.reading.workbook import SheetGrid, read_workbook
from tests.generators.reports import libreoffice_convert, soffice

DOCUMENT = ReviewDocument(
    source_file="data/raw/quang-ngai/bao-cao-tong-ket-2022-tinh-tho.docx",
    file_sha256="3f" * 32,
    unit_key="pre2025:21175",
    unit_name="Xã Tịnh Thọ",
    report_period_code="2022",
)

# (indicator code, name, unit, value type, the candidate's value, qualifier, denominator)
INDICATORS = (
    ("VH.BHYT_TYLE", "Tỷ lệ người dân tham gia bảo hiểm y tế", "%", "percent", 91.2, "", None),
    ("XD.KET_NAP_DV", "Số đảng viên mới được kết nạp", "người", "count", 12.0, "", None),
    ("DV.Y_KIEN_GIAI_QUYET", "Số ý kiến kiến nghị đã giải quyết", "ý kiến", "count", 22, "", 24),
    ("MT.VAN_DONG_NHA_DDK", "Kinh phí vận động xây nhà đại đoàn kết", "đồng", "money_vnd",
     300_000_000.0, "tren", None),
    ("VH.HO_NGHEO_TYLE", "Tỷ lệ hộ nghèo", "%", "percent", 3.07, "", None),
)  # fmt: skip
CANDIDATE_PERIODS = (None, "2022-H1", "2021")

# Accept marks as typed: (cell, accepted?) with None for a mark the reader does not understand.
MARKS = (
    ("x", True),
    ("X", True),
    ("x ", True),
    ("✓", True),
    ("có", True),
    ("Đồng ý", True),
    (None, False),
    ("không", False),
    ("?", None),
)


@dataclass(frozen=True)
class Form:
    """A correction as typed: the cell, and what it means (None: it is not valid)."""

    cell: object
    value: object = None
    qualifier: str = ""
    denominator: float | None = None


NO_CORRECTION = Form(None)
VALUE_FORMS = {
    "percent": (
        NO_CORRECTION,
        Form("92,5", 92.5),
        Form("92,5%", 92.5),
        Form(92.5, 92.5),
        Form("trên 95%", 95.0, "tren"),
        Form("chín mươi"),
        Form("92,5,1"),
    ),
    "count": (
        NO_CORRECTION,
        Form("1.200", 1200.0),
        Form("98 đồng chí", 98.0),
        Form(107, 107.0),
        Form("130/130", 130.0, "", 130.0),
        Form("nhiều"),
        Form("1.2.3"),
    ),
    "money_vnd": (
        NO_CORRECTION,
        Form("1.200.000.000", 1_200_000_000.0),
        Form("1,2 tỷ", 1_200_000_000.0),
        Form("gần 900 triệu đồng", 900_000_000.0, "khoang"),
        Form(1_200_000_000, 1_200_000_000.0),
        Form("không rõ số tiền"),
        Form(datetime(2022, 12, 24)),  # "24/12" that a spreadsheet turned into a date
    ),
}
PERIOD_FORMS = (
    NO_CORRECTION,
    Form("2022", "2022"),
    Form("năm 2022", "2022"),
    Form(2021, "2021"),
    Form("2020-2025-MID", "2020-2025-MID"),
    Form("6 tháng đầu năm 2022", "2022-H1"),
    Form("Quý I/2023", "2023-Q1"),
    Form("năm ngoái"),
    Form("2022-2023"),  # not a known term
)


@dataclass(frozen=True)
class Draw:
    """One candidate and what the reviewer typed on its row."""

    candidate: ReviewCandidate
    mark: object
    accepted_mark: bool | None
    value_form: Form
    period_form: Form


def _draws() -> list[Draw]:
    """Every accept mark × value form × period form, over the indicators and their periods."""
    draws = []
    combos = itertools.product(MARKS, range(7), range(len(PERIOD_FORMS)))
    for number, ((mark, accepted), value_index, period_index) in enumerate(combos):
        code, name, unit, value_type, value, qualifier, denominator = INDICATORS[
            number % len(INDICATORS)
        ]
        # A few ids are all digits: they must stay text through the writers and readers.
        candidate_id = f"{number:016d}" if number % 50 == 0 else f"{number:04x}{'ab' * 6}"
        candidate = ReviewCandidate(
            candidate_id=candidate_id,
            indicator_code=code,
            indicator_name=name,
            unit=unit,
            value=value,
            qualifier=qualifier,
            denominator=denominator,
            period_code=CANDIDATE_PERIODS[number % len(CANDIDATE_PERIODS)],
            reported_achievement_pct=60.0 if number % 7 == 0 else None,
            location=f"PHẦN THỨ NHẤT > II > {number % 5 + 1}.{number % 3 + 1} · đoạn {number}",
            sentence=f"Câu số {number}: {name.lower()} đạt {value}.",
            confidence=0.5 + (number % 5) / 10,
        )
        draws.append(
            Draw(
                candidate,
                mark,
                accepted,
                VALUE_FORMS[value_type][value_index],
                PERIOD_FORMS[period_index],
            )
        )
    return draws


DRAWS = _draws()


def _columns(sheet) -> tuple[int, dict[str, int]]:
    """The header row and the columns (1-based) by header text of the review sheet."""
    for row in sheet.iter_rows(min_row=1, max_row=20):
        headers = {cell.value: cell.column for cell in row if isinstance(cell.value, str)}
        if "Mã dòng" in headers:
            return row[0].row, headers
    raise AssertionError("no header row")


def _fill(path: Path, draws: list[Draw], shuffle_seed: int | None, delete: int) -> set[str]:
    """Type each draw's mark and corrections on its row; shuffle and delete rows as asked.

    Returns the ids of the deleted rows.
    """
    workbook = load_workbook(path)
    sheet = workbook[REVIEW_SHEET]
    header_row, columns = _columns(sheet)
    by_id = {draw.candidate.candidate_id: draw for draw in draws}
    last_row = header_row + len(draws)
    for row in range(header_row + 1, last_row + 1):
        draw = by_id[sheet.cell(row, columns["Mã dòng"]).value]
        sheet.cell(row, columns["Chấp nhận (x)"]).value = draw.mark
        sheet.cell(row, columns["Giá trị sửa"]).value = draw.value_form.cell
        sheet.cell(row, columns["Kỳ sửa"]).value = draw.period_form.cell
        sheet.cell(row, columns["Ghi chú"]).value = f"ghi chú {draw.candidate.candidate_id}"
    if shuffle_seed is not None:
        width = len(columns)
        # As a spreadsheet sorts: each cell's value moves with its number format.
        rows = [
            [
                (sheet.cell(row, col).value, sheet.cell(row, col).number_format)
                for col in range(1, width + 1)
            ]
            for row in range(header_row + 1, last_row + 1)
        ]
        random.Random(shuffle_seed).shuffle(rows)
        for offset, cells in enumerate(rows, start=header_row + 1):
            for col, (value, number_format) in enumerate(cells, start=1):
                sheet.cell(offset, col).value = value
                sheet.cell(offset, col).number_format = number_format
    deleted = set()
    for row in sorted(random.Random(delete).sample(range(header_row + 1, last_row), delete))[::-1]:
        deleted.add(sheet.cell(row, columns["Mã dòng"]).value)
        sheet.delete_rows(row)
    workbook.save(path)
    return deleted


def _read(path: Path) -> ReviewedWorkbook:
    grids = read_workbook(path)
    assert is_review_workbook(grids)
    return read_reviewed_workbook(grids)


def _check(reviewed: ReviewedWorkbook, draws: list[Draw], deleted: set[str]) -> None:
    """Every row's decision, values and issues are those its draw implies."""
    assert reviewed.document == DOCUMENT
    rows = {row.candidate_id: row for row in reviewed.rows}
    assert list(rows) == [d.candidate.candidate_id for d in _sorted(draws)]
    for draw in draws:
        candidate, row = draw.candidate, rows[draw.candidate.candidate_id]
        where = f"{candidate.candidate_id}: {draw}"
        assert row.indicator_code == candidate.indicator_code, where
        assert row.sentence == candidate.sentence and row.location == candidate.location, where
        assert row.reported_achievement_pct == candidate.reported_achievement_pct, where
        if candidate.candidate_id in deleted:
            assert row.decision == "rejected" and row.sheet_row is None, where
            assert row.value == candidate.value and not row.corrected, where
            assert len(row.issues) == 1 and "xóa" in row.issues[0].reason_vi, where
            continue
        value_given = draw.value_form is not NO_CORRECTION
        period_given = draw.period_form is not NO_CORRECTION
        bad_value = value_given and draw.value_form.value is None
        bad_period = period_given and draw.period_form.value is None
        good_value = value_given and not bad_value
        good_period = period_given and not bad_period
        corrected = good_value or good_period
        expected_issues = (
            bad_value
            + bad_period
            + (draw.accepted_mark is None)
            + (draw.accepted_mark is False and corrected)
        )
        assert len(row.issues) == expected_issues, (where, row.issues)
        for issue in row.issues:  # each names the row, in both languages
            assert f"Dòng {row.sheet_row} (" in issue.reason_vi, issue
            assert f"Row {row.sheet_row} (" in issue.reason_en, issue
        if bad_value:
            typed = draw.value_form.cell
            shown = typed.strftime("%d/%m/%Y") if isinstance(typed, datetime) else str(typed)
            assert any(shown in i.reason_vi for i in row.issues), where
        if bad_period:
            assert any(str(draw.period_form.cell) in i.reason_en for i in row.issues), where
        accepted = draw.accepted_mark is True and not bad_value and not bad_period
        assert row.decision == ("accepted" if accepted else "rejected"), where
        assert row.corrected == corrected, where
        expected_value = draw.value_form.value if good_value else float(candidate.value)
        assert row.value == pytest.approx(expected_value, rel=1e-12), where
        expected_qualifier = draw.value_form.qualifier if good_value else candidate.qualifier
        assert row.qualifier == expected_qualifier, where
        if good_value and draw.value_form.denominator is not None:
            assert row.denominator == draw.value_form.denominator, where
        else:
            assert row.denominator == candidate.denominator, where
        expected_period = draw.period_form.value if good_period else candidate.period_code
        assert row.period_code == expected_period, where
        assert row.note == f"ghi chú {candidate.candidate_id}", where
        decision = row.as_decision()
        assert decision.decision == row.decision
        assert decision.corrected_value == (row.value if corrected else None)
    every_issue = [issue for row in reviewed.rows for issue in row.issues]
    assert sorted(reviewed.issues) == sorted(every_issue)


def _sorted(draws: list[Draw]) -> list[Draw]:
    """In the workbook's order: by the paragraph of the location."""
    return sorted(draws, key=lambda d: int(d.candidate.location.rsplit(" ", 1)[1]))


@pytest.mark.parametrize(
    ("shuffle_seed", "delete"), [(None, 0), (7, 0), (None, 5), (11, 9)], ids=str
)
def test_filled_in_with_openpyxl_reads_back_row_by_row(tmp_path, shuffle_seed, delete):
    path = tmp_path / "ra-soat.xlsx"
    write_review_workbook(path, DOCUMENT, [draw.candidate for draw in DRAWS])
    deleted = _fill(path, DRAWS, shuffle_seed, delete)
    assert len(deleted) == delete
    _check(_read(path), DRAWS, deleted)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_resaved_by_libreoffice_reads_back_the_same(tmp_path):
    path = tmp_path / "filled" / "ra-soat.xlsx"
    path.parent.mkdir()
    write_review_workbook(path, DOCUMENT, [draw.candidate for draw in DRAWS])
    deleted = _fill(path, DRAWS, shuffle_seed=3, delete=4)
    try:
        resaved = libreoffice_convert(path, "xlsx", tmp_path / "resaved")
    except RuntimeError as error:  # Writer alone cannot open a workbook: Calc is needed
        pytest.skip(f"LibreOffice Calc cannot convert here ({error})")
    grids = read_workbook(resaved)
    assert is_review_workbook(grids)
    assert [(grid.name, grid.visible) for grid in grids] == [
        (REVIEW_SHEET, True),
        (MACHINE_SHEET, False),
    ]
    _check(read_reviewed_workbook(grids), DRAWS, deleted)


def test_a_percent_typed_into_a_percent_formatted_cell_reads_in_points(tmp_path):
    draws = [d for d in DRAWS if d.candidate.indicator_code == "VH.HO_NGHEO_TYLE"][:1]
    path = tmp_path / "ra-soat.xlsx"
    write_review_workbook(path, DOCUMENT, [d.candidate for d in draws])
    workbook = load_workbook(path)
    sheet = workbook[REVIEW_SHEET]
    header_row, columns = _columns(sheet)
    sheet.cell(header_row + 1, columns["Chấp nhận (x)"]).value = "x"
    corrected = sheet.cell(header_row + 1, columns["Giá trị sửa"])
    corrected.value, corrected.number_format = 0.0285, "0.00%"  # Excel's "2,85%"
    workbook.save(path)
    (row,) = _read(path).rows
    assert row.decision == "accepted" and row.corrected
    assert row.value == pytest.approx(2.85)


# ------------------------------------------------------------------ rows that name no candidate


def test_a_cleared_id_an_unknown_id_and_a_doubled_row_are_issues_never_accepted(tmp_path):
    draws = [d for d in DRAWS if d.candidate.indicator_code == "VH.BHYT_TYLE"][:4]
    path = tmp_path / "ra-soat.xlsx"
    write_review_workbook(path, DOCUMENT, [d.candidate for d in draws])
    workbook = load_workbook(path)
    sheet = workbook[REVIEW_SHEET]
    header_row, columns = _columns(sheet)
    first, second, third, fourth = range(header_row + 1, header_row + 5)
    for row in (first, second, third, fourth):
        sheet.cell(row, columns["Chấp nhận (x)"]).value = "x"
    sheet.cell(first, columns["Mã dòng"]).value = None  # cleared
    sheet.cell(second, columns["Mã dòng"]).value = "ffffffffffffffff"  # not in the hidden sheet
    fourth_id = sheet.cell(fourth, columns["Mã dòng"]).value
    # The reviewer copied the fourth row below the table and changed its period.
    for col in range(1, len(columns) + 1):
        sheet.cell(fourth + 1, col).value = sheet.cell(fourth, col).value
    sheet.cell(fourth + 1, columns["Kỳ sửa"]).value = "2021"
    workbook.save(path)

    reviewed = _read(path)
    rows = {row.candidate_id: row for row in reviewed.rows}
    cleared_id, unknown_row_id, third_id = (d.candidate.candidate_id for d in draws[:3])
    assert rows[third_id].decision == "accepted" and not rows[third_id].issues
    for candidate_id in (cleared_id, unknown_row_id):  # their rows are gone as far as ids tell
        assert rows[candidate_id].decision == "rejected"
        assert rows[candidate_id].sheet_row is None
    assert rows[fourth_id].decision == "rejected"
    assert f"({fourth}, {fourth + 1})" in rows[fourth_id].issues[0].reason_vi
    workbook_issues = [i for i in reviewed.issues if not any(i in r.issues for r in rows.values())]
    assert len(workbook_issues) == 2
    cleared, unknown = workbook_issues
    assert f"Dòng {first} (VH.BHYT_TYLE)" in cleared.reason_vi and "M" in cleared.reason_vi
    assert f"Row {first} (VH.BHYT_TYLE)" in cleared.reason_en
    assert "ffffffffffffffff" in unknown.reason_vi and "marked accepted" in unknown.reason_en
    vi, en = unknown  # the issues unpack as (Vietnamese, English)
    assert vi == unknown.reason_vi and en == unknown.reason_en


def test_a_workbook_that_lost_its_hidden_table_or_its_header_is_unreadable(tmp_path):
    path = tmp_path / "ra-soat.xlsx"
    write_review_workbook(path, DOCUMENT, [DRAWS[0].candidate])
    grids = read_workbook(path)
    review, machine = grids
    no_table = SheetGrid(machine.name, machine.index, False, machine.rows[:6])
    with pytest.raises(UnreadableFile, match="hidden candidate table"):
        read_reviewed_workbook([review, no_table])
    no_header = SheetGrid(review.name, review.index, True, review.rows[:6])
    with pytest.raises(UnreadableFile, match="Mã dòng"):
        read_reviewed_workbook([no_header, machine])
    assert not is_review_workbook([review])  # the visible sheet alone carries no marker


# ------------------------------------------------------------------ what the reviewer sees


def test_the_review_sheet_is_laid_out_for_a_reviewer(tmp_path):
    draws = DRAWS[:12]
    path = tmp_path / "ra-soat.xlsx"
    write_review_workbook(path, DOCUMENT, [d.candidate for d in reversed(draws)])
    workbook = load_workbook(path)
    assert workbook.sheetnames == [REVIEW_SHEET, MACHINE_SHEET]
    assert workbook[MACHINE_SHEET].sheet_state == "hidden"
    sheet = workbook[REVIEW_SHEET]
    assert sheet["A1"].value == TITLE
    texts = [cell.value for row in sheet.iter_rows(max_row=6) for cell in row if cell.value]
    assert INSTRUCTIONS in texts
    assert any(DOCUMENT.source_file in t for t in texts)
    assert any("Xã Tịnh Thọ" in t and DOCUMENT.unit_key in t for t in texts)
    assert any("Năm 2022 (2022)" in t for t in texts)
    header_row, columns = _columns(sheet)
    assert list(columns)[:12] == [
        "Mã chỉ tiêu", "Tên chỉ tiêu", "Giá trị", "Đơn vị", "Kỳ", "Câu trích", "Vị trí",
        "Độ tin cậy", "Chấp nhận (x)", "Giá trị sửa", "Kỳ sửa", "Ghi chú",
    ]  # fmt: skip
    assert sheet.freeze_panes == f"A{header_row + 1}"
    letter = {name: sheet.cell(header_row, col).column_letter for name, col in columns.items()}
    assert sheet.column_dimensions[letter["Mã dòng"]].hidden
    assert sheet.column_dimensions[letter["Câu trích"]].width >= 60
    first = header_row + 1
    assert sheet[f"{letter['Câu trích']}{first}"].alignment.wrap_text
    reviewer_fill = sheet[f"{letter['Chấp nhận (x)']}{first}"].fill.fgColor.rgb
    assert reviewer_fill != sheet[f"{letter['Giá trị']}{first}"].fill.fgColor.rgb
    assert sheet[f"{letter['Giá trị sửa']}{first}"].fill.fgColor.rgb == reviewer_fill
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list" and validation.formula1 == '"x"'
    assert str(validation.sqref) == f"{letter['Chấp nhận (x)']}{first}:" + (
        f"{letter['Chấp nhận (x)']}{header_row + len(draws)}"
    )
    shown_ids = [
        sheet.cell(row, columns["Mã dòng"]).value for row in range(first, first + len(draws))
    ]
    assert shown_ids == [d.candidate.candidate_id for d in _sorted(draws)]  # reading order
    by_id = {d.candidate.candidate_id: d.candidate for d in draws}
    for row in range(first, first + len(draws)):
        candidate = by_id[sheet.cell(row, columns["Mã dòng"]).value]
        shown_period = sheet.cell(row, columns["Kỳ"]).value
        if candidate.period_code is None:
            assert shown_period == "Năm 2022 (cả kỳ báo cáo)"
        else:
            assert parse_period(shown_period) == candidate.period_code
        assert sheet.cell(row, columns["Độ tin cậy"]).number_format == "0%"


def test_text_from_the_report_is_never_a_formula(tmp_path):
    candidate = ReviewCandidate(
        "c1", "VH.BHYT_TYLE", "Tỷ lệ", "%", 91.5, "", None, None, None,
        "=HYPERLINK(\"http://x\")", "=1+1 tỷ lệ\x07 91,5%", 0.9,
    )  # fmt: skip
    path = tmp_path / "ra-soat.xlsx"
    write_review_workbook(path, DOCUMENT, [candidate])
    (row,) = _read(path).rows
    assert row.sentence == "=1+1 tỷ lệ 91,5%" and row.location == '=HYPERLINK("http://x")'
    assert "<f>" not in _sheet_xml(path)


def _sheet_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as package:
        return "".join(
            package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.startswith("xl/worksheets/")
        )


@pytest.mark.parametrize(
    ("value", "qualifier", "denominator", "value_type", "shown"),
    [
        (91.5, "", None, "percent", "91,5"),
        (3.07, "", None, "percent", "3,07"),
        (100.0, "", None, "percent", "100"),
        (300_000_000.0, "tren", None, "money_vnd", "trên 300.000.000"),
        (1_117_213_000.0, "", None, "money_vnd", "1.117.213.000"),
        (130.0, "", 130.0, "count", "130/130"),
        (8.0, "", 8.0, "count", "8/8"),
        (200.0, "khoang", None, "count", "khoảng 200"),
        (95.0, ">", None, "percent", "trên 95"),
        (None, "", None, "percent", ""),
    ],
)
def test_values_read_as_the_reviewer_reads_them(value, qualifier, denominator, value_type, shown):
    assert display_value(value, qualifier, denominator, value_type) == shown


@given(
    number=st.one_of(
        st.integers(min_value=0, max_value=10**13).map(float),
        st.decimals(min_value=0, max_value=100_000, places=2).map(float),
    ),
    whole=st.booleans(),
)
def test_a_shown_number_parses_back_to_itself(number, whole):
    if whole:
        number = float(round(number))
    assert parse_number_text(vietnamese_number(number, whole), whole) == pytest.approx(number)


@pytest.mark.parametrize(
    "code", ["2022", "2023-Q1", "2023-Q4", "2023-H1", "2023-H2", "2020-2025", "2020-2025-MID"]
)
def test_a_shown_period_reads_back_as_its_code(code):
    assert parse_period(period_label(code)) == code
    assert corrected_period_code(period_label(code)) == code
    assert corrected_period_code(code.lower()) == code


@pytest.mark.parametrize(
    ("typed", "hint", "code"),
    [
        ("Sơ kết giữa nhiệm kỳ", "2020-2025", "2020-2025-MID"),
        ("Tổng kết nhiệm kỳ", "2015-2020", "2015-2020"),
        (2022.0, None, "2022"),
        (" năm  2021 ", None, "2021"),
        ("2021-2026", None, None),  # no such term
        (2022.5, None, None),
        ("Quý 5/2023", None, None),
        (datetime(2022, 1, 1), None, None),
    ],
)
def test_corrected_periods_as_typed(typed, hint, code):
    assert corrected_period_code(typed, hint) == code

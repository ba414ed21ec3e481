"""The review workbook: the figures read from one report's prose, for a person to confirm.

A figure read from prose is a candidate until someone confirms it (submission spec §7).
:func:`write_review_workbook` writes one .xlsx per report:

- sheet ``Rà soát``, the one a reviewer works in: a title, the report, its unit and period,
  one line of instructions (Vietnamese, then English), and one row per candidate sorted by
  where it stands in the report, then by indicator code: ``Mã chỉ tiêu | Tên chỉ tiêu |
  Giá trị | Đơn vị | Kỳ | Câu trích | Vị trí | Độ tin cậy | Chấp nhận (x) | Giá trị sửa |
  Kỳ sửa | Ghi chú``, and the candidate id in a hidden column. Values are shown as a
  reviewer reads them (``91,5``, ``trên 300.000.000``, ``130/130``), periods as clerks
  write them (``Năm 2022``, ``6 tháng đầu năm 2023``); the reviewer's columns are shaded,
  the header frozen, ``Chấp nhận (x)`` offers ``x`` from a list, and the correction cells
  are text cells so that ``22/24`` does not turn into a date;
- sheet ``chitieu_review``, hidden: the marker, the report's identity and every candidate's
  machine values, so that the workbook alone is enough to load it.

The layout (labels, columns, marker) is shared with the reader,
:mod:`flows.reading.reviewed`, which reads the decisions back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from flows.domain.catalog import load_catalog
from flows.domain.textnorm import fold
from flows.reading.reviewed import (
    DOCUMENT_FIELDS,
    MACHINE_COLUMNS,
    MACHINE_SHEET,
    MARKER_KEY,
    REVIEW_COLUMNS,
    REVIEW_MARKER,
    REVIEW_SHEET,
    REVIEWER_ROLES,
    ReviewDocument,
)

TITLE = "Rà soát số liệu trích từ báo cáo / Review of figures read from the report"
INSTRUCTIONS = (
    "Hướng dẫn: ghi x vào cột 'Chấp nhận (x)' để chấp nhận số liệu; nếu số liệu hoặc kỳ sai, "
    "ghi giá trị đúng vào 'Giá trị sửa' hoặc kỳ đúng vào 'Kỳ sửa' (và vẫn ghi x); mọi dòng "
    "không có x được ghi nhận là không chấp nhận. / Instructions: put x in 'Chấp nhận (x)' "
    "to accept a figure; if the figure or its period is wrong, write the right value in "
    "'Giá trị sửa' or the right period in 'Kỳ sửa' (and still put x); every row without x "
    "is recorded as rejected."
)
_TITLE_ROW, _DOCUMENT_ROW, _UNIT_ROW, _PERIOD_ROW, _INSTRUCTIONS_ROW = 1, 2, 3, 4, 5
HEADER_ROW = 7

_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_REVIEWER_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a reviewer fills in
_REVIEWER_HEADER_FILL = PatternFill("solid", fgColor="FFD966")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")

# How a qualifier reads before a value: Candidate's folded words and the table walk's signs.
QUALIFIER_DISPLAY = {
    "tren": "trên",
    "hon": "hơn",
    "duoi": "dưới",
    "khoang": "khoảng",
    "gan": "gần",
    ">": "trên",
    "<": "dưới",
    "~": "khoảng",
}
_ROMAN_QUARTERS = {"1": "I", "2": "II", "3": "III", "4": "IV"}
_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-H([12])|-(\d{4})(-MID)?)?$")
_NATURAL_PARTS = re.compile(r"(\d+)")
_PARAGRAPH_NUMBER = re.compile(r"đoạn\s+(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class ReviewCandidate:
    """One candidate figure as the review workbook lists it.

    ``value`` is in the catalog's unit (percent in 0–100, money in đồng); ``qualifier`` as
    :class:`~flows.reading.rows.Candidate` keeps it (``tren``, ``khoang``, '' for none);
    ``period_code`` None means the report's own period. ``value_type`` is the indicator's
    catalog value type, looked up in the catalog when not given.
    """

    candidate_id: str
    indicator_code: str
    indicator_name: str
    unit: str
    value: float | None
    qualifier: str
    denominator: float | None
    period_code: str | None
    reported_achievement_pct: float | None
    location: str
    sentence: str
    confidence: float | None
    value_type: str | None = None


def write_review_workbook(
    path: Path, document: ReviewDocument, candidates: list[ReviewCandidate]
) -> None:
    """Write the review workbook of one report's candidates to ``path`` (see the module doc)."""
    workbook = Workbook()
    review = workbook.active
    review.title = REVIEW_SHEET
    ordered = sorted(candidates, key=_review_order)
    value_types = {c.candidate_id: _value_type(c) for c in ordered}
    _write_review_sheet(review, document, ordered, value_types)
    machine = workbook.create_sheet(MACHINE_SHEET)
    _write_machine_sheet(machine, document, ordered, value_types)
    machine.sheet_state = "hidden"
    workbook.active = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _review_order(candidate: ReviewCandidate) -> tuple:
    """In reading order: by the paragraph number of the location ("… · đoạn 51") when it
    has one, then by the location read naturally ("4.10" after "4.9"), then by code."""
    location = candidate.location or ""
    paragraph = _PARAGRAPH_NUMBER.search(location)
    parts = _NATURAL_PARTS.split(location)
    natural = tuple((1, int(part), "") if part.isdigit() else (0, 0, part) for part in parts)
    return (
        int(paragraph.group(1)) if paragraph else -1,
        natural,
        candidate.indicator_code,
        candidate.candidate_id,
    )


def _value_type(candidate: ReviewCandidate) -> str:
    if candidate.value_type:
        return candidate.value_type
    indicator = load_catalog().get(candidate.indicator_code)
    if indicator is not None:
        return indicator.value_type
    unit = fold(candidate.unit)
    if unit == "%":
        return "percent"
    return "money_vnd" if unit.endswith("dong") else "number"


# ------------------------------------------------------------------ the reviewer's sheet


def _write_review_sheet(
    sheet: Worksheet,
    document: ReviewDocument,
    candidates: list[ReviewCandidate],
    value_types: dict[str, str],
) -> None:
    last_letter = get_column_letter(len(REVIEW_COLUMNS) - 1)  # the id column stays out
    _put(sheet, _TITLE_ROW, 1, TITLE).font = Font(bold=True, size=14)
    sheet.merge_cells(f"A{_TITLE_ROW}:{last_letter}{_TITLE_ROW}")
    identity = (
        (_DOCUMENT_ROW, "Báo cáo / Report", f"{document.source_file} (SHA-256 "
         f"{document.file_sha256[:12]}…)"),
        (_UNIT_ROW, "Đơn vị / Unit", f"{document.unit_name} ({document.unit_key})"),
        (_PERIOD_ROW, "Kỳ báo cáo / Report period",
         f"{period_label(document.report_period_code)} ({document.report_period_code})"),
    )  # fmt: skip
    for row, label, text in identity:
        _put(sheet, row, 1, label).font = Font(bold=True)
        _put(sheet, row, 2, text)
        sheet.merge_cells(f"B{row}:{last_letter}{row}")
    _put(sheet, _INSTRUCTIONS_ROW, 1, INSTRUCTIONS).alignment = _WRAP_TOP
    sheet.merge_cells(f"A{_INSTRUCTIONS_ROW}:{last_letter}{_INSTRUCTIONS_ROW}")
    sheet.row_dimensions[_INSTRUCTIONS_ROW].height = 48

    roles = [role for role, _, _ in REVIEW_COLUMNS]
    for col, (role, header, width) in enumerate(REVIEW_COLUMNS, start=1):
        cell = _put(sheet, HEADER_ROW, col, header)
        cell.font = Font(bold=True)
        cell.fill = _REVIEWER_HEADER_FILL if role in REVIEWER_ROLES else _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = _BORDER
        sheet.column_dimensions[get_column_letter(col)].width = width
    id_letter = get_column_letter(roles.index("candidate_id") + 1)
    sheet.column_dimensions[id_letter].hidden = True

    for offset, candidate in enumerate(candidates):
        row = HEADER_ROW + 1 + offset
        shown = _shown_cells(candidate, value_types[candidate.candidate_id], document)
        for col, role in enumerate(roles, start=1):
            cell = _put(sheet, row, col, shown.get(role))
            cell.border = _BORDER
            cell.alignment = _WRAP_TOP if role in ("name", "sentence", "location") else _TOP
            if role == "confidence":
                cell.number_format = "0%"
            if role in REVIEWER_ROLES:
                cell.fill = _REVIEWER_FILL
            if role in ("corrected_value", "corrected_period", "accept"):
                cell.number_format = "@"  # typed "22/24" or "2022" stays as typed
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    if candidates:
        accept_letter = get_column_letter(roles.index("accept") + 1)
        last_row = HEADER_ROW + len(candidates)
        marks = DataValidation(
            type="list",
            formula1='"x"',
            allow_blank=True,
            showErrorMessage=False,  # "có", "✓" are accepted too: the list only helps
            promptTitle="Chấp nhận / Accept",
            prompt="Ghi x để chấp nhận / Put x to accept",
            showInputMessage=True,
        )
        marks.add(f"{accept_letter}{HEADER_ROW + 1}:{accept_letter}{last_row}")
        sheet.add_data_validation(marks)
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(roles))}{last_row}"


def _shown_cells(
    candidate: ReviewCandidate, value_type: str, document: ReviewDocument
) -> dict[str, object]:
    if candidate.period_code:
        period = period_label(candidate.period_code)
    else:
        period = f"{period_label(document.report_period_code)} (cả kỳ báo cáo)"
    return {
        "code": candidate.indicator_code,
        "name": candidate.indicator_name,
        "value": display_value(
            candidate.value, candidate.qualifier, candidate.denominator, value_type
        ),
        "unit": candidate.unit,
        "period": period,
        "sentence": candidate.sentence,
        "location": candidate.location,
        "confidence": candidate.confidence,
        "candidate_id": candidate.candidate_id,
    }


def display_value(
    value: float | None, qualifier: str, denominator: float | None, value_type: str
) -> str:
    """A value as a reviewer reads it: ``91,5``, ``trên 300.000.000``, ``130/130``."""
    if value is None:
        return ""
    whole = value_type in ("count", "money_vnd")
    text = vietnamese_number(value, whole)
    if denominator is not None:
        text += "/" + vietnamese_number(denominator, True)
    word = QUALIFIER_DISPLAY.get(qualifier or "", "")
    return f"{word} {text}" if word else text


def vietnamese_number(number: float, whole: bool = False) -> str:
    """``1.117.213.000``, ``91,5``, ``3,07``: dots group thousands, a comma marks decimals.

    Only whole-number types (counts, money) are grouped: the project's number parser reads
    ``12.000`` as 12 for a percent, so other values are written ungrouped (``12000``).
    """
    rounded = round(number, 6)
    if whole:
        return f"{round(rounded):,}".replace(",", ".")
    if rounded == int(rounded):
        return str(int(rounded))
    text = f"{rounded:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def period_label(period_code: str | None) -> str:
    """A period code as clerks write it; :func:`~flows.domain.periods.parse_period` reads it back.

    ``2022`` → ``Năm 2022``, ``2023-Q1`` → ``Quý I/2023``, ``2023-H1`` → ``6 tháng đầu năm
    2023``, ``2020-2025`` → ``Nhiệm kỳ 2020-2025``, ``2020-2025-MID`` → ``Giữa nhiệm kỳ
    2020-2025``; anything else as it is.
    """
    match = _PERIOD.match(period_code or "")
    if match is None:
        return period_code or ""
    year, quarter, half, term_end, mid = match.groups()
    if quarter:
        return f"Quý {_ROMAN_QUARTERS[quarter]}/{year}"
    if half:
        return f"6 tháng {'đầu' if half == '1' else 'cuối'} năm {year}"
    if term_end:
        return f"{'Giữa nhiệm kỳ' if mid else 'Nhiệm kỳ'} {year}-{term_end}"
    return f"Năm {year}"


# ------------------------------------------------------------------ the hidden sheet


def _write_machine_sheet(
    sheet: Worksheet,
    document: ReviewDocument,
    candidates: list[ReviewCandidate],
    value_types: dict[str, str],
) -> None:
    _put(sheet, 1, 1, MARKER_KEY)
    _put(sheet, 1, 2, REVIEW_MARKER)
    for row, name in enumerate(DOCUMENT_FIELDS, start=2):
        _put(sheet, row, 1, name)
        _put(sheet, row, 2, getattr(document, name))
    header_row = len(DOCUMENT_FIELDS) + 3
    for col, name in enumerate(MACHINE_COLUMNS, start=1):
        _put(sheet, header_row, col, name)
    for offset, candidate in enumerate(candidates, start=1):
        values = {
            "candidate_id": candidate.candidate_id,
            "indicator_code": candidate.indicator_code,
            "value": candidate.value,
            "qualifier": candidate.qualifier or None,
            "denominator": candidate.denominator,
            "period_code": candidate.period_code,
            "location": candidate.location,
            "sentence": candidate.sentence,
            "reported_achievement_pct": candidate.reported_achievement_pct,
            "value_type": value_types[candidate.candidate_id],
            "confidence": candidate.confidence,
        }
        for col, name in enumerate(MACHINE_COLUMNS, start=1):
            _put(sheet, header_row + offset, col, values[name])


def _put(sheet: Worksheet, row: int, col: int, value: object):
    """Set a cell; text is kept as text (never a formula) without XML-illegal characters."""
    cell = sheet.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # a report sentence starting with "=" is not a formula
    elif value is not None:
        cell.value = (
            float(value) if isinstance(value, int) and not isinstance(value, bool) else value
        )
    return cell


__all__ = [
    "INSTRUCTIONS",
    "TITLE",
    "ReviewCandidate",
    "ReviewDocument",
    "display_value",
    "period_label",
    "vietnamese_number",
    "write_review_workbook",
]

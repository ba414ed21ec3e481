"""A reviewed workbook: the figures read from a report's prose, as a person decided on them.

:mod:`flows.outputs.review_workbook` writes one workbook per report: a visible sheet
``Rà soát`` where a reviewer puts ``x`` in ``Chấp nhận (x)`` to accept a figure, a corrected
value or period where the report is wrong, and a note; and a hidden sheet ``chitieu_review``
holding the marker :data:`REVIEW_MARKER`, the report's identity and every candidate's
machine values. The workbook alone is enough to load it: nothing is looked up in the
warehouse.

:func:`read_reviewed_workbook` reads it back from the grids
:func:`flows.reading.workbook.read_workbook` gives. Visible rows are tied to candidates by
the candidate id in the hidden id column, never by position, so a reviewer may sort the
rows or delete some. Every problem (a corrected value that is not a number, a period that
is not one, an ``x`` on a row the hidden sheet does not know, a cleared id) is a bilingual
:class:`ReviewIssue` naming the sheet row and the text; a row with a problem is never
accepted. The sheet layout (labels, column headers, marker) is defined here, the lower of
the two layers, so the writer and the reader cannot disagree on it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import NamedTuple

from flows.domain.catalog import load_catalog
from flows.domain.periods import parse_period
from flows.domain.textnorm import fold, normalize_text
from flows.domain.values import BLANK_TEXTS, parse_value_text
from flows.reading.errors import UnreadableFile
from flows.reading.rows import ReviewDecision
from flows.reading.workbook import SheetGrid, cell_address
from flows.settings import TERMS_CSV

REVIEW_MARKER = "chitieu-review-v1"
REVIEW_SHEET = "Rà soát"
MACHINE_SHEET = "chitieu_review"
MARKER_KEY = "marker"

# The report's identity, as key/value rows under the marker of the hidden sheet.
DOCUMENT_FIELDS = ("source_file", "file_sha256", "unit_key", "unit_name", "report_period_code")
# The candidates' machine values, one row each under this header in the hidden sheet.
MACHINE_COLUMNS = (
    "candidate_id",
    "indicator_code",
    "value",
    "qualifier",
    "denominator",
    "period_code",
    "location",
    "sentence",
    "reported_achievement_pct",
    "value_type",
    "confidence",
)

# The visible sheet's columns: (role, header, width). The reader finds them by header.
REVIEW_COLUMNS = (
    ("code", "Mã chỉ tiêu", 14),
    ("name", "Tên chỉ tiêu", 30),
    ("value", "Giá trị", 18),
    ("unit", "Đơn vị", 10),
    ("period", "Kỳ", 20),
    ("sentence", "Câu trích", 70),
    ("location", "Vị trí", 26),
    ("confidence", "Độ tin cậy", 11),
    ("accept", "Chấp nhận (x)", 12),
    ("corrected_value", "Giá trị sửa", 16),
    ("corrected_period", "Kỳ sửa", 18),
    ("note", "Ghi chú", 30),
    ("candidate_id", "Mã dòng", 18),
)
REVIEWER_ROLES = ("accept", "corrected_value", "corrected_period", "note")
# Folded header prefixes the reader recognises, so a renamed "Chấp nhận" column still reads.
_HEADER_PREFIXES = {
    "candidate_id": ("ma dong",),
    "code": ("ma chi tieu",),
    "accept": ("chap nhan",),
    "corrected_value": ("gia tri sua",),
    "corrected_period": ("ky sua",),
    "note": ("ghi chu",),
}
_HEADER_SEARCH_ROWS = 40

# Marks that accept a figure (folded), and marks that plainly do not.
ACCEPT_MARKS = frozenset(
    {"x", "✓", "✔", "☑", "v", "co", "dong y", "chap nhan", "ok", "yes", "y", "1", "true"}
)
REJECT_MARKS = frozenset(
    {"", "khong", "khong dong y", "khong chap nhan", "tu choi", "sai", "loai", "no", "n", "0",
     "false", "-", "–", "—"}
)  # fmt: skip

# Cells a spreadsheet made of what the reviewer typed (a date from "22/12"): no value, no period.
_NOT_TYPED_BY_HAND = (bool, datetime, date, time, timedelta)
# The qualifier word a corrected value's sign or word stands for (as Candidate stores them).
_QUALIFIER_WORDS = frozenset({"tren", "hon", "duoi", "khoang"})
_QUALIFIER_OF_SIGN = {">": "tren", "<": "duoi", "~": "khoang", "=": ""}
_PERIOD_CODE = re.compile(r"^((?:19|20)\d{2})(?:-Q([1-4])|-H([12])|-((?:19|20)\d{2})(-MID)?)?$")


class ReviewIssue(NamedTuple):
    """One problem of a reviewed workbook, Vietnamese first; unpacks as ``(vi, en)``."""

    reason_vi: str
    reason_en: str

    @property
    def message(self) -> str:
        """Both languages in one text."""
        return f"{self.reason_vi} / {self.reason_en}"


@dataclass(frozen=True)
class ReviewDocument:
    """The report a review workbook lists the figures of."""

    source_file: str
    file_sha256: str
    unit_key: str
    unit_name: str
    report_period_code: str


@dataclass
class ReviewedRow:
    """One candidate as the reviewer left it.

    ``value`` and ``period_code`` are the corrected ones when the reviewer gave a valid
    correction (``corrected``), else the candidate's; ``period_code`` None means the
    report's own period. ``qualifier`` is folded as :class:`~flows.reading.rows.Candidate`
    keeps it (``tren``, ``hon``, ``duoi``, ``khoang``, '' for none). ``sheet_row`` is the
    visible row it was read from (1-based), None when the row is no longer on the sheet.
    """

    candidate_id: str
    indicator_code: str
    value: float | None
    period_code: str | None
    qualifier: str
    denominator: float | None
    location: str
    sentence: str
    reported_achievement_pct: float | None
    decision: str  # 'accepted' or 'rejected'
    note: str | None = None
    corrected: bool = False
    issues: list[ReviewIssue] = field(default_factory=list)
    sheet_row: int | None = None

    def as_decision(self) -> ReviewDecision:
        """The decision as the warehouse records it."""
        return ReviewDecision(
            candidate_id=self.candidate_id,
            decision=self.decision,
            corrected_value=self.value if self.corrected else None,
            corrected_period_code=self.period_code if self.corrected else None,
            note=self.note,
        )


@dataclass
class ReviewedWorkbook:
    """A reviewed workbook read back: one row per candidate of its hidden sheet, in its order.

    ``issues`` holds every problem found, those of the rows (also in ``row.issues``) and
    those of visible rows that name no known candidate.
    """

    document: ReviewDocument
    rows: list[ReviewedRow]
    issues: list[ReviewIssue] = field(default_factory=list)

    def decisions(self) -> list[ReviewDecision]:
        """Every row's decision."""
        return [row.as_decision() for row in self.rows]


@dataclass(frozen=True)
class _MachineCandidate:
    """A candidate's values as the hidden sheet holds them."""

    candidate_id: str
    indicator_code: str
    value: float | None
    qualifier: str
    denominator: float | None
    period_code: str | None
    location: str
    sentence: str
    reported_achievement_pct: float | None
    value_type: str


@dataclass(frozen=True)
class _SheetEntry:
    """What one visible row holds in the reviewer's columns."""

    sheet_row: int
    mark: object
    corrected_value: object
    corrected_value_is_percent_cell: bool
    corrected_period: object
    note: object


# ------------------------------------------------------------------ recognising


def is_review_workbook(grids: list[SheetGrid]) -> bool:
    """True when one of the sheets (hidden or not) carries the review marker."""
    return any(_marker_row(grid) is not None for grid in grids)


def _marker_row(grid: SheetGrid) -> int | None:
    for row_idx in range(min(len(grid.rows), 5)):
        if _text(grid.cell(row_idx, 0)) == MARKER_KEY and _text(grid.cell(row_idx, 1)) == (
            REVIEW_MARKER
        ):
            return row_idx
    return None


# ------------------------------------------------------------------ reading


def read_reviewed_workbook(grids: list[SheetGrid]) -> ReviewedWorkbook:
    """The decisions of a reviewed workbook (see the module docstring).

    Raises :class:`UnreadableFile` when the workbook has no marker sheet, the marker
    sheet lost its candidate table, or no sheet has the review header (the id column and
    ``Chấp nhận``): nothing could be decided from it, and it must not load as all-rejected.
    """
    machine_grid = next((grid for grid in grids if _marker_row(grid) is not None), None)
    if machine_grid is None:
        raise _damaged_review("không có trang dữ liệu ẩn", "the hidden data sheet is missing")
    document, candidates = _read_machine_sheet(machine_grid)
    review = _find_review_sheet(grids, machine_grid)
    if review is None:
        raise _damaged_review(
            "không tìm thấy dòng tiêu đề có cột 'Mã dòng' và 'Chấp nhận (x)'",
            "no header row with the 'Mã dòng' and 'Chấp nhận (x)' columns was found",
        )
    grid, header_row, columns = review
    entries, workbook_issues = _read_entries(grid, header_row, columns, candidates)
    term_hint = _term_of(document.report_period_code)
    rows = []
    for candidate in candidates.values():
        row = _decide(candidate, entries.get(candidate.candidate_id, []), term_hint)
        rows.append(row)
    issues = list(workbook_issues)
    for row in sorted(rows, key=lambda r: r.sheet_row or 0):
        issues.extend(row.issues)
    return ReviewedWorkbook(document=document, rows=rows, issues=issues)


def _damaged_review(what_vi: str, what_en: str) -> UnreadableFile:
    return UnreadableFile(
        f"Tệp rà soát số liệu bị hỏng ({what_vi}); hãy xuất lại tệp rà soát "
        "(chitieu review) và ghi lại các quyết định.",
        f"The review workbook is damaged ({what_en}); export the review workbook again "
        "(chitieu review) and enter the decisions there.",
    )


def _read_machine_sheet(grid: SheetGrid) -> tuple[ReviewDocument, dict[str, _MachineCandidate]]:
    marker = _marker_row(grid) or 0
    values: dict[str, str] = {}
    header_row = None
    for row_idx in range(marker + 1, len(grid.rows)):
        key = _text(grid.cell(row_idx, 0))
        if key == MACHINE_COLUMNS[0]:
            header_row = row_idx
            break
        if key in DOCUMENT_FIELDS:
            values[key] = _text(grid.cell(row_idx, 1))
    if header_row is None:
        raise _damaged_review("mất bảng số liệu ẩn", "the hidden candidate table is gone")
    document = ReviewDocument(**{name: values.get(name, "") for name in DOCUMENT_FIELDS})
    position = {_text(grid.cell(header_row, col)): col for col in range(len(grid.rows[header_row]))}
    missing = [name for name in MACHINE_COLUMNS[:9] if name not in position]
    if missing:
        raise _damaged_review(
            "thiếu cột " + ", ".join(missing), "columns missing: " + ", ".join(missing)
        )
    catalog = load_catalog()
    candidates: dict[str, _MachineCandidate] = {}
    for row_idx in range(header_row + 1, len(grid.rows)):

        def get(name: str, row_idx: int = row_idx) -> object:
            col = position.get(name)
            return None if col is None else grid.cell(row_idx, col)

        candidate_id = _text(get("candidate_id"))
        if not candidate_id:
            continue
        code = _text(get("indicator_code"))
        indicator = catalog.get(code)
        value_type = _text(get("value_type")) or (indicator.value_type if indicator else "number")
        candidates[candidate_id] = _MachineCandidate(
            candidate_id=candidate_id,
            indicator_code=code,
            value=_number(get("value")),
            qualifier=_text(get("qualifier")),
            denominator=_number(get("denominator")),
            period_code=_text(get("period_code")) or None,
            location=_text(get("location")),
            sentence=_text(get("sentence")),
            reported_achievement_pct=_number(get("reported_achievement_pct")),
            value_type=value_type,
        )
    return document, candidates


def _find_review_sheet(
    grids: list[SheetGrid], machine_grid: SheetGrid
) -> tuple[SheetGrid, int, dict[str, int]] | None:
    """The review sheet, its header row and its columns by role; visible sheets first."""
    ordered = [g for g in grids if g.visible] + [g for g in grids if not g.visible]
    for grid in ordered:
        if grid is machine_grid:
            continue
        for row_idx in range(min(len(grid.rows), _HEADER_SEARCH_ROWS)):
            columns = _header_columns(grid.rows[row_idx])
            if "candidate_id" in columns and "accept" in columns:
                return grid, row_idx, columns
    return None


def _header_columns(row: list) -> dict[str, int]:
    columns: dict[str, int] = {}
    for col, cell in enumerate(row):
        folded = fold(_text(cell))
        for role, prefixes in _HEADER_PREFIXES.items():
            if role not in columns and folded.startswith(prefixes):
                columns[role] = col
    return columns


def _read_entries(
    grid: SheetGrid,
    header_row: int,
    columns: dict[str, int],
    candidates: dict[str, _MachineCandidate],
) -> tuple[dict[str, list[_SheetEntry]], list[ReviewIssue]]:
    """The visible rows by candidate id, and the issues of rows that name no candidate."""
    entries: dict[str, list[_SheetEntry]] = {}
    issues: list[ReviewIssue] = []
    id_col = columns["candidate_id"]
    for row_idx in range(header_row + 1, len(grid.rows)):
        row = grid.rows[row_idx]
        if not any(_text(cell) for cell in row):
            continue
        sheet_row = row_idx + 1

        def get(role: str, row_idx: int = row_idx) -> object:
            col = columns.get(role)
            return None if col is None else grid.cell(row_idx, col)

        value_col = columns.get("corrected_value")
        entry = _SheetEntry(
            sheet_row=sheet_row,
            mark=get("accept"),
            corrected_value=get("corrected_value"),
            corrected_value_is_percent_cell=value_col is not None
            and (row_idx, value_col) in grid.percent_cells,
            corrected_period=get("corrected_period"),
            note=get("note"),
        )
        candidate_id = _text(grid.cell(row_idx, id_col))
        code = _text(get("code")) or "?"
        if not candidate_id:
            issues.append(_cleared_id_issue(sheet_row, code, cell_address(row_idx, id_col)))
        elif candidate_id not in candidates:
            issues.append(_unknown_id_issue(sheet_row, code, candidate_id, _accepts(entry.mark)))
        else:
            entries.setdefault(candidate_id, []).append(entry)
    return entries, issues


def _decide(
    candidate: _MachineCandidate, entries: list[_SheetEntry], term_hint: str | None
) -> ReviewedRow:
    """The reviewed row of one candidate from the visible rows carrying its id."""
    row = ReviewedRow(
        candidate_id=candidate.candidate_id,
        indicator_code=candidate.indicator_code,
        value=candidate.value,
        period_code=candidate.period_code,
        qualifier=candidate.qualifier,
        denominator=candidate.denominator,
        location=candidate.location,
        sentence=candidate.sentence,
        reported_achievement_pct=candidate.reported_achievement_pct,
        decision="rejected",
    )
    if not entries:
        row.issues.append(_row_gone_issue(candidate))
        return row
    entry = entries[0]
    row.sheet_row = entry.sheet_row
    label = f"{entry.sheet_row} ({candidate.indicator_code})"
    if len({_entry_content(e) for e in entries}) > 1:
        rows = ", ".join(str(e.sheet_row) for e in entries)
        row.issues.append(
            ReviewIssue(
                f"Số liệu {candidate.indicator_code} có ở nhiều dòng ({rows}) với nội dung "
                "khác nhau; không biết theo dòng nào nên ghi nhận là không chấp nhận.",
                f"Figure {candidate.indicator_code} is on several rows ({rows}) that differ; "
                "which one holds is unknown, so it is recorded as rejected.",
            )
        )
        return row
    row.note = _text(entry.note) or None
    problems_before = len(row.issues)
    _apply_corrected_value(row, entry, candidate.value_type, label)
    _apply_corrected_period(row, entry.corrected_period, term_hint, label)
    mark = _accepts(entry.mark)
    if mark is None:
        row.issues.append(_unknown_mark_issue(label, entry.mark))
    elif not mark and row.corrected:
        row.issues.append(
            ReviewIssue(
                f"Dòng {label}: có giá trị hoặc kỳ sửa nhưng không có dấu x ở cột 'Chấp nhận "
                "(x)'; số liệu được ghi nhận là không chấp nhận.",
                f"Row {label}: a corrected value or period is given but 'Chấp nhận (x)' has "
                "no x; the figure is recorded as rejected.",
            )
        )
    if mark and len(row.issues) == problems_before:
        row.decision = "accepted"
    return row


def _entry_content(entry: _SheetEntry) -> tuple:
    return tuple(
        _text(cell)
        for cell in (entry.mark, entry.corrected_value, entry.corrected_period, entry.note)
    )


def _accepts(mark: object) -> bool | None:
    """True for an accepting mark, False for none or a refusal, None for one not understood."""
    if mark is None:
        return False
    if isinstance(mark, bool):
        return mark
    if isinstance(mark, int | float):
        return True if mark == 1 else False if mark == 0 else None
    folded = fold(_text(mark)).strip(" .!")
    if folded in ACCEPT_MARKS:
        return True
    if folded in REJECT_MARKS:
        return False
    return None


def _apply_corrected_value(
    row: ReviewedRow, entry: _SheetEntry, value_type: str, label: str
) -> None:
    raw = entry.corrected_value
    if _is_blank(raw):
        return
    shown = _text(raw)
    if isinstance(raw, _NOT_TYPED_BY_HAND):
        row.issues.append(_bad_value_issue(label, shown))
        return
    if isinstance(raw, int | float):
        value = float(raw)
        if value_type == "percent" and entry.corrected_value_is_percent_cell:
            value = round(value * 100, 9)  # 0.925 shown as 92,5% is 92.5 percent
        row.value, row.qualifier, row.corrected = value, "", True
        return
    parsed = parse_value_text(normalize_text(shown), value_type)
    if parsed.value is None:
        row.issues.append(_bad_value_issue(label, shown))
        return
    row.value = parsed.value
    row.qualifier = _qualifier_word(fold(shown), parsed.qualifier)
    if parsed.denominator is not None:
        row.denominator = parsed.denominator
    row.corrected = True


def _qualifier_word(folded: str, sign: str) -> str:
    """The folded qualifier word written before a corrected value ('' for none)."""
    if sign == "=":
        return ""
    first = folded.split(" ", 1)[0]
    return first if first in _QUALIFIER_WORDS else _QUALIFIER_OF_SIGN[sign]


def _apply_corrected_period(
    row: ReviewedRow, raw: object, term_hint: str | None, label: str
) -> None:
    if _is_blank(raw):
        return
    code = corrected_period_code(raw, term_hint)
    if code is None:
        row.issues.append(_bad_period_issue(label, _text(raw)))
        return
    row.period_code, row.corrected = code, True


def corrected_period_code(raw: object, term_hint: str | None = None) -> str | None:
    """The period code a reviewer's text or number stands for, or None when it is none.

    A code as the warehouse writes it (``2022``, ``2023-Q1``, ``2023-H1``, ``2020-2025``,
    ``2020-2025-MID``; a term must be one of the known terms), or a phrase
    :func:`~flows.domain.periods.parse_period` reads (``năm 2022``, ``Quý I/2023``,
    ``6 tháng đầu năm 2022``, ``Giữa nhiệm kỳ 2020-2025``); ``term_hint`` completes
    ``Sơ kết giữa nhiệm kỳ`` written without its years.
    """
    if isinstance(raw, _NOT_TYPED_BY_HAND):
        return None
    if isinstance(raw, int | float):
        if not float(raw).is_integer():
            return None
        raw = str(int(raw))
    text = normalize_text(str(raw)).strip()
    match = _PERIOD_CODE.match(text.upper().replace(" ", ""))
    if match is not None:
        return _valid_code(match)
    code = parse_period(text, term_hint)
    if code is None:
        return None
    match = _PERIOD_CODE.match(code)
    return _valid_code(match) if match else None


def _valid_code(match: re.Match[str]) -> str | None:
    start, _quarter, _half, end, _mid = match.groups()
    if end is not None and f"{start}-{end}" not in _known_terms():
        return None
    return match.group(0)


@cache
def _known_terms() -> frozenset[str]:
    """The party terms of ``dbt_project/seeds/terms.csv``; five-year terms if it is unreadable."""
    try:
        with TERMS_CSV.open(encoding="utf-8") as handle:
            return frozenset(row["term_code"] for row in csv.DictReader(handle))
    except (OSError, KeyError):
        return frozenset(f"{year}-{year + 5}" for year in range(1945, 2100, 5))


def _term_of(report_period_code: str | None) -> str | None:
    match = _PERIOD_CODE.match(report_period_code or "")
    if match is None or match.group(4) is None:
        return None
    return f"{match.group(1)}-{match.group(4)}"


# ------------------------------------------------------------------ issues


def _bad_value_issue(label: str, text: str) -> ReviewIssue:
    return ReviewIssue(
        f"Dòng {label}: giá trị sửa '{text}' không đọc được thành số; số liệu chưa được chấp "
        "nhận. Hãy ghi một số, ví dụ 92,5 hoặc 1.200.000.000 hoặc 1,2 tỷ.",
        f"Row {label}: the corrected value '{text}' is not a number; the figure is not "
        "accepted. Write a number, e.g. 92,5 or 1.200.000.000 or 1,2 tỷ.",
    )


def _bad_period_issue(label: str, text: str) -> ReviewIssue:
    return ReviewIssue(
        f"Dòng {label}: kỳ sửa '{text}' không phải là một kỳ báo cáo; số liệu chưa được chấp "
        "nhận. Hãy ghi ví dụ 2022, Năm 2022, 6 tháng đầu năm 2022, Quý I/2023 hoặc "
        "2020-2025-MID.",
        f"Row {label}: the corrected period '{text}' is not a reporting period; the figure is "
        "not accepted. Write e.g. 2022, Năm 2022, 6 tháng đầu năm 2022, Quý I/2023 or "
        "2020-2025-MID.",
    )


def _unknown_mark_issue(label: str, mark: object) -> ReviewIssue:
    text = _text(mark)
    return ReviewIssue(
        f"Dòng {label}: không hiểu dấu '{text}' ở cột 'Chấp nhận (x)' (ghi x để chấp nhận); "
        "số liệu được ghi nhận là không chấp nhận.",
        f"Row {label}: the mark '{text}' in 'Chấp nhận (x)' is not understood (write x to "
        "accept); the figure is recorded as rejected.",
    )


def _cleared_id_issue(sheet_row: int, code: str, address: str) -> ReviewIssue:
    return ReviewIssue(
        f"Dòng {sheet_row} ({code}): ô mã dòng {address} bị xóa nên không biết đây là số liệu "
        "nào; dòng này không được nạp. Hãy chép lại mã dòng hoặc xuất lại tệp rà soát.",
        f"Row {sheet_row} ({code}): the row id cell {address} was cleared, so which figure it "
        "is cannot be told; the row is not loaded. Restore the id or export the review "
        "workbook again.",
    )


def _unknown_id_issue(sheet_row: int, code: str, candidate_id: str, marked: bool | None):
    what_vi = "có dấu chấp nhận nhưng " if marked else ""
    what_en = "is marked accepted but " if marked else ""
    return ReviewIssue(
        f"Dòng {sheet_row} ({code}) {what_vi}mã dòng '{candidate_id}' không có trong dữ liệu "
        "ẩn của tệp rà soát; dòng này không được nạp.",
        f"Row {sheet_row} ({code}) {what_en}its id '{candidate_id}' is not in the review "
        "workbook's hidden data; the row is not loaded.",
    )


def _row_gone_issue(candidate: _MachineCandidate) -> ReviewIssue:
    return ReviewIssue(
        f"Số liệu {candidate.indicator_code} ({candidate.location}) không còn dòng nào trên "
        "trang rà soát (dòng đã bị xóa); ghi nhận là không chấp nhận.",
        f"Figure {candidate.indicator_code} ({candidate.location}) has no row left on the "
        "review sheet (the row was deleted); it is recorded as rejected.",
    )


# ------------------------------------------------------------------ cells


def _text(cell: object) -> str:
    """A cell as text: stripped, integral floats without ``.0``, dates as 24/12/2022."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.strftime("%d/%m/%Y")  # as the reviewer sees a date on the sheet
    return str(cell).strip()


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    return isinstance(cell, str) and fold(cell).strip() in BLANK_TEXTS


def _number(cell: object) -> float | None:
    """A machine number of the hidden sheet (written as a number, read back as one)."""
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


__all__ = [
    "ACCEPT_MARKS",
    "MACHINE_COLUMNS",
    "MACHINE_SHEET",
    "REVIEW_COLUMNS",
    "REVIEW_MARKER",
    "REVIEW_SHEET",
    "ReviewDocument",
    "ReviewIssue",
    "ReviewedRow",
    "ReviewedWorkbook",
    "corrected_period_code",
    "is_review_workbook",
    "read_reviewed_workbook",
]

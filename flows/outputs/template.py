"""``chitieu template``: the official xlsx a ward office fills in for one period.

The template is the standard layout of the submission spec (§2), so a filled copy
goes through the nightly pipeline like any clerk's file, with nothing to guess:

- sheet ``Báo cáo``: a title block, the metadata block pre-filled (unit name and
  GSO code, district, province, the period as clerks write it, the term), the report
  date and preparer left for the clerk; the header ``STT | Mã chỉ tiêu | Chỉ tiêu |
  ĐVT | Chỉ tiêu NQ | Thực hiện | Ghi chú``; one section per catalog domain and one
  row per catalog indicator with its code, name and unit; a footer.
- cell validation from the catalog on the ``Thực hiện`` cells (percent within its
  range, whole counts ≥ 0, money ≥ 0, a dropdown for yes/no indicators), with an
  input prompt on every cell the clerk fills in;
- the sheet protected without a password: only the report date, preparer, target,
  value and note cells are unlocked, so codes, names and units cannot drift;
- sheet ``Hướng dẫn``: how to fill it in, in Vietnamese (number forms accepted, what
  not to change, where and by when to send it).

Validation is a warning, not a stop: the parser accepts text forms (``130/130``,
``khoảng 200``, ``1,1 tỷ``) that a number rule would refuse, so Excel asks the clerk
to confirm instead of forbidding them.

``chitieu template --unit pre2025:21469 --period 2024`` writes one file;
``--district pre2025:534`` one per ward of the district (a 2025 province, since the
2025 scheme has no districts). A unit of the wrong scheme for the period (the
reorganisation took effect on 1 July 2025, see :func:`flows.domain.units.schemes_for_period`)
is refused with the units it became or came from.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from flows.domain.catalog import REPORT_SECTIONS, Catalog, Indicator, load_catalog
from flows.domain.reference import PRE2025, SCHEME_2025, Reference
from flows.domain.textnorm import fold
from flows.domain.units import schemes_for_period
from flows.settings import SEEDS_DIR, TERMS_CSV

REPORT_SHEET = "Báo cáo"
INSTRUCTIONS_SHEET = "Hướng dẫn"
REPORTING_DEADLINES_CSV = SEEDS_DIR / "reporting_deadlines.csv"

# Columns of the indicator table (1-based), in the order of the spec's standard layout.
COL_STT, COL_CODE, COL_NAME, COL_UNIT, COL_TARGET, COL_VALUE, COL_NOTE = range(1, 8)
HEADERS = ("STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Thực hiện", "Ghi chú")
COLUMN_WIDTHS = {"A": 6, "B": 24, "C": 56, "D": 12, "E": 18, "F": 18, "G": 32}
LAST_COLUMN = COL_NOTE

ROMAN_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
QUARTER_NUMERALS = {1: "I", 2: "II", 3: "III", 4: "IV"}
BOOLEAN_CHOICES = ("Đạt", "Không đạt")
PERIOD_CODE = re.compile(
    r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-H(?P<half>[12]))?$"
    r"|^(?P<start>\d{4})-(?P<end>\d{4})(?P<mid>-MID)?$"
)
# Target texts run past a number ("8-10 đảng viên/năm") but never past a line.
MAX_TARGET_LENGTH = 60

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_INPUT_FILL = PatternFill("solid", fgColor="FFF9DB")  # the cells a clerk types in
_UNLOCKED = Protection(locked=False)
_WRAP = Alignment(wrap_text=True, vertical="center")


class TemplateRequestError(Exception):
    """A unit or period that cannot have a template; the reason is bilingual."""

    def __init__(self, reason_vi: str, reason_en: str) -> None:
        super().__init__(f"{reason_vi} / {reason_en}")
        self.reason_vi = reason_vi
        self.reason_en = reason_en


# ------------------------------------------------------------------ who and when


@dataclass(frozen=True)
class TemplateUnit:
    """A ward as its template names it: code, name, and the units above it."""

    unit_key: str
    scheme: str
    code: str
    name: str
    unit_type: str
    district_type: str | None  # 'Thị xã' (pre-2025 only: the 2025 scheme has no districts)
    district_short: str | None
    province_name: str  # 'Tỉnh Quảng Ngãi', 'Thành phố Hà Nội'
    province_type: str
    province_short: str

    @property
    def parent_name(self) -> str:
        """The unit the ward reports to: its district, or its province in the 2025 scheme."""
        if self.district_type and self.district_short:
            return f"{self.district_type} {self.district_short}"
        return self.province_name


def _unit_row(reference: Reference, key: str) -> pd.Series | None:
    """The reference row of a unit key (exactly as the warehouse writes it), or None."""
    units = reference.admin_units
    found = units[units["unit_key"] == key]
    return None if found.empty else found.iloc[0]


def _unknown_unit(key: str) -> TemplateRequestError:
    return TemplateRequestError(
        f"Không có đơn vị '{key}' trong danh mục đơn vị hành chính; mã đơn vị ghi dạng "
        "'pre2025:21469' (trước sắp xếp 2025) hoặc '2025:21439' (sau sắp xếp).",
        f"No unit '{key}' in the administrative-unit list; write the key as "
        "'pre2025:21469' (before the 2025 reorganisation) or '2025:21439' (after it).",
    )


def _template_unit(reference: Reference, row: pd.Series) -> TemplateUnit:
    units = reference.admin_units.set_index("unit_key")
    district_key = row["district_key"]
    has_district = isinstance(district_key, str) and district_key in units.index
    district = units.loc[district_key] if has_district else None
    province = units.loc[row["province_key"]]
    return TemplateUnit(
        unit_key=row["unit_key"],
        scheme=row["scheme"],
        code=row["unit_code"],
        name=row["unit_name"],
        unit_type=row["unit_type"],
        district_type=district["unit_type"] if district is not None else None,
        district_short=district["short_name"] if district is not None else None,
        province_name=province["unit_name"],
        province_type=province["unit_type"],
        province_short=province["short_name"],
    )


def ward_for(reference: Reference, key: str) -> TemplateUnit:
    """The ward of a ``--unit`` key, or :class:`TemplateRequestError` saying why not."""
    row = _unit_row(reference, key)
    if row is None:
        raise _unknown_unit(key)
    if row["level"] != "ward":
        raise TemplateRequestError(
            f"'{key}' là {row['unit_name']}, không phải phường/xã/thị trấn; biểu mẫu lập cho "
            f"từng phường/xã: dùng --district {row['unit_key']} để lập cho mọi phường/xã "
            "trực thuộc.",
            f"'{key}' is {row['unit_name']}, not a ward or commune; templates are per ward: "
            f"use --district {row['unit_key']} for every ward under it.",
        )
    return _template_unit(reference, row)


def wards_of(reference: Reference, key: str) -> list[TemplateUnit]:
    """Every ward of a ``--district`` key: a district, or a province of the 2025 scheme."""
    row = _unit_row(reference, key)
    if row is None:
        raise _unknown_unit(key)
    units = reference.admin_units
    wards = units["level"] == "ward"
    if row["level"] == "district":
        chosen = units[wards & (units["district_key"] == row["unit_key"])]
    elif row["level"] == "province" and row["scheme"] == SCHEME_2025:
        chosen = units[wards & (units["province_key"] == row["unit_key"])]
    else:
        raise TemplateRequestError(
            f"'{key}' là {row['unit_name']}, không phải quận/huyện/thị xã/thành phố trực "
            "thuộc tỉnh (với danh mục 2025: tỉnh/thành phố); hãy ghi mã của huyện, ví dụ "
            "pre2025:534.",
            f"'{key}' is {row['unit_name']}, not a district (in the 2025 scheme: a "
            "province); give a district key such as pre2025:534.",
        )
    if chosen.empty:
        raise TemplateRequestError(
            f"{row['unit_name']} ({key}) không có phường/xã nào trong danh mục.",
            f"{row['unit_name']} ({key}) has no ward in the administrative-unit list.",
        )
    ordered = chosen.sort_values("unit_code")
    return [_template_unit(reference, ward) for _, ward in ordered.iterrows()]


def _terms() -> list[tuple[str, int, int]]:
    with TERMS_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return [
            (row["term_code"], int(row["start_year"]), int(row["end_year"]))
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class TemplatePeriod:
    """A period code, how clerks write it, its term and its kind of deadline."""

    code: str
    text: str  # 'Năm 2024', 'Quý I/2024', 'Sơ kết giữa nhiệm kỳ 2020-2025'
    term_code: str
    period_type: str  # a period_type of reporting_deadlines.csv


def _bad_period(code: str, detail_vi: str, detail_en: str) -> TemplateRequestError:
    return TemplateRequestError(
        f"Kỳ báo cáo '{code}' không hợp lệ: {detail_vi}. Ghi dạng 2024, 2024-Q1, 2024-H1, "
        "2020-2025-MID (sơ kết giữa nhiệm kỳ) hoặc 2020-2025 (tổng kết nhiệm kỳ).",
        f"The period '{code}' is not valid: {detail_en}. Write it as 2024, 2024-Q1, "
        "2024-H1, 2020-2025-MID (mid-term review) or 2020-2025 (whole term).",
    )


def template_period(code: str) -> TemplatePeriod:
    """The period of ``--period``, known to the warehouse (a year of a term in ``terms.csv``)."""
    match = PERIOD_CODE.match(code.strip())
    if match is None:
        raise _bad_period(code, "sai dạng mã kỳ", "not a period code")
    terms = _terms()
    if match["start"]:
        term = f"{match['start']}-{match['end']}"
        if term not in {term_code for term_code, _, _ in terms}:
            known = ", ".join(term_code for term_code, _, _ in terms)
            raise _bad_period(
                code, f"nhiệm kỳ {term} không có trong danh mục ({known})", f"no term {term}"
            )
        if match["mid"]:
            return TemplatePeriod(code, f"Sơ kết giữa nhiệm kỳ {term}", term, "mid_term")
        return TemplatePeriod(code, f"Tổng kết nhiệm kỳ {term}", term, "term")
    year = int(match["year"])
    term = next((term for term, start, end in terms if start < year <= end), None)
    if term is None:
        raise _bad_period(
            code,
            f"năm {year} không thuộc nhiệm kỳ nào trong danh mục nhiệm kỳ",
            f"the year {year} is in no term of the term list",
        )
    if match["quarter"]:
        numeral = QUARTER_NUMERALS[int(match["quarter"])]
        return TemplatePeriod(code, f"Quý {numeral}/{year}", term, "quarter")
    if match["half"]:
        which = "đầu" if match["half"] == "1" else "cuối"
        return TemplatePeriod(code, f"6 tháng {which} năm {year}", term, "half_year")
    return TemplatePeriod(code, f"Năm {year}", term, "year")


def check_scheme(reference: Reference, unit_key: str, scheme: str, period: TemplatePeriod) -> None:
    """Refuse a unit of the other scheme than the period's, naming the units to use instead."""
    allowed = schemes_for_period(period.code)
    if scheme in allowed:
        return
    crosswalk = reference.admin_crosswalk
    if scheme == PRE2025:
        others = crosswalk.loc[crosswalk["old_unit_key"] == unit_key, "new_unit_key"]
        when_vi, when_en = "sau", "after"
    else:
        others = crosswalk.loc[crosswalk["new_unit_key"] == unit_key, "old_unit_key"]
        when_vi, when_en = "trước", "before"
    names = dict(
        zip(reference.admin_units["unit_key"], reference.admin_units["unit_name"], strict=True)
    )
    listed = ", ".join(f"{key} {names.get(key, '')}".strip() for key in sorted(set(others)))
    hint_vi = f" Đơn vị tương ứng: {listed}." if listed else ""
    hint_en = f" Corresponding units: {listed}." if listed else ""
    raise TemplateRequestError(
        f"Kỳ {period.code} là {when_vi} ngày sắp xếp đơn vị hành chính (01/07/2025), nên phải "
        f"dùng mã đơn vị '{allowed[0]}:…', không dùng {unit_key}.{hint_vi}",
        f"The period {period.code} is {when_en} the reorganisation of 1 July 2025, so it takes "
        f"a '{allowed[0]}:…' unit key, not {unit_key}.{hint_en}",
    )


def _deadline_rule(period_type: str) -> str | None:
    with REPORTING_DEADLINES_CSV.open(encoding="utf-8-sig", newline="") as handle:
        rules = {row["period_type"]: row["rule_vi"] for row in csv.DictReader(handle)}
    return rules.get(period_type)


# ------------------------------------------------------------------ the report sheet


@dataclass
class _Validations:
    """One data-validation rule per kind of cell, each collecting the cells it covers."""

    sheet: Worksheet
    rules: dict[tuple, DataValidation]

    def add(self, key: tuple, cell: str, make: Callable[[], DataValidation]) -> None:
        """Attach ``cell`` to the rule ``key``, creating the rule with ``make()`` once."""
        if key not in self.rules:
            rule = make()
            self.rules[key] = rule
            self.sheet.add_data_validation(rule)
        self.rules[key].add(cell)


def _warning_rule(
    kind: str | None, title: str, prompt: str, error: str, **limits
) -> DataValidation:
    """A rule that warns (Excel asks to confirm) rather than stops, with an input prompt.

    The parser reads text forms a number rule refuses (``130/130``, ``1,1 tỷ``): the
    clerk keeps them with one click, and still sees a slip such as 915 for 91,5.
    """
    return DataValidation(
        type=kind,
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=kind is not None,
        errorStyle="warning",
        promptTitle=title[:32],
        prompt=prompt[:255],
        errorTitle="Kiểm tra lại số liệu",
        error=error[:225],
        **limits,
    )


def _number_text(number: float) -> str:
    """A bound as a Vietnamese reader writes it: ``0,5``, ``100``."""
    return _formula(number).replace(".", ",")


def _formula(number: float) -> str:
    """A bound as a validation formula: ``0``, ``100``, ``0.5`` (never ``1e+06``)."""
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _value_rule(indicator: Indicator) -> tuple[tuple, Callable[[], DataValidation]]:
    """(key, factory) of the validation of an indicator's ``Thực hiện`` cell."""
    low = indicator.min_value if indicator.min_value is not None else 0.0
    high = indicator.max_value
    if indicator.value_type == "boolean":
        choices = ",".join(BOOLEAN_CHOICES)
        return ("list",), lambda: _warning_rule(
            "list",
            "Đạt / Không đạt",
            "Chọn Đạt hoặc Không đạt trong danh sách.",
            "Chỉ ghi Đạt hoặc Không đạt.",
            formula1=f'"{choices}"',
        )
    if indicator.value_type == "percent":
        high = 100.0 if high is None else high
        return ("percent", low, high), lambda: _warning_rule(
            "decimal",
            "Tỷ lệ (%)",
            f"Ghi tỷ lệ phần trăm từ {_number_text(low)} đến {_number_text(high)}, ví dụ 91,5 "
            "(không nhân, không chia cho 100).",
            f"Tỷ lệ phải từ {_number_text(low)} đến {_number_text(high)} (%). Nếu đúng như "
            "đã ghi, chọn Yes để giữ.",
            operator="between",
            formula1=_formula(low),
            formula2=_formula(high),
        )
    kind = "whole" if indicator.value_type == "count" else "decimal"
    if indicator.value_type == "money_vnd":
        what_vi = "Số tiền tính bằng đồng"
        examples = "1.117.213.000; cũng nhận '1,1 tỷ', '900 triệu'"
    else:
        what_vi = "Số nguyên"
        examples = "1.234; cũng nhận '130/130', 'khoảng 200', '12 đồng chí'"
    limits = (
        {"operator": "between", "formula1": _formula(low), "formula2": _formula(high)}
        if high is not None
        else {"operator": "greaterThanOrEqual", "formula1": _formula(low)}
    )
    bound = (
        f"từ {_number_text(low)} đến {_number_text(high)}"
        if high is not None
        else f"từ {_number_text(low)} trở lên"
    )
    return (kind, indicator.value_type, low, high), lambda: _warning_rule(
        kind,
        what_vi,
        f"{what_vi}, {bound}, ví dụ {examples}.",
        f"{what_vi} phải {bound}. Nếu đúng như đã ghi (ví dụ dạng chữ), chọn Yes để giữ.",
        **limits,
    )


def _target_rule() -> DataValidation:
    return _warning_rule(
        "textLength",
        "Chỉ tiêu Nghị quyết",
        "Chỉ tiêu Nghị quyết Đại hội của nhiệm kỳ, ví dụ: ≥ 95%, dưới 3%, 10-12%, "
        "8-10 đảng viên/năm. Để trống nếu không có.",
        f"Chỉ tiêu ghi ngắn gọn, không quá {MAX_TARGET_LENGTH} ký tự.",
        operator="lessThanOrEqual",
        formula1=str(MAX_TARGET_LENGTH),
    )


def _date_rule() -> DataValidation:
    return _warning_rule(
        "date",
        "Ngày báo cáo",
        "Ghi ngày lập báo cáo dạng ngày/tháng/năm, ví dụ 15/12/2024.",
        "Ngày báo cáo chưa đúng dạng ngày/tháng/năm (ví dụ 15/12/2024).",
        operator="between",
        formula1="DATE(2000,1,1)",
        formula2="DATE(2100,12,31)",
    )


class _ReportSheetWriter:
    """Writes the ``Báo cáo`` sheet row by row, top to bottom."""

    def __init__(
        self, sheet: Worksheet, unit: TemplateUnit, period: TemplatePeriod, catalog: Catalog
    ) -> None:
        self.sheet = sheet
        self.unit = unit
        self.period = period
        self.catalog = catalog
        self.validations = _Validations(sheet, {})
        self.row = 1
        self.header_row = 0
        self.first_data_row = 0

    def write(self) -> None:
        """Title, metadata, header, indicator rows, footer; then widths, panes, protection."""
        self._title_block()
        self._metadata_block()
        self._header()
        self._indicator_rows()
        self._footer()
        self._finish()

    def _put(self, row: int, col: int, value: object, bold: bool = False):
        cell = self.sheet.cell(row=row, column=col, value=value)
        if bold:
            cell.font = Font(bold=True)
        return cell

    def _input_cell(self, row: int, col: int, number_format: str | None = None):
        """A cell the clerk fills in: unlocked and tinted, so it is found at a glance."""
        cell = self.sheet.cell(row=row, column=col)
        cell.protection = _UNLOCKED
        cell.fill = _INPUT_FILL
        cell.border = _BORDER
        if number_format:
            cell.number_format = number_format
        return cell

    def _title_block(self) -> None:
        unit = self.unit
        self._put(1, 1, f"ĐẢNG BỘ {unit.parent_name.upper()}", bold=True)
        self._put(1, COL_TARGET, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True)
        self._put(2, 1, f"ĐẢNG ỦY {unit.name.upper()}", bold=True)
        title = f"BIỂU KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU - {self.period.text.upper()}"
        self._put(3, 1, title, bold=True).alignment = Alignment(horizontal="center")
        self.sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=LAST_COLUMN)
        self.row = 5

    def _metadata_pairs(self) -> list[list[tuple[str, str]]]:
        """Metadata rows: pre-filled pairs share a row; each clerk-filled one has its own.

        A label whose value cell is left empty would take the next filled cell of its
        row as its value, so the report date and preparer stand alone on their rows.
        """
        unit, period = self.unit, self.period
        # "Tỉnh/Thành phố:", not "Thành phố:", which the parser reads as a district label.
        province_label = "Tỉnh:" if unit.province_type == "Tỉnh" else "Tỉnh/Thành phố:"
        province = unit.province_short if unit.province_type == "Tỉnh" else unit.province_name
        place = [(province_label, province)]
        if unit.district_type and unit.district_short:
            place.insert(0, (f"{unit.district_type}:", unit.district_short))
        return [
            [("Đơn vị:", unit.name), ("Mã đơn vị:", unit.code)],
            place,
            [("Kỳ báo cáo:", period.text), ("Nhiệm kỳ:", period.term_code)],
        ]

    def _metadata_block(self) -> None:
        for pairs in self._metadata_pairs():
            for (label, value), (label_col, value_col) in zip(
                pairs, ((1, 3), (COL_TARGET, COL_VALUE)), strict=False
            ):
                self._put(self.row, label_col, label, bold=True)
                # Text, so a code such as 00004 keeps its zeros and nothing becomes a date.
                self._put(self.row, value_col, value).number_format = "@"
            self.row += 1
        self._put(self.row, 1, "Ngày báo cáo:", bold=True)
        self._input_cell(self.row, 3, "DD/MM/YYYY")
        self.validations.add(("date",), f"C{self.row}", _date_rule)
        self.row += 1
        self._put(self.row, 1, "Người lập biểu:", bold=True)
        self._input_cell(self.row, 3, "@")
        self.row += 2

    def _header(self) -> None:
        self.header_row = self.row
        for col, text in enumerate(HEADERS, start=1):
            cell = self._put(self.row, col, text, bold=True)
            cell.fill = _HEADER_FILL
            cell.border = _BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.row += 1
        self.first_data_row = self.row

    def _indicator_rows(self) -> None:
        by_domain: dict[str, list[Indicator]] = {}
        for indicator in self.catalog:
            by_domain.setdefault(indicator.domain, []).append(indicator)
        for index, (domain, indicators) in enumerate(by_domain.items()):
            numeral, title = REPORT_SECTIONS.get(
                domain, (ROMAN_NUMERALS[index % len(ROMAN_NUMERALS)], domain.upper())
            )
            self._section_row(numeral, title)
            for number, indicator in enumerate(indicators, start=1):
                self._indicator_row(number, indicator)

    def _section_row(self, numeral: str, title: str) -> None:
        for col in range(1, LAST_COLUMN + 1):
            cell = self.sheet.cell(row=self.row, column=col)
            cell.fill = _SECTION_FILL
            cell.border = _BORDER
        self._put(self.row, COL_STT, numeral, bold=True)
        self._put(self.row, COL_NAME, title, bold=True)
        self.row += 1

    def _indicator_row(self, number: int, indicator: Indicator) -> None:
        row = self.row
        for col, value in (
            (COL_STT, number),
            (COL_CODE, indicator.indicator_code),
            (COL_NAME, indicator.name_vi),
            (COL_UNIT, indicator.unit),
        ):
            cell = self._put(row, col, value)
            cell.border = _BORDER
            cell.alignment = _WRAP
        # Targets are text ("10-12%"): as a number cell Excel would turn "10-12" into a date.
        self._input_cell(row, COL_TARGET, "@")
        self.validations.add(("target",), f"{_letter(COL_TARGET)}{row}", _target_rule)
        self._input_cell(row, COL_VALUE, _value_format(indicator))
        key, make = _value_rule(indicator)
        self.validations.add(key, f"{_letter(COL_VALUE)}{row}", make)
        self._input_cell(row, COL_NOTE, "@").alignment = _WRAP
        self.row += 1

    def _footer(self) -> None:
        # "Ghi chú: …" in the first column ends the table for the parser (a footnote row).
        self.row += 1
        self._put(self.row, 1, f"Ghi chú: Cách ghi số liệu xem ở trang '{INSTRUCTIONS_SHEET}'.")
        self.row += 2
        self._put(self.row, COL_CODE, "Người lập biểu", bold=True)
        self._put(self.row, COL_VALUE, "T/M ĐẢNG ỦY", bold=True)
        self._put(self.row + 1, COL_VALUE, "BÍ THƯ", bold=True)

    def _finish(self) -> None:
        sheet = self.sheet
        for letter, width in COLUMN_WIDTHS.items():
            sheet.column_dimensions[letter].width = width
        # Rows above the first indicator and the code/name columns stay on screen.
        sheet.freeze_panes = f"{_letter(COL_UNIT)}{self.first_data_row}"
        sheet.print_title_rows = f"{self.header_row}:{self.header_row}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        _protect(sheet)


def _letter(col: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[col - 1]


def _value_format(indicator: Indicator) -> str:
    """Thousands grouped for counts and money (Excel shows the clerk's locale separators)."""
    if indicator.value_type in ("count", "money_vnd"):
        return "#,##0"
    return "General"


def _protect(sheet: Worksheet) -> None:
    """Protect the sheet without a password; the clerk may still resize rows and columns.

    A guard against slips (a renamed code, a deleted row), not a secret: Review >
    Unprotect Sheet lifts it, as the instructions say.
    """
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False


# ------------------------------------------------------------------ the instructions sheet


def _instructions(unit: TemplateUnit, period: TemplatePeriod, catalog: Catalog) -> list[str]:
    """The lines of the ``Hướng dẫn`` sheet; a line starting with '#' is a heading."""
    wide = [
        f"'{i.name_vi}' ({i.indicator_code}) từ {_number_text(i.min_value or 0)} đến "
        f"{_number_text(i.max_value)}"
        for i in catalog
        if i.value_type == "percent" and i.max_value is not None and i.max_value != 100
    ]
    wide_text = f" Riêng {'; '.join(wide)}." if wide else ""
    deadline = _deadline_rule(period.period_type)
    return [
        f"# HƯỚNG DẪN GHI BIỂU CHỈ TIÊU - {period.text.upper()}",
        f"Đơn vị: {unit.name} (mã {unit.code}), {unit.parent_name}, {unit.province_name}.",
        "# 1. Những gì đã ghi sẵn (không sửa)",
        "- Đơn vị, Mã đơn vị, huyện/tỉnh, Kỳ báo cáo và Nhiệm kỳ ở đầu trang 'Báo cáo' đã "
        "được ghi sẵn. Nếu sai, đề nghị lấy lại biểu mẫu đúng, không tự sửa.",
        "- Không sửa Mã chỉ tiêu, tên chỉ tiêu, ĐVT; không thêm, xóa hay đổi thứ tự dòng, cột; "
        "không đổi tên trang tính. Chỉ tiêu không có số liệu thì để trống.",
        "- Trang tính được khóa (không đặt mật khẩu) để tránh sửa nhầm; chỉ các ô nền vàng "
        "được ghi. Không gỡ khóa trừ khi cấp trên hướng dẫn.",
        "# 2. Những gì đơn vị ghi",
        "- Ngày báo cáo: ghi ngày/tháng/năm, ví dụ 15/12/2024. Người lập biểu: họ tên.",
        f"- Cột 'Thực hiện': số liệu của kỳ báo cáo ({period.text}).",
        "- Cột 'Chỉ tiêu NQ': chỉ tiêu Nghị quyết Đại hội của nhiệm kỳ, ví dụ ≥ 95%, "
        "trên 80%, dưới 3%, 10-12%, 8-10 đảng viên/năm. Để trống nếu Nghị quyết không đặt.",
        "- Cột 'Ghi chú': giải thích khi cần (số ước tính, số bổ sung…).",
        "# 3. Cách ghi số liệu",
        "- Tỷ lệ (%): ghi số phần trăm, ví dụ 91,5 hoặc 91,5%; không ghi 0,915." + wide_text,
        "- Số lượng (người, hộ, chi bộ…): số nguyên, ví dụ 1.234 hoặc 1234; có thể kèm danh "
        "từ như '12 đồng chí'.",
        "- Số tiền: tính bằng đồng, ví dụ 1.117.213.000; cũng nhận '1,1 tỷ', '900 triệu', "
        "'16 tỷ 434 triệu'.",
        "- Dạng phân số 130/130 (đạt/tổng số) được nhận; gõ dấu nháy đơn trước ('08/08) để "
        "Excel không đổi thành ngày tháng.",
        "- Có thể ghi 'khoảng 200', 'trên 300 triệu', 'dưới 5%'; không có số liệu thì để "
        "trống hoặc ghi '-'.",
        "- Nếu Excel báo 'giá trị không hợp lệ', kiểm tra lại số; nếu đúng như đã ghi (ví dụ "
        "dạng chữ), chọn Yes (Có) để giữ.",
        "# 4. Gửi báo cáo",
        "- Lưu tệp dạng Excel (.xlsx), giữ nguyên tên tệp, không đặt mật khẩu cho tệp.",
        f"- Gửi về Văn phòng Đảng ủy {unit.parent_name} theo địa chỉ thư điện tử hoặc hệ thống "
        "nhận báo cáo mà cấp trên đã thông báo.",
        *([f"- {deadline}."] if deadline else []),
        "- Nếu cần sửa số liệu đã gửi, gửi lại toàn bộ biểu với Ngày báo cáo mới: bản gửi "
        "sau thay thế bản trước.",
    ]


def _instructions_sheet(
    workbook: Workbook, unit: TemplateUnit, period: TemplatePeriod, catalog: Catalog
) -> None:
    """One text line per row in column A: a sheet with no indicator table, never parsed."""
    sheet = workbook.create_sheet(INSTRUCTIONS_SHEET)
    sheet.column_dimensions["A"].width = 110
    for row, line in enumerate(_instructions(unit, period, catalog), start=1):
        heading = line.startswith("#")
        cell = sheet.cell(row=row, column=1, value=line.lstrip("# ") if heading else line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if heading:
            cell.font = Font(bold=True, size=12 if row == 1 else 11)
    _protect(sheet)


# ------------------------------------------------------------------ files


def build_template(
    unit: TemplateUnit, period: TemplatePeriod, catalog: Catalog | None = None
) -> Workbook:
    """The template workbook of one ward and period (sheets ``Báo cáo`` and ``Hướng dẫn``)."""
    catalog = catalog or load_catalog()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = REPORT_SHEET
    _ReportSheetWriter(sheet, unit, period, catalog).write()
    _instructions_sheet(workbook, unit, period, catalog)
    workbook.active = 0
    workbook.properties.creator = "chitieu template"
    workbook.properties.title = f"{unit.name} - {period.text}"
    return workbook


def template_file_name(unit: TemplateUnit, period: TemplatePeriod) -> str:
    """``2024_pre2025-21469_phuong-pho-hoa.xlsx``: ASCII, sortable by period, then code."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(unit.name)).strip("-")
    return f"{period.code}_{unit.scheme}-{unit.code}_{slug}.xlsx"


def write_templates(
    units: list[TemplateUnit], period: TemplatePeriod, out_dir: Path, catalog: Catalog
) -> list[Path]:
    """Write one template per unit into ``out_dir`` (created if missing); their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for unit in units:
        path = out_dir / template_file_name(unit, period)
        build_template(unit, period, catalog).save(path)
        written.append(path)
    return written

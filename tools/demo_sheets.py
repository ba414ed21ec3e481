"""One demo submission sheet: the standard layout of the submission spec and its cells typed
as clerks type them (decimal commas, grouped thousands, money in words, fractions...).

:class:`_SheetWriter` writes a :class:`SheetSpec` and records where each value went; the
files around it are :mod:`tools.demo`'s.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from flows.domain.catalog import REPORT_SECTIONS, Catalog, Indicator
from flows.reading.workbook import cell_address
from tools.demo_wards import DISTRICT_NAME, DISTRICT_TYPE, PROVINCE_NAME, Ward, _WardStyle

# Target texts of the "Chỉ tiêu NQ" column, as congress resolutions word them.
TARGETS: dict[str, tuple[object, ...]] = {
    "XD.DV_HOC_NQ_TYLE": ("≥ 95%", "trên 95%", "từ 95% trở lên"),
    "XD.KET_NAP_DV": ("8-10 đảng viên/năm", "5-7 đảng viên/năm", "≥ 30"),
    "XD.CHI_BO_TU_KT_TYLE": ("100%", 100),
    "VH.BHYT_TYLE": ("≥ 95%", ">= 95", "trên 90%"),
    "VH.HO_NGHEO_TYLE": ("dưới 3%", "≤ 3", "dưới 2%"),
    "VH.HO_CAN_NGHEO_TYLE": ("dưới 5%", "10-12%"),
    "VH.GD_VAN_HOA_TYLE": ("trên 80%", "≥ 90%"),
    "VH.GD_HOC_TAP_TYLE": ("từ 90% trở lên", "≥ 85%"),
    "VH.LD_DAO_TAO_TYLE": ("60-65%", "6,6-6,8", "trên 55%"),
    "QP.GIAO_QUAN_TYLE": ("100%",),
    "DV.Y_KIEN_TYLE": ("≥ 95%", "100%"),
    "DV.MO_HINH_DVK": (5, "≥ 3"),
    "KT.VON_DAU_TU": ("trên 5 tỷ", "5-7 tỷ đồng"),
}

NOUNS = {
    "XD.DV_HOC_NQ": ("đồng chí", "đ/c"),
    "XD.KET_NAP_DV": ("đ/c", "đảng viên"),
    "XD.HUY_HIEU": ("đồng chí",),
    "XD.CHI_BO": ("chi bộ",),
    "DV.MO_HINH_DVK": ("mô hình",),
    "DV.Y_KIEN_NHAN": ("ý kiến",),
}
FRACTIONS = {  # indicator → the indicator whose value is the denominator
    "XD.DV_HOC_NQ": "XD.DV_TRIEU_TAP",
    "XD.CHI_BO_TU_KT": "XD.CHI_BO",
    "DV.Y_KIEN_GIAI_QUYET": "DV.Y_KIEN_NHAN",
}

UNMAPPED_NAME = "Số hộ sử dụng nước sạch"


# ------------------------------------------------------------------ cell forms


def vn_decimal(number: float, decimals: int = 1) -> str:
    """``91,5``: a decimal comma, as Vietnamese-locale clerks type it."""
    return f"{number:.{decimals}f}".replace(".", ",")


def vn_thousands(number: float, separator: str = ".") -> str:
    """``1.117.213.000``: an integer grouped by three."""
    return f"{int(number):,}".replace(",", separator)


def vn_money_words(amount: float) -> str:
    """``1,1 tỷ``, ``900 triệu``, ``16 tỷ 434 triệu`` for an amount in whole millions."""
    millions = int(amount // 1_000_000)
    billions, rest = divmod(millions, 1000)
    if not billions:
        return f"{rest} triệu"
    if rest % 100 == 0:
        return f"{vn_decimal(millions / 1000, 1).removesuffix(',0')} tỷ"
    return f"{billions} tỷ {rest} triệu"


@dataclass
class _Written:
    """What goes into a value cell, and what the parser must read from it."""

    cell: object
    value: float | None  # None: a blank mark, nothing to load
    qualifier: str = "="


def _render_value(
    indicator: Indicator, year_values: dict[str, float], rng: random.Random, style: _WardStyle
) -> _Written:
    code = indicator.indicator_code
    value = year_values[code]
    if indicator.value_type == "percent":
        return _render_percent(value, rng)
    if indicator.value_type == "money_vnd":
        return _render_money(code, value, rng, style)
    return _render_count(code, value, year_values, rng, style)


def _render_percent(value: float, rng: random.Random) -> _Written:
    roll = rng.random()
    if roll < 0.2:
        return _Written(vn_decimal(value).removesuffix(",0"), value)
    if roll < 0.35:
        return _Written(vn_decimal(value).removesuffix(",0") + "%", value)
    return _Written(value, value)


def _render_money(code: str, value: float, rng: random.Random, style: _WardStyle) -> _Written:
    if style.money_in_millions and code.startswith("KT."):
        return _Written(value / 1_000_000, value)
    roll = rng.random()
    if code == "KT.VON_NS_CAP_TREN" or code == "MT.VAN_DONG_NHA_DDK":
        if roll < 0.25:
            return _Written(vn_money_words(value), value)
        if roll < 0.35 and value < 1e9:
            return _Written(f"{int(value // 1_000_000)} tr", value)
    elif roll < 0.25:
        return _Written(vn_thousands(value), value)
    elif roll < 0.35:
        return _Written(vn_thousands(value) + " đồng", value)
    elif roll < 0.42:
        return _Written(vn_thousands(value, ","), value)
    elif roll < 0.48:
        return _Written(vn_thousands(value, " "), value)
    return _Written(int(value), value)


def _render_count(
    code: str,
    value: float,
    year_values: dict[str, float],
    rng: random.Random,
    style: _WardStyle,
) -> _Written:
    count = int(value)
    roll = rng.random()
    if code == "XD.KHAI_TRU_DV" and count == 0 and style.dash_for_zero:
        return _Written("-", None)
    if code == style.approximate_indicator:
        return _Written(f"khoảng {count}", value, "~")
    if code in FRACTIONS and roll < 0.3:
        denominator = int(year_values[FRACTIONS[code]])
        width = 2 if denominator < 10 else 1
        return _Written(f"{count:0{width}d}/{denominator:0{width}d}", value)
    if code in NOUNS and roll < 0.5:
        return _Written(f"{count} {rng.choice(NOUNS[code])}", value)
    if count >= 1000 and roll < 0.35:
        return _Written(vn_thousands(count), value)
    return _Written(count, value)


# ------------------------------------------------------------------ sheet layout


@dataclass(frozen=True)
class ValueColumn:
    """One value column: its header(s) and what it reports."""

    header: str
    year: int
    is_estimate: bool = False


@dataclass
class SheetSpec:
    """Everything needed to write one submission sheet."""

    ward: Ward
    style: _WardStyle
    subtitle: str
    period_text: str
    term_text: str | None
    report_date: date
    report_date_form: str  # 'cell', 'text', 'worded'
    columns: list[ValueColumn]
    group_header: str | None = None  # a merged "Thực hiện" above the year columns
    note_column: bool = True
    assessment_column: bool = False
    unmapped_row: bool = False
    footnote: str = "Ghi chú: Số liệu do Văn phòng Đảng ủy tổng hợp từ báo cáo của các chi bộ."
    overrides: dict[tuple[str, int], float] = field(default_factory=dict)
    row_notes: dict[str, str] = field(default_factory=dict)


@dataclass
class _SheetWriter:
    """Writes one sheet and records where each expected value went."""

    sheet: Worksheet
    spec: SheetSpec
    catalog: Catalog
    truth: dict[int, dict[str, float]]
    rng: random.Random
    cells: list[tuple[str, int, _Written, str]] = field(default_factory=list)
    unmapped_rows: list[int] = field(default_factory=list)
    row: int = 1

    @property
    def last_column(self) -> int:
        extra = int(self.spec.note_column) + int(self.spec.assessment_column)
        return 5 + len(self.spec.columns) + extra

    def write(self) -> None:
        self._title_block()
        self._metadata_block()
        self._header()
        self._body()
        self._footer()
        self.sheet.column_dimensions["C"].width = 48

    def _put(self, row: int, col: int, value: object, bold: bool = False) -> None:
        cell = self.sheet.cell(row=row, column=col, value=value)
        if bold:
            cell.font = Font(bold=True)

    def _title_block(self) -> None:
        ward = self.spec.ward
        self._put(1, 1, f"ĐẢNG BỘ {DISTRICT_TYPE.upper()} {DISTRICT_NAME.upper()}", bold=True)
        self._put(1, 6, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True)
        self._put(2, 1, f"ĐẢNG ỦY {ward.name.upper()}", bold=True)
        if self.spec.report_date_form == "worded":
            when = self.spec.report_date
            place = f"{ward.short_name}, ngày {when.day} tháng {when.month} năm {when.year}"
            self._put(2, 6, place)
        self._put(4, 1, "BIỂU KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU", bold=True)
        self._put(5, 1, self.spec.subtitle)
        for title_row in (4, 5):
            self.sheet.merge_cells(
                start_row=title_row, start_column=1, end_row=title_row, end_column=self.last_column
            )
            self.sheet.cell(title_row, 1).alignment = Alignment(horizontal="center")
        self.row = 7

    def _metadata_pairs(self) -> list[tuple[str, object]]:
        spec, ward = self.spec, self.spec.ward
        code: object = ward.code if spec.style.inline_metadata else int(ward.code)
        pairs: list[tuple[str, object]] = [
            ("Đơn vị", ward.name),
            ("Mã đơn vị", code),
            (DISTRICT_TYPE, DISTRICT_NAME),
            ("Tỉnh", PROVINCE_NAME),
            ("Kỳ báo cáo", spec.period_text),
        ]
        if spec.term_text:
            pairs.append(("Nhiệm kỳ", spec.term_text))
        if spec.report_date_form == "cell":
            pairs.append(("Ngày báo cáo", datetime.combine(spec.report_date, datetime.min.time())))
        elif spec.report_date_form == "text":
            pairs.append(("Ngày báo cáo", spec.report_date.strftime("%d/%m/%Y")))
        pairs.append(("Người lập biểu", "Văn phòng Đảng ủy"))
        return pairs

    def _metadata_block(self) -> None:
        for label, value in self._metadata_pairs():
            if self.spec.style.inline_metadata:
                shown = value.strftime("%d/%m/%Y") if isinstance(value, datetime) else value
                self._put(self.row, 1, f"{label}: {shown}")
            else:
                self._put(self.row, 1, f"{label}:")
                self._put(self.row, 3, value)
                if isinstance(value, datetime):
                    self.sheet.cell(self.row, 3).number_format = "DD/MM/YYYY"
            self.row += 1
        self.row += 1

    def _header(self) -> None:
        spec = self.spec
        fixed = ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ"]
        trailing = (["Đánh giá"] if spec.assessment_column else []) + (
            ["Ghi chú"] if spec.note_column else []
        )
        top = self.row
        if spec.group_header is None:
            headers = fixed + [column.header for column in spec.columns] + trailing
            for col, text in enumerate(headers, start=1):
                self._put(top, col, text, bold=True)
            self.row += 1
            return
        first_value_col = len(fixed) + 1
        for col, text in enumerate(fixed, start=1):
            self._put(top, col, text, bold=True)
            self.sheet.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
        self._put(top, first_value_col, spec.group_header, bold=True)
        last_value_col = first_value_col + len(spec.columns) - 1
        self.sheet.merge_cells(
            start_row=top, start_column=first_value_col, end_row=top, end_column=last_value_col
        )
        for offset, column in enumerate(spec.columns):
            self._put(top + 1, first_value_col + offset, column.header, bold=True)
        for offset, text in enumerate(trailing, start=1):
            col = last_value_col + offset
            self._put(top, col, text, bold=True)
            self.sheet.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
        self.row += 2

    def _body(self) -> None:
        by_domain: dict[str, list[Indicator]] = {}
        for indicator in self.catalog:
            by_domain.setdefault(indicator.domain, []).append(indicator)
        last_unit: str | None = None
        for domain, indicators in by_domain.items():
            numeral, title = REPORT_SECTIONS.get(domain, ("", domain.upper()))
            self._put(self.row, 1, numeral, bold=True)
            self._put(self.row, 3, title, bold=True)
            self.row += 1
            for number, indicator in enumerate(indicators, start=1):
                last_unit = self._indicator_row(number, indicator, last_unit)
            if domain == "van_hoa_xa_hoi" and self.spec.unmapped_row:
                self._unmapped_row(len(indicators) + 1)

    def _row_unit(self, indicator: Indicator, last_unit: str | None) -> tuple[str, str]:
        """(text written in ĐVT, unit it stands for); repeats become ditto marks."""
        unit = indicator.unit
        in_millions = self.spec.style.money_in_millions and indicator.value_type == "money_vnd"
        if in_millions and indicator.indicator_code.startswith("KT."):
            unit = "triệu đồng"
        if unit == last_unit and unit in ("triệu đồng", "đồng") and self.rng.random() < 0.7:
            return self.rng.choice(['"', "''", "nt"]), unit
        return unit, unit

    def _row_name(self, indicator: Indicator) -> str:
        name = indicator.name_vi
        if self.spec.style.use_aliases and indicator.aliases_vi and self.rng.random() < 0.4:
            name = self.rng.choice(indicator.aliases_vi)
        if self.spec.style.nfd_names:
            name = unicodedata.normalize("NFD", name.replace("hóa", "hoá"))
        return name

    def _indicator_row(self, number: int, indicator: Indicator, last_unit: str | None) -> str:
        code = indicator.indicator_code
        row = self.row
        unit_text, unit = self._row_unit(indicator, last_unit)
        self._put(row, 1, number)
        if not self.spec.style.omit_codes:
            self._put(row, 2, code)
        self._put(row, 3, self._row_name(indicator))
        self._put(row, 4, unit_text)
        targets = TARGETS.get(code)
        if targets:
            self._put(row, 5, self.rng.choice(targets))
        for offset, column in enumerate(self.spec.columns):
            year_values = dict(self.truth[column.year])
            override = self.spec.overrides.get((code, column.year))
            if override is not None:
                year_values[code] = override
            written = _render_value(indicator, year_values, self.rng, self.spec.style)
            self._put(row, 6 + offset, written.cell)
            self.cells.append((code, column.year, written, cell_address(row - 1, 5 + offset)))
        self._trailing_cells(row, code, bool(targets))
        self.row += 1
        return unit

    def _trailing_cells(self, row: int, code: str, has_target: bool) -> None:
        col = 6 + len(self.spec.columns)
        if self.spec.assessment_column:
            if has_target:
                self._put(row, col, self.rng.choice(["Đạt", "Vượt", "Đạt", "Chưa đạt"]))
            col += 1
        if self.spec.note_column and code in self.spec.row_notes:
            self._put(row, col, self.spec.row_notes[code])

    def _unmapped_row(self, number: int) -> None:
        self._put(self.row, 1, number)
        self._put(self.row, 3, UNMAPPED_NAME)
        self._put(self.row, 4, "hộ")
        for offset in range(len(self.spec.columns)):
            self._put(self.row, 6 + offset, self.rng.randint(1500, 3500))
        self.unmapped_rows.append(self.row)
        self.row += 1

    def _footer(self) -> None:
        self.row += 1
        if any(column.is_estimate for column in self.spec.columns):
            self._put(self.row, 1, "(1) Số liệu năm 2023 là số ước tính.")
            self.row += 1
        self._put(self.row, 1, self.spec.footnote)
        self.row += 2
        self._put(self.row, 2, "Người lập biểu", bold=True)
        self._put(self.row, 6, "T/M ĐẢNG ỦY", bold=True)
        self._put(self.row + 1, 6, "BÍ THƯ", bold=True)

"""Demo submissions: the wards of Thị xã Đức Phổ (Quảng Ngãi) reporting their indicators.

``python -m tools.demo --out DIR`` (or :func:`generate_demo`) writes xlsx workbooks in
the standard layout of the submission spec (§2): a title block, a metadata block, a
one- or two-row header, section rows, indicator rows and a footnote. 12 of the 15
wards of the town report (21475, 21478 and 21481 do not, on purpose), for the
2015-2020 term (end-of-term review), the 2020-2025 mid-term review, and the years
2024 and 2025. Cells hold a realistic mix of numbers and text as clerks type them.

The returned :class:`DemoManifest` is the truth the tests compare the warehouse
with: every value that must be loaded (after the resubmission), the bad files, the
superseded file. Output is deterministic for a seed, down to the file bytes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from flows.domain.catalog import REPORT_SECTIONS, Catalog, Indicator, load_catalog
from flows.domain.textnorm import fold
from flows.reading.ingest import cell_address

DISTRICT_CODE = "534"
DISTRICT_TYPE, DISTRICT_NAME = "Thị xã", "Đức Phổ"
PROVINCE_NAME = "Quảng Ngãi"
NON_REPORTING_UNIT_CODES = ("21475", "21478", "21481")
FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Ward:
    """A reporting ward of the demo."""

    code: str
    unit_type: str
    short_name: str

    @property
    def name(self) -> str:
        return f"{self.unit_type} {self.short_name}"

    @property
    def slug(self) -> str:
        return fold(self.short_name).replace(" ", "-")


WARDS: tuple[Ward, ...] = (
    Ward("21439", "Phường", "Nguyễn Nghiêm"),
    Ward("21442", "Xã", "Phổ An"),
    Ward("21445", "Xã", "Phổ Phong"),
    Ward("21448", "Xã", "Phổ Thuận"),
    Ward("21451", "Phường", "Phổ Văn"),
    Ward("21454", "Phường", "Phổ Quang"),
    Ward("21457", "Xã", "Phổ Nhơn"),
    Ward("21460", "Phường", "Phổ Ninh"),
    Ward("21463", "Phường", "Phổ Minh"),
    Ward("21466", "Phường", "Phổ Vinh"),
    Ward("21469", "Phường", "Phổ Hòa"),
    Ward("21472", "Xã", "Phổ Cường"),
)
RESUBMITTING_WARD = "21469"
HIDDEN_SHEET_WARD = "21442"
NOTES_SHEET_WARD = "21445"
UNMAPPED_ROW_WARDS = ("21442", "21457")
BLANK_DASH_WARDS = ("21448", "21463")
MILLION_UNIT_WARDS = ("21451", "21466")
NFD_NAME_WARDS = ("21454",)
APPROXIMATE_WARD, APPROXIMATE_INDICATOR = "21460", "DV.NGUOI_DU_DOI_THOAI"
YEARS = tuple(range(2016, 2026))

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


# ------------------------------------------------------------------ the truth


def _rate(numerator: float, denominator: float) -> float:
    return round(100.0 * numerator / denominator, 1) if denominator else 0.0


def _ward_truth(ward: Ward, seed: int) -> dict[int, dict[str, float]]:
    """Every indicator of one ward for every year, internally consistent."""
    rng = random.Random(f"{seed}:{ward.code}:truth")
    population = rng.randint(8000, 13500)
    persons_per_household = rng.uniform(3.4, 3.9)
    members = rng.randint(90, 220)
    cells = rng.randint(8, 18)
    residential_groups = rng.randint(4, 9)
    truth: dict[int, dict[str, float]] = {}
    for step, year in enumerate(YEARS):
        population = round(population * rng.uniform(1.002, 1.009))
        households = round(population / persons_per_household)
        values = _party_values(rng, members, cells)
        members = int(values["XD.DV_TRIEU_TAP"] + values["XD.KET_NAP_DV"] - values["_leaving"])
        values.pop("_leaving")
        values |= _society_values(rng, step, population, households, residential_groups)
        values |= _economy_values(rng)
        values |= _mass_mobilisation_values(rng)
        truth[year] = values
    return truth


def _party_values(rng: random.Random, members: int, cells: int) -> dict[str, float]:
    attended = members - rng.randint(3, 12)
    self_checked = cells - (1 if rng.random() < 0.3 else 0)
    admitted, moved_in = rng.randint(2, 9), rng.randint(0, 4)
    moved_out, deceased = rng.randint(0, 3), rng.randint(0, 3)
    expelled = 1 if rng.random() < 0.1 else 0
    return {
        "XD.DV_TRIEU_TAP": members,
        "XD.DV_HOC_NQ": attended,
        "XD.DV_HOC_NQ_TYLE": _rate(attended, members),
        "XD.KET_NAP_DV": admitted,
        "XD.TIEP_NHAN_DV": moved_in,
        "XD.CHUYEN_DI_DV": moved_out,
        "XD.TU_TRAN_DV": deceased,
        "XD.HUY_HIEU": rng.randint(2, 12),
        "XD.KHAI_TRU_DV": expelled,
        "XD.CHI_BO": cells,
        "XD.CHI_BO_TU_KT": self_checked,
        "XD.CHI_BO_TU_KT_TYLE": _rate(self_checked, cells),
        "_leaving": moved_out + deceased + expelled - moved_in,
    }


def _society_values(
    rng: random.Random, step: int, population: int, households: int, groups: int
) -> dict[str, float]:
    insured = round(population * min(0.97, 0.80 + 0.012 * step + rng.uniform(-0.01, 0.01)))
    poor = round(households * max(0.012, 0.085 - 0.007 * step + rng.uniform(-0.004, 0.004)))
    near_poor = round(households * max(0.02, 0.07 - 0.004 * step + rng.uniform(-0.005, 0.005)))
    cultural = round(households * rng.uniform(0.86, 0.95))
    return {
        "VH.DAN_SO": population,
        "VH.BHYT_SO_NGUOI": insured,
        "VH.BHYT_TYLE": _rate(insured, population),
        "VH.TONG_HO": households,
        "VH.HO_NGHEO": poor,
        "VH.HO_NGHEO_TYLE": _rate(poor, households),
        "VH.HO_CAN_NGHEO": near_poor,
        "VH.HO_CAN_NGHEO_TYLE": _rate(near_poor, households),
        "VH.GD_VAN_HOA": cultural,
        "VH.GD_VAN_HOA_TYLE": _rate(cultural, households),
        "VH.GD_HOC_TAP_TYLE": round(rng.uniform(85.0, 97.0), 1),
        "VH.LD_DAO_TAO_TYLE": round(min(75.0, 40.0 + 3.0 * step + rng.uniform(-2, 2)), 1),
        "VH.TDP_VAN_HOA": groups - (1 if rng.random() < 0.3 else 0),
        "QP.GIAO_QUAN_TYLE": 100.0 if rng.random() < 0.8 else 110.0,
    }


def _economy_values(rng: random.Random) -> dict[str, float]:
    town_funds = rng.randint(5, 30) * 100_000_000
    ward_funds = rng.randint(100_000, 800_000) * 1_000
    return {
        "KT.VON_NS_CAP_TREN": town_funds,
        "KT.VON_NS_XA": ward_funds,
        "KT.VON_DAU_TU": town_funds + ward_funds,
        "MT.VAN_DONG_NHA_DDK": rng.randint(5, 140) * 10_000_000,
    }


def _mass_mobilisation_values(rng: random.Random) -> dict[str, float]:
    received = rng.randint(10, 40)
    resolved = received - rng.randint(0, 3)
    return {
        "DV.Y_KIEN_NHAN": received,
        "DV.Y_KIEN_GIAI_QUYET": resolved,
        "DV.Y_KIEN_TYLE": _rate(resolved, received),
        "DV.NGUOI_DU_DOI_THOAI": rng.randint(100, 400),
        "DV.MO_HINH_DVK": rng.randint(1, 6),
    }


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
class _WardStyle:
    """How one ward's clerk fills the form."""

    inline_metadata: bool
    omit_codes: bool
    use_aliases: bool
    nfd_names: bool
    money_in_millions: bool
    dash_for_zero: bool
    approximate_indicator: str | None
    year_header_prefix: str


def _ward_style(ward: Ward, index: int, seed: int) -> _WardStyle:
    rng = random.Random(f"{seed}:{ward.code}:style")
    return _WardStyle(
        inline_metadata=index % 2 == 0,
        omit_codes=index % 3 == 2,
        use_aliases=rng.random() < 0.5,
        nfd_names=ward.code in NFD_NAME_WARDS,
        money_in_millions=ward.code in MILLION_UNIT_WARDS,
        dash_for_zero=ward.code in BLANK_DASH_WARDS,
        approximate_indicator=APPROXIMATE_INDICATOR if ward.code == APPROXIMATE_WARD else None,
        year_header_prefix="TH " if index % 4 == 1 else "Năm ",
    )


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


# ------------------------------------------------------------------ files


@dataclass
class DemoManifest:
    """The truth about a generated demo landing folder (paths relative to ``out_dir``)."""

    out_dir: Path
    files: list[str] = field(default_factory=list)
    bad_files: list[str] = field(default_factory=list)
    bad_file_reasons: dict[str, str] = field(default_factory=dict)
    superseded_file: str = ""
    superseding_file: str = ""
    expected_values: list[dict] = field(default_factory=list)
    hidden_sheets: list[tuple[str, str]] = field(default_factory=list)
    sheets_without_table: list[tuple[str, str]] = field(default_factory=list)
    unmapped_rows: list[dict] = field(default_factory=list)
    reporting_unit_codes: list[str] = field(default_factory=list)
    non_reporting_unit_codes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """The manifest as JSON (for ``--manifest``)."""
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        return json.dumps(data, ensure_ascii=False, indent=1, default=str)


def _deterministic_xlsx_bytes(workbook: Workbook) -> bytes:
    """The workbook's bytes with fixed timestamps, so a seed always gives the same files."""
    fixed = datetime(*FIXED_ZIP_TIME)
    workbook.properties.creator = "chitieu demo"
    workbook.properties.created = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return output.getvalue()


def _save(workbook: Workbook, out_dir: Path, relative: str, received: date) -> None:
    path = out_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_deterministic_xlsx_bytes(workbook))
    # The arrival time follows the report date, so a resubmission also lands later.
    stamp = datetime.combine(received, datetime.min.time()).timestamp() + 12 * 3600
    os.utime(path, (stamp, stamp))


class _DemoBuilder:
    """Writes the demo files one by one and collects the manifest."""

    def __init__(self, out_dir: Path, seed: int, catalog: Catalog) -> None:
        self.out_dir = out_dir
        self.seed = seed
        self.catalog = catalog
        self.manifest = DemoManifest(out_dir=out_dir)
        self.manifest.reporting_unit_codes = [ward.code for ward in WARDS]
        self.manifest.non_reporting_unit_codes = list(NON_REPORTING_UNIT_CODES)
        self.truth = {ward.code: _ward_truth(ward, seed) for ward in WARDS}

    def write_sheet_file(
        self,
        relative: str,
        spec: SheetSpec,
        truth: dict[int, dict[str, float]],
        expected: bool = True,
        extra: Callable[[Workbook], None] | None = None,
        rng_key: str | None = None,
    ) -> dict[tuple[str, str], dict]:
        """One workbook with one submission sheet; returns its expected values.

        ``rng_key`` (default: the path) decides the cell forms; a resubmission reuses
        the first file's key so that only the corrected value differs.
        """
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Bieu chi tieu"
        rng = random.Random(f"{self.seed}:{rng_key or relative}")
        writer = _SheetWriter(sheet, spec, self.catalog, truth, rng)
        writer.write()
        if extra is not None:
            extra(workbook)
        _save(workbook, self.out_dir, relative, spec.report_date)
        self.manifest.files.append(relative)
        for row in writer.unmapped_rows:
            self.manifest.unmapped_rows.append(
                {"file": relative, "sheet": sheet.title, "source_row": row, "name": UNMAPPED_NAME}
            )
        if not expected:
            return {}
        return self._expected_of(relative, sheet.title, spec, writer)

    def _expected_of(
        self, relative: str, sheet_name: str, spec: SheetSpec, writer: _SheetWriter
    ) -> dict[tuple[str, str], dict]:
        rows = {}
        estimates = {column.year: column.is_estimate for column in spec.columns}
        for code, year, written, address in writer.cells:
            if written.value is None:
                continue
            rows[(code, str(year))] = {
                "unit_code": spec.ward.code,
                "indicator_code": code,
                "period_code": str(year),
                "value": float(written.value),
                "qualifier": written.qualifier,
                "is_estimate": estimates[year],
                "source_file": relative,
                "source_sheet": sheet_name,
                "source_cell": address,
            }
        return rows

    def keep(self, rows: dict[tuple[str, str], dict]) -> None:
        self.manifest.expected_values.extend(rows.values())


def _term_end_spec(ward: Ward, style: _WardStyle, rng: random.Random) -> SheetSpec:
    prefix = style.year_header_prefix
    return SheetSpec(
        ward=ward,
        style=style,
        subtitle="Tổng kết nhiệm kỳ 2015 - 2020",
        period_text="Tổng kết nhiệm kỳ 2015-2020",
        term_text="2015-2020",
        report_date=date(2020, 6, rng.randint(5, 25)),
        report_date_form=rng.choice(["cell", "text", "worded"]),
        columns=[ValueColumn(f"{prefix}{year}", year) for year in range(2016, 2021)],
    )


def _mid_term_spec(ward: Ward, style: _WardStyle, rng: random.Random) -> SheetSpec:
    return SheetSpec(
        ward=ward,
        style=style,
        subtitle="Sơ kết giữa nhiệm kỳ 2020 - 2025",
        period_text="Sơ kết giữa nhiệm kỳ 2020 - 2025",
        term_text=None,
        report_date=date(2023, 5, rng.randint(8, 25)),
        report_date_form=rng.choice(["cell", "text", "worded"]),
        columns=[
            ValueColumn("Năm 2021", 2021),
            ValueColumn("Năm 2022", 2022),
            ValueColumn("Ước 2023", 2023, is_estimate=True),
        ],
        group_header="Thực hiện",
        unmapped_row=ward.code == UNMAPPED_ROW_WARDS[0],
    )


def _year_spec(ward: Ward, style: _WardStyle, rng: random.Random, year: int) -> SheetSpec:
    report_date = date(year, 12, rng.randint(10, 20)) if year < 2025 else date(2025, 6, 20)
    return SheetSpec(
        ward=ward,
        style=style,
        subtitle=f"Năm {year}",
        period_text=f"Năm {year}",
        term_text="2020-2025",
        report_date=report_date,
        report_date_form=rng.choice(["cell", "text"]),
        columns=[ValueColumn("Thực hiện", year)],
        assessment_column=year == 2025,
        unmapped_row=ward.code in UNMAPPED_ROW_WARDS,
    )


def _add_hidden_draft(truth: dict[int, dict[str, float]], spec: SheetSpec, catalog: Catalog):
    """A hidden scratch sheet holding a whole table of wrong numbers: it must be ignored."""

    def add(workbook: Workbook) -> None:
        draft = workbook.create_sheet("Nhap (an)")
        doubled = {year: {k: v * 2 for k, v in values.items()} for year, values in truth.items()}
        _SheetWriter(draft, spec, catalog, doubled, random.Random(0)).write()
        draft.sheet_state = "hidden"

    return add


def _add_instructions(workbook: Workbook) -> None:
    """A visible sheet without a table (instructions), which the parser passes over."""
    sheet = workbook.create_sheet("Huong dan")
    sheet["A1"] = "Hướng dẫn ghi biểu"
    sheet["A2"] = "Ghi số liệu vào cột Thực hiện; tỷ lệ ghi theo %, số tiền ghi theo đồng."


def _write_ward(builder: _DemoBuilder, ward: Ward, index: int) -> None:
    seed, catalog = builder.seed, builder.catalog
    style = _ward_style(ward, index, seed)
    rng = random.Random(f"{seed}:{ward.code}:files")
    truth = builder.truth[ward.code]
    builder.keep(
        builder.write_sheet_file(
            f"tong-ket-2015-2020/{ward.slug}.xlsx", _term_end_spec(ward, style, rng), truth
        )
    )
    builder.keep(
        builder.write_sheet_file(
            f"so-ket-2020-2025/{ward.slug}.xlsx", _mid_term_spec(ward, style, rng), truth
        )
    )
    spec_2024 = _year_spec(ward, style, rng, 2024)
    extra = _add_instructions if ward.code == NOTES_SHEET_WARD else None
    first_2024 = builder.write_sheet_file(
        f"nam-2024/{ward.slug}.xlsx", spec_2024, truth, extra=extra
    )
    if ward.code == RESUBMITTING_WARD:
        first_2024 = _write_resubmission(builder, ward, spec_2024, truth)
    builder.keep(first_2024)
    spec_2025 = _year_spec(ward, style, rng, 2025)
    extra = _add_hidden_draft(truth, spec_2025, catalog) if ward.code == HIDDEN_SHEET_WARD else None
    builder.keep(
        builder.write_sheet_file(f"nam-2025/{ward.slug}.xlsx", spec_2025, truth, extra=extra)
    )
    if extra is not None:
        builder.manifest.hidden_sheets.append((f"nam-2025/{ward.slug}.xlsx", "Nhap (an)"))
    if ward.code == NOTES_SHEET_WARD:
        builder.manifest.sheets_without_table.append((f"nam-2024/{ward.slug}.xlsx", "Huong dan"))


def _write_resubmission(
    builder: _DemoBuilder, ward: Ward, first: SheetSpec, truth: dict[int, dict[str, float]]
) -> dict[tuple[str, str], dict]:
    """The ward corrects one value of its 2024 report and sends the whole sheet again."""
    corrected = truth[2024]["XD.KET_NAP_DV"] + 1
    spec = SheetSpec(
        **{
            **first.__dict__,
            "report_date": date(2025, 1, 10),
            "overrides": {("XD.KET_NAP_DV", 2024): corrected},
            "row_notes": {"XD.KET_NAP_DV": "Bổ sung: kết nạp thêm 01 đảng viên ngày 28/12/2024"},
        }
    )
    relative = f"nam-2024/{ward.slug}-bo-sung.xlsx"
    builder.manifest.superseded_file = f"nam-2024/{ward.slug}.xlsx"
    builder.manifest.superseding_file = relative
    return builder.write_sheet_file(relative, spec, truth, rng_key=builder.manifest.superseded_file)


def _write_bad_files(builder: _DemoBuilder) -> None:
    corrupt = "loi/bao-cao-hong.xlsx"
    path = builder.out_dir / corrupt
    path.parent.mkdir(parents=True, exist_ok=True)
    # What a webmail download of an expired attachment looks like: an HTML page.
    page = "<html><head><title>Lỗi</title></head><body>Tệp đính kèm đã hết hạn.</body></html>\n"
    path.write_bytes(page.encode())
    builder.manifest.files.append(corrupt)
    builder.manifest.bad_files.append(corrupt)
    builder.manifest.bad_file_reasons[corrupt] = "not a zip: unreadable file"

    unknown = Ward("99999", "Phường", "Không Tồn Tại")
    style = _ward_style(unknown, 0, builder.seed)
    spec = _year_spec(unknown, style, random.Random(builder.seed), 2024)
    relative = "loi/don-vi-khong-ro.xlsx"
    builder.write_sheet_file(relative, spec, builder.truth[WARDS[0].code], expected=False)
    builder.manifest.bad_files.append(relative)
    builder.manifest.bad_file_reasons[relative] = "unit 99999 does not exist"


def generate_demo(out_dir: Path, seed: int = 2025) -> DemoManifest:
    """Write the demo landing folder into ``out_dir`` and return its truth."""
    out_dir = Path(out_dir)
    builder = _DemoBuilder(out_dir, seed, load_catalog())
    for index, ward in enumerate(WARDS):
        _write_ward(builder, ward, index)
    _write_bad_files(builder)
    builder.manifest.files.sort()
    builder.manifest.bad_files.sort()
    return builder.manifest


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.demo --out DIR [--seed N] [--manifest FILE]``."""
    parser = argparse.ArgumentParser(description="Write the demo ward submissions.")
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--manifest", type=Path, help="also write the truth as JSON here")
    args = parser.parse_args(argv)
    manifest = generate_demo(args.out, args.seed)
    if args.manifest:
        args.manifest.write_text(manifest.to_json(), encoding="utf-8")
    size = sum((args.out / name).stat().st_size for name in manifest.files)
    print(
        f"{len(manifest.files)} files ({size / 1024:.0f} KiB) in {args.out}: "
        f"{len(manifest.expected_values)} expected values, bad files: {manifest.bad_files}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The casebook: small generated workbooks covering every form of the submission spec.

:func:`write_casebook` writes a handful of files (one per container and one per layout
family) into a folder and returns one :class:`Case` per interesting cell: what the
parser must read there (value, qualifier, denominator, estimate flag, period, unit)
or which issue it must report, and where (file, sheet, cell). Nothing here is a
hand-edited binary: every fixture is built from the plans below, so a new form seen
in the field is one more line in a plan.

What is covered, by section of ``submission-format.md``:

- §1 containers: .xlsx, .xlsm, .xls (xlwt), .ods (odfpy), .csv in UTF-8, UTF-8 with
  BOM, UTF-16 with BOM and Windows-1258 with ``;`` and ``,``; several sheets per
  workbook, with a hidden sheet and a sheet without a table (:data:`SKIPPED_SHEETS`).
- §2 layouts: title blocks and merged cells, every metadata label, ``label: value`` in
  one cell or in two, one- and two-row headers with every header spelling, year,
  estimate, target, mid-term and clerk-computed columns, section and footnote rows,
  every period form.
- §3 every row of the value table, the target forms, ditto marks and row units.
- §4 text in NFC, NFD, old-style tones, non-breaking spaces, TCVN3 and VNI.

``python -m tests.generators.casebook --out DIR`` writes the files for a look in a spreadsheet.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from flows.domain.catalog import Catalog, Indicator, load_catalog
from flows.domain.textnorm import TONE_MARKS, encode_tcvn3, encode_vni
from flows.domain.values import original_text_of

# A boolean indicator for the "Đạt / Không đạt / x" forms: the catalog has none yet.
BOOLEAN_CODE = "CASEBOOK.HOAN_THANH_NV"


def casebook_catalog() -> Catalog:
    """The real catalog plus :data:`BOOLEAN_CODE`, the only fixture-only indicator."""
    catalog = load_catalog()
    boolean = Indicator(
        indicator_code=BOOLEAN_CODE,
        name_vi="Đảng bộ hoàn thành tốt nhiệm vụ",
        name_en="Party committee fulfilled its duties well",
        aliases_vi=(),
        unit="",
        value_type="boolean",
        unit_aggregation="mean",
        time_aggregation="last",
        numerator_code=None,
        denominator_code=None,
        higher_is_better=True,
        domain="xay_dung_dang",
        min_value=0.0,
        max_value=1.0,
    )
    return Catalog({**catalog.indicators, BOOLEAN_CODE: boolean})


# ------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    """One cell of the casebook and what parsing it must give.

    With ``has_value`` an observation must come from ``cell`` with these fields;
    without it, none may (blank cells, cell errors, clerk-computed cells). When
    ``issue_rule`` is set, a cell issue of that rule and severity must name ``cell``;
    otherwise no issue may. ``unit`` is the unit of the stored value (``đồng``, ``%``,
    ``‰``...), ``unit_code`` the GSO code of the ward the sheet is about, ``target``
    ``(low, high, direction, per_year)`` of the row's target when the case is about it.
    """

    case_id: str
    covers: str
    file: str
    sheet: str
    cell: str
    indicator_code: str
    unit_code: str
    period_code: str | None
    has_value: bool = True
    value: float | None = None
    qualifier: str = "="
    denominator: float | None = None
    is_estimate: bool = False
    unit: str | None = None
    original_text: str | None = None
    target: tuple[float | None, float | None, str | None, bool] | None = None
    issue_rule: str | None = None
    issue_severity: str | None = None


@dataclass(frozen=True)
class Expect:
    """What a planned cell must parse to; completed into a :class:`Case` when written."""

    case_id: str
    covers: str
    indicator_code: str
    value: float | None = None
    has_value: bool = True
    qualifier: str = "="
    denominator: float | None = None
    is_estimate: bool = False
    period_code: str | None = None  # None: the sheet's period
    unit: str | None = None  # None: the catalog unit
    original_text: str | None = None
    target: tuple[float | None, float | None, str | None, bool] | None = None
    issue_rule: str | None = None
    issue_severity: str | None = None


@dataclass(frozen=True)
class Put:
    """A planned cell: its value, and how it is formatted or computed in the file."""

    value: object
    expect: Expect | None = None
    percent_format: str | None = None  # e.g. "0%" or "0.0%": the number is shown as percent
    formula: str | None = None  # written with ``value`` as its cached result (xlsx only)


@dataclass
class SheetPlan:
    """One sheet: rows of cells (plain values or :class:`Put`), and who and when it is."""

    name: str
    rows: list[list[object]]
    unit_code: str
    period_code: str | None
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 1-based, inclusive
    hidden: bool = False
    font: str | None = None  # a legacy font name (.VnTime, VNI-Times) for realism


# Sheets that must be skipped, by (file, sheet): the reason the run summary gives.
SKIPPED_SHEETS: dict[tuple[str, str], str] = {
    ("bo-cuc-nhieu-trang.xlsx", "Nháp"): "hidden",
    ("bo-cuc-nhieu-trang.xlsx", "Hướng dẫn"): "no_indicator_table",
}

# ------------------------------------------------------------------ the wards (district 534)

PHO_HOA = ("21469", "Phường Phổ Hòa")
NGUYEN_NGHIEM = ("21439", "Phường Nguyễn Nghiêm")
PHO_AN = ("21442", "Xã Phổ An")
PHO_PHONG = ("21445", "Xã Phổ Phong")
PHO_THUAN = ("21448", "Xã Phổ Thuận")
PHO_VAN = ("21451", "Phường Phổ Văn")
PHO_QUANG = ("21454", "Phường Phổ Quang")
PHO_NHON = ("21457", "Xã Phổ Nhơn")
PHO_NINH = ("21460", "Phường Phổ Ninh")
PHO_MINH = ("21463", "Phường Phổ Minh")
PHO_VINH = ("21466", "Phường Phổ Vinh")
PHO_CUONG = ("21472", "Xã Phổ Cường")
# No thị trấn is left in Đức Phổ; the "Thị trấn" label is shown with one of Bình Sơn.
CHAU_O = ("21040", "Thị trấn Châu Ổ")
DISTRICT, PROVINCE = "Thị xã Đức Phổ", "Tỉnh Quảng Ngãi"

HEADER = ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Thực hiện", "Ghi chú"]


def _title(ward_name: str) -> list[list[object]]:
    return [
        [f"ĐẢNG ỦY {ward_name.upper()}", None, None, "ĐẢNG CỘNG SẢN VIỆT NAM"],
        ["BIỂU KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU"],
    ]


def _standard_metadata(ward: tuple[str, str], period_text: str) -> list[list[object]]:
    return [
        [f"Đơn vị: {ward[1]}"],
        ["Mã đơn vị:", None, ward[0]],
        [f"Kỳ báo cáo: {period_text}"],
        ["Ngày báo cáo: 15/12/2022"],
        [],
    ]


def _row(stt: object, code: str | None, name: str, unit: str, target: object, *values: object):
    return [stt, code, name, unit, target, *values]


def _value(
    case_id: str, covers: str, code: str, raw: object, value: float | None, **expect: object
) -> Put:
    """A value cell typed as ``raw`` that must parse to ``value``."""
    percent_format = expect.pop("percent_format", None)
    formula = expect.pop("formula", None)
    original = expect.pop("original_text", None)
    if original is None:
        original = original_text_of(raw)
    return Put(
        raw,
        Expect(case_id, covers, code, value, original_text=original, **expect),  # type: ignore[arg-type]
        percent_format=percent_format,  # type: ignore[arg-type]
        formula=formula,  # type: ignore[arg-type]
    )


def _nothing(case_id: str, covers: str, code: str, raw: object, **expect: object) -> Put:
    """A cell that must give no value (blank, error, clerk-computed)."""
    expect.setdefault("original_text", original_text_of(raw))
    return Put(raw, Expect(case_id, covers, code, None, has_value=False, **expect))  # type: ignore[arg-type]


# ------------------------------------------------------------------ §3 values


def _value_rows() -> list[list[object]]:
    """One row per form of the §3 value table, each under its own indicator code."""
    pct, count, money = "VH.BHYT_TYLE", "VH.DAN_SO", "KT.VON_DAU_TU"
    rows: list[tuple[str, str, str, object]] = []  # (code, unit, target, cell)

    def add(code: str, unit: str, cell: object, target: object = None) -> None:
        rows.append((code, unit, target, cell))

    s = "§3 percent"
    add(pct, "%", _value("pct-decimal-comma", s, pct, "91,5", 91.5))
    add(pct, "%", _value("pct-sign", s, pct, "91,5%", 91.5))
    add(pct, "%", _value("pct-decimal-point", s, pct, "91.5", 91.5))
    add(pct, "%", _value("pct-number", s, pct, 91.5, 91.5, original_text="91.5"))
    add(
        pct,
        "%",
        _value("pct-formatted-custom", s, pct, 0.915, 91.5, percent_format="0.0%"),
    )
    add(pct, "%", _value("pct-formatted-builtin", s, pct, 0.92, 92.0, percent_format="0%"))
    s = "§3 thousands separators"
    add(money, "đồng", _value("money-dots", s, money, "1.117.213.000", 1117213000))
    add(money, "đồng", _value("money-commas", s, money, "1,117,213,000", 1117213000))
    add(money, "đồng", _value("money-spaces", s, money, "1 117 213 000", 1117213000))
    add(money, "đồng", _value("money-nbsp", s, money, "1\u00a0117\u00a0213\u00a0000", 1117213000))
    s = "§3 single dot before three digits"
    add(count, "người", _value("count-single-dot", s, count, "8.412", 8412))
    add(money, "đồng", _value("money-single-dot", s, money, "8.412", 8412))
    add(
        "VH.LD_DAO_TAO_TYLE", "%", _value("pct-single-dot", s, "VH.LD_DAO_TAO_TYLE", "8.412", 8.412)
    )
    s = "§3 tỷ / triệu / nghìn"
    add(money, "đồng", _value("money-ty", s, money, "1,1 tỷ", 1.1e9))
    add(money, "đồng", _value("money-ty-dong", s, money, "1,1 tỷ đồng", 1.1e9))
    add(money, "đồng", _value("money-ty-trieu", s, money, "16 tỷ 434 triệu", 16_434_000_000))
    add(money, "đồng", _value("money-trieu", s, money, "900 triệu", 9e8))
    add(money, "đồng", _value("money-tr", s, money, "900 tr", 9e8))
    add(money, "đồng", _value("money-nghin", s, money, "50 nghìn", 50_000))
    add(money, "đồng", _value("money-ngan", s, money, "50 ngàn", 50_000))
    s = "§3 qualifiers"
    add(money, "đồng", _value("q-tren", s, money, "trên 300 triệu", 3e8, qualifier=">"))
    add(pct, "%", _value("q-gt", s, pct, "> 98%", 98, qualifier=">"))
    add(pct, "%", _value("q-hon", s, pct, "hơn 90%", 90, qualifier=">"))
    add(
        "VH.HO_NGHEO_TYLE",
        "%",
        _value("q-duoi", s, "VH.HO_NGHEO_TYLE", "dưới 5%", 5, qualifier="<"),
    )
    add("VH.HO_NGHEO_TYLE", "%", _value("q-lt", s, "VH.HO_NGHEO_TYLE", "< 5", 5, qualifier="<"))
    add(count, "người", _value("q-khoang", s, count, "khoảng 200", 200, qualifier="~"))
    add(count, "người", _value("q-tilde", s, count, "~200", 200, qualifier="~"))
    add(count, "người", _value("q-gan", s, count, "gần 200", 200, qualifier="~"))
    s = "§3 fractions"
    add(
        "XD.DV_HOC_NQ",
        "người",
        _value("frac-130", s, "XD.DV_HOC_NQ", "130/130", 130, denominator=130),
    )
    add(
        "XD.CHI_BO_TU_KT",
        "chi bộ",
        _value("frac-08", s, "XD.CHI_BO_TU_KT", "08/08", 8, denominator=8),
    )
    add(
        "XD.CHI_BO_TU_KT", "chi bộ", _value("frac-4", s, "XD.CHI_BO_TU_KT", "4/4", 4, denominator=4)
    )
    add(
        "DV.Y_KIEN_GIAI_QUYET",
        "ý kiến",
        _value("frac-stated-ok", s, "DV.Y_KIEN_GIAI_QUYET", "36/35 (103%)", 36, denominator=35),
    )
    add(
        "DV.Y_KIEN_GIAI_QUYET",
        "ý kiến",
        _value(
            "frac-stated-wrong",
            "§3 a clerk's percent in brackets is cross-checked",
            "DV.Y_KIEN_GIAI_QUYET",
            "36/35 (110%)",
            36,
            denominator=35,
            issue_rule="clerk_computed_mismatch",
            issue_severity="warning",
        ),
    )
    s = "§3 per mille"
    for case_id, raw in (("per-mille-o", "0,30%o"), ("per-mille-sign", "0,3‰")):
        add(
            "VH.HO_NGHEO_TYLE",
            "%",
            _value(
                case_id,
                s,
                "VH.HO_NGHEO_TYLE",
                raw,
                0.3,
                unit="‰",
                issue_rule="per_mille_in_percent_row",
                issue_severity="warning",
            ),
        )
    s = "§3 counts with their noun"
    add("XD.DV_HOC_NQ", "người", _value("noun-dc", s, "XD.DV_HOC_NQ", "98 đ/c", 98))
    add("XD.HUY_HIEU", "người", _value("noun-dong-chi", s, "XD.HUY_HIEU", "12 đồng chí", 12))
    add("DV.MO_HINH_DVK", "mô hình", _value("noun-mo-hinh", s, "DV.MO_HINH_DVK", "20 mô hình", 20))
    add("VH.TDP_VAN_HOA", "tổ dân phố", _value("noun-phong", s, "VH.TDP_VAN_HOA", "13 phòng", 13))
    s = "§3 booleans"
    for case_id, raw, value in (
        ("bool-dat", "Đạt", 1),
        ("bool-hoan-thanh", "Hoàn thành", 1),
        ("bool-khong-dat", "Không đạt", 0),
        ("bool-x", "x", 1),
    ):
        add(BOOLEAN_CODE, "", _value(case_id, s, BOOLEAN_CODE, raw, value, unit=""))
    add(
        count,
        "người",
        _nothing(
            "bool-in-count-row",
            "§3 booleans only for boolean indicators",
            count,
            "Đạt",
            issue_rule="unparseable",
            issue_severity="error",
        ),
    )
    s = "§3 blanks and dashes"
    for case_id, raw in (
        ("blank-empty", None),
        ("blank-dash", "-"),
        ("blank-em-dash", "—"),
        ("blank-ellipsis", "…"),
        ("blank-na", "N/A"),
        ("blank-khong", "Không"),
    ):
        add(count, "người", _nothing(case_id, s, count, raw))
    s = "§3 cell errors"
    for case_id, raw in (
        ("error-ref", "#REF!"),
        ("error-div0", "#DIV/0!"),
        ("error-value", "#VALUE!"),
    ):
        add(
            count,
            "người",
            _nothing(case_id, s, count, raw, issue_rule="cell_error", issue_severity="error"),
        )
    s = "§3 formulas"
    add(count, "người", _value("formula-cached", s, count, 9876, 9876, formula="9000+876"))
    add(
        count,
        "người",
        _nothing(
            "formula-no-cache",
            s,
            count,
            "=9000+876",
            issue_rule="formula_without_value",
            issue_severity="error",
        ),
    )
    return [
        _row(number, code, _name(code), unit, target, cell)
        for number, (code, unit, target, cell) in enumerate(rows, start=1)
    ]


def _targets_and_units_rows() -> list[list[object]]:
    """§3 target forms, row units reconciled to the catalog's, and ditto marks."""
    rows = []
    s = "§3 targets"
    targets = (
        ("target-ge", "VH.GD_VAN_HOA_TYLE", "%", "≥ 90%", 92.5, (90.0, None, "at_least", False)),
        ("target-tren", "VH.GD_HOC_TAP_TYLE", "%", "trên 80%", 85, (80.0, None, "at_least", False)),
        (
            "target-tro-len",
            "XD.DV_HOC_NQ_TYLE",
            "%",
            "từ 90% trở lên",
            96,
            (90.0, None, "at_least", False),
        ),
        ("target-duoi", "VH.HO_NGHEO_TYLE", "%", "dưới 3%", 2.5, (None, 3.0, "at_most", False)),
        (
            "target-range-pct",
            "VH.HO_CAN_NGHEO_TYLE",
            "%",
            "10-12%",
            11,
            (10.0, 12.0, "range", False),
        ),
        (
            "target-range-comma",
            "VH.LD_DAO_TAO_TYLE",
            "%",
            "6,6-6,8",
            6.7,
            (6.6, 6.8, "range", False),
        ),
        (
            "target-per-year",
            "XD.KET_NAP_DV",
            "người",
            "8-10 đảng viên/năm",
            9,
            (8.0, 10.0, "range", True),
        ),
    )
    for case_id, code, unit, target, value, bounds in targets:
        rows.append((code, unit, target, _value(case_id, s, code, value, value, target=bounds)))
    s = "§3 row units and ditto marks"
    units = (
        ("unit-trieu-dong", "KT.VON_DAU_TU", "triệu đồng", 1117.213, 1_117_213_000),
        ("ditto-quote", "KT.VON_NS_CAP_TREN", '"', 900, 900_000_000),
        ("ditto-nt", "KT.VON_NS_XA", "nt", "217,213", 217_213_000),
        ("ditto-two-quotes", "MT.VAN_DONG_NHA_DDK", "''", 45, 45_000_000),
        ("unit-ty-dong", "KT.VON_DAU_TU", "tỷ đồng", "1,5", 1_500_000_000),
        ("unit-dong-with-ty", "KT.VON_NS_CAP_TREN", "đồng", "1,1 tỷ", 1_100_000_000),
    )
    for case_id, code, unit, raw, value in units:
        rows.append((code, unit, None, _value(case_id, s, code, raw, value)))
    return [
        _row(number, code, _name(code), unit, target, cell)
        for number, (code, unit, target, cell) in enumerate(rows, start=1)
    ]


def _name(code: str) -> str:
    return _catalog().indicators[code].name_vi


_CATALOG: list[Catalog] = []


def _catalog() -> Catalog:
    if not _CATALOG:
        _CATALOG.append(casebook_catalog())
    return _CATALOG[0]


def _values_plan() -> SheetPlan:
    rows = [
        *_title(PHO_HOA[1]),
        *_standard_metadata(PHO_HOA, "Năm 2022"),
        HEADER,
        ["I", None, "CÁC DẠNG SỐ LIỆU"],
        *_value_rows(),
    ]
    return SheetPlan("Giá trị", rows, PHO_HOA[0], "2022", merges=[(1, 1, 1, 3), (2, 1, 2, 6)])


def _targets_plan() -> SheetPlan:
    rows = [*_standard_metadata(NGUYEN_NGHIEM, "Năm 2023"), HEADER, *_targets_and_units_rows()]
    return SheetPlan("Chỉ tiêu NQ", rows, NGUYEN_NGHIEM[0], "2023")


# ------------------------------------------------------------------ §2 layouts


def _two_row_header_plan() -> SheetPlan:
    """Title, merged two-row header, year/estimate/mid-term/computed columns, sections."""
    code_a, code_b, code_c = "XD.DV_HOC_NQ_TYLE", "VH.BHYT_TYLE", "VH.HO_NGHEO_TYLE"
    mid = "2020-2025-MID"
    s = "§2 two-row header with merged group header"
    top = [
        "STT",
        "Mã số",
        "Nội dung",
        "ĐVT",
        "Chỉ tiêu Nghị quyết",
        "Thực hiện",
        None,
        None,
        "Giữa nhiệm kỳ",
        "So với NQ (%)",
        "Tỷ lệ đạt",
        "Đánh giá",
        "Ghi chú",
    ]
    sub = [None] * 5 + ["Năm 2021", "Năm 2022", "Ước 2023"] + [None] * 5

    def computed(case_id: str, code: str, raw: object, **extra: object) -> Put:
        percent_format = extra.pop("percent_format", None)
        put = _nothing(case_id, "§2 clerk-computed columns are cross-checked", code, raw, **extra)
        return replace(put, percent_format=percent_format)  # type: ignore[arg-type]

    rows: list[list[object]] = [
        *_title(PHO_HOA[1]),
        ["Phường/Xã:", "Phổ Hòa", None, "Mã ĐVHC:", PHO_HOA[0]],
        ["Kỳ:", "Sơ kết giữa nhiệm kỳ", None, "Nhiệm kỳ:", "2020 - 2025"],
        [],
        top,
        sub,
        ["I", None, "XÂY DỰNG ĐẢNG"],
        [
            1,
            code_a,
            _name(code_a),
            "%",
            "≥ 95%",
            _value("year-2021", s, code_a, "96,5", 96.5, period_code="2021"),
            _value("year-2022", s, code_a, 97, 97, period_code="2022"),
            _value("year-estimate", s, code_a, "98", 98, period_code="2023", is_estimate=True),
            _value("midterm-column", "§2 mid-term column", code_a, "97,5", 97.5, period_code=mid),
            computed("computed-ok", code_a, 102.6),
            computed("computed-formatted-ok", code_a, 1.026, percent_format="0.0%"),
            "Vượt",
        ],
        ["II", None, "VĂN HÓA - XÃ HỘI"],
        ["A", None, "Y tế"],
        [
            2,
            code_b,
            _name(code_b),
            "%",
            "≥ 95%",
            90,
            91,
            92,
            _value("computed-mismatch-value-kept", s, code_b, 92, 92, period_code=mid),
            computed(
                "computed-mismatch",
                code_b,
                "110%",
                period_code=mid,
                issue_rule="clerk_computed_mismatch",
                issue_severity="warning",
            ),
            None,
            "Chưa đạt",
        ],
        ["B", None, "Giảm nghèo"],
        [
            3,
            code_c,
            _name(code_c),
            "%",
            "dưới 3%",
            "3,5",
            "3,2",
            "3,07",
            "3,07",
            computed("computed-at-most-ok", code_c, "102,3"),
            None,
            "Chưa đạt",
            "Theo chuẩn nghèo đa chiều",
        ],
        [],
        ["(1) Số liệu năm 2023 là số ước tính."],
        [4, "VH.DAN_SO", "Dân số", "người", None, _nothing("after-footnote", s, "VH.DAN_SO", 9000)],
    ]
    merges = [(1, 1, 1, 3), (2, 1, 2, 8), (6, 6, 6, 8)]
    merges += [(6, col, 7, col) for col in (1, 2, 3, 4, 5, 9, 10, 11, 12, 13)]
    return SheetPlan("Phổ Hòa sơ kết", rows, PHO_HOA[0], mid, merges=merges)


def _variant_plan(
    name: str,
    ward: tuple[str, str],
    period_code: str,
    metadata: list[list[object]],
    header: list[str],
    cells: list[tuple[str, str, str, str, object, list[object]]],
) -> SheetPlan:
    """A sheet in a variant layout: metadata rows, a header, then ``(stt, code or None,
    name, unit, target, value cells)`` rows."""
    rows: list[list[object]] = [*metadata, [], header]
    for stt, code, row_name, unit, target, values in cells:
        rows.append([stt, code, row_name, unit, target, *values] if code != "-" else [])
    return SheetPlan(name, rows, ward[0], period_code)


def _layout_plans() -> list[SheetPlan]:
    """One sheet per metadata-label, header and period variant, each for another ward."""
    s_meta, s_head, s_period = "§2 metadata labels", "§2 header spellings", "§2 period forms"
    plans = [_two_row_header_plan()]
    plans.append(
        SheetPlan(
            "Nguyễn Nghiêm Q1",
            [
                ["Tên đơn vị", None, "Phường Nguyễn Nghiêm"],
                ["Mã xã: 21439"],
                ["Thời kỳ:", "Quý I/2023"],
                ["Ngày lập: 10/04/2023", None, "Người lập biểu: Nguyễn Văn An"],
                [],
                ["TT", "Mã", "Tên chỉ tiêu", "Đơn vị tính", "Mục tiêu NQ", "Kết quả"],
                [
                    1,
                    "VH.DAN_SO",
                    "Dân số trung bình",
                    "người",
                    None,
                    _value("period-quarter-roman", s_period, "VH.DAN_SO", 11250, 11250),
                ],
            ],
            NGUYEN_NGHIEM[0],
            "2023-Q1",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ An 6 tháng",
            [
                ["Xã: Phổ An", None, "Thị xã: Đức Phổ", None, "Tỉnh: Quảng Ngãi"],
                ["Kỳ báo cáo", "6 tháng đầu năm 2023"],
                ["Ngày: 05/07/2023", None, "Người lập: Trần Thị Bình"],
                [],
                ["Số TT", "Mã số", "Nội dung chỉ tiêu", "ĐVT", "KH", "Số liệu"],
                [
                    1,
                    None,
                    "Số hộ nghèo",
                    "hộ",
                    None,
                    _value("meta-name-only-xa", s_meta, "VH.HO_NGHEO", 41, 41),
                ],
            ],
            PHO_AN[0],
            "2023-H1",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Văn năm",
            [
                ["Phường: Phổ Văn", None, "Huyện: Đức Phổ", None, "Tỉnh: Quảng Ngãi"],
                ["Năm báo cáo: 2022"],
                [],
                [
                    "STT",
                    "Chỉ tiêu",
                    "ĐVT",
                    "Chỉ tiêu NQ",
                    "TH 2021",
                    "Thực hiện 2022",
                    "Ước TH 2023",
                    "2024",
                    "Ước thực hiện năm 2025",
                ],
                [
                    1,
                    "Tổng số hộ dân cư",
                    "hộ",
                    None,
                    _value("header-th-year", s_head, "VH.TONG_HO", 2950, 2950, period_code="2021"),
                    _value(
                        "header-thuc-hien-year",
                        s_head,
                        "VH.TONG_HO",
                        2990,
                        2990,
                        period_code="2022",
                    ),
                    _value(
                        "header-uoc-th",
                        s_head,
                        "VH.TONG_HO",
                        3010,
                        3010,
                        period_code="2023",
                        is_estimate=True,
                    ),
                    _value(
                        "header-bare-year", s_head, "VH.TONG_HO", 3030, 3030, period_code="2024"
                    ),
                    _value(
                        "header-uoc-thuc-hien-nam",
                        s_head,
                        "VH.TONG_HO",
                        3050,
                        3050,
                        period_code="2025",
                        is_estimate=True,
                    ),
                ],
            ],
            PHO_VAN[0],
            "2022",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Quang tổng kết",
            [
                ["Đơn vị: Phường Phổ Quang", None, "Mã phường: 21454"],
                ["Kỳ báo cáo: Tổng kết nhiệm kỳ", None, "Nhiệm kỳ: 2015-2020"],
                ["Ngày báo cáo:", "20/05/2020"],
                [],
                ["STT", "Mã chỉ tiêu", "Các chỉ tiêu", "ĐVT", "Kế hoạch", "Kết quả thực hiện"],
                [
                    1,
                    "XD.KET_NAP_DV",
                    "Kết nạp đảng viên mới",
                    "người",
                    "≥ 30",
                    _value(
                        "period-tong-ket",
                        s_period,
                        "XD.KET_NAP_DV",
                        "35 đảng viên",
                        35,
                        target=(30.0, None, "at_least", False),
                    ),
                ],
            ],
            PHO_QUANG[0],
            "2015-2020",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Nhơn nhiệm kỳ",
            [
                ["Xã", "Phổ Nhơn", None, "Quận:", "Đức Phổ"],
                ["Mã đơn vị", 21457],
                ["Kỳ báo cáo: Nhiệm kỳ 2020-2025"],
                [],
                ["STT", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Thực hiện", "So sánh"],
                [
                    1,
                    "Số mô hình Dân vận khéo",
                    "mô hình",
                    "≥ 3",
                    _value("period-nhiem-ky", s_period, "DV.MO_HINH_DVK", 4, 4),
                    _nothing("computed-so-sanh-ok", s_head, "DV.MO_HINH_DVK", "133%"),
                ],
            ],
            PHO_NHON[0],
            "2020-2025",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Ninh quý",
            [
                ["Đơn vị:", "Phường Phổ Ninh", None, "Thành phố:", "Đức Phổ"],
                ["Mã phường:", "21460"],
                ["Kỳ báo cáo:", "Quý 1 năm 2023"],
                [],
                ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Kế hoạch", "Thực hiện", "Ghi chú"],
                [
                    1,
                    "DV.Y_KIEN_NHAN",
                    _name("DV.Y_KIEN_NHAN"),
                    "ý kiến",
                    None,
                    _value("period-quarter-arabic", s_period, "DV.Y_KIEN_NHAN", 27, 27),
                ],
            ],
            PHO_NINH[0],
            "2023-Q1",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Minh giữa kỳ",
            [
                ["Đơn vị: Phường Phổ Minh", None, "Mã đơn vị: 21463"],
                ["Kỳ báo cáo: Giữa nhiệm kỳ 2020-2025"],
                [],
                ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Sơ kết"],
                [
                    1,
                    "VH.GD_VAN_HOA_TYLE",
                    _name("VH.GD_VAN_HOA_TYLE"),
                    "%",
                    "trên 80%",
                    _value(
                        "period-giua-nhiem-ky",
                        s_period,
                        "VH.GD_VAN_HOA_TYLE",
                        "86,2%",
                        86.2,
                    ),
                ],
            ],
            PHO_MINH[0],
            "2020-2025-MID",
        )
    )
    plans.append(
        SheetPlan(
            "Châu Ổ",
            [
                ["Thị trấn: Châu Ổ", None, "Huyện: Bình Sơn", None, "Tỉnh: Quảng Ngãi"],
                ["Kỳ báo cáo: Năm 2021"],
                [],
                ["STT", "Chỉ tiêu", "ĐVT", "Thực hiện"],
                [
                    1,
                    "Tỷ lệ lao động qua đào tạo",
                    "%",
                    _value("meta-thi-tran", s_meta, "VH.LD_DAO_TAO_TYLE", "62,4", 62.4),
                ],
            ],
            CHAU_O[0],
            "2021",
        )
    )
    return plans


def _skipped_plans() -> list[SheetPlan]:
    hidden = SheetPlan(
        "Nháp",
        [["Đơn vị: Phường Phổ Hòa"], ["Kỳ báo cáo: Năm 2022"], HEADER, [1, "VH.DAN_SO", "Dân số"]],
        PHO_HOA[0],
        "2022",
        hidden=True,
    )
    instructions = SheetPlan(
        "Hướng dẫn",
        [["Hướng dẫn điền biểu"], ["Ghi số liệu vào cột Thực hiện; không sửa mã chỉ tiêu."]],
        PHO_HOA[0],
        None,
    )
    return [hidden, instructions]


# ------------------------------------------------------------------ §4 text forms


def _text_plan(
    sheet: str,
    ward: tuple[str, str],
    transform: Callable[[str], str],
    covers: str,
    font: str | None = None,
) -> SheetPlan:
    """A name-only sheet (no codes: rows are matched by their text) with every text
    cell passed through ``transform`` (NFD, TCVN3...)."""
    short = ward[1].split(" ", 1)[1] if not ward[1].startswith("Thị trấn") else ward[1][9:]
    unit_type = ward[1].removesuffix(" " + short)
    prefix = sheet.lower().replace(" ", "-")
    rows: list[list[object]] = [
        [f"ĐẢNG ỦY {ward[1].upper()}"],
        [f"{unit_type}: {short}", None, "Thị xã: Đức Phổ", None, "Tỉnh: Quảng Ngãi"],
        ["Kỳ báo cáo: Năm 2022"],
        [],
        ["STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu NQ", "Thực hiện", "Ghi chú"],
        ["I", "VĂN HÓA - XÃ HỘI"],
        [
            1,
            "Tỷ lệ hộ nghèo",
            "%",
            "dưới 3%",
            _value(f"{prefix}-percent", covers, "VH.HO_NGHEO_TYLE", "3,07", 3.07),
        ],
        [
            2,
            "Tỷ lệ gia đình văn hóa",
            "%",
            "trên 80%",
            _value(f"{prefix}-alias", covers, "VH.GD_VAN_HOA_TYLE", "91,2%", 91.2),
        ],
        [
            3,
            "Số đảng viên tham gia học tập nghị quyết",
            "người",
            None,
            _value(f"{prefix}-noun", covers, "XD.DV_HOC_NQ", "98 đ/c", 98),
        ],
        [
            4,
            "Kinh phí vận động xây nhà đại đoàn kết",
            "đồng",
            None,
            _value(
                f"{prefix}-money",
                covers,
                "MT.VAN_DONG_NHA_DDK",
                "trên 1,1 tỷ",
                1.1e9,
                qualifier=">",
            ),
        ],
    ]
    plan = SheetPlan(sheet, rows, ward[0], "2022", font=font)
    return _transform_plan(plan, transform)


def _transform_plan(plan: SheetPlan, transform: Callable[[str], str]) -> SheetPlan:
    """The plan with every text cell transformed; expected original texts follow."""

    def cell(item: object) -> object:
        if isinstance(item, str):
            return transform(item)
        if isinstance(item, Put) and isinstance(item.value, str):
            text = transform(item.value)
            expect = item.expect and replace(item.expect, original_text=text)
            return replace(item, value=text, expect=expect)
        return item

    return replace(plan, rows=[[cell(item) for item in row] for row in plan.rows])


def _old_tone_placement(text: str) -> str:
    """Old-style tone placement: ``hòa`` → ``hoà``, ``thủy`` → ``thuỷ``."""
    pattern = re.compile(r"([oOuU])([òóỏõọÒÓỎÕỌùúủũụÙÚỦŨỤ])([aAeEyY])")

    def move(match: re.Match[str]) -> str:
        first, toned, last = match.groups()
        decomposed = unicodedata.normalize("NFD", toned)
        tone = next(mark for mark in decomposed if mark in TONE_MARKS)
        return (
            first
            + unicodedata.normalize("NFC", decomposed.replace(tone, ""))
            + (unicodedata.normalize("NFC", last + tone))
        )

    return pattern.sub(move, unicodedata.normalize("NFC", text))


def _with_nbsp(text: str) -> str:
    return text.replace(" ", "\u00a0") + "\u00a0"


def _text_plans() -> list[SheetPlan]:
    return [
        _text_plan("NFC", PHO_MINH, lambda text: text, "§4 Unicode NFC"),
        _text_plan("NFD", PHO_VINH, lambda t: unicodedata.normalize("NFD", t), "§4 Unicode NFD"),
        _text_plan("Dấu cũ", PHO_HOA, _old_tone_placement, "§4 old-style tone placement"),
        _text_plan("NBSP", PHO_CUONG, _with_nbsp, "§4 non-breaking spaces"),
        _text_plan("TCVN3", PHO_THUAN, encode_tcvn3, "§4 TCVN3 (.VnTime)", font=".VnTime"),
        _text_plan("VNI", PHO_NHON, encode_vni, "§4 VNI", font="VNI-Times"),
    ]


# ------------------------------------------------------------------ §1 containers


def _container_plan(sheet: str, ward: tuple[str, str], tag: str, percent_cell: bool) -> SheetPlan:
    """The same small table for every container; ``tag`` keeps case ids apart."""
    covers = f"§1 container {tag}"
    percent: Put = (
        _value(
            f"{tag}-percent-formatted", covers, "VH.BHYT_TYLE", 0.915, 91.5, percent_format="0.0%"
        )
        if percent_cell
        else _value(f"{tag}-percent", covers, "VH.BHYT_TYLE", "91,5", 91.5)
    )
    rows: list[list[object]] = [
        [f"ĐẢNG ỦY {ward[1].upper()}"],
        ["Đơn vị:", ward[1]],
        ["Mã đơn vị:", ward[0]],
        ["Kỳ báo cáo:", "Năm 2022"],
        HEADER,
        [1, "VH.BHYT_TYLE", _name("VH.BHYT_TYLE"), "%", "≥ 95%", percent],
        [
            2,
            "VH.DAN_SO",
            "Dân số",
            "người",
            None,
            _value(f"{tag}-thousands", covers, "VH.DAN_SO", "8.412", 8412),
        ],
        [
            3,
            None,
            "Tổng vốn đầu tư xây dựng kết cấu hạ tầng",
            "đồng",
            None,
            _value(f"{tag}-money", covers, "KT.VON_DAU_TU", "16 tỷ 434 triệu", 16_434_000_000),
        ],
        [
            4,
            "XD.DV_HOC_NQ",
            "Số đảng viên học tập nghị quyết",
            "người",
            None,
            _value(f"{tag}-noun", covers, "XD.DV_HOC_NQ", "98 đồng chí", 98),
        ],
        [
            5,
            "VH.HO_NGHEO",
            "Số hộ nghèo",
            "hộ",
            None,
            _value(f"{tag}-integer", covers, "VH.HO_NGHEO", 37, 37),
        ],
        ["(1) Số liệu ước tính"],
    ]
    return SheetPlan(sheet, rows, ward[0], "2022", merges=[(1, 1, 1, 4)])


# ------------------------------------------------------------------ writers


def _plain(item: object) -> object:
    return item.value if isinstance(item, Put) else item


def _write_xlsx(path: Path, plans: list[SheetPlan], macro_enabled: bool = False) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    formulas: dict[int, dict[str, str]] = {}
    for sheet_number, plan in enumerate(plans, start=1):
        sheet = workbook.create_sheet(plan.name)
        font = Font(name=plan.font) if plan.font else None
        for r, row in enumerate(plan.rows, start=1):
            for c, item in enumerate(row, start=1):
                value = _plain(item)
                if value is None:
                    continue
                cell = sheet.cell(row=r, column=c, value=value)
                if font is not None and isinstance(value, str):
                    cell.font = font
                if isinstance(item, Put) and item.percent_format:
                    cell.number_format = item.percent_format
                if isinstance(item, Put) and item.formula:
                    formulas.setdefault(sheet_number, {})[cell.coordinate] = item.formula
        for r1, c1, r2, c2 in plan.merges:
            sheet.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        if plan.hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_patched_package(buffer.getvalue(), formulas, macro_enabled))


def _patched_package(data: bytes, formulas: dict[int, dict[str, str]], macro: bool) -> bytes:
    """The package with formulas given their cached result, and the .xlsm content type.

    openpyxl cannot write a formula together with its saved result, which is what
    Excel saves; the formula is added in front of the value the cell already holds.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if match and int(match.group(1)) in formulas:
                for address, formula in formulas[int(match.group(1))].items():
                    content = re.sub(
                        rf'(<c r="{address}"[^>]*>)(<v>)'.encode(),
                        rb"\1<f>" + formula.encode() + rb"</f>\2",
                        content,
                    )
            if macro and info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            target.writestr(info, content)
    return out.getvalue()


def _write_xls(path: Path, plans: list[SheetPlan]) -> None:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    for plan in plans:
        sheet = workbook.add_sheet(plan.name)
        for r, row in enumerate(plan.rows):
            for c, item in enumerate(row):
                value = _plain(item)
                if value is not None:
                    sheet.write(r, c, value)
        for r1, c1, r2, c2 in plan.merges:
            sheet.merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1)
    workbook.save(str(path))


def _write_ods(path: Path, plans: list[SheetPlan]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for plan in plans:
        table = Table(name=plan.name)
        spans = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in plan.merges}
        covered = {
            (r, c)
            for r1, c1, r2, c2 in plan.merges
            for r in range(r1, r2 + 1)
            for c in range(c1, c2 + 1)
            if (r, c) != (r1, c1)
        }
        width = max(len(row) for row in plan.rows)
        for r, row in enumerate(plan.rows, start=1):
            table_row = TableRow()
            for c in range(1, width + 1):
                item = row[c - 1] if c <= len(row) else None
                if (r, c) in covered:
                    table_row.addElement(CoveredTableCell())
                    continue
                cell = _ods_cell(item, TableCell, P)
                if (r, c) in spans:
                    rows_spanned, cols_spanned = spans[(r, c)]
                    cell.setAttribute("numberrowsspanned", str(rows_spanned))
                    cell.setAttribute("numbercolumnsspanned", str(cols_spanned))
                table_row.addElement(cell)
            table.addElement(table_row)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    path.write_bytes(buffer.getvalue())


def _ods_cell(item: object, table_cell: type, paragraph: type) -> object:
    value = _plain(item)
    if value is None:
        return table_cell()
    if isinstance(value, int | float):
        if isinstance(item, Put) and item.percent_format:
            cell = table_cell(valuetype="percentage", value=str(value))
            cell.addElement(paragraph(text=f"{value * 100:.1f}%"))
            return cell
        cell = table_cell(valuetype="float", value=str(value))
    else:
        cell = table_cell(valuetype="string")
    cell.addElement(paragraph(text=str(value)))
    return cell


def _cp1258(text: str) -> bytes:
    """Windows-1258 bytes: vowels precomposed (ơ, ư, â), tones as combining marks."""
    pieces = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
        bare = "".join(mark for mark in decomposed if mark not in TONE_MARKS)
        pieces.append(unicodedata.normalize("NFC", bare) + tones)
    # Windows-1258 has no "≥": clerks' exports show it as ">=".
    return "".join(pieces).replace("≥", ">=").encode("cp1258")


def _write_csv(path: Path, plan: SheetPlan, encoding: str, delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in plan.rows:
        writer.writerow(["" if _plain(item) is None else _plain(item) for item in row])
    text = buffer.getvalue()
    path.write_bytes(_cp1258(text) if encoding == "cp1258" else text.encode(encoding))


# ------------------------------------------------------------------ the casebook


def _cases_of(file: str, plan: SheetPlan) -> list[Case]:
    """The cases of one written sheet, their addresses taken from the plan's layout."""
    from flows.reading.ingest import cell_address

    catalog = _catalog()
    cases = []
    for r, row in enumerate(plan.rows):
        for c, item in enumerate(row):
            if not isinstance(item, Put) or item.expect is None:
                continue
            expect = item.expect
            indicator = catalog.indicators[expect.indicator_code]
            cases.append(
                Case(
                    case_id=expect.case_id,
                    covers=expect.covers,
                    file=file,
                    sheet=plan.name,
                    cell=cell_address(r, c),
                    indicator_code=expect.indicator_code,
                    unit_code=plan.unit_code,
                    period_code=expect.period_code or plan.period_code,
                    has_value=expect.has_value,
                    value=expect.value,
                    qualifier=expect.qualifier,
                    denominator=expect.denominator,
                    is_estimate=expect.is_estimate,
                    unit=expect.unit if expect.unit is not None else indicator.unit,
                    original_text=expect.original_text,
                    target=expect.target,
                    issue_rule=expect.issue_rule,
                    issue_severity=expect.issue_severity,
                )
            )
    return cases


_WORKBOOK, _XLS, _ODS, _CSV = "workbook", "xls", "ods", "csv"
# (tag, encoding, delimiter, ward) of each CSV export.
_CSV_FILES = (
    ("utf8-comma", "utf-8", ",", PHO_THUAN),
    ("utf8-bom-semicolon", "utf-8-sig", ";", PHO_VAN),
    ("utf16-semicolon", "utf-16", ";", PHO_QUANG),
    ("cp1258-semicolon", "cp1258", ";", PHO_NINH),
    ("cp1258-comma", "cp1258", ",", PHO_MINH),
)


def _casebook_files() -> list[tuple[str, str, list[SheetPlan], str, str]]:
    """(file, writer, plans, csv encoding, csv delimiter) of every file of the casebook."""
    files: list[tuple[str, str, list[SheetPlan], str, str]] = [
        ("gia-tri.xlsx", _WORKBOOK, [_values_plan(), _targets_plan()], "", ""),
        ("bo-cuc-nhieu-trang.xlsx", _WORKBOOK, [*_layout_plans(), *_skipped_plans()], "", ""),
        ("van-ban.xlsx", _WORKBOOK, _text_plans(), "", ""),
        (
            "dinh-dang/bao-cao.xlsx",
            _WORKBOOK,
            [_container_plan("Biểu 01", PHO_HOA, "xlsx", True)],
            "",
            "",
        ),
        (
            "dinh-dang/bao-cao-macro.xlsm",
            _WORKBOOK,
            [_container_plan("Biểu 01", NGUYEN_NGHIEM, "xlsm", True)],
            "",
            "",
        ),
        ("dinh-dang/bao-cao.xls", _XLS, [_container_plan("Biểu 01", PHO_AN, "xls", False)], "", ""),
        (
            "dinh-dang/bao-cao.ods",
            _ODS,
            [_container_plan("Biểu 01", PHO_PHONG, "ods", True)],
            "",
            "",
        ),
    ]
    for tag, encoding, delimiter, ward in _CSV_FILES:
        file = f"dinh-dang/bao-cao-{tag}.csv"
        plan = _container_plan(Path(file).stem, ward, tag, False)
        files.append((file, _CSV, [plan], encoding, delimiter))
    return files


def _write_file(path: Path, writer: str, plans: list[SheetPlan], encoding: str, delimiter: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    if writer == _WORKBOOK:
        _write_xlsx(path, plans, macro_enabled=path.suffix == ".xlsm")
    elif writer == _XLS:
        _write_xls(path, plans)
    elif writer == _ODS:
        _write_ods(path, plans)
    else:
        _write_csv(path, plans[0], encoding, delimiter)


def _build(out_dir: Path | None) -> list[Case]:
    cases: list[Case] = []
    for file, writer, plans, encoding, delimiter in _casebook_files():
        if out_dir is not None:
            _write_file(Path(out_dir) / file, writer, plans, encoding, delimiter)
        for plan in plans:
            if not plan.hidden:
                cases.extend(_cases_of(file, plan))
    _check_unique(cases)
    return cases


def casebook_cases() -> list[Case]:
    """Every case of the casebook, without writing any file (for test ids)."""
    return _build(None)


def write_casebook(out_dir: Path) -> list[Case]:
    """Write the casebook files into ``out_dir`` and return every case, ids unique."""
    return _build(Path(out_dir))


def _check_unique(cases: list[Case]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.case_id in seen:
            raise ValueError(f"duplicate casebook id {case.case_id}")
        seen.add(case.case_id)


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.generators.casebook --out DIR``: write the casebook and list its cases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    args = parser.parse_args(argv)
    cases = write_casebook(args.out)
    for case in cases:
        print(f"{case.case_id:32} {case.file} [{case.sheet}] {case.cell}")
    print(f"{len(cases)} cases in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

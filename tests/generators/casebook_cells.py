"""The casebook's cell forms: one row per form of the §3 value table (numbers, units,
qualifiers, fractions, targets, ditto marks...) and one sheet per §4 text form (NFC, NFD,
old-style tones, non-breaking spaces, TCVN3, VNI).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace

from flows.domain.textnorm import TONE_MARKS, encode_tcvn3, encode_vni
from tests.generators.casebook_plan import (
    BOOLEAN_CODE,
    HEADER,
    NGUYEN_NGHIEM,
    PHO_CUONG,
    PHO_HOA,
    PHO_MINH,
    PHO_NHON,
    PHO_THUAN,
    PHO_VINH,
    Put,
    SheetPlan,
    _name,
    _nothing,
    _row,
    _standard_metadata,
    _title,
    _value,
)

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

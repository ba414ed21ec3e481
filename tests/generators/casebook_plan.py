"""The vocabulary of the casebook's plans, shared by all of them: the catalog with its
fixture-only indicator, planned cells and sheets, the wards, and the row and cell helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.domain.catalog import Catalog, Indicator, load_catalog
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


def _name(code: str) -> str:
    return _catalog().indicators[code].name_vi


_CATALOG: list[Catalog] = []


def _catalog() -> Catalog:
    if not _CATALOG:
        _CATALOG.append(casebook_catalog())
    return _CATALOG[0]


# ------------------------------------------------------------------ plans


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

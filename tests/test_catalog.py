"""The indicator catalog and row matching."""

from __future__ import annotations

import difflib
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain.catalog import (
    FUZZY_MATCH_THRESHOLD,
    Catalog,
    load_catalog,
    name_key,
    read_catalog,
)
from flows.settings import INDICATOR_CATALOG_CSV


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_catalog_has_the_core_indicators(catalog):
    assert len(catalog) == 35
    rate = catalog.get("VH.BHYT_TYLE")
    assert rate.value_type == "percent"
    assert (rate.numerator_code, rate.denominator_code) == ("VH.BHYT_SO_NGUOI", "VH.DAN_SO")
    assert (rate.min_value, rate.max_value) == (0.0, 100.0)
    assert rate.higher_is_better is True
    assert "Tỷ lệ bao phủ BHYT" in rate.aliases_vi


def test_optional_columns_become_none(catalog):
    members = catalog.get("XD.TIEP_NHAN_DV")
    assert members.higher_is_better is None
    assert members.max_value is None
    assert members.numerator_code is None
    assert catalog.get("XD.KHAI_TRU_DV").higher_is_better is False


def test_load_catalog_is_cached():
    assert load_catalog() is load_catalog(INDICATOR_CATALOG_CSV)


@pytest.mark.parametrize(
    ("code_text", "name_text", "expected"),
    [
        ("VH.BHYT_TYLE", None, "VH.BHYT_TYLE"),
        (" vh.bhyt_tyle ", "whatever", "VH.BHYT_TYLE"),  # the code wins over the name
        (None, "Tỷ lệ người dân tham gia bảo hiểm y tế", "VH.BHYT_TYLE"),
        ("", "TỶ LỆ NGƯỜI DÂN THAM GIA BẢO HIỂM Y TẾ", "VH.BHYT_TYLE"),
        (None, "Tỷ lệ bao phủ BHYT", "VH.BHYT_TYLE"),  # alias
        (None, "Tỷ lệ gia đình văn hoá", "VH.GD_VAN_HOA_TYLE"),  # old tone placement
        (None, unicodedata.normalize("NFD", "Số hộ nghèo"), "VH.HO_NGHEO"),
        (None, "1. Số hộ nghèo:", "VH.HO_NGHEO"),  # numbering and colon
        (None, "a) Hộ nghèo", "VH.HO_NGHEO"),  # numbered with a letter
        (None, "B. Dân số", "VH.DAN_SO"),
        (None, "Tỷ lệ người dân tham gia bảo hiễm y tế", "VH.BHYT_TYLE"),  # typo: fuzzy
        (None, "Tổng số đảng viên được triệu tập", "XD.DV_TRIEU_TAP"),  # fuzzy alias
        ("XX.UNKNOWN", "Số hộ sử dụng nước sạch", None),
        (None, "Tỷ lệ hộ cận nghèo", "VH.HO_CAN_NGHEO_TYLE"),
        (None, "Tỷ lệ hộ nghèo", "VH.HO_NGHEO_TYLE"),
        (None, None, None),
        (None, "", None),
    ],
)
def test_match(catalog, code_text, name_text, expected):
    found = catalog.match(code_text, name_text)
    assert (found.indicator_code if found else None) == expected


def test_fuzzy_threshold_keeps_near_poverty_apart_from_poverty(catalog):
    import difflib

    ratio = difflib.SequenceMatcher(None, "ty le ho ngheo", "ty le ho can ngheo").ratio()
    assert ratio < FUZZY_MATCH_THRESHOLD
    assert catalog.match_name("Tỷ lệ hộ cận nghèo x").indicator_code == "VH.HO_CAN_NGHEO_TYLE"


def test_name_key():
    assert name_key("  2.1. Dân số trung bình: ") == "dan so trung binh"


def test_read_catalog_from_another_file(tmp_path):
    source = INDICATOR_CATALOG_CSV.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "catalog.csv"
    path.write_text("\ufeff" + "\n".join(source[:3]) + "\n", encoding="utf-8")
    small = read_catalog(path)
    assert [indicator.indicator_code for indicator in small] == ["XD.DV_TRIEU_TAP", "XD.DV_HOC_NQ"]


def _every_label_compared(catalog: Catalog, key: str):
    """The fuzzy match as the full comparison with every label gives it."""
    best_ratio, best = 0.0, None
    for label, indicator in catalog._by_folded_name.items():
        ratio = difflib.SequenceMatcher(None, key, label).ratio()
        if ratio > best_ratio:
            best_ratio, best = ratio, indicator
    return best if best_ratio >= FUZZY_MATCH_THRESHOLD else None


_LETTERS = "abcdeghiklmnopqrstuvxy "


@st.composite
def _names_near_a_label(draw, labels):
    """A catalog label with a few letters changed, dropped or added, or any text."""
    if draw(st.booleans()):
        return draw(st.text(alphabet=_LETTERS, max_size=60))
    name = list(draw(st.sampled_from(labels)))
    for _ in range(draw(st.integers(0, 6))):
        if not name:
            break
        at = draw(st.integers(0, len(name) - 1))
        edit = draw(st.sampled_from(("change", "drop", "add")))
        if edit == "drop":
            del name[at]
        else:
            name[at : at + (edit == "change")] = [draw(st.sampled_from(_LETTERS))]
    return "".join(name)


_CATALOG = load_catalog()


@given(_names_near_a_label(sorted(_CATALOG._by_folded_name)))
def test_the_quick_fuzzy_match_is_the_full_comparison(key):
    assert _CATALOG._fuzzy_match(key) is _every_label_compared(_CATALOG, key)


# ------------------------------------------------------------------ footnote markers

FOOTNOTE_MARKERS = ["(*)", "(**)", "( * )", "(1)", "(12)", "(a)", "*", "**", "¹", "²³", "⁽¹⁾"]


@pytest.mark.parametrize("marker", FOOTNOTE_MARKERS)
@pytest.mark.parametrize("spacing", [" ", ""], ids=["spaced", "glued"])
@pytest.mark.parametrize("after", ["", ":", " (*)"], ids=["", "colon", "two markers"])
def test_footnote_markers_are_left_out_of_the_matching_key(marker, spacing, after):
    assert name_key(f"Tỷ lệ hộ nghèo{spacing}{marker}{after}") == "ty le ho ngheo"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        # Words in brackets are part of the name (an alias of the catalog is written so).
        (
            "Tỷ lệ hộ nghèo (theo chuẩn nghèo đa chiều)",
            "ty le ho ngheo (theo chuan ngheo da chieu)",
        ),
        ("Số hộ nghèo (hộ)", "so ho ngheo (ho)"),
        ("Dân số 2024", "dan so 2024"),  # a number without brackets is no marker
        ("(*) Số hộ nghèo", "(*) so ho ngheo"),  # a leading marker: a footnote line, not a name
    ],
)
def test_brackets_that_are_no_marker_stay(name, key):
    assert name_key(name) == key


@given(
    st.sampled_from(sorted({label for i in _CATALOG for label in (i.name_vi, *i.aliases_vi)})),
    st.sampled_from(FOOTNOTE_MARKERS),
    st.sampled_from(["", " "]),
)
def test_a_name_with_a_footnote_marker_matches_as_the_name(label, marker, spacing):
    assert _CATALOG.match_name(f"{label}{spacing}{marker}") is _CATALOG.match_name(label)


def test_a_marked_row_is_matched_and_kept_as_typed():
    """The marker is gone from matching only: an unmapped row keeps its name as typed."""
    from flows.reading.table import parse_sheet
    from flows.reading.workbook import SheetGrid

    rows = [
        ["Kỳ báo cáo: Năm 2024"],
        ["STT", "Chỉ tiêu", "ĐVT", "Thực hiện"],
        [1, "Tỷ lệ hộ nghèo (*)", "%", "2,2"],
        [2, "Số đảng viên mới được kết nạp¹", "người", 5],
        [3, "Số hộ dùng nước sạch (**)", "hộ", 2100],
        ["(*) Theo chuẩn nghèo đa chiều"],
    ]
    sheet = parse_sheet(SheetGrid("s", 0, True, rows), _CATALOG)
    values = {o.indicator_code: o.value for o in sheet.observations}
    assert values == {"VH.HO_NGHEO_TYLE": 2.2, "XD.KET_NAP_DV": 5}
    assert [r.name_text for r in sheet.unmapped_rows] == ["Số hộ dùng nước sạch (**)"]


@pytest.mark.parametrize(
    "typed",
    ["Tỷ lệ hộ nghèo (%)", "Tỷ lệ hộ nghèo, %", "Tỷ lệ hộ nghèo %", "Tỷ lệ hộ nghèo (%) (*)"],
)
def test_a_percent_sign_typed_as_the_unit_is_not_part_of_the_name(typed):
    assert load_catalog().match(None, typed).indicator_code == "VH.HO_NGHEO_TYLE"

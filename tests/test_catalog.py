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

"""The cell-value parser (submission spec §3) and the target parser."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.domain.values import (
    NO_CACHED_VALUE,
    PER_MILLE,
    is_per_mille_unit,
    parse_number_text,
    parse_target,
    parse_value,
    split_qualifier,
)


@pytest.mark.parametrize(
    ("raw", "value_type", "expected"),
    [
        # decimal comma / point, percent sign
        ("91,5", "percent", 91.5),
        ("91,5%", "percent", 91.5),
        ("91.5", "percent", 91.5),
        (" 91,5 % ", "percent", 91.5),
        (91.5, "percent", 91.5),
        ("100%", "percent", 100.0),
        ("3,07%", "percent", 3.07),
        # thousands separators
        ("1.117.213.000", "money_vnd", 1117213000.0),
        ("1,117,213,000", "money_vnd", 1117213000.0),
        ("1 117 213 000", "money_vnd", 1117213000.0),
        ("1\u00a0117\u00a0213\u00a0000", "money_vnd", 1117213000.0),
        ("217.213.000đ", "money_vnd", 217213000.0),
        ("1.117.213.000 đồng", "money_vnd", 1117213000.0),
        ("1.117.213,5", "number", 1117213.5),
        ("1,117,213.5", "number", 1117213.5),
        # a single dot before three digits: thousands for whole-number indicators only
        ("8.412", "count", 8412.0),
        ("8.412", "money_vnd", 8412.0),
        ("8.412", "number", 8.412),
        ("8.412", "percent", 8.412),
        ("12.5", "count", 12.5),
        # orders of magnitude
        ("1,1 tỷ", "money_vnd", 1_100_000_000.0),
        ("1,1 tỷ đồng", "money_vnd", 1_100_000_000.0),
        ("16 tỷ 434 triệu", "money_vnd", 16_434_000_000.0),
        ("900 triệu", "money_vnd", 900_000_000.0),
        ("900 tr", "money_vnd", 900_000_000.0),
        ("900 triệu đồng", "money_vnd", 900_000_000.0),
        ("50 nghìn", "money_vnd", 50_000.0),
        ("50 ngàn", "money_vnd", 50_000.0),
        ("1 tỷ 200", "money_vnd", 1_200_000_000.0),
        # counts with their noun
        ("98 đ/c", "count", 98.0),
        ("12 đồng chí", "count", 12.0),
        ("20 mô hình", "count", 20.0),
        ("13 phòng", "count", 13.0),
        ("98", "count", 98.0),
        (98, "count", 98.0),
        # per mille
        ("0,30%o", "percent", 0.3),
        ("0,3‰", "percent", 0.3),
        # booleans
        ("Đạt", "boolean", 1.0),
        ("Hoàn thành", "boolean", 1.0),
        ("x", "boolean", 1.0),
        ("X", "boolean", 1.0),
        ("Không đạt", "boolean", 0.0),
        ("Chưa đạt", "boolean", 0.0),
        (True, "boolean", 1.0),
        (0, "boolean", 0.0),
    ],
)
def test_values_parse(raw, value_type, expected):
    parsed = parse_value(raw, value_type)
    assert parsed.error is None and not parsed.is_blank
    assert parsed.value == pytest.approx(expected)
    assert parsed.qualifier == "="


@pytest.mark.parametrize(
    ("raw", "value_type", "value", "qualifier"),
    [
        ("trên 300 triệu", "money_vnd", 300_000_000.0, ">"),
        ("> 98%", "percent", 98.0, ">"),
        (">98%", "percent", 98.0, ">"),
        ("hơn 90%", "percent", 90.0, ">"),
        ("dưới 5%", "percent", 5.0, "<"),
        ("< 5", "percent", 5.0, "<"),
        ("khoảng 200", "count", 200.0, "~"),
        ("~200", "count", 200.0, "~"),
        ("gần 200", "count", 200.0, "~"),
        ("đạt 91,5%", "percent", 91.5, "="),
    ],
)
def test_qualifiers(raw, value_type, value, qualifier):
    parsed = parse_value(raw, value_type)
    assert (parsed.value, parsed.qualifier) == (pytest.approx(value), qualifier)


@pytest.mark.parametrize(
    ("raw", "value", "denominator", "stated"),
    [
        ("130/130", 130.0, 130.0, None),
        ("08/08", 8.0, 8.0, None),
        ("4/4", 4.0, 4.0, None),
        ("36/35 (103%)", 36.0, 35.0, 103.0),
        ("4/4 tổ dân phố", 4.0, 4.0, None),
    ],
)
def test_fractions_keep_the_denominator(raw, value, denominator, stated):
    parsed = parse_value(raw, "count")
    assert (parsed.value, parsed.denominator, parsed.stated_percent) == (value, denominator, stated)


@pytest.mark.parametrize("raw", [None, "", "  ", "-", "—", "–", "…", "...", "N/A", "n/a", "Không"])
def test_blanks_are_not_errors(raw):
    parsed = parse_value(raw, "count")
    assert parsed.is_blank and parsed.error is None and parsed.value is None


def test_nan_is_blank():
    assert parse_value(math.nan, "number").is_blank


@pytest.mark.parametrize("raw", ["#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NAME?", " #ref! "])
def test_cell_errors(raw):
    parsed = parse_value(raw, "percent")
    assert parsed.error == "cell_error" and parsed.value is None and not parsed.is_blank


def test_formula_without_cached_value_is_an_error():
    assert parse_value(NO_CACHED_VALUE, "count").error == "formula_without_value"


@pytest.mark.parametrize(
    ("raw", "value_type"),
    [
        ("nhiều", "count"),
        ("x", "count"),
        ("Đạt", "percent"),
        ("1.2.3", "count"),
        ("1.23.456", "count"),
        ("12,34,56", "number"),
        (datetime(2023, 8, 8), "count"),
        (True, "count"),
        (math.inf, "number"),
    ],
)
def test_unparseable(raw, value_type):
    parsed = parse_value(raw, value_type)
    assert parsed.error == "unparseable" and parsed.value is None


def test_original_text_is_kept():
    assert parse_value("  98 đ/c", "count").original_text == "  98 đ/c"
    assert parse_value(8412.0, "count").original_text == "8412"
    assert parse_value(91.5, "percent").original_text == "91.5"


def test_magnitude_and_unit_suffix_are_reported():
    assert parse_value("1,1 tỷ", "money_vnd").has_magnitude
    assert not parse_value("1.100.000.000", "money_vnd").has_magnitude
    assert parse_value("91,5%", "percent").unit_suffix == "%"
    assert parse_value("0,3‰", "percent").unit_suffix == "‰"


def test_split_qualifier():
    assert split_qualifier("tren 300 trieu") == (">", "300 trieu")
    assert split_qualifier("300") == ("=", "300")
    assert split_qualifier("hon") == ("=", "hon")


@pytest.mark.parametrize(
    ("raw", "low", "high", "direction", "per_year"),
    [
        ("≥ 90%", 90.0, None, "at_least", False),
        (">= 90", 90.0, None, "at_least", False),
        ("trên 80%", 80.0, None, "at_least", False),
        ("từ 90% trở lên", 90.0, None, "at_least", False),
        ("dưới 3%", None, 3.0, "at_most", False),
        ("≤ 3", None, 3.0, "at_most", False),
        ("từ 3% trở xuống", None, 3.0, "at_most", False),
        ("10-12%", 10.0, 12.0, "range", False),
        ("6,6-6,8", 6.6, 6.8, "range", False),
        ("từ 90 đến 95%", 90.0, 95.0, "range", False),
        ("8-10 đảng viên/năm", 8.0, 10.0, "range", True),
        ("5 đảng viên mỗi năm", 5.0, 5.0, "exact", True),
        ("100%", 100.0, 100.0, "exact", False),
        (100, 100.0, 100.0, "exact", False),
        (95.5, 95.5, 95.5, "exact", False),
        ("trên 5 tỷ", 5e9, None, "at_least", False),
        ("5-7 tỷ đồng", 5e9, 7e9, "range", False),
        ("Hoàn thành", None, None, None, False),
    ],
)
def test_targets(raw, low, high, direction, per_year):
    target = parse_target(raw)
    assert target is not None
    if isinstance(raw, str):
        assert target.text == raw
    assert (target.low, target.high) == (
        pytest.approx(low) if low is not None else None,
        pytest.approx(high) if high is not None else None,
    )
    assert (target.direction, target.per_year) == (direction, per_year)


@pytest.mark.parametrize("raw", [None, "", "-", "…"])
def test_blank_targets(raw):
    assert parse_target(raw) is None


def test_target_uses_the_indicator_number_rule():
    assert parse_target("≥ 1.500", "count").low == 1500.0
    assert parse_target("≥ 1.5", "percent").low == 1.5


# ---------------------------------------------------------------- properties

separators = st.sampled_from([".", ",", " ", "\u00a0"])


def _group(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator)


@given(st.integers(min_value=0, max_value=10**13), separators)
def test_thousands_grouped_integers_round_trip_for_counts(number, separator):
    for value_type in ("count", "money_vnd"):
        parsed = parse_value(_group(number, separator), value_type)
        assert parsed.value == number, (parsed, separator)


@given(st.integers(min_value=0, max_value=10**9), separators)
def test_multi_group_integers_round_trip_for_any_type(number, separator):
    text = _group(number, separator)
    if text.count(separator) >= 2 or separator.isspace():
        assert parse_value(text, "number").value == number


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=99))
def test_decimal_comma_percents_round_trip(whole, hundredths):
    text = f"{whole},{hundredths:02d}"
    expected = whole + hundredths / 100
    assert parse_value(text, "percent").value == pytest.approx(expected)
    assert parse_value(text + "%", "percent").value == pytest.approx(expected)
    assert parse_value(text.replace(",", "."), "percent").value == pytest.approx(expected)


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_numeric_cells_pass_through(number):
    assert parse_value(number, "number").value == number


@given(st.text(max_size=30))
def test_parser_never_raises(text):
    for value_type in ("percent", "count", "money_vnd", "number", "boolean"):
        parsed = parse_value(text, value_type)
        assert (parsed.value is None) == (parsed.is_blank or parsed.error is not None)
        parse_target(text, value_type)


@given(st.integers(min_value=0, max_value=10**6))
def test_parse_number_text_plain_integers(number):
    assert parse_number_text(str(number), whole_numbers=False) == number


@pytest.mark.parametrize(
    ("unit_text", "expected"),
    [("‰", True), ("%o", True), ("0/00", True), ("Phần nghìn", True), ("%", False), (None, False)],
)
def test_per_mille_units(unit_text, expected):
    assert is_per_mille_unit(unit_text) is expected


def test_per_mille_values_keep_their_unit():
    for text in ("0,30%o", "0,3‰"):
        parsed = parse_value(text, "percent")
        assert (parsed.value, parsed.unit_suffix) == (pytest.approx(0.3), PER_MILLE)

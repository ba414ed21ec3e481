"""Periods, year column headers and report dates as clerks write them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from flows.domain.periods import parse_period, parse_report_date, parse_term, parse_year_header


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Năm 2022", "2022"),
        ("năm 2022", "2022"),
        ("2022", "2022"),
        (2022, "2022"),
        ("Quý I/2023", "2023-Q1"),
        ("Quý IV/2023", "2023-Q4"),
        ("Quý 1 năm 2023", "2023-Q1"),
        ("quý III năm 2024", "2024-Q3"),
        ("6 tháng đầu năm 2023", "2023-H1"),
        ("6 tháng cuối năm 2023", "2023-H2"),
        ("Giữa nhiệm kỳ 2020-2025", "2020-2025-MID"),
        ("Sơ kết giữa nhiệm kỳ 2020 - 2025", "2020-2025-MID"),
        ("Sơ kết giữa nhiệm kỳ 2020 – 2025", "2020-2025-MID"),
        ("Nhiệm kỳ 2020-2025", "2020-2025"),
        ("Tổng kết nhiệm kỳ 2015-2020", "2015-2020"),
        ("Báo cáo năm 2024", "2024"),
        ("", None),
        ("Không rõ", None),
        ("Sơ kết giữa nhiệm kỳ", None),  # no term given and none known
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


def test_parse_period_completes_the_term_from_a_hint():
    assert parse_period("Sơ kết giữa nhiệm kỳ", term_hint="2020-2025") == "2020-2025-MID"
    assert parse_period("Tổng kết nhiệm kỳ", term_hint="2015-2020") == "2015-2020"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Nhiệm kỳ 2020 - 2025", "2020-2025"), ("2015-2020", "2015-2020"), ("2025-2020", None)],
)
def test_parse_term(text, expected):
    assert parse_term(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Năm 2021", (2021, False)),
        ("2021", (2021, False)),
        (2021, (2021, False)),
        (2021.0, (2021, False)),
        ("TH 2021", (2021, False)),
        ("Thực hiện 2021", (2021, False)),
        ("Thực hiện năm 2021", (2021, False)),
        ("Ước 2023", (2023, True)),
        ("Ước TH 2023", (2023, True)),
        ("Ước thực hiện năm 2023", (2023, True)),
        ("Năm 2023 (ước)", (2023, True)),
        ("Chỉ tiêu", None),
        ("Thực hiện", None),
        ("2020-2025", None),
        (91.5, None),
        (None, None),
    ],
)
def test_parse_year_header(text, expected):
    assert parse_year_header(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15/12/2022", date(2022, 12, 15)),
        ("5/1/2023", date(2023, 1, 5)),
        ("15-12-2022", date(2022, 12, 15)),
        (datetime(2022, 12, 15, 0, 0), date(2022, 12, 15)),
        (date(2022, 12, 15), date(2022, 12, 15)),
        ("ngày 18 tháng 5 năm 2023", date(2023, 5, 18)),
        ("Phổ Hòa, ngày 18 tháng 5 năm 2023", date(2023, 5, 18)),
        (44910.0, date(2022, 12, 15)),  # an Excel serial number
        ("31/02/2023", None),
        ("không rõ", None),
        (None, None),
    ],
)
def test_parse_report_date(raw, expected):
    assert parse_report_date(raw) == expected

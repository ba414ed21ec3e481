"""Periods, value-column year headers and report dates as clerks write them.

Period codes follow the warehouse contract: ``2022`` (year), ``2023-Q1`` (quarter),
``2023-H1`` (half year), ``2020-2025-MID`` (mid-term review), ``2020-2025`` (term).
All matching is done on folded text (lowercase, no diacritics), so ``Quý``,
``QUÝ`` and ``quy`` are the same.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flows.domain.textnorm import fold

_YEAR = r"((?:19|20)\d{2})"
_TERM = re.compile(_YEAR + r"\s*[-–—/]\s*" + _YEAR)
_ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

_QUARTER = re.compile(r"\bquy\s*(iv|iii|ii|i|[1-4])\b\s*(?:/|-|nam|\s)\s*" + _YEAR)
_HALF = re.compile(r"\b(?:6 thang|sau thang|nua)\s*(dau|cuoi)\s*nam\s*" + _YEAR)
_MID_TERM = re.compile(r"\b(?:giua nhiem ky|giua ky|so ket)\b")
_WHOLE_TERM = re.compile(r"\b(?:nhiem ky|tong ket|ca nhiem ky)\b")
_PLAIN_YEAR = re.compile(r"^(?:nam\s*)?" + _YEAR + r"$")
_YEAR_IN_TEXT = re.compile(r"\bnam\s*" + _YEAR + r"\b")

# Year column headers: optional "Ước" / "TH" / "Thực hiện" / "Năm" words around a
# single year, optionally "(ước)" after it.
_YEAR_HEADER = re.compile(
    r"^(?P<before>(?:uoc|uoc tinh|th|thuc hien|ket qua|so lieu|nam|\s)*)"
    + _YEAR
    + r"(?P<after>\s*\(?\s*(?:uoc|uoc tinh|uoc th|uoc thuc hien)?\s*\)?)$"
)

_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\b")
_WORDED_DATE = re.compile(r"\bngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})\b")
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_term(text: object) -> str | None:
    """The term code ``'2020-2025'`` written in the text, or None."""
    match = _TERM.search(fold(text))
    if match is None or int(match.group(2)) <= int(match.group(1)):
        return None
    return f"{match.group(1)}-{match.group(2)}"


def parse_period(text: object, term_hint: str | None = None) -> str | None:
    """The period code of a ``Kỳ báo cáo`` text, or None when it is not a known form.

    ``term_hint`` (e.g. the sheet's ``Nhiệm kỳ``) completes ``Sơ kết giữa nhiệm kỳ``
    or ``Tổng kết nhiệm kỳ`` written without the years.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(int(text)) if float(text).is_integer() else str(text)
    folded = fold(text)
    if not folded:
        return None
    for parser in (_quarter_code, _half_code, _term_code):
        code = parser(folded, term_hint)
        if code is not None:
            return code
    return _year_code(folded)


def _quarter_code(folded: str, _term_hint: str | None) -> str | None:
    match = _QUARTER.search(folded)
    if match is None:
        return None
    quarter = _ROMAN_QUARTERS.get(match.group(1)) or int(match.group(1))
    return f"{match.group(2)}-Q{quarter}"


def _half_code(folded: str, _term_hint: str | None) -> str | None:
    match = _HALF.search(folded)
    if match is None:
        return None
    half = 1 if match.group(1) == "dau" else 2
    return f"{match.group(2)}-H{half}"


def _term_code(folded: str, term_hint: str | None) -> str | None:
    is_mid = _MID_TERM.search(folded) is not None
    if not is_mid and _WHOLE_TERM.search(folded) is None:
        return None
    term = parse_term(folded) or term_hint
    if term is None:
        return None
    return f"{term}-MID" if is_mid else term


def _year_code(folded: str) -> str | None:
    match = _PLAIN_YEAR.match(folded) or _YEAR_IN_TEXT.search(folded)
    return match.group(1) if match else None


def parse_year_header(text: object) -> tuple[int, bool] | None:
    """``(year, is_estimate)`` for a value column header such as ``Năm 2021`` or ``Ước 2023``."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if not float(text).is_integer():
            return None
        text = str(int(text))
    folded = fold(text).replace(":", " ").strip()
    match = _YEAR_HEADER.match(folded)
    if match is None:
        return None
    is_estimate = "uoc" in match.group("before") or "uoc" in match.group("after")
    return int(match.group(2)), is_estimate


def parse_report_date(raw: object) -> date | None:
    """The report date of a cell: a date/datetime, ``15/12/2022``, ``ngày 18 tháng 5 năm 2023``."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _from_excel_serial(float(raw))
    folded = fold(raw)
    match = _NUMERIC_DATE.search(folded) or _WORDED_DATE.search(folded)
    if match is None:
        return None
    day, month, year = (int(group) for group in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _from_excel_serial(serial: float) -> date | None:
    """A date from an Excel serial number, when it falls in a plausible range (1990–2100)."""
    if not 32874 <= serial <= 73051:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))


# A period code of the warehouse: a year, a quarter, a half-year, a term or its mid-term.
_PERIOD_CODE = re.compile(r"^(\d{4})(?:-Q([1-4])|-H([12])|-(\d{4})(?:-MID)?)?$")


def period_first_day(period_code: str | None) -> date | None:
    """2024 → 2024-01-01; 2024-Q3, 2024-H2 → 2024-07-01; a term S-E and its mid-term
    S-E-MID → 1 January of S+1 (a term covers the years S+1..E); None for anything else."""
    match = _PERIOD_CODE.match(period_code or "")
    if match is None:
        return None
    year, quarter, half, term_end = match.groups()
    if term_end:
        return date(int(year) + 1, 1, 1)
    return date(int(year), 3 * int(quarter) - 2 if quarter else 6 * int(half or 1) - 5, 1)

"""Cell values and target texts as clerks type them (submission spec §3).

:func:`parse_value` turns one value cell into a number with its qualifier
(``trên 300 triệu`` → 300000000, ``>``), :func:`parse_target` turns a ``Chỉ tiêu NQ``
cell into bounds and a direction. Neither raises on bad input: a value that cannot
be read comes back with an ``error`` rule code, so the caller can report the cell
and go on with the sheet.

Number reading follows Vietnamese usage (decimal comma, dot thousands) but accepts
English-locale exports too; see :func:`parse_number_text` for the disambiguation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from flows.domain.textnorm import fold, normalize_text

WHOLE_NUMBER_TYPES = frozenset({"count", "money_vnd"})

CELL_ERROR_TEXTS = frozenset(
    {"#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)
# Per mille (‰, typed "%o" too) is a unit of its own: 0,3‰ is 0.3 per thousand.
PER_MILLE = "‰"
_PER_MILLE_UNITS = frozenset({"‰", "%o", "%0", "0/00", "phan nghin", "phan ngan"})

# Written into a grid by the reader for a formula cell saved without its result.
NO_CACHED_VALUE = "#NO_CACHED_VALUE"

# Folded texts that mean "nothing reported" (spec §3), not an error.
BLANK_TEXTS = frozenset({"", "-", "--", "---", "–", "—", "…", "...", "..", "n/a", "khong", "/"})

BOOLEAN_TRUE = frozenset({"dat", "hoan thanh", "x", "co", "vuot", "dat chuan", "hoan thanh tot"})
BOOLEAN_FALSE = frozenset({"khong dat", "chua dat", "chua hoan thanh", "khong hoan thanh"})

# Leading words or signs that qualify a value; folded text.
QUALIFIER_PREFIXES: tuple[tuple[str, str], ...] = (
    (r">=|≥|>|tren|hon|vuot|it nhat|toi thieu", ">"),
    (r"<=|≤|<|duoi|chua den|khong qua|toi da", "<"),
    (r"~|≈|khoang|gan|xap xi|uoc tinh|uoc", "~"),
)

_LEADING_DAT = re.compile(r"^dat\s+(?=[\d><≥≤~])")
_QUALIFIER_MATCHERS = tuple(
    (re.compile(r"^(?:" + pattern + r")(?=\s|\d)\s*"), qualifier)
    for pattern, qualifier in QUALIFIER_PREFIXES
)

# Order of magnitude words; folded text, longest spelling first.
MAGNITUDE_WORDS: dict[str, float] = {
    "ty": 1e9,
    "trieu": 1e6,
    "tr": 1e6,
    "nghin": 1e3,
    "ngan": 1e3,
}
_MAGNITUDE_PATTERN = "|".join(sorted(MAGNITUDE_WORDS, key=len, reverse=True))
_CURRENCY_SUFFIX = r"(?:\s*(?:dong|d|vnd|vnđ)\.?)?"

_NUMBER_ONLY = re.compile(r"^[+-]?\d[\d.,]*$")
_SPACE_GROUPED = re.compile(r"^[+-]?\d{1,3}(?: \d{3})+(?:[.,]\d+)?$")
_FRACTION = re.compile(
    r"^(?P<num>\d[\d.,]*)\s*/\s*(?P<den>\d[\d.,]*)"
    r"(?:\s*\(\s*(?P<pct>\d[\d.,]*)\s*%\s*\))?(?P<noun>\s*[^\d\s/][^\d]*)?$"
)
_MAGNITUDE_TERM = re.compile(r"(?P<number>\d[\d.,]*)\s*(?P<word>" + _MAGNITUDE_PATTERN + r")\b\.?")
_MAGNITUDE_TEXT = re.compile(
    r"^(?:\d[\d.,]*\s*(?:"
    + _MAGNITUDE_PATTERN
    + r")\b\.?\s*)+(?:\d[\d.,]*)?"
    + _CURRENCY_SUFFIX
    + r"$"
)
_MAGNITUDE_TAIL = re.compile(r"\s*(\d[\d.,]*)")
_MONEY_SUFFIX = re.compile(r"(dong|d|vnd)\.?$")
# A number followed by a unit or a counted noun: "91,5%", "0,3‰", "98 đ/c", "20 mô hình".
_NUMBER_WITH_SUFFIX = re.compile(
    r"^(?P<number>[+-]?\d[\d., ]*?)\s*(?P<suffix>%o|‰|%|[^\W\d_][^\d]{0,40})?$"
)


@dataclass(frozen=True)
class ParsedValue:
    """One value cell, read.

    ``value`` is None when the cell is blank or in error. ``unit_suffix`` is the unit
    or noun typed after the number (``%``, ``‰``, ``đồng``, ``đ/c``); ``has_magnitude``
    says the text carried its own order of magnitude (``1,1 tỷ``), so a row unit
    such as ``triệu đồng`` must not be applied again. ``stated_percent`` is the
    clerk's own percent in ``36/35 (103%)``, kept for cross-checking.
    """

    value: float | None
    qualifier: str = "="
    denominator: float | None = None
    original_text: str = ""
    is_blank: bool = False
    error: str | None = None
    unit_suffix: str | None = None
    has_magnitude: bool = False
    stated_percent: float | None = None


@dataclass(frozen=True)
class ParsedTarget:
    """A target cell: the text as written, its bound(s), direction and horizon.

    ``direction`` is ``'at_least'``, ``'at_most'``, ``'range'``, ``'exact'``, or None
    when the text holds no number (``Hoàn thành``). ``per_year`` is True for a
    target per year (``8-10 đảng viên/năm``), False for one over the whole term.
    """

    text: str
    low: float | None
    high: float | None
    direction: str | None
    per_year: bool
    has_magnitude: bool = False


def original_text_of(raw: object) -> str:
    """The cell as the clerk sees it: text unchanged, integral floats without ``.0``."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


# The usual value cell is a number, and the same numbers recur across wards' files
# (four in five cells of the bench files): a float's reading depends on the number
# alone and ParsedValue is immutable, so one reading per number is shared. Zero is
# left out (0.0 and -0.0 are the same key but not the same value), NaN too (never found).
@lru_cache(maxsize=65_536)
def _number_reading(number: float) -> ParsedValue:
    return _parse_numeric_cell(number, original_text_of(number))


def parse_value(raw: object, value_type: str) -> ParsedValue:
    """Read one value cell of an indicator of the given catalog ``value_type``."""
    if type(raw) is float:  # the usual cell, as below without the type tests
        if raw and raw == raw:
            return _number_reading(raw)
        return _parse_numeric_cell(raw, original_text_of(raw))
    if type(raw) is str:  # the next usual cell ("97,4", "222 đồng chí"): its own text
        return parse_value_text(raw, value_type)
    original = original_text_of(raw)
    if raw is None:
        return ParsedValue(None, original_text=original, is_blank=True)
    if isinstance(raw, bool):
        return _parse_bool_cell(raw, value_type, original)
    if isinstance(raw, int | float):
        return _parse_numeric_cell(float(raw), original)
    if isinstance(raw, datetime | date | time | timedelta):
        return ParsedValue(None, original_text=original, error="unparseable")
    return parse_value_text(original, value_type)


def _parse_bool_cell(raw: bool, value_type: str, original: str) -> ParsedValue:
    if value_type != "boolean":
        return ParsedValue(None, original_text=original, error="unparseable")
    return ParsedValue(1.0 if raw else 0.0, original_text=original)


def _parse_numeric_cell(number: float, original: str) -> ParsedValue:
    if math.isnan(number):
        return ParsedValue(None, original_text=original, is_blank=True)
    if math.isinf(number):
        return ParsedValue(None, original_text=original, error="unparseable")
    return ParsedValue(number, original_text=original)


# The same texts ("98,3%", "16 chi bộ") recur in every ward's file; a reading is a pure
# function of the text and the value type, and ParsedValue is immutable, so it is shared.
@lru_cache(maxsize=65536)
def parse_value_text(text: str, value_type: str) -> ParsedValue:
    """Read a value typed as text (see the module docstring for the forms)."""
    stripped = normalize_text(text)
    error = _cell_error_rule(stripped)
    if error is not None:
        return ParsedValue(None, original_text=text, error=error)
    folded = fold(stripped)
    if folded in BLANK_TEXTS:
        return ParsedValue(None, original_text=text, is_blank=True)
    if value_type == "boolean" and (folded in BOOLEAN_TRUE or folded in BOOLEAN_FALSE):
        return ParsedValue(1.0 if folded in BOOLEAN_TRUE else 0.0, original_text=text)
    qualifier, rest = split_qualifier(folded)
    parsed = _parse_quantity(rest, value_type)
    if parsed is None:
        return ParsedValue(None, original_text=text, error="unparseable")
    return ParsedValue(
        parsed.value,
        qualifier=qualifier,
        denominator=parsed.denominator,
        original_text=text,
        unit_suffix=parsed.unit_suffix,
        has_magnitude=parsed.has_magnitude,
        stated_percent=parsed.stated_percent,
    )


def _cell_error_rule(text: str) -> str | None:
    if text.upper() in CELL_ERROR_TEXTS:
        return "cell_error"
    if text == NO_CACHED_VALUE:
        return "formula_without_value"
    return None


def split_qualifier(folded: str) -> tuple[str, str]:
    """``('>', '300 trieu')`` for ``'tren 300 trieu'``; ``('=', text)`` without a qualifier."""
    text = _LEADING_DAT.sub("", folded)
    for pattern, qualifier in _QUALIFIER_MATCHERS:
        match = pattern.match(text)
        if match:
            return qualifier, text[match.end() :]
    return "=", text


@dataclass(frozen=True)
class _Quantity:
    value: float
    denominator: float | None = None
    unit_suffix: str | None = None
    has_magnitude: bool = False
    stated_percent: float | None = None


def _parse_quantity(folded: str, value_type: str) -> _Quantity | None:
    """The number in a qualifier-free folded text, trying each written form in turn."""
    whole = value_type in WHOLE_NUMBER_TYPES
    for reader in (_read_fraction, _read_magnitude, _read_number_with_suffix):
        quantity = reader(folded.strip(), whole)
        if quantity is not None:
            return quantity
    return None


def _read_fraction(text: str, whole: bool) -> _Quantity | None:
    match = _FRACTION.match(text)
    if match is None:
        return None
    numerator = parse_number_text(match.group("num"), whole_numbers=True)
    denominator = parse_number_text(match.group("den"), whole_numbers=True)
    if numerator is None or denominator is None:
        return None
    stated = match.group("pct")
    noun = (match.group("noun") or "").strip() or None
    return _Quantity(
        numerator,
        denominator=denominator,
        unit_suffix=noun,
        stated_percent=parse_number_text(stated, whole_numbers=False) if stated else None,
    )


def _read_magnitude(text: str, _whole: bool) -> _Quantity | None:
    """``1,1 ty``, ``16 ty 434 trieu``, ``900 tr``; a bare tail is the next unit down."""
    if _MAGNITUDE_TEXT.match(text) is None:
        return None
    total = 0.0
    smallest = None
    end = 0
    for term in _MAGNITUDE_TERM.finditer(text):
        # With a magnitude word, "1.5 ty" is a decimal: nobody writes thousands of tỷ.
        number = parse_number_text(term.group("number"), whole_numbers=False)
        if number is None:
            return None
        factor = MAGNITUDE_WORDS[term.group("word")]
        total += number * factor
        smallest = factor if smallest is None else min(smallest, factor)
        end = term.end()
    tail = _MAGNITUDE_TAIL.match(text, end)
    if tail and smallest is not None and smallest >= 1e6:
        tail_number = parse_number_text(tail.group(1), whole_numbers=True)
        if tail_number is None:
            return None
        total += tail_number * smallest / 1e3
    suffix = "đồng" if _MONEY_SUFFIX.search(text) else None
    return _Quantity(round(total, 6), unit_suffix=suffix, has_magnitude=True)


def _read_number_with_suffix(text: str, whole: bool) -> _Quantity | None:
    match = _NUMBER_WITH_SUFFIX.match(text)
    if match is None:
        return None
    number = parse_number_text(match.group("number"), whole_numbers=whole)
    if number is None:
        return None
    suffix = match.group("suffix")
    if suffix == "%o":
        suffix = PER_MILLE
    return _Quantity(number, unit_suffix=suffix.strip() if suffix else None)


def is_per_mille_unit(unit_text: str | None) -> bool:
    """True for a unit column saying per mille: ``‰``, ``%o``, ``0/00``, ``phần nghìn``."""
    return bool(unit_text) and fold(unit_text) in _PER_MILLE_UNITS


def parse_number_text(text: str, whole_numbers: bool) -> float | None:
    """A number written with Vietnamese or English separators, or None.

    ``1.117.213.000``, ``1,117,213,000`` and ``1 117 213 000`` are thousands-grouped;
    with both ``.`` and ``,`` the last one is the decimal mark. A single separator
    followed by exactly three digits is a thousands separator when ``whole_numbers``
    (count and money indicators: ``8.412`` → 8412); otherwise a single ``,`` or ``.``
    is the decimal mark (``91,5``, ``91.5``).
    """
    text = text.strip()
    if _SPACE_GROUPED.match(text):
        text = text.replace(" ", "")
    if not _NUMBER_ONLY.match(text):
        return None
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    canonical = _canonical_digits(body, whole_numbers)
    if canonical is None:
        return None
    return sign * float(canonical)


def _canonical_digits(body: str, whole_numbers: bool) -> str | None:
    """``body`` rewritten as ``1234.5``, or None when its grouping is inconsistent."""
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal_mark = "." if body.rfind(".") > body.rfind(",") else ","
        group_mark = "," if decimal_mark == "." else "."
        if body.count(decimal_mark) > 1:
            return None
        integer, fraction = body.split(decimal_mark)
        grouped = _ungroup(integer, group_mark)
        return None if grouped is None or not fraction else f"{grouped}.{fraction}"
    mark = "." if dots else "," if commas else None
    if mark is None:
        return body
    if body.count(mark) > 1:
        return _ungroup(body, mark)
    integer, fraction = body.split(mark)
    if not integer or not fraction:
        return None
    if whole_numbers and len(fraction) == 3:
        return integer + fraction
    return f"{integer}.{fraction}"


def _ungroup(text: str, mark: str) -> str | None:
    """Digits of a thousands-grouped integer, or None when a group is not 3 digits."""
    groups = text.split(mark)
    head, rest = groups[0], groups[1:]
    if not (1 <= len(head) <= 3) or any(len(group) != 3 for group in rest):
        return None
    return "".join(groups)


# ---------------------------------------------------------------- targets

_PER_YEAR = re.compile(r"(?:/\s*nam|moi nam|hang nam|binh quan nam|mot nam)\b")
_RANGE = re.compile(
    r"^(?:tu\s*)?(?P<low>\d[\d.,]*)\s*(?P<low_unit>%|[^\W\d_]+)?\s*(?:-|–|—|den)\s*"
    r"(?P<high>\d[\d.,]*)"
)
_LEADING_TU = re.compile(r"^tu\s+")
_SPACES = re.compile(r"\s+")
_AT_LEAST_SUFFIX = re.compile(r"\btro len\b")
_AT_MOST_SUFFIX = re.compile(r"\btro xuong\b")
_TARGET_DIRECTIONS = {">": "at_least", "<": "at_most", "~": "exact", "=": "exact"}


def parse_target(raw: object, value_type: str = "number") -> ParsedTarget | None:
    """Bounds of a ``Chỉ tiêu NQ`` cell; None when the cell is blank.

    ``≥ 90%``, ``trên 80%``, ``từ 90% trở lên`` → at_least; ``dưới 3%``, ``≤ 3`` →
    at_most; ``10-12%``, ``6,6-6,8`` → range; a plain number → exact.
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        if math.isnan(raw):
            return None
        return ParsedTarget(original_text_of(raw), float(raw), float(raw), "exact", False)
    return _parse_target_text(str(raw), value_type)


# Targets repeat across wards ("≥ 95%"); pure in (text, value type), ParsedTarget immutable.
@lru_cache(maxsize=65536)
def _parse_target_text(text: str, value_type: str) -> ParsedTarget | None:
    folded = fold(text)
    if folded in BLANK_TEXTS:
        return None
    per_year = _PER_YEAR.search(folded) is not None
    body = _PER_YEAR.sub(" ", folded).strip()
    return _range_target(text, body, per_year, value_type) or _bound_target(
        text, body, per_year, value_type
    )


def _range_target(text: str, body: str, per_year: bool, value_type: str) -> ParsedTarget | None:
    match = _RANGE.match(body)
    if match is None:
        return None
    whole = value_type in WHOLE_NUMBER_TYPES
    low = parse_number_text(match.group("low"), whole_numbers=whole)
    high = parse_number_text(match.group("high"), whole_numbers=whole)
    if low is None or high is None or high < low:
        return None
    rest = _parse_quantity(body[match.start("high") :], value_type)
    factor = 1.0
    if rest is not None and rest.has_magnitude and high:
        factor = rest.value / high
    return ParsedTarget(
        text, low * factor, high * factor, "range", per_year, has_magnitude=factor != 1.0
    )


def _bound_target(text: str, body: str, per_year: bool, value_type: str) -> ParsedTarget:
    qualifier, rest = split_qualifier(_LEADING_TU.sub("", body))
    if _AT_LEAST_SUFFIX.search(rest):
        qualifier, rest = ">", _AT_LEAST_SUFFIX.sub(" ", rest)
    elif _AT_MOST_SUFFIX.search(rest):
        qualifier, rest = "<", _AT_MOST_SUFFIX.sub(" ", rest)
    quantity = _parse_quantity(collapse(rest), value_type)
    if quantity is None:
        return ParsedTarget(text, None, None, None, per_year)
    direction = _TARGET_DIRECTIONS[qualifier]
    low = quantity.value if direction in ("at_least", "exact") else None
    high = quantity.value if direction in ("at_most", "exact") else None
    return ParsedTarget(text, low, high, direction, per_year, quantity.has_magnitude)


def collapse(text: str) -> str:
    """Runs of spaces turned into one, ends stripped."""
    return _SPACES.sub(" ", text).strip()
